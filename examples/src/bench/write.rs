//! `write`: a durable note write, what `Node::write` does (`Replica::write` of
//! `add_appreciation`: the intent on the loaded journal, then both documents' changes since the
//! last chunk, sealed with age, in one redb commit) vs a bare redb commit of the same number of bytes in a
//! database of its own, default durability. When an append reports a compaction due, it runs
//! after the timed write, as a node runs it once idle, and is reported on its own.

use std::time::Instant;

use anyhow::{Context, Result};
use hearth_core::{Compaction, Profile, Replica, Timestamp};
use redb::TableDefinition;

use super::fixture::{Fixtures, note_text};
use super::{Goal, Options, Row, ScenarioReport, stats};

const FLOOR_TABLE: TableDefinition<u64, &[u8]> = TableDefinition::new("chunks");

pub(crate) fn run(fx: &mut Fixtures, opts: &Options) -> Result<ScenarioReport> {
    let t = fx.template(opts.items)?;
    let dir = fx.copy_profile(&t.a_dir)?;
    let profile = Profile::open(&dir, None).context("opening the profile")?;
    let mut replica = Replica::open(profile).context("loading the journal")?;
    let floor_db = redb::Database::create(fx.fresh("floor").with_extension("redb"))
        .context("creating the floor database")?;

    let (mut writes, mut ops, mut appends, mut floors) = (vec![], vec![], vec![], vec![]);
    let mut sealed_sizes = Vec::new();
    let mut compactions = 0usize;
    let mut compaction_ms = Vec::new();
    let mut inline_compactions = 0usize;
    for i in 0..opts.writes.max(1) {
        let text = note_text(i);
        let started = Instant::now();
        let mut op_done = started;
        let (_, commit) = replica
            .write(|j| {
                let id = j.add_appreciation(&t.partner, &text, true, Timestamp::now());
                op_done = Instant::now();
                id
            })
            .context("adding and storing a note")?;
        let done = Instant::now();
        let total = stats::ms(done - started);
        writes.push(total);
        ops.push(stats::ms(op_done - started));
        appends.push(stats::ms(done - op_done));
        let sealed = commit.sealed_bytes();
        if commit
            .chunks
            .iter()
            .any(|c| matches!(c.compaction, Compaction::Due))
        {
            let started = Instant::now();
            let outcomes = replica.fold_due().context("compacting")?;
            if let Some(Compaction::Failed(e)) =
                outcomes.iter().find(|c| matches!(c, Compaction::Failed(_)))
            {
                anyhow::bail!("compaction failed: {e}");
            }
            compactions += 1;
            compaction_ms.push(stats::ms(started.elapsed()));
        }
        if commit
            .chunks
            .iter()
            .any(|c| matches!(c.compaction, Compaction::Done(_)))
        {
            inline_compactions += 1;
        }
        sealed_sizes.push(sealed as f64);

        // The floor, interleaved so both see the same disk.
        let value = vec![0x5a_u8; sealed.max(1)];
        let started = Instant::now();
        let txn = floor_db.begin_write().context("floor: begin")?;
        {
            let mut table = txn.open_table(FLOOR_TABLE).context("floor: table")?;
            table
                .insert(i as u64, value.as_slice())
                .context("floor: insert")?;
        }
        txn.commit().context("floor: commit")?;
        floors.push(stats::ms(started.elapsed()));
    }

    let mut sc = ScenarioReport::default();
    sc.row(Row::new(
        format!("note write p50 ({} items)", opts.items),
        "ms",
        stats::percentile(&writes, 50.0),
        stats::percentile(&floors, 50.0),
        Goal::Times(1.5),
    ));
    sc.row(Row::new(
        format!("note write p99 ({} items)", opts.items),
        "ms",
        stats::percentile(&writes, 99.0),
        stats::percentile(&floors, 99.0),
        Goal::Times(1.5),
    ));
    sc.extra("writes", writes.len() as f64);
    sc.extra("op_p50_ms", stats::percentile(&ops, 50.0));
    sc.extra("append_p50_ms", stats::percentile(&appends, 50.0));
    sc.extra("append_p99_ms", stats::percentile(&appends, 99.0));
    sc.extra("sealed_chunk_bytes_mean", stats::mean(&sealed_sizes));
    sc.extra("idle_compactions", compactions as f64);
    sc.extra("idle_compaction_ms_mean", stats::mean(&compaction_ms));
    sc.extra("inline_compactions", inline_compactions as f64);
    sc.extra("max_ms", stats::percentile(&writes, 100.0));
    Ok(sc)
}
