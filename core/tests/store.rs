//! The sealed store: round trips, compaction, peers, and damaged files.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use hearth_core::keys::DeviceKeys;
use hearth_core::{Compaction, CompactionPolicy, DocSlot, Store, StoreError};

fn store_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("journal.redb")
}

fn add_note(doc: &mut AutoCommit, id: &str, text: &str) {
    let notes = match doc.get(ROOT, "notes").unwrap() {
        Some((_, notes)) => notes,
        None => doc.put_object(ROOT, "notes", ObjType::Map).unwrap(),
    };
    doc.put(&notes, id, text).unwrap();
}

fn note_ids(doc: &AutoCommit) -> Vec<String> {
    match doc.get(ROOT, "notes").unwrap() {
        Some((_, notes)) => doc.keys(&notes).collect(),
        None => Vec::new(),
    }
}

/// A store with `count` notes in the shared slot, appended one chunk each.
fn store_with_notes(path: &Path, keys: &DeviceKeys, count: usize) -> AutoCommit {
    let mut store = Store::create(path, keys).unwrap();
    let mut doc = AutoCommit::new();
    for i in 0..count {
        add_note(&mut doc, &format!("n{i}"), "text");
        store.append(DocSlot::Shared, &mut doc).unwrap().unwrap();
    }
    doc
}

#[test]
fn many_appends_reopen_with_identical_heads_and_content() {
    let dir = tempfile::tempdir().unwrap();
    let keys = DeviceKeys::generate();
    let mut store = Store::create(&store_path(&dir), &keys).unwrap();
    store.set_compaction_policy(CompactionPolicy {
        max_incrementals: u64::MAX,
        min_bytes: u64::MAX,
        inline_factor: 1,
    });
    let mut doc = AutoCommit::new();
    for i in 0..150 {
        add_note(&mut doc, &format!("n{i:03}"), &format!("note number {i}"));
        let info = store.append(DocSlot::Shared, &mut doc).unwrap().unwrap();
        assert_eq!(info.seq, i);
        assert!(info.sealed_bytes > info.bytes);
    }
    assert_eq!(store.slot_stats(DocSlot::Shared).unwrap().incrementals, 150);
    drop(store);

    let mut store = Store::open(&store_path(&dir), &keys).unwrap();
    let mut loaded = store.load(DocSlot::Shared).unwrap().unwrap();
    assert_eq!(loaded.get_heads(), doc.get_heads());
    assert_eq!(note_ids(&loaded), note_ids(&doc));
    assert_eq!(note_ids(&loaded).len(), 150);
    assert_eq!(store.load(DocSlot::Private).unwrap().map(|_| ()), None);
}

#[test]
fn nothing_new_writes_nothing_and_a_loaded_doc_appends_only_its_new_changes() {
    let dir = tempfile::tempdir().unwrap();
    let keys = DeviceKeys::generate();
    let mut doc = store_with_notes(&store_path(&dir), &keys, 30);
    let mut store = Store::open(&store_path(&dir), &keys).unwrap();
    assert!(store.append(DocSlot::Shared, &mut doc).unwrap().is_none());

    let mut loaded = store.load(DocSlot::Shared).unwrap().unwrap();
    assert!(
        store
            .append(DocSlot::Shared, &mut loaded)
            .unwrap()
            .is_none()
    );
    add_note(&mut loaded, "one-more", "x");
    let info = store.append(DocSlot::Shared, &mut loaded).unwrap().unwrap();
    // One small change, not the whole document again.
    assert!(info.bytes < 300, "{} bytes for one change", info.bytes);
}

#[test]
fn a_store_opened_without_loading_still_appends_only_new_changes() {
    let dir = tempfile::tempdir().unwrap();
    let keys = DeviceKeys::generate();
    let mut doc = store_with_notes(&store_path(&dir), &keys, 10);
    let mut store = Store::open(&store_path(&dir), &keys).unwrap();
    add_note(&mut doc, "late", "x");
    let info = store.append(DocSlot::Shared, &mut doc).unwrap().unwrap();
    assert!(info.bytes < 300, "{} bytes for one change", info.bytes);
    let mut loaded = store.load(DocSlot::Shared).unwrap().unwrap();
    assert_eq!(loaded.get_heads(), doc.get_heads());
}

