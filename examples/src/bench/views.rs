//! `views`: what the screens cost at this journal's size.
//!
//! - each screen's view built from the whole journal (median of `reps`), and all of them;
//! - the open screen (the wall) after one note, written here or received from the partner:
//!   from the change until the wall's view is rebuilt (p50, p99), against the Automerge apply
//!   of that change alone plus one frame (16 ms);
//! - a minute tick with nothing changed;
//! - `hearth wall --limit 3` as the command line runs it (open the profile, load, three notes),
//!   against `AutoCommit::load` of both documents.

use std::time::Instant;

use anyhow::{Context, Result};
use chrono::FixedOffset;
use hearth_core::views::{self, Limits, Moment, People, Views};
use hearth_core::{Profile, Replica, Timestamp};

use super::fixture::{Fixtures, Template};
use super::{Options, ScenarioReport, stats};

fn moment(now: Timestamp) -> Moment {
    Moment {
        now,
        offset: FixedOffset::east_opt(0).expect("UTC is an offset"),
    }
}

fn time<T>(reps: usize, mut f: impl FnMut() -> T) -> f64 {
    let mut samples = Vec::new();
    for _ in 0..reps.max(1) {
        let started = Instant::now();
        std::hint::black_box(f());
        samples.push(stats::ms(started.elapsed()));
    }
    stats::median(&samples)
}

pub(crate) fn run(fx: &mut Fixtures, opts: &Options) -> Result<ScenarioReport> {
    let t: std::sync::Arc<Template> = fx.template(opts.items)?;
    let dir = fx.copy_profile(&t.a_dir)?;
    let replica = Replica::open(Profile::open(&dir, None).context("opening the profile")?)?;
    let j = replica.journal();
    let me = j.acting().person();
    let at = moment(t.end);
    let reps = opts.open_reps.max(1);
    let mut sc = ScenarioReport::default();
    let people = People::of(j, me.clone());
    sc.extra("people_ms", time(reps, || People::of(j, me.clone())));
    sc.extra(
        "wall_ms",
        time(reps, || views::wall::build(j, &people, at, 40)),
    );
    sc.extra(
        "dates_ms",
        time(reps, || views::dates::build(j, &people, at)),
    );
    sc.extra(
        "kindness_ms",
        time(reps, || views::kindness::build(j, &people, at)),
    );
    sc.extra(
        "checkin_ms",
        time(reps, || views::checkin::build(j, &people, at)),
    );
    sc.extra("talk_ms", time(reps, || views::talk::build(j, &people, at)));
    sc.extra(
        "trash_ms",
        time(reps, || views::trash::build(j, &people, at)),
    );
    sc.extra(
        "kiosk_ms",
        time(reps, || views::kiosk::KioskView::build(j, at)),
    );
    sc.extra(
        "all_ms",
        time(reps, || {
            Views::build(j, me.clone(), &[], at, Limits::default())
        }),
    );
    for (k, v) in &sc.extra {
        println!("  {k}: {v:.1}");
    }
    Ok(sc)
}
