//! The journal: the couple's shared Automerge document and one person's private document.
//!
//! Every operation validates its input before it touches a document, takes the time it should
//! record from the caller, and commits one Automerge change per document it wrote (or one per
//! [`Journal::batch`]). On error nothing is written.

mod checkins;
mod dates;
mod edits;
mod ideas;
mod mailbox;
mod members;
mod projection;
pub use mailbox::{MAX_MAILBOX_ADDRS, MailboxRecord, MailboxStatus};
pub use projection::{WallContents, WallDate, WallNote, WallProjection};
mod provenance;
mod questions;
mod search;
pub use members::Acting;
pub use questions::{Answer, Question, StarterQuestion, starter_deck};
mod summary;
mod talk;
mod touched;
mod trash;
mod wall;
pub use touched::Touched;

use automerge::{
    ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ROOT, ReadDoc, transaction::CommitOptions,
    transaction::Transactable,
};
use std::ops::Bound;

use rand::{RngExt, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};

use crate::doc;
use crate::error::{Damage, JournalError, NotJournal, Result};
use crate::ids::{Id, Timestamp};
use crate::model::{Collection, Visibility};

/// The schema major version this build reads and writes. A document with a larger major is
/// refused; a larger minor is read, and its unknown fields and values are kept.
pub const SCHEMA_MAJOR: u64 = 1;
/// The schema minor version this build writes.
pub const SCHEMA_MINOR: u64 = 0;
/// How long a deleted item can be restored.
pub const TRASH_DAYS: i64 = 30;

/// The actor of the skeleton change. The skeleton must stay byte-for-byte identical forever:
/// journals started on two devices share it, so their collections are the same objects.
const SKELETON_ACTOR: &[u8] = b"hearth-skeleton1";

/// Which document.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocKind {
    /// The couple's shared journal, synced with every partner's device.
    Shared,
    /// One person's private journal, synced only among their own devices.
    Private,
    /// What the home display may show (see [`WallProjection`]): kept by the partners' devices
    /// from the shared journal, the only document a display holds.
    Wall,
}

impl DocKind {
    /// The two journal documents, where items live.
    pub const ALL: [DocKind; 2] = [DocKind::Shared, DocKind::Private];

    /// "shared", "private" or "wall".
    pub fn name(self) -> &'static str {
        match self {
            DocKind::Shared => "shared",
            DocKind::Private => "private",
            DocKind::Wall => "wall",
        }
    }
}

impl From<Visibility> for DocKind {
    fn from(v: Visibility) -> Self {
        match v {
            Visibility::Private => DocKind::Private,
            Visibility::Shared => DocKind::Shared,
        }
    }
}

/// A device's view of the journal: the shared document, its owner's private document and the
/// wall document it keeps for the home display; on a home display, the wall document alone,
/// read as the journal is read elsewhere.
pub struct Journal {
    /// The shared journal; on a home display, the wall document.
    shared: AutoCommit,
    private: AutoCommit,
    /// The wall document a partner's device keeps; unused on a home display.
    wall: AutoCommit,
    /// A home display: it holds the wall document only.
    home: bool,
    /// What changed since the views and the wall projection last looked.
    pending: projection::Pending,
    rng: StdRng,
    in_batch: bool,
    /// An answer was written here since the last [`Journal::take_answered`].
    answered: bool,
    /// The device this journal acts as: it signs membership statements (see [`crate::membership`]).
    identity: Option<members::Identity>,
    /// The founder this device trusts, pinned in its sealed store.
    root: Option<String>,
    /// The last membership evaluation, keyed by a hash of the statements it read.
    members_cache: std::sync::Mutex<Option<members::Cached>>,
    /// What provenance lookups in the history found (see [`provenance`]).
    provenance: std::sync::Mutex<provenance::Memo>,
    /// The person this device says it belongs to before a member admits it (a restored
    /// device); decides nothing about access.
    claimed: Option<crate::ids::PartnerId>,
    /// Bumped by every path that may change a document; what [`Indexes`] were built at.
    generation: u64,
    /// Typed summaries of collections, kept while no document changes.
    indexes: std::sync::Mutex<Indexes>,
}

/// How [`Journal::adopt`] took a whole document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Adopted {
    /// As it came: it held everything this copy held, so its bytes are the document's.
    Whole,
    /// With this many changes of this copy carried over onto it.
    Carried(usize),
}

/// Typed summaries of collections in memory, each valid for the journal generation it was
/// built at: a query picks from them instead of reading every item from the document.
#[derive(Debug, Default)]
struct Indexes {
    dates: Option<(u64, std::sync::Arc<Vec<dates::DateEntry>>)>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("actor", &self.shared.get_actor().to_hex_string())
            .finish_non_exhaustive()
    }
}

