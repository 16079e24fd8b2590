//! Live sync, offline edits, restarts, revocation and admission over loopback.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use hearth_core::{CompactionPolicy, DocKind, DocSlot, NewDate, Timestamp, Visibility};
use hearth_sync::{NetConfig, Role, Setup};
use hearth_test_kit::{TestDevice, pair, wait_until, wall_texts};

fn note(d: &TestDevice, text: &str) {
    let me = d.node().me().unwrap();
    d.node()
        .write(|j| j.add_appreciation(&me, text, true, Timestamp::now()))
        .unwrap();
}

const DEADLINE: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_changes_reach_the_partner_both_ways() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    pair(&ana, &ben, Role::Partner).await;
    ana.node().start_live();
    ben.node().start_live();
    note(&ana, "Thank you for the tea");
    wait_until("Ana's note on Ben's wall", DEADLINE, || {
        wall_texts(&ben).contains(&"Thank you for the tea".to_owned())
    })
    .await;
    let me = ben.node().me().unwrap();
    let plan = NewDate {
        title: "Picnic".into(),
        start: Some(Timestamp::now().plus_days(2)),
        ..Default::default()
    };
    ben.node()
        .write(|j| j.plan_date(&me, &plan, Timestamp::now()))
        .unwrap();
    wait_until("Ben's date on Ana's device", DEADLINE, || {
        ana.node().read(|j| j.dates().len()) == 1
    })
    .await;
    let ben_id = ben.node().id();
    assert!(ana.node().is_connected(&ben_id));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edits_converge_after_reconnect_and_restart() {
    let mut ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    pair(&ana, &ben, Role::Partner).await;
    ana.stop().await;
    // Apart: Ben writes while Ana is off; Ana writes straight into her store while offline.
    note(&ben, "Written while you were away");
    ana.start(NetConfig::loopback()).await;
    note(&ana, "Written offline too");
    let report = ana.node().sync_once(Duration::from_secs(20)).await;
    assert_eq!(report.len(), 1);
    assert!(report[0].synced, "{report:?}");
    assert_eq!(ana.heads(DocKind::Shared), ben.heads(DocKind::Shared));
    let mut a = wall_texts(&ana);
    a.sort();
    assert_eq!(
        a,
        vec!["Written offline too", "Written while you were away"]
    );
    assert_eq!(wall_texts(&ben).len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_journal_stays_on_its_owners_devices() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ana2 = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    let display = TestDevice::new("Kitchen", Setup::Display).await;
    pair(&ana, &ana2, Role::Me).await;
    pair(&ana, &ben, Role::Partner).await;
    pair(&ana, &display, Role::Display).await;
    let me = ana.node().me().unwrap();
    assert_eq!(
        ana2.node().me(),
        Some(me.clone()),
        "the laptop belongs to Ana"
    );
    assert_eq!(
        ana.node().read(|j| j.partners().len()),
        2,
        "no third person"
    );
    ana.node()
        .write(|j| {
            j.write_hurt(
                &me,
                "The comment at dinner stung",
                Visibility::Private,
                Timestamp::now(),
            )
        })
        .unwrap();
    for d in [&ana2, &ben, &display] {
        let r = d.node().sync_once(Duration::from_secs(10)).await;
        assert!(r.iter().any(|p| p.synced), "{r:?}");
    }
    assert_eq!(
        ana2.node().read(|j| j.repairs().len()),
        1,
        "Ana's own laptop has it"
    );
    for d in [&ben, &display] {
        assert!(d.node().read(|j| j.repairs().is_empty()));
        let private = d
            .node()
            .with_profile(|p, _| p.store_mut().load(hearth_core::DocSlot::Private).unwrap());
        let text = private
            .map(|mut doc| String::from_utf8_lossy(&doc.save_nocompress()).into_owned())
            .unwrap_or_default();
        assert!(
            !text.contains("stung"),
            "the hurt reached a store it must never reach"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unpaired_and_revoked_devices_are_refused() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    let stranger = TestDevice::new("Eve", Setup::Person).await;
    pair(&ana, &ben, Role::Partner).await;
    ana.node().start_live();
    ben.node().start_live();
    let ben_id = ben.node().id();
    wait_until("a live connection", DEADLINE, || {
        ana.node().is_connected(&ben_id)
    })
    .await;

    // A stranger dials Ana's sync protocol directly.
    let ep = iroh::Endpoint::builder(iroh::endpoint::presets::Minimal)
        .clear_ip_transports()
        .bind_addr((std::net::Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .bind()
        .await
        .unwrap();
    let addr = iroh::EndpointAddr::new(ana.node().id()).with_ip_addr(ana.node().bound_sockets()[0]);
    let before = ana.heads(DocKind::Shared);
    let res = ep.connect(addr, hearth_sync::SYNC_ALPN).await;
    match res {
        Err(_) => {}
        Ok(conn) => {
            let reason = conn.closed().await;
            assert!(
                reason.to_string().contains("403") || reason.to_string().contains("not a member"),
                "{reason}"
            );
        }
    }
    ep.close().await;
    drop(stranger);
    assert_eq!(ana.heads(DocKind::Shared), before);

    // Revoking Ben closes his live connection and keeps him out.
    let ben_str = ben_id.to_string();
    ana.node()
        .write(|j| j.revoke_device(&ben_str, Timestamp::now()))
        .unwrap();
    wait_until("Ben's connection closed", DEADLINE, || {
        !ana.node().is_connected(&ben_id)
    })
    .await;
    note(&ana, "After the revocation");
    let r = ben.node().sync_once(Duration::from_secs(5)).await;
    assert!(r.iter().all(|p| !p.synced), "{r:?}");
    assert!(!wall_texts(&ben).contains(&"After the revocation".to_owned()));
}

/// Chunks a device's store holds for a slot: (all, incrementals).
fn chunks(d: &TestDevice, slot: DocSlot) -> (u64, u64) {
    d.node().with_profile(|p, _| {
        let stats = p.store_mut().slot_stats(slot).unwrap();
        (stats.chunks, stats.incrementals)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stores_are_folded_once_the_journal_goes_quiet_never_inside_a_write() {
    // Ana's node never goes quiet for long enough; Ben's folds after 300 ms of quiet.
    let patient = NetConfig {
        compact_after_idle: Duration::from_secs(3600),
        ..NetConfig::loopback()
    };
    let eager = NetConfig {
        compact_after_idle: Duration::from_millis(300),
        ..NetConfig::loopback()
    };
    let mut ana = TestDevice::with_config("Ana", Setup::Person, patient).await;
    let ben = TestDevice::with_config("Ben", Setup::Person, eager).await;
    pair(&ana, &ben, Role::Partner).await;
    // Due after 4 chunks, and never folded by an append (far past anything written here).
    let policy = CompactionPolicy {
        max_incrementals: 4,
        min_bytes: u64::MAX,
        inline_factor: 1_000,
    };
    for d in [&ana, &ben] {
        d.node()
            .with_profile(|p, _| p.store_mut().set_compaction_policy(policy));
    }
    ana.node().start_live();
    ben.node().start_live();
    let me = ana.node().me().unwrap();
    for i in 0..8 {
        let (before, _) = chunks(&ana, DocSlot::Shared);
        ana.node()
            .write(|j| j.add_appreciation(&me, &format!("note {i}"), true, Timestamp::now()))
            .unwrap();
        // The write adds its chunk and never folds, due or not.
        assert!(chunks(&ana, DocSlot::Shared).0 > before, "write {i}");
    }
    assert!(chunks(&ana, DocSlot::Shared).1 >= 8);
    // Ben received the notes as chunks and folds them once nothing more arrives.
    wait_until("Ben's store folded to one snapshot", DEADLINE, || {
        wall_texts(&ben).len() == 8 && chunks(&ben, DocSlot::Shared) == (1, 0)
    })
    .await;
    // Ana's fold is still pending; stopping the node does it.
    ana.stop().await;
    {
        let mut profile = hearth_core::Profile::open(ana.dir(), None).unwrap();
        let stats = profile.store_mut().slot_stats(DocSlot::Shared).unwrap();
        assert_eq!((stats.chunks, stats.incrementals), (1, 0));
    }
    // (Starting again may record a new listening port, so compare the notes, not the heads.)
    ana.start(NetConfig::loopback()).await;
    let mut texts = wall_texts(&ana);
    texts.sort();
    let expected: Vec<String> = (0..8).map(|i| format!("note {i}")).collect();
    assert_eq!(texts, expected);
}
