//! Attack 5, "Inflation": a small input whose DEFLATE data inflates to gigabytes. Hearth's size
//! caps count compressed bytes, and Automerge 0.12 inflates with `read_to_end` and no bound, so
//! a 2 MB change file grew `hearth import` to 6.2 GB before it was refused. Each path that hands
//! outside bytes to Automerge (a change file, a backup, a sync frame from a peer) must refuse
//! such an input with the journal unchanged, quickly, and without the process growing.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use automerge::sync::SyncDoc;
use flate2::{Compression, write::DeflateEncoder};
use hearth_core::backup::{self, Backup, BackupError, Manifest};
use hearth_core::keys::SecretString;
use hearth_core::{CreateOptions, DocKind, JournalError, Profile, Timestamp};
use hearth_sync::{FrameHook, HookAction, NetConfig, Role, Setup, SyncError};
use hearth_test_kit::{TestDevice, pair, wall_texts};

/// How much the process's peak resident memory may grow while one bomb is refused. An
/// unbounded inflater would reach the bomb's 2 GiB.
const MAX_GROWTH_KIB: u64 = 512 * 1024;
/// How long one refusal may take.
const MAX_REFUSAL: Duration = Duration::from_secs(3);

/// The peak resident memory of this process so far (VmHWM), in KiB.
fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

/// Runs `f` and checks that it took little time and memory.
fn bounded<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let before = peak_kib();
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    let grew = peak_kib().saturating_sub(before);
    eprintln!("{what}: refused in {took:?}, peak memory grew by {grew} KiB");
    assert!(took < MAX_REFUSAL, "{what} took {took:?}");
    assert!(
        grew < MAX_GROWTH_KIB,
        "{what} grew the process by {grew} KiB"
    );
    out
}

/// A raw DEFLATE stream of `mib` MiB of zeros, made without ever holding them: one MiB is
/// compressed and flushed (byte-aligned, not final, referring to nothing before it), that block
/// is repeated, and the encoder's final empty block ends the stream.
fn zeros(mib: usize) -> Vec<u8> {
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
    enc.write_all(&vec![0u8; 1 << 20]).unwrap();
    enc.flush().unwrap();
    let block = enc.get_ref().clone();
    let whole = enc.finish().unwrap();
    let mut out = Vec::with_capacity(block.len() * mib + 16);
    for _ in 0..mib {
        out.extend_from_slice(&block);
    }
    out.extend_from_slice(&whole[block.len()..]);
    out
}

fn uleb(out: &mut Vec<u8>, mut n: u64) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// An Automerge chunk of `kind` around `body` (the checksum is never reached).
fn chunk(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, kind];
    uleb(&mut out, body.len() as u64);
    out.extend_from_slice(body);
    out
}

/// A compressed change chunk (type 2) of about 2 MB that inflates to 2 GiB.
fn change_bomb() -> Vec<u8> {
    let bomb = chunk(2, &zeros(2048));
    assert!(bomb.len() < 3 << 20, "{}", bomb.len());
    bomb
}

/// A document chunk (type 0) of about 2 MB whose one change column is marked deflated and
/// inflates to 2 GiB: Automerge inflates it while parsing, before it checks anything else.
fn document_bomb() -> Vec<u8> {
    let column = zeros(2048);
    let mut body = Vec::new();
    uleb(&mut body, 1); // one actor
    uleb(&mut body, 16);
    body.extend([7u8; 16]);
    uleb(&mut body, 0); // no heads
    uleb(&mut body, 1); // one change column: id 1, actor type, deflated
    uleb(&mut body, (1 << 4) | 1 | 0b1000);
    uleb(&mut body, column.len() as u64);
    uleb(&mut body, 0); // no op columns
    body.extend_from_slice(&column);
    chunk(0, &body)
}

/// A change file from `from` to `to` holding `changes`, sealed and signed as
/// `hearth_sync::changes` writes one (`hearth-changes 2`): the sender is a real member, so only
/// the bound stands between the bytes and Automerge.
fn change_file(from: &TestDevice, to: &TestDevice, changes: &[u8]) -> Vec<u8> {
    let header = serde_json::json!({
        "from": from.node().id().to_string(),
        "created": Timestamp::now(),
        "changes": 1,
    });
    let mut plain = b"hearth-changes 2\n".to_vec();
    plain.extend(serde_json::to_vec(&header).unwrap());
    plain.push(b'\n');
    plain.extend_from_slice(changes);
    let seed = from.node().profile(|p| p.keys().endpoint_secret());
    let sig = hearth_core::membership::sign_detached(&seed, b"hearth/changes/2\n", &plain);
    plain.extend_from_slice(&sig);
    let recipient = to.node().profile(|p| p.keys().age_recipient());
    let enc = age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
        .unwrap();
    let mut out = Vec::new();
    let mut w = enc.wrap_output(&mut out).unwrap();
    w.write_all(&plain).unwrap();
    w.finish().unwrap();
    out
}

