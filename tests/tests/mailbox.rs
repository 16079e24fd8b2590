//! Store and forward through a blind mailbox: devices that are never running at the same time
//! converge through it alone; it holds nothing readable; it refuses what it should; and a
//! mailbox that misbehaves can delay changes, no more.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use hearth_core::{DocKind, Timestamp, Visibility};
use hearth_sync::{
    MAILBOX_ALPN, MailboxConfig, MailboxHook, MailboxLimits, MailboxRefusal, MailboxServer,
    MailboxTicket, NetConfig, Role, Setup, SyncError,
};
use hearth_test_kit::{TestDevice, contains, files_under, pair, wall_texts};

const T: Duration = Duration::from_secs(20);

fn note(d: &TestDevice, text: &str) {
    let me = d.node().me().unwrap();
    d.node()
        .write(|j| j.add_appreciation(&me, text, true, Timestamp::now()))
        .unwrap();
}

fn hurt(d: &TestDevice, text: &str) {
    let me = d.node().me().unwrap();
    d.node()
        .write(|j| j.write_hurt(&me, text, Visibility::Private, Timestamp::now()))
        .unwrap();
}

fn has_note(d: &TestDevice, text: &str) -> bool {
    wall_texts(d).iter().any(|t| t == text)
}

fn private_texts(d: &TestDevice) -> Vec<String> {
    d.node()
        .read(|j| j.repairs().into_iter().map(|r| r.hurt).collect())
}

async fn mailbox(dir: &std::path::Path, hook: Option<Arc<dyn MailboxHook>>) -> MailboxServer {
    MailboxServer::start(
        dir,
        MailboxConfig {
            hook,
            ..MailboxConfig::loopback()
        },
    )
    .await
    .unwrap()
}

