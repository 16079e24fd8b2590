//! Talk: listening exchanges, "I" statements with the coach, and repairs. Hard things start
//! private; sharing is an explicit act.

use anyhow::{Context, Result};
use hearth_core::coach::{self, Hint};
use hearth_core::intent::Intent;
use hearth_core::{
    Collection, IStatement, IStatementParts, Id, Journal, ListeningExchange, ListeningState,
    Repair, StepKind, Visibility,
};
use serde::Serialize;

use super::Ctx;
use crate::cli::{CoachArgs, IStatementArgs, IStatementCommand, ListenCommand, RepairCommand};
use crate::io::Io;
use crate::show;

/// What the coach noticed in one piece of text, as JSON.
#[derive(Debug, Serialize)]
struct CoachView<'a> {
    field: &'a str,
    words: String,
    #[serde(flatten)]
    hint: Hint,
}

fn hints<'a>(field: &'a str, text: &str) -> Vec<CoachView<'a>> {
    coach::coach(text)
        .into_iter()
        .map(|hint| CoachView {
            field,
            words: text.get(hint.span.clone()).unwrap_or("").to_owned(),
            hint,
        })
        .collect()
}

fn print_hints(io: &Io, found: &[CoachView<'_>]) {
    for h in found {
        io.line(format!("  \"{}\": {}", h.words, h.hint.suggestion));
    }
}

/// `hearth coach TEXT`: checks a draft; nothing is saved and no profile is needed.
pub(crate) fn coach(io: &Io, a: &CoachArgs) -> Result<()> {
    let found = hints("text", &a.text);
    if io.json {
        #[derive(Serialize)]
        struct Out<'a> {
            hints: &'a [CoachView<'a>],
            shape: &'static str,
        }
        return io.emit_json(&Out {
            hints: &found,
            shape: coach::SHAPE,
        });
    }
    if found.is_empty() {
        io.line("Nothing blaming stands out. It sounds like you speaking for yourself.");
    } else {
        io.line("A few words may land as blame. Gentler ways to say them:");
        print_hints(io, &found);
    }
    io.line("");
    io.line(format!("A shape that tends to help: {}", coach::SHAPE));
    Ok(())
}

/// A listening exchange as JSON, with names.
#[derive(Debug, Serialize)]
pub(crate) struct ListeningView {
    #[serde(flatten)]
    exchange: ListeningExchange,
    speaker_name: String,
}

fn exchange_id(ctx: &Ctx, needle: &str) -> Result<Id> {
    let (ids, trashed) = ctx.backend.read(|j| {
        let ids: Vec<Id> = j.listening_exchanges().into_iter().map(|x| x.id).collect();
        (ids, show::trashed(j, &[Collection::Conversations]))
    });
    show::resolve_with_trash("listening exchange", ids, trashed, needle)
}

fn print_exchange(ctx: &Ctx, id: &Id, human: &str) -> Result<()> {
    let x = ctx.backend.read(|j| {
        j.listening_exchange(id).map(|x| ListeningView {
            speaker_name: show::name(j, &x.speaker),
            exchange: x,
        })
    })?;
    ctx.io
        .report(&ctx.backend.read(|j| show::named(j, &x))?, human)
}

