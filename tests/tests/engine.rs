//! The engine's lifecycle, as a phone host drives it: suspend (nothing runs), writes while
//! suspended, resume with one sync burst, a network change, a bounded shutdown.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use hearth_core::{Acting, DocKind, PartnerId, Replica, Timestamp};
use hearth_sync::{Engine, EngineConfig, NetConfig, Phase, Role, Setup};
use hearth_test_kit::{TestDevice, pair};

const DEADLINE: Duration = Duration::from_secs(20);

fn config(threads: &str) -> EngineConfig {
    EngineConfig {
        threads: threads.to_owned(),
        net: NetConfig::loopback(),
        live: true,
        burst_timeout: Duration::from_secs(10),
        patience: Duration::from_secs(2),
    }
}

/// Two paired devices' profiles, their nodes stopped; the devices keep the directories.
fn paired_profiles() -> (TestDevice, TestDevice) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut ana = TestDevice::new("Ana", Setup::Person).await;
        let mut ben = TestDevice::new("Ben", Setup::Person).await;
        pair(&ana, &ben, Role::Partner).await;
        ana.stop().await;
        ben.stop().await;
        (ana, ben)
    })
}

/// Waits, on a plain thread, until `cond` holds; fails at the deadline.
fn wait_until(what: &str, cond: impl FnMut() -> bool) {
    hearth_test_kit::wait_until_blocking(what, DEADLINE, cond);
}

fn me(engine: &Engine) -> PartnerId {
    match engine.read(|j| j.acting()) {
        Acting::Person(p) => p,
        other => panic!("not a person's device: {other:?}"),
    }
}

fn note(engine: &Engine, text: &str) {
    let me = me(engine);
    engine
        .write(|j| j.add_appreciation(&me, text, true, Timestamp::now()))
        .unwrap();
}

fn wall(engine: &Engine) -> Vec<String> {
    engine.read(|j| {
        j.wall(&Default::default())
            .into_iter()
            .map(|n| n.text)
            .collect()
    })
}

#[test]
fn a_suspended_engine_runs_nothing_and_a_resume_brings_what_was_missed() {
    let (ana_dev, ben_dev) = paired_profiles();
    let ana = Engine::open(ana_dev.dir(), None, config("ana-engine")).unwrap();
    let ben = Engine::open(ben_dev.dir(), None, config("ben-engine")).unwrap();
    let ben_id = ben.node().unwrap().id();
    wait_until("a live connection", || {
        ana.node().unwrap().is_connected(&ben_id)
    });
    note(&ana, "Before the phone slept");
    wait_until("the first note on Ben's phone", || {
        wall(&ben).contains(&"Before the phone slept".to_owned())
    });

    // Suspended: no task is left on the engine's runtime and its port is free, so nothing can
    // wake and nothing can be sent.
    let port = ben.node().unwrap().bound_sockets()[0].port();
    ben.suspend().unwrap();
    assert_eq!(ben.phase(), Phase::Suspended);
    assert!(ben.node().is_none());
    wait_until("every task of the suspended engine ended", || {
        ben.alive_tasks() == 0
    });
    wait_until("the suspended engine's port is free", || {
        std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok()
    });
    suspend_again_does_nothing(&ben);
    // The engine's threads, once parked, are not woken at all: their count of voluntary
    // context switches stays where it was (first they finish parking), and so does the
    // runtime's own count of worker wake-ups.
    let mut switches = engine_thread_switches("ben-engine");
    assert!(!switches.is_empty(), "no engine threads found");
    let settle = Instant::now() + DEADLINE;
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let now = engine_thread_switches("ben-engine");
        if now == switches {
            break;
        }
        assert!(
            Instant::now() < settle,
            "the engine's threads never settled"
        );
        switches = now;
    }
    let wake_ups = ben.wake_ups();
    let watched = Instant::now();
    while watched.elapsed() < Duration::from_millis(500) {
        assert_eq!(ben.alive_tasks(), 0, "a task started while suspended");
        std::thread::sleep(Duration::from_millis(10));
    }
    let woken: Vec<_> = engine_thread_switches("ben-engine")
        .into_iter()
        .filter(|(tid, n)| switches.iter().any(|(t, before)| t == tid && before != n))
        .collect();
    assert!(
        woken.is_empty(),
        "engine threads woke while suspended: {woken:?}"
    );
    assert_eq!(ben.wake_ups(), wake_ups, "a worker woke while suspended");
    wait_until("Ana saw Ben go", || {
        !ana.node().unwrap().is_connected(&ben_id)
    });

    // Life goes on: Ana writes; Ben's phone, suspended, still reads and writes its journal.
    for i in 0..3 {
        note(&ana, &format!("While you slept {i}"));
    }
    note(&ben, "Written on the sleeping phone");
    assert!(wall(&ben).contains(&"Written on the sleeping phone".to_owned()));
    assert_eq!(
        ben.alive_tasks(),
        0,
        "a write while suspended started a task"
    );

    // Resume: one burst brings Ana's notes and takes Ben's, without reloading the journal.
    let heads_before = ben.with_profile(|_, j| j.heads(DocKind::Shared));
    let resumed = ben.resume().unwrap();
    assert_eq!(ben.phase(), Phase::Running);
    assert_eq!(resumed.synced(), 1, "{resumed:?}");
    assert!(resumed.received > 0, "{resumed:?}");
    let texts = wall(&ben);
    for i in 0..3 {
        assert!(texts.contains(&format!("While you slept {i}")), "{texts:?}");
    }
    assert_ne!(
        ben.with_profile(|_, j| j.heads(DocKind::Shared)),
        heads_before
    );
    wait_until("Ben's note on Ana's device", || {
        wall(&ana).contains(&"Written on the sleeping phone".to_owned())
    });

    // A network change: the engine stays connected (or redials) and live notes still flow.
    ben.network_changed().unwrap();
    wait_until("live again", || ana.node().unwrap().is_connected(&ben_id));
    note(&ana, "After the network changed");
    wait_until("the live note after the network change", || {
        wall(&ben).contains(&"After the network changed".to_owned())
    });

    // Shutdown is bounded and gives the profile back with everything stored.
    let started = Instant::now();
    let profile = ben.shutdown().unwrap();
    let took = started.elapsed();
    eprintln!("shutdown took {} ms", took.as_millis());
    let replica = Replica::open(profile).unwrap();
    let stored: Vec<String> = replica
        .journal()
        .wall(&Default::default())
        .into_iter()
        .map(|n| n.text)
        .collect();
    assert!(stored.contains(&"Written on the sleeping phone".to_owned()));
    assert!(stored.contains(&"After the network changed".to_owned()));
    drop(replica);
    ana.shutdown().unwrap();
}