/// Ana and Ben paired, Ana's laptop too; the mailbox set up by Ana and known to all three.
async fn couple(server: &MailboxServer) -> (TestDevice, TestDevice, TestDevice) {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    let laptop = TestDevice::new("Ana", Setup::Person).await;
    pair(&ana, &ben, Role::Partner).await;
    pair(&ana, &laptop, Role::Me).await;
    let ticket = server.setup_ticket().unwrap();
    let text = ticket.to_text();
    assert!(text.starts_with("HEARTHBOX1"), "{text}");
    let ticket = MailboxTicket::parse(&text).unwrap();
    ana.node().mailbox_add(&ticket, T).await.unwrap();
    // The ticket is used: a second couple needs the next one.
    assert_ne!(server.setup_ticket().unwrap().secret, ticket.secret);
    for d in [&ben, &laptop] {
        let r = d.node().sync_once(T).await;
        assert!(r.iter().any(|p| p.synced), "{r:?}");
        assert!(d.node().read(|j| j.mailbox()).is_some());
    }
    (ana, ben, laptop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_never_online_together_converge_through_the_mailbox() {
    let boxdir = tempfile::tempdir().unwrap();
    let server = mailbox(boxdir.path(), None).await;
    let (mut ana, mut ben, mut laptop) = couple(&server).await;
    ben.stop().await;
    laptop.stop().await;
    // Ana alone.
    note(&ana, "zebra-shared-from-ana");
    hurt(&ana, "quokka-private-of-ana");
    let sent = ana.node().mailbox_exchange(T).await.unwrap();
    assert!(sent.sent_changes > 0, "{sent:?}");
    ana.stop().await;
    // Ben alone: gets Ana's note, not her private journal; writes back.
    ben.start(NetConfig::loopback()).await;
    let got = ben.node().mailbox_exchange(T).await.unwrap();
    assert!(got.fetched >= 1 && got.new_changes > 0, "{got:?}");
    assert!(has_note(&ben, "zebra-shared-from-ana"));
    assert!(private_texts(&ben).is_empty());
    note(&ben, "yak-shared-from-ben");
    ben.node().mailbox_exchange(T).await.unwrap();
    ben.stop().await;
    // Ana's laptop alone: both notes and Ana's private journal.
    laptop.start(NetConfig::loopback()).await;
    laptop.node().mailbox_exchange(T).await.unwrap();
    assert!(has_note(&laptop, "zebra-shared-from-ana"));
    assert!(has_note(&laptop, "yak-shared-from-ben"));
    assert_eq!(private_texts(&laptop), vec!["quokka-private-of-ana"]);
    laptop.stop().await;
    // Ana again: Ben's note.
    ana.start(NetConfig::loopback()).await;
    ana.node().mailbox_exchange(T).await.unwrap();
    assert!(has_note(&ana, "yak-shared-from-ben"));
    let status = ana.node().mailbox_status().unwrap();
    assert_eq!(status.pending, 0, "{status:?}");
    assert!(status.last_reached.is_some() && status.last_error.is_none());
    // Ben's device never held Ana's private journal: not in its journal, not in its files.
    ana.stop().await;
    ben.start(NetConfig::loopback()).await;
    ben.node().mailbox_exchange(T).await.unwrap();
    assert!(private_texts(&ben).is_empty());
    let private = ben
        .node()
        .with_profile(|p, _| p.store_mut().load(hearth_core::DocSlot::Private).unwrap());
    let text = private
        .map(|mut doc| doc.save_nocompress())
        .unwrap_or_default();
    assert!(!contains(&text, "quokka"));
    ben.stop().await;
    // The mailbox's directory holds none of the plaintext.
    server.shutdown().await;
    let files = files_under(boxdir.path());
    assert!(files.iter().any(|(p, _)| p.ends_with("mailbox.redb")));
    for (path, bytes) in &files {
        for secret in ["zebra-shared", "quokka-private", "yak-shared"] {
            assert!(
                !contains(bytes, secret),
                "{secret} is readable in {}",
                path.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_device_hears_of_new_bundles_at_once() {
    let boxdir = tempfile::tempdir().unwrap();
    let server = mailbox(boxdir.path(), None).await;
    let (mut ana, ben, mut laptop) = couple(&server).await;
    laptop.stop().await;
    // Ana and Ben run, but cannot reach each other: Ben pauses Ana's device.
    ben.node().pause_peer(ana.node().id());
    ana.node().pause_peer(ben.node().id());
    ana.node().start_live();
    ben.node().start_live();
    note(&ana, "through the mailbox while both run");
    hearth_test_kit::wait_until("Ana's note at Ben through the mailbox", T, || {
        has_note(&ben, "through the mailbox while both run")
    })
    .await;
    // And after a restart, a node finds the mailbox by itself.
    ana.stop().await;
    note(&ben, "after Ana restarted");
    ana.start(NetConfig::loopback()).await;
    ana.node().pause_peer(ben.node().id());
    ana.node().start_live();
    hearth_test_kit::wait_until("Ben's note at Ana", T, || {
        has_note(&ana, "after Ana restarted")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_device_is_refused_and_new_bundles_do_not_open_for_it() {
    let boxdir = tempfile::tempdir().unwrap();
    let server = mailbox(boxdir.path(), None).await;
    let (ana, ben, laptop) = couple(&server).await;
    // Ana revokes her laptop; the mailbox hears of it at her next exchange.
    let lost = laptop.node().id().to_string();
    ana.node()
        .write(|j| j.revoke_device(&lost, Timestamp::now()))
        .unwrap();
    note(&ana, "after the laptop was lost");
    ana.node().mailbox_exchange(T).await.unwrap();
    let refused = laptop.node().mailbox_exchange(T).await.unwrap_err();
    assert!(
        matches!(
            refused,
            SyncError::MailboxRefused(MailboxRefusal::NotMember)
        ),
        "{refused}"
    );
    assert!(!has_note(&laptop, "after the laptop was lost"));
    // A bundle sealed now does not open with the laptop's key.
    let file = ana.node().export_changes(true).unwrap();
    let key = laptop.node().profile(|p| p.keys().age_identity().clone());
    assert!(hearth_sync::open_change_file(&key, &file).is_err());
    // Ben still gets it.
    ben.node().mailbox_exchange(T).await.unwrap();
    assert!(has_note(&ben, "after the laptop was lost"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_tells_a_device_that_was_away_and_a_direct_sync_converges() {
    let boxdir = tempfile::tempdir().unwrap();
    let server = mailbox(boxdir.path(), None).await;
    let (mut ana, mut ben, mut laptop) = couple(&server).await;
    laptop.stop().await;
    ben.stop().await;
    note(&ana, "written before a long trip");
    ana.node().mailbox_exchange(T).await.unwrap();
    ana.stop().await;
    // Sixty-one days on, by the mailbox's clock.
    let later = Timestamp(Timestamp::now().0 + 61 * 24 * 3600 * 1000);
    assert!(server.collect_garbage(later).await.unwrap() >= 1);
    assert_eq!(server.usage().await.unwrap().bundles, 0);
    ben.start(NetConfig::loopback()).await;
    let back = ben.node().mailbox_exchange(T).await.unwrap();
    assert!(back.dropped_before.is_some(), "{back:?}");
    assert!(!has_note(&ben, "written before a long trip"));
    assert!(
        ben.node()
            .mailbox_status()
            .unwrap()
            .dropped_before
            .is_some()
    );
    // A direct sync brings what was dropped, and the warning goes.
    ana.start(NetConfig::loopback()).await;
    // (The laptop is off: it is given two seconds.)
    let r = ben.node().sync_once(Duration::from_secs(2)).await;
    assert!(r.iter().any(|p| p.synced), "{r:?}");
    assert!(has_note(&ben, "written before a long trip"));
    assert_eq!(ben.node().mailbox_status().unwrap().dropped_before, None);
}

/// A mailbox that lies, switchable.
#[derive(Default)]
struct Liar {
    mode: Mutex<Mode>,
    served: Mutex<Vec<Vec<u8>>>,
}

#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
enum Mode {
    #[default]
    Honest,
    Withhold,
    Duplicate,
    Reverse,
    Replay,
    Garbage,
    Flip,
}

impl MailboxHook for Liar {
    fn listing(&self, mut seqs: Vec<u64>) -> Vec<u64> {
        match *self.mode.lock().unwrap() {
            Mode::Withhold => Vec::new(),
            Mode::Duplicate => seqs.iter().flat_map(|s| [*s, *s]).collect(),
            Mode::Reverse => {
                seqs.reverse();
                seqs
            }
            Mode::Replay => seqs.into_iter().chain([9_999]).collect(),
            _ => seqs,
        }
    }

    fn bundle(&self, _seq: u64, stored: Option<Vec<u8>>) -> Option<Vec<u8>> {
        let mode = *self.mode.lock().unwrap();
        if let Some(b) = &stored {
            self.served.lock().unwrap().push(b.clone());
        }
        match mode {
            Mode::Replay => stored.or_else(|| self.served.lock().unwrap().first().cloned()),
            Mode::Garbage => Some(b"age-encryption.org/v1\nnot a bundle".to_vec()),
            Mode::Flip => stored.map(|mut b| {
                let n = b.len();
                b[n / 2] ^= 0x40;
                b
            }),
            _ => stored,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misbehaving_mailbox_can_only_delay() {
    let boxdir = tempfile::tempdir().unwrap();
    let liar = Arc::new(Liar::default());
    let server = mailbox(boxdir.path(), Some(liar.clone() as Arc<dyn MailboxHook>)).await;
    let (ana, mut ben, mut laptop) = couple(&server).await;
    laptop.stop().await;
    ben.stop().await;
    let mut expected = Vec::new();
    for (i, mode) in [
        Mode::Withhold,
        Mode::Garbage,
        Mode::Flip,
        Mode::Duplicate,
        Mode::Reverse,
        Mode::Replay,
    ]
    .into_iter()
    .enumerate()
    {
        for k in 0..2 {
            let text = format!("note {i}.{k} under {mode:?}");
            note(&ana, &text);
            ana.node().mailbox_exchange(T).await.unwrap();
            expected.push(text);
        }
        *liar.mode.lock().unwrap() = mode;
        ben.start(NetConfig::loopback()).await;
        let before = ben.heads(DocKind::Shared);
        let r = ben.node().mailbox_exchange(T).await;
        match mode {
            Mode::Withhold => {
                assert_eq!(ben.heads(DocKind::Shared), before, "withheld, nothing new");
            }
            Mode::Garbage | Mode::Flip => {
                let r = r.unwrap();
                assert!(r.refused > 0 && r.new_changes == 0, "{mode:?}: {r:?}");
                assert_eq!(
                    ben.heads(DocKind::Shared),
                    before,
                    "{mode:?} applied nothing"
                );
            }
            Mode::Duplicate | Mode::Reverse | Mode::Replay => {
                let r = r.unwrap();
                assert_eq!(r.refused, 0, "{mode:?}: {r:?}");
                for t in &expected {
                    assert!(has_note(&ben, t), "{mode:?}: {t} missing");
                }
            }
            Mode::Honest => unreachable!(),
        }
        // Every note Ben holds is one Ana wrote, once.
        let wall = wall_texts(&ben);
        let mut unique = wall.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), wall.len(), "{mode:?}: a note applied twice");
        ben.stop().await;
    }
    // Honest again: everything withheld or spoiled arrives.
    *liar.mode.lock().unwrap() = Mode::Honest;
    note(&ana, "the last one");
    ana.node().mailbox_exchange(T).await.unwrap();
    ben.start(NetConfig::loopback()).await;
    ben.node().mailbox_exchange(T).await.unwrap();
    expected.push("the last one".into());
    for t in &expected {
        assert!(has_note(&ben, t), "{t} missing at the end");
    }
    assert_eq!(ben.heads(DocKind::Shared), ana.heads(DocKind::Shared));
}

/// One raw request to the mailbox from `ep`: the reply's JSON.
async fn raw(ep: &iroh::Endpoint, server: &MailboxServer, frames: &[Vec<u8>]) -> serde_json::Value {
    let conn = ep.connect(server.addr(), MAILBOX_ALPN).await.unwrap();
    let (mut send, mut recv) = conn.open_bi().await.unwrap();
    for f in frames {
        send.write_all(f).await.unwrap();
    }
    let _ = send.finish();
    let body = hearth_sync::read_frame(&mut recv, 1 << 20).await.unwrap();
    serde_json::from_slice(&body).unwrap()
}

fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = (body.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(body);
    out
}

fn json(v: serde_json::Value) -> Vec<u8> {
    framed(&serde_json::to_vec(&v).unwrap())
}

fn code(reply: &serde_json::Value) -> &str {
    reply["refusal"]["code"].as_str().unwrap_or("none")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_refused_and_change_nothing() {
    let boxdir = tempfile::tempdir().unwrap();
    let server = MailboxServer::start(
        boxdir.path(),
        MailboxConfig {
            limits: MailboxLimits {
                bundle_bytes: 4096,
                couple_bundles: 5,
                ..Default::default()
            },
            ..MailboxConfig::loopback()
        },
    )
    .await
    .unwrap();
    let (ana, _ben, _laptop) = couple(&server).await;
    let record = ana.node().read(|j| j.mailbox()).unwrap();
    let usage = server.usage().await.unwrap();
    // An outsider: its own key, not a member.
    let outsider = iroh::Endpoint::builder(iroh::endpoint::presets::Minimal)
        .relay_mode(iroh::RelayMode::Disabled)
        .clear_ip_transports()
        .bind_addr("127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap())
        .unwrap()
        .bind()
        .await
        .unwrap();
    let couple_id = record.couple.clone();
    let cases: Vec<(&str, Vec<Vec<u8>>, &str)> = vec![
        (
            "unknown couple",
            vec![json(
                serde_json::json!({"op": "list", "couple": "ab".repeat(16), "after": 0}),
            )],
            "unknown_couple",
        ),
        (
            "non-member listing",
            vec![json(
                serde_json::json!({"op": "list", "couple": couple_id, "after": 0}),
            )],
            "not_member",
        ),
        (
            "non-member upload",
            vec![
                json(serde_json::json!({"op": "put", "couple": couple_id,
                    "recipients": [ana.node().id().to_string()], "len": 3})),
                framed(b"abc"),
            ],
            "not_member",
        ),
        (
            "non-member changing the members",
            vec![json(
                serde_json::json!({"op": "members", "couple": couple_id,
                "members": [outsider.id().to_string()], "revoked": []}),
            )],
            "not_member",
        ),
        (
            "a used ticket",
            vec![json(serde_json::json!({"op": "register",
                "secret": "00".repeat(16), "couple": "cd".repeat(16),
                "members": [outsider.id().to_string()]}))],
            "ticket_used",
        ),
        ("not JSON", vec![framed(b"\xff\xfe garbage")], "malformed"),
        (
            "a frame over the cap",
            vec![(1u32 << 30).to_be_bytes().to_vec()],
            "malformed",
        ),
        (
            "an unknown operation",
            vec![json(serde_json::json!({"op": "read_everything"}))],
            "malformed",
        ),
    ];
    for (what, frames, expected) in cases {
        let reply = raw(&outsider, &server, &frames).await;
        assert_eq!(code(&reply), expected, "{what}: {reply}");
    }
    assert_eq!(
        server.usage().await.unwrap(),
        usage,
        "the store is unchanged"
    );
    // A member: oversize refused before it is read; a flood stops at the couple's quota.
    let member = ana.node();
    let _ = member;
    let key = ana.node().profile(|p| p.keys().endpoint_secret());
    let ep = iroh::Endpoint::builder(iroh::endpoint::presets::Minimal)
        .secret_key(iroh::SecretKey::from_bytes(&key))
        .relay_mode(iroh::RelayMode::Disabled)
        .clear_ip_transports()
        .bind_addr("127.0.0.1:0".parse::<std::net::SocketAddr>().unwrap())
        .unwrap()
        .bind()
        .await
        .unwrap();
    let ben_id = _ben.node().id().to_string();
    let reply = raw(
        &ep,
        &server,
        &[json(serde_json::json!({"op": "put", "couple": couple_id,
            "recipients": [ben_id], "len": 1_000_000}))],
    )
    .await;
    assert_eq!(code(&reply), "too_large", "{reply}");
    assert_eq!(server.usage().await.unwrap(), usage);
    let mut stored = 0;
    let mut full = 0;
    for _ in 0..12 {
        let reply = raw(
            &ep,
            &server,
            &[
                json(serde_json::json!({"op": "put", "couple": couple_id,
                    "recipients": [ben_id], "len": 100})),
                framed(&[7u8; 100]),
            ],
        )
        .await;
        match reply["reply"].as_str() {
            Some("stored") => stored += 1,
            _ if code(&reply) == "full" => full += 1,
            _ => panic!("{reply}"),
        }
    }
    let now = server.usage().await.unwrap();
    assert_eq!(now.bundles, 5, "{now:?}");
    assert_eq!(stored + usage.bundles, 5);
    assert_eq!(full, 12 - stored);
    // What the flood left is garbage to Ben: refused, not applied; it goes at the end of the
    // retention period.
    let heads = _ben.heads(DocKind::Shared);
    let r = _ben.node().mailbox_exchange(T).await.unwrap();
    assert_eq!(r.refused as u64, stored, "{r:?}");
    assert_eq!(r.new_changes, 0, "{r:?}");
    assert_eq!(_ben.heads(DocKind::Shared), heads);
    // Ben's own note finds no room: he is told, and it waits on his device.
    note(&_ben, "no room for this one yet");
    let r = _ben.node().mailbox_exchange(T).await.unwrap();
    assert!(
        matches!(r.send_refused, Some(MailboxRefusal::Full { .. })),
        "{r:?}"
    );
    let status = _ben.node().mailbox_status().unwrap();
    assert!(status.pending > 0, "{status:?}");
    assert!(status.last_error.unwrap().contains("full"));
    let later = Timestamp(Timestamp::now().0 + 61 * 24 * 3600 * 1000);
    server.collect_garbage(later).await.unwrap();
    assert_eq!(server.usage().await.unwrap().bundles, 0);
    outsider.close().await;
    ep.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tickets_are_refused_with_what_is_wrong() {
    let boxdir = tempfile::tempdir().unwrap();
    let server = mailbox(boxdir.path(), None).await;
    let text = server.setup_ticket().unwrap().to_text();
    for bad in [
        String::new(),
        "hello".to_owned(),
        text[..text.len() - 4].to_owned(),
        format!("{}A", &text[..text.len() - 1]),
        text.replace("HEARTHBOX1", "HEARTH2"),
    ] {
        assert!(
            matches!(
                MailboxTicket::parse(&bad),
                Err(SyncError::BadMailboxTicket(_))
            ),
            "{bad}"
        );
    }
    let spaced = format!(" {}\n{} ", &text[..15].to_lowercase(), &text[15..]);
    assert_eq!(
        MailboxTicket::parse(&spaced).unwrap(),
        server.setup_ticket().unwrap()
    );
    // A device that is not a member of any journal cannot register a couple.
    let alone = TestDevice::new("Alone", Setup::Display).await;
    let ticket = server.setup_ticket().unwrap();
    assert!(alone.node().mailbox_add(&ticket, T).await.is_err());
    assert_eq!(server.usage().await.unwrap().couples, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_bundles_than_one_listing_holds_arrive_in_one_exchange() {
    let boxdir = tempfile::tempdir().unwrap();
    let server = mailbox(boxdir.path(), None).await;
    let (ana, mut ben, mut laptop) = couple(&server).await;
    laptop.stop().await;
    ben.stop().await;
    // More bundles than one page of a listing (256).
    for i in 0..300 {
        note(&ana, &format!("bundle {i}"));
        let r = ana.node().mailbox_exchange(T).await.unwrap();
        assert_eq!(r.sent_changes, 1, "{r:?}");
    }
    ben.start(NetConfig::loopback()).await;
    let got = ben.node().mailbox_exchange(T).await.unwrap();
    assert!(got.fetched >= 300, "{got:?}");
    assert!(has_note(&ben, "bundle 0") && has_note(&ben, "bundle 299"));
    // All taken by Ben; they wait for the laptop only.
    let again = ben.node().mailbox_exchange(T).await.unwrap();
    assert_eq!(again.fetched, 0, "{again:?}");
}
