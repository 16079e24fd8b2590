//! [`Replica`]: the one owner of an open profile, its journal in memory and its sealed store.
//!
//! Every way a change reaches the disk goes through here: an intent applied on this device
//! ([`Replica::write`]), changes received for a document from a peer or a change file
//! ([`Replica::stored_received`], [`Replica::absorb`]), and the fold of the store's incremental
//! chunks into a snapshot once that falls due ([`Replica::fold_due`]). The runtime around it (a
//! command that runs once, a sync node, a phone's engine) decides *when* to fold; the replica
//! decides *how* both documents are stored together.

use automerge::AutoCommit;

use crate::journal::{DocKind, Journal};
use crate::store::{ChunkInfo, Compaction, DocSlot, LandedChunks, StagedChunks, StoreError};
use crate::{DeviceKind, JournalError, PartnerId, Profile, ProfileError};

/// The profile setting naming the person a device says it belongs to before any member has
/// admitted it (a restored device); it decides nothing about access.
pub const CLAIMED_PERSON: &str = "person";

/// What can go wrong opening or changing a replica.
#[derive(Debug, thiserror::Error)]
pub enum ReplicaError {
    /// The journal refused the change, or a stored document cannot be read as a journal.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The store could not be read or written.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The profile refused (opened only for reading).
    #[error(transparent)]
    Profile(#[from] ProfileError),
}

/// What one store commit wrote: a chunk per document that had something new.
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct Commit {
    /// The chunks written, shared document first.
    pub chunks: Vec<ChunkInfo>,
    /// A home display that still held the shared journal let go of it: it holds the wall
    /// document alone from now on (worth a line in its log).
    pub display_settled: bool,
}

impl Commit {
    /// Whether the store now has incremental chunks worth folding (see [`Replica::fold_due`]):
    /// a fold fell due, or one was tried inline and failed (it is tried again).
    pub fn fold_due(&self) -> bool {
        self.chunks
            .iter()
            .any(|c| matches!(c.compaction, Compaction::Due | Compaction::Failed(_)))
    }

    /// Folds that were tried inline and failed (worth a warning; the chunks are all in place).
    pub fn fold_failures(&self) -> impl Iterator<Item = &StoreError> {
        self.chunks.iter().filter_map(|c| match &c.compaction {
            Compaction::Failed(e) => Some(e),
            _ => None,
        })
    }

    /// The sealed bytes written, over every chunk.
    pub fn sealed_bytes(&self) -> usize {
        self.chunks.iter().map(|c| c.sealed_bytes).sum()
    }

    fn from_infos(infos: Vec<Option<ChunkInfo>>) -> Commit {
        Commit {
            chunks: infos.into_iter().flatten().collect(),
            display_settled: false,
        }
    }

    fn extend(&mut self, other: Commit) {
        self.chunks.extend(other.chunks);
        self.display_settled |= other.display_settled;
    }
}

/// An open profile with its journal loaded: both documents, acting as the profile's device,
/// trusting the founder its sealed store pins.
#[derive(Debug)]
pub struct Replica {
    profile: Profile,
    journal: Journal,
}

impl From<DocKind> for DocSlot {
    fn from(kind: DocKind) -> DocSlot {
        match kind {
            DocKind::Shared => DocSlot::Shared,
            DocKind::Private => DocSlot::Private,
            DocKind::Wall => DocSlot::Wall,
        }
    }
}

impl Replica {
    /// Loads the journal an open profile holds (a new journal if the store holds none yet).
    ///
    /// A home display holds the wall document alone. One made before displays did still holds
    /// the shared journal: it keeps it until a partner's device gives it the wall document,
    /// then lets go of it ([`Commit::display_settled`]).
    pub fn open(mut profile: Profile) -> Result<Replica, ReplicaError> {
        let actor = profile.keys().actor_id();
        let display = profile.config().kind == DeviceKind::Display;
        let shared = profile.store_mut().load(DocSlot::Shared)?;
        let wall = profile.store_mut().load(DocSlot::Wall)?;
        let behind = wall.is_none() && shared.is_some();
        let mut journal = match (display, shared) {
            (true, None) => Journal::home(wall, &actor)?,
            (_, Some(shared)) => {
                let private = if display {
                    None
                } else {
                    profile.store_mut().load(DocSlot::Private)?
                };
                Journal::from_docs(shared, private, &actor)?.with_wall(wall)?
            }
            (false, None) => Journal::new(&actor)?.with_wall(wall)?,
        };
        journal.set_identity(&profile.keys().endpoint_secret());
        journal.set_root(profile.store().trust().root.as_deref());
        journal.set_claimed_person(
            profile
                .config()
                .extra
                .get(CLAIMED_PERSON)
                .and_then(|v| v.as_str())
                .map(|s| PartnerId::from(s.to_owned())),
        );
        journal.watch_loaded(behind);
        let mut replica = Replica { profile, journal };
        if !replica.profile.is_read_only() {
            if replica.display_behind() {
                // Stopped between storing the wall document and letting go of the rest.
                replica.settle_display()?;
            } else if behind && !display {
                // Made before devices kept the wall document: project it once, now.
                replica.commit()?;
            }
        }
        Ok(replica)
    }

