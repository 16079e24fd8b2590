//! `views`: what the screens cost at this journal's size.
//!
//! - a note until the open screen (the wall) is rebuilt, written on this device (the intent on
//!   the loaded journal, [`Journal::touched`], [`Screens::update`]) and received (the change
//!   applied to the document as sync applies it, then the same): p50 and p99, against the
//!   Automerge apply of that change alone, plus one frame (16 ms) for p50 and 50 ms for p99;
//! - a minute tick (every screen rebuilt for the new minute, nothing changed), which is all the
//!   open app does while nothing changes: its cost per 60 s against 100 ms;
//! - `hearth wall --limit 3` as the command line runs it (open the profile, load the journal,
//!   three notes), against `AutoCommit::load` of both documents;
//! - each screen built from nothing, and all of them (breakdowns).

use std::time::Instant;

use anyhow::{Context, Result, ensure};
use chrono::FixedOffset;
use hearth_core::views::{self, Limits, Moment, People, Screens, Views};
use hearth_core::{DocKind, Journal, Profile, Replica, Timestamp, Touched, WallFilter};

use super::fixture::{Fixtures, note_text};
use super::{Goal, Options, Row, ScenarioReport, floor, stats};

/// A screen's build, timed by name.
type Build<'a> = Box<dyn Fn() + 'a>;