fn skeleton(kind: DocKind) -> Result<AutoCommit> {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(SKELETON_ACTOR));
    let schema = doc.put_object(ROOT, "schema", ObjType::Map)?;
    doc.put(&schema, "major", SCHEMA_MAJOR)?;
    doc.put(&schema, "minor", 0_u64)?;
    doc.put(ROOT, "kind", kind.name())?;
    doc.put_object(ROOT, "partners", ObjType::Map)?;
    doc.put_object(ROOT, "devices", ObjType::Map)?;
    for c in Collection::ALL {
        doc.put_object(ROOT, c.key(), ObjType::Map)?;
    }
    doc.put_object(ROOT, "trash", ObjType::Map)?;
    doc.commit_with(CommitOptions::default().with_time(0));
    Ok(doc)
}

fn check_schema(doc: &AutoCommit, kind: DocKind) -> Result<()> {
    let schema =
        doc::obj(doc, &ROOT, "schema").ok_or(JournalError::NotAJournal(NotJournal::NoSchema))?;
    let major = doc::int(doc, &schema, "major")
        .ok_or(JournalError::NotAJournal(NotJournal::UnreadableSchema))?;
    let major = u64::try_from(major).unwrap_or(u64::MAX);
    if major > SCHEMA_MAJOR {
        return Err(JournalError::SchemaTooNew {
            found: major,
            supported: SCHEMA_MAJOR,
        });
    }
    match doc::string(doc, &ROOT, "kind") {
        Some(k) if k == kind.name() => Ok(()),
        Some(found) => Err(JournalError::NotAJournal(NotJournal::WrongKind {
            expected: kind,
            found,
        })),
        None => Err(JournalError::NotAJournal(NotJournal::NoKind)),
    }
}

