//! `pull`: a device that holds only the journal's first changes pulls the whole journal (both
//! documents) from the device that has it, over iroh on loopback: `Node::sync_once` from the
//! call until it returns with both documents converged and stored, vs two in-memory documents
//! holding the same content syncing with `automerge::sync` until neither has a message left.

use std::time::{Duration, Instant};

use anyhow::{Result, ensure};
use automerge::sync::State;
use hearth_core::DocKind;
use hearth_sync::Event;
use tokio::sync::broadcast;

use super::fixture::{Fixtures, Pair, Template};
use super::{Goal, Options, Row, ScenarioReport, floor, stats};

/// Medians of one size's pulls.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PullFigures {
    pub(crate) pull_ms: f64,
    /// Until B had applied and stored the shared journal (median).
    pub(crate) received_ms: f64,
    /// Until A had sent the journal (median).
    pub(crate) sent_ms: f64,
    pub(crate) floor_ms: f64,
    /// Sync frame bytes both ways (length prefixes included), last run.
    pub(crate) wire_bytes: f64,
    /// In-memory sync message bytes both ways.
    pub(crate) floor_bytes: f64,
}

/// One pull over iroh.
#[derive(Debug, Clone, Copy)]
struct PullRun {
    ms: f64,
    /// When B reported the shared journal's changes applied and stored.
    received_ms: f64,
    /// When A handed its largest frame (the journal) to the stream.
    sent_ms: f64,
    wire_bytes: f64,
}

/// When B's node first reports the shared journal's changes, from `started`.
async fn first_shared_changes(mut events: broadcast::Receiver<Event>, started: Instant) -> f64 {
    loop {
        match events.recv().await {
            Ok(Event::ChangesReceived {
                doc: DocKind::Shared,
                ..
            }) => return stats::ms(started.elapsed()),
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => return 0.0,
        }
    }
}

async fn pull_once(fx: &mut Fixtures, t: &Template) -> Result<PullRun> {
    let pair = Pair::start(fx, t).await?;
    let (bytes_before, _) = pair.frames();
    let events = pair.b.events();
    let started = Instant::now();
    let received = tokio::spawn(first_shared_changes(events, started));
    let results = pair.b.sync_once(Duration::from_secs(600)).await;
    let ms = stats::ms(started.elapsed());
    let received_ms = tokio::time::timeout(Duration::from_secs(1), received)
        .await
        .ok()
        .and_then(|r| r.ok())
        .unwrap_or(0.0);
    let (bytes_after, _) = pair.frames();
    let ok = !results.is_empty() && results.iter().all(|r| r.synced);
    let failure = format!("{results:?}");
    let checked = if ok {
        pair.wait_in_step(false, Duration::from_secs(30)).await
    } else {
        Ok(())
    };
    let sent_ms = pair
        .a_frames
        .largest_sent_at()
        .map_or(0.0, |at| stats::ms(at.saturating_duration_since(started)));
    pair.stop().await;
    ensure!(ok, "the pull did not finish: {failure}");
    checked?;
    Ok(PullRun {
        ms,
        received_ms,
        sent_ms,
        wire_bytes: (bytes_after - bytes_before) as f64,
    })
}

/// The receiving side's ways to store what a pull brought, timed on the shared document right
/// after an in-memory pull: a snapshot (`save`, what the store writes for a merge this large),
/// an incremental chunk (`save_after` the old heads, what it would write otherwise) and
/// counting the new changes (`get_changes` since the old heads; the node counts the message's
/// change chunks instead). For reading the pull's gap to its floor, not part of either.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ReceiverWork {
    /// Decoding and receiving the message that carries the journal (part of the floor).
    pub(crate) apply_ms: f64,
    pub(crate) get_changes_ms: f64,
    pub(crate) save_after_ms: f64,
    pub(crate) save_ms: f64,
}

fn receiver_work(t: &Template) -> Result<ReceiverWork> {
    let mut a = floor::load(&t.a_docs.shared)?;
    let mut b = floor::load(&t.b_docs.shared)?;
    let before = b.get_heads();
    let ex = floor::sync_docs(&mut a, &mut b, &mut State::new(), &mut State::new())?;
    let started = Instant::now();
    let changes = b.get_changes(&before).len();
    let get_changes_ms = stats::ms(started.elapsed());
    let started = Instant::now();
    let chunk = b.save_after(&before);
    let save_after_ms = stats::ms(started.elapsed());
    let started = Instant::now();
    let snapshot = b.save();
    let save_ms = stats::ms(started.elapsed());
    ensure!(
        changes > 0 && !chunk.is_empty() && !snapshot.is_empty(),
        "nothing was pulled"
    );
    Ok(ReceiverWork {
        apply_ms: ex.slowest_b_receive_ms,
        get_changes_ms,
        save_after_ms,
        save_ms,
    })
}

/// One in-memory sync of both documents; returns (milliseconds, message bytes).
fn floor_once(t: &Template) -> Result<(f64, f64)> {
    let mut docs = Vec::new();
    for kind in DocKind::ALL {
        docs.push((
            floor::load(t.a_docs.get(kind))?,
            floor::load(t.b_docs.get(kind))?,
        ));
    }
    let started = Instant::now();
    let mut bytes = 0;
    for (a, b) in &mut docs {
        let ex = floor::sync_docs(b, a, &mut State::new(), &mut State::new())?;
        bytes += ex.bytes;
    }
    let ms = stats::ms(started.elapsed());
    for (a, b) in &mut docs {
        ensure!(
            a.get_heads() == b.get_heads(),
            "the in-memory sync did not converge"
        );
    }
    Ok((ms, bytes as f64))
}

pub(crate) async fn measure(fx: &mut Fixtures, t: &Template, reps: usize) -> Result<PullFigures> {
    let (mut pulls, mut received, mut sent, mut floors) = (vec![], vec![], vec![], vec![]);
    let (mut wire_bytes, mut floor_bytes) = (0.0, 0.0);
    for _ in 0..reps.max(1) {
        let run = pull_once(fx, t).await?;
        pulls.push(run.ms);
        received.push(run.received_ms);
        sent.push(run.sent_ms);
        wire_bytes = run.wire_bytes;
        let (ms, bytes) = floor_once(t)?;
        floors.push(ms);
        floor_bytes = bytes;
    }
    Ok(PullFigures {
        pull_ms: stats::median(&pulls),
        received_ms: stats::median(&received),
        sent_ms: stats::median(&sent),
        floor_ms: stats::median(&floors),
        wire_bytes,
        floor_bytes,
    })
}

pub(crate) async fn run(fx: &mut Fixtures, opts: &Options) -> Result<ScenarioReport> {
    let t = fx.template(opts.items)?;
    let f = measure(fx, &t, opts.pull_reps).await?;
    let mut sc = ScenarioReport::default();
    sc.row(Row::new(
        format!("pull {} items (median)", opts.items),
        "ms",
        f.pull_ms,
        f.floor_ms,
        Goal::Times(1.25),
    ));
    let work = receiver_work(&t)?;
    sc.extra("journal_sent_by_a_ms", f.sent_ms);
    sc.extra("shared_changes_received_ms", f.received_ms);
    sc.extra("receiver_apply_ms", work.apply_ms);
    sc.extra("receiver_get_changes_ms", work.get_changes_ms);
    sc.extra("receiver_save_after_ms", work.save_after_ms);
    sc.extra("receiver_save_ms", work.save_ms);
    sc.extra("runs", opts.pull_reps.max(1) as f64);
    sc.extra("wire_bytes", f.wire_bytes);
    sc.extra("floor_message_bytes", f.floor_bytes);
    Ok(sc)
}