    /// A display that still holds the shared journal, though it has a wall document now.
    fn display_behind(&self) -> bool {
        self.profile.config().kind == DeviceKind::Display
            && !self.journal.is_home()
            && self.journal.wall_people() > 0
    }

    /// Lets a display that still held the shared journal go of it, once it has the wall
    /// document: the wall is stored first, then every other document is dropped and the store
    /// rewritten without them. Whether it did.
    fn settle_display(&mut self) -> Result<bool, ReplicaError> {
        if !self.display_behind() {
            return Ok(false);
        }
        self.stage_docs(&[DocKind::Wall])?;
        if !self.journal.settle_home() {
            return Ok(false);
        }
        self.profile
            .store_mut()
            .drop_slots(&[DocSlot::Shared, DocSlot::Private])?;
        Ok(true)
    }

    /// Stores what the given documents hold that the store does not, in one transaction.
    fn stage_docs(&mut self, kinds: &[DocKind]) -> Result<Commit, ReplicaError> {
        let mut docs: Vec<(DocSlot, &mut AutoCommit)> = self
            .journal
            .kept_mut()
            .into_iter()
            .filter(|(k, _)| kinds.contains(k))
            .map(|(k, d)| (DocSlot::from(k), d))
            .collect();
        let infos = self.profile.store_mut().append_batch(&mut docs)?;
        Ok(Commit::from_infos(infos))
    }

    /// The journal, to read.
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The journal, for what reads need a mutable document (generating a sync message, heads)
    /// or what is stored by the caller right after ([`Replica::commit`]).
    pub fn journal_mut(&mut self) -> &mut Journal {
        &mut self.journal
    }

    /// The profile: keys, settings, the store's peer records.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The profile, to change its settings or the store's peer records.
    pub fn profile_mut(&mut self) -> &mut Profile {
        &mut self.profile
    }

    /// Both halves at once (a backup reads the profile while it saves the journal).
    pub fn parts_mut(&mut self) -> (&mut Profile, &mut Journal) {
        (&mut self.profile, &mut self.journal)
    }

    /// Gives the profile back (its lock goes with it).
    pub fn into_profile(self) -> Profile {
        self.profile
    }

    /// Applies an intent and stores it: the change is durable when this returns. A profile
    /// opened only for reading refuses before anything runs; if the intent fails, nothing is
    /// stored.
    pub fn write<T>(
        &mut self,
        intent: impl FnOnce(&mut Journal) -> Result<T, JournalError>,
    ) -> Result<(T, Commit), ReplicaError> {
        let (out, staged) = self.stage(intent)?;
        let landed = staged.write()?;
        Ok((out, self.settle(landed)?))
    }

    /// [`Replica::write`] in two halves, for an owner that shares the replica behind a lock:
    /// applies the intent and seals what it changed for the store; the caller lets go of the
    /// replica, writes the chunks ([`StagedChunks::write`], the disk's part, while peers can
    /// already be sent the change) and then hands them to [`Replica::settle`]. A crash before
    /// the chunks land loses the change here only; a peer that got it hands it back at the next
    /// sync.
    pub fn stage<T>(
        &mut self,
        intent: impl FnOnce(&mut Journal) -> Result<T, JournalError>,
    ) -> Result<(T, StagedChunks), ReplicaError> {
        if self.profile.is_read_only() {
            return Err(ProfileError::ReadOnly {
                path: self.profile.dir().to_owned(),
            }
            .into());
        }
        let out = intent(&mut self.journal)?;
        // An answer that made both answers of a question known opens this person's in the same
        // write (see `Journal::reveal_answers`).
        if self.journal.take_answered() {
            self.reveal_answers()?;
        }
        self.journal.project_wall()?;
        let mut docs = slots(&mut self.journal);
        let staged = self.profile.store_mut().stage_batch(&mut docs)?;
        Ok((out, staged))
    }

