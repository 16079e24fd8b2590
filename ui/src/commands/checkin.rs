//! Daily check-ins and the week in review. Counts are gentle and private; there is no score.

use anyhow::{Context, Result};
use chrono::{Days, Local};
use hearth_core::intent::Intent;
use hearth_core::{CheckIn, Timestamp};
use serde::Serialize;

use super::Ctx;
use crate::cli::{CheckinArgs, CheckinsArgs};
use crate::show;

/// A check-in as JSON, with the person's name.
#[derive(Debug, Serialize)]
pub(crate) struct CheckInView {
    #[serde(flatten)]
    checkin: CheckIn,
    partner_name: String,
}

pub(crate) fn checkin(ctx: &mut Ctx, a: &CheckinArgs) -> Result<()> {
    let me = ctx.backend.person()?;
    let day = a.day.unwrap_or_else(|| Local::now().date_naive());
    let check_in = Intent::CheckIn {
        mood: a.mood,
        closeness: a.closeness,
        note: a.note.clone(),
        day: Some(day),
    };
    let id = ctx
        .backend
        .create(&check_in)
        .context("could not save the check-in")?;
    let saved = ctx.backend.read(|j| {
        j.checkins(Some(&me), Some(day), Some(day))
            .into_iter()
            .find(|c| c.id == id)
            .map(|c| CheckInView {
                partner_name: show::name(j, &c.partner),
                checkin: c,
            })
    });
    let saved = saved.context("the check-in was saved but cannot be read back")?;
    if ctx.io.json {
        return ctx.io.emit_json(&saved);
    }
    ctx.io.line(format!(
        "Checked in for {day}: mood {}, closeness {}. Thank you for taking a moment.",
        a.mood, a.closeness
    ));
    Ok(())
}

pub(crate) fn checkins(ctx: &mut Ctx, a: &CheckinsArgs) -> Result<()> {
    let today = Local::now().date_naive();
    // More days than the calendar holds before today means every check-in, not none.
    let from = today.checked_sub_days(Days::new(u64::from(a.days.saturating_sub(1))));
    let list: Vec<CheckInView> = ctx.backend.read(|j| {
        j.checkins(None, from, Some(today))
            .into_iter()
            .map(|c| CheckInView {
                partner_name: show::name(j, &c.partner),
                checkin: c,
            })
            .collect()
    });
    if ctx.io.json {
        return ctx.io.emit_json(&list);
    }
    if list.is_empty() {
        let since = match from {
            Some(from) => format!("No check-ins since {from}."),
            None => "No check-ins yet.".to_owned(),
        };
        ctx.io.line(format!(
            "{since} A few seconds a day is enough: hearth checkin --mood 4 --closeness 4"
        ));
        return Ok(());
    }
    for c in &list {
        let note = c
            .checkin
            .note
            .as_deref()
            .map(|n| format!(" · {n}"))
            .unwrap_or_default();
        ctx.io.line(format!(
            "{}  {:<12} mood {}  closeness {}{note}",
            c.checkin.day, c.partner_name, c.checkin.mood, c.checkin.closeness
        ));
    }
    Ok(())
}

pub(crate) fn week(ctx: &mut Ctx) -> Result<()> {
    let today = Local::now().date_naive();
    let summary = ctx
        .backend
        .read(|j| j.week_summary(today, Timestamp::now()));
    if ctx.io.json {
        return ctx.io.emit_json(&summary);
    }
    ctx.io.line(format!(
        "Your week, {} to {}",
        summary.from.format("%a %-d %b"),
        summary.to.format("%a %-d %b")
    ));
    ctx.io.line("");
    if summary.appreciations.is_empty() {
        ctx.io
            .line("No notes on the wall this week yet. Is there something you were glad of?");
    } else {
        ctx.io.line("Thank-yous this week");
        let lines: Vec<String> = ctx.backend.read(|j| {
            summary
                .appreciations
                .iter()
                .map(|a| format!("  {}: {}", show::name(j, &a.author), a.text))
                .collect()
        });
        for l in lines {
            ctx.io.line(l);
        }
    }
    for p in &summary.partners {
        ctx.io.line("");
        let mut done = Vec::new();
        if p.appreciations > 0 {
            done.push(show::count(p.appreciations, "note", "notes"));
        }
        if p.kindnesses > 0 {
            done.push(show::count(p.kindnesses, "kindness", "kindnesses"));
        }
        ctx.io.line(if done.is_empty() {
            format!("{}: a quiet week", p.name)
        } else {
            format!("{}: {}", p.name, done.join(", "))
        });
        if !p.checkins.is_empty() {
            let moods: Vec<String> = p
                .checkins
                .iter()
                .map(|c| format!("{} {}/{}", c.day.format("%a"), c.mood, c.closeness))
                .collect();
            ctx.io
                .line(format!("  mood/closeness: {}", moods.join("  ")));
        }
    }
    ctx.io.line("");
    ctx.io.line(
        "For your weekly talk: start with the thank-yous, then what went well, one thing to \
         work on, and \"what would make you feel loved this week?\"",
    );
    Ok(())
}