fn note(d: &TestDevice, text: &str) {
    let me = d.node().me().unwrap();
    d.node()
        .write(|j| j.add_appreciation(&me, text, false, Timestamp::now()))
        .unwrap();
}

// What broke: `hearth import` of a 2 MB change file holding one compressed chunk grew the
// process to 6.2 GB before Automerge refused the chunk.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inflation_bomb_in_a_change_file_is_refused() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    pair(&ana, &ben, Role::Partner).await;
    note(&ana, "A real note first");
    for (what, bomb) in [
        ("a compressed change", change_bomb()),
        ("a document with a deflated column", document_bomb()),
    ] {
        let file = change_file(&ana, &ben, &bomb);
        let before = ben.heads(DocKind::Shared);
        let err = bounded(what, || ben.node().import_changes(&file)).unwrap_err();
        assert!(
            matches!(err, SyncError::Journal(JournalError::TooLarge(_))),
            "{what}: {err:?}"
        );
        assert!(err.to_string().contains("decode to more than"), "{err}");
        assert_eq!(
            ben.heads(DocKind::Shared),
            before,
            "{what}: nothing changed"
        );
    }
    // The same path still brings real changes in.
    let file = ana.node().export_changes(false).unwrap();
    assert!(ben.node().import_changes(&file).unwrap().new_changes >= 1);
    assert!(wall_texts(&ben).contains(&"A real note first".to_owned()));
}

// What broke: a backup is a file from anywhere; its journal is loaded with `AutoCommit::load`,
// which inflated a deflated column without a bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inflation_bomb_in_a_backup_is_refused() {
    let passphrase = SecretString::from("correct horse battery staple".to_owned());
    let manifest = Manifest::new(chrono::Utc::now(), "somewhere", vec![]);
    let bomb = document_bomb();
    let file = backup::write(Vec::new(), &passphrase, &manifest, &bomb, None, Some(2)).unwrap();

    let err = bounded("reading the backup", || {
        backup::read(&file[..], &passphrase).unwrap_err()
    });
    assert!(
        matches!(err, BackupError::TooLarge { name, .. } if name == backup::JOURNAL_NAME),
        "{err:?}"
    );
    assert!(err.to_string().contains("decode to more than"), "{err}");

    // A backup handed over as bytes, not read from a file: restore and merge refuse it too.
    let forged = Backup {
        manifest,
        shared: bomb,
        private: Some(change_bomb()),
        display: false,
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("restored");
    let err = bounded("restoring the backup", || {
        Profile::restore(&dir, &forged, None, &CreateOptions::default()).unwrap_err()
    });
    assert!(err.to_string().contains("decode to more than"), "{err}");
    assert!(!dir.exists(), "a refused restore leaves nothing behind");

    let ana = TestDevice::new("Ana", Setup::Person).await;
    note(&ana, "Kept through a refused merge");
    let before = ana.heads(DocKind::Shared);
    let err = bounded("merging the backup", || {
        ana.node()
            .with_profile(|p, _| p.merge_backup(&forged))
            .unwrap_err()
    });
    assert!(err.to_string().contains("decode to more than"), "{err}");
    assert_eq!(ana.heads(DocKind::Shared), before);
}

/// Replaces the changes of every outgoing sync message with bombs: a peer that speaks the
/// protocol correctly and sends a poisoned change list.
#[derive(Debug)]
struct Bomber(Vec<Vec<u8>>);

impl FrameHook for Bomber {
    fn outgoing(&self, body: &mut Vec<u8>) -> HookAction {
        if let Ok(mut msg) = automerge::sync::Message::decode(body) {
            msg.changes = self.0.clone().into();
            *body = msg.encode();
        }
        HookAction::Send
    }
}

