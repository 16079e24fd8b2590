//! The wall: notes of thanks and love notes, reactions, and what the home display may show.

use anyhow::{Context, Result};
use hearth_core::intent::Intent;
use hearth_core::{Appreciation, Collection, Id, Journal, JournalError, WallFilter};
use serde::Serialize;

use super::Ctx;
use crate::cli::{NoteArgs, ReactArgs, WallArgs, WallSafeArgs};
use crate::show;

/// A note as JSON: the stored fields and the author's name.
#[derive(Debug, Serialize)]
pub(crate) struct NoteView {
    #[serde(flatten)]
    note: Appreciation,
    author_name: String,
}

pub(crate) fn view(j: &Journal, note: Appreciation) -> NoteView {
    NoteView {
        author_name: show::name(j, &note.author),
        note,
    }
}

fn note_id(ctx: &Ctx, needle: &str) -> Result<Id> {
    let (ids, trashed) = ctx.backend.read(|j| {
        let ids: Vec<Id> = j
            .wall(&WallFilter::default())
            .into_iter()
            .map(|n| n.id)
            .collect();
        (ids, show::trashed(j, &[Collection::Appreciations]))
    });
    show::resolve_with_trash("note", ids, trashed, needle)
}

/// The journal calls a note an appreciation; the person wrote a note, so errors about its text
/// say "the note".
fn as_note(e: JournalError) -> JournalError {
    const NOTE: &str = "the note";
    match e {
        JournalError::Empty {
            field: "appreciation",
        } => JournalError::Empty { field: NOTE },
        JournalError::TooLong {
            field: "appreciation",
            len,
            max,
        } => JournalError::TooLong {
            field: NOTE,
            len,
            max,
        },
        JournalError::ControlCharacter {
            field: "appreciation",
        } => JournalError::ControlCharacter { field: NOTE },
        other => other,
    }
}

fn print_one(ctx: &Ctx, id: &Id, human: &str) -> Result<()> {
    let note = ctx
        .backend
        .read(|j| j.appreciation(id).map(|n| view(j, n)))?;
    ctx.io
        .report(&ctx.backend.read(|j| show::named(j, &note))?, human)
}

pub(crate) fn note(ctx: &mut Ctx, a: &NoteArgs) -> Result<()> {
    if let Some(edit) = &a.edit {
        let id = note_id(ctx, edit)?;
        let edit = Intent::EditNote {
            id: id.clone(),
            text: a.text.clone(),
            wall_safe: a.wall_safe.then_some(true),
        };
        ctx.backend
            .apply_worded(&edit, as_note)
            .context("could not change the note")?;
        return print_one(ctx, &id, &format!("Note {} updated.", show::short(&id)));
    }
    let author = ctx.backend.author(a.author.as_deref())?;
    let add = Intent::AddNote {
        text: a.text.clone(),
        wall_safe: a.wall_safe,
        author: Some(author),
    };
    let id = ctx
        .backend
        .apply_worded(&add, as_note)
        .and_then(crate::backend::created)
        .context("could not add the note")?;
    let on_display = ctx.backend.read(|j| j.is_home());
    let where_ = if on_display {
        "It shows here now, and goes into the journal when a phone of yours next syncs with \
         this display."
    } else if a.wall_safe {
        "It will show on the home display too."
    } else {
        "Only the two of you will see it; add --wall-safe to a note for the home display."
    };
    print_one(
        ctx,
        &id,
        &format!("Added to the wall. {where_} Id: {}", show::short(&id)),
    )
}

pub(crate) fn wall(ctx: &mut Ctx, a: &WallArgs) -> Result<()> {
    let author = match &a.by {
        Some(name) => Some(ctx.backend.read(|j| j.find_partner(name))?.id),
        None => None,
    };
    let filter = WallFilter {
        author,
        wall_safe_only: a.wall_safe,
        limit: a.limit,
        ..WallFilter::default()
    };
    let notes: Vec<NoteView> = ctx
        .backend
        .read(|j| j.wall(&filter).into_iter().map(|n| view(j, n)).collect());
    if ctx.io.json {
        return ctx
            .io
            .emit_json(&ctx.backend.read(|j| show::named(j, &notes))?);
    }
    if notes.is_empty() {
        ctx.io.line(
            "The wall is empty for now. Leave the first note: hearth note \"Thank you for ...\"",
        );
        return Ok(());
    }
    let reactor_names = ctx.backend.read(|j| {
        notes
            .iter()
            .map(|n| {
                n.note
                    .reactions
                    .iter()
                    .map(|(p, r)| format!("{r} {}", show::name(j, p)))
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    });
    for (n, reactions) in notes.iter().zip(reactor_names) {
        let display = if n.note.wall_safe {
            " · on the display"
        } else {
            ""
        };
        ctx.io.line(format!(
            "{} · {}{display}   [{}]",
            n.author_name,
            show::when(n.note.created),
            show::short(&n.note.id)
        ));
        for line in show::wrap(&n.note.text, 76) {
            ctx.io.line(format!("  {line}"));
        }
        if !reactions.is_empty() {
            ctx.io.line(format!("  {}", reactions.join("  ")));
        }
        let origin = ctx.backend.read(|j| {
            hearth_core::words::provenance(n.note.left_on_display, &n.note.foreign, |p| {
                show::name(j, p)
            })
        });
        for line in origin {
            ctx.io.line(format!("  ({line})"));
        }
        ctx.io.line("");
    }
    Ok(())
}

pub(crate) fn react(ctx: &mut Ctx, a: &ReactArgs) -> Result<()> {
    let id = note_id(ctx, &a.id)?;
    let reaction = (!a.remove).then_some(a.reaction.as_str());
    let react = Intent::React {
        id: id.clone(),
        reaction: reaction.map(str::to_owned),
    };
    ctx.backend
        .apply(&react)
        .context("could not react to the note")?;
    let human = match reaction {
        Some(r) => format!("You reacted {r} to note {}.", show::short(&id)),
        None => format!("Your reaction to note {} is gone.", show::short(&id)),
    };
    print_one(ctx, &id, &human)
}

pub(crate) fn wall_safe(ctx: &mut Ctx, a: &WallSafeArgs) -> Result<()> {
    let id = note_id(ctx, &a.id)?;
    let on = a.state.on();
    let set = Intent::SetWallSafe {
        id: id.clone(),
        wall_safe: on,
    };
    ctx.backend
        .apply(&set)
        .context("could not change where the note shows")?;
    let human = if on {
        format!(
            "Note {} may now show on the home display.",
            show::short(&id)
        )
    } else {
        format!(
            "Note {} now stays off the home display, on your own devices only.",
            show::short(&id)
        )
    };
    print_one(ctx, &id, &human)
}
