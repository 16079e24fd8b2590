//! `hearth sync`: one round with every reachable device, and what it brought.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Result;
use automerge::{AutoCommit, ChangeHash};
use hearth_core::{DocKind, DocSlot, Journal, WallFilter};
use hearth_sync::{Node, PeerSync};
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
        let starter: std::collections::HashSet<_> =
            hearth_core::starter_deck().iter().map(|q| &q.id).collect();
        for i in j.ideas() {
            if i.kind == hearth_core::IdeaKind::Question {
                // The starter deck arrives whole the first time either answers; it is no news.
                if !starter.contains(&i.id) {
                    put("question", &i.id, i.title.clone());
                }
                continue;
            }
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
            let state = match x.state {
                hearth_core::ListeningState::AwaitingReflection => "waiting for a reflection",
                hearth_core::ListeningState::AwaitingConfirmation => "waiting for the speaker",
                hearth_core::ListeningState::Understood => "understood",
            };
            let text = format!("{}: {} ({state})", show::name(j, &x.speaker), x.statement);
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
            let progress = match steps {
                0 => "not yet acknowledged".to_owned(),
                n => show::count(n, "step", "steps") + " taken",
            };
            put("repair", &r.id, format!("{} ({progress})", r.hurt));
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

    /// The summaries it holds, in order (for tests).
    #[cfg(test)]
    fn texts(&self) -> Vec<&str> {
        self.0.values().map(String::as_str).collect()
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

/// What a device was sent: what this device held before the sync that the other device was
/// not known to hold (from the sync state stored after their last sync).
#[derive(Debug, Serialize)]
struct Sent {
    /// The device's endpoint id.
    peer: String,
    /// Its name.
    name: String,
    /// What it got, item by item; `None` when nothing was known of what it held (its first
    /// sync with this device), so it got whatever it lacked.
    changes: Option<Vec<Change>>,
}

#[derive(Debug, Serialize)]
struct SyncOut<'a> {
    peers: &'a [PeerSync],
    /// What arrived here.
    changes: &'a [Change],
    /// What each device that was reached got from here.
    sent: &'a [Sent],
    /// What the exchange with the mailbox did, if one is set up and was reached.
    mailbox: Option<&'a hearth_sync::MailboxReport>,
    /// Why the mailbox was not reached, if one is set up.
    mailbox_error: Option<&'a str>,
}

/// The heads of each document another device is known to hold, as the sync state stored
/// after the last sync with it says; `None` for a document never synced with it.
#[derive(Debug)]
struct Known {
    peer: String,
    shared: Option<Vec<ChangeHash>>,
    private: Option<Vec<ChangeHash>>,
}

/// Before a sync: what every other member device is known to hold, and this device's own
/// journal (its documents as they are) in the same form, to compare with afterwards.
fn known_before(node: &Node) -> (Vec<Known>, Option<Snapshot>) {
    let me = node.id().to_string();
    node.with_profile(|p, j| {
        let heads = |peer: &str, slot: DocSlot| {
            p.store()
                .sync_state(peer, slot)
                .and_then(|b| automerge::sync::State::decode(&b).ok())
                .map(|s| s.shared_heads)
        };
        let known = j
            .devices()
            .into_iter()
            .filter(|d| d.is_member() && d.endpoint_id != me)
            .map(|d| Known {
                shared: heads(&d.endpoint_id, DocSlot::Shared),
                private: heads(&d.endpoint_id, DocSlot::Private),
                peer: d.endpoint_id,
            })
            .collect();
        let shared = j.doc_mut(DocKind::Shared).fork();
        let private = j.doc_mut(DocKind::Private).fork();
        (known, view(shared, private).map(|v| Snapshot::of(&v)))
    })
}

/// A throwaway journal over copies of the documents, only to read.
fn view(shared: AutoCommit, private: AutoCommit) -> Option<Journal> {
    Journal::from_docs(shared, Some(private), b"hearth sync report").ok()
}

/// What `known` was sent: the difference between what it was known to hold and what this
/// device held before the sync. A document it does not sync (a partner's device and this
/// person's private journal) is taken as it is here, so it shows no difference.
fn sent_to(node: &Node, known: &Known, ours: &Snapshot) -> Option<Vec<Change>> {
    let shared_heads = known.shared.as_ref()?;
    node.with_profile(|_, j| {
        let shared = j.doc_mut(DocKind::Shared).fork_at(shared_heads).ok()?;
        let private = match &known.private {
            Some(h) => j.doc_mut(DocKind::Private).fork_at(h).ok()?,
            None => j.doc_mut(DocKind::Private).fork(),
        };
        let theirs = view(shared, private)?;
        Some(Snapshot::of(&theirs).changes(ours))
    })
}

/// At most this many lines of changes per section; the rest are counted.
const MAX_LINES: usize = 20;

fn print_changes(ctx: &Ctx, title: &str, changes: &[Change]) {
    ctx.io.line(title);
    for c in changes.iter().take(MAX_LINES) {
        ctx.io
            .line(format!("  {} {}: {}", c.change, c.kind, c.text));
    }
    if changes.len() > MAX_LINES {
        ctx.io
            .line(format!("  and {} more", changes.len() - MAX_LINES));
    }
}

pub(crate) async fn sync(ctx: &mut Ctx, a: &SyncArgs) -> Result<()> {
    let node = ctx.backend.node()?;
    if !node.is_member() {
        anyhow::bail!(
            "this device is not a member of the journal yet, so no device will sync with it: run \
             `hearth pair invite --for me` (or `--for display`) on one of your paired devices and \
             `hearth pair join TICKET` here"
        );
    }
    let before = node.read(Snapshot::of);
    let (known, ours) = known_before(&node);
    let spinner = ctx.io.spinner("Syncing with your devices…");
    let timeout = Duration::from_secs(a.timeout.max(1));
    let with_mailbox = node.read(|j| j.mailbox().is_some());
    let exchange = async {
        if with_mailbox {
            Some(node.mailbox_exchange(timeout).await)
        } else {
            None
        }
    };
    let (peers, exchanged) = tokio::join!(node.sync_once(timeout), exchange);
    drop(spinner);
    let changes = before.changes(&node.read(Snapshot::of));
    if peers.is_empty() && !with_mailbox {
        anyhow::bail!("no other device is paired yet; pair one with `hearth pair invite`");
    }
    let (mailbox, mailbox_error) = match exchanged {
        Some(Ok(r)) => (Some(r), None),
        Some(Err(e)) => (None, Some(e.to_string())),
        None => (None, None),
    };
    let reached = peers.iter().filter(|p| p.synced).count();
    let sent: Vec<Sent> = peers
        .iter()
        .filter(|p| p.synced)
        .map(|p| Sent {
            peer: p.peer.clone(),
            name: p.name.clone(),
            changes: known
                .iter()
                .find(|k| k.peer == p.peer)
                .zip(ours.as_ref())
                .and_then(|(k, ours)| sent_to(&node, k, ours)),
        })
        .collect();
    if ctx.io.json {
        ctx.io.emit_json(&SyncOut {
            peers: &peers,
            changes: &changes,
            sent: &sent,
            mailbox: mailbox.as_ref(),
            mailbox_error: mailbox_error.as_deref(),
        })?;
    } else {
        for p in &peers {
            let name = show::safe(&p.name);
            match (&p.error, p.synced) {
                (None, true) => ctx.io.line(format!("{name}: in sync")),
                (Some(e), _) => ctx.io.line(format!("{name}: not reached ({e})")),
                (None, false) => ctx.io.line(format!("{name}: not reached")),
            }
        }
        match (&mailbox, &mailbox_error) {
            (Some(r), _) => {
                ctx.io
                    .line(format!("Mailbox: {}", super::mailbox::report_line(r)));
                if let Some(at) = r.dropped_before {
                    ctx.io.line(super::mailbox::dropped_warning(at));
                }
            }
            (None, Some(e)) => ctx
                .io
                .line(format!("Mailbox: not reached ({})", show::safe(e))),
            (None, None) => {}
        }
        let sent_any = sent
            .iter()
            .any(|s| s.changes.as_ref().is_none_or(|c| !c.is_empty()));
        if changes.is_empty() && !sent_any {
            if reached > 0 {
                ctx.io
                    .line("Nothing new either way: you were already in sync.");
            }
        } else {
            ctx.io.line("");
            if changes.is_empty() {
                ctx.io.line("Nothing new arrived.");
            } else {
                print_changes(ctx, "Arrived:", &changes);
            }
            for s in &sent {
                let name = show::safe(&s.name);
                match &s.changes {
                    Some(c) if c.is_empty() => {}
                    Some(c) => print_changes(ctx, &format!("Sent to {name}:"), c),
                    None => ctx.io.line(format!(
                        "Sent to {name}: whatever it lacked (this device had no record yet of \
                         what it holds)"
                    )),
                }
            }
        }
    }
    if reached == 0 && mailbox.is_none() {
        anyhow::bail!(
            "none of your other devices could be reached; check that one of them is running \
             (`hearth serve` or the app) on the same network"
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use hearth_core::Timestamp;

    use super::*;

    #[test]
    fn summaries_say_where_an_exchange_or_repair_stands_not_a_count_of_nought() {
        let t = Timestamp(1_767_225_600_000);
        let mut j = Journal::new(b"actor-a").unwrap();
        let ana = j.add_partner("Ana", "#d9825b", t).unwrap();
        j.start_listening(&ana, "I felt left out at dinner", t)
            .unwrap();
        j.write_hurt(&ana, "It stung", hearth_core::Visibility::Shared, t)
            .unwrap();
        let texts = Snapshot::of(&j).texts().join("\n");
        assert!(!texts.contains("0 steps"), "{texts}");
        assert!(
            texts.contains("Ana: I felt left out at dinner (waiting for a reflection)"),
            "{texts}"
        );
        assert!(texts.contains("It stung (not yet acknowledged)"), "{texts}");
    }
}