/// Checks that `bytes` is a sequence of whole, well-formed Automerge chunks (documents or
/// changes), each verified, without applying anything.
fn check_chunks(bytes: &[u8]) -> Result<()> {
    const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
    let damaged = |why: Damage| JournalError::NotAJournal(NotJournal::Damaged(why));
    let mut rest = bytes;
    if rest.is_empty() {
        return Err(damaged(Damage::Empty));
    }
    while !rest.is_empty() {
        if rest.len() < 10 || rest[..4] != MAGIC {
            return Err(damaged(Damage::NotAutomerge));
        }
        let (mut len, mut shift, mut i) = (0u64, 0u32, 9usize);
        loop {
            let b = *rest.get(i).ok_or_else(|| damaged(Damage::HeaderCutShort))?;
            if shift > 56 {
                return Err(damaged(Damage::BadLength));
            }
            len |= u64::from(b & 0x7f) << shift;
            shift += 7;
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        let total = usize::try_from(len)
            .ok()
            .and_then(|l| l.checked_add(i))
            .filter(|t| *t <= rest.len())
            .ok_or_else(|| damaged(Damage::CutShort))?;
        let chunk = &rest[..total];
        match rest[8] {
            0 => {
                automerge::Automerge::load_with_options(
                    chunk,
                    automerge::LoadOptions::new().on_partial_load(automerge::OnPartialLoad::Error),
                )
                .map_err(|e| damaged(Damage::Document(Box::new(e))))?;
            }
            1 | 2 => {
                automerge::Change::try_from(chunk)
                    .map_err(|e| damaged(Damage::Change(Box::new(e))))?;
            }
            _ => return Err(damaged(Damage::UnknownChunk)),
        }
        rest = &rest[total..];
    }
    Ok(())
}

impl Journal {
    /// A new, empty journal for a device whose Automerge actor id is `actor` (one per device).
    pub fn new(actor: &[u8]) -> Result<Self> {
        Self::from_docs(
            skeleton(DocKind::Shared)?,
            Some(skeleton(DocKind::Private)?),
            actor,
        )
    }

    /// A journal over documents loaded elsewhere (the store, a backup). A missing private
    /// document (a home display has none) starts empty.
    pub fn from_docs(
        mut shared: AutoCommit,
        private: Option<AutoCommit>,
        actor: &[u8],
    ) -> Result<Self> {
        let mut private = match private {
            Some(p) => p,
            None => skeleton(DocKind::Private)?,
        };
        check_schema(&shared, DocKind::Shared)?;
        check_schema(&private, DocKind::Private)?;
        shared.set_actor(ActorId::from(actor));
        private.set_actor(ActorId::from(actor));
        let mut wall = skeleton(DocKind::Wall)?;
        wall.set_actor(ActorId::from(actor));
        Ok(Journal {
            shared,
            private,
            wall,
            home: false,
            pending: projection::Pending::default(),
            rng: StdRng::from_rng(&mut rand::rng()),
            in_batch: false,
            answered: false,
            identity: None,
            root: None,
            members_cache: std::sync::Mutex::new(None),
            provenance: std::sync::Mutex::new(provenance::Memo::default()),
            claimed: None,
            generation: 0,
            indexes: std::sync::Mutex::new(Indexes::default()),
        })
    }

    /// Takes `wall` (loaded from the store) as the wall document this device keeps; checked to
    /// be one.
    pub fn with_wall(mut self, wall: Option<AutoCommit>) -> Result<Self> {
        if let Some(mut wall) = wall {
            check_schema(&wall, DocKind::Wall)?;
            wall.set_actor(self.shared.get_actor().clone());
            self.wall = wall;
            self.may_change();
        }
        Ok(self)
    }

    /// A home display's journal: the wall document alone (a new one if `wall` is `None`).
    pub fn home(wall: Option<AutoCommit>, actor: &[u8]) -> Result<Self> {
        let mut j = Self::new(actor)?;
        let mut wall = match wall {
            Some(w) => w,
            None => skeleton(DocKind::Wall)?,
        };
        check_schema(&wall, DocKind::Wall)?;
        wall.set_actor(ActorId::from(actor));
        j.shared = wall;
        j.home = true;
        Ok(j)
    }

    /// Loads a home display's journal from `save()` bytes of its wall document (a backup),
    /// measured against [`crate::bound::MAX_DECODED`] first.
    pub fn load_home(wall: &[u8], actor: &[u8]) -> Result<Self> {
        let within = |why: NotJournal| {
            JournalError::NotAJournal(NotJournal::In {
                which: DocKind::Wall,
                source: Box::new(why),
            })
        };
        crate::bound::decoded_size(wall).map_err(|e| match JournalError::from(e) {
            JournalError::NotAJournal(why) => within(why),
            other => other,
        })?;
        let wall =
            AutoCommit::load(wall).map_err(|e| within(NotJournal::Unloadable(Box::new(e))))?;
        Self::home(Some(wall), actor)
    }

    /// Whether this is a home display's journal: the wall document alone.
    pub fn is_home(&self) -> bool {
        self.home
    }

    /// The documents this device keeps, in the order they are stored together.
    pub fn kept(&self) -> &'static [DocKind] {
        if self.home {
            &[DocKind::Wall]
        } else {
            &[DocKind::Shared, DocKind::Private, DocKind::Wall]
        }
    }

    /// Every document this device keeps, to store them together (see [`Journal::kept`]).
    pub fn kept_mut(&mut self) -> Vec<(DocKind, &mut AutoCommit)> {
        self.may_change();
        if self.home {
            vec![(DocKind::Wall, &mut self.shared)]
        } else {
            vec![
                (DocKind::Shared, &mut self.shared),
                (DocKind::Private, &mut self.private),
                (DocKind::Wall, &mut self.wall),
            ]
        }
    }

    /// Refuses a document this device does not keep (a home display keeps the wall only).
    pub fn check_kept(&self, kind: DocKind) -> Result<()> {
        if self.kept().contains(&kind) {
            Ok(())
        } else {
            Err(JournalError::NotKeptOnDisplay { kind })
        }
    }

    /// Turns a display that still held the shared journal (made before displays kept the wall
    /// alone) into one that holds the wall document only, once a partner's device gave it a
    /// wall document with both people in it. Whether it did.
    pub fn settle_home(&mut self) -> bool {
        if self.home || self.wall_people() == 0 {
            return false;
        }
        let actor = self.shared.get_actor().clone();
        let wall = std::mem::replace(&mut self.wall, AutoCommit::new());
        self.shared = wall.with_actor(actor);
        match skeleton(DocKind::Private) {
            Ok(p) => self.private = p,
            Err(_) => self.private = AutoCommit::new(),
        }
        self.home = true;
        self.pending = projection::Pending::default();
        self.may_change();
        true
    }

    /// Loads a journal from `save()` bytes of its documents. The bytes may come from a backup or
    /// another file, so each is measured against [`crate::bound::MAX_DECODED`] first.
    pub fn load(shared: &[u8], private: Option<&[u8]>, actor: &[u8]) -> Result<Self> {
        let within = |which: DocKind, why: NotJournal| {
            JournalError::NotAJournal(NotJournal::In {
                which,
                source: Box::new(why),
            })
        };
        let measure = |which: DocKind, bytes: &[u8]| {
            crate::bound::decoded_size(bytes).map_err(|e| match JournalError::from(e) {
                JournalError::NotAJournal(why) => within(which, why),
                other => other,
            })
        };
        measure(DocKind::Shared, shared)?;
        if let Some(private) = private {
            measure(DocKind::Private, private)?;
        }
        let shared = AutoCommit::load(shared)
            .map_err(|e| within(DocKind::Shared, NotJournal::Unloadable(Box::new(e))))?;
        let private = private
            .map(AutoCommit::load)
            .transpose()
            .map_err(|e| within(DocKind::Private, NotJournal::Unloadable(Box::new(e))))?;
        Self::from_docs(shared, private, actor)
    }

    /// Makes item ids reproducible (tests and generators).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.rng = StdRng::seed_from_u64(seed);
        self
    }

    /// Reads items of one document with their provenance.
    fn reader(&self, kind: DocKind) -> provenance::Reader<'_> {
        // A home display reads the wall document as its partners' devices wrote it: they copy
        // into it what the shared journal's checked reading shows.
        let book = (self.root.is_some() && !self.home).then(|| {
            let this = match self.acting() {
                Acting::Person(p) => Some((self.shared.get_actor().clone(), p)),
                _ => None,
            };
            std::sync::Arc::new(provenance::ActorBook::with_this_device(
                &self.membership(),
                this,
            ))
        });
        provenance::Reader::new(self.doc(kind), book, &self.provenance)
    }

    /// One of the two documents.
    ///
    /// On a home display the wall document stands for the shared journal: its views read it as
    /// they would read the shared journal.
    pub fn doc(&self, kind: DocKind) -> &AutoCommit {
        match kind {
            DocKind::Shared => &self.shared,
            DocKind::Private => &self.private,
            DocKind::Wall if self.home => &self.shared,
            DocKind::Wall => &self.wall,
        }
    }

    /// One of the two documents, for saving and syncing. Changes made through it bypass the
    /// model's validation: use the typed operations for edits.
    pub fn doc_mut(&mut self, kind: DocKind) -> &mut AutoCommit {
        self.may_change();
        match kind {
            DocKind::Shared => &mut self.shared,
            DocKind::Private => &mut self.private,
            DocKind::Wall if self.home => &mut self.shared,
            DocKind::Wall => &mut self.wall,
        }
    }

    /// Both documents at once (shared, private), for storing them together.
    pub fn docs_mut(&mut self) -> (&mut AutoCommit, &mut AutoCommit) {
        self.may_change();
        (&mut self.shared, &mut self.private)
    }

    /// The heads of one document.
    pub fn heads(&mut self, kind: DocKind) -> Vec<ChangeHash> {
        self.doc_mut(kind).get_heads()
    }

    /// Applies bytes of changes (a `save()`, `save_incremental()` or `save_after()` output) to
    /// one document, after checking the result is still a journal this build can read.
    pub fn apply(&mut self, kind: DocKind, bytes: &[u8]) -> Result<usize> {
        self.check_kept(kind)?;
        // Measure first: Automerge inflates compressed chunks and columns without a bound, and
        // `check_chunks` below already hands the bytes to its parser.
        crate::bound::decoded_size(bytes)?;
        // Refuse bytes that are not wholly Automerge chunks: `load_incremental` alone would
        // keep whatever prefix parsed and ignore the rest.
        check_chunks(bytes)?;
        let doc = self.doc_mut(kind);
        let mut trial = doc.fork();
        let n = trial.load_incremental(bytes).map_err(|e| {
            JournalError::NotAJournal(NotJournal::Damaged(Damage::Document(Box::new(e))))
        })?;
        check_schema(&trial, kind)?;
        doc.load_incremental(bytes)?;
        Ok(n)
    }

    /// Takes `bytes`, a whole document (`save()`) received for `kind`, in place of this
    /// device's copy when this copy is the smaller: a device far behind (just paired, restored
    /// elsewhere) loads the snapshot instead of applying its history, which costs about half as
    /// much. The few changes of its own the document lacks (its addresses, a note written
    /// meanwhile) are carried over onto it. `None` leaves the journal as it was, for the caller
    /// to merge the bytes instead ([`Journal::apply`]). The caller bounds what the bytes decode
    /// to first ([`crate::bound`]; a sync message is measured whole before anything of it is
    /// read); here they are verified and checked to be this kind of journal.
    pub fn adopt(&mut self, kind: DocKind, bytes: &[u8]) -> Result<Option<Adopted>> {
        self.check_kept(kind)?;
        let options = automerge::LoadOptions::new()
            .on_partial_load(automerge::OnPartialLoad::Error)
            .verification_mode(automerge::VerificationMode::Check);
        let mut loaded = AutoCommit::load_with_options(bytes, options).map_err(|e| {
            JournalError::NotAJournal(NotJournal::Damaged(Damage::Document(Box::new(e))))
        })?;
        check_schema(&loaded, kind)?;
        let ours = self.heads(kind);
        let adopted = if ours.iter().all(|h| loaded.get_change_by_hash(h).is_some()) {
            Adopted::Whole
        } else {
            // Worth it only for a copy much smaller than the document: each of its changes is
            // looked up there.
            let mine: Vec<ChangeHash> = self
                .doc_mut(kind)
                .get_changes_meta(&[])
                .into_iter()
                .map(|c| c.hash)
                .collect();
            if mine.len().saturating_mul(2) > loaded.get_changes_meta(&[]).len() {
                return Ok(None);
            }
            let missing: Vec<ChangeHash> = mine
                .into_iter()
                .filter(|h| loaded.get_change_by_hash(h).is_none())
                .collect();
            let doc = self.doc_mut(kind);
            let carried: Vec<automerge::Change> = missing
                .iter()
                .filter_map(|h| doc.get_change_by_hash(h))
                .collect();
            let n = carried.len();
            loaded.apply_changes(carried)?;
            if !ours.iter().all(|h| loaded.get_change_by_hash(h).is_some()) {
                return Ok(None);
            }
            Adopted::Carried(n)
        };
        let actor = self.doc(kind).get_actor().clone();
        *self.doc_mut(kind) = loaded.with_actor(actor);
        Ok(Some(adopted))
    }

    /// Merges another replica of the same journal into this one: both documents when the
    /// other is a device of the same person, only the shared one otherwise.
    pub fn merge(&mut self, other: &mut Journal, private_too: bool) -> Result<()> {
        self.may_change();
        self.shared.merge(&mut other.shared)?;
        if private_too {
            self.private.merge(&mut other.private)?;
        }
        Ok(())
    }

    /// Runs several operations as one change per document: all of them, or none on error.
    pub fn batch<T>(
        &mut self,
        now: Timestamp,
        f: impl FnOnce(&mut Self) -> Result<T>,
    ) -> Result<T> {
        self.may_change();
        if self.in_batch {
            return f(self);
        }
        self.in_batch = true;
        let out = f(self);
        self.in_batch = false;
        match out {
            Ok(v) => {
                self.commit(now);
                Ok(v)
            }
            Err(e) => {
                self.rollback();
                Err(e)
            }
        }
    }

    /// Something may change a document: what the indexes hold is no longer current.
    fn may_change(&mut self) {
        self.generation = self.generation.wrapping_add(1);
    }

    /// The index of date plans for this generation, built if it is not.
    fn date_index(&self) -> std::sync::Arc<Vec<dates::DateEntry>> {
        let mut indexes = self.indexes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((built, index)) = &indexes.dates
            && *built == self.generation
        {
            return std::sync::Arc::clone(index);
        }
        let index = std::sync::Arc::new(dates::index(self));
        indexes.dates = Some((self.generation, std::sync::Arc::clone(&index)));
        index
    }

    fn commit(&mut self, now: Timestamp) {
        self.may_change();
        let opts = || CommitOptions::default().with_time(now.0.div_euclid(1000));
        self.shared.commit_with(opts());
        self.private.commit_with(opts());
    }

    fn rollback(&mut self) {
        self.may_change();
        self.shared.rollback();
        self.private.rollback();
    }

    /// Runs the mutating part of an operation: commits on success, rolls back on error.
    fn write<T>(&mut self, now: Timestamp, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        self.may_change();
        if self.in_batch {
            return f(self);
        }
        match f(self) {
            Ok(v) => {
                self.commit(now);
                Ok(v)
            }
            Err(e) => {
                self.rollback();
                Err(e)
            }
        }
    }

    fn new_id(&mut self, now: Timestamp) -> Id {
        let random: u128 = self.rng.random();
        Id::generate(now, random)
    }

    /// The map of a collection (or `partners`, `devices`, `trash`) in a document.
    fn map(&self, kind: DocKind, key: &'static str) -> Result<ObjId> {
        doc::obj(self.doc(kind), &ROOT, key)
            .ok_or(JournalError::NotAJournal(NotJournal::Missing(key)))
    }

    fn coll(&self, kind: DocKind, c: Collection) -> Result<ObjId> {
        self.map(kind, c.key())
    }

    /// The item's map if it exists in that document and collection, trashed or not.
    fn item(&self, kind: DocKind, c: Collection, id: &Id) -> Option<ObjId> {
        let coll = self.coll(kind, c).ok()?;
        doc::obj(self.doc(kind), &coll, id.as_str())
    }

    /// Which collection an item is in, trashed or not; `None` if this journal has no such item.
    pub fn collection_of(&self, id: &Id) -> Option<Collection> {
        self.locate(id).map(|(_, c, _)| c)
    }

    /// Finds an item anywhere (shared first), trashed or not.
    fn locate(&self, id: &Id) -> Option<(DocKind, Collection, ObjId)> {
        DocKind::ALL.into_iter().find_map(|kind| {
            Collection::ALL
                .into_iter()
                .find_map(|c| self.item(kind, c, id).map(|obj| (kind, c, obj)))
        })
    }

    /// An item that exists and is not in the trash, in either document.
    fn live(&self, c: Collection, id: &Id) -> Result<(DocKind, ObjId)> {
        for kind in DocKind::ALL {
            if let Some(obj) = self.item(kind, c, id) {
                if self.is_trashed(kind, id) {
                    return Err(JournalError::InTrash {
                        kind: c.noun(),
                        id: id.to_string(),
                    });
                }
                return Ok((kind, obj));
            }
        }
        Err(JournalError::NotFound {
            kind: c.noun(),
            id: id.to_string(),
        })
    }

    /// The live items of a collection in one document, as (id, map) pairs.
    fn live_items(&self, kind: DocKind, c: Collection) -> Vec<(Id, ObjId)> {
        self.live_in(kind, c, (Bound::Unbounded, Bound::Unbounded))
    }

    /// Up to `limit` live items of a collection, newest first by a time of theirs in
    /// `after..=until`, looked at a window of time at a time.
    ///
    /// Ids carry the moment they were made (ULIDs) and a collection's keys are ordered, so a
    /// window of ids costs what it holds, not what the collection holds: the newest few items
    /// of a ten-year journal are found in its last days. `time` reads an item's own time (and
    /// may leave it out, `None`); it is at most a day later than its id's (a kindness can be
    /// logged for tomorrow morning), so an item is placed only once no older window can hold a
    /// later one. `take` reads the whole item, or leaves it out.
    fn newest_first<T>(
        &self,
        kind: DocKind,
        c: Collection,
        (after, until): (Option<Timestamp>, Option<Timestamp>),
        limit: Option<usize>,
        mut time: impl FnMut(&ObjId) -> Option<Timestamp>,
        mut take: impl FnMut(Id, ObjId) -> Option<T>,
    ) -> Vec<T> {
        const DAY: i64 = 86_400_000;
        let limit = limit.unwrap_or(usize::MAX);
        let mut out = Vec::new();
        let Ok(coll) = self.coll(kind, c) else {
            return out;
        };
        let floor = after.map_or(0, |t| t.0.saturating_add(1).max(0));
        let mut top = match until {
            Some(t) => Bound::Included(id_bound(t.0, u128::MAX)),
            None => Bound::Unbounded,
        };
        // The first window ends where the newest id is.
        let anchor = until.map_or_else(|| newest_key_time(self.doc(kind), &coll), |t| t.0);
        let mut waiting: Vec<(Timestamp, Id, ObjId)> = Vec::new();
        let mut span = 7 * DAY;
        while out.len() < limit {
            let start = anchor.saturating_sub(span);
            let last = start <= floor;
            let bottom = match (last, floor > 0) {
                (false, _) => Bound::Included(id_bound(start, 0)),
                (true, true) => Bound::Included(id_bound(floor, 0)),
                (true, false) => Bound::Unbounded,
            };
            for (id, o) in self.live_in(kind, c, (bottom.clone(), top)) {
                if let Some(t) = time(&o)
                    && after.is_none_or(|a| t > a)
                    && until.is_none_or(|u| t <= u)
                {
                    waiting.push((t, id, o));
                }
            }
            waiting.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
            // Newest at the end: place what no older window can come before.
            while out.len() < limit
                && let Some((t, _, _)) = waiting.last()
                && (last || t.0 >= start.saturating_add(DAY))
            {
                let Some((_, id, o)) = waiting.pop() else {
                    break;
                };
                if let Some(item) = take(id, o) {
                    out.push(item);
                }
            }
            if last {
                break;
            }
            top = match bottom {
                Bound::Included(k) => Bound::Excluded(k),
                other => other,
            };
            span = span.saturating_mul(4);
        }
        out
    }

    /// The live items of a collection whose keys are in `range`.
    fn live_in(
        &self,
        kind: DocKind,
        c: Collection,
        range: (Bound<String>, Bound<String>),
    ) -> Vec<(Id, ObjId)> {
        let Ok(coll) = self.coll(kind, c) else {
            return Vec::new();
        };
        let trash = self.map(kind, "trash").ok();
        let d = self.doc(kind);
        d.map_range(&coll, range)
            .filter_map(|item| {
                let obj = match item.value {
                    automerge::ValueRef::Object(ObjType::Map) => item.id(),
                    _ => return None,
                };
                let key = item.key.to_string();
                if let Some(t) = &trash
                    && doc::obj(d, t, &key).is_some()
                {
                    return None;
                }
                Some((Id::from(key), obj))
            })
            .collect()
    }
}

