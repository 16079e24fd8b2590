//! `hearth demo`: the whole idea in a few seconds, with nothing set up and no network beyond
//! this machine. Ana, Ben and the kitchen display get temporary profiles, pair over loopback,
//! write while apart, meet again, and end with one journal, shown side by side.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{Days, Local, NaiveTime};
use hearth_core::intent::Intent;
use hearth_core::keys::KeySealing;
use hearth_core::{DocKind, Journal, NewDate, Profile, Replica, Timestamp, WallFilter};
use hearth_sync::{Engine, EngineConfig, NetConfig, Node, Role, Setup, init_device};

use crate::io::Io;
use crate::show;

/// Width of one column of the side-by-side view.
const COLUMN: usize = 30;

pub(crate) async fn run(io: &Io) -> Result<()> {
    let tmp = tempfile::tempdir().context("could not make a temporary directory")?;
    io.line("Hearth demo: Ana, Ben and their kitchen display, in temporary profiles, over this");
    io.line("machine's loopback only. Nothing here touches your own journal.");

    let make = |dir: &Path, name: &str, setup: Setup| -> Result<Profile> {
        init_device(dir, name, setup, None, KeySealing::default())
            .with_context(|| format!("could not set up {name}"))
    };
    let ana = make(&tmp.path().join("ana"), "Ana", Setup::Person)?;
    let ben = make(&tmp.path().join("ben"), "Ben", Setup::Person)?;
    let display = make(
        &tmp.path().join("display"),
        "Kitchen display",
        Setup::Display,
    )?;
    let ana = start(ana).await?;
    let ben = start(ben).await?;
    let display = start(display).await?;

    heading(io, "1. Pairing");
    pair(&node(&ana)?, &node(&ben)?, Role::Partner).await?;
    io.line("Ana showed a one-time ticket; Ben's phone joined with it.");
    pair(&node(&ana)?, &node(&display)?, Role::Display).await?;
    io.line("Ana showed another; the kitchen display joined. It belongs to no one and holds");
    io.line("only what it may show: the notes marked for it, the plans' times and places and");
    io.line("the partners' names, kept for it by the phones.");
    converge(&[&ana, &ben, &display]).await?;

    heading(io, "2. Apart");
    io.line("Ben's phone sleeps. Ana writes on hers; Ben writes on his while it is offline.");
    ben.suspend_async()
        .await
        .context("Ben's device did not go to sleep")?;
    let now = Timestamp::now();
    let today = Local::now().date_naive();
    let at = |days: u64, hour: u32| -> Result<Timestamp> {
        let day = today
            .checked_add_days(Days::new(days))
            .context("the calendar ran out")?;
        let time = NaiveTime::from_hms_opt(hour, 0, 0).context("not a time")?;
        let local = day
            .and_time(time)
            .and_local_timezone(Local)
            .earliest()
            .context("that time does not exist here")?;
        Ok(Timestamp::from(local))
    };
    let picnic = NewDate {
        title: "Picnic by the river".into(),
        start: Some(at(3, 18)?),
        place: Some("River park".into()),
        tech_free: true,
        ..Default::default()
    };
    write(
        &ana,
        [
            note("Thank you for the coffee this morning", true),
            Intent::PlanDate(picnic),
            check_in(4, 4, Some("A good day")),
        ],
    )?;
    let pottery = NewDate {
        title: "Pottery class".into(),
        start: Some(at(10, 19)?),
        place: Some("Clay studio".into()),
        ..Default::default()
    };
    write(
        &ben,
        [
            note("I loved our walk on Sunday", false),
            Intent::PlanDate(pottery),
            check_in(3, 5, None),
        ],
    )?;
    let ben_columns = ben.read(|j| lines(j, now));
    print_columns(
        io,
        &[
            ("Ana's phone", ana.read(|j| lines(j, now))),
            ("Ben's phone (offline)", ben_columns),
            ("Kitchen display holds", display.read(|j| lines(j, now))),
        ],
    );

    heading(io, "3. Together again");
    io.line("Ben's phone wakes up and syncs once with every device it can reach.");
    let resumed = ben
        .resume_async()
        .await
        .context("Ben's device did not wake up")?;
    io.line(format!(
        "It reached {} of {} devices in {} ms.",
        resumed.synced(),
        resumed.peers.len(),
        resumed.took.as_millis()
    ));
    converge(&[&ana, &ben, &display]).await?;
    let columns = [
        ("Ana's phone", ana.read(|j| lines(j, now))),
        ("Ben's phone", ben.read(|j| lines(j, now))),
        ("Kitchen display holds", display.read(|j| lines(j, now))),
    ];
    print_columns(io, &columns);

    let heads: Vec<_> = [&ana, &ben]
        .iter()
        .map(|n| n.with_profile(|_, j| j.heads(DocKind::Shared)))
        .collect();
    let same_state = heads.windows(2).all(|w| w[0] == w[1]);
    let same_view = columns[0].1 == columns[1].1;
    let wall_kept = display.read(Journal::wall_contents) == ana.read(Journal::wall_projection);
    let (notes, dates, checkins) = ana.read(|j| {
        (
            j.wall(&WallFilter::default()).len(),
            j.dates().len(),
            j.checkins(None, None, None).len(),
        )
    });
    let (held_notes, held_dates, held_checkins) = display.read(|j| {
        (
            j.wall(&WallFilter::default()).len(),
            j.dates().len(),
            j.checkins(None, None, None).len(),
        )
    });
    for engine in [ana, ben, display] {
        // The demo's profiles are deleted next; a device slow to close is left to it.
        let _ = engine.close_async().await;
    }
    io.line("");
    let phones_ok = same_state && same_view && notes == 2 && dates == 2 && checkins == 2;
    let display_ok = wall_kept && held_notes == 1 && held_dates == 2 && held_checkins == 0;
    if !(phones_ok && display_ok) {
        anyhow::bail!(
            "the devices do NOT agree (phones: same state {same_state}, same view {same_view}, \
             {notes} notes, {dates} dates, {checkins} check-ins; display: its wall as the \
             phones keep it {wall_kept}, {held_notes} notes, {held_dates} dates, \
             {held_checkins} check-ins)"
        );
    }
    io.line(format!(
        "✓ Both phones hold the same journal: {}, {} and {}, nothing lost.",
        show::count(notes, "note", "notes"),
        show::count(dates, "date plan", "date plans"),
        show::count(checkins, "check-in", "check-ins")
    ));
    io.line(format!(
        "✓ The display holds only what it shows: {} marked for it and {}' times and places;",
        show::count(held_notes, "note", "notes"),
        show::count(held_dates, "date plan", "date plans"),
    ));
    io.line("  no check-in and no note that was not marked for it is on its disk.");
    Ok(())
}

