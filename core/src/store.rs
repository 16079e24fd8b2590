//! The sealed local store: one redb database file in the profile holding the journal documents,
//! per-peer sync state and per-peer addresses, every value sealed with age to the device's own
//! recipient before it touches the disk.
//!
//! A document lives in a [`DocSlot`] as a list of chunks: at most one snapshot (`save()`) first,
//! then incremental chunks (changes since the previous chunk) in sequence. [`Store::append`]
//! writes one chunk in one write transaction and returns only once it is durable. When the
//! incrementals grow past the [`CompactionPolicy`], they are due to be folded into a new snapshot
//! inside one write transaction: either every old chunk is replaced or, if anything fails, none
//! is, and the next attempt tries again. Folding rewrites the whole document, so it is kept off
//! the write path: an append only reports that it is due ([`Compaction::Due`]) and the owner runs
//! [`Store::compact_due`] when it is idle. Only a slot left uncompacted far past the policy is
//! folded by the append itself.
//!
//! An append can also be made in halves ([`Store::stage_batch`], [`StagedChunks::write`],
//! [`Store::settle`]) so that an owner sharing the store behind a lock writes to disk without
//! holding it. Staged chunks land in the order they were staged and every other chunk write
//! waits for them, so the file only ever holds a prefix of what was staged.
//!
//! Commits use redb's default durability: the commit is on disk (fsync) when it returns, and
//! after a crash redb reopens at the last whole commit, found by checksum. (redb's two-phase
//! commit defends against a writer who chooses the bytes written so as to forge a checksum;
//! every byte this store writes is age ciphertext under a fresh key, which nobody can choose.)
//! The database is verified when it is opened, so a file damaged outside redb is reported as
//! [`StoreError::Damaged`] and left as it is.

mod peers;
mod seal;
#[cfg(test)]
mod tests;

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use automerge::{AutoCommit, ChangeHash, ReadDoc};
use redb::{ReadableDatabase, ReadableTable, TableDefinition};

use crate::keys::DeviceKeys;
use crate::profile::files;
use peers::PeerBook;
pub use peers::Trust;
use seal::Sealer;

/// The store format this version writes and the newest it reads.
pub const STORE_FORMAT: u64 = 1;

const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// (slot code, sequence number) -> chunk kind byte followed by the sealed chunk.
const CHUNKS: TableDefinition<(u8, u64), &[u8]> = TableDefinition::new("chunks");
/// One sealed record with every peer's sync state and addresses, so peer ids stay sealed too.
const PEERS: TableDefinition<&str, &[u8]> = TableDefinition::new("peers");
const FORMAT_KEY: &str = "format";
const PEER_BOOK_KEY: &str = "book";
const PEER_BOOK_CONTEXT: &str = "hearth/peers";

/// redb's page cache; the journal is small, and boards have little memory.
const CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Which of the profile's documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocSlot {
    /// The couple's shared journal.
    Shared,
    /// This person's private journal.
    Private,
    /// The wall document: what the home display may show.
    Wall,
}

impl DocSlot {
    /// Every slot.
    pub const ALL: [DocSlot; 3] = [DocSlot::Shared, DocSlot::Private, DocSlot::Wall];

    /// A lowercase name: `shared`, `private` or `wall`.
    pub fn name(self) -> &'static str {
        match self {
            DocSlot::Shared => "shared",
            DocSlot::Private => "private",
            DocSlot::Wall => "wall",
        }
    }

    fn code(self) -> u8 {
        match self {
            DocSlot::Shared => 0,
            DocSlot::Private => 1,
            DocSlot::Wall => 2,
        }
    }

    fn index(self) -> usize {
        usize::from(self.code())
    }
}

impl fmt::Display for DocSlot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkKind {
    Snapshot,
    Incremental,
}

impl ChunkKind {
    fn byte(self) -> u8 {
        match self {
            ChunkKind::Snapshot => 0,
            ChunkKind::Incremental => 1,
        }
    }

    fn from_byte(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(ChunkKind::Snapshot),
            1 => Some(ChunkKind::Incremental),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ChunkKind::Snapshot => "snapshot",
            ChunkKind::Incremental => "incremental",
        }
    }
}

/// When incremental chunks are folded into a snapshot: once there are `max_incrementals` of
/// them, or once their sealed size reaches the snapshot's (at least `min_bytes`), as
/// automerge-repo does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompactionPolicy {
    /// Fold once this many incremental chunks have piled up.
    pub max_incrementals: u64,
    /// Fold once the incrementals' sealed bytes reach the snapshot's size, or this many bytes,
    /// whichever is larger.
    pub min_bytes: u64,
    /// An append folds the slot itself, on the write path, only once the incrementals reach
    /// this many times either threshold above; until then it reports [`Compaction::Due`] and
    /// leaves the folding to [`Store::compact_due`]. 1 folds on the append as soon as it is due.
    pub inline_factor: u64,
}

impl Default for CompactionPolicy {
    fn default() -> Self {
        CompactionPolicy {
            max_incrementals: 64,
            min_bytes: 16 * 1024,
            inline_factor: 4,
        }
    }
}

/// The chunks a slot holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlotStats {
    /// All chunks, snapshot included.
    pub chunks: u64,
    /// Sealed size of the snapshot (0 if none).
    pub snapshot_bytes: u64,
    /// Incremental chunks after the snapshot.
    pub incrementals: u64,
    /// Their sealed size.
    pub incremental_bytes: u64,
    /// The highest sequence number in use.
    pub last_seq: Option<u64>,
}

impl SlotStats {
    fn next_seq(&self) -> u64 {
        self.last_seq.map_or(0, |seq| seq.saturating_add(1))
    }

    fn add(&mut self, seq: u64, kind: ChunkKind, sealed_bytes: u64) {
        self.chunks += 1;
        match kind {
            ChunkKind::Snapshot => self.snapshot_bytes += sealed_bytes,
            ChunkKind::Incremental => {
                self.incrementals += 1;
                self.incremental_bytes += sealed_bytes;
            }
        }
        self.last_seq = Some(self.last_seq.map_or(seq, |last| last.max(seq)));
    }
}