#[test]
fn compaction_preserves_heads_and_content() {
    let dir = tempfile::tempdir().unwrap();
    let keys = DeviceKeys::generate();
    let mut store = Store::create(&store_path(&dir), &keys).unwrap();
    store.set_compaction_policy(CompactionPolicy {
        max_incrementals: 10,
        min_bytes: u64::MAX,
        inline_factor: 1,
    });
    let mut doc = AutoCommit::new();
    let mut compactions = 0;
    for i in 0..35 {
        add_note(&mut doc, &format!("n{i}"), "text");
        let info = store.append(DocSlot::Shared, &mut doc).unwrap().unwrap();
        match info.compaction {
            Compaction::Done(done) => {
                compactions += 1;
                assert!(done.snapshot_bytes > 0);
                let stats = store.slot_stats(DocSlot::Shared).unwrap();
                assert_eq!((stats.chunks, stats.incrementals), (1, 0));
            }
            Compaction::NotDue => {}
            other => panic!("unexpected compaction outcome {other:?}"),
        }
    }
    assert_eq!(compactions, 3);
    drop(store);
    let mut store = Store::open(&store_path(&dir), &keys).unwrap();
    let mut loaded = store.load(DocSlot::Shared).unwrap().unwrap();
    assert_eq!(loaded.get_heads(), doc.get_heads());
    assert_eq!(note_ids(&loaded).len(), 35);

    // Explicit compaction of a loaded document.
    store.compact(DocSlot::Shared, &mut loaded).unwrap();
    let stats = store.slot_stats(DocSlot::Shared).unwrap();
    assert_eq!((stats.chunks, stats.incrementals), (1, 0));
    let mut again = store.load(DocSlot::Shared).unwrap().unwrap();
    assert_eq!(again.get_heads(), doc.get_heads());
}

#[test]
fn size_triggered_compaction() {
    let dir = tempfile::tempdir().unwrap();
    let keys = DeviceKeys::generate();
    let mut store = Store::create(&store_path(&dir), &keys).unwrap();
    store.set_compaction_policy(CompactionPolicy {
        max_incrementals: u64::MAX,
        min_bytes: 4096,
        inline_factor: 1,
    });
    let mut doc = AutoCommit::new();
    let mut done = false;
    for i in 0..40 {
        add_note(&mut doc, &format!("n{i}"), &"long text ".repeat(30));
        let info = store.append(DocSlot::Shared, &mut doc).unwrap().unwrap();
        done |= matches!(info.compaction, Compaction::Done(_));
    }
    assert!(done, "no compaction after 40 appends of ~300 bytes");
    let mut loaded = store.load(DocSlot::Shared).unwrap().unwrap();
    assert_eq!(loaded.get_heads(), doc.get_heads());
}

#[test]
fn slots_are_independent_and_batches_are_written_together() {
    let dir = tempfile::tempdir().unwrap();
    let keys = DeviceKeys::generate();
    let mut store = Store::create(&store_path(&dir), &keys).unwrap();
    let mut shared = AutoCommit::new();
    let mut private = AutoCommit::new();
    add_note(&mut shared, "s", "shared");
    add_note(&mut private, "p", "private");
    let infos = store
        .append_batch(&mut [
            (DocSlot::Shared, &mut shared),
            (DocSlot::Private, &mut private),
        ])
        .unwrap();
    assert!(infos.iter().all(Option::is_some));
    drop(store);
    let mut store = Store::open(&store_path(&dir), &keys).unwrap();
    let shared = store.load(DocSlot::Shared).unwrap().unwrap();
    let private = store.load(DocSlot::Private).unwrap().unwrap();
    assert_eq!(note_ids(&shared), vec!["s"]);
    assert_eq!(note_ids(&private), vec!["p"]);
}

