//! Pairing over loopback: the happy path, and every refused ticket changing nothing.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use hearth_core::{DocKind, Timestamp};
use hearth_sync::{Role, Setup, SyncError};
use hearth_tests::{TestDevice, pair, wall_texts};

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
    assert!(matches!(err, SyncError::PairingRefused(_)), "{err}");

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
    assert!(err.to_string().contains("already used"), "{err}");
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
        Err(SyncError::NotAllowed(_))
    ));
    // A third person is refused even with a fresh partner ticket.
    let (ticket, _p) = ana
        .node()
        .invite(Role::Partner, Duration::from_secs(60))
        .unwrap();
    let err = refused(&ana, &cleo, &ticket).await;
    assert!(err.to_string().contains("two partners"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_restored_from_a_backup_pairs_again() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
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
    let mut journal = hearth_sync::load_journal(&mut profile).unwrap();
    let device = hearth_core::NewDevice {
        endpoint_id: hearth_sync::endpoint_id_of(profile.keys().endpoint_secret()),
        age_recipient: profile.keys().recipient_string(),
        owner: hearth_core::DeviceOwner::Partner(me.clone()),
        kind: hearth_core::DeviceKind::Personal,
        name: "Ana's new phone".into(),
        added_by: None,
    };
    journal.add_device(&device, Timestamp::now()).unwrap();
    let (shared, private) = journal.docs_mut();
    profile
        .store_mut()
        .append_batch(&mut [
            (hearth_core::DocSlot::Shared, shared),
            (hearth_core::DocSlot::Private, private),
        ])
        .unwrap();
    let restored = hearth_sync::Node::start(profile, hearth_sync::NetConfig::loopback())
        .await
        .unwrap();
    assert_eq!(restored.me(), Some(me.clone()));
    // Ben invites "his partner" again: the restored phone comes back as Ana, not a third person.
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
    let restored_id = restored.id().to_string();
    assert!(ben.node().read(|j| j.is_member(&restored_id)));
    // And as another device of Ana's, from her first phone's ticket.
    let (ticket, pairing) = ana
        .node()
        .invite(Role::Me, Duration::from_secs(60))
        .unwrap();
    let wait = tokio::spawn(pairing.wait());
    restored
        .join(&ticket, Duration::from_secs(30))
        .await
        .unwrap();
    wait.await.unwrap().unwrap();
    assert_eq!(restored.me(), Some(me));
    restored.shutdown().await;
}
