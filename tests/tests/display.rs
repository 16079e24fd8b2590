//! The home display keeps only what it shows: the wall document, projected by the partners'
//! devices from the shared journal. Nothing that was never wall-safe reaches any file of the
//! display's profile, readable or sealed to its key; both partners' projections converge; a
//! note left on the display reaches both phones once; the display's mailbox links phones that
//! are never on together; and a display that still held the shared journal lets go of it.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use hearth_core::{
    DocKind, DocSlot, Journal, NewDate, Profile, Replica, Timestamp, Visibility, WallContents,
};
use hearth_sync::{MailboxConfig, MailboxServer, NetConfig, Role, Setup};
use hearth_test_kit::{TestDevice, contains, files_under, pair, wait_until, wall_texts};

const T: Duration = Duration::from_secs(30);

fn now() -> Timestamp {
    Timestamp::now()
}

fn note(d: &TestDevice, text: &str, wall_safe: bool) -> hearth_core::Id {
    let me = d.node().me().unwrap();
    d.node()
        .write(|j| j.add_appreciation(&me, text, wall_safe, now()))
        .unwrap()
}

fn plan(d: &TestDevice, title: &str, notes: &str, place: &str) -> hearth_core::Id {
    let me = d.node().me().unwrap();
    let start = Timestamp(now().0 + 3 * 86_400_000);
    d.node()
        .write(|j| {
            j.plan_date(
                &me,
                &NewDate {
                    title: title.into(),
                    start: Some(start),
                    end: None,
                    place: Some(place.into()),
                    notes: Some(notes.into()),
                    tech_free: true,
                },
                now(),
            )
        })
        .unwrap()
}

/// Fails if any file of the stopped display's profile holds one of `secrets`, as it lies on
/// disk or once its store is opened with the display's own key (every document slot, saved
/// uncompressed).
fn assert_holds_none(dir: &Path, secrets: &[&str]) {
    let files = files_under(dir);
    assert!(files.iter().any(|(p, _)| p.ends_with(Profile::STORE_FILE)));
    let mut profile = Profile::open(dir, None).unwrap();
    let mut opened = Vec::new();
    for slot in DocSlot::ALL {
        if let Some(mut doc) = profile.store_mut().load(slot).unwrap() {
            opened.push((format!("the {slot} slot"), doc.save_nocompress()));
        }
    }
    for (path, bytes) in files
        .iter()
        .map(|(p, b)| (p.display().to_string(), b.clone()))
        .chain(opened)
    {
        for secret in secrets {
            assert!(
                !contains(&bytes, secret),
                "{secret} is readable in {path} of the display"
            );
        }
    }
}

fn wall_of(d: &TestDevice) -> WallContents {
    d.node().read(Journal::wall_contents)
}

fn projection_of(d: &TestDevice) -> WallContents {
    d.node().read(Journal::wall_projection)
}

async fn kitchen() -> TestDevice {
    TestDevice::new("Kitchen", Setup::Display).await
}

/// Ana and Ben paired, and the kitchen display paired by Ana; all running, live.
async fn home() -> (TestDevice, TestDevice, TestDevice) {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    let display = kitchen().await;
    pair(&ana, &ben, Role::Partner).await;
    pair(&ana, &display, Role::Display).await;
    for d in [&ana, &ben, &display] {
        d.node().start_live();
    }
    (ana, ben, display)
}