/// The smallest (`random` 0) or largest (`u128::MAX`) id made at `ms`.
fn id_bound(ms: i64, random: u128) -> String {
    ulid::Ulid::from_parts(u64::try_from(ms).unwrap_or(0), random).to_string()
}

/// The time of a map's greatest id, found by halving the span of possible times (each step one
/// seek among the ordered keys); 0 for an empty map.
fn newest_key_time(d: &AutoCommit, coll: &ObjId) -> i64 {
    let any_from = |ms: i64| {
        d.map_range(coll, (Bound::Included(id_bound(ms, 0)), Bound::Unbounded))
            .next()
            .is_some()
    };
    // ULID times are 48 bits of milliseconds.
    let (mut lo, mut hi) = (0_i64, (1_i64 << 48) - 1);
    if any_from(hi) {
        return hi;
    }
    while lo + 1 < hi {
        let mid = lo + (hi - lo) / 2;
        if any_from(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    pub(crate) const T0: Timestamp = Timestamp(1_767_225_600_000); // 2026-01-01T00:00:00Z

    pub(crate) fn at(hours: i64) -> Timestamp {
        Timestamp(T0.0 + hours * 3_600_000)
    }

    /// Two devices of a couple (Ana and Ben) that share a journal.
    pub(crate) fn couple() -> (Journal, Journal, Id, Id) {
        let mut a = Journal::new(b"device-a").unwrap().with_seed(1);
        let ana = a.add_partner("Ana", "#c0623b", T0).unwrap();
        let mut b = Journal::new(b"device-b").unwrap().with_seed(2);
        let ben = b.add_partner("Ben", "#3b7fc0", T0).unwrap();
        sync(&mut a, &mut b);
        (a, b, ana, ben)
    }

    /// Syncs two partners' devices: the shared journal only.
    pub(crate) fn sync(a: &mut Journal, b: &mut Journal) {
        a.merge(b, false).unwrap();
        b.merge(a, false).unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;

    #[test]
    fn journals_started_apart_share_their_collections() {
        let (mut a, mut b, ana, ben) = couple();
        a.add_appreciation(&ana, "Thanks for the soup", true, at(1))
            .unwrap();
        b.add_appreciation(&ben, "Thanks for the walk", false, at(1))
            .unwrap();
        sync(&mut a, &mut b);
        assert_eq!(a.wall(&Default::default()).len(), 2);
        assert_eq!(a.partners().len(), 2);
        assert_eq!(a.heads(DocKind::Shared), b.heads(DocKind::Shared));
    }

    #[test]
    fn newer_major_schema_is_refused() {
        let mut doc = skeleton(DocKind::Shared).unwrap();
        let schema = doc::obj(&doc, &ROOT, "schema").unwrap();
        doc.put(&schema, "major", SCHEMA_MAJOR + 1).unwrap();
        doc.commit();
        let bytes = doc.save();
        let err = Journal::load(&bytes, None, b"x").unwrap_err();
        assert!(
            matches!(
                err,
                JournalError::SchemaTooNew {
                    found: 2,
                    supported: 1
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("update Hearth"));
    }

    #[test]
    fn newer_minor_fields_survive_a_rewrite() {
        let (mut a, _b, ana, _) = couple();
        let id = a.add_appreciation(&ana, "Thank you", false, at(1)).unwrap();
        // A newer version adds a field this build does not know.
        let shared = a.doc_mut(DocKind::Shared);
        let coll = doc::obj(shared, &ROOT, "appreciations").unwrap();
        let item = doc::obj(shared, &coll, id.as_str()).unwrap();
        shared.put(&item, "mood_colour", "amber").unwrap();
        let schema = doc::obj(shared, &ROOT, "schema").unwrap();
        shared.put(&schema, "minor", 7_u64).unwrap();
        shared.commit();
        let bytes = shared.save();
        let mut reloaded = Journal::load(&bytes, None, b"y").unwrap();
        reloaded.set_wall_safe(&id, true, at(2)).unwrap();
        let again = Journal::load(&reloaded.doc_mut(DocKind::Shared).save(), None, b"z").unwrap();
        let d = again.doc(DocKind::Shared);
        let coll = doc::obj(d, &ROOT, "appreciations").unwrap();
        let item = doc::obj(d, &coll, id.as_str()).unwrap();
        assert_eq!(
            doc::string(d, &item, "mood_colour").as_deref(),
            Some("amber")
        );
        assert!(again.wall(&Default::default())[0].wall_safe);
    }

    #[test]
    fn garbage_and_foreign_documents_are_refused() {
        assert!(matches!(
            Journal::load(b"not automerge", None, b"x"),
            Err(JournalError::NotAJournal(_))
        ));
        let mut other = AutoCommit::new();
        other.put(ROOT, "todo", "milk").unwrap();
        let bytes = other.save();
        assert!(matches!(
            Journal::load(&bytes, None, b"x"),
            Err(JournalError::NotAJournal(_))
        ));
        // The private journal in the shared slot is refused too.
        let mut p = skeleton(DocKind::Private).unwrap();
        assert!(matches!(
            Journal::load(&p.save(), None, b"x"),
            Err(JournalError::NotAJournal(_))
        ));
    }

    #[test]
    fn a_device_behind_adopts_a_whole_document_that_holds_it() {
        let (mut a, mut b, ana, ben) = couple();
        for n in 0..20 {
            a.add_appreciation(&ana, &format!("Thank you, {n}"), false, at(n))
                .unwrap();
        }
        let snapshot = a.doc_mut(DocKind::Shared).save();
        let actor = b.doc(DocKind::Shared).get_actor().clone();
        assert_eq!(
            b.adopt(DocKind::Shared, &snapshot).unwrap(),
            Some(Adopted::Whole)
        );
        assert_eq!(b.heads(DocKind::Shared), a.heads(DocKind::Shared));
        assert_eq!(b.wall(&Default::default()).len(), 20);
        // Still this device: its next change is its own.
        assert_eq!(b.doc(DocKind::Shared).get_actor(), &actor);
        b.add_appreciation(&ben, "And thank you", false, at(30))
            .unwrap();
        assert_eq!(b.wall(&Default::default()).len(), 21);
    }

    #[test]
    fn a_few_changes_of_ours_are_carried_onto_the_document_and_many_keep_the_copy() {
        let (mut a, mut b, ana, ben) = couple();
        for n in 0..20 {
            a.add_appreciation(&ana, &format!("Thank you, {n}"), false, at(n))
                .unwrap();
        }
        b.add_appreciation(&ben, "Only here so far", false, at(1))
            .unwrap();
        let snapshot = a.doc_mut(DocKind::Shared).save();
        let mut c = Journal::load(&b.doc_mut(DocKind::Shared).save(), None, b"device-c").unwrap();
        assert_eq!(
            b.adopt(DocKind::Shared, &snapshot).unwrap(),
            Some(Adopted::Carried(1))
        );
        assert_eq!(b.wall(&Default::default()).len(), 21, "both sides' notes");
        a.merge(&mut b, false).unwrap();
        assert_eq!(a.heads(DocKind::Shared), b.heads(DocKind::Shared));

        // A copy as large as the document is merged the usual way instead.
        for n in 0..40 {
            c.add_appreciation(&ben, &format!("From Ben, {n}"), false, at(n))
                .unwrap();
        }
        let before = c.heads(DocKind::Shared);
        assert_eq!(c.adopt(DocKind::Shared, &snapshot).unwrap(), None);
        assert_eq!(c.heads(DocKind::Shared), before, "nothing changed");
    }

    #[test]
    fn a_damaged_or_wrong_document_is_refused_and_changes_nothing() {
        let (mut a, mut b, _, _) = couple();
        let before = b.heads(DocKind::Shared);
        let mut snapshot = a.doc_mut(DocKind::Shared).save();
        let last = snapshot.len() - 1;
        snapshot[last] ^= 0xff;
        assert!(matches!(
            b.adopt(DocKind::Shared, &snapshot),
            Err(JournalError::NotAJournal(_))
        ));
        let private = a.doc_mut(DocKind::Private).save();
        assert!(
            b.adopt(DocKind::Shared, &private).is_err(),
            "the other kind"
        );
        assert!(b.adopt(DocKind::Shared, b"not automerge").is_err());
        assert_eq!(b.heads(DocKind::Shared), before);
    }

    #[test]
    fn apply_refuses_damaged_changes_and_keeps_the_document() {
        let (mut a, _b, ana, _) = couple();
        a.add_appreciation(&ana, "Thank you", false, at(1)).unwrap();
        let before = a.heads(DocKind::Shared);
        assert!(
            a.apply(DocKind::Shared, b"\x85\x6f\x4a\x83garbage")
                .is_err()
        );
        assert_eq!(a.heads(DocKind::Shared), before);
        // Changes after known heads apply; the same bytes with a tail of garbage or cut short
        // are refused whole.
        let mut b = Journal::load(&a.doc_mut(DocKind::Shared).save(), None, b"b").unwrap();
        a.add_appreciation(&ana, "New", false, at(2)).unwrap();
        let delta = a.doc_mut(DocKind::Shared).save_after(&before);
        let b_before = b.heads(DocKind::Shared);
        let mut tailed = delta.clone();
        tailed.extend_from_slice(b"junk");
        assert!(b.apply(DocKind::Shared, &tailed).is_err());
        assert!(b.apply(DocKind::Shared, &delta[..delta.len() - 1]).is_err());
        assert!(b.apply(DocKind::Shared, b"").is_err());
        assert_eq!(b.heads(DocKind::Shared), b_before);
        b.apply(DocKind::Shared, &delta).unwrap();
        assert_eq!(b.wall(&Default::default()).len(), 2);
        // A whole document applies too.
        let whole = a.doc_mut(DocKind::Shared).save();
        b.apply(DocKind::Shared, &whole).unwrap();
    }

    #[test]
    fn batch_is_all_or_nothing() {
        let (mut a, _b, ana, _) = couple();
        let before = a.heads(DocKind::Shared);
        let r = a.batch(at(1), |j| {
            j.add_appreciation(&ana, "one", false, at(1))?;
            j.add_appreciation(&ana, "", false, at(1))
        });
        assert!(r.is_err());
        assert_eq!(a.heads(DocKind::Shared), before);
        assert!(a.wall(&Default::default()).is_empty());
        a.batch(at(1), |j| {
            j.add_appreciation(&ana, "one", false, at(1))?;
            j.add_appreciation(&ana, "two", false, at(1))
        })
        .unwrap();
        assert_eq!(a.wall(&Default::default()).len(), 2);
    }
}
