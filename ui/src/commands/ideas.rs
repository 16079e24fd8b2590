//! The idea deck ("I'd enjoy this", matches) and small kindnesses (the log and the buckets).

use anyhow::{Context, Result};
use hearth_core::intent::Intent;
use hearth_core::{Collection, Id, Idea, IdeaKind, Journal, KindnessAct, KindnessBucket};
use serde::Serialize;

use super::Ctx;
use crate::cli::{Bucket, IdeaCommand, IdeaKindArg, IdeasArgs, KindnessCommand};
use crate::show;

/// An idea as JSON, with names.
#[derive(Debug, Serialize)]
pub(crate) struct IdeaView {
    #[serde(flatten)]
    idea: Idea,
    added_by_name: String,
    enjoyed_by_names: Vec<String>,
}

fn view(j: &Journal, idea: Idea) -> IdeaView {
    IdeaView {
        added_by_name: show::name(j, &idea.added_by),
        enjoyed_by_names: idea.enjoyed_by.iter().map(|p| show::name(j, p)).collect(),
        idea,
    }
}

/// A kindness as JSON, with the name of who did it.
#[derive(Debug, Serialize)]
pub(crate) struct KindnessView {
    #[serde(flatten)]
    act: KindnessAct,
    by_name: String,
}

fn kind(k: IdeaKindArg) -> IdeaKind {
    match k {
        IdeaKindArg::Date => IdeaKind::Date,
        IdeaKindArg::Kindness => IdeaKind::Kindness,
        IdeaKindArg::Question => IdeaKind::Question,
    }
}

pub(crate) fn bucket(b: Bucket) -> KindnessBucket {
    match b {
        Bucket::Words => KindnessBucket::Words,
        Bucket::Help => KindnessBucket::Help,
        Bucket::Gifts => KindnessBucket::Gifts,
        Bucket::Time => KindnessBucket::Time,
        Bucket::Touch => KindnessBucket::Touch,
    }
}

pub(crate) fn idea(ctx: &mut Ctx, c: &IdeaCommand) -> Result<()> {
    match c {
        IdeaCommand::Add(a) => {
            let add = Intent::AddIdea {
                kind: kind(a.kind),
                title: a.title.clone(),
                bucket: a.bucket.map(bucket),
                enjoy: false,
            };
            let id = ctx.backend.create(&add).context("could not add the idea")?;
            print_one(
                ctx,
                &id,
                &format!(
                    "Added to the deck. If it appeals to you too: hearth idea enjoy {}",
                    show::short(&id)
                ),
            )
        }
        IdeaCommand::Enjoy(a) => {
            let id = idea_id(ctx, &a.id)?;
            let mark = Intent::MarkIdea {
                id: id.clone(),
                enjoy: !a.undo,
            };
            ctx.backend
                .apply(&mark)
                .context("could not mark the idea")?;
            let matched = ctx
                .backend
                .read(|j| j.matched_ideas().iter().any(|i| i.id == id));
            let human = match (a.undo, matched) {
                (true, _) => "Your mark is taken back.",
                (false, true) => "You both would enjoy this one. A match!",
                (false, false) => "Marked: you'd enjoy this.",
            };
            print_one(ctx, &id, human)
        }
        IdeaCommand::List(a) => list(ctx, a),
    }
}

pub(super) fn idea_id(ctx: &Ctx, needle: &str) -> Result<Id> {
    let (ids, trashed) = ctx.backend.read(|j| {
        let ids: Vec<Id> = j.ideas().into_iter().map(|i| i.id).collect();
        (ids, show::trashed(j, &[Collection::Ideas]))
    });
    show::resolve_with_trash("idea", ids, trashed, needle)
}

fn print_one(ctx: &Ctx, id: &Id, human: &str) -> Result<()> {
    let idea = ctx.backend.read(|j| {
        j.ideas()
            .into_iter()
            .find(|i| &i.id == id)
            .map(|i| view(j, i))
    });
    let idea = idea.context("the idea was saved but cannot be read back")?;
    ctx.io
        .report(&ctx.backend.read(|j| show::named(j, &idea))?, human)
}

