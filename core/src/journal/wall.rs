//! The wall: appreciations, love notes and reactions.

use automerge::{ObjId, ObjType, transaction::Transactable};

use super::provenance::Reader;
use super::{DocKind, Journal};
use crate::doc;
use crate::error::Result;
use crate::ids::{Id, PartnerId, Timestamp};
use crate::model::{Appreciation, Collection, WallFilter};
use crate::text;

pub(super) fn read(r: &Reader<'_>, id: Id, o: &ObjId) -> Option<Appreciation> {
    let d = r.doc();
    let reactions = doc::obj(d, o, "reactions")
        .map(|r| {
            doc::keys(d, &r)
                .into_iter()
                .filter_map(|k| doc::string(d, &r, &k).map(|v| (Id::from(k), v)))
                .collect()
        })
        .unwrap_or_default();
    let mut item = r.item(o, Id::from(doc::string(d, o, "author")?));
    let text = r.own(o, "text", &mut item)?;
    Some(Appreciation {
        author: item.author,
        text,
        left_on_display: item.left_on_display,
        foreign: item.foreign,
        created: Timestamp(doc::int(d, o, "created")?),
        wall_safe: doc::boolean(d, o, "wall_safe").unwrap_or(false),
        reactions,
        id,
    })
}

impl Journal {
    /// Adds a note of thanks or a love note to the wall.
    pub fn add_appreciation(
        &mut self,
        author: &PartnerId,
        text: &str,
        wall_safe: bool,
        now: Timestamp,
    ) -> Result<Id> {
        let text = text::long("appreciation", text, true)?;
        self.require_partner(author)?;
        // The display leaves a note in the name of whoever picked theirs; a person's own device
        // writes only as that person.
        self.require_acting(author, true)?;
        now.check("time")?;
        let id = self.new_id(now);
        // A note left on the home display is on its wall.
        let wall_safe = wall_safe || self.is_home();
        self.write(now, |j| {
            let coll = j.coll(DocKind::Shared, Collection::Appreciations)?;
            let d = &mut j.shared;
            let o = d.put_object(&coll, id.as_str(), ObjType::Map)?;
            d.put(&o, "author", author.as_str())?;
            d.put(&o, "text", text.as_str())?;
            d.put(&o, "created", now.0)?;
            d.put(&o, "wall_safe", wall_safe)?;
            d.put_object(&o, "reactions", ObjType::Map)?;
            j.mark_left(&o)?;
            Ok(id)
        })
    }

    /// Rewrites a note's text.
    pub fn edit_appreciation(&mut self, id: &Id, text: &str, now: Timestamp) -> Result<()> {
        let text = text::long("appreciation", text, true)?;
        let (kind, o) = self.live(Collection::Appreciations, id)?;
        let author = self.appreciation(id)?.author;
        self.require_author(&author, "edit this note")?;
        self.write(now, |j| {
            j.doc_mut(kind).put(&o, "text", text.as_str())?;
            Ok(())
        })
    }

    /// Marks a note safe (or not) for the home display. The author decides for their own note;
    /// the partner may only hide it (at once; the author can show it again).
    pub fn set_wall_safe(&mut self, id: &Id, wall_safe: bool, now: Timestamp) -> Result<()> {
        let (kind, o) = self.live(Collection::Appreciations, id)?;
        let author = self.appreciation(id)?.author;
        match self.acting() {
            crate::Acting::Person(p) if p != author && !wall_safe => {}
            _ => self.require_author(&author, "show this note on the home display")?,
        }
        self.write(now, |j| {
            j.doc_mut(kind).put(&o, "wall_safe", wall_safe)?;
            Ok(())
        })
    }

