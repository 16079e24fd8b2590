//! Store tests that reach inside: altered values, injected failures.

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc};

use super::*;

fn new_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let keys = DeviceKeys::generate();
    let store = Store::create(&dir.path().join("journal.redb"), &keys).unwrap();
    (dir, store)
}

fn add_note(doc: &mut AutoCommit, id: &str) {
    let notes = match doc.get(ROOT, "notes").unwrap() {
        Some((_, notes)) => notes,
        None => doc.put_object(ROOT, "notes", ObjType::Map).unwrap(),
    };
    doc.put(&notes, id, "hello").unwrap();
}

fn raw_chunks(store: &Store) -> Vec<((u8, u64), Vec<u8>)> {
    let txn = store.db.begin_read().unwrap();
    let table = txn.open_table(CHUNKS).unwrap();
    table
        .range::<(u8, u64)>(..)
        .unwrap()
        .map(|entry| {
            let (key, value) = entry.unwrap();
            (key.value(), value.value().to_vec())
        })
        .collect()
}

fn put_raw(store: &Store, key: (u8, u64), value: &[u8]) {
    store
        .write(|txn| {
            txn.open_table(CHUNKS)?.insert(key, value)?;
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_flipped_byte_in_a_sealed_chunk_is_damage_and_nothing_changes() {
    let (_dir, mut store) = new_store();
    let mut doc = AutoCommit::new();
    for i in 0..3 {
        add_note(&mut doc, &format!("n{i}"));
        store.append(DocSlot::Shared, &mut doc).unwrap();
    }
    let chunks = raw_chunks(&store);
    let (key, mut value) = chunks[1].clone();
    let middle = value.len() / 2;
    value[middle] ^= 0x40;
    put_raw(&store, key, &value);

    let err = store.load(DocSlot::Shared).unwrap_err();
    assert!(matches!(err, StoreError::Damaged { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("damaged"), "{message}");
    assert!(message.contains("journal.redb"), "{message}");
    // Loading again fails the same way: nothing was dropped or rewritten.
    assert!(matches!(
        store.load(DocSlot::Shared),
        Err(StoreError::Damaged { .. })
    ));
    assert_eq!(raw_chunks(&store)[1], (key, value));
    // An append does not paper over the damage either.
    add_note(&mut doc, "later");
    assert!(matches!(
        store.append(DocSlot::Shared, &mut doc),
        Err(StoreError::Damaged { .. })
    ));
}

#[test]
fn a_chunk_moved_to_another_slot_is_refused() {
    let (_dir, mut store) = new_store();
    let mut private = AutoCommit::new();
    add_note(&mut private, "secret");
    store.append(DocSlot::Private, &mut private).unwrap();
    let (_, value) = raw_chunks(&store)[0].clone();
    put_raw(&store, (DocSlot::Shared.code(), 0), &value);
    store.slots = Default::default();
    let err = store.load(DocSlot::Shared).unwrap_err();
    assert!(err.to_string().contains("belongs somewhere else"), "{err}");
}

#[test]
fn an_unknown_chunk_kind_is_damage() {
    let (_dir, mut store) = new_store();
    put_raw(&store, (DocSlot::Shared.code(), 0), &[7, 1, 2, 3]);
    assert!(matches!(
        store.load(DocSlot::Shared),
        Err(StoreError::Damaged { .. })
    ));
}

#[test]
fn a_failed_compaction_keeps_every_chunk_and_is_retried() {
    let (_dir, mut store) = new_store();
    store.set_compaction_policy(CompactionPolicy {
        max_incrementals: 4,
        min_bytes: u64::MAX,
        inline_factor: 1,
    });
    let mut doc = AutoCommit::new();
    for i in 0..3 {
        add_note(&mut doc, &format!("n{i}"));
        let info = store.append(DocSlot::Shared, &mut doc).unwrap().unwrap();
        assert!(matches!(info.compaction, Compaction::NotDue));
    }
    let before = raw_chunks(&store);
    assert_eq!(before.len(), 3);

    store.fail_next_compaction = true;
    add_note(&mut doc, "n3");
    let info = store.append(DocSlot::Shared, &mut doc).unwrap().unwrap();
    assert!(matches!(info.compaction, Compaction::Failed(_)), "{info:?}");
    // The append is durable, the old chunks all still there.
    let after_failure = raw_chunks(&store);
    assert_eq!(after_failure.len(), 4);
    assert_eq!(&after_failure[..3], &before[..]);
    let mut loaded = store.load(DocSlot::Shared).unwrap().unwrap();
    assert_eq!(loaded.get_heads(), doc.get_heads());

    // The next append compacts.
    add_note(&mut doc, "n4");
    let info = store.append(DocSlot::Shared, &mut doc).unwrap().unwrap();
    let Compaction::Done(done) = info.compaction else {
        panic!("expected a compaction, got {:?}", info.compaction);
    };
    assert_eq!(done.folded, 5);
    assert_eq!(raw_chunks(&store).len(), 1);
    let mut loaded = store.load(DocSlot::Shared).unwrap().unwrap();
    assert_eq!(loaded.get_heads(), doc.get_heads());
    let notes = loaded.get(ROOT, "notes").unwrap().unwrap().1;
    assert_eq!(loaded.length(&notes), 5);
}

#[test]
fn appending_a_document_without_the_stored_changes_defers_compaction() {
    let (_dir, mut store) = new_store();
    store.set_compaction_policy(CompactionPolicy {
        max_incrementals: 2,
        min_bytes: u64::MAX,
        inline_factor: 1,
    });
    let mut a = AutoCommit::new();
    add_note(&mut a, "from-a");
    store.append(DocSlot::Shared, &mut a).unwrap();
    // A second, unrelated document for the same slot: its changes are stored too, but it
    // cannot stand for everything the slot holds.
    let mut b = AutoCommit::new();
    add_note(&mut b, "from-b");
    let info = store.append(DocSlot::Shared, &mut b).unwrap().unwrap();
    assert!(matches!(info.compaction, Compaction::Deferred), "{info:?}");
    assert!(matches!(
        store.compact(DocSlot::Shared, &mut b),
        Err(StoreError::IncompleteDocument { .. })
    ));
    let mut loaded = store.load(DocSlot::Shared).unwrap().unwrap();
    let notes = loaded.get(ROOT, "notes").unwrap().unwrap().1;
    let keys: Vec<String> = loaded.keys(&notes).collect();
    assert!(!keys.is_empty());
    store.compact(DocSlot::Shared, &mut loaded).unwrap();
    assert_eq!(raw_chunks(&store).len(), 1);
}

fn stage(store: &mut Store, doc: &mut AutoCommit) -> StagedChunks {
    store.stage_batch(&mut [(DocSlot::Shared, doc)]).unwrap()
}

fn reopened_notes(dir: &tempfile::TempDir, keys: &DeviceKeys) -> Vec<String> {
    let mut store = Store::open(&dir.path().join("journal.redb"), keys).unwrap();
    let doc = store.load(DocSlot::Shared).unwrap().unwrap();
    let (_, notes) = doc.get(ROOT, "notes").unwrap().unwrap();
    let mut keys: Vec<String> = doc.keys(&notes).collect();
    keys.sort();
    keys
}

fn keyed_store() -> (tempfile::TempDir, DeviceKeys, Store) {
    let dir = tempfile::tempdir().unwrap();
    let keys = DeviceKeys::generate();
    let store = Store::create(&dir.path().join("journal.redb"), &keys).unwrap();
    (dir, keys, store)
}

#[test]
fn staged_chunks_land_in_the_order_they_were_staged() {
    let (dir, keys, mut store) = keyed_store();
    let mut doc = AutoCommit::new();
    add_note(&mut doc, "first");
    let first = stage(&mut store, &mut doc);
    add_note(&mut doc, "second");
    let second = stage(&mut store, &mut doc);
    assert!(!first.is_empty() && !second.is_empty());

    // The second is written first, from another thread: it waits for the first to land.
    let (tx, rx) = std::sync::mpsc::channel();
    let writer = std::thread::spawn(move || {
        let landed = second.write();
        tx.send(()).unwrap();
        landed
    });
    assert!(rx.try_recv().is_err(), "the second landed before the first");
    let landed = first.write().unwrap();
    store
        .settle(landed, &mut [(DocSlot::Shared, &mut doc)])
        .unwrap();
    let landed = writer.join().unwrap().unwrap();
    let infos = store
        .settle(landed, &mut [(DocSlot::Shared, &mut doc)])
        .unwrap();
    assert_eq!(infos[0].as_ref().unwrap().seq, 1);
    drop(store);
    assert_eq!(reopened_notes(&dir, &keys), ["first", "second"]);
}

#[test]
fn a_staged_chunk_that_never_lands_stops_the_later_ones_and_the_next_write_stores_both() {
    let (dir, keys, mut store) = keyed_store();
    let mut doc = AutoCommit::new();
    add_note(&mut doc, "kept");
    store.append(DocSlot::Shared, &mut doc).unwrap();
    add_note(&mut doc, "lost");
    let lost = stage(&mut store, &mut doc);
    add_note(&mut doc, "after");
    let after = stage(&mut store, &mut doc);
    drop(lost);
    let err = after.write().unwrap_err();
    assert!(
        matches!(err, StoreError::EarlierWriteFailed { .. }),
        "{err}"
    );
    // Nothing on disk refers to the change that never landed.
    assert_eq!(raw_chunks(&store).len(), 1);

    // The next write reads the store's state afresh and stores everything memory holds.
    add_note(&mut doc, "next");
    let info = store.append(DocSlot::Shared, &mut doc).unwrap().unwrap();
    assert_eq!(info.seq, 1, "numbered after what is on disk");
    drop(store);
    assert_eq!(
        reopened_notes(&dir, &keys),
        ["after", "kept", "lost", "next"]
    );
}

#[test]
fn a_fold_waits_for_staged_chunks_and_replaces_them_too() {
    let (dir, keys, mut store) = keyed_store();
    let mut doc = AutoCommit::new();
    add_note(&mut doc, "one");
    store.append(DocSlot::Shared, &mut doc).unwrap();
    add_note(&mut doc, "two");
    let staged = stage(&mut store, &mut doc);
    let writer = std::thread::spawn(move || staged.write());
    let info = store.compact(DocSlot::Shared, &mut doc).unwrap();
    assert_eq!(
        info.folded, 2,
        "the fold came after the staged chunk landed"
    );
    writer.join().unwrap().unwrap();
    assert_eq!(raw_chunks(&store).len(), 1);
    drop(store);
    assert_eq!(reopened_notes(&dir, &keys), ["one", "two"]);
}