/// Voluntary context switches of each of this process's threads named `name`, by thread id:
/// a parked thread that is woken switches once more.
fn engine_thread_switches(name: &str) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap().flatten() {
        let status = std::fs::read_to_string(task.path().join("status")).unwrap_or_default();
        let is_engine = status
            .lines()
            .any(|l| l.strip_prefix("Name:").is_some_and(|n| n.trim() == name));
        let switches = status
            .lines()
            .find_map(|l| l.strip_prefix("voluntary_ctxt_switches:"))
            .and_then(|v| v.trim().parse().ok());
        if let (true, Some(n)) = (is_engine, switches) {
            out.push((task.file_name().to_string_lossy().into_owned(), n));
        }
    }
    out
}

fn suspend_again_does_nothing(engine: &Engine) {
    engine.suspend().unwrap();
    assert_eq!(engine.phase(), Phase::Suspended);
    engine.network_changed().unwrap();
    assert_eq!(engine.alive_tasks(), 0);
}

#[test]
fn a_locked_or_missing_profile_is_refused_and_nothing_changes() {
    let (ana_dev, _ben_dev) = paired_profiles();
    let ana = Engine::open(ana_dev.dir(), None, config("ana-engine")).unwrap();
    // A second engine on the same profile is refused while the first holds it.
    let second = Engine::open(ana_dev.dir(), None, config("ana-engine"));
    assert!(
        matches!(
            second,
            Err(hearth_sync::SyncError::Profile(
                hearth_core::ProfileError::Locked { .. }
            ))
        ),
        "{second:?}"
    );
    let missing = tempfile::tempdir().unwrap();
    let none = Engine::open(&missing.path().join("nothing"), None, config("ana-engine"));
    assert!(
        matches!(
            none,
            Err(hearth_sync::SyncError::Profile(
                hearth_core::ProfileError::NotFound { .. }
            ))
        ),
        "{none:?}"
    );
    assert!(!missing.path().join("nothing").exists());
    // A suspended engine shuts down at once and releases the profile for the next.
    ana.suspend().unwrap();
    ana.shutdown().unwrap();
    let again = Engine::open(ana_dev.dir(), None, config("ana-engine")).unwrap();
    assert_eq!(again.phase(), Phase::Running);
    again.shutdown().unwrap();
}

