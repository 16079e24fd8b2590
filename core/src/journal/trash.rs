//! Soft delete: an item stays where it is and a trash entry hides it, so an edit made
//! elsewhere while it was deleted is still there when it comes back. Purged after 30 days.

use automerge::{ObjType, transaction::Transactable};

use super::{DocKind, Journal, TRASH_DAYS};
use crate::doc;
use crate::error::{JournalError, Result, Rule};
use crate::ids::{Id, PartnerId, Timestamp};
use crate::model::{Collection, TrashEntry, Visibility};

fn preview(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    let mut out: String = line.chars().take(60).collect();
    if line.chars().count() > 60 || text.lines().nth(1).is_some() {
        out.push('…');
    }
    out
}

impl Journal {
    pub(super) fn is_trashed(&self, kind: DocKind, id: &Id) -> bool {
        self.map(kind, "trash")
            .ok()
            .is_some_and(|t| doc::obj(self.doc(kind), &t, id.as_str()).is_some())
    }

    /// Moves an item to the trash, where it can be restored for 30 days. Repairs are never
    /// deleted: every step stays dated. Date plans and the idea deck are the couple's, so either
    /// partner may delete them; everything else only its author.
    pub fn delete(&mut self, id: &Id, by: &PartnerId, now: Timestamp) -> Result<()> {
        now.check("time")?;
        self.require_partner(by)?;
        self.require_acting(by, false)?;
        let (kind, coll, _) = self.locate(id).ok_or_else(|| JournalError::NotFound {
            kind: "item",
            id: id.to_string(),
        })?;
        // A hurt never shared is a draft, its author's alone to throw away; once shared, a
        // repair keeps every step dated.
        if coll == Collection::Repairs
            && (kind == DocKind::Shared
                || self
                    .repairs()
                    .iter()
                    .any(|r| &r.id == id && r.shared_at.is_some()))
        {
            return Err(JournalError::NotAllowed(Rule::SharedRepairKept));
        }
        if self.is_trashed(kind, id) {
            return Err(JournalError::InTrash {
                kind: coll.noun(),
                id: id.to_string(),
            });
        }
        if !matches!(coll, Collection::Dates | Collection::Ideas)
            && let Some(author) = self.item_author(id)
        {
            self.require_author(&author, "delete this")?;
        }
        self.write(now, |j| {
            let trash = j.map(kind, "trash")?;
            let d = j.doc_mut(kind);
            let t = d.put_object(&trash, id.as_str(), ObjType::Map)?;
            d.put(&t, "collection", coll.key())?;
            d.put(&t, "deleted_at", now.0)?;
            d.put(&t, "deleted_by", by.as_str())?;
            Ok(())
        })
    }

    /// Brings an item back from the trash.
    pub fn restore(&mut self, id: &Id, now: Timestamp) -> Result<()> {
        let kind = DocKind::ALL
            .into_iter()
            .find(|k| self.is_trashed(*k, id))
            .ok_or_else(|| JournalError::NotFound {
                kind: "item in the trash",
                id: id.to_string(),
            })?;
        self.write(now, |j| {
            let trash = j.map(kind, "trash")?;
            j.doc_mut(kind).delete(&trash, id.as_str())?;
            Ok(())
        })
    }

    /// What is in the trash, most recently deleted first.
    pub fn trash(&self) -> Vec<TrashEntry> {
        let mut out = Vec::new();
        for kind in DocKind::ALL {
            let Ok(trash) = self.map(kind, "trash") else {
                continue;
            };
            let d = self.doc(kind);
            for key in doc::keys(d, &trash) {
                let Some(t) = doc::obj(d, &trash, &key) else {
                    continue;
                };
                let id = Id::from(key);
                let Some((_, coll, obj)) = self.locate(&id) else {
                    continue;
                };
                let deleted_at = Timestamp(doc::int(d, &t, "deleted_at").unwrap_or(0));
                let text = [
                    "text",
                    "title",
                    "what",
                    "statement",
                    "feeling",
                    "hurt",
                    "day",
                ]
                .iter()
                .find_map(|f| doc::string(d, &obj, f))
                .unwrap_or_default();
                out.push(TrashEntry {
                    collection: doc::string(d, &t, "collection")
                        .and_then(|c| Collection::from_key(&c))
                        .unwrap_or(coll),
                    visibility: match kind {
                        DocKind::Private => Visibility::Private,
                        DocKind::Shared | DocKind::Wall => Visibility::Shared,
                    },
                    preview: preview(&text),
                    deleted_at,
                    deleted_by: Id::from(doc::string(d, &t, "deleted_by").unwrap_or_default()),
                    purge_after: deleted_at.plus_days(TRASH_DAYS),
                    id,
                });
            }
        }
        out.sort_by(|a, b| (b.deleted_at, &b.id).cmp(&(a.deleted_at, &a.id)));
        out
    }

