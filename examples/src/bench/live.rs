//! `live` and `bytes`: A and B connected live (both `start_live`, one connection), each note
//! written on A with `Node::write`; measured from the write call until B's node reports the
//! changes (`Event::ChangesReceived`, sent once B has applied and stored them) and B's journal
//! holds the note. The floor: two in-memory documents of the same journal, in sync, the same
//! note added on one, then `generate_sync_message` / `receive_sync_message` until neither has
//! a message left. `bytes` counts the sync frames both nodes send per note (body plus the
//! 4-byte length prefix) against the encoded sizes of the floor's messages.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use hearth_core::{DocKind, Timestamp};
use hearth_sync::Event;
use tokio::sync::broadcast::error::RecvError;

use super::fixture::{Fixtures, Pair, Template, note_text};
use super::{Goal, Options, Row, ScenarioReport, floor, stats};

/// How long one note may take before the run is called broken.
const NOTE_LIMIT: Duration = Duration::from_secs(60);
/// A pause between notes, so each starts on a quiet link (people do not write 100 notes a
/// second).
const BETWEEN_NOTES: Duration = Duration::from_millis(5);

#[derive(Debug, Clone, Default)]
pub(crate) struct Live {
    pub(crate) latencies: Vec<f64>,
    writes: Vec<f64>,
    /// A bare redb commit of a note-sized value, one between each two notes: what
    /// each of the two durable writes on the path costs on this disk right now.
    commits: Vec<f64>,
    bytes_per_note: f64,
    frames_per_note: f64,
}

#[derive(Debug, Clone, Default)]
struct Floor {
    latencies: Vec<f64>,
    bytes_per_note: f64,
    messages_per_note: f64,
    /// Work the receiving node does besides the sync, timed on the floor's receiver after each
    /// note (not part of the floor): `get_changes` and `save_after` since the heads before.
    get_changes: Vec<f64>,
    save_after: Vec<f64>,
}

async fn live_session(fx: &mut Fixtures, t: &Template, notes: usize) -> Result<Live> {
    let db = redb::Database::create(fx.fresh("commits").with_extension("redb"))
        .context("creating the commit probe database")?;
    let pair = Pair::start(fx, t).await?;
    let out = live_notes(&pair, t, notes, &db).await;
    pair.stop().await;
    out
}

pub(crate) const PROBE_TABLE: redb::TableDefinition<u64, &[u8]> =
    redb::TableDefinition::new("probe");

/// One bare commit of `len` bytes; returns milliseconds.
fn commit_probe(db: &redb::Database, key: u64, len: usize) -> Result<f64> {
    let value = vec![0x5a_u8; len];
    let started = Instant::now();
    let txn = db.begin_write().context("probe: begin")?;
    {
        let mut table = txn.open_table(PROBE_TABLE).context("probe: table")?;
        table
            .insert(key, value.as_slice())
            .context("probe: insert")?;
    }
    txn.commit().context("probe: commit")?;
    Ok(stats::ms(started.elapsed()))
}

pub(crate) async fn live_notes(
    pair: &Pair,
    t: &Template,
    notes: usize,
    db: &redb::Database,
) -> Result<Live> {
    // B pulls the journal first with a one-shot sync: a live session that receives a large
    // frame while a local change wakes it can lose its place in the frame stream (see the
    // README's Benchmarks section), and this scenario measures single notes, not that.
    let pulled = pair.b.sync_once(Duration::from_secs(600)).await;
    ensure!(
        pulled.iter().all(|p| p.synced),
        "the first sync did not finish: {pulled:?}"
    );
    // Then B dials (it knows where A listens); A's dialer finds the connection up and leaves it
    // be: one connection, live both ways.
    pair.b.start_live();
    pair.wait_in_step(true, Duration::from_secs(180))
        .await
        .context("the first live sync")?;
    pair.a.start_live();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let mut events = pair.b.events();
    let (bytes_before, frames_before) = pair.frames();
    let mut out = Live::default();
    for i in 0..notes.max(1) {
        while events.try_recv().is_ok() {}
        let text = note_text(i);
        let started = Instant::now();
        let id = pair
            .a
            .write(|j| j.add_appreciation(&t.partner, &text, true, Timestamp::now()))
            .context("writing a note on A")?;
        out.writes.push(stats::ms(started.elapsed()));
        let end = started + NOTE_LIMIT;
        loop {
            let remaining = end.saturating_duration_since(Instant::now());
            let got = tokio::time::timeout(remaining, events.recv()).await;
            let at = started.elapsed();
            match got {
                Ok(Ok(Event::ChangesReceived {
                    doc: DocKind::Shared,
                    ..
                }))
                | Ok(Err(RecvError::Lagged(_))) => {
                    if pair.b.read(|j| j.appreciation(&id).is_ok()) {
                        out.latencies.push(stats::ms(at));
                        break;
                    }
                }
                Ok(Ok(_)) => {}
                Ok(Err(RecvError::Closed)) => bail!("B's node stopped"),
                Err(_) => bail!("note {i} did not reach B within {} s", NOTE_LIMIT.as_secs()),
            }
        }
        tokio::time::sleep(BETWEEN_NOTES).await;
        out.commits.push(commit_probe(db, i as u64, 700)?);
    }
    // Let the last acknowledgements go out before counting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (bytes_after, frames_after) = pair.frames();
    let n = out.latencies.len().max(1) as f64;
    out.bytes_per_note = (bytes_after - bytes_before) as f64 / n;
    out.frames_per_note = (frames_after - frames_before) as f64 / n;
    Ok(out)
}