fn heading(io: &Io, title: &str) {
    io.line("");
    io.line(title);
}

async fn start(profile: Profile) -> Result<Engine> {
    let config = EngineConfig {
        net: NetConfig::loopback(),
        live: false,
        ..EngineConfig::default()
    };
    let replica = Replica::open(profile).context("could not load a device's journal")?;
    Engine::start_in(replica, config)
        .await
        .context("could not start a device on loopback")
}

fn node(engine: &Engine) -> Result<Node> {
    engine
        .node()
        .context("a device's network side is not running")
}

async fn pair(inviter: &Node, joiner: &Node, role: Role) -> Result<()> {
    let (ticket, pairing) = inviter.invite(role, Duration::from_secs(60))?;
    let waiting = tokio::spawn(pairing.wait());
    joiner
        .join(&ticket, Duration::from_secs(30))
        .await
        .context("pairing failed")?;
    waiting
        .await
        .context("pairing was interrupted")?
        .context("pairing failed on the inviter's side")?;
    Ok(())
}

/// Syncs rounds until the phones hold the same shared journal and the display the wall they
/// keep for it (a few rounds at most).
async fn converge(engines: &[&Engine]) -> Result<()> {
    let nodes = engines
        .iter()
        .map(|e| node(e))
        .collect::<Result<Vec<_>>>()?;
    for _ in 0..5 {
        for n in &nodes {
            n.sync_once(Duration::from_secs(10)).await;
        }
        let phones: Vec<_> = nodes.iter().filter(|n| !n.read(Journal::is_home)).collect();
        let heads: Vec<_> = phones
            .iter()
            .map(|n| n.with_profile(|_, j| j.heads(DocKind::Shared)))
            .collect();
        let wall = phones.first().map(|n| n.read(Journal::wall_projection));
        let walls = nodes
            .iter()
            .all(|n| Some(n.read(Journal::wall_contents)) == wall);
        if heads.windows(2).all(|w| w[0] == w[1]) && walls {
            return Ok(());
        }
    }
    Ok(())
}

