//! The open-question deck: tonight's question, answering privately, the answered pairs and
//! questions of one's own. Renders from `hearth_core::views::questions`, as the app does.

use anyhow::{Context, Result};
use chrono::Offset;
use hearth_core::intent::Intent;
use hearth_core::views::questions::{self, QuestionCard, QuestionsView};
use hearth_core::views::{Moment, People};
use hearth_core::{Collection, Id, Journal, Timestamp};
use serde::Serialize;

use super::Ctx;
use crate::cli::{QuestionAnswerArgs, QuestionCommand};
use crate::show;

/// A question as JSON: never an answer's words before both have answered.
#[derive(Debug, Serialize)]
struct QuestionOut {
    id: Id,
    text: String,
    theme: Option<String>,
    answers: Vec<AnswerOut>,
    both_answered: bool,
}

#[derive(Debug, Serialize)]
struct AnswerOut {
    by: String,
    by_name: String,
    at: Timestamp,
    /// The words, once opened (both have answered); `null` while sealed.
    text: Option<String>,
}

fn out(j: &Journal, q: hearth_core::Question) -> QuestionOut {
    QuestionOut {
        both_answered: q.both_answered(),
        answers: q
            .answers
            .iter()
            .map(|a| AnswerOut {
                by: a.by.to_string(),
                by_name: show::name(j, &a.by),
                at: a.at,
                text: a.opened.clone(),
            })
            .collect(),
        id: q.id,
        text: q.text,
        theme: q.theme,
    }
}

fn view(ctx: &mut Ctx) -> QuestionsView {
    let me = ctx.backend.me();
    let now = chrono::Local::now();
    let at = Moment {
        now: Timestamp::from(now),
        offset: now.offset().fix(),
    };
    ctx.backend
        .read(|j| questions::build(j, &People::of(j, me), at))
}

fn question_id(ctx: &Ctx, needle: &str) -> Result<Id> {
    let (ids, trashed) = ctx.backend.read(|j| {
        let ids: Vec<Id> = j.questions().into_iter().map(|q| q.id).collect();
        (ids, show::trashed(j, &[Collection::Ideas]))
    });
    show::resolve_with_trash("question", ids, trashed, needle)
}

fn print_card(ctx: &Ctx, c: &QuestionCard) {
    let id = show::short(&Id::from(c.id.as_str()));
    ctx.io.line(format!("  {}  [{id}]", c.text));
    ctx.io.line(format!("    {}", c.status));
}

pub(crate) fn question(ctx: &mut Ctx, c: &QuestionCommand) -> Result<()> {
    match c {
        QuestionCommand::Next => {
            let v = view(ctx);
            if ctx.io.json {
                let q = match &v.tonight {
                    Some(t) => {
                        let id = Id::from(t.id.as_str());
                        Some(ctx.backend.read(|j| j.question(&id).map(|q| out(j, q)))?)
                    }
                    None => None,
                };
                return ctx.io.emit_json(&q);
            }
            match &v.tonight {
                Some(t) => {
                    ctx.io.line("Tonight's question");
                    print_card(ctx, t);
                    if t.can_answer {
                        ctx.io.line(format!(
                            "  Answer with: hearth question answer {} \"...\"",
                            show::short(&Id::from(t.id.as_str()))
                        ));
                    }
                }
                None => ctx.io.line(
                    "You have answered every question in the deck. Add one of your own: \
                     hearth question add \"...\"",
                ),
            }
            Ok(())
        }
        QuestionCommand::Answer(QuestionAnswerArgs { id, text }) => {
            let id = question_id(ctx, id)?;
            let answer = Intent::AnswerQuestion {
                id: id.clone(),
                text: text.clone(),
            };
            ctx.backend
                .create(&answer)
                .context("could not save your answer")?;
            let q = ctx.backend.read(|j| j.question(&id).map(|q| out(j, q)))?;
            let human = if q.both_answered {
                "Both of you have answered. `hearth question list --answered` shows the two \
                 answers side by side (your partner's opens once their device syncs)."
            } else {
                "Saved and sealed: only your own devices can open it, and nobody sees it until \
                 your partner answers too. You can change it until then."
            };
            ctx.io.report(&q, human)
        }
        QuestionCommand::List(a) => {
            if ctx.io.json {
                let all: Vec<QuestionOut> = ctx.backend.read(|j| {
                    j.questions()
                        .into_iter()
                        .filter(|q| !a.answered || q.both_answered())
                        .map(|q| out(j, q))
                        .collect()
                });
                return ctx.io.emit_json(&all);
            }
            let v = view(ctx);
            if a.answered {
                if v.archive.is_empty() {
                    ctx.io.line(
                        "No question has both answers yet. `hearth question next` offers one.",
                    );
                }
                for p in &v.archive {
                    ctx.io.line(format!(
                        "{}  [{}]",
                        p.text,
                        show::short(&Id::from(p.id.as_str()))
                    ));
                    for ans in &p.answers {
                        ctx.io
                            .line(format!("  {} ({}): {}", ans.name, ans.when, ans.text));
                    }
                }
                return Ok(());
            }
            ctx.io.line(format!("The deck holds {} questions.", v.deck));
            if let Some(t) = &v.tonight {
                ctx.io.line("Tonight's question");
                print_card(ctx, t);
            }
            if !v.waiting.is_empty() {
                ctx.io.line("Waiting for an answer");
                for c in &v.waiting {
                    print_card(ctx, c);
                }
            }
            ctx.io.line(format!(
                "{} answered by both (`hearth question list --answered`).",
                v.archive.len()
            ));
            Ok(())
        }
        QuestionCommand::Add(a) => {
            let id = ctx
                .backend
                .create(&Intent::AddQuestion {
                    text: a.text.clone(),
                })
                .context("could not add the question")?;
            let q = ctx.backend.read(|j| j.question(&id).map(|q| out(j, q)))?;
            let human = format!(
                "Added to the deck [{}]. Either of you can answer it: hearth question answer {} \"...\"",
                show::short(&id),
                show::short(&id)
            );
            ctx.io.report(&q, &human)
        }
    }
}
