//! `hearth sync`: one round with every reachable device, and what it brought.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Result;
use hearth_core::{Journal, WallFilter};
use hearth_sync::PeerSync;
use serde::Serialize;

use super::Ctx;
use crate::cli::SyncArgs;
use crate::show;

/// What the journal holds, item by item, in a form that shows changes: (kind, id) -> summary.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Snapshot(BTreeMap<(&'static str, String), String>);

impl Snapshot {
    pub(crate) fn of(j: &Journal) -> Snapshot {
        let mut m = BTreeMap::new();
        let mut put = |kind: &'static str, id: &hearth_core::Id, text: String| {
            m.insert((kind, id.to_string()), text);
        };
        for a in j.wall(&WallFilter::default()) {
            let text = format!(
                "{}: {}{}",
                show::name(j, &a.author),
                a.text,
                if a.wall_safe { " (on the display)" } else { "" }
            );
            put("note", &a.id, text);
        }
        for d in j.dates() {
            let text = format!("{} ({}, {})", d.title, show::when(d.start), d.status);
            put("date plan", &d.id, text);
        }
        for i in j.ideas() {
            let text = format!("{} ({} marks)", i.title, i.enjoyed_by.len());
            put("idea", &i.id, text);
        }
        for k in j.kindness_log() {
            put(
                "kindness",
                &k.id,
                format!("{}: {}", show::name(j, &k.by), k.what),
            );
        }
        for c in j.checkins(None, None, None) {
            let text = format!(
                "{} on {}: mood {}, closeness {}",
                show::name(j, &c.partner),
                c.day,
                c.mood,
                c.closeness
            );
            put("check-in", &c.id, text);
        }
        for x in j.listening_exchanges() {
            let text = format!("{} ({} steps)", x.statement, x.steps.len());
            put("listening exchange", &x.id, text);
        }
        for s in j.i_statements() {
            let text = format!("{}: {}", show::name(j, &s.author), s.parts.feeling);
            put("\"I\" statement", &s.id, text);
        }
        for r in j.repairs() {
            let steps = usize::from(r.acknowledged.is_some())
                + usize::from(r.understood_at.is_some())
                + r.released.len();
            put("repair", &r.id, format!("{} ({steps} steps)", r.hurt));
        }
        for d in j.devices() {
            let text = format!(
                "{}{}",
                d.name,
                if !d.is_member() { " (revoked)" } else { "" }
            );
            m.insert(("device", d.endpoint_id.clone()), text);
        }
        Snapshot(m)
    }

    /// What is new, changed or gone in `after`, one line each.
    pub(crate) fn changes(&self, after: &Snapshot) -> Vec<Change> {
        let mut out = Vec::new();
        for (key, text) in &after.0 {
            match self.0.get(key) {
                None => out.push(Change {
                    change: "new",
                    kind: key.0,
                    id: key.1.clone(),
                    text: text.clone(),
                }),
                Some(old) if old != text => out.push(Change {
                    change: "changed",
                    kind: key.0,
                    id: key.1.clone(),
                    text: text.clone(),
                }),
                Some(_) => {}
            }
        }
        for (key, text) in &self.0 {
            if !after.0.contains_key(key) {
                out.push(Change {
                    change: "removed",
                    kind: key.0,
                    id: key.1.clone(),
                    text: text.clone(),
                });
            }
        }
        out
    }
}

/// One change a sync brought.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Change {
    /// new, changed or removed.
    change: &'static str,
    /// What kind of item.
    kind: &'static str,
    /// Its id.
    id: String,
    /// A short summary of it.
    text: String,
}

#[derive(Debug, Serialize)]
struct SyncOut<'a> {
    peers: &'a [PeerSync],
    changes: &'a [Change],
}

pub(crate) async fn sync(ctx: &mut Ctx, a: &SyncArgs) -> Result<()> {
    let node = ctx.backend.node()?.clone();
    if !node.is_member() {
        anyhow::bail!(
            "this device is not a member of the journal yet, so no device will sync with it: run \
             `hearth pair invite --for me` (or `--for display`) on one of your paired devices and \
             `hearth pair join TICKET` here"
        );
    }
    let before = node.read(Snapshot::of);
    let spinner = ctx.io.spinner("Syncing with your devices…");
    let peers = node.sync_once(Duration::from_secs(a.timeout.max(1))).await;
    drop(spinner);
    let changes = before.changes(&node.read(Snapshot::of));
    if peers.is_empty() {
        anyhow::bail!("no other device is paired yet; pair one with `hearth pair invite`");
    }
    let reached = peers.iter().filter(|p| p.synced).count();
    if ctx.io.json {
        ctx.io.emit_json(&SyncOut {
            peers: &peers,
            changes: &changes,
        })?;
    } else {
        for p in &peers {
            match (&p.error, p.synced) {
                (None, true) => ctx.io.line(format!("{}: in sync", p.name)),
                (Some(e), _) => ctx.io.line(format!("{}: not reached ({e})", p.name)),
                (None, false) => ctx.io.line(format!("{}: not reached", p.name)),
            }
        }
        if changes.is_empty() {
            ctx.io.line("Nothing new.");
        } else {
            ctx.io.line("");
            for c in &changes {
                ctx.io.line(format!("{} {}: {}", c.change, c.kind, c.text));
            }
        }
    }
    if reached == 0 {
        anyhow::bail!(
            "none of your other devices could be reached; check that one of them is running \
             (`hearth serve` or the app) on the same network"
        );
    }
    Ok(())
}