pub(crate) fn listen(ctx: &mut Ctx, c: &ListenCommand) -> Result<()> {
    match c {
        ListenCommand::Start(a) => {
            let start = Intent::StartListening {
                statement: a.text.clone(),
            };
            let id = ctx
                .backend
                .create(&start)
                .context("could not start the exchange")?;
            print_exchange(
                ctx,
                &id,
                &format!(
                    "Shared with your partner. They will reflect back what they heard \
                     (`hearth listen reflect {} \"...\"`).",
                    show::short(&id)
                ),
            )
        }
        ListenCommand::Reflect(a) => {
            let id = exchange_id(ctx, &a.id)?;
            let reflect = Intent::Reflect {
                id: id.clone(),
                text: a.text.clone(),
            };
            ctx.backend
                .apply(&reflect)
                .context("could not save your reflection")?;
            print_exchange(
                ctx,
                &id,
                "Your reflection is there. Your partner can say \"yes, that's it\" or add what was missed.",
            )
        }
        ListenCommand::Confirm(a) => {
            let id = exchange_id(ctx, &a.id)?;
            ctx.backend
                .apply(&Intent::ConfirmReflection { id: id.clone() })
                .context("could not confirm")?;
            print_exchange(ctx, &id, "Heard and understood. Thank you both.")
        }
        ListenCommand::Correct(a) => {
            let id = exchange_id(ctx, &a.id)?;
            let correct = Intent::CorrectReflection {
                id: id.clone(),
                text: a.text.clone(),
            };
            ctx.backend
                .apply(&correct)
                .context("could not save the correction")?;
            print_exchange(
                ctx,
                &id,
                "Thanks for saying it again. Your partner will reflect once more.",
            )
        }
        ListenCommand::List => {
            let list: Vec<ListeningView> = ctx.backend.read(|j| {
                j.listening_exchanges()
                    .into_iter()
                    .map(|x| ListeningView {
                        speaker_name: show::name(j, &x.speaker),
                        exchange: x,
                    })
                    .collect()
            });
            if ctx.io.json {
                return ctx
                    .io
                    .emit_json(&ctx.backend.read(|j| show::named(j, &list))?);
            }
            if list.is_empty() {
                ctx.io.line(
                    "No listening exchanges yet. Start one when something is on your mind: \
                     hearth listen start \"...\"",
                );
            }
            let steps: Vec<Vec<String>> = ctx.backend.read(|j| {
                list.iter()
                    .map(|x| {
                        x.exchange
                            .steps
                            .iter()
                            .map(|s| match &s.kind {
                                StepKind::Reflection => {
                                    format!("{} heard: {}", show::name(j, &s.by), s.text)
                                }
                                StepKind::Confirmed => {
                                    format!("{}: yes, that's it", show::name(j, &s.by))
                                }
                                StepKind::Correction => {
                                    format!("{} added: {}", show::name(j, &s.by), s.text)
                                }
                                StepKind::Other(k) => format!("{} ({k})", show::name(j, &s.by)),
                            })
                            .collect()
                    })
                    .collect()
            });
            for (x, steps) in list.iter().zip(steps) {
                let state = match x.exchange.state {
                    ListeningState::AwaitingReflection => "waiting for a reflection",
                    ListeningState::AwaitingConfirmation => "waiting for the speaker",
                    ListeningState::Understood => "understood",
                };
                ctx.io.line(format!(
                    "{} · {} · {state}   [{}]",
                    x.speaker_name,
                    show::when(x.exchange.created),
                    show::short(&x.exchange.id)
                ));
                ctx.io.line(format!("  {}", x.exchange.statement));
                for line in ctx.backend.read(|j| {
                    hearth_core::words::provenance(false, &x.exchange.foreign, |p| show::name(j, p))
                }) {
                    ctx.io.line(format!("  ({line})"));
                }
                for s in steps {
                    ctx.io.line(format!("    {s}"));
                }
            }
            Ok(())
        }
    }
}

/// An "I" statement as JSON.
#[derive(Debug, Serialize)]
pub(crate) struct StatementView {
    #[serde(flatten)]
    statement: IStatement,
    author_name: String,
    private: bool,
}

fn statement_view(j: &Journal, s: IStatement) -> StatementView {
    StatementView {
        author_name: show::name(j, &s.author),
        private: s.shared_at.is_none(),
        statement: s,
    }
}

fn print_statement(ctx: &Ctx, id: &Id, human: &str) -> Result<()> {
    let s = ctx.backend.read(|j| {
        j.i_statements()
            .into_iter()
            .find(|s| &s.id == id)
            .map(|s| statement_view(j, s))
    });
    let s = s.context("the statement was saved but cannot be read back")?;
    ctx.io
        .report(&ctx.backend.read(|j| show::named(j, &s))?, human)
}

/// The id of one of this device's private "I" statement drafts.
fn draft_id(ctx: &Ctx, needle: &str) -> Result<Id> {
    let (ids, trashed) = ctx.backend.read(|j| {
        let ids: Vec<Id> = j
            .i_statements()
            .into_iter()
            .filter(|s| s.shared_at.is_none())
            .map(|s| s.id)
            .collect();
        (ids, show::trashed(j, &[Collection::Conversations]))
    });
    show::resolve_with_trash("private draft", ids, trashed, needle)
}