/// What [`Store::append`] wrote.
#[derive(Debug)]
#[non_exhaustive]
pub struct ChunkInfo {
    /// The slot written.
    pub slot: DocSlot,
    /// The new chunk's sequence number.
    pub seq: u64,
    /// Size of the Automerge bytes in the chunk.
    pub bytes: usize,
    /// Size of the chunk as stored (sealed).
    pub sealed_bytes: usize,
    /// Whether the append was followed by a compaction, and how it went.
    pub compaction: Compaction,
}

/// The outcome of the compaction that may follow an append.
#[derive(Debug)]
#[non_exhaustive]
pub enum Compaction {
    /// Not due yet.
    NotDue,
    /// Due, and left for [`Store::compact_due`]: the append returned as soon as its own chunk
    /// was durable.
    Due,
    /// Due and done.
    Done(CompactionInfo),
    /// Due, but the document appended does not hold every change the store holds (it was not
    /// loaded from this store); compacting it would drop changes, so the store waits for a
    /// complete document.
    Deferred,
    /// Due and tried, but it failed: the old chunks are all still in place (the append itself
    /// is durable) and the next append tries again. Worth a warning in the log.
    Failed(StoreError),
}

/// What a compaction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompactionInfo {
    /// Chunks replaced by the new snapshot.
    pub folded: u64,
    /// Size of the new snapshot's Automerge bytes.
    pub snapshot_bytes: usize,
}

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store file cannot be read as a Hearth store: damaged on disk, altered, or sealed with
    /// another device's key. Nothing was written.
    #[error("the journal store at {} is damaged ({detail}); it was left as it is", path.display())]
    Damaged {
        /// The store file.
        path: PathBuf,
        /// What was found wrong.
        detail: String,
    },
    /// There is no store file.
    #[error("there is no journal store at {}; create a profile first", path.display())]
    NotFound {
        /// Where the store was expected.
        path: PathBuf,
    },
    /// A store file is already there.
    #[error(
        "a journal store already exists at {}; it was left as it is",
        path.display()
    )]
    AlreadyExists {
        /// The store file.
        path: PathBuf,
    },
    /// Another process has the store open.
    #[error(
        "the journal store at {} is open in another process; close the other Hearth first",
        path.display()
    )]
    Busy {
        /// The store file.
        path: PathBuf,
    },
    /// The store was written by a newer version of Hearth.
    #[error(
        "the journal store at {} has format {found}, made by a newer Hearth (this one reads up \
         to {STORE_FORMAT}); upgrade Hearth",
        path.display()
    )]
    NewerFormat {
        /// The store file.
        path: PathBuf,
        /// The format found.
        found: u64,
    },
    /// A restore would write over a slot that holds data.
    #[error("the {slot} journal already holds data; merge into it instead of restoring over it")]
    SlotNotEmpty {
        /// The slot.
        slot: DocSlot,
    },
    /// A compaction was asked for with a document that lacks stored changes.
    #[error(
        "the document given for compacting the {slot} journal lacks changes the store already \
         holds; load it from the store first"
    )]
    IncompleteDocument {
        /// The slot.
        slot: DocSlot,
    },
    /// Bytes offered as a document do not load.
    #[error("the {slot} journal given is not a valid Automerge document: {detail}")]
    InvalidDocument {
        /// The slot.
        slot: DocSlot,
        /// What failed.
        detail: String,
    },
    /// Reading or writing the file failed.
    #[error(
        "could not read or write the journal store at {}: {source}; check free disk space and \
         permissions",
        path.display()
    )]
    Io {
        /// The store file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A chunk staged before this one failed to land, so this one was not written either (it
    /// would refer to changes the file does not hold). What memory holds is stored with the
    /// next change.
    #[error(
        "an earlier write to the journal store at {} failed, so this one was not made",
        path.display()
    )]
    EarlierWriteFailed {
        /// The store file.
        path: PathBuf,
    },
    /// Sealing a value failed.
    #[error("could not seal data for the journal store: {0}")]
    Seal(String),
    /// The database reported something unexpected; nothing was changed by the failed call.
    #[error(
        "the journal store at {} reported an unexpected error: {detail}; close Hearth and open it again",
        path.display()
    )]
    Database {
        /// The store file.
        path: PathBuf,
        /// The database's message.
        detail: String,
    },
}

/// A chunk as read from the table: sequence number, kind, sealed length, and the sealed bytes
/// when asked for.
type RawChunk = (u64, ChunkKind, u64, Vec<u8>);

/// What the store knows about a slot without reading it again.
#[derive(Debug, Default, Clone)]
struct SlotState {
    stats: Option<SlotStats>,
    /// Heads of everything the slot holds, when known: after a load, after appending a document
    /// that held everything already stored, after a compaction.
    heads: Option<Vec<ChangeHash>>,
}