pub(crate) fn list(ctx: &mut Ctx, a: &IdeasArgs) -> Result<()> {
    let wanted = a.kind.map(kind);
    let mut ideas: Vec<IdeaView> = ctx.backend.read(|j| {
        j.ideas()
            .into_iter()
            .filter(|i| !a.matches || i.matched)
            // The open questions have a deck of their own (`hearth question`); they show here
            // only when asked for.
            .filter(|i| match &wanted {
                Some(k) => &i.kind == k,
                None => i.kind != IdeaKind::Question,
            })
            .map(|i| view(j, i))
            .collect()
    });
    // Matches first, then the rest in the order they were added.
    ideas.sort_by_key(|i| !i.idea.matched);
    if ctx.io.json {
        return ctx
            .io
            .emit_json(&ctx.backend.read(|j| show::named(j, &ideas))?);
    }
    if ideas.is_empty() {
        if a.matches {
            ctx.io
                .line("No matches yet: mark the ideas you'd enjoy with `hearth idea enjoy ID`.");
        } else if wanted.as_ref().is_none_or(|k| k == &IdeaKind::Date) {
            ctx.io.line(
                "The deck is empty. A few to start from (add one with hearth idea add \"...\"):",
            );
            for idea in hearth_core::words::DATE_IDEAS.iter().take(5) {
                ctx.io.line(format!("  {idea}"));
            }
        } else {
            ctx.io
                .line("No ideas of that kind yet. Add one with hearth idea add \"...\".");
        }
        return Ok(());
    }
    for i in &ideas {
        let mark = if i.idea.matched {
            "♥ both"
        } else if i.enjoyed_by_names.is_empty() {
            "      "
        } else {
            "♡     "
        };
        let who = if i.idea.matched || i.enjoyed_by_names.is_empty() {
            String::new()
        } else {
            format!(" · {} would enjoy it", i.enjoyed_by_names.join(", "))
        };
        let bucket = i
            .idea
            .bucket
            .as_ref()
            .map(|b| format!(" · {b}"))
            .unwrap_or_default();
        ctx.io.line(format!(
            "{mark}  {} ({}{bucket}){who}   [{}]",
            i.idea.title,
            i.idea.kind,
            show::short(&i.idea.id)
        ));
    }
    Ok(())
}

/// A bucket's line and its starters (none for a bucket this version does not know).
fn starters(b: &KindnessBucket) -> (&'static str, &'static [&'static str]) {
    hearth_core::words::kindness_bucket(b).map_or(("", &[]), |k| (k.about, &k.starters[..]))
}

pub(crate) fn kindness(ctx: &mut Ctx, c: &KindnessCommand) -> Result<()> {
    match c {
        KindnessCommand::Log(a) => {
            let log = Intent::LogKindness {
                what: a.what.clone(),
                when: a.when,
                bucket: a.bucket.map(bucket),
            };
            let id = ctx
                .backend
                .create(&log)
                .context("could not log the kindness")?;
            let act = ctx.backend.read(|j| {
                j.kindness_log()
                    .into_iter()
                    .find(|k| k.id == id)
                    .map(|k| KindnessView {
                        by_name: show::name(j, &k.by),
                        act: k,
                    })
            });
            let act = act.context("the kindness was saved but cannot be read back")?;
            if ctx.io.json {
                return ctx
                    .io
                    .emit_json(&ctx.backend.read(|j| show::named(j, &act))?);
            }
            ctx.io.line(format!(
                "Logged. Small things add up to a lot. Id: {}",
                show::short(&act.act.id)
            ));
            Ok(())
        }
        KindnessCommand::List => {
            let log: Vec<KindnessView> = ctx.backend.read(|j| {
                j.kindness_log()
                    .into_iter()
                    .map(|k| KindnessView {
                        by_name: show::name(j, &k.by),
                        act: k,
                    })
                    .collect()
            });
            if ctx.io.json {
                return ctx
                    .io
                    .emit_json(&ctx.backend.read(|j| show::named(j, &log))?);
            }
            if log.is_empty() {
                ctx.io.line(
                    "Nothing logged yet. Did something kind? hearth kindness log \"Made breakfast\"",
                );
            }
            for k in &log {
                let bucket = k
                    .act
                    .bucket
                    .as_ref()
                    .map(|b| format!(" · {b}"))
                    .unwrap_or_default();
                ctx.io.line(format!(
                    "{}  {}: {}{bucket}   [{}]",
                    show::when(k.act.when),
                    k.by_name,
                    k.act.what,
                    show::short(&k.act.id)
                ));
            }
            Ok(())
        }
        KindnessCommand::Buckets => buckets(ctx),
    }
}

/// A bucket as JSON: what it holds, and the ideas in the deck for it.
#[derive(Debug, Serialize)]
struct BucketView {
    bucket: KindnessBucket,
    about: &'static str,
    ideas: Vec<String>,
    starters: Vec<&'static str>,
}

fn buckets(ctx: &mut Ctx) -> Result<()> {
    let deck = ctx.backend.read(|j| j.ideas());
    let views: Vec<BucketView> = KindnessBucket::KNOWN
        .iter()
        .map(|b| {
            let bucket = KindnessBucket::from((*b).to_owned());
            let (about, starters) = starters(&bucket);
            BucketView {
                ideas: deck
                    .iter()
                    .filter(|i| i.kind == IdeaKind::Kindness && i.bucket.as_ref() == Some(&bucket))
                    .map(|i| i.title.clone())
                    .collect(),
                starters: starters.to_vec(),
                about,
                bucket,
            }
        })
        .collect();
    if ctx.io.json {
        return ctx
            .io
            .emit_json(&ctx.backend.read(|j| show::named(j, &views))?);
    }
    ctx.io
        .line("A menu to pick from, not a test: most people enjoy a bit of each.");
    for v in &views {
        ctx.io.line("");
        ctx.io.line(format!("{}: {}", v.bucket, v.about));
        for i in &v.ideas {
            ctx.io.line(format!("  · {i}"));
        }
        for s in &v.starters {
            ctx.io.line(format!("  · {s}"));
        }
    }
    ctx.io.line("");
    ctx.io
        .line("Add your own: hearth idea add \"...\" --kind kindness --bucket help");
    Ok(())
}