fn floor_notes(t: &Template, notes: usize) -> Result<Floor> {
    let (mut a, mut b, mut sa, mut sb) = floor::pair_in_sync(t)?;
    let mut out = Floor::default();
    let (mut bytes, mut messages) = (0usize, 0usize);
    for i in 0..notes.max(1) {
        a.add_appreciation(&t.partner, &note_text(i), true, Timestamp::now())?;
        let before = b.heads(DocKind::Shared);
        let started = Instant::now();
        let ex = floor::sync_docs(
            a.doc_mut(DocKind::Shared),
            b.doc_mut(DocKind::Shared),
            &mut sa,
            &mut sb,
        )?;
        out.latencies.push(stats::ms(started.elapsed()));
        let doc = b.doc_mut(DocKind::Shared);
        let started = Instant::now();
        let changes = doc.get_changes(&before).len();
        out.get_changes.push(stats::ms(started.elapsed()));
        let started = Instant::now();
        let chunk = doc.save_after(&before);
        out.save_after.push(stats::ms(started.elapsed()));
        ensure!(
            changes == 1 && !chunk.is_empty(),
            "the note did not arrive in memory"
        );
        bytes += ex.bytes;
        messages += ex.messages;
    }
    let n = out.latencies.len().max(1) as f64;
    out.bytes_per_note = bytes as f64 / n;
    out.messages_per_note = messages as f64 / n;
    Ok(out)
}

pub(crate) async fn run_live(fx: &mut Fixtures, opts: &Options) -> Result<ScenarioReport> {
    let mut sc = ScenarioReport::default();
    for &items in &opts.live_sizes {
        let t = fx.template(items)?;
        let live = live_session(fx, &t, opts.live_notes).await?;
        let floor = floor_notes(&t, opts.live_notes)?;
        sc.row(Row::new(
            format!("live note p50 ({items} items)"),
            "ms",
            stats::percentile(&live.latencies, 50.0),
            stats::percentile(&floor.latencies, 50.0),
            Goal::TimesPlusMs(1.3, 1.0),
        ));
        sc.row(Row::new(
            format!("live note p99 ({items} items)"),
            "ms",
            stats::percentile(&live.latencies, 99.0),
            stats::percentile(&floor.latencies, 99.0),
            Goal::TimesPlusMs(3.0, 5.0),
        ));
        sc.extra(format!("notes_{items}"), live.latencies.len() as f64);
        sc.extra(
            format!("write_on_a_p50_ms_{items}"),
            stats::percentile(&live.writes, 50.0),
        );
        sc.extra(
            format!("write_on_a_p99_ms_{items}"),
            stats::percentile(&live.writes, 99.0),
        );
        sc.extra(
            format!("max_ms_{items}"),
            stats::percentile(&live.latencies, 100.0),
        );
        let commit = stats::percentile(&live.commits, 50.0);
        sc.extra(format!("bare_commit_p50_ms_{items}"), commit);
        sc.extra(
            format!("floor_plus_two_commits_p50_ms_{items}"),
            stats::percentile(&floor.latencies, 50.0) + 2.0 * commit,
        );
        sc.extra(
            format!("receiver_get_changes_p50_ms_{items}"),
            stats::percentile(&floor.get_changes, 50.0),
        );
        sc.extra(
            format!("receiver_save_after_p50_ms_{items}"),
            stats::percentile(&floor.save_after, 50.0),
        );
    }
    let trips = super::quic::round_trips(700, opts.live_notes.max(1)).await?;
    sc.extra("quic_round_trip_p50_ms", stats::percentile(&trips, 50.0));
    sc.extra("quic_round_trip_p99_ms", stats::percentile(&trips, 99.0));
    Ok(sc)
}

pub(crate) async fn run_bytes(fx: &mut Fixtures, opts: &Options) -> Result<ScenarioReport> {
    let t = fx.template(opts.items)?;
    let live = live_session(fx, &t, opts.byte_notes).await?;
    let floor = floor_notes(&t, opts.byte_notes)?;
    let mut sc = ScenarioReport::default();
    sc.row(Row::new(
        format!("sync bytes per live note ({} items)", opts.items),
        "B",
        live.bytes_per_note,
        floor.bytes_per_note,
        Goal::PlusBytes(64.0),
    ));
    sc.extra("notes", opts.byte_notes.max(1) as f64);
    sc.extra("frames_per_note", live.frames_per_note);
    sc.extra("floor_messages_per_note", floor.messages_per_note);
    Ok(sc)
}
