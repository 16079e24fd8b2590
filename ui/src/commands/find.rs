//! Looking things up: `hearth search` over everything this device may read, and `hearth status`,
//! this device at a glance.

use anyhow::Result;
use automerge::ChangeHash;
use hearth_core::membership::Standing;
use hearth_core::{Collection, DeviceKind, DeviceOwner, DocKind, DocSlot, Found, Timestamp};
use serde::Serialize;

use super::Ctx;
use crate::cli::SearchArgs;
use crate::show;

/// What a search result is called: the words the commands use.
fn noun(found: &Found) -> &'static str {
    match found.collection {
        Collection::Appreciations => "note",
        other => other.noun(),
    }
}

/// The matching text on one line, about `width` characters around the first match.
fn excerpt(text: &str, needle: &str, width: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars: Vec<char> = flat.chars().collect();
    if chars.len() <= width {
        return flat;
    }
    let lower: Vec<char> = flat.to_lowercase().chars().collect();
    let wanted: Vec<char> = needle.trim().to_lowercase().chars().collect();
    let at = (0..lower.len().saturating_sub(wanted.len()) + 1)
        .find(|&i| lower.get(i..i + wanted.len()) == Some(&wanted[..]))
        .unwrap_or(0);
    let start = at.saturating_sub(width / 3).min(chars.len() - width);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.extend(&chars[start..start + width]);
    if start + width < chars.len() {
        out.push('…');
    }
    out
}

pub(crate) fn search(ctx: &mut Ctx, a: &SearchArgs) -> Result<()> {
    if a.text.trim().is_empty() {
        anyhow::bail!("say what to look for, e.g. hearth search \"picnic\"");
    }
    let mut found = ctx.backend.read(|j| j.search(&a.text));
    let total = found.len();
    found.truncate(a.limit);
    if ctx.io.json {
        return ctx
            .io
            .emit_json(&ctx.backend.read(|j| show::named(j, &found))?);
    }
    if found.is_empty() {
        ctx.io.line(format!(
            "Nothing holds \"{}\" among what this device can read.",
            show::safe(a.text.trim())
        ));
        return Ok(());
    }
    let lines: Vec<String> = ctx.backend.read(|j| {
        found
            .iter()
            .map(|f| {
                format!(
                    "{} · {} · {}   [{}]\n  {}",
                    noun(f),
                    show::name(j, &f.who),
                    show::when(f.when),
                    show::short(&f.id),
                    show::safe(&excerpt(&f.text, &a.text, 100))
                )
            })
            .collect()
    });
    for l in lines {
        ctx.io.line(l);
    }
    if total > found.len() {
        ctx.io.line(format!(
            "… and {} more (--limit {} shows them).",
            total - found.len(),
            total
        ));
    }
    Ok(())
}

/// One other device in `hearth status`.
#[derive(Debug, Serialize)]
struct PeerStatus {
    name: String,
    endpoint_id: String,
    /// Whose it is; `null` for the home display.
    owner_name: Option<String>,
    kind: DeviceKind,
    revoked: bool,
    last_sync: Option<Timestamp>,
    /// Changes of this device's it lacks, as of the last sync with it; `null` when it never
    /// synced.
    waiting: Option<usize>,
}

/// `hearth status` as JSON.
#[derive(Debug, Serialize)]
struct Status {
    profile: String,
    device: String,
    endpoint_id: String,
    /// The person this device belongs to; `null` on the home display.
    me: Option<String>,
    partners: Vec<String>,
    /// Items in the journal, by kind.
    items: Vec<(String, usize)>,
    devices: Vec<PeerStatus>,
    /// Whether `hearth serve` (or the app) holds the profile and answered for it.
    served: bool,
    /// The couple's mailbox as this device knows it, if one is set up.
    #[serde(skip_serializing_if = "Option::is_none")]
    mailbox: Option<hearth_sync::MailboxStatus>,
}

/// How many changes of `kind` `peer` lacks, from what the last sync with it agreed on.
fn waiting(
    p: &hearth_core::Profile,
    j: &mut hearth_core::Journal,
    peer: &str,
    slot: DocSlot,
    kind: DocKind,
) -> Option<usize> {
    let bytes = p.store().sync_state(peer, slot)?;
    let state = automerge::sync::State::decode(&bytes).ok()?;
    let heads: Vec<ChangeHash> = state.shared_heads;
    Some(j.doc_mut(kind).get_changes(&heads).len())
}