    /// Opens this person's answers that are due in the journal in memory (both partners have
    /// answered); the caller stores the change. Returns how many it opened.
    pub fn reveal_answers(&mut self) -> Result<usize, JournalError> {
        let Some(me) = self.journal.acting().person() else {
            return Ok(0);
        };
        if !self.journal.answers_due(&me) {
            return Ok(0);
        }
        let identity = self.profile.keys().age_identity().clone();
        self.journal.reveal_answers(&me, &identity)
    }

    /// Finishes a staged write once its chunks landed (see [`Replica::stage`]): what it stored,
    /// and whether a fold fell due.
    pub fn settle(&mut self, landed: LandedChunks) -> Result<Commit, ReplicaError> {
        let mut docs = slots(&mut self.journal);
        let infos = self.profile.store_mut().settle(landed, &mut docs)?;
        Ok(Commit::from_infos(infos))
    }

    /// Stores what the journal holds that the store does not, every document in one
    /// transaction.
    pub fn commit(&mut self) -> Result<Commit, ReplicaError> {
        self.write(|_| Ok(())).map(|((), commit)| commit)
    }

    /// Stores changes that were merged into one document from elsewhere (`incoming` bytes of
    /// them arrived): as a snapshot when they are most of the document, else as an incremental
    /// chunk (see `Store::append_merged`).
    ///
    /// On a partner's device the wall document is projected again from what arrived first (and
    /// stored before it, so a crash in between leaves the wall ahead, never behind: the changes
    /// arrive again). Notes left on the display that it adopts are stored with the rest, in one
    /// transaction.
    pub fn stored_received(
        &mut self,
        kind: DocKind,
        incoming: usize,
    ) -> Result<Commit, ReplicaError> {
        let projected = self.journal.project_wall()?;
        if projected.adopted > 0 {
            return self.commit();
        }
        let mut commit = Commit::default();
        if projected.changed && kind != DocKind::Wall {
            commit.extend(self.stage_docs(&[DocKind::Wall])?);
        }
        let info = self.profile.store_mut().append_merged(
            kind.into(),
            self.journal.doc_mut(kind),
            incoming,
        )?;
        commit.extend(Commit::from_infos(vec![info]));
        if kind == DocKind::Wall {
            commit.display_settled = self.settle_display()?;
        }
        Ok(commit)
    }

    /// Stores the whole document the journal just adopted for `kind` (see [`Journal::adopt`])
    /// as everything the store holds for it: `snapshot`, the bytes it came as, when they are
    /// the document as it is now; else a fresh `save()`.
    pub fn stored_snapshot(
        &mut self,
        kind: DocKind,
        snapshot: Option<&[u8]>,
    ) -> Result<Commit, ReplicaError> {
        let projected = self.journal.project_wall()?;
        let mut commit = Commit::default();
        if projected.changed && kind != DocKind::Wall {
            commit.extend(self.stage_docs(&[DocKind::Wall])?);
        }
        // Notes adopted from the wall changed the document after it came.
        let snapshot = snapshot.filter(|_| projected.adopted == 0 && !projected.changed);
        let store = self.profile.store_mut();
        let doc = self.journal.doc_mut(kind);
        let info = match snapshot {
            Some(bytes) => store.store_snapshot(kind.into(), doc, bytes)?,
            None => {
                let saved = doc.save();
                store.store_snapshot(kind.into(), doc, &saved)?
            }
        };
        commit.extend(Commit::from_infos(vec![Some(info)]));
        if projected.adopted > 0 {
            commit.extend(self.commit()?);
        }
        if kind == DocKind::Wall {
            commit.display_settled = self.settle_display()?;
        }
        Ok(commit)
    }

