//! `write`: a durable note write, what `Node::write` does (`add_appreciation` on the loaded
//! journal, then `Store::append_batch` of both documents: the changes since the last chunk,
//! sealed with age, in one two-phase redb commit, and a compaction when one is due) vs a bare
//! redb commit of the same number of bytes in a database of its own, default durability.

use std::time::Instant;

use anyhow::{Context, Result};
use hearth_core::{Compaction, DocSlot, Profile, Timestamp};
use hearth_sync::load_journal;
use redb::TableDefinition;

use super::fixture::{Fixtures, note_text};
use super::{Goal, Options, Row, ScenarioReport, stats};

const FLOOR_TABLE: TableDefinition<u64, &[u8]> = TableDefinition::new("chunks");

pub(crate) fn run(fx: &mut Fixtures, opts: &Options) -> Result<ScenarioReport> {
    let t = fx.template(opts.items)?;
    let dir = fx.copy_profile(&t.a_dir)?;
    let mut profile = Profile::open(&dir, None).context("opening the profile")?;
    let mut journal = load_journal(&mut profile).context("loading the journal")?;
    let floor_db = redb::Database::create(fx.fresh("floor").with_extension("redb"))
        .context("creating the floor database")?;
    // The same bare commit with two-phase commit, as the store makes every commit: not the
    // floor, but it tells the store's durability policy apart from the rest of the write.
    let two_phase_db = redb::Database::create(fx.fresh("floor-2pc").with_extension("redb"))
        .context("creating the two-phase floor database")?;
    let mut two_phase = Vec::new();

    let (mut writes, mut ops, mut appends, mut floors) = (vec![], vec![], vec![], vec![]);
    let mut sealed_sizes = Vec::new();
    let mut compactions = 0usize;
    let mut compaction_ms = Vec::new();
    for i in 0..opts.writes.max(1) {
        let text = note_text(i);
        let started = Instant::now();
        journal
            .add_appreciation(&t.partner, &text, true, Timestamp::now())
            .context("adding a note")?;
        let op_done = Instant::now();
        let (shared, private) = journal.docs_mut();
        let infos = profile
            .store_mut()
            .append_batch(&mut [(DocSlot::Shared, shared), (DocSlot::Private, private)])
            .context("storing the note")?;
        let done = Instant::now();
        let total = stats::ms(done - started);
        writes.push(total);
        ops.push(stats::ms(op_done - started));
        appends.push(stats::ms(done - op_done));
        let sealed: usize = infos.iter().flatten().map(|c| c.sealed_bytes).sum();
        if infos
            .iter()
            .flatten()
            .any(|c| matches!(c.compaction, Compaction::Done(_)))
        {
            compactions += 1;
            compaction_ms.push(total);
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

        let started = Instant::now();
        let mut txn = two_phase_db.begin_write().context("2pc: begin")?;
        txn.set_two_phase_commit(true);
        {
            let mut table = txn.open_table(FLOOR_TABLE).context("2pc: table")?;
            table
                .insert(i as u64, value.as_slice())
                .context("2pc: insert")?;
        }
        txn.commit().context("2pc: commit")?;
        two_phase.push(stats::ms(started.elapsed()));
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
    sc.extra(
        "two_phase_commit_p50_ms",
        stats::percentile(&two_phase, 50.0),
    );
    sc.extra(
        "two_phase_commit_p99_ms",
        stats::percentile(&two_phase, 99.0),
    );
    sc.extra("op_p50_ms", stats::percentile(&ops, 50.0));
    sc.extra("append_p50_ms", stats::percentile(&appends, 50.0));
    sc.extra("append_p99_ms", stats::percentile(&appends, 99.0));
    sc.extra("sealed_chunk_bytes_mean", stats::mean(&sealed_sizes));
    sc.extra("compactions", compactions as f64);
    sc.extra("compaction_write_ms_mean", stats::mean(&compaction_ms));
    sc.extra("max_ms", stats::percentile(&writes, 100.0));
    Ok(sc)
}