/// The sealed store of one profile: one redb database file holding the journal documents,
/// per-peer sync state and per-peer addresses, every value sealed with age to the device's own
/// recipient before it touches the disk.
///
/// A document lives in a [`DocSlot`] as a list of chunks: at most one snapshot (`save()`) first,
/// then incremental chunks in sequence. [`Store::append`] writes one chunk in one write
/// transaction and returns once it is durable. When incrementals pile up past the
/// [`CompactionPolicy`], [`Store::compact_due`] folds them into a new snapshot inside one write
/// transaction: every old chunk is replaced or, if anything fails, none is, and the next attempt
/// tries again.
///
/// The file is verified when it is opened, so damage is reported as [`StoreError::Damaged`],
/// with the file left as it is.
pub struct Store {
    db: Arc<redb::Database>,
    landing: Arc<Landing>,
    path: PathBuf,
    sealer: Sealer,
    policy: CompactionPolicy,
    slots: [SlotState; 3],
    peers: PeerBook,
    #[cfg(test)]
    fail_next_compaction: bool,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

fn builder() -> redb::Builder {
    let mut builder = redb::Builder::new();
    builder
        .set_cache_size(CACHE_BYTES)
        .set_check_integrity_on_open(true);
    builder
}

impl Store {
    /// Creates a new, empty store file at `path`, sealed to `keys`. Refuses an existing file.
    pub fn create(path: &Path, keys: &DeviceKeys) -> Result<Store, StoreError> {
        match files::create_new_private().open(path) {
            Ok(file) => drop(file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(StoreError::AlreadyExists {
                    path: path.to_owned(),
                });
            }
            Err(source) => {
                return Err(StoreError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        }
        let created = (|| {
            let db = builder().create(path).map_err(|e| db_error(path, e))?;
            let txn = db.begin_write().map_err(|e| db_error(path, e))?;
            let init = (|| -> Result<(), redb::Error> {
                txn.open_table(META)?.insert(FORMAT_KEY, STORE_FORMAT)?;
                txn.open_table(CHUNKS)?;
                txn.open_table(PEERS)?;
                Ok(())
            })();
            init.map_err(|e| db_error(path, e))?;
            txn.commit().map_err(|e| db_error(path, e))?;
            files::sync_dir(files::parent_dir(path)).map_err(|source| StoreError::Io {
                path: path.to_owned(),
                source,
            })?;
            Ok(db)
        })();
        match created {
            Ok(db) => Ok(Store::with_db(db, path, keys, PeerBook::default())),
            Err(e) => {
                // The file is ours, new and holds nothing yet.
                let _ = std::fs::remove_file(path);
                Err(e)
            }
        }
    }

    /// Opens the store file at `path` with `keys`, verifying the whole file first.
    pub fn open(path: &Path, keys: &DeviceKeys) -> Result<Store, StoreError> {
        match std::fs::metadata(path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::NotFound {
                    path: path.to_owned(),
                });
            }
            Err(source) => {
                return Err(StoreError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        }
        // The integrity check turns damage into errors; this guards against any that slips
        // through as a panic in the database engine.
        let db = catch_unwind(AssertUnwindSafe(|| builder().open(path)))
            .map_err(|_| damaged(path, "it cannot be read"))?
            .map_err(|e| db_error(path, e))?;
        let sealer = Sealer::new(keys);
        let peers = read_meta_and_peers(&db, path, &sealer)?;
        Ok(Store::with_db(db, path, keys, peers))
    }

    fn with_db(db: redb::Database, path: &Path, keys: &DeviceKeys, peers: PeerBook) -> Store {
        Store {
            db: Arc::new(db),
            landing: Arc::default(),
            path: path.to_owned(),
            sealer: Sealer::new(keys),
            policy: CompactionPolicy::default(),
            slots: Default::default(),
            peers,
            #[cfg(test)]
            fail_next_compaction: false,
        }
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The compaction policy in use.
    pub fn compaction_policy(&self) -> CompactionPolicy {
        self.policy
    }

    /// Changes when incremental chunks are folded into a snapshot.
    pub fn set_compaction_policy(&mut self, policy: CompactionPolicy) {
        self.policy = policy;
    }

    /// The chunks `slot` holds.
    pub fn slot_stats(&mut self, slot: DocSlot) -> Result<SlotStats, StoreError> {
        if let Some(stats) = self.slots[slot.index()].stats {
            return Ok(stats);
        }
        let chunks = self.read_chunks(slot, false)?;
        let mut stats = SlotStats::default();
        for (seq, kind, sealed_len, _) in &chunks {
            stats.add(*seq, *kind, *sealed_len);
        }
        let state = &mut self.slots[slot.index()];
        state.stats = Some(stats);
        if stats.chunks == 0 {
            state.heads = Some(Vec::new());
        }
        Ok(stats)
    }

    /// Loads the document in `slot`: the snapshot, then every incremental chunk in order, each
    /// opened with the device's key. `None` if the slot holds nothing yet.
    ///
    /// Set the device's actor on the result (`doc.set_actor(..)`) before editing it.
    pub fn load(&mut self, slot: DocSlot) -> Result<Option<AutoCommit>, StoreError> {
        let loaded = self.load_chunks(slot);
        if loaded.is_err() {
            // Once damage is seen, writes to the slot wait for a load that succeeds: nothing is
            // appended to or compacted over a slot that cannot be read.
            self.slots[slot.index()] = SlotState::default();
        }
        loaded
    }

    fn load_chunks(&mut self, slot: DocSlot) -> Result<Option<AutoCommit>, StoreError> {
        let chunks = self.read_chunks(slot, true)?;
        let mut stats = SlotStats::default();
        let mut doc: Option<AutoCommit> = None;
        for (seq, kind, sealed_len, sealed) in &chunks {
            stats.add(*seq, *kind, *sealed_len);
            let plain = self
                .sealer
                .unseal(&chunk_context(slot, *seq, *kind), sealed)
                .map_err(|detail| damaged(&self.path, detail))?;
            let bad_chunk = |e: automerge::AutomergeError| {
                damaged(
                    &self.path,
                    format!("{slot} {} chunk {seq} does not load: {e}", kind.name()),
                )
            };
            // Not measured with `crate::bound`: this device wrote and sealed these chunks, and
            // what it wrote passed the bound (or was made here) on its way in.
            match doc.as_mut() {
                Some(doc) => {
                    doc.load_incremental(&plain).map_err(bad_chunk)?;
                }
                None => {
                    let first = match kind {
                        ChunkKind::Snapshot => AutoCommit::load(&plain),
                        ChunkKind::Incremental => {
                            let mut first = AutoCommit::new();
                            first.load_incremental(&plain).map(|_| first)
                        }
                    };
                    doc = Some(first.map_err(bad_chunk)?);
                }
            }
        }
        let state = &mut self.slots[slot.index()];
        state.stats = Some(stats);
        let Some(mut doc) = doc else {
            state.heads = Some(Vec::new());
            return Ok(None);
        };
        if !doc.get_missing_deps(&[]).is_empty() {
            return Err(damaged(
                &self.path,
                format!("the {slot} journal refers to changes the store does not hold"),
            ));
        }
        state.heads = Some(doc.get_heads());
        Ok(Some(doc))
    }

    /// Saves the changes `doc` holds that `slot` does not yet hold as one sealed chunk, durable
    /// when this returns; then compacts the slot if that is due. `None` if there was nothing new.
    ///
    /// Works with any document for the slot: one loaded from this store (the usual case), one
    /// that merged changes from a partner, or a new one. Compaction needs a document holding
    /// everything the slot holds (see [`Compaction::Deferred`]).
    pub fn append(
        &mut self,
        slot: DocSlot,
        doc: &mut AutoCommit,
    ) -> Result<Option<ChunkInfo>, StoreError> {
        let mut infos = self.append_batch(&mut [(slot, doc)])?;
        Ok(infos.pop().flatten())
    }

    /// Like [`Store::append`] for several documents, written in one write transaction: either
    /// every chunk is stored or none is. One result per document, in order.
    pub fn append_batch(
        &mut self,
        docs: &mut [(DocSlot, &mut AutoCommit)],
    ) -> Result<Vec<Option<ChunkInfo>>, StoreError> {
        let staged = self.stage_batch(docs)?;
        let landed = staged.write()?;
        self.settle(landed, docs)
    }

    /// The first half of [`Store::append_batch`]: seals the changes each document holds that the
    /// store does not as numbered chunks, and counts them as the store's, without writing them.
    /// [`StagedChunks::write`] writes them and needs no access to the store, so the owner can let
    /// go of its lock (and send the changes to peers) while the disk works; then
    /// [`Store::settle`] checks the compaction policy.
    ///
    /// Staged chunks land in the order they were staged, and every other write of chunks waits
    /// for the staged ones to land, so the file only ever holds a prefix of what was staged: a
    /// crash leaves no chunk whose changes refer to one that never landed. If a staged write
    /// fails (or is dropped unwritten), the ones staged after it fail too, and the next stage
    /// reads the store's state from the file again, so what memory holds is stored in full with
    /// the next change.
    pub fn stage_batch(
        &mut self,
        docs: &mut [(DocSlot, &mut AutoCommit)],
    ) -> Result<StagedChunks, StoreError> {
        self.ready_for_chunks(docs.iter().map(|(slot, _)| *slot), false);
        let mut next_seq = [0u64; 3];
        let mut known_heads: [Vec<ChangeHash>; 3] = Default::default();
        for slot in DocSlot::ALL {
            if docs.iter().any(|(s, _)| *s == slot) {
                next_seq[slot.index()] = self.slot_stats(slot)?.next_seq();
                known_heads[slot.index()] = self.known_heads(slot)?;
            }
        }
        let mut pending = Vec::new();
        for (index, (slot, doc)) in docs.iter_mut().enumerate() {
            let bytes = doc.save_after(&known_heads[slot.index()]);
            if bytes.is_empty() {
                continue;
            }
            let seq = next_seq[slot.index()];
            next_seq[slot.index()] += 1;
            let sealed = self
                .sealer
                .seal(&chunk_context(*slot, seq, ChunkKind::Incremental), &bytes)
                .map_err(StoreError::Seal)?;
            let mut value = Vec::with_capacity(sealed.len() + 1);
            value.push(ChunkKind::Incremental.byte());
            value.extend_from_slice(&sealed);
            pending.push(PendingChunk {
                index,
                slot: *slot,
                seq,
                bytes: bytes.len(),
                value,
            });
        }
        let mut infos: Vec<Option<ChunkInfo>> = docs.iter().map(|_| None).collect();
        // Counted as the store's now: the next stage numbers its chunks after these and saves only
        // what comes after them.
        for chunk in &pending {
            let doc = &mut docs[chunk.index].1;
            let state = &mut self.slots[chunk.slot.index()];
            if let Some(stats) = state.stats.as_mut() {
                stats.add(
                    chunk.seq,
                    ChunkKind::Incremental,
                    sealed_len(chunk.value.len()),
                );
            }
            // The slot now holds the union of what it held and `doc`; when `doc` held all of
            // it, that union is `doc` itself.
            state.heads = holds_all(doc, &known_heads[chunk.slot.index()]).then(|| doc.get_heads());
            infos[chunk.index] = Some(ChunkInfo {
                slot: chunk.slot,
                seq: chunk.seq,
                bytes: chunk.bytes,
                sealed_bytes: chunk.value.len(),
                compaction: Compaction::NotDue,
            });
        }
        Ok(StagedChunks {
            ticket: (!pending.is_empty()).then(|| self.landing.issue()),
            db: Arc::clone(&self.db),
            path: self.path.clone(),
            landing: Arc::clone(&self.landing),
            pending,
            infos,
        })
    }

    /// The last half of [`Store::append_batch`], once staged chunks landed: checks each slot
    /// written against the compaction policy with the last document given for it (`docs` as
    /// they were staged); only an overdue slot is folded here, on the write path. One result per
    /// document, in order.
    pub fn settle(
        &mut self,
        landed: LandedChunks,
        docs: &mut [(DocSlot, &mut AutoCommit)],
    ) -> Result<Vec<Option<ChunkInfo>>, StoreError> {
        let LandedChunks { mut infos } = landed;
        for slot in DocSlot::ALL {
            let Some(last) = infos
                .iter()
                .rposition(|info| info.as_ref().is_some_and(|info| info.slot == slot))
            else {
                continue;
            };
            let stats = self.slot_stats(slot)?;
            let outcome = if self.compaction_overdue(&stats) {
                match docs.get_mut(last) {
                    Some((_, doc)) => self.compact_slot(slot, doc),
                    None => Compaction::Due,
                }
            } else if self.compaction_due(&stats) {
                Compaction::Due
            } else {
                Compaction::NotDue
            };
            if let Some(info) = infos[last].as_mut() {
                info.compaction = outcome;
            }
        }
        Ok(infos)
    }

    /// Before chunks of `slots` are written here: waits for staged chunks still landing when
    /// `all` is asked for (a fold replaces every chunk, so it comes after them) or what the
    /// store knows of those slots must be read from the file; after a staged write failed,
    /// waits for every one and reads the state afresh.
    fn ready_for_chunks(&mut self, slots: impl IntoIterator<Item = DocSlot>, all: bool) {
        let cached = slots.into_iter().all(|slot| {
            let state = &self.slots[slot.index()];
            state.stats.is_some() && state.heads.is_some()
        });
        if self.landing.settle(all || !cached) {
            self.forget_cached_state();
            for state in &mut self.slots {
                state.heads = None;
            }
        }
    }

    /// Folds each given slot whose incrementals are due under the [`CompactionPolicy`] into a
    /// new snapshot of the document given for it (see [`Store::compact`]); the rest are left as
    /// they are. One outcome per document, in order. Meant to run when the owner is idle, after
    /// appends reported [`Compaction::Due`]; a failure leaves every chunk in place.
    pub fn compact_due(
        &mut self,
        docs: &mut [(DocSlot, &mut AutoCommit)],
    ) -> Result<Vec<Compaction>, StoreError> {
        let mut outcomes = Vec::with_capacity(docs.len());
        for (slot, doc) in docs.iter_mut() {
            let stats = self.slot_stats(*slot)?;
            outcomes.push(if self.compaction_due(&stats) {
                self.compact_slot(*slot, doc)
            } else {
                Compaction::NotDue
            });
        }
        Ok(outcomes)
    }

    /// Whether any slot's incrementals are due to be folded.
    pub fn compaction_pending(&mut self) -> Result<bool, StoreError> {
        for slot in DocSlot::ALL {
            let stats = self.slot_stats(slot)?;
            if self.compaction_due(&stats) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Stores changes merged into `doc` from elsewhere (a sync message, a change file), when
    /// about `incoming` bytes of changes arrived. Usually that is [`Store::append`]; but when
    /// they are at least as large as everything the slot holds (a new device's first sync), an
    /// incremental chunk would hold most of the document, cost more to write than a snapshot
    /// and be due for folding at once, so the slot is rewritten as one snapshot of `doc`
    /// instead, in one transaction. `None` if `doc` holds nothing new.
    pub fn append_merged(
        &mut self,
        slot: DocSlot,
        doc: &mut AutoCommit,
        incoming: usize,
    ) -> Result<Option<ChunkInfo>, StoreError> {
        let stats = self.slot_stats(slot)?;
        let held = stats.snapshot_bytes.saturating_add(stats.incremental_bytes);
        let known = self.known_heads(slot)?;
        if sealed_len(incoming) < held.max(self.policy.min_bytes) || !holds_all(doc, &known) {
            return self.append(slot, doc);
        }
        if doc.get_heads() == known {
            return Ok(None);
        }
        let info = self.compact(slot, doc)?;
        let after = self.slot_stats(slot)?;
        Ok(Some(ChunkInfo {
            slot,
            seq: after.last_seq.unwrap_or_default(),
            bytes: info.snapshot_bytes,
            sealed_bytes: usize::try_from(after.snapshot_bytes).unwrap_or(usize::MAX),
            compaction: Compaction::Done(info),
        }))
    }

    /// [`Store::compact`] when `doc` can stand for the whole slot, as an outcome.
    fn compact_slot(&mut self, slot: DocSlot, doc: &mut AutoCommit) -> Compaction {
        match self.known_heads(slot) {
            Ok(heads) if holds_all(doc, &heads) => match self.compact(slot, doc) {
                Ok(info) => Compaction::Done(info),
                Err(e) => Compaction::Failed(e),
            },
            Ok(_) => Compaction::Deferred,
            Err(e) => Compaction::Failed(e),
        }
    }

    /// Folds everything `slot` holds into one snapshot of `doc` (`doc.save()`), replacing the old
    /// chunks in one write transaction. `doc` must hold every change the slot holds (load it
    /// from this store); it may hold more, which is then stored too.
    pub fn compact(
        &mut self,
        slot: DocSlot,
        doc: &mut AutoCommit,
    ) -> Result<CompactionInfo, StoreError> {
        let snapshot = doc.save();
        self.compact_from(slot, doc, &snapshot)
    }

    /// Stores `snapshot` (a `save()` of `doc`, such as the bytes `doc` was just loaded from) as
    /// everything `slot` holds, as [`Store::compact`] does without saving `doc` again: how a
    /// device keeps a whole document it adopted from a peer.
    pub fn store_snapshot(
        &mut self,
        slot: DocSlot,
        doc: &mut AutoCommit,
        snapshot: &[u8],
    ) -> Result<ChunkInfo, StoreError> {
        let info = self.compact_from(slot, doc, snapshot)?;
        let after = self.slot_stats(slot)?;
        Ok(ChunkInfo {
            slot,
            seq: after.last_seq.unwrap_or_default(),
            bytes: info.snapshot_bytes,
            sealed_bytes: usize::try_from(after.snapshot_bytes).unwrap_or(usize::MAX),
            compaction: Compaction::Done(info),
        })
    }

    fn compact_from(
        &mut self,
        slot: DocSlot,
        doc: &mut AutoCommit,
        snapshot: &[u8],
    ) -> Result<CompactionInfo, StoreError> {
        self.ready_for_chunks([slot], true);
        let before = self.slot_stats(slot)?;
        let heads = self.known_heads(slot)?;
        if !holds_all(doc, &heads) {
            return Err(StoreError::IncompleteDocument { slot });
        }
        let seq = before.next_seq();
        let sealed = self
            .sealer
            .seal(&chunk_context(slot, seq, ChunkKind::Snapshot), snapshot)
            .map_err(StoreError::Seal)?;
        let mut value = Vec::with_capacity(sealed.len() + 1);
        value.push(ChunkKind::Snapshot.byte());
        value.extend_from_slice(&sealed);

        #[cfg(test)]
        let fail = std::mem::take(&mut self.fail_next_compaction);
        #[cfg(not(test))]
        let fail = false;
        let written = self.write(|txn| {
            let mut table = txn.open_table(CHUNKS)?;
            table.insert((slot.code(), seq), value.as_slice())?;
            table.retain_in((slot.code(), 0u64)..(slot.code(), seq), |_, _| false)?;
            if fail {
                // A failure after every write, just before the commit: the worst moment.
                return Err(redb::Error::Io(std::io::Error::other(
                    "compaction failure injected by a test",
                )));
            }
            Ok(())
        });
        if let Err(e) = written {
            self.forget_cached_state();
            return Err(e);
        }
        let mut stats = SlotStats::default();
        stats.add(seq, ChunkKind::Snapshot, sealed_len(value.len()));
        let state = &mut self.slots[slot.index()];
        state.stats = Some(stats);
        state.heads = Some(doc.get_heads());
        Ok(CompactionInfo {
            folded: before.chunks,
            snapshot_bytes: snapshot.len(),
        })
    }

    /// Writes `bytes` (a document's `save()`, e.g. from a backup) as the snapshot of an empty
    /// `slot`. Refuses a slot that holds data (merge into it instead: load, `load_incremental`,
    /// append) and bytes that do not load as a complete document, or that would inflate past
    /// [`crate::bound::MAX_DECODED`] (they come from a backup file).
    pub fn restore_snapshot(&mut self, slot: DocSlot, bytes: &[u8]) -> Result<(), StoreError> {
        if self.slot_stats(slot)?.chunks > 0 {
            return Err(StoreError::SlotNotEmpty { slot });
        }
        crate::bound::decoded_size(bytes).map_err(|e| StoreError::InvalidDocument {
            slot,
            detail: e.to_string(),
        })?;
        let mut doc = AutoCommit::load(bytes).map_err(|e| StoreError::InvalidDocument {
            slot,
            detail: e.to_string(),
        })?;
        if !doc.get_missing_deps(&[]).is_empty() {
            return Err(StoreError::InvalidDocument {
                slot,
                detail: "it refers to changes it does not hold".to_owned(),
            });
        }
        self.compact(slot, &mut doc)?;
        Ok(())
    }

    /// Removes everything `slots` hold (their chunks, and every peer's sync state for them) and
    /// rewrites the file without them, so no page of it still holds their sealed bytes: how a
    /// home display lets go of the journals it no longer keeps. Every other table is copied as
    /// it is; the new file replaces the old one only once it is whole and on disk.
    pub fn drop_slots(&mut self, slots: &[DocSlot]) -> Result<(), StoreError> {
        self.ready_for_chunks(DocSlot::ALL, true);
        let mut book = self.peers.clone();
        for slot in slots {
            book.drop_doc(slot.name());
        }
        let json = book.to_json().map_err(StoreError::Seal)?;
        let sealed_book = self
            .sealer
            .seal(PEER_BOOK_CONTEXT, &json)
            .map_err(StoreError::Seal)?;
        let path = self.path.clone();
        let fresh = path.with_extension("rewrite");
        let io = |source| StoreError::Io {
            path: fresh.clone(),
            source,
        };
        match std::fs::remove_file(&fresh) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io(e)),
        }
        drop(files::create_new_private().open(&fresh).map_err(io)?);
        let copied = (|| {
            let new = builder().create(&fresh).map_err(|e| db_error(&fresh, e))?;
            let read = self.db.begin_read().map_err(|e| db_error(&path, e))?;
            let copy = (|| -> Result<(), redb::Error> {
                let txn = new.begin_write()?;
                {
                    let mut meta = txn.open_table(META)?;
                    for entry in read.open_table(META)?.iter()? {
                        let (k, v) = entry?;
                        meta.insert(k.value(), v.value())?;
                    }
                    let mut chunks = txn.open_table(CHUNKS)?;
                    for entry in read.open_table(CHUNKS)?.iter()? {
                        let (k, v) = entry?;
                        let (code, seq) = k.value();
                        if slots.iter().all(|s| s.code() != code) {
                            chunks.insert((code, seq), v.value())?;
                        }
                    }
                    let mut peers = txn.open_table(PEERS)?;
                    for entry in read.open_table(PEERS)?.iter()? {
                        let (k, v) = entry?;
                        if k.value() != PEER_BOOK_KEY {
                            peers.insert(k.value(), v.value())?;
                        }
                    }
                    peers.insert(PEER_BOOK_KEY, sealed_book.as_slice())?;
                }
                txn.commit()?;
                Ok(())
            })();
            copy.map_err(|e| db_error(&fresh, e))?;
            drop(new);
            std::fs::File::open(&fresh)
                .and_then(|f| f.sync_all())
                .map_err(io)
        })();
        if let Err(e) = copied {
            let _ = std::fs::remove_file(&fresh);
            return Err(e);
        }
        std::fs::rename(&fresh, &path).map_err(io)?;
        files::sync_dir(files::parent_dir(&path)).map_err(|source| StoreError::Io {
            path: path.clone(),
            source,
        })?;
        let db = builder().open(&path).map_err(|e| db_error(&path, e))?;
        self.db = Arc::new(db);
        self.peers = book;
        self.slots = Default::default();
        Ok(())
    }

    /// The stored Automerge sync state (`sync::State::encode()`) for `peer` and `slot`.
    pub fn sync_state(&self, peer: &str, slot: DocSlot) -> Option<Vec<u8>> {
        self.peers.sync_state(peer, slot.name())
    }

    /// Stores the Automerge sync state for `peer` and `slot`, durably.
    pub fn put_sync_state(
        &mut self,
        peer: &str,
        slot: DocSlot,
        state: &[u8],
    ) -> Result<(), StoreError> {
        let mut book = self.peers.clone();
        book.set_sync_state(peer, slot.name(), state);
        self.write_peers(book)
    }

    /// The addresses last known for `peer` (empty if none).
    pub fn peer_addrs(&self, peer: &str) -> Vec<String> {
        self.peers.addrs(peer)
    }

    /// Stores the addresses known for `peer`, replacing the previous ones, durably.
    pub fn put_peer_addrs(&mut self, peer: &str, addrs: Vec<String>) -> Result<(), StoreError> {
        let mut book = self.peers.clone();
        book.set_addrs(peer, addrs);
        self.write_peers(book)
    }

    /// The membership facts this device pins (see [`Trust`]).
    pub fn trust(&self) -> Trust {
        self.peers.trust().clone()
    }

    /// Replaces the pinned membership facts, durably.
    pub fn set_trust(&mut self, trust: Trust) -> Result<(), StoreError> {
        if self.peers.trust() == &trust {
            return Ok(());
        }
        let mut book = self.peers.clone();
        book.set_trust(trust);
        self.write_peers(book)
    }

    /// Every peer with stored sync state or addresses.
    pub fn peers(&self) -> Vec<String> {
        self.peers.peer_ids()
    }

    /// Drops everything stored about `peer` (after it was revoked). Returns whether there was
    /// anything.
    pub fn forget_peer(&mut self, peer: &str) -> Result<bool, StoreError> {
        let mut book = self.peers.clone();
        if !book.remove(peer) {
            return Ok(false);
        }
        self.write_peers(book)?;
        Ok(true)
    }

    fn write_peers(&mut self, book: PeerBook) -> Result<(), StoreError> {
        let json = book.to_json().map_err(StoreError::Seal)?;
        let sealed = self
            .sealer
            .seal(PEER_BOOK_CONTEXT, &json)
            .map_err(StoreError::Seal)?;
        self.write(|txn| {
            txn.open_table(PEERS)?
                .insert(PEER_BOOK_KEY, sealed.as_slice())?;
            Ok(())
        })?;
        self.peers = book;
        Ok(())
    }

    fn compaction_due(&self, stats: &SlotStats) -> bool {
        self.past_policy(stats, 1)
    }

    fn compaction_overdue(&self, stats: &SlotStats) -> bool {
        self.past_policy(stats, self.policy.inline_factor.max(1))
    }

    /// Whether the incrementals reach `factor` times a threshold of the policy.
    fn past_policy(&self, stats: &SlotStats, factor: u64) -> bool {
        let bytes = stats.snapshot_bytes.max(self.policy.min_bytes);
        stats.incrementals > 0
            && (stats.incrementals >= self.policy.max_incrementals.saturating_mul(factor)
                || stats.incremental_bytes >= bytes.saturating_mul(factor))
    }

    /// The heads of everything `slot` holds, loading it once if they are not known yet.
    fn known_heads(&mut self, slot: DocSlot) -> Result<Vec<ChangeHash>, StoreError> {
        if let Some(heads) = &self.slots[slot.index()].heads {
            return Ok(heads.clone());
        }
        self.load(slot)?;
        Ok(self.slots[slot.index()].heads.clone().unwrap_or_default())
    }

    fn forget_cached_state(&mut self) {
        for state in &mut self.slots {
            state.stats = None;
        }
    }

    /// Reads `slot`'s chunks in order: (seq, kind, sealed length, sealed bytes if `with_bytes`).
    fn read_chunks(&self, slot: DocSlot, with_bytes: bool) -> Result<Vec<RawChunk>, StoreError> {
        let path = &self.path;
        let txn = self.db.begin_read().map_err(|e| db_error(path, e))?;
        let table = txn.open_table(CHUNKS).map_err(|e| db_error(path, e))?;
        let range = table
            .range((slot.code(), 0u64)..=(slot.code(), u64::MAX))
            .map_err(|e| db_error(path, e))?;
        let mut chunks = Vec::new();
        for entry in range {
            let (key, value) = entry.map_err(|e| db_error(path, e))?;
            let (_, seq) = key.value();
            let value = value.value();
            let (&kind, sealed) = value
                .split_first()
                .ok_or_else(|| damaged(path, format!("{slot} chunk {seq} is empty")))?;
            let kind = ChunkKind::from_byte(kind).ok_or_else(|| {
                damaged(path, format!("{slot} chunk {seq} has unknown kind {kind}"))
            })?;
            let bytes = if with_bytes {
                sealed.to_vec()
            } else {
                Vec::new()
            };
            chunks.push((seq, kind, sealed_len(value.len()), bytes));
        }
        Ok(chunks)
    }

    /// Runs `f` in one write transaction, committed (durable) on success and rolled back on
    /// error.
    fn write(
        &self,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<(), redb::Error>,
    ) -> Result<(), StoreError> {
        write_txn(&self.db, &self.path, f)
    }
}

/// One write transaction on `db`: `f`'s writes, committed (durable when this returns), or
/// rolled back if `f` fails.
fn write_txn(
    db: &redb::Database,
    path: &Path,
    f: impl FnOnce(&redb::WriteTransaction) -> Result<(), redb::Error>,
) -> Result<(), StoreError> {
    let txn = db.begin_write().map_err(|e| db_error(path, e))?;
    if let Err(e) = f(&txn) {
        // Dropping the transaction would roll it back too; abort says so.
        let _ = txn.abort();
        return Err(db_error(path, e));
    }
    txn.commit().map_err(|e| db_error(path, e))
}

/// One chunk sealed and numbered by [`Store::stage_batch`], waiting to be written.
#[derive(Debug)]
struct PendingChunk {
    /// Which of the documents given it came from.
    index: usize,
    slot: DocSlot,
    seq: u64,
    /// Size of its Automerge bytes.
    bytes: usize,
    /// The kind byte followed by the sealed chunk, as the table holds it.
    value: Vec<u8>,
}

/// Chunks [`Store::stage_batch`] sealed and counted as the store's, to be written with
/// [`StagedChunks::write`] (from any thread, without the store). Dropped unwritten, they count
/// as a failed write: chunks staged after them are not written either.
#[derive(Debug)]
#[must_use = "staged chunks are stored only once written"]
pub struct StagedChunks {
    /// Its place in the order writes land in; `None` when there was nothing new.
    ticket: Option<u64>,
    db: Arc<redb::Database>,
    path: PathBuf,
    landing: Arc<Landing>,
    pending: Vec<PendingChunk>,
    infos: Vec<Option<ChunkInfo>>,
}

/// Staged chunks that are durable; [`Store::settle`] finishes with them.
#[derive(Debug)]
pub struct LandedChunks {
    infos: Vec<Option<ChunkInfo>>,
}

impl StagedChunks {
    /// Whether there is nothing to write (no document held anything new).
    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Writes the chunks in one write transaction, after every chunk staged before them has
    /// landed; durable when this returns.
    pub fn write(mut self) -> Result<LandedChunks, StoreError> {
        let infos = std::mem::take(&mut self.infos);
        let Some(ticket) = self.ticket.take() else {
            return Ok(LandedChunks { infos });
        };
        let turn = self.landing.wait_turn(ticket);
        let written = if turn.failed {
            drop(turn);
            Err(StoreError::EarlierWriteFailed {
                path: self.path.clone(),
            })
        } else {
            drop(turn);
            self.write_chunks()
        };
        self.landing.land(written.is_ok());
        written.map(|()| LandedChunks { infos })
    }

    fn write_chunks(&self) -> Result<(), StoreError> {
        write_txn(&self.db, &self.path, |txn| {
            let mut table = txn.open_table(CHUNKS)?;
            for chunk in &self.pending {
                table.insert((chunk.slot.code(), chunk.seq), chunk.value.as_slice())?;
            }
            Ok(())
        })
    }
}

impl Drop for StagedChunks {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            drop(self.landing.wait_turn(ticket));
            self.landing.land(false);
        }
    }
}

/// The order staged chunks land in: tickets handed out as they are staged, landed one after the
/// other.
#[derive(Debug, Default)]
struct Landing {
    state: Mutex<LandingState>,
    turn: Condvar,
}

#[derive(Debug, Default)]
struct LandingState {
    issued: u64,
    landed: u64,
    /// A staged write failed since the store last read its state afresh.
    failed: bool,
}

impl Landing {
    fn lock(&self) -> MutexGuard<'_, LandingState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn issue(&self) -> u64 {
        let mut state = self.lock();
        state.issued += 1;
        state.issued - 1
    }

