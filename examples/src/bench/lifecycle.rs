//! `lifecycle`: the engine as a phone drives it.
//!
//! - resume: B (in step with A, then suspended) wakes while `notes` notes wait on A; from
//!   `Engine::resume` until the burst has stored them in B's journal. The floor: the in-memory
//!   sync of those notes between two documents of the same journal (in sync before), plus one
//!   QUIC handshake between two fresh iroh endpoints on loopback, both measured alongside.
//! - cold start: `Profile::open`, the journal loaded, the engine started and the first wall view
//!   read (three notes), against `AutoCommit::load` of both documents' bytes.
//! - idle while suspended: an engine on a runtime of its own, suspended, watched for
//!   `idle_secs`: its workers' wake-ups (the runtime's park/unpark count) and its threads'
//!   voluntary context switches. The goal is none.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use hearth_core::{DocKind, Profile, Replica, Timestamp, WallFilter};
use hearth_sync::{Engine, EngineConfig, NetConfig};

use super::fixture::{Fixtures, Template, note_text};
use super::{Goal, Options, Row, ScenarioReport, floor, quic, stats};

fn config(threads: &str) -> EngineConfig {
    EngineConfig {
        threads: threads.to_owned(),
        net: NetConfig::loopback(),
        live: false,
        burst_timeout: Duration::from_secs(600),
        patience: Duration::from_secs(5),
    }
}

/// An engine on the calling runtime over a copy of a template profile; `peer` is where a
/// device it should reach listens.
async fn engine(
    fx: &mut Fixtures,
    from: &std::path::Path,
    peer: Option<(&Engine, &str)>,
) -> Result<Engine> {
    let dir = fx.copy_profile(from)?;
    let mut replica = Replica::open(Profile::open(&dir, None).context("opening a profile")?)?;
    if let Some((other, what)) = peer {
        let node = other.node().context("the other engine is not running")?;
        let addrs = super::fixture::listening_addrs(&node);
        replica
            .profile_mut()
            .store_mut()
            .put_peer_addrs(&node.id().to_string(), addrs)
            .with_context(|| format!("telling {what} where its peer listens"))?;
    }
    Engine::start_in(replica, config("bench-engine"))
        .await
        .context("starting an engine")
}

fn wall_has(engine: &Engine, text: &str) -> bool {
    engine.read(|j| {
        j.wall(&WallFilter::default())
            .iter()
            .any(|n| n.text == text)
    })
}

/// Resumes of B with `notes` notes waiting on A, each in milliseconds.
async fn resumes(fx: &mut Fixtures, t: &Template, notes: usize, reps: usize) -> Result<Vec<f64>> {
    let a = engine(fx, &t.a_dir, None).await?;
    let b = engine(fx, &t.b_dir, Some((&a, "B"))).await?;
    // In step first: B pulls the journal (not timed).
    let first = b.resume_async().await?;
    ensure!(first.synced() == 1, "B's first pull failed: {first:?}");
    let mut out = Vec::new();
    for rep in 0..reps.max(1) {
        b.suspend_async().await?;
        let mut last = String::new();
        for i in 0..notes.max(1) {
            last = format!("{} ({rep}.{i})", note_text(i));
            a.write(|j| j.add_appreciation(&t.partner, &last, true, Timestamp::now()))?;
        }
        let started = Instant::now();
        let resumed = b.resume_async().await?;
        let took = stats::ms(started.elapsed());
        ensure!(
            resumed.synced() == 1 && wall_has(&b, &last),
            "the resume did not bring the notes: {resumed:?}"
        );
        out.push(took);
    }
    a.close_async().await?;
    b.close_async().await?;
    Ok(out)
}

/// The in-memory sync of `notes` new notes between two documents in step, in milliseconds.
fn sync_floor(t: &Template, notes: usize, reps: usize) -> Result<Vec<f64>> {
    let (mut a, mut b, mut sa, mut sb) = floor::pair_in_sync(t)?;
    let mut out = Vec::new();
    for rep in 0..reps.max(1) {
        for i in 0..notes.max(1) {
            let text = format!("{} ({rep}.{i})", note_text(i));
            a.add_appreciation(&t.partner, &text, true, Timestamp::now())?;
        }
        let started = Instant::now();
        floor::sync_docs(
            a.doc_mut(DocKind::Shared),
            b.doc_mut(DocKind::Shared),
            &mut sa,
            &mut sb,
        )?;
        out.push(stats::ms(started.elapsed()));
    }
    Ok(out)
}

/// Cold starts to the first wall view and the floor beside each, in milliseconds.
#[derive(Debug, Default)]
struct ColdStarts {
    starts: Vec<f64>,
    floors: Vec<f64>,
    /// Of each start: the profile opened and the journal loaded.
    loads: Vec<f64>,
    /// The engine started over it (the endpoint bound).
    engines: Vec<f64>,
    /// The first wall view read.
    walls: Vec<f64>,
}

