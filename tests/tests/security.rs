//! Scripted attacks on a device: an unpaired device, a revoked device, a replayed ticket and a
//! forged ticket. Each is refused before the device sends a single journal byte, checked on the
//! wire: a hook counts every sync frame the attacked device sends.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hearth_core::{DocKind, Timestamp};

use hearth_sync::{FrameHook, HookAction, NetConfig, Role, Setup, SyncError};
use hearth_test_kit::{TestDevice, pair};

#[derive(Debug, Default)]
struct Count(AtomicUsize);

impl FrameHook for Count {
    fn outgoing(&self, _body: &mut Vec<u8>) -> HookAction {
        self.0.fetch_add(1, Ordering::SeqCst);
        HookAction::Send
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attacks_are_refused_before_any_journal_byte() {
    let sent = Arc::new(Count::default());
    let config = NetConfig {
        frame_hook: Some(sent.clone()),
        ..NetConfig::loopback()
    };
    let ana = TestDevice::with_config("Ana", Setup::Person, config).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    let eve = TestDevice::new("Eve", Setup::Person).await;
    let home = TestDevice::new("Kitchen", Setup::Display).await;
    let eve_screen = TestDevice::new("Eve's screen", Setup::Display).await;
    pair(&ana, &ben, Role::Partner).await;
    // The home display joins with a ticket that an attacker later replays.
    let (used_ticket, pairing) = ana
        .node()
        .invite(Role::Display, Duration::from_secs(600))
        .unwrap();
    let wait = tokio::spawn(pairing.wait());
    home.node()
        .join(&used_ticket, Duration::from_secs(30))
        .await
        .unwrap();
    wait.await.unwrap().unwrap();
    let me = ana.node().me().unwrap();
    ana.node()
        .write(|j| j.add_appreciation(&me, "Only for Ben", false, Timestamp::now()))
        .unwrap();
    // Count from here: no session is running now.
    sent.0.store(0, Ordering::SeqCst);
    let before = ana.heads(DocKind::Shared);

    // 1. An unpaired device that somehow knows Ana's address and id.
    let ana_id = ana.node().id();
    let ana_addr = ana.node().bound_sockets()[0];
    let ep = iroh::Endpoint::builder(iroh::endpoint::presets::Minimal)
        .clear_ip_transports()
        .bind_addr((std::net::Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .bind()
        .await
        .unwrap();
    let outcome = ep
        .connect(
            iroh::EndpointAddr::new(ana_id).with_ip_addr(ana_addr),
            hearth_sync::SYNC_ALPN,
        )
        .await;
    if let Ok(conn) = outcome {
        // If the handshake completed, the connection is closed at once and no stream is served.
        let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
    }
    ep.close().await;
    // Eve's own node, with Ana's address: her journal does not list Ana, and Ana refuses her.
    let _ = eve.node().sync_once(Duration::from_secs(2)).await;

    // 2. A revoked device.
    let ben_id = ben.node().id().to_string();
    ana.node()
        .write(|j| j.revoke_device(&ben_id, Timestamp::now()))
        .unwrap();
    let r = ben.node().sync_once(Duration::from_secs(3)).await;
    assert!(r.iter().all(|p| !p.synced), "{r:?}");

    // 3. A replayed ticket (already used by the home display).
    let err = eve_screen
        .node()
        .join(&used_ticket, Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already used"), "{err}");

    // 4. A forged ticket: Ana's real address and id, a made-up secret.
    let (ticket, _pairing) = ana
        .node()
        .invite(Role::Display, Duration::from_secs(60))
        .unwrap();
    let mut forged = ticket.clone();
    forged.secret = [0x42; 16];
    let err = eve_screen
        .node()
        .join(&forged, Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            SyncError::PairingRefused(hearth_sync::PairRefusal::WrongSecret)
        ),
        "{err}"
    );

    assert_eq!(
        sent.0.load(Ordering::SeqCst),
        0,
        "Ana sent journal bytes to an attacker"
    );
    let devices = ana.node().read(|j| j.devices());
    assert_eq!(devices.len(), 3, "no attacker was recorded: {devices:?}");
    assert!(
        !eve_screen
            .node()
            .read(|j| j.wall(&Default::default()))
            .iter()
            .any(|n| n.text == "Only for Ben")
    );
    assert!(
        !eve.node()
            .read(|j| j.wall(&Default::default()))
            .iter()
            .any(|n| n.text == "Only for Ben")
    );
    let _ = before;
}

/// A pairing connection that says nothing is closed after `HELLO_TIMEOUT`, and no more than
/// `MAX_PAIRING_CONNECTIONS` are served at once: one more is closed straight away. (Before, a
/// silent pairing connection stayed open for ever and any number could be opened.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_connections_are_bounded_in_time_and_number() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ana_id = ana.node().id();
    let ana_addr = ana.node().bound_sockets()[0];
    let ep = iroh::Endpoint::builder(iroh::endpoint::presets::Minimal)
        .clear_ip_transports()
        .bind_addr((std::net::Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .bind()
        .await
        .unwrap();
    let dial = || async {
        ep.connect(
            iroh::EndpointAddr::new(ana_id).with_ip_addr(ana_addr),
            hearth_sync::PAIR_ALPN,
        )
        .await
        .unwrap()
    };
    let started = std::time::Instant::now();
    let mut silent = Vec::new();
    for _ in 0..hearth_sync::MAX_PAIRING_CONNECTIONS {
        silent.push(dial().await);
    }
    // Let the handler take each of them.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let extra = dial().await;
    let closed = tokio::time::timeout(Duration::from_secs(3), extra.closed()).await;
    assert!(
        closed.is_ok(),
        "the connection over the cap was not closed at once"
    );
    // The silent ones are closed once their time for a first message is up, not before.
    let first = tokio::time::timeout(
        hearth_sync::HELLO_TIMEOUT + Duration::from_secs(5),
        silent[0].closed(),
    )
    .await;
    assert!(first.is_ok(), "a silent pairing connection stayed open");
    assert!(started.elapsed() >= hearth_sync::HELLO_TIMEOUT - Duration::from_secs(1));
    for c in &silent {
        let _ = tokio::time::timeout(Duration::from_secs(5), c.closed()).await;
    }
    // A real pairing still works afterwards.
    let ben = TestDevice::new("Ben", Setup::Person).await;
    pair(&ana, &ben, Role::Partner).await;
    ep.close().await;
}

/// A ticket is dropped once it expires: joining with it afterwards finds no open invitation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_invitations_are_dropped() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    let (ticket, pairing) = ana
        .node()
        .invite(Role::Partner, Duration::from_millis(50))
        .unwrap();
    assert!(matches!(
        pairing.wait().await,
        Err(SyncError::TicketExpired)
    ));
    let err = ben
        .node()
        .join(&ticket, Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
    let ben_id = ben.node().id().to_string();
    assert!(!ana.node().read(|j| j.is_member(&ben_id)));
}