// What broke: `Message::decode` only splits the change list; `receive_sync_message` then
// inflated each chunk without a bound, so one frame under the 64 MiB frame cap could take
// gigabytes on the receiving device.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inflation_bomb_in_a_sync_frame_is_refused() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let mut ben = TestDevice::new("Ben", Setup::Person).await;
    pair(&ana, &ben, Role::Partner).await;
    ben.stop().await;
    let config = NetConfig {
        frame_hook: Some(Arc::new(Bomber(vec![change_bomb(), document_bomb()]))),
        ..NetConfig::loopback()
    };
    ben.start(config).await;
    note(&ben, "From Ben, never to arrive");
    let before = ana.heads(DocKind::Shared);
    let mut events = ana.node().events();
    let peak = peak_kib();
    let start = Instant::now();
    let report = ben.node().sync_once(Duration::from_secs(5)).await;
    let took = start.elapsed();
    let grew = peak_kib().saturating_sub(peak);
    eprintln!(
        "a sync frame: session ended in {took:?}, peak memory grew by {grew} KiB: {:?}",
        report[0].error
    );
    assert!(!report[0].synced, "{report:?}");
    assert!(report[0].error.is_some(), "{report:?}");
    assert!(
        grew < MAX_GROWTH_KIB,
        "the frame grew the process by {grew} KiB"
    );
    // Ana ended the session because of the bound, not for some other reason.
    let refused = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match events.recv().await {
                Ok(hearth_sync::Event::SessionError { error, .. }) => break error,
                Ok(_) => {}
                Err(e) => panic!("no session error on Ana's side: {e}"),
            }
        }
    })
    .await
    .unwrap();
    assert!(refused.contains("decode to more than"), "{refused}");
    assert_eq!(ana.heads(DocKind::Shared), before, "Ana took nothing");
    assert!(!wall_texts(&ana).iter().any(|t| t.starts_with("From Ben")));

    // The refusal itself, as the receiving side words it.
    let mut state = automerge::sync::State::new();
    let mut msg = ana
        .node()
        .with_profile(|_, j| {
            j.doc_mut(DocKind::Shared)
                .sync()
                .generate_sync_message(&mut automerge::sync::State::new())
        })
        .unwrap();
    msg.changes = vec![change_bomb(), document_bomb()].into();
    let body = msg.encode();
    let err = bounded("applying the frame", || {
        ana.node().with_profile(|_, j| {
            hearth_sync::apply_sync_message(j, DocKind::Shared, &mut state, &body).unwrap_err()
        })
    });
    assert!(matches!(err, hearth_sync::Breach::Inflated(_)), "{err:?}");
    assert!(err.to_string().contains("decode to more than"), "{err}");
    assert_eq!(ana.heads(DocKind::Shared), before);

    // A healthy reconnect converges.
    ben.stop().await;
    ben.start(NetConfig::loopback()).await;
    let report = ben.node().sync_once(Duration::from_secs(10)).await;
    assert!(report[0].synced, "{report:?}");
    assert_eq!(ana.heads(DocKind::Shared), ben.heads(DocKind::Shared));
}

// The bound must not refuse what Hearth itself writes: a ten-year journal, as a snapshot, as a
// change file's worth of changes and as one sync message's change list, decodes well inside it.
#[test]
fn a_ten_year_journal_is_well_inside_the_bound() {
    use hearth_core::bound::{MAX_DECODED, decoded_size};
    // A tenth of the 20 000 items the benchmarks use (a debug build generates about 2 000 a
    // second), with the sizes scaled up tenfold below: 20 000 items decode to about 4 MB.
    const ITEMS: usize = 2_000;
    const SCALE: u64 = 10;
    let mut generated =
        hearth_core::generator::ten_year_journal(7, ITEMS, b"generator-device").unwrap();
    let doc = generated.journal.doc_mut(DocKind::Shared);
    let saved = doc.save();
    let snapshot = decoded_size(&saved).unwrap();
    let mut changes = Vec::new();
    for c in doc.get_changes(&[]) {
        changes.extend_from_slice(c.raw_bytes());
    }
    let all = decoded_size(&changes).unwrap();
    let mut msg = doc
        .sync()
        .generate_sync_message(&mut automerge::sync::State::new())
        .unwrap();
    let mut peer = automerge::AutoCommit::new();
    let mut peer_state = automerge::sync::State::new();
    peer.sync()
        .receive_sync_message(&mut peer_state, msg)
        .unwrap();
    let mut state = automerge::sync::State::new();
    let reply = peer.sync().generate_sync_message(&mut peer_state).unwrap();
    doc.sync().receive_sync_message(&mut state, reply).unwrap();
    msg = doc.sync().generate_sync_message(&mut state).unwrap();
    let message = hearth_core::bound::decoded_size_of_all(msg.changes.iter(), MAX_DECODED).unwrap();
    eprintln!(
        "ten-year journal of {ITEMS} items: snapshot {} B decodes to {snapshot} B; changes {} B decode to {all} B; \
         first sync message's changes decode to {message} B; bound {MAX_DECODED} B",
        saved.len(),
        changes.len()
    );
    for size in [snapshot, all, message] {
        assert!(size * SCALE < MAX_DECODED / 4, "{size}");
    }
}