#[test]
fn restore_snapshot_fills_an_empty_slot_only() {
    let dir = tempfile::tempdir().unwrap();
    let keys = DeviceKeys::generate();
    let mut store = Store::create(&store_path(&dir), &keys).unwrap();
    let mut doc = AutoCommit::new();
    add_note(&mut doc, "a", "x");
    let bytes = doc.save();
    assert!(matches!(
        store.restore_snapshot(DocSlot::Shared, b"not automerge"),
        Err(StoreError::InvalidDocument { .. })
    ));
    store.restore_snapshot(DocSlot::Shared, &bytes).unwrap();
    assert!(matches!(
        store.restore_snapshot(DocSlot::Shared, &bytes),
        Err(StoreError::SlotNotEmpty { .. })
    ));
    let mut loaded = store.load(DocSlot::Shared).unwrap().unwrap();
    assert_eq!(loaded.get_heads(), doc.get_heads());
}

#[test]
fn sync_state_and_addresses_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let keys = DeviceKeys::generate();
    let mut store = Store::create(&store_path(&dir), &keys).unwrap();
    assert_eq!(store.sync_state("peer-a", DocSlot::Shared), None);
    assert!(store.peer_addrs("peer-a").is_empty());
    store
        .put_sync_state("peer-a", DocSlot::Shared, &[1, 2, 3, 0, 255])
        .unwrap();
    store
        .put_sync_state("peer-a", DocSlot::Private, &[9])
        .unwrap();
    store
        .put_peer_addrs(
            "peer-a",
            vec!["192.168.1.20:4433".into(), "[fe80::1]:4433".into()],
        )
        .unwrap();
    store
        .put_peer_addrs("peer-b", vec!["10.0.0.2:1".into()])
        .unwrap();
    drop(store);

    let mut store = Store::open(&store_path(&dir), &keys).unwrap();
    assert_eq!(
        store.sync_state("peer-a", DocSlot::Shared),
        Some(vec![1, 2, 3, 0, 255])
    );
    assert_eq!(store.sync_state("peer-a", DocSlot::Private), Some(vec![9]));
    assert_eq!(store.sync_state("peer-b", DocSlot::Shared), None);
    assert_eq!(
        store.peer_addrs("peer-a"),
        vec!["192.168.1.20:4433".to_owned(), "[fe80::1]:4433".to_owned()]
    );
    assert_eq!(
        store.peers(),
        vec!["peer-a".to_owned(), "peer-b".to_owned()]
    );
    assert!(store.forget_peer("peer-a").unwrap());
    assert!(!store.forget_peer("peer-a").unwrap());
    drop(store);
    let store = Store::open(&store_path(&dir), &keys).unwrap();
    assert_eq!(store.peers(), vec!["peer-b".to_owned()]);

    // Peer ids are sealed too: none appears in the file.
    let raw = std::fs::read(store_path(&dir)).unwrap();
    assert!(!contains(&raw, b"peer-b"));
    assert!(!contains(&raw, b"10.0.0.2"));
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn note_text_never_reaches_the_disk_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let keys = DeviceKeys::generate();
    let mut store = Store::create(&store_path(&dir), &keys).unwrap();
    let mut doc = AutoCommit::new();
    add_note(&mut doc, "n", "a very private sentence");
    store.append(DocSlot::Shared, &mut doc).unwrap();
    store.compact(DocSlot::Shared, &mut doc).unwrap();
    drop(store);
    let raw = std::fs::read(store_path(&dir)).unwrap();
    assert!(!contains(&raw, b"very private"));
}

fn assert_damaged(path: &Path, keys: &DeviceKeys) -> StoreError {
    let result = Store::open(path, keys).and_then(|mut store| {
        store.load(DocSlot::Shared)?;
        Ok(store)
    });
    let err = result.unwrap_err();
    assert!(matches!(err, StoreError::Damaged { .. }), "{err:?}");
    let message = err.to_string();
    // What happened and where, in plain words; the way out is the caller's to say.
    assert!(message.contains("damaged"), "{message}");
    assert!(message.contains(&path.display().to_string()), "{message}");
    let said = message.replace(&path.display().to_string(), "");
    for jargon in ["redb", "database", "Database", "table"] {
        assert!(!said.contains(jargon), "{jargon:?} in {message}");
    }
    err
}

