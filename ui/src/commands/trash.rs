//! Soft delete: items go to the trash and can come back for 30 days.

use anyhow::{Context, Result};
use hearth_core::{Id, Journal, Timestamp, TrashEntry, WallFilter};
use serde::Serialize;

use super::Ctx;
use crate::cli::TrashCommand;
use crate::show;

/// Every live item's id, whatever its kind.
fn all_ids(j: &Journal) -> Vec<Id> {
    let mut ids: Vec<Id> = j
        .wall(&WallFilter::default())
        .into_iter()
        .map(|x| x.id)
        .collect();
    ids.extend(j.dates().into_iter().map(|x| x.id));
    ids.extend(j.ideas().into_iter().map(|x| x.id));
    ids.extend(j.kindness_log().into_iter().map(|x| x.id));
    ids.extend(j.checkins(None, None, None).into_iter().map(|x| x.id));
    ids.extend(j.listening_exchanges().into_iter().map(|x| x.id));
    ids.extend(j.i_statements().into_iter().map(|x| x.id));
    ids.extend(j.repairs().into_iter().map(|x| x.id));
    ids
}

/// A trash entry as JSON.
#[derive(Debug, Serialize)]
struct TrashView {
    #[serde(flatten)]
    entry: TrashEntry,
    deleted_by_name: String,
}

fn trash_views(j: &Journal) -> Vec<TrashView> {
    j.trash()
        .into_iter()
        .map(|t| TrashView {
            deleted_by_name: show::name(j, &t.deleted_by),
            entry: t,
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct Moved<'a> {
    id: &'a Id,
    action: &'a str,
}

pub(crate) fn delete(ctx: &mut Ctx, needle: &str) -> Result<()> {
    let ids = ctx.backend.read(all_ids);
    let id = show::resolve("item", ids, needle)?;
    let me = ctx.backend.person()?;
    ctx.backend
        .write(|j| j.delete(&id, &me, Timestamp::now()))
        .context("could not delete it")?;
    if ctx.io.json {
        return ctx.io.emit_json(&Moved {
            id: &id,
            action: "deleted",
        });
    }
    ctx.io.line(format!(
        "Moved to the trash. Changed your mind? hearth trash restore {} (for 30 days)",
        show::short(&id)
    ));
    Ok(())
}

pub(crate) fn trash(ctx: &mut Ctx, c: &TrashCommand) -> Result<()> {
    match c {
        TrashCommand::Delete(a) => delete(ctx, &a.id),
        TrashCommand::Restore(a) => {
            let ids: Vec<Id> = ctx
                .backend
                .read(|j| j.trash().into_iter().map(|t| t.id).collect());
            let id = show::resolve("item in the trash", ids, &a.id)?;
            ctx.backend
                .write(|j| j.restore(&id, Timestamp::now()))
                .context("could not restore it")?;
            if ctx.io.json {
                return ctx.io.emit_json(&Moved {
                    id: &id,
                    action: "restored",
                });
            }
            ctx.io.line("It is back where it was.");
            Ok(())
        }
        TrashCommand::Purge => {
            let n = ctx
                .backend
                .write(|j| j.purge_trash(Timestamp::now()))
                .context("could not empty the old trash")?;
            if ctx.io.json {
                #[derive(Serialize)]
                struct Purged {
                    purged: usize,
                }
                return ctx.io.emit_json(&Purged { purged: n });
            }
            ctx.io.line(match n {
                0 => "Nothing has been in the trash for 30 days; nothing was removed.".to_owned(),
                n => format!("Removed {} for good.", show::count(n, "item", "items")),
            });
            Ok(())
        }
        TrashCommand::List => {
            let list = ctx.backend.read(trash_views);
            if ctx.io.json {
                return ctx.io.emit_json(&list);
            }
            if list.is_empty() {
                ctx.io.line("The trash is empty.");
            }
            for t in &list {
                ctx.io.line(format!(
                    "{} · {}: {}   [{}]",
                    t.entry.collection.noun(),
                    t.deleted_by_name,
                    t.entry.preview,
                    show::short(&t.entry.id)
                ));
                ctx.io.line(format!(
                    "  deleted {}, kept until {}",
                    show::when(t.entry.deleted_at),
                    show::when(t.entry.purge_after)
                ));
            }
            Ok(())
        }
    }
}