pub(crate) fn status(ctx: &mut Ctx) -> Result<()> {
    let served = ctx.served;
    let me_id = ctx.backend.device_id();
    let last = ctx
        .backend
        .with_profile(|p, _| hearth_sync::last_sync_times(p));
    let status = ctx.backend.with_profile(|p, j| {
        let me = match j.acting() {
            hearth_core::Acting::Person(id) => Some(show::name(j, &id)),
            _ => None,
        };
        let mine = j.devices().into_iter().find(|d| d.endpoint_id == me_id);
        let own_person = mine.as_ref().and_then(|d| match &d.owner {
            DeviceOwner::Partner(id) => Some(id.clone()),
            DeviceOwner::Home => None,
        });
        let items = vec![
            ("notes".to_owned(), j.wall(&Default::default()).len()),
            ("dates".to_owned(), j.dates().len()),
            ("ideas".to_owned(), j.ideas().len()),
            ("kindnesses".to_owned(), j.kindness_log().len()),
            ("check-ins".to_owned(), j.checkins(None, None, None).len()),
            (
                "listening exchanges".to_owned(),
                j.listening_exchanges().len(),
            ),
            ("\"I\" statements".to_owned(), j.i_statements().len()),
            ("repairs".to_owned(), j.repairs().len()),
        ];
        let others: Vec<_> = j
            .devices()
            .into_iter()
            .filter(|d| d.endpoint_id != me_id)
            .collect();
        let devices = others
            .into_iter()
            .map(|d| {
                let owner = match &d.owner {
                    DeviceOwner::Partner(id) => Some(id.clone()),
                    DeviceOwner::Home => None,
                };
                let shared = waiting(p, j, &d.endpoint_id, DocSlot::Shared, DocKind::Shared);
                // Only this person's own devices get the private journal.
                let private = (owner.is_some() && owner == own_person)
                    .then(|| waiting(p, j, &d.endpoint_id, DocSlot::Private, DocKind::Private))
                    .flatten();
                PeerStatus {
                    owner_name: owner.as_ref().map(|o| show::name(j, o)),
                    kind: d.kind,
                    revoked: matches!(d.standing, Standing::Revoked { .. }),
                    last_sync: last.get(&d.endpoint_id).copied(),
                    waiting: shared.map(|s| s + private.unwrap_or(0)),
                    name: d.name,
                    endpoint_id: d.endpoint_id,
                }
            })
            .collect();
        Status {
            profile: p.dir().display().to_string(),
            device: p.config().device_name.clone(),
            endpoint_id: me_id.clone(),
            me,
            partners: j.partners().into_iter().map(|x| x.name).collect(),
            items,
            devices,
            served,
            mailbox: None,
        }
    });
    let mut status = status;
    status.mailbox = ctx.backend.engine().mailbox_status();
    if ctx.io.json {
        return ctx.io.emit_json(&status);
    }
    let who = match &status.me {
        Some(name) => format!("{}'s device", show::safe(name)),
        None => "the home display".to_owned(),
    };
    ctx.io.line(format!(
        "{} · {who}   [{}]",
        show::safe(&status.device),
        show::prefix(&status.endpoint_id, 10)
    ));
    ctx.io.line(format!("Profile: {}", status.profile));
    let partners: Vec<_> = status.partners.iter().map(|n| show::safe(n)).collect();
    ctx.io.line(match partners.len() {
        0 => "Journal: no one yet".to_owned(),
        _ => format!("Journal of {}", partners.join(" and ")),
    });
    let held: Vec<String> = status
        .items
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(what, n)| format!("{n} {what}"))
        .collect();
    ctx.io.line(if held.is_empty() {
        "Nothing written yet.".to_owned()
    } else {
        held.join(" · ")
    });
    if status.served {
        ctx.io
            .line("Served right now: syncing with every device it can reach.");
    }
    if let Some(m) = &status.mailbox {
        let reached = m.last_reached.map_or_else(
            || "not reached yet".to_owned(),
            |t| format!("last reached {}", show::when(t)),
        );
        ctx.io.line(format!(
            "Mailbox {}: {reached}; {}",
            show::prefix(&m.mailbox.endpoint_id, 10),
            match m.pending {
                0 => "nothing waits to be handed in".to_owned(),
                1 => "1 change waits to be handed in".to_owned(),
                n => format!("{n} changes wait to be handed in"),
            }
        ));
        if let Some(at) = m.dropped_before {
            ctx.io.line(super::mailbox::dropped_warning(at));
        }
    }
    if status.devices.is_empty() {
        ctx.io
            .line("No other device yet. Pair one with `hearth pair invite`.");
        return Ok(());
    }
    ctx.io.line("");
    for d in &status.devices {
        let whose = match (&d.owner_name, d.kind == DeviceKind::Display) {
            (_, true) => "home display".to_owned(),
            (Some(n), false) => show::safe(n).into_owned(),
            (None, false) => "home".to_owned(),
        };
        let state = if d.revoked {
            "revoked".to_owned()
        } else {
            match (d.last_sync, d.waiting) {
                (None, _) => "not synced yet: it gets everything when it first syncs".to_owned(),
                (Some(t), Some(0)) => format!("up to date as of {}", show::when(t)),
                (Some(t), Some(n)) => format!(
                    "last synced {}; {} waiting for it",
                    show::when(t),
                    if n == 1 {
                        "1 change".to_owned()
                    } else {
                        format!("{n} changes")
                    }
                ),
                (Some(t), None) => format!("last synced {}", show::when(t)),
            }
        };
        ctx.io
            .line(format!("{} · {whose} · {state}", show::safe(&d.name)));
    }
    Ok(())
}