/// A file the database engine finds damaged is not written to at all.
fn assert_damaged_and_unchanged(path: &Path, keys: &DeviceKeys) {
    let before = std::fs::read(path).unwrap();
    assert_damaged(path, keys);
    assert!(
        std::fs::read(path).unwrap() == before,
        "the damaged file was changed"
    );
}

#[test]
fn a_truncated_store_is_damaged_and_left_alone() {
    let keys = DeviceKeys::generate();
    for keep in [0.5, 0.9, 0.1] {
        let dir = tempfile::tempdir().unwrap();
        store_with_notes(&store_path(&dir), &keys, 20);
        let bytes = std::fs::read(store_path(&dir)).unwrap();
        let cut = (bytes.len() as f64 * keep) as usize;
        std::fs::write(store_path(&dir), &bytes[..cut]).unwrap();
        assert_damaged_and_unchanged(&store_path(&dir), &keys);
    }
}

#[test]
fn an_empty_or_garbage_store_file_is_damaged_and_left_alone() {
    let keys = DeviceKeys::generate();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(store_path(&dir), b"").unwrap();
    assert_damaged_and_unchanged(&store_path(&dir), &keys);
    let garbage: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    std::fs::write(store_path(&dir), &garbage).unwrap();
    assert_damaged_and_unchanged(&store_path(&dir), &keys);
}

#[test]
fn flipped_bytes_in_the_store_file_are_damage_and_left_alone() {
    let keys = DeviceKeys::generate();
    let dir = tempfile::tempdir().unwrap();
    store_with_notes(&store_path(&dir), &keys, 20);
    let clean = std::fs::read(store_path(&dir)).unwrap();
    // Flip a byte in each page that holds data, one page at a time.
    let mut detected = 0;
    for page in 1..clean.len() / 4096 {
        let offset = page * 4096 + 100;
        if clean[offset - 100..offset + 100].iter().all(|b| *b == 0) {
            continue;
        }
        let mut altered = clean.clone();
        altered[offset] ^= 0x01;
        std::fs::write(store_path(&dir), &altered).unwrap();
        let outcome = Store::open(&store_path(&dir), &keys).and_then(|mut store| {
            store.load(DocSlot::Shared)?;
            Ok(store)
        });
        match outcome {
            Err(StoreError::Damaged { .. }) => {
                detected += 1;
                assert!(std::fs::read(store_path(&dir)).unwrap() == altered);
            }
            // A flip in a page no longer in use changes nothing that is read.
            Ok(mut store) => {
                let mut doc = store.load(DocSlot::Shared).unwrap().unwrap();
                assert_eq!(note_ids(&doc).len(), 20);
                let _ = doc.get_heads();
            }
            Err(other) => panic!("unexpected error for page {page}: {other}"),
        }
    }
    assert!(detected > 0, "no flipped byte was detected");
}

#[test]
fn another_devices_keys_cannot_open_the_store_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let keys = DeviceKeys::generate();
    store_with_notes(&store_path(&dir), &keys, 3);
    let err = assert_damaged(&store_path(&dir), &DeviceKeys::generate());
    assert!(err.to_string().contains("this device's key"), "{err}");
    // The right keys still read everything.
    let mut store = Store::open(&store_path(&dir), &keys).unwrap();
    let doc = store.load(DocSlot::Shared).unwrap().unwrap();
    assert_eq!(note_ids(&doc).len(), 3);
}

#[test]
fn open_and_create_report_missing_and_existing_files() {
    let dir = tempfile::tempdir().unwrap();
    let keys = DeviceKeys::generate();
    assert!(matches!(
        Store::open(&store_path(&dir), &keys),
        Err(StoreError::NotFound { .. })
    ));
    drop(Store::create(&store_path(&dir), &keys).unwrap());
    assert!(matches!(
        Store::create(&store_path(&dir), &keys),
        Err(StoreError::AlreadyExists { .. })
    ));
}