fn write_statement(ctx: &mut Ctx, a: &IStatementArgs) -> Result<()> {
    ctx.backend.person()?;
    let parts = IStatementParts {
        observation: a.observation.clone().unwrap_or_default(),
        feeling: a.feeling.clone(),
        need: a.need.clone().unwrap_or_default(),
        request: a.request.clone().unwrap_or_default(),
    };
    let found: Vec<CoachView<'_>> = [
        ("observation", &parts.observation),
        ("feeling", &parts.feeling),
        ("need", &parts.need),
        ("request", &parts.request),
    ]
    .into_iter()
    .flat_map(|(f, t)| hints(f, t))
    .collect();
    let visibility = if a.share {
        Visibility::Shared
    } else {
        Visibility::Private
    };
    let id = match &a.edit {
        Some(draft) => {
            let id = draft_id(ctx, draft)?;
            let edit = Intent::EditIStatement {
                id: id.clone(),
                parts: parts.clone(),
                share: a.share,
            };
            ctx.backend
                .apply(&edit)
                .context("could not change the statement")?;
            id
        }
        None => ctx
            .backend
            .create(&Intent::WriteIStatement {
                parts: parts.clone(),
                visibility,
            })
            .context("could not save the statement")?,
    };
    if ctx.io.json {
        #[derive(Serialize)]
        struct Out<'a> {
            statement: StatementView,
            hints: &'a [CoachView<'a>],
        }
        let statement = ctx
            .backend
            .read(|j| {
                j.i_statements()
                    .into_iter()
                    .find(|s| s.id == id)
                    .map(|s| statement_view(j, s))
            })
            .context("the statement was saved but cannot be read back")?;
        return ctx.io.emit_json(&ctx.backend.read(|j| {
            show::named(
                j,
                &Out {
                    statement,
                    hints: &found,
                },
            )
        })?);
    }
    if found.is_empty() {
        ctx.io.line("The coach found nothing blaming in it.");
    } else {
        ctx.io
            .line("The coach noticed words that may land as blame. Gentler ways to say them:");
        print_hints(&ctx.io, &found);
    }
    if a.share {
        ctx.io.line(format!(
            "Shared with your partner. Id: {}",
            show::short(&id)
        ));
    } else {
        ctx.io.line(format!(
            "Kept as a private draft on your own devices. Share it when you are ready: \
             hearth i-statement share {}",
            show::short(&id)
        ));
    }
    Ok(())
}

pub(crate) fn i_statement(ctx: &mut Ctx, c: &IStatementCommand) -> Result<()> {
    match c {
        IStatementCommand::Write(a) => write_statement(ctx, a),
        IStatementCommand::Share(a) => {
            let id = draft_id(ctx, &a.id)?;
            ctx.backend
                .apply(&Intent::Share { id: id.clone() })
                .context("could not share the statement")?;
            print_statement(ctx, &id, "Shared with your partner.")
        }
        IStatementCommand::List => {
            let list: Vec<StatementView> = ctx.backend.read(|j| {
                j.i_statements()
                    .into_iter()
                    .map(|s| statement_view(j, s))
                    .collect()
            });
            if ctx.io.json {
                return ctx
                    .io
                    .emit_json(&ctx.backend.read(|j| show::named(j, &list))?);
            }
            if list.is_empty() {
                ctx.io.line(
                    "No \"I\" statements yet. Try one: hearth i-statement write --feeling \"I felt ...\"",
                );
            }
            for s in &list {
                let private = if s.private { " · private draft" } else { "" };
                ctx.io.line(format!(
                    "{} · {}{private}   [{}]",
                    s.author_name,
                    show::when(s.statement.created),
                    show::short(&s.statement.id)
                ));
                ctx.io.line(format!("  {}", s.statement.parts.sentence()));
                for line in ctx.backend.read(|j| {
                    hearth_core::words::provenance(false, &s.statement.foreign, |p| {
                        show::name(j, p)
                    })
                }) {
                    ctx.io.line(format!("  ({line})"));
                }
            }
            Ok(())
        }
    }
}

/// A repair as JSON.
#[derive(Debug, Serialize)]
pub(crate) struct RepairView {
    #[serde(flatten)]
    repair: Repair,
    author_name: String,
    private: bool,
}

fn repair_view(j: &Journal, r: Repair) -> RepairView {
    RepairView {
        author_name: show::name(j, &r.author),
        private: r.shared_at.is_none(),
        repair: r,
    }
}

fn repair_id(ctx: &Ctx, needle: &str, private_only: bool) -> Result<Id> {
    let ids: Vec<Id> = ctx.backend.read(|j| {
        j.repairs()
            .into_iter()
            .filter(|r| !private_only || r.shared_at.is_none())
            .map(|r| r.id)
            .collect()
    });
    show::resolve("repair", ids, needle)
}