async fn cold_starts(fx: &mut Fixtures, t: &Template, reps: usize) -> Result<ColdStarts> {
    let dir = fx.copy_profile(&t.a_dir)?;
    let mut out = ColdStarts::default();
    // One of each first, unmeasured, so both start from a warm page cache.
    drop(floor::load(&t.a_docs.shared)?);
    for rep in 0..=reps.max(1) {
        let started = Instant::now();
        let profile = Profile::open(&dir, None).context("opening the profile")?;
        let replica = Replica::open(profile)?;
        let loaded = started.elapsed();
        let engine = Engine::start_in(replica, config("bench-engine")).await?;
        let bound = started.elapsed();
        let first = engine.read(|j| {
            j.wall(&WallFilter {
                limit: Some(3),
                ..WallFilter::default()
            })
            .len()
        });
        let took = stats::ms(started.elapsed());
        ensure!(first > 0, "the wall is empty");
        engine.close_async().await?;
        drop(engine);

        let started = Instant::now();
        let shared = floor::load(&t.a_docs.shared)?;
        let private = floor::load(&t.a_docs.private)?;
        let floor_ms = stats::ms(started.elapsed());
        drop((shared, private));
        if rep > 0 {
            out.starts.push(took);
            out.floors.push(floor_ms);
            out.loads.push(stats::ms(loaded));
            out.engines.push(stats::ms(bound - loaded));
            out.walls.push(took - stats::ms(bound));
        }
    }
    Ok(out)
}

/// Voluntary context switches of this process's threads named `name`, summed.
fn thread_switches(name: &str) -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("status")).ok())
        .filter(|status| {
            status
                .lines()
                .any(|l| l.strip_prefix("Name:").is_some_and(|n| n.trim() == name))
        })
        .filter_map(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
                .and_then(|v| v.trim().parse::<u64>().ok())
        })
        .sum()
}

/// An engine on its own runtime, suspended and watched for `secs`: (worker wake-ups, thread
/// context switches). Runs on a plain thread, as a phone's binding calls it.
fn idle_while_suspended(dir: std::path::PathBuf, secs: u64) -> Result<(u64, u64)> {
    const THREADS: &str = "bench-idle";
    let engine = Engine::open(&dir, None, config(THREADS)).context("opening the engine")?;
    engine.suspend()?;
    // Let the last tasks end and the threads park.
    let settle = Instant::now() + Duration::from_secs(10);
    let mut switches = thread_switches(THREADS);
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let now = thread_switches(THREADS);
        if (now == switches && engine.alive_tasks() == 0) || Instant::now() > settle {
            break;
        }
        switches = now;
    }
    let (wakes, switches) = (engine.wake_ups(), thread_switches(THREADS));
    std::thread::sleep(Duration::from_secs(secs));
    let out = (
        engine.wake_ups() - wakes,
        thread_switches(THREADS).saturating_sub(switches),
    );
    engine.shutdown()?;
    Ok(out)
}

/// Runs on the harness's thread: the async parts on `rt`, the idle watch on this plain thread
/// (an engine with a runtime of its own cannot start inside another).
pub(crate) fn run(
    rt: &tokio::runtime::Runtime,
    fx: &mut Fixtures,
    opts: &Options,
) -> Result<ScenarioReport> {
    let t = fx.template(opts.items)?;
    let notes = opts.resume_notes;
    let reps = opts.resume_reps;
    let mut sc = ScenarioReport::default();

    let resumed = rt.block_on(resumes(fx, &t, notes, reps))?;
    let synced = sync_floor(&t, notes, reps)?;
    let handshakes = rt.block_on(quic::handshakes(reps.max(3)))?;
    let floor_ms = stats::median(&synced) + stats::median(&handshakes);
    sc.row(Row::new(
        format!("resume, {notes} notes waiting ({} items)", opts.items),
        "ms",
        stats::median(&resumed),
        floor_ms,
        Goal::Times(1.5),
    ));
    sc.extra("resume_sync_floor_ms", stats::median(&synced));
    sc.extra("resume_handshake_ms", stats::median(&handshakes));

    let cold = rt.block_on(cold_starts(fx, &t, opts.open_reps))?;
    sc.row(Row::new(
        format!("cold start to the wall ({} items)", opts.items),
        "ms",
        stats::median(&cold.starts),
        stats::median(&cold.floors),
        Goal::Times(1.2),
    ));
    sc.extra("cold_load_ms", stats::median(&cold.loads));
    sc.extra("cold_engine_start_ms", stats::median(&cold.engines));
    sc.extra("cold_first_wall_ms", stats::median(&cold.walls));

    let dir = fx.copy_profile(&t.a_dir)?;
    let secs = opts.idle_secs;
    let (wakes, switches) = idle_while_suspended(dir, opts.idle_secs)?;
    sc.row(Row::new(
        format!("wake-ups while suspended ({secs} s)"),
        "count",
        wakes as f64,
        0.0,
        Goal::AtMost(0.0),
    ));
    sc.extra("idle_thread_context_switches", switches as f64);
    Ok(sc)
}