    /// Who wrote or made an item (its author, planner, speaker, who added it or did it, whose
    /// check-in it is), trashed or not; `None` when the item is unknown or names nobody. The
    /// trash shows it next to who deleted the item, which is a different thing.
    pub fn item_author(&self, id: &Id) -> Option<PartnerId> {
        let (kind, _, obj) = self.locate(id)?;
        let d = self.doc(kind);
        ["author", "planner", "speaker", "added_by", "by", "partner"]
            .iter()
            .find_map(|f| doc::string(d, &obj, f))
            .filter(|s| !s.is_empty())
            .map(Id::from)
    }

    /// Removes for good what has been in the trash for more than 30 days. Returns how many.
    pub fn purge_trash(&mut self, now: Timestamp) -> Result<usize> {
        let due: Vec<TrashEntry> = self
            .trash()
            .into_iter()
            .filter(|t| t.purge_after <= now)
            .collect();
        if due.is_empty() {
            return Ok(0);
        }
        self.write(now, |j| {
            for t in &due {
                let kind = DocKind::from(t.visibility);
                let trash = j.map(kind, "trash")?;
                let coll = j.coll(kind, t.collection)?;
                let d = j.doc_mut(kind);
                d.delete(&coll, t.id.as_str())?;
                d.delete(&trash, t.id.as_str())?;
            }
            Ok(due.len())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::model::{DateChange, NewDate};

    #[test]
    fn delete_restore_and_purge() {
        let (mut a, _, ana, _) = couple();
        let id = a
            .add_appreciation(&ana, "Thanks for the flowers", true, at(1))
            .unwrap();
        a.delete(&id, &ana, at(2)).unwrap();
        assert!(a.wall(&Default::default()).is_empty());
        assert!(matches!(
            a.set_wall_safe(&id, false, at(3)),
            Err(JournalError::InTrash { .. })
        ));
        assert!(matches!(
            a.delete(&id, &ana, at(3)),
            Err(JournalError::InTrash { .. })
        ));
        let t = a.trash();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].preview, "Thanks for the flowers");
        assert_eq!(a.item_author(&id), Some(ana.clone()));
        assert_eq!(a.item_author(&Id::from("nope")), None);
        assert_eq!(t[0].purge_after, at(2).plus_days(30));
        a.restore(&id, at(4)).unwrap();
        assert_eq!(a.wall(&Default::default()).len(), 1);
        assert!(a.restore(&id, at(4)).is_err());
        a.delete(&id, &ana, at(5)).unwrap();
        assert_eq!(a.purge_trash(at(5).plus_days(29)).unwrap(), 0);
        assert_eq!(a.trash().len(), 1);
        assert_eq!(a.purge_trash(at(5).plus_days(30)).unwrap(), 1);
        assert!(a.trash().is_empty());
        assert!(matches!(
            a.restore(&id, at(6)),
            Err(JournalError::NotFound { .. })
        ));
        assert!(matches!(
            a.delete(&Id::from("nope"), &ana, at(6)),
            Err(JournalError::NotFound { .. })
        ));
    }

    #[test]
    fn an_edit_made_while_deleted_survives_restore() {
        let (mut a, mut b, ana, _) = couple();
        let new = NewDate {
            title: "Dinner".into(),
            start: Some(at(48)),
            ..Default::default()
        };
        let id = a.plan_date(&ana, &new, at(0)).unwrap();
        sync(&mut a, &mut b);
        a.delete(&id, &ana, at(1)).unwrap();
        let edit = DateChange {
            notes: Some("Book the window table".into()),
            ..Default::default()
        };
        b.update_date(&id, &edit, at(1)).unwrap();
        sync(&mut a, &mut b);
        assert!(b.dates().is_empty(), "the delete reached b");
        b.restore(&id, at(2)).unwrap();
        sync(&mut a, &mut b);
        assert_eq!(a.date(&id).unwrap().notes, "Book the window table");
    }

    #[test]
    fn private_items_go_to_the_private_trash() {
        let (mut a, _, ana, _) = couple();
        let parts = crate::IStatementParts {
            feeling: "I felt hurt".into(),
            ..Default::default()
        };
        let id = a
            .write_i_statement(&ana, &parts, Visibility::Private, at(1))
            .unwrap();
        a.delete(&id, &ana, at(2)).unwrap();
        assert_eq!(a.trash()[0].visibility, Visibility::Private);
        assert!(a.i_statements().is_empty());
        assert!(matches!(
            a.share(&id, at(3)),
            Err(JournalError::InTrash { .. })
        ));
        a.restore(&id, at(3)).unwrap();
        assert_eq!(a.i_statements().len(), 1);
    }
}