    /// Reacts to a note (one reaction per partner; `None` takes it back).
    pub fn react(
        &mut self,
        id: &Id,
        partner: &PartnerId,
        reaction: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        let reaction = reaction
            .map(|r| text::line("reaction", r, true))
            .transpose()?;
        if let Some(r) = &reaction
            && r.chars().count() > 16
        {
            return Err(crate::JournalError::TooLong {
                field: "reaction",
                len: r.chars().count(),
                max: 16,
            });
        }
        self.require_partner(partner)?;
        self.require_acting(partner, false)?;
        let (kind, o) = self.live(Collection::Appreciations, id)?;
        self.write(now, |j| {
            let d = j.doc_mut(kind);
            let r = doc::ensure_map(d, &o, "reactions")?;
            doc::put_opt_str(d, &r, partner.as_str(), reaction.as_deref())
        })
    }

    /// The wall, newest first.
    ///
    /// Notes are looked at a window of time at a time, newest first (by the moment in their id,
    /// which is when they were written), until `limit` are found; within a window the order
    /// and the display filter come from plain fields, and the checked reading of a note (who
    /// wrote it, by the changes' actors) is done only for the notes shown.
    pub fn wall(&self, filter: &WallFilter) -> Vec<Appreciation> {
        let d = self.doc(DocKind::Shared);
        let r = self.reader(DocKind::Shared);
        self.newest_first(
            DocKind::Shared,
            Collection::Appreciations,
            (filter.after, filter.until),
            filter.limit,
            |o| {
                let shown =
                    !filter.wall_safe_only || doc::boolean(d, o, "wall_safe").unwrap_or(false);
                shown.then(|| doc::int(d, o, "created").map(Timestamp))?
            },
            |id, o| {
                read(&r, id, &o).filter(|a| filter.author.as_ref().is_none_or(|au| &a.author == au))
            },
        )
    }

    /// Who wrote each note written after `after` and at or before `until` (checked as the
    /// wall checks it), without reading the notes' text.
    pub(crate) fn authors_between(&self, after: Timestamp, until: Timestamp) -> Vec<PartnerId> {
        let d = self.doc(DocKind::Shared);
        let r = self.reader(DocKind::Shared);
        self.newest_first(
            DocKind::Shared,
            Collection::Appreciations,
            (Some(after), Some(until)),
            None,
            |o| doc::int(d, o, "created").map(Timestamp),
            |_, o| Some(r.item(&o, Id::from(doc::string(d, &o, "author")?)).author),
        )
    }

