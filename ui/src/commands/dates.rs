//! Date plans: planning, changing, marking done, reflecting, and the list.

use anyhow::{Context, Result};
use hearth_core::intent::Intent;
use hearth_core::{Collection, DateChange, DatePlan, DateStatus, Id, Journal, NewDate, Timestamp};
use serde::Serialize;

use super::Ctx;
use crate::cli::{DateCommand, DateEditArgs, DatePlanArgs, DatesArgs};
use crate::show;

/// A date as JSON: the stored fields and the names of the people in it.
#[derive(Debug, Serialize)]
pub(crate) struct DateView {
    #[serde(flatten)]
    date: DatePlan,
    planner_name: String,
}

fn view(j: &Journal, date: DatePlan) -> DateView {
    DateView {
        planner_name: show::name(j, &date.planner),
        date,
    }
}

/// Dates as JSON: still to come, over, and ideas without a time.
#[derive(Debug, Serialize)]
pub(crate) struct DatesView {
    upcoming: Vec<DateView>,
    past: Vec<DateView>,
    ideas: Vec<DateView>,
}

fn date_id(ctx: &Ctx, needle: &str) -> Result<Id> {
    let (ids, trashed) = ctx.backend.read(|j| {
        let ids: Vec<Id> = j.dates().into_iter().map(|d| d.id).collect();
        (ids, show::trashed(j, &[Collection::Dates]))
    });
    show::resolve_with_trash("date plan", ids, trashed, needle)
}

fn print_one(ctx: &Ctx, id: &Id, human: &str) -> Result<()> {
    let date = ctx.backend.read(|j| j.date(id).map(|d| view(j, d)))?;
    ctx.io
        .report(&ctx.backend.read(|j| show::named(j, &date))?, human)
}

pub(crate) fn date(ctx: &mut Ctx, c: &DateCommand) -> Result<()> {
    match c {
        DateCommand::Plan(a) => plan(ctx, a),
        DateCommand::Edit(a) => edit(ctx, a),
        DateCommand::Done(a) => status(ctx, &a.id, DateStatus::Done),
        DateCommand::Cancel(a) => status(ctx, &a.id, DateStatus::Cancelled),
        DateCommand::Reflect(a) => {
            let id = date_id(ctx, &a.id)?;
            let reflect = Intent::ReflectOnDate {
                id: id.clone(),
                text: a.text.clone(),
            };
            ctx.backend
                .apply(&reflect)
                .context("could not save your reflection")?;
            print_one(
                ctx,
                &id,
                "Your reflection is saved. Thank you for looking back together.",
            )
        }
    }
}

fn plan(ctx: &mut Ctx, a: &DatePlanArgs) -> Result<()> {
    if a.until.is_some() && a.when.is_none() {
        anyhow::bail!("--until needs --when: say when the date starts first");
    }
    ctx.backend.person()?;
    let title = match (&a.title, &a.from_idea) {
        (Some(title), _) => title.clone(),
        (None, Some(idea)) => {
            let id = super::ideas::idea_id(ctx, idea)?;
            ctx.backend
                .read(|j| j.ideas().into_iter().find(|i| i.id == id))
                .map(|i| i.title)
                .context("the idea is in the deck but cannot be read")?
        }
        (None, None) => {
            anyhow::bail!("say what the date is with --title, or plan an idea with --from-idea ID")
        }
    };
    let new = NewDate {
        title: title.clone(),
        start: a.when,
        end: a.until,
        place: a.place.clone(),
        notes: a.notes.clone(),
        tech_free: a.tech_free,
    };
    let id = ctx
        .backend
        .create(&Intent::PlanDate(new))
        .context("could not plan the date")?;
    let human = match a.when {
        Some(t) => format!(
            "Planned: {} on {}{}. Id: {}",
            title.trim(),
            show::when(t),
            if a.tech_free { ", screens away" } else { "" },
            show::short(&id)
        ),
        None => format!(
            "Kept as an idea for later: {}. Give it a time with `hearth date edit {} --when ...`.",
            title.trim(),
            show::short(&id)
        ),
    };
    print_one(ctx, &id, &human)
}