/// Waits until the display shows the wall both phones project.
async fn settled(ana: &TestDevice, ben: &TestDevice, display: &TestDevice) {
    wait_until("the wall to settle everywhere", T, || {
        let want = projection_of(ana);
        want == projection_of(ben)
            && wall_of(ana) == want
            && wall_of(ben) == want
            && wall_of(display) == want
            && ana.heads(DocKind::Shared) == ben.heads(DocKind::Shared)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_display_never_holds_what_was_never_wall_safe() {
    let (ana, ben, mut display) = home().await;
    let ana_id = ana.node().me().unwrap();
    let ben_id = ben.node().me().unwrap();
    // Every kind of item; a few for the wall.
    note(&ana, "wall-ok-thanks-for-the-soup", true);
    let shown_then_hidden = note(&ben, "wall-once-then-hidden", true);
    let shown_then_deleted = note(&ana, "wall-once-then-deleted", true);
    note(&ana, "never-wall-love-note", false);
    note(&ben, "never-wall-from-ben", false);
    plan(
        &ana,
        "Picnic by the river",
        "never-wall-date-notes",
        "The old mill",
    );
    let cancelled = plan(
        &ben,
        "wall-once-cancelled-date",
        "never-wall-its-notes",
        "Town hall",
    );
    let me = ben.node().me().unwrap();
    ben.node()
        .write(|j| {
            j.plan_date(
                &me,
                &NewDate {
                    title: "never-wall-date-idea".into(),
                    place: Some("never-wall-place".into()),
                    ..NewDate::default()
                },
                now(),
            )
        })
        .unwrap();
    ben.node()
        .write(|j| {
            j.update_date(
                &cancelled,
                &hearth_core::DateChange {
                    status: Some(hearth_core::DateStatus::Cancelled),
                    ..Default::default()
                },
                now(),
            )
        })
        .unwrap();
    ana.node()
        .write(|j| {
            j.check_in(
                &ana_id,
                chrono::Utc::now().date_naive(),
                2,
                3,
                Some("never-wall-checkin-line"),
                now(),
            )
        })
        .unwrap();
    ana.node()
        .write(|j| j.log_kindness(&ana_id, "never-wall-kindness", now(), None, now()))
        .unwrap();
    ben.node()
        .write(|j| {
            j.add_idea(
                &ben_id,
                &hearth_core::IdeaKind::Date,
                "never-wall-idea",
                None,
                now(),
            )
        })
        .unwrap();
    ana.node()
        .write(|j| {
            j.start_listening(&ana_id, "never-wall-listening-statement", now())
                .map(|_| ())
        })
        .unwrap();
    ben.node()
        .write(|j| {
            j.write_hurt(&ben_id, "never-wall-shared-hurt", Visibility::Shared, now())
                .map(|_| ())
        })
        .unwrap();
    ana.node()
        .write(|j| {
            j.write_hurt(
                &ana_id,
                "never-wall-private-hurt",
                Visibility::Private,
                now(),
            )
            .map(|_| ())
        })
        .unwrap();
    settled(&ana, &ben, &display).await;
    // Unmarked and deleted later: off the wall.
    ben.node()
        .write(|j| j.set_wall_safe(&shown_then_hidden, false, now()))
        .unwrap();
    ana.node()
        .write(|j| j.delete(&shown_then_deleted, &ana_id, now()))
        .unwrap();
    settled(&ana, &ben, &display).await;
    let shown = wall_texts(&display);
    assert_eq!(shown, vec!["wall-ok-thanks-for-the-soup"]);
    let wall = wall_of(&display);
    assert_eq!(wall.partners.len(), 2);
    let dates: Vec<&str> = wall.dates.values().map(|d| d.title.as_str()).collect();
    assert_eq!(dates, vec!["Picnic by the river"]);
    assert_eq!(
        display.node().read(|j| j.upcoming_dates(now()).len()),
        1,
        "the kiosk finds the next date in the wall"
    );
    display.stop().await;
    assert_holds_none(
        display.dir(),
        &[
            "never-wall-love-note",
            "never-wall-from-ben",
            "never-wall-date-notes",
            "never-wall-its-notes",
            "never-wall-date-idea",
            "never-wall-place",
            "never-wall-checkin-line",
            "never-wall-kindness",
            "never-wall-idea",
            "never-wall-listening-statement",
            "never-wall-shared-hurt",
            "never-wall-private-hurt",
        ],
    );
    // A backup of the display holds exactly its wall document.
    let mut profile = Profile::open(display.dir(), None).unwrap();
    let pass = hearth_core::keys::SecretString::from("kitchen backup");
    let manifest = hearth_core::backup::Manifest::new(chrono::Utc::now(), "Kitchen", vec![]);
    let bytes = profile
        .write_backup(Vec::new(), &pass, &manifest, Some(2))
        .unwrap();
    let backup = hearth_core::backup::read(&bytes[..], &pass).unwrap();
    assert!(backup.display && backup.private.is_none());
    let held = profile
        .store_mut()
        .load(DocSlot::Wall)
        .unwrap()
        .unwrap()
        .save();
    assert_eq!(backup.shared, held);
    // It restores as a display, and only as one.
    use hearth_core::restore::{RestoreAs, RestoreError, RestorePlan};
    let today = chrono::Utc::now().date_naive();
    let plan = RestorePlan::new(&backup, &RestoreAs::Guess, None, today).unwrap();
    assert_eq!(plan.kind, hearth_core::DeviceKind::Display);
    let as_ana = RestorePlan::new(&backup, &RestoreAs::Person("Ana".into()), None, today);
    assert!(
        matches!(as_ana, Err(RestoreError::DisplayBackup)),
        "{as_ana:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_partners_change_the_wall_at_once_and_it_converges() {
    let (ana, ben, display) = home().await;
    let ben_id = ben.node().me().unwrap();
    let n = note(&ana, "A walk in the rain", true);
    settled(&ana, &ben, &display).await;
    // At the same moment: Ana edits her note, Ben reacts to it and leaves one of his own, and
    // Ana renames herself.
    let ana_id = ana.node().me().unwrap();
    let (a, b) = tokio::join!(
        async {
            ana.node()
                .write(|j| j.edit_appreciation(&n, "A long walk in the rain", now()))
                .unwrap();
            ana.node()
                .write(|j| j.update_partner(&ana_id, Some("Ana M."), None, now()))
                .unwrap();
        },
        async {
            ben.node()
                .write(|j| j.react(&n, &ben_id, Some("☀"), now()))
                .unwrap();
            note(&ben, "Thank you for the tea", true);
        }
    );
    let ((), ()) = (a, b);
    settled(&ana, &ben, &display).await;
    let wall = wall_of(&display);
    assert_eq!(wall.notes[n.as_str()].text, "A long walk in the rain");
    assert_eq!(
        wall.notes[n.as_str()].reactions.get(ben_id.as_str()),
        Some(&"☀".to_owned())
    );
    assert!(wall.partners.values().any(|(name, _)| name == "Ana M."));
    assert_eq!(wall.notes.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_left_on_the_display_reaches_both_phones_once() {
    let (ana, ben, display) = home().await;
    let ana_id = ana.node().me().unwrap();
    // Ben's phone is away while the note is left; both phones then adopt it at once.
    ben.node().pause_peer(display.node().id());
    ana.node().pause_peer(display.node().id());
    let left = display
        .node()
        .write(|j| j.add_appreciation(&ana_id, "Left on the fridge for Ben", false, now()))
        .unwrap();
    assert_eq!(wall_texts(&display), vec!["Left on the fridge for Ben"]);
    ben.node().resume_peer(display.node().id());
    ana.node().resume_peer(display.node().id());
    for phone in [&ana, &ben] {
        wait_until("the left note on the phone", T, || {
            wall_texts(phone)
                .iter()
                .any(|t| t == "Left on the fridge for Ben")
        })
        .await;
    }
    settled(&ana, &ben, &display).await;
    for phone in [&ana, &ben, &display] {
        let notes = phone.node().read(|j| j.wall(&Default::default()));
        let found: Vec<_> = notes
            .iter()
            .filter(|a| a.text == "Left on the fridge for Ben")
            .collect();
        assert_eq!(found.len(), 1, "{notes:?}");
        assert_eq!(found[0].id, left);
        assert_eq!(found[0].author, ana_id);
    }
    for phone in [&ana, &ben] {
        let a = phone.node().read(|j| j.appreciation(&left)).unwrap();
        assert!(a.left_on_display, "{a:?}");
        assert!(a.foreign.is_empty(), "{a:?}");
        assert!(a.wall_safe);
    }
    // Deleted on a phone, it leaves the wall and is never adopted again.
    ana.node()
        .write(|j| j.delete(&left, &ana_id, now()))
        .unwrap();
    settled(&ana, &ben, &display).await;
    assert!(wall_texts(&display).is_empty());
    assert!(wall_texts(&ben).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_never_on_together_converge_through_the_displays_mailbox() {
    let ana_dev = TestDevice::new("Ana", Setup::Person).await;
    let mut ben = TestDevice::new("Ben", Setup::Person).await;
    let display = kitchen().await;
    pair(&ana_dev, &ben, Role::Partner).await;
    pair(&ana_dev, &display, Role::Display).await;
    let mut ana = ana_dev;
    // The display hosts the couple's mailbox, in its own directory beside its profile.
    let boxdir = display.dir().join("mailbox");
    let server = MailboxServer::start(&boxdir, MailboxConfig::loopback())
        .await
        .unwrap();
    ana.node()
        .mailbox_add(&server.setup_ticket().unwrap(), T)
        .await
        .unwrap();
    ben.node().sync_once(T).await;
    assert!(ben.node().read(|j| j.mailbox()).is_some());
    display.node().start_live();
    ben.stop().await;
    // Ana alone with the display.
    note(&ana, "mailbox-private-ish-for-ben", false);
    note(&ana, "mailbox-wall-for-everyone", true);
    ana.node().mailbox_exchange(T).await.unwrap();
    wait_until("Ana's wall-safe note on the display", T, || {
        wall_texts(&display) == vec!["mailbox-wall-for-everyone"]
    })
    .await;
    ana.stop().await;
    // Ben alone with the display: he gets both, the display shows only one.
    ben.start(NetConfig::loopback()).await;
    let got = ben.node().mailbox_exchange(T).await.unwrap();
    assert!(got.new_changes > 0, "{got:?}");
    let texts = wall_texts(&ben);
    assert!(
        texts.contains(&"mailbox-private-ish-for-ben".to_owned()),
        "{texts:?}"
    );
    note(&ben, "mailbox-reply-from-ben", false);
    ben.node().mailbox_exchange(T).await.unwrap();
    wait_until("Ben's wall to reach the display", T, || {
        wall_of(&display) == projection_of(&ben)
    })
    .await;
    assert_eq!(wall_texts(&display), vec!["mailbox-wall-for-everyone"]);
    ben.stop().await;
    ana.start(NetConfig::loopback()).await;
    ana.node().mailbox_exchange(T).await.unwrap();
    assert!(
        wall_texts(&ana).contains(&"mailbox-reply-from-ben".to_owned()),
        "{:?}",
        wall_texts(&ana)
    );
    ana.stop().await;
    server.shutdown().await;
    let mut display = display;
    display.stop().await;
    assert_holds_none(
        display.dir(),
        &["mailbox-private-ish-for-ben", "mailbox-reply-from-ben"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_display_that_held_the_shared_journal_lets_go_of_it() {
    let (mut ana, mut ben, mut display) = home().await;
    note(&ana, "legacy-wall-note", true);
    note(&ben, "legacy-secret-not-for-the-wall", false);
    settled(&ana, &ben, &display).await;
    let display_id = display.node().id().to_string();
    let shared = ana
        .node()
        .with_profile(|_, j| j.doc_mut(DocKind::Shared).save());
    for d in [&mut ana, &mut ben, &mut display] {
        d.stop().await;
    }
    // Make it a display of the version before: the couple's whole shared journal in its store,
    // no wall document, and phones that never synced a wall document with it.
    {
        let mut profile = Profile::open(display.dir(), None).unwrap();
        profile.store_mut().drop_slots(&[DocSlot::Wall]).unwrap();
        profile
            .store_mut()
            .restore_snapshot(DocSlot::Shared, &shared)
            .unwrap();
        let replica = Replica::open(profile).unwrap();
        assert!(!replica.journal().is_home());
        assert!(
            replica
                .journal()
                .wall(&Default::default())
                .iter()
                .any(|a| a.text == "legacy-secret-not-for-the-wall"),
            "the old display held the whole journal"
        );
    }
    for phone in [&ana, &ben] {
        let mut profile = Profile::open(phone.dir(), None).unwrap();
        let fresh = automerge::sync::State::new().encode();
        profile
            .store_mut()
            .put_sync_state(&display_id, DocSlot::Wall, &fresh)
            .unwrap();
    }
    for d in [&mut ana, &mut ben] {
        d.start(NetConfig::loopback()).await;
        d.node().start_live();
    }
    let legacy = stanzas(&std::fs::read(display.dir().join(Profile::STORE_FILE)).unwrap());
    assert!(legacy.len() >= 2, "the old store holds sealed values");
    // Upgraded, it runs: a partner's device gives it the wall, and it drops the rest.
    display.start(NetConfig::loopback()).await;
    display.node().start_live();
    wait_until("the display to hold the wall alone", T, || {
        display.node().read(Journal::is_home)
    })
    .await;
    settled(&ana, &ben, &display).await;
    assert_eq!(wall_texts(&display), vec!["legacy-wall-note"]);
    // Nothing re-paired: the phones still sync with it.
    note(&ben, "after-the-upgrade", true);
    settled(&ana, &ben, &display).await;
    display.stop().await;
    assert_holds_none(display.dir(), &["legacy-secret-not-for-the-wall"]);
    // No sealed value of the old journal is left in the store file's free pages either: each
    // sealed value starts with a stanza holding a fresh random key share, and none of those the
    // old store held is in the file now.
    let after = stanzas(&std::fs::read(display.dir().join(Profile::STORE_FILE)).unwrap());
    assert!(!after.is_empty());
    assert!(
        legacy.is_disjoint(&after),
        "sealed values of the old store are still in the file"
    );
    let mut profile = Profile::open(display.dir(), None).unwrap();
    assert_eq!(
        profile
            .store_mut()
            .slot_stats(DocSlot::Shared)
            .unwrap()
            .chunks,
        0
    );
}

/// The age recipient stanzas in a file: one per sealed value, unique to it.
fn stanzas(bytes: &[u8]) -> std::collections::HashSet<Vec<u8>> {
    let tag = b"-> X25519 ";
    let mut out = std::collections::HashSet::new();
    let mut i = 0;
    while i + tag.len() <= bytes.len() {
        if &bytes[i..i + tag.len()] == tag {
            let end = bytes[i..]
                .iter()
                .position(|b| *b == b'\n')
                .map_or(bytes.len(), |p| i + p);
            out.insert(bytes[i..end].to_vec());
            i = end;
        } else {
            i += 1;
        }
    }
    out
}