/// A profile made, written to with intents, backed up and restored as a new device, all
/// through the engine at paths the host chose.
#[test]
fn an_engine_creates_takes_intents_backs_up_and_restores() {
    use hearth_core::intent::{Applied, Intent};
    use hearth_core::keys::{KeySealing, SecretString};
    use hearth_core::restore::{RestoreAs, RestorePlan};

    let dir = tempfile::tempdir().unwrap();
    let ana_dir = dir.path().join("ana");
    // A name that is refused leaves nothing behind.
    assert!(
        Engine::create(
            &ana_dir,
            "  ",
            Setup::Person,
            None,
            KeySealing::default(),
            config("engine-create"),
        )
        .is_err()
    );
    assert!(!ana_dir.exists());
    let engine = Engine::create(
        &ana_dir,
        "Ana",
        Setup::Person,
        None,
        KeySealing::default(),
        config("engine-create"),
    )
    .unwrap();
    assert_eq!(engine.phase(), Phase::Running);

    let note = Intent::AddNote {
        text: "Thank you for the soup".into(),
        wall_safe: true,
        author: None,
    };
    let Applied::Created(id) = engine.apply(&note).unwrap() else {
        panic!("no note was made");
    };
    let checkin = Intent::CheckIn {
        mood: 4,
        closeness: 5,
        note: Some("A quiet evening".into()),
        day: None,
    };
    engine.apply(&checkin).unwrap();
    // Bad input: a typed refusal, nothing stored.
    let before = engine.read(|j| j.wall(&Default::default()).len());
    let bad = Intent::CheckIn {
        mood: 9,
        closeness: 1,
        note: None,
        day: None,
    };
    assert!(matches!(
        engine.apply(&bad),
        Err(hearth_sync::SyncError::Journal(
            hearth_core::JournalError::OutOfRange { .. }
        ))
    ));
    assert_eq!(engine.read(|j| j.wall(&Default::default()).len()), before);
    assert_eq!(
        engine.read(|j| j.appreciation(&id).unwrap().text),
        "Thank you for the soup"
    );

    let passphrase = SecretString::from("correct horse battery staple".to_owned());
    let (bytes, manifest) = engine.backup(Vec::new(), &passphrase, Some(1)).unwrap();
    assert_eq!(manifest.partner_names, ["Ana"]);
    engine.shutdown().unwrap();

    let backup = hearth_core::backup::read(&bytes[..], &passphrase).unwrap();
    let today = chrono::Local::now().date_naive();
    let plan = RestorePlan::new(&backup, &RestoreAs::Guess, None, today).unwrap();
    assert_eq!(plan.device_name, "Ana's device (restored)");
    let restored_dir = dir.path().join("restored");
    let restored = Engine::restore(
        &restored_dir,
        &backup,
        &plan,
        None,
        KeySealing::default(),
        config("engine-restored"),
    )
    .unwrap();
    assert_eq!(
        restored.read(|j| j.appreciation(&id).unwrap().text),
        "Thank you for the soup"
    );
    assert_eq!(restored.read(|j| j.checkins(None, None, None).len()), 1);
    // Not a member until paired: it holds the journal but is nobody's yet in the membership.
    assert!(restored.read(|j| !j.devices().iter().any(|d| d.name == plan.device_name)));
    restored.shutdown().unwrap();
}

#[test]
fn phones_that_never_meet_hand_in_on_suspend_and_fetch_on_resume_through_the_mailbox() {
    let (ana_dev, ben_dev) = paired_profiles();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let boxdir = tempfile::tempdir().unwrap();
    let server = rt
        .block_on(hearth_sync::MailboxServer::start(
            boxdir.path(),
            hearth_sync::MailboxConfig::loopback(),
        ))
        .unwrap();
    let ticket = server.setup_ticket().unwrap();
    // Phones: bursts only, no standing connections.
    let phone = |name: &str| EngineConfig {
        live: false,
        burst_timeout: Duration::from_secs(2),
        ..config(name)
    };
    let ana = Engine::open(ana_dev.dir(), None, phone("ana-engine")).unwrap();
    ana.mailbox_add(&ticket, DEADLINE).unwrap();
    let ben = Engine::open(ben_dev.dir(), None, phone("ben-engine")).unwrap();
    ben.resume().unwrap();
    assert!(ben.mailbox_status().is_some(), "Ben learned the mailbox");
    ben.suspend().unwrap();
    // Ana writes while her phone is open; it goes to sleep before Ben's opens.
    ana.resume().unwrap();
    note(&ana, "Written on the bus");
    ana.suspend().unwrap();
    let status = ana.mailbox_status().unwrap();
    assert_eq!(status.pending, 0, "handed in on suspend: {status:?}");
    let resumed = ben.resume().unwrap();
    assert_eq!(resumed.synced(), 0, "Ana's phone is asleep");
    let report = resumed.mailbox.expect("the mailbox was reached");
    assert!(report.new_changes > 0, "{report:?}");
    assert!(wall(&ben).contains(&"Written on the bus".to_owned()));
    // Ben answers while Ana sleeps; she finds it at her next resume.
    note(&ben, "Read it at lunch");
    ben.suspend().unwrap();
    let resumed = ana.resume().unwrap();
    assert!(resumed.mailbox.is_some(), "{resumed:?}");
    assert!(wall(&ana).contains(&"Read it at lunch".to_owned()));
    // A note written while resumed goes in by itself, about a second later.
    note(&ana, "Without being asked");
    wait_until("Ana's note handed in by itself", || {
        ana.mailbox_status().is_some_and(|s| s.pending == 0)
    });
    ana.shutdown().unwrap();
    ben.shutdown().unwrap();
    rt.block_on(server.shutdown());
}