#[derive(Debug, Clone)]
enum Op {
    Note(DocSlot),
    Compact(DocSlot),
    Reopen,
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    let slot = prop_oneof![Just(DocSlot::Shared), Just(DocSlot::Private)];
    prop_oneof![
        6 => slot.clone().prop_map(Op::Note),
        1 => slot.prop_map(Op::Compact),
        1 => Just(Op::Reopen),
    ]
}

#[test]
fn appends_leave_a_due_compaction_to_compact_due_until_it_is_overdue() {
    let dir = tempfile::tempdir().unwrap();
    let keys = DeviceKeys::generate();
    let mut store = Store::create(&store_path(&dir), &keys).unwrap();
    store.set_compaction_policy(CompactionPolicy {
        max_incrementals: 4,
        min_bytes: u64::MAX,
        inline_factor: 3,
    });
    let mut doc = AutoCommit::new();
    let mut outcomes = Vec::new();
    for i in 0..6 {
        add_note(&mut doc, &format!("n{i}"), "text");
        let info = store.append(DocSlot::Shared, &mut doc).unwrap().unwrap();
        outcomes.push(info.compaction);
    }
    // Due from the 4th chunk on, and nothing folded by the appends themselves.
    assert!(
        outcomes[..3]
            .iter()
            .all(|c| matches!(c, Compaction::NotDue))
    );
    assert!(outcomes[3..].iter().all(|c| matches!(c, Compaction::Due)));
    assert!(store.compaction_pending().unwrap());
    assert_eq!(store.slot_stats(DocSlot::Shared).unwrap().incrementals, 6);

    // A document that lacks the stored changes cannot stand for the slot.
    let mut stranger = AutoCommit::new();
    add_note(&mut stranger, "x", "text");
    let deferred = store
        .compact_due(&mut [(DocSlot::Shared, &mut stranger)])
        .unwrap();
    assert!(
        matches!(deferred[..], [Compaction::Deferred]),
        "{deferred:?}"
    );

    // The private slot holds nothing, so it is not due; the shared one is folded.
    let mut private = AutoCommit::new();
    let done = store
        .compact_due(&mut [
            (DocSlot::Shared, &mut doc),
            (DocSlot::Private, &mut private),
        ])
        .unwrap();
    assert!(
        matches!(done[..], [Compaction::Done(info), Compaction::NotDue] if info.folded == 6),
        "{done:?}"
    );
    assert!(!store.compaction_pending().unwrap());
    let stats = store.slot_stats(DocSlot::Shared).unwrap();
    assert_eq!((stats.chunks, stats.incrementals), (1, 0));

    // Left alone, the incrementals pile up to 3 x 4; that append folds them itself.
    let mut last = Compaction::NotDue;
    for i in 6..18 {
        add_note(&mut doc, &format!("n{i}"), "text");
        last = store
            .append(DocSlot::Shared, &mut doc)
            .unwrap()
            .unwrap()
            .compaction;
    }
    assert!(
        matches!(last, Compaction::Done(info) if info.folded == 13),
        "{last:?}"
    );
    drop(store);
    let mut store = Store::open(&store_path(&dir), &keys).unwrap();
    let loaded = store.load(DocSlot::Shared).unwrap().unwrap();
    assert_eq!(note_ids(&loaded).len(), 18);
}