    /// Merges Automerge changes (or a saved document) received for one document and stores
    /// them. Returns how many changes were new here, with what was stored. Damaged bytes are
    /// refused and change nothing; the caller bounds their size first (see [`crate::bound`]).
    pub fn absorb(&mut self, kind: DocKind, bytes: &[u8]) -> Result<(usize, Commit), ReplicaError> {
        let before = self.journal.heads(kind);
        self.journal.apply(kind, bytes)?;
        let new = self.journal.doc_mut(kind).get_changes(&before).len();
        if new == 0 {
            return Ok((0, Commit::default()));
        }
        let commit = self.stored_received(kind, bytes.len())?;
        if kind == DocKind::Shared
            && self.journal.brings_answers(&before)
            && self.reveal_answers()? > 0
        {
            self.commit()?;
        }
        Ok((new, commit))
    }

    /// Folds the store's incremental chunks into a snapshot for each document where that is
    /// due; one outcome per document. A failed fold leaves every chunk in place.
    pub fn fold_due(&mut self) -> Result<Vec<Compaction>, StoreError> {
        let mut docs = slots(&mut self.journal);
        self.profile.store_mut().compact_due(&mut docs)
    }

    /// Whether a fold is due (an earlier run stopped before folding).
    pub fn fold_pending(&mut self) -> Result<bool, StoreError> {
        self.profile.store_mut().compaction_pending()
    }
}

/// Every document the journal keeps, with its store slot.
fn slots(journal: &mut Journal) -> Vec<(DocSlot, &mut AutoCommit)> {
    journal
        .kept_mut()
        .into_iter()
        .map(|(k, d)| (DocSlot::from(k), d))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeySealing;
    use crate::{CreateOptions, DeviceKind, Timestamp};

    fn create(dir: &std::path::Path) -> Profile {
        Profile::create(
            dir,
            None,
            &CreateOptions {
                device_name: "Test device".into(),
                kind: DeviceKind::Personal,
                sealing: KeySealing::default(),
            },
        )
        .unwrap()
    }

    #[test]
    fn a_write_is_stored_and_reopens() {
        let dir = tempfile::tempdir().unwrap();
        let mut replica = Replica::open(create(dir.path())).unwrap();
        let (ana, commit) = replica
            .write(|j| j.add_partner("Ana", "#c0623b", Timestamp(1)))
            .unwrap();
        assert!(!commit.chunks.is_empty());
        assert!(commit.sealed_bytes() > 0);
        drop(replica);
        let replica = Replica::open(Profile::open(dir.path(), None).unwrap()).unwrap();
        let partners = replica.journal().partners();
        assert_eq!(partners.len(), 1);
        assert_eq!(partners[0].id, ana);
    }

    #[test]
    fn a_refused_intent_stores_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let mut replica = Replica::open(create(dir.path())).unwrap();
        let before = replica
            .profile_mut()
            .store_mut()
            .slot_stats(DocSlot::Shared)
            .unwrap();
        let err = replica
            .write(|j| j.add_partner("   ", "#c0623b", Timestamp(1)))
            .unwrap_err();
        assert!(matches!(err, ReplicaError::Journal(_)), "{err:?}");
        let after = replica
            .profile_mut()
            .store_mut()
            .slot_stats(DocSlot::Shared)
            .unwrap();
        assert_eq!(before.last_seq, after.last_seq);
    }

    #[test]
    fn absorbed_changes_are_counted_once_and_stored() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let mut first = Replica::open(create(a.path())).unwrap();
        first
            .write(|j| j.add_partner("Ana", "#c0623b", Timestamp(1)))
            .unwrap();
        let bytes = first.journal_mut().doc_mut(DocKind::Shared).save();
        let mut second = Replica::open(create(b.path())).unwrap();
        let (new, commit) = second.absorb(DocKind::Shared, &bytes).unwrap();
        assert!(new > 0);
        assert!(!commit.chunks.is_empty());
        let (again, commit) = second.absorb(DocKind::Shared, &bytes).unwrap();
        assert_eq!(again, 0);
        assert!(commit.chunks.is_empty());
        assert!(second.absorb(DocKind::Shared, b"not automerge").is_err());
        drop(second);
        let second = Replica::open(Profile::open(b.path(), None).unwrap()).unwrap();
        assert_eq!(second.journal().partners().len(), 1);
    }
}
