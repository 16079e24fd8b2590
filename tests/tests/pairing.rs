//! Pairing over loopback: the happy path, and every refused ticket changing nothing.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use hearth_core::{DocKind, Timestamp};
use hearth_sync::{CannotPair, PairRefusal, Role, Setup, SyncError};
use hearth_test_kit::{TestDevice, pair, wall_texts};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partners_pair_and_share_one_journal() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    ana.node()
        .write(|j| {
            j.add_appreciation(
                &j.partners()[0].id.clone(),
                "Before we paired",
                true,
                Timestamp::now(),
            )
        })
        .unwrap();
    pair(&ana, &ben, Role::Partner).await;
    for d in [&ana, &ben] {
        let (partners, devices) = d.node().read(|j| (j.partners(), j.devices()));
        assert_eq!(partners.len(), 2, "both people are in the journal");
        assert_ne!(
            partners[0].colour, partners[1].colour,
            "each has a colour of their own"
        );
        assert_eq!(devices.len(), 2);
        assert!(devices.iter().all(|d| d.revoked_at.is_none()));
    }
    assert_eq!(wall_texts(&ben), vec!["Before we paired"]);
    assert_eq!(ana.heads(DocKind::Shared), ben.heads(DocKind::Shared));
    let ben_id = ben.node().id().to_string();
    assert!(ana.node().read(|j| j.is_member(&ben_id)));
}