fn print_repair(ctx: &Ctx, id: &Id, human: &str) -> Result<()> {
    let r = ctx.backend.read(|j| {
        j.repairs()
            .into_iter()
            .find(|r| &r.id == id)
            .map(|r| repair_view(j, r))
    });
    let r = r.context("the repair was saved but cannot be read back")?;
    ctx.io
        .report(&ctx.backend.read(|j| show::named(j, &r))?, human)
}

pub(crate) fn repair(ctx: &mut Ctx, c: &RepairCommand) -> Result<()> {
    match c {
        RepairCommand::Hurt(a) => {
            let visibility = if a.share {
                Visibility::Shared
            } else {
                Visibility::Private
            };
            let hurt = Intent::WriteHurt {
                text: a.text.clone(),
                visibility,
            };
            let id = ctx
                .backend
                .create(&hurt)
                .context("could not write the hurt down")?;
            let human = if a.share {
                format!(
                    "Shared with your partner, who can acknowledge it. Id: {}",
                    show::short(&id)
                )
            } else {
                format!(
                    "Written down, privately. Share it when you are ready: hearth repair share {}",
                    show::short(&id)
                )
            };
            print_repair(ctx, &id, &human)
        }
        RepairCommand::Acknowledge(a) => {
            let id = repair_id(ctx, &a.id, false)?;
            let acknowledge = Intent::AcknowledgeHurt {
                id: id.clone(),
                words: a.words.clone(),
            };
            ctx.backend
                .apply(&acknowledge)
                .context("could not acknowledge the hurt")?;
            print_repair(
                ctx,
                &id,
                "Acknowledged. Naming it together is the start of mending it.",
            )
        }
        RepairCommand::Understood(a) => {
            let id = repair_id(ctx, &a.id, false)?;
            ctx.backend
                .apply(&Intent::MarkUnderstood { id: id.clone() })
                .context("could not mark it understood")?;
            print_repair(ctx, &id, "Marked understood.")
        }
        RepairCommand::Release(a) => {
            let id = repair_id(ctx, &a.id, false)?;
            ctx.backend
                .apply(&Intent::ReleaseHurt { id: id.clone() })
                .context("could not mark it released")?;
            print_repair(
                ctx,
                &id,
                "Released. It stays written, with every step dated; letting go is not forgetting.",
            )
        }
        RepairCommand::Share(a) => {
            let id = repair_id(ctx, &a.id, true)?;
            ctx.backend
                .apply(&Intent::Share { id: id.clone() })
                .context("could not share the hurt")?;
            print_repair(ctx, &id, "Shared with your partner.")
        }
        RepairCommand::List => {
            let list: Vec<(RepairView, Vec<String>)> = ctx.backend.read(|j| {
                j.repairs()
                    .into_iter()
                    .map(|r| {
                        let mut steps = Vec::new();
                        if let Some((at, words)) = &r.acknowledged {
                            let words = words
                                .as_deref()
                                .map(|w| format!(": {w}"))
                                .unwrap_or_default();
                            steps.push(format!("acknowledged {}{words}", show::when(*at)));
                        }
                        if let Some(at) = r.understood_at {
                            steps.push(format!("understood {}", show::when(at)));
                        }
                        for (p, at) in &r.released {
                            steps.push(format!(
                                "released by {} {}",
                                show::name(j, p),
                                show::when(*at)
                            ));
                        }
                        (repair_view(j, r), steps)
                    })
                    .collect()
            });
            if ctx.io.json {
                let views: Vec<&RepairView> = list.iter().map(|(v, _)| v).collect();
                return ctx
                    .io
                    .emit_json(&ctx.backend.read(|j| show::named(j, &views))?);
            }
            if list.is_empty() {
                ctx.io
                    .line("No repairs written. May it stay light between you.");
            }
            for (r, steps) in &list {
                let private = if r.private { " · private" } else { "" };
                ctx.io.line(format!(
                    "{} · {}{private}   [{}]",
                    r.author_name,
                    show::when(r.repair.created),
                    show::short(&r.repair.id)
                ));
                ctx.io.line(format!("  {}", r.repair.hurt));
                for line in ctx.backend.read(|j| {
                    hearth_core::words::provenance(false, &r.repair.foreign, |p| show::name(j, p))
                }) {
                    ctx.io.line(format!("  ({line})"));
                }
                for s in steps {
                    ctx.io.line(format!("    {s}"));
                }
            }
            Ok(())
        }
    }
}