    /// One appreciation.
    pub fn appreciation(&self, id: &Id) -> Result<Appreciation> {
        let (kind, o) = self.live(Collection::Appreciations, id)?;
        read(&self.reader(kind), id.clone(), &o).ok_or_else(|| crate::JournalError::NotFound {
            kind: "appreciation",
            id: id.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::JournalError;

    #[test]
    fn the_wall_is_newest_first_and_filters() {
        let (mut a, mut b, ana, ben) = couple();
        let n1 = a
            .add_appreciation(&ana, "Thanks for making coffee", true, at(1))
            .unwrap();
        let n2 = b
            .add_appreciation(&ben, "Loved our walk", false, at(2))
            .unwrap();
        let n3 = a
            .add_appreciation(&ana, "You fixed the shelf!", false, at(3))
            .unwrap();
        sync(&mut a, &mut b);
        let all: Vec<Id> = a
            .wall(&WallFilter::default())
            .into_iter()
            .map(|x| x.id)
            .collect();
        assert_eq!(all, vec![n3.clone(), n2.clone(), n1.clone()]);
        let safe = a.wall(&WallFilter {
            wall_safe_only: true,
            ..Default::default()
        });
        assert_eq!(safe.len(), 1);
        assert_eq!(safe[0].id, n1);
        let bens = b.wall(&WallFilter {
            author: Some(ben.clone()),
            ..Default::default()
        });
        assert_eq!(bens.len(), 1);
        let limited = a.wall(&WallFilter {
            limit: Some(2),
            ..Default::default()
        });
        assert_eq!(limited.len(), 2);
        let between = a.wall(&WallFilter {
            after: Some(at(1)),
            until: Some(at(2)),
            ..Default::default()
        });
        assert_eq!(between.iter().map(|x| &x.id).collect::<Vec<_>>(), [&n2]);
    }

    #[test]
    fn the_newest_notes_come_first_across_years_of_them() {
        use rand::{RngExt, SeedableRng, rngs::StdRng};
        let (mut a, _, ana, ben) = couple();
        let mut rng = StdRng::seed_from_u64(11);
        for n in 0..150 {
            let hours = -rng.random_range(0..24 * 365 * 4);
            let who = if n % 3 == 0 { &ben } else { &ana };
            a.add_appreciation(who, &format!("note {n}"), n % 2 == 0, at(hours))
                .unwrap();
        }
        let mut all: Vec<(Timestamp, Id)> = a
            .wall(&WallFilter::default())
            .into_iter()
            .map(|x| (x.created, x.id))
            .collect();
        assert_eq!(all.len(), 150);
        let mut expected = all.clone();
        expected.sort_by(|x, y| y.cmp(x));
        assert_eq!(all, expected);
        for limit in [1, 3, 40, 149, 150, 500] {
            let some: Vec<(Timestamp, Id)> = a
                .wall(&WallFilter {
                    limit: Some(limit),
                    ..Default::default()
                })
                .into_iter()
                .map(|x| (x.created, x.id))
                .collect();
            assert_eq!(some, expected[..limit.min(150)], "limit {limit}");
        }
        let (after, until) = (at(-24 * 400), at(-24 * 30));
        let between: Vec<Id> = a
            .wall(&WallFilter {
                after: Some(after),
                until: Some(until),
                author: Some(ben.clone()),
                wall_safe_only: true,
                ..Default::default()
            })
            .into_iter()
            .map(|x| x.id)
            .collect();
        all.retain(|(t, id)| {
            let n = a.appreciation(id).unwrap();
            *t > after && *t <= until && n.author == ben && n.wall_safe
        });
        assert!(!all.is_empty());
        assert_eq!(
            between,
            all.into_iter().map(|(_, id)| id).collect::<Vec<_>>()
        );
    }

    #[test]
    fn edit_flag_and_react() {
        let (mut a, mut b, ana, ben) = couple();
        let id = a.add_appreciation(&ana, "Thanks", false, at(1)).unwrap();
        a.edit_appreciation(&id, "Thanks for dinner", at(2))
            .unwrap();
        a.set_wall_safe(&id, true, at(3)).unwrap();
        sync(&mut a, &mut b);
        b.react(&id, &ben, Some("❤"), at(4)).unwrap();
        a.react(&id, &ana, Some("😊"), at(4)).unwrap();
        sync(&mut a, &mut b);
        let n = a.appreciation(&id).unwrap();
        assert_eq!(n.text, "Thanks for dinner");
        assert!(n.wall_safe);
        assert_eq!(n.reactions.len(), 2);
        b.react(&id, &ben, None, at(5)).unwrap();
        assert_eq!(b.appreciation(&id).unwrap().reactions.len(), 1);
        assert!(
            b.react(&id, &ben, Some("a very long reaction text"), at(5))
                .is_err()
        );
    }

    #[test]
    fn bad_input_changes_nothing() {
        let (mut a, _, ana, _) = couple();
        let before = a.heads(DocKind::Shared);
        assert!(matches!(
            a.add_appreciation(&ana, "  ", false, at(1)),
            Err(JournalError::Empty { .. })
        ));
        let long = "x".repeat(10_001);
        assert!(matches!(
            a.add_appreciation(&ana, &long, false, at(1)),
            Err(JournalError::TooLong { .. })
        ));
        assert!(matches!(
            a.add_appreciation(&Id::from("nobody"), "hi", false, at(1)),
            Err(JournalError::NotFound { .. })
        ));
        assert!(matches!(
            a.add_appreciation(&ana, "hi", false, Timestamp(-5)),
            Err(JournalError::OutOfRange { .. })
        ));
        assert!(matches!(
            a.set_wall_safe(&Id::from("nope"), true, at(1)),
            Err(JournalError::NotFound { .. })
        ));
        assert_eq!(a.heads(DocKind::Shared), before);
    }
}
