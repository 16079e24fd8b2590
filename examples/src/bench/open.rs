//! `open`: load both journal documents from the sealed store (`Replica::open` on an open
//! profile: read the chunks from redb, open each with age, `AutoCommit::load`, check the
//! schema) vs `AutoCommit::load` of the same documents' `save()` bytes.

use std::time::Instant;

use anyhow::{Context, Result};
use hearth_core::{DocSlot, Profile, Replica};

use super::fixture::{Fixtures, Template};
use super::{Goal, Options, Row, ScenarioReport, floor, stats};

/// Medians of one size's opens.
#[derive(Debug, Clone, Copy)]
pub(crate) struct OpenFigures {
    /// `Replica::open` on an open profile.
    pub(crate) load_ms: f64,
    /// `AutoCommit::load` of both documents.
    pub(crate) floor_ms: f64,
    /// `Profile::open` (which verifies the whole store file) and then `Replica::open`.
    pub(crate) cold_ms: f64,
    /// The store file's size.
    pub(crate) store_bytes: u64,
    /// The sealed snapshots' sizes, both documents.
    pub(crate) sealed_bytes: u64,
    /// The documents' `save()` sizes, both documents.
    pub(crate) doc_bytes: u64,
}

pub(crate) fn measure(fx: &mut Fixtures, t: &Template, reps: usize) -> Result<OpenFigures> {
    let dir = fx.copy_profile(&t.a_dir)?;
    let mut loads = Vec::new();
    let mut floors = Vec::new();
    let mut colds = Vec::new();
    let mut sealed_bytes = 0;
    {
        let mut profile = Profile::open(&dir, None).context("opening the profile")?;
        for slot in DocSlot::ALL {
            sealed_bytes += profile.store_mut().slot_stats(slot)?.snapshot_bytes;
        }
        // One of each first, unmeasured, so both start from a warm page cache.
        profile = Replica::open(profile)?.into_profile();
        drop(floor::load(&t.a_docs.shared)?);
        for _ in 0..reps.max(1) {
            let started = Instant::now();
            let replica = Replica::open(profile).context("loading the journal")?;
            loads.push(stats::ms(started.elapsed()));
            profile = replica.into_profile();

            let started = Instant::now();
            let shared = floor::load(&t.a_docs.shared)?;
            let private = floor::load(&t.a_docs.private)?;
            floors.push(stats::ms(started.elapsed()));
            drop((shared, private));
        }
    }
    for _ in 0..reps.max(1) {
        let started = Instant::now();
        let profile = Profile::open(&dir, None).context("opening the profile")?;
        let replica = Replica::open(profile).context("loading the journal")?;
        colds.push(stats::ms(started.elapsed()));
        drop(replica);
    }
    let store_bytes = std::fs::metadata(dir.join(Profile::STORE_FILE))
        .context("reading the store file's size")?
        .len();
    Ok(OpenFigures {
        load_ms: stats::median(&loads),
        floor_ms: stats::median(&floors),
        cold_ms: stats::median(&colds),
        store_bytes,
        sealed_bytes,
        doc_bytes: (t.a_docs.shared.len() + t.a_docs.private.len()) as u64,
    })
}

pub(crate) fn run(fx: &mut Fixtures, opts: &Options) -> Result<ScenarioReport> {
    let t = fx.template(opts.items)?;
    let f = measure(fx, &t, opts.open_reps)?;
    let mut sc = ScenarioReport::default();
    sc.row(Row::new(
        format!("open {} items (median)", opts.items),
        "ms",
        f.load_ms,
        f.floor_ms,
        Goal::Times(1.2),
    ));
    sc.extra("runs", opts.open_reps.max(1) as f64);
    sc.extra("cold_open_ms", f.cold_ms);
    sc.extra("store_file_bytes", f.store_bytes as f64);
    sc.extra("sealed_snapshot_bytes", f.sealed_bytes as f64);
    sc.extra("document_bytes", f.doc_bytes as f64);
    sc.extra("generate_ms", t.generate_ms);
    Ok(sc)
}