    fn wait_turn(&self, ticket: u64) -> MutexGuard<'_, LandingState> {
        let mut state = self.lock();
        while state.landed < ticket {
            state = self.turn.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        state
    }

    fn land(&self, ok: bool) {
        let mut state = self.lock();
        state.landed += 1;
        state.failed |= !ok;
        self.turn.notify_all();
    }

    /// Waits for every staged write to land if `all` is asked for or one failed; says whether
    /// one failed (and clears that: the caller reads the store's state afresh).
    fn settle(&self, all: bool) -> bool {
        let mut state = self.lock();
        if !(all || state.failed) {
            return false;
        }
        while state.landed < state.issued {
            state = self.turn.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        std::mem::take(&mut state.failed)
    }
}

/// Checks the format marker and reads the peer book, the two things every open needs.
fn read_meta_and_peers(
    db: &redb::Database,
    path: &Path,
    sealer: &Sealer,
) -> Result<PeerBook, StoreError> {
    let txn = db.begin_read().map_err(|e| db_error(path, e))?;
    let meta = txn.open_table(META).map_err(|e| db_error(path, e))?;
    let format = meta
        .get(FORMAT_KEY)
        .map_err(|e| db_error(path, e))?
        .map(|guard| guard.value())
        .ok_or_else(|| damaged(path, "it has no format marker; it is not a Hearth store"))?;
    if format > STORE_FORMAT {
        return Err(StoreError::NewerFormat {
            path: path.to_owned(),
            found: format,
        });
    }
    let peers = txn.open_table(PEERS).map_err(|e| db_error(path, e))?;
    let Some(sealed) = peers.get(PEER_BOOK_KEY).map_err(|e| db_error(path, e))? else {
        return Ok(PeerBook::default());
    };
    let json = sealer
        .unseal(PEER_BOOK_CONTEXT, sealed.value())
        .map_err(|detail| damaged(path, detail))?;
    PeerBook::from_json(&json).map_err(|detail| damaged(path, detail))
}

fn chunk_context(slot: DocSlot, seq: u64, kind: ChunkKind) -> String {
    format!("hearth/chunk/{slot}/{seq}/{}", kind.name())
}

fn sealed_len(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// Whether `doc` holds every change in `heads` (and so everything they depend on).
fn holds_all(doc: &mut AutoCommit, heads: &[ChangeHash]) -> bool {
    if heads.is_empty() {
        return true;
    }
    let missing = doc.get_missing_deps(heads);
    heads.iter().all(|head| !missing.contains(head))
}

fn damaged(path: &Path, detail: impl Into<String>) -> StoreError {
    StoreError::Damaged {
        path: path.to_owned(),
        detail: detail.into(),
    }
}

/// A database error on the store file at `path`, as a [`StoreError`] that names its cause.
pub fn db_error(path: &Path, error: impl Into<redb::Error>) -> StoreError {
    match error.into() {
        redb::Error::Io(source) => match source.kind() {
            std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof => {
                damaged(path, "it is empty or cut short")
            }
            _ => StoreError::Io {
                path: path.to_owned(),
                source,
            },
        },
        redb::Error::DatabaseAlreadyOpen | redb::Error::LockProtocolMismatch => StoreError::Busy {
            path: path.to_owned(),
        },
        // The message says what the database's findings mean, not the database's own words.
        redb::Error::Corrupted(_) => damaged(path, "what it holds does not add up"),
        redb::Error::UpgradeRequired(_) => damaged(
            path,
            "it is in a format this version of Hearth does not read",
        ),
        redb::Error::TableDoesNotExist(_) => damaged(
            path,
            "parts of it are missing; it may not be a Hearth store",
        ),
        redb::Error::TableTypeMismatch { .. }
        | redb::Error::TypeDefinitionChanged { .. }
        | redb::Error::TableIsMultimap(_)
        | redb::Error::TableIsNotMultimap(_) => {
            damaged(path, "it is not laid out as a Hearth store")
        }
        other => StoreError::Database {
            path: path.to_owned(),
            detail: other.to_string(),
        },
    }
}
