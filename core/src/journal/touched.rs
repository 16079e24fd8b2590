//! What changes touched: the parts of the documents a view reads, so a view is rebuilt only when
//! a change concerns it.
//!
//! [`Journal::touched`] reads Automerge's patch log: once a journal is watched, every change
//! applied to either document (written here, received by sync, loaded from a chunk) records its
//! patches, and each call hands over the parts those patches were in and starts again. The same
//! log tells the wall projection which items to look at again (see `projection`), so a
//! partner's device watches its documents from the first write or sync.

use automerge::{PatchAction, Prop};

use super::Journal;
use crate::model::Collection;

/// The parts of the journal that changes touched since the last look.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Touched {
    /// Everything may have changed (the first look, or a change to who is who).
    all: bool,
    collections: Vec<Collection>,
    trash: bool,
}

impl Touched {
    /// Everything, as for a first look.
    pub fn everything() -> Touched {
        Touched {
            all: true,
            ..Touched::default()
        }
    }

    /// Changes to these collections.
    pub fn of(collections: &[Collection]) -> Touched {
        Touched {
            collections: collections.to_vec(),
            ..Touched::default()
        }
    }

    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        !self.all && !self.trash && self.collections.is_empty()
    }

    /// Whether everything may have changed: the partners, the devices, the membership or the
    /// document's frame.
    pub fn is_everything(&self) -> bool {
        self.all
    }

    /// Whether a change concerns any of `collections` (the trash concerns every collection:
    /// an item deleted or restored leaves or comes back).
    pub fn concerns(&self, collections: &[Collection]) -> bool {
        self.all || self.trash || collections.iter().any(|c| self.collections.contains(c))
    }

    /// Whether the trash changed.
    pub fn trash(&self) -> bool {
        self.all || self.trash
    }

    /// Adds what `other` touched.
    pub fn merge(&mut self, other: &Touched) {
        self.all |= other.all;
        self.trash |= other.trash;
        for c in &other.collections {
            self.note(*c);
        }
    }

    fn note(&mut self, c: Collection) {
        if !self.collections.contains(&c) {
            self.collections.push(c);
        }
    }

    fn note_key(&mut self, key: &str) {
        match (key, Collection::from_key(key)) {
            (_, Some(c)) => self.note(c),
            ("trash", None) => self.trash = true,
            _ => self.all = true,
        }
    }
}

impl Touched {
    /// Adds what one patch of a document touched.
    pub(super) fn note_patch(&mut self, patch: &automerge::Patch) {
        match patch.path.first() {
            Some((_, Prop::Map(key))) => self.note_key(key),
            Some((_, Prop::Seq(_))) => self.all = true,
            None => match &patch.action {
                PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                    self.note_key(key)
                }
                _ => self.all = true,
            },
        }
    }
}

impl Journal {
    /// What changed in either document since the last call, and from now on records again.
    /// The first call (or the first after the documents were replaced) says everything.
    pub fn touched(&mut self) -> Touched {
        self.drain_changes();
        std::mem::take(&mut self.pending.touched)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn a_change_names_the_parts_it_touched_written_or_received() {
        let (mut a, mut b, ana, ben) = couple();
        assert!(a.touched().is_everything(), "the first look is everything");
        assert!(a.touched().is_empty());
        a.add_appreciation(&ana, "Thank you", false, at(1)).unwrap();
        let t = a.touched();
        assert!(t.concerns(&[Collection::Appreciations]));
        assert!(!t.concerns(&[Collection::Dates, Collection::Checkins]));
        assert!(a.touched().is_empty(), "each change is handed over once");

        // Received by sync: the same.
        b.log_kindness(&ben, "Made tea", at(1), None, at(1))
            .unwrap();
        sync(&mut a, &mut b);
        let t = a.touched();
        assert!(t.concerns(&[Collection::Kindness]));
        assert!(!t.concerns(&[Collection::Appreciations]));

        // A delete touches the trash, which concerns every collection.
        let id = a.add_appreciation(&ana, "Oops", false, at(2)).unwrap();
        a.touched();
        a.delete(&id, &ana, at(3)).unwrap();
        let t = a.touched();
        assert!(t.trash() && t.concerns(&[Collection::Dates]));

        // A new partner name concerns everything.
        a.update_partner(&ana, Some("Ana M."), None, at(4)).unwrap();
        assert!(a.touched().is_everything());
    }
}
