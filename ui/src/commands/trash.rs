//! Soft delete: items go to the trash and can come back for 30 days.

use anyhow::{Context, Result};
use hearth_core::intent::{Applied, Intent};
use hearth_core::{Collection, Id, Journal, TrashEntry, WallFilter};
use serde::Serialize;

use super::Ctx;
use crate::cli::TrashCommand;
use crate::show;

/// Every live item's id, whatever its kind.
pub(super) fn all_ids(j: &Journal) -> Vec<Id> {
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

/// A trash entry as JSON: who wrote the item and who deleted it, each with a name.
#[derive(Debug, Serialize)]
struct TrashView {
    #[serde(flatten)]
    entry: TrashEntry,
    deleted_by_name: String,
    author: Option<Id>,
    author_name: Option<String>,
}

fn trash_views(j: &Journal) -> Vec<TrashView> {
    j.trash()
        .into_iter()
        .map(|t| {
            let author = j.item_author(&t.id);
            TrashView {
                deleted_by_name: show::name(j, &t.deleted_by),
                author_name: author.as_ref().map(|a| show::name(j, a)),
                author,
                entry: t,
            }
        })
        .collect()
}

/// What the trash calls a kind of item: the word the commands use.
fn noun(c: Collection) -> &'static str {
    match c {
        Collection::Appreciations => "note",
        other => other.noun(),
    }
}

#[derive(Debug, Serialize)]
struct Moved<'a> {
    id: &'a Id,
    action: &'a str,
}

/// `hearth edit ID TEXT`: the one text of any item, rewritten by whoever may.
pub(crate) fn edit(ctx: &mut Ctx, needle: &str, text: &str) -> Result<()> {
    let (ids, trashed) = ctx.backend.read(|j| (all_ids(j), show::trashed(j, &[])));
    let id = show::resolve_with_trash("item", ids, trashed, needle)?;
    ctx.backend.person()?;
    if ctx
        .backend
        .read(|j| j.i_statements().iter().any(|s| s.id == id))
    {
        anyhow::bail!(
            "an \"I\" statement has four parts; rewrite them together with `hearth i-statement write --edit {} --feeling ...`",
            show::short(&id)
        );
    }
    let edit = Intent::EditText {
        id: id.clone(),
        text: text.to_owned(),
    };
    ctx.backend.apply(&edit).context("could not change it")?;
    let collection = ctx
        .backend
        .read(|j| j.collection_of(&id))
        .context("the item was changed but is gone")?;
    let what = noun(collection);
    let mut human = what[..1].to_uppercase();
    human.push_str(&what[1..]);
    let human = format!("{human} {} changed.", show::short(&id));
    if ctx.io.json {
        return ctx.io.emit_json(&Moved {
            id: &id,
            action: "edited",
        });
    }
    ctx.io.line(human);
    Ok(())
}

pub(crate) fn delete(ctx: &mut Ctx, needle: &str) -> Result<()> {
    let (ids, trashed) = ctx.backend.read(|j| (all_ids(j), show::trashed(j, &[])));
    let id = show::resolve_with_trash("item", ids, trashed, needle)?;
    ctx.backend
        .apply(&Intent::Delete { id: id.clone() })
        .context("could not delete it")?;
    if ctx.io.json {
        return ctx.io.emit_json(&ctx.backend.read(|j| {
            show::named(
                j,
                &Moved {
                    id: &id,
                    action: "deleted",
                },
            )
        })?);
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
            let (ids, live) = ctx.backend.read(|j| {
                let ids: Vec<Id> = j.trash().into_iter().map(|t| t.id).collect();
                (ids, all_ids(j))
            });
            let id = match show::resolve("item in the trash", ids, &a.id) {
                Ok(id) => id,
                Err(e) => match show::resolve("item", live, &a.id) {
                    Ok(id) => anyhow::bail!(
                        "{} is not in the trash: it is where it was",
                        show::short(&id)
                    ),
                    Err(_) => return Err(e),
                },
            };
            ctx.backend
                .apply(&Intent::Restore { id: id.clone() })
                .context("could not restore it")?;
            if ctx.io.json {
                return ctx.io.emit_json(&ctx.backend.read(|j| {
                    show::named(
                        j,
                        &Moved {
                            id: &id,
                            action: "restored",
                        },
                    )
                })?);
            }
            ctx.io.line("It is back where it was.");
            Ok(())
        }
        TrashCommand::Purge => {
            let n = match ctx
                .backend
                .apply(&Intent::PurgeTrash)
                .context("could not empty the old trash")?
            {
                Applied::Purged(n) => n,
                other => anyhow::bail!("emptying the trash said {other:?}"),
            };
            if ctx.io.json {
                #[derive(Serialize)]
                struct Purged {
                    purged: usize,
                }
                return ctx.io.emit_json(
                    &ctx.backend
                        .read(|j| show::named(j, &Purged { purged: n }))?,
                );
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
                return ctx
                    .io
                    .emit_json(&ctx.backend.read(|j| show::named(j, &list))?);
            }
            if list.is_empty() {
                ctx.io.line("The trash is empty.");
            }
            for t in &list {
                let by = match &t.author_name {
                    Some(name) => format!(" by {name}"),
                    None => String::new(),
                };
                ctx.io.line(format!(
                    "{}{by}: {}   [{}]",
                    noun(t.entry.collection),
                    t.entry.preview,
                    show::short(&t.entry.id)
                ));
                ctx.io.line(format!(
                    "  deleted by {} on {}; kept until {}",
                    t.deleted_by_name,
                    show::when(t.entry.deleted_at),
                    show::when(t.entry.purge_after)
                ));
            }
            Ok(())
        }
    }
}