fn edit(ctx: &mut Ctx, a: &DateEditArgs) -> Result<()> {
    let id = date_id(ctx, &a.id)?;
    let current = ctx.backend.read(|j| j.date(&id))?;
    let change = DateChange {
        title: a.title.clone(),
        start: a.when,
        end: if a.no_end {
            Some(None)
        } else {
            a.until.map(Some)
        },
        place: if a.no_place {
            Some(None)
        } else {
            a.place.clone().map(Some)
        },
        notes: a.notes.clone(),
        tech_free: a.tech_free.map(|t| t.on()),
        // An idea that gets a time is on the calendar now.
        status: (a.when.is_some() && current.status == DateStatus::Idea)
            .then_some(DateStatus::Planned),
    };
    if change == DateChange::default() {
        anyhow::bail!(
            "nothing to change: pass --title, --when, --until, --place, --notes or --tech-free"
        );
    }
    let update = Intent::UpdateDate {
        id: id.clone(),
        change,
    };
    ctx.backend
        .apply(&update)
        .context("could not change the date")?;
    print_one(ctx, &id, &format!("Date {} updated.", show::short(&id)))
}

fn status(ctx: &mut Ctx, needle: &str, status: DateStatus) -> Result<()> {
    let id = date_id(ctx, needle)?;
    let change = DateChange {
        status: Some(status.clone()),
        ..Default::default()
    };
    let update = Intent::UpdateDate {
        id: id.clone(),
        change,
    };
    ctx.backend
        .apply(&update)
        .context("could not change the date")?;
    let human = if status == DateStatus::Done {
        format!(
            "Marked done. How was it? `hearth date reflect {} \"...\"`",
            show::short(&id)
        )
    } else {
        "Called off. It stays in the list, marked cancelled.".to_owned()
    };
    print_one(ctx, &id, &human)
}

fn print_date(ctx: &Ctx, d: &DateView, reflections: &[String]) {
    let date = &d.date;
    let mut head = match date.status {
        DateStatus::Idea => format!("  {}", date.title),
        _ => format!("  {}  {}", show::span(date.start, date.end), date.title),
    };
    if let Some(place) = &date.place {
        head.push_str(&format!(" · {place}"));
    }
    if date.tech_free {
        head.push_str(" · screens away");
    }
    match date.status {
        DateStatus::Done => head.push_str(" · done"),
        DateStatus::Cancelled => head.push_str(" · called off"),
        _ => {}
    }
    head.push_str(&format!("   [{}]", show::short(&date.id)));
    ctx.io.line(head);
    for line in show::wrap(&date.notes, 72) {
        if !line.is_empty() {
            ctx.io.line(format!("      {line}"));
        }
    }
    for r in reflections {
        ctx.io.line(format!("      {r}"));
    }
}

pub(crate) fn dates(ctx: &mut Ctx, a: &DatesArgs) -> Result<()> {
    let now = Timestamp::now();
    let (all, reflections) = ctx.backend.read(|j| {
        let view_all = |v: Vec<DatePlan>| v.into_iter().map(|d| view(j, d)).collect::<Vec<_>>();
        let all = DatesView {
            upcoming: view_all(j.dates_coming_up(now)),
            past: if a.upcoming {
                Vec::new()
            } else {
                view_all(j.dates_before(now, None))
            },
            ideas: if a.upcoming {
                Vec::new()
            } else {
                view_all(j.date_ideas())
            },
        };
        let reflections = |d: &DateView| {
            d.date
                .reflections
                .iter()
                .map(|(p, r)| format!("{}: {r}", show::name(j, p)))
                .collect::<Vec<_>>()
        };
        let r = (
            all.upcoming.iter().map(reflections).collect::<Vec<_>>(),
            all.past.iter().map(reflections).collect::<Vec<_>>(),
            all.ideas.iter().map(reflections).collect::<Vec<_>>(),
        );
        (all, r)
    });
    if ctx.io.json {
        return ctx
            .io
            .emit_json(&ctx.backend.read(|j| show::named(j, &all))?);
    }
    if a.upcoming && all.upcoming.is_empty() {
        ctx.io
            .line("Nothing coming up. Plan something: hearth date plan --title \"...\" --when ...");
        return Ok(());
    }
    if all.upcoming.is_empty() && all.past.is_empty() && all.ideas.is_empty() {
        ctx.io.line(
            "No dates yet. Plan one: hearth date plan --title \"Picnic\" --when 2026-06-12T18:00",
        );
        return Ok(());
    }
    let sections = [
        ("Coming up", &all.upcoming, &reflections.0),
        ("Before", &all.past, &reflections.1),
        ("Ideas for later", &all.ideas, &reflections.2),
    ];
    let mut first = true;
    for (title, list, refl) in sections {
        if list.is_empty() {
            continue;
        }
        if !first {
            ctx.io.line("");
        }
        first = false;
        ctx.io.line(title);
        for (d, r) in list.iter().zip(refl.iter()) {
            print_date(ctx, d, r);
        }
    }
    Ok(())
}