async fn refused(ana: &TestDevice, ben: &TestDevice, ticket: &hearth_sync::Ticket) -> SyncError {
    let before = (ana.heads(DocKind::Shared), ben.heads(DocKind::Shared));
    let err = ben
        .node()
        .join(ticket, Duration::from_secs(30))
        .await
        .unwrap_err();
    assert_eq!(
        before,
        (ana.heads(DocKind::Shared), ben.heads(DocKind::Shared)),
        "nothing changed"
    );
    err
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tickets_are_refused_and_change_nothing() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    let cleo = TestDevice::new("Cleo", Setup::Person).await;

    // Expired: the inviter's own timer decides.
    let (ticket, pairing) = ana
        .node()
        .invite(Role::Partner, Duration::from_millis(1))
        .unwrap();
    assert!(matches!(
        pairing.wait().await,
        Err(SyncError::TicketExpired)
    ));
    let err = refused(&ana, &ben, &ticket).await;
    assert!(err.to_string().contains("expired"), "{err}");

    // A wrong (forged) secret.
    let (mut ticket, _pairing) = ana
        .node()
        .invite(Role::Partner, Duration::from_secs(60))
        .unwrap();
    ticket.secret[0] ^= 0xff;
    let err = refused(&ana, &ben, &ticket).await;
    assert!(
        matches!(err, SyncError::PairingRefused(PairRefusal::WrongSecret)),
        "{err}"
    );

    // A ticket naming another endpoint than the one at its address: TLS refuses it.
    let (mut ticket, _pairing) = ana
        .node()
        .invite(Role::Partner, Duration::from_secs(60))
        .unwrap();
    ticket.endpoint = cleo.node().id();
    ticket.addrs = ana.node().bound_sockets();
    let err = refused(&ana, &ben, &ticket).await;
    assert!(
        matches!(err, SyncError::Unreachable { .. } | SyncError::Timeout(_)),
        "{err}"
    );

    // Used: the first join works, a second device with the same ticket is refused.
    let (ticket, pairing) = ana
        .node()
        .invite(Role::Partner, Duration::from_secs(60))
        .unwrap();
    let wait = tokio::spawn(pairing.wait());
    ben.node()
        .join(&ticket, Duration::from_secs(30))
        .await
        .unwrap();
    wait.await.unwrap().unwrap();
    let err = refused(&ana, &cleo, &ticket).await;
    assert!(matches!(err, SyncError::TicketUsed), "{err}");
    assert_eq!(ana.node().read(|j| j.partners().len()), 2);

    // A ticket's text cut short never reaches the network.
    let text = ticket.to_text();
    assert!(matches!(
        hearth_sync::Ticket::parse(&text[..text.len() / 2]),
        Err(SyncError::BadTicket(_))
    ));

    // A display ticket on a phone, and a third partner, are refused locally.
    let (display_ticket, _p) = ana
        .node()
        .invite(Role::Display, Duration::from_secs(60))
        .unwrap();
    assert!(matches!(
        cleo.node()
            .join(&display_ticket, Duration::from_secs(5))
            .await,
        Err(SyncError::CannotPair(CannotPair::TicketForDisplay))
    ));
    // A partner ticket once the partner has a device is refused at once.
    let err = ana
        .node()
        .invite(Role::Partner, Duration::from_secs(60))
        .unwrap_err();
    assert!(
        matches!(err, SyncError::CannotPair(CannotPair::PartnerAlreadyIn)),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_restored_from_a_backup_pairs_again() {
    let mut ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    pair(&ana, &ben, Role::Partner).await;
    let me = ana.node().me().unwrap();
    ana.node()
        .write(|j| {
            j.add_appreciation(
                &me,
                "Before the phone fell in the lake",
                true,
                Timestamp::now(),
            )
        })
        .unwrap();
    // Ana's phone is lost; her backup is restored on a new phone with a new identity.
    let pass = hearth_core::keys::SecretString::from("correct horse".to_owned());
    let manifest = hearth_core::backup::Manifest::new(
        chrono::Utc::now(),
        "Ana's device",
        vec!["Ana".into(), "Ben".into()],
    );
    let file = ana.node().with_profile(|p, _| {
        p.write_backup(Vec::new(), &pass, &manifest, Some(2))
            .unwrap()
    });
    let backup = hearth_core::backup::read(file.as_slice(), &pass).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("restored");
    let options = hearth_core::CreateOptions {
        device_name: "Ana's new phone".into(),
        ..Default::default()
    };
    let mut profile = hearth_core::Profile::restore(&dir, &backup, None, &options).unwrap();
    // A restored device is not a member: it says whose it is, and waits to be admitted.
    profile
        .update_config(|c| {
            c.extra.insert(
                hearth_core::CLAIMED_PERSON.into(),
                me.as_str().to_owned().into(),
            );
        })
        .unwrap();
    profile
        .store_mut()
        .set_trust(hearth_core::Trust {
            root: ana.node().read(|j| j.root().map(str::to_owned)),
            own: Default::default(),
        })
        .unwrap();
    let restored = hearth_sync::Node::start(profile, hearth_sync::NetConfig::loopback())
        .await
        .unwrap();
    assert_eq!(restored.me(), Some(me.clone()));
    let restored_id = restored.id().to_string();
    assert!(!restored.is_member());
    assert!(!ben.node().read(|j| j.is_member(&restored_id)));
    // While Ana's lost phone is a member, Ben cannot add a phone in her name.
    assert!(
        ben.node()
            .invite(Role::Partner, Duration::from_secs(60))
            .is_err()
    );
    // Ben revokes the lost phone, then invites "his partner" again: the restored phone comes
    // back as Ana, not a third person.
    let lost = ana.node().id().to_string();
    ana.stop().await;
    ben.node()
        .write(|j| j.revoke_device(&lost, Timestamp::now()))
        .unwrap();
    let (ticket, pairing) = ben
        .node()
        .invite(Role::Partner, Duration::from_secs(60))
        .unwrap();
    let wait = tokio::spawn(pairing.wait());
    restored
        .join(&ticket, Duration::from_secs(30))
        .await
        .unwrap();
    wait.await.unwrap().unwrap();
    assert_eq!(ben.node().read(|j| j.partners().len()), 2);
    assert!(ben.node().read(|j| j.is_member(&restored_id)));
    assert!(restored.is_member());
    assert_eq!(restored.me(), Some(me));
    let notes = restored.read(|j| j.wall(&Default::default()).len());
    assert_eq!(notes, 1);
    restored.shutdown().await;
}

/// A code invitation on `ana` for `role` with a known code (loopback: nothing is announced).
fn code_invite(
    ana: &TestDevice,
    role: Role,
    code: &str,
) -> tokio::task::JoinHandle<Result<hearth_core::Device, SyncError>> {
    let (code, pairing) = ana
        .node()
        .invite_with_code(role, Duration::from_secs(60), code.parse().unwrap())
        .unwrap();
    assert_eq!(
        code.to_string().len(),
        7,
        "shown as three digits, a space, three"
    );
    tokio::spawn(pairing.wait())
}

/// `joiner` pairs by `code` with the device at `at`.
async fn join_by_code(
    joiner: &TestDevice,
    at: iroh::EndpointAddr,
    code: &str,
) -> Result<hearth_core::Device, SyncError> {
    joiner
        .node()
        .join_code_at(at, code.parse().unwrap(), Duration::from_secs(30))
        .await
}

/// Fails the test unless `result` is a refusal with `code`.
fn refused_with<T: std::fmt::Debug>(result: Result<T, SyncError>, code: PairRefusal) {
    match result {
        Err(SyncError::PairingRefused(c)) if c == code => {}
        other => panic!("expected a refusal with {code:?}, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_right_code_pairs_as_a_ticket_does() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    let waiting = code_invite(&ana, Role::Partner, "305 118");
    let inviter = join_by_code(&ben, ana.node().addr(), "305118")
        .await
        .unwrap();
    assert_eq!(inviter.endpoint_id, ana.node().id().to_string());
    let joined = waiting.await.unwrap().unwrap();
    assert_eq!(joined.endpoint_id, ben.node().id().to_string());
    for d in [&ana, &ben] {
        assert_eq!(d.node().read(|j| j.partners()).len(), 2);
    }
    assert_eq!(ana.heads(DocKind::Shared), ben.heads(DocKind::Shared));
    // The code worked once.
    let cleo = TestDevice::new("Cleo", Setup::Person).await;
    refused_with(
        join_by_code(&cleo, ana.node().addr(), "305118").await,
        PairRefusal::NoCode,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_code_fails_on_both_sides_and_closes_the_invitation() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    let before = (ana.heads(DocKind::Shared), ben.heads(DocKind::Shared));
    let waiting = code_invite(&ana, Role::Partner, "305118");
    refused_with(
        join_by_code(&ben, ana.node().addr(), "305119").await,
        PairRefusal::WrongCode,
    );
    refused_with(waiting.await.unwrap(), PairRefusal::WrongCode);
    // The right code now finds nothing open.
    refused_with(
        join_by_code(&ben, ana.node().addr(), "305118").await,
        PairRefusal::NoCode,
    );
    assert_eq!(
        before,
        (ana.heads(DocKind::Shared), ben.heads(DocKind::Shared)),
        "nothing changed"
    );
    assert_eq!(ana.node().read(|j| j.devices()).len(), 1);
}

/// A device in the middle that passes every byte of the pairing connection between a joiner
/// and the inviter: it knows no code, but relays the joiner's exchange as its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relaying_device_cannot_complete_a_pairing() {
    use iroh::endpoint::presets;
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    let waiting = code_invite(&ana, Role::Partner, "777 001");
    let relay = iroh::Endpoint::builder(presets::Minimal)
        .relay_mode(iroh::RelayMode::Disabled)
        .clear_ip_transports()
        .bind_addr((std::net::Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .alpns(vec![hearth_sync::PAIR_ALPN.to_vec()])
        .bind()
        .await
        .unwrap();
    let inviter_addr = ana.node().addr();
    let middle = relay.clone();
    let relaying = tokio::spawn(async move {
        let joiner = middle.accept().await.unwrap().await.unwrap();
        let upstream = middle
            .connect(inviter_addr, hearth_sync::PAIR_ALPN)
            .await
            .unwrap();
        let (mut to_joiner, mut from_joiner) = joiner.accept_bi().await.unwrap();
        let (mut to_inviter, mut from_inviter) = upstream.open_bi().await.unwrap();
        let up = async { tokio::io::copy(&mut from_joiner, &mut to_inviter).await };
        let down = async { tokio::io::copy(&mut from_inviter, &mut to_joiner).await };
        let _ = tokio::time::timeout(Duration::from_secs(20), futures_join(up, down)).await;
    });
    refused_with(
        join_by_code(&ben, relay.addr(), "777001").await,
        PairRefusal::WrongCode,
    );
    refused_with(waiting.await.unwrap(), PairRefusal::WrongCode);
    relaying.abort();
    assert_eq!(ana.node().read(|j| j.devices()).len(), 1, "no one joined");
    assert_eq!(ben.node().read(|j| j.devices()).len(), 1);
}

async fn futures_join<A: std::future::Future, B: std::future::Future>(a: A, b: B) {
    tokio::join!(a, b);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_display_code_pairs_the_display_only() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    // A person's device typing a display's code: refused on this side, and the invitation ends.
    let waiting = code_invite(&ana, Role::Display, "404 404");
    let err = join_by_code(&ben, ana.node().addr(), "404404")
        .await
        .unwrap_err();
    assert!(
        matches!(err, SyncError::CannotPair(CannotPair::TicketForDisplay)),
        "{err}"
    );
    assert!(
        waiting.await.unwrap().is_err(),
        "the inviter hears it ended"
    );
    let display = TestDevice::new("Kitchen", Setup::Display).await;
    let waiting = code_invite(&ana, Role::Display, "404 405");
    join_by_code(&display, ana.node().addr(), "404405")
        .await
        .unwrap();
    waiting.await.unwrap().unwrap();
    let kinds: Vec<_> = ana
        .node()
        .read(|j| j.devices())
        .into_iter()
        .map(|d| d.kind)
        .collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
}
