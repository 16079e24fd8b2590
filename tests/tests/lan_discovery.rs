//! LAN discovery: two devices in two network namespaces joined by a veth pair, mDNS on, no
//! stored addresses that could work: they find each other and sync. Needs the rights to create
//! network namespaces (root, as in CI); elsewhere it is skipped with a printed reason.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hearth_core::Profile;
use hearth_core::keys::KeySealing;
use hearth_sync::{NetConfig, Node, Role, Setup, init_device};
use hearth_test_kit::netns;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_find_each_other_on_the_lan_with_mdns() {
    let ns = match netns::two_hosts() {
        Ok(ns) => ns,
        Err(reason) => {
            println!("skipped: {reason}");
            return;
        }
    };
    // Pair two devices on loopback, then forget every address they learned.
    let tmp = tempfile::tempdir().unwrap();
    let (dir_a, dir_b) = (tmp.path().join("a"), tmp.path().join("b"));
    let a = Node::start(
        init_device(&dir_a, "Ana", Setup::Person, None, KeySealing::default()).unwrap(),
        NetConfig::loopback(),
    )
    .await
    .unwrap();
    let b = Node::start(
        init_device(&dir_b, "Ben", Setup::Person, None, KeySealing::default()).unwrap(),
        NetConfig::loopback(),
    )
    .await
    .unwrap();
    let (ticket, pairing) = a.invite(Role::Partner, Duration::from_secs(60)).unwrap();
    let wait = tokio::spawn(pairing.wait());
    b.join(&ticket, Duration::from_secs(30)).await.unwrap();
    wait.await.unwrap().unwrap();
    for node in [a, b] {
        let mut profile = node
            .release(Duration::from_secs(10))
            .await
            .expect("the node let go of its profile");
        for peer in profile.store().peers() {
            profile.store_mut().forget_peer(&peer).unwrap();
        }
    }

    let bin = env!("CARGO_BIN_EXE_hearth-lan-peer");
    let mut serve = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.0[0],
            bin,
            dir_a.to_str().unwrap(),
            "serve",
            "60",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(serve.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    // Control: without mDNS the same device finds nobody (its stored addresses are useless here).
    let control = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.0[1],
            bin,
            dir_b.to_str().unwrap(),
            "note",
            "Not without discovery",
            "4",
        ])
        .env("HEARTH_LAN_MDNS", "off")
        .output()
        .unwrap();
    assert_eq!(
        control.status.code(),
        Some(1),
        "synced without mDNS: {}",
        String::from_utf8_lossy(&control.stderr)
    );
    let started = Instant::now();
    let note = Command::new("ip")
        .args([
            "netns",
            "exec",
            &ns.0[1],
            bin,
            dir_b.to_str().unwrap(),
            "note",
            "Found you on the LAN",
            "45",
        ])
        .output()
        .unwrap();
    println!("discovery and sync took {:?}", started.elapsed());
    drop(serve.stdin.take());
    let status = serve.wait().unwrap();
    assert!(
        note.status.success(),
        "the note did not sync: {}",
        String::from_utf8_lossy(&note.stderr)
    );
    assert!(status.success());
    let replica = hearth_core::Replica::open(Profile::open(&dir_a, None).unwrap()).unwrap();
    let texts: Vec<String> = replica
        .journal()
        .wall(&Default::default())
        .into_iter()
        .map(|n| n.text)
        .collect();
    assert!(
        texts.contains(&"Found you on the LAN".to_owned()),
        "{texts:?}"
    );
    assert!(
        texts.contains(&"Not without discovery".to_owned()),
        "the control's note arrived with the later sync"
    );
}