#[test]
fn a_large_merge_is_stored_as_one_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let keys = DeviceKeys::generate();
    let mut store = Store::create(&store_path(&dir), &keys).unwrap();
    let mut doc = AutoCommit::new();
    add_note(&mut doc, "first", "text");
    store.append(DocSlot::Shared, &mut doc).unwrap().unwrap();

    // Nothing new: nothing written, whatever the size given.
    assert!(
        store
            .append_merged(DocSlot::Shared, &mut doc, 1 << 20)
            .unwrap()
            .is_none()
    );

    // A partner's device sends a great deal at once.
    let mut theirs = doc.fork();
    for i in 0..400 {
        add_note(&mut theirs, &format!("t{i}"), &"a longer note ".repeat(4));
    }
    let incoming = theirs.save_after(&doc.get_heads());
    doc.load_incremental(&incoming).unwrap();
    let info = store
        .append_merged(DocSlot::Shared, &mut doc, incoming.len())
        .unwrap()
        .unwrap();
    assert!(
        matches!(info.compaction, Compaction::Done(done) if done.folded == 1),
        "{info:?}"
    );
    let stats = store.slot_stats(DocSlot::Shared).unwrap();
    assert_eq!((stats.chunks, stats.incrementals), (1, 0));
    assert_eq!(stats.last_seq, Some(info.seq));

    // A small one is an incremental chunk as usual.
    let mut more = doc.fork();
    add_note(&mut more, "small", "text");
    let incoming = more.save_after(&doc.get_heads());
    doc.load_incremental(&incoming).unwrap();
    let info = store
        .append_merged(DocSlot::Shared, &mut doc, incoming.len())
        .unwrap()
        .unwrap();
    assert!(matches!(info.compaction, Compaction::NotDue), "{info:?}");
    assert_eq!(store.slot_stats(DocSlot::Shared).unwrap().incrementals, 1);

    // A document that lacks what the slot holds is appended, never made the snapshot.
    let mut stranger = AutoCommit::new();
    add_note(&mut stranger, "x", &"y".repeat(100));
    let info = store
        .append_merged(DocSlot::Shared, &mut stranger, 1 << 20)
        .unwrap()
        .unwrap();
    assert!(!matches!(info.compaction, Compaction::Done(_)), "{info:?}");
    assert_eq!(store.slot_stats(DocSlot::Shared).unwrap().incrementals, 2);

    drop(store);
    let mut store = Store::open(&store_path(&dir), &keys).unwrap();
    let mut loaded = store.load(DocSlot::Shared).unwrap().unwrap();
    let mut expected = doc.fork();
    expected.merge(&mut stranger).unwrap();
    assert_eq!(loaded.get_heads(), expected.get_heads());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Any mix of appends, compactions and reopens loads back exactly what was written.
    #[test]
    fn any_sequence_of_writes_loads_back(
        ops in proptest::collection::vec(op(), 1..40),
        max_incrementals in 1u64..8,
        inline_factor in 1u64..4,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let keys = DeviceKeys::generate();
        let policy = CompactionPolicy { max_incrementals, min_bytes: u64::MAX, inline_factor };
        let mut store = Store::create(&store_path(&dir), &keys).unwrap();
        store.set_compaction_policy(policy);
        let mut docs = [AutoCommit::new(), AutoCommit::new()];
        let index = |slot: DocSlot| usize::from(slot == DocSlot::Private);
        for (i, op) in ops.into_iter().enumerate() {
            match op {
                Op::Note(slot) => {
                    add_note(&mut docs[index(slot)], &format!("n{i}"), "text");
                    let info = store.append(slot, &mut docs[index(slot)]).unwrap().unwrap();
                    proptest::prop_assert!(
                        !matches!(info.compaction, Compaction::Failed(_) | Compaction::Deferred)
                    );
                    if matches!(info.compaction, Compaction::Due) && i % 2 == 0 {
                        let outcomes = store
                            .compact_due(&mut [(slot, &mut docs[index(slot)])])
                            .unwrap();
                        proptest::prop_assert!(matches!(outcomes[..], [Compaction::Done(_)]));
                    }
                }
                Op::Compact(slot) => {
                    store.compact(slot, &mut docs[index(slot)]).unwrap();
                }
                Op::Reopen => {
                    drop(store);
                    store = Store::open(&store_path(&dir), &keys).unwrap();
                    store.set_compaction_policy(policy);
                }
            }
        }
        drop(store);
        let mut store = Store::open(&store_path(&dir), &keys).unwrap();
        for slot in [DocSlot::Shared, DocSlot::Private] {
            let doc = &mut docs[index(slot)];
            match store.load(slot).unwrap() {
                Some(mut loaded) => {
                    proptest::prop_assert_eq!(loaded.get_heads(), doc.get_heads());
                    proptest::prop_assert_eq!(note_ids(&loaded), note_ids(doc));
                }
                None => proptest::prop_assert!(note_ids(doc).is_empty()),
            }
        }
    }
}