/// One device's view of the journal, as lines that fit a column.
fn lines(j: &Journal, now: Timestamp) -> Vec<String> {
    lines_of(j, now, &WallFilter::default())
}

fn lines_of(j: &Journal, now: Timestamp, filter: &WallFilter) -> Vec<String> {
    let mut out = vec!["Wall".to_owned()];
    let wall = j.wall(filter);
    if wall.is_empty() {
        out.push("  (empty)".into());
    }
    for a in &wall {
        let mut text = format!("{}: {}", show::name(j, &a.author), a.text);
        if a.wall_safe {
            text.push_str(" [on display]");
        }
        indent(&mut out, &text);
    }
    out.push("Dates".to_owned());
    let dates = j.upcoming_dates(now);
    if dates.is_empty() {
        out.push("  (none)".into());
    }
    for d in &dates {
        let when = chrono::DateTime::<chrono::Utc>::from_timestamp_millis(d.start.millis())
            .map(|t| {
                t.with_timezone(&Local)
                    .format("%a %-d %b %H:%M")
                    .to_string()
            })
            .unwrap_or_default();
        indent(&mut out, &format!("{when} {}", d.title));
    }
    out.push("Check-ins".to_owned());
    let checkins = j.checkins(None, None, None);
    if checkins.is_empty() {
        out.push("  (none)".into());
    }
    for c in &checkins {
        let text = format!(
            "{}: mood {}, closeness {}",
            show::name(j, &c.partner),
            c.mood,
            c.closeness
        );
        indent(&mut out, &text);
    }
    out
}

fn indent(out: &mut Vec<String>, text: &str) {
    for (i, line) in show::wrap(text, COLUMN - 4).into_iter().enumerate() {
        out.push(if i == 0 {
            format!("  {line}")
        } else {
            format!("    {line}")
        });
    }
}

fn print_columns(io: &Io, columns: &[(&str, Vec<String>)]) {
    io.line("");
    let row = |cells: Vec<String>| cells.join(" │ ").trim_end().to_owned();
    io.line(row(columns
        .iter()
        .map(|(title, _)| show::cell(title, COLUMN))
        .collect()));
    io.line(
        columns
            .iter()
            .map(|_| "─".repeat(COLUMN))
            .collect::<Vec<_>>()
            .join("─┼─"),
    );
    let height = columns.iter().map(|(_, l)| l.len()).max().unwrap_or(0);
    for i in 0..height {
        io.line(row(columns
            .iter()
            .map(|(_, l)| show::cell(l.get(i).map(String::as_str).unwrap_or(""), COLUMN))
            .collect()));
    }
}

/// A note of thanks, as the device's person.
fn note(text: &str, wall_safe: bool) -> Intent {
    Intent::AddNote {
        text: text.into(),
        wall_safe,
        author: None,
    }
}

/// Today's check-in.
fn check_in(mood: u8, closeness: u8, note: Option<&str>) -> Intent {
    Intent::CheckIn {
        mood,
        closeness,
        note: note.map(str::to_owned),
        day: None,
    }
}

/// What a person does on their device, one change after another.
fn write(device: &Engine, intents: impl IntoIterator<Item = Intent>) -> Result<()> {
    for intent in intents {
        device
            .apply(&intent)
            .with_context(|| format!("the demo could not write {intent:?}"))?;
    }
    Ok(())
}