/// One frame at 60 Hz.
const FRAME_MS: f64 = 16.0;

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
    let t = fx.template(opts.items)?;
    let dir = fx.copy_profile(&t.a_dir)?;
    let mut replica = Replica::open(Profile::open(&dir, None).context("opening the profile")?)?;
    let mut other = Journal::load(&t.a_docs.shared, Some(&t.a_docs.private), b"bench-views-b")?;
    let mut floor_doc = floor::load(&t.a_docs.shared)?;
    let me = replica.journal().acting().person();
    // The screens are looked at an hour after the journal's last item; every note below is
    // written within that minute, so only what a note concerns is rebuilt.
    let at = moment(Timestamp(t.end.0 + 3_600_000));
    let limits = Limits::default();
    let reps = opts.open_reps.max(1);
    let mut sc = ScenarioReport::default();

    // Each screen from nothing (breakdowns).
    {
        let j = replica.journal();
        let people = People::of(j, me.clone());
        let week = j.week_counts(at.today(), at.now);
        let builds: [(&str, Build<'_>); 9] = [
            (
                "week_counts",
                Box::new(|| drop(j.week_counts(at.today(), at.now))),
            ),
            (
                "wall",
                Box::new(|| drop(views::wall::build(j, &people, at, 40, &week))),
            ),
            (
                "dates",
                Box::new(|| drop(views::dates::build(j, &people, at))),
            ),
            (
                "kindness",
                Box::new(|| drop(views::kindness::build(j, &people, at))),
            ),
            (
                "checkin",
                Box::new(|| drop(views::checkin::build(j, &people, at, &week))),
            ),
            (
                "talk",
                Box::new(|| drop(views::talk::build(j, &people, at))),
            ),
            (
                "trash",
                Box::new(|| drop(views::trash::build(j, &people, at))),
            ),
            (
                "kiosk",
                Box::new(|| drop(views::kiosk::KioskView::build(j, at))),
            ),
            (
                "all",
                Box::new(|| drop(Views::build(j, me.clone(), &[], at, limits))),
            ),
        ];
        for (name, build) in &builds {
            sc.extra(format!("build_{name}_ms"), time(reps, build));
        }
    }

    let mut mine = Screens::new();
    let mut theirs = Screens::new();
    let touched = replica.journal_mut().touched();
    mine.update(replica.journal(), &touched, me.clone(), &[], at, limits);
    let touched = other.touched();
    theirs.update(&other, &touched, me.clone(), &[], at, limits);

    let (mut local, mut received, mut floors) = (Vec::new(), Vec::new(), Vec::new());
    // The local figure's parts: the intent, reading what it touched, the screens' update.
    let mut parts: [Vec<f64>; 3] = Default::default();
    let notes = opts.live_notes.clamp(1, 200);
    for i in 0..notes {
        let text = note_text(i);
        let written = Timestamp(t.end.0 + 1_000 + i64::try_from(i).unwrap_or(0) * 10);
        let before = replica.journal_mut().heads(DocKind::Shared);

        let started = Instant::now();
        let j = replica.journal_mut();
        j.add_appreciation(&t.partner, &text, true, written)
            .context("writing a note")?;
        let intent_done = Instant::now();
        let touched = j.touched();
        let touched_done = Instant::now();
        let changed = mine.update(replica.journal(), &touched, me.clone(), &[], at, limits);
        let done = Instant::now();
        local.push(stats::ms(done - started));
        parts[0].push(stats::ms(intent_done - started));
        parts[1].push(stats::ms(touched_done - intent_done));
        parts[2].push(stats::ms(done - touched_done));
        ensure!(
            changed
                .wall
                .as_ref()
                .and_then(|w| w.notes.first())
                .map(|n| &n.text)
                == Some(&text),
            "the wall did not show the note written"
        );

        let bytes = replica
            .journal_mut()
            .doc_mut(DocKind::Shared)
            .save_after(&before);
        let started = Instant::now();
        floor_doc
            .load_incremental(&bytes)
            .context("applying the note to the floor's document")?;
        floors.push(stats::ms(started.elapsed()));

        let started = Instant::now();
        other
            .doc_mut(DocKind::Shared)
            .load_incremental(&bytes)
            .context("receiving the note")?;
        let touched = other.touched();
        let changed = theirs.update(&other, &touched, me.clone(), &[], at, limits);
        received.push(stats::ms(started.elapsed()));
        ensure!(
            changed
                .wall
                .as_ref()
                .and_then(|w| w.notes.first())
                .map(|n| &n.text)
                == Some(&text),
            "the wall did not show the note received"
        );
    }
    let floor_p50 = stats::percentile(&floors, 50.0);
    let floor_p99 = stats::percentile(&floors, 99.0);
    for (what, samples) in [("written here", &local), ("received", &received)] {
        sc.row(Row::new(
            format!(
                "note {what} until the wall is rebuilt, p50 ({} items)",
                opts.items
            ),
            "ms",
            stats::percentile(samples, 50.0),
            floor_p50,
            Goal::TimesPlusMs(1.0, FRAME_MS),
        ));
        sc.row(Row::new(
            format!(
                "note {what} until the wall is rebuilt, p99 ({} items)",
                opts.items
            ),
            "ms",
            stats::percentile(samples, 99.0),
            floor_p99,
            Goal::TimesPlusMs(1.0, 50.0),
        ));
    }
    sc.extra("notes", notes as f64);
    for (name, samples) in ["intent", "touched", "update"].iter().zip(&parts) {
        sc.extra(
            format!("local_{name}_p50_ms"),
            stats::percentile(samples, 50.0),
        );
    }

    // A new minute with nothing changed: every screen, since they all show times.
    let mut ticks = Vec::new();
    for k in 1..=reps {
        let later = moment(Timestamp(at.now.0 + i64::try_from(k).unwrap_or(1) * 60_000));
        let started = Instant::now();
        mine.update(
            replica.journal(),
            &Touched::default(),
            me.clone(),
            &[],
            later,
            limits,
        );
        ticks.push(stats::ms(started.elapsed()));
    }
    sc.row(Row::new(
        format!(
            "idle app, CPU per 60 s: one minute tick ({} items)",
            opts.items
        ),
        "ms",
        stats::median(&ticks),
        0.0,
        Goal::AtMost(100.0),
    ));

    // The command line's `wall --limit 3`, from a closed profile.
    drop(replica);
    let (mut cli, mut loads) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let started = Instant::now();
        let replica = Replica::open(Profile::open(&dir, None).context("opening the profile")?)?;
        let notes = replica.journal().wall(&WallFilter {
            limit: Some(3),
            ..WallFilter::default()
        });
        cli.push(stats::ms(started.elapsed()));
        ensure!(notes.len() == 3, "the wall has fewer than three notes");
        drop(replica);

        let started = Instant::now();
        let docs = (
            floor::load(&t.a_docs.shared)?,
            floor::load(&t.a_docs.private)?,
        );
        loads.push(stats::ms(started.elapsed()));
        drop(docs);
    }
    sc.row(Row::new(
        format!("wall --limit 3, cold ({} items)", opts.items),
        "ms",
        stats::median(&cli),
        stats::median(&loads),
        Goal::Times(1.2),
    ));
    Ok(sc)
}
