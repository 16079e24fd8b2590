//! The idea deck (each partner marks "I'd enjoy this"; both marks make a match) and the log of
//! kindnesses done.

use automerge::{AutoCommit, ObjId, ObjType, transaction::Transactable};

use super::{DocKind, Journal};
use crate::doc;
use crate::error::{JournalError, Result};
use crate::ids::{Id, PartnerId, Timestamp};
use crate::model::{Collection, Idea, IdeaKind, KindnessAct, KindnessBucket};
use crate::text;

fn read_idea(d: &AutoCommit, id: Id, o: &ObjId, partners: &[PartnerId]) -> Option<Idea> {
    let enjoyed_by: Vec<PartnerId> = doc::obj(d, o, "enjoy")
        .map(|m| {
            doc::keys(d, &m)
                .into_iter()
                .filter(|k| doc::boolean(d, &m, k) == Some(true))
                .map(Id::from)
                .collect()
        })
        .unwrap_or_default();
    let matched = partners.len() == 2 && partners.iter().all(|p| enjoyed_by.contains(p));
    Some(Idea {
        kind: IdeaKind::from(doc::string(d, o, "kind")?),
        title: doc::string(d, o, "title")?,
        bucket: doc::string(d, o, "bucket").map(KindnessBucket::from),
        added_by: Id::from(doc::string(d, o, "added_by")?),
        created: Timestamp(doc::int(d, o, "created").unwrap_or(0)),
        enjoyed_by,
        matched,
        id,
    })
}

fn known<T: Clone>(field: &'static str, v: &T, other: Option<&str>, known: &[&str]) -> Result<T> {
    match other {
        Some(s) => Err(JournalError::OutOfRange {
            field,
            detail: format!("{s:?}; use one of: {}", known.join(", ")),
        }),
        None => Ok(v.clone()),
    }
}

fn check_bucket(b: Option<&KindnessBucket>) -> Result<()> {
    if let Some(b @ KindnessBucket::Other(s)) = b {
        known("bucket", b, Some(s), KindnessBucket::KNOWN)?;
    }
    Ok(())
}

impl Journal {
    /// Adds an idea to the deck.
    pub fn add_idea(
        &mut self,
        by: &PartnerId,
        kind: &IdeaKind,
        title: &str,
        bucket: Option<&KindnessBucket>,
        now: Timestamp,
    ) -> Result<Id> {
        let title = text::line("idea", title, true)?;
        if let IdeaKind::Other(s) = kind {
            known("kind", kind, Some(s), IdeaKind::KNOWN)?;
        }
        check_bucket(bucket)?;
        self.require_partner(by)?;
        self.require_acting(by, false)?;
        now.check("time")?;
        let id = self.new_id(now);
        self.write(now, |j| {
            j.put_idea(&id, kind, &title, bucket, by, now)?;
            Ok(id)
        })
    }

    /// Writes an idea item under `id` in the shared journal: the one layout of an idea.
    pub(super) fn put_idea(
        &mut self,
        id: &Id,
        kind: &IdeaKind,
        title: &str,
        bucket: Option<&KindnessBucket>,
        by: &PartnerId,
        created: Timestamp,
    ) -> Result<()> {
        let coll = self.coll(DocKind::Shared, Collection::Ideas)?;
        let d = &mut self.shared;
        let o = d.put_object(&coll, id.as_str(), ObjType::Map)?;
        d.put(&o, "kind", kind.as_str())?;
        d.put(&o, "title", title)?;
        doc::put_opt_str(d, &o, "bucket", bucket.map(|b| b.as_str()))?;
        d.put(&o, "added_by", by.as_str())?;
        d.put(&o, "created", created.0)?;
        d.put_object(&o, "enjoy", ObjType::Map)?;
        Ok(())
    }

    /// Marks (or unmarks) "I'd enjoy this" for one partner. Marks are kept per partner, so both
    /// marking at once both count.
    pub fn mark_idea(
        &mut self,
        id: &Id,
        partner: &PartnerId,
        enjoy: bool,
        now: Timestamp,
    ) -> Result<()> {
        self.require_partner(partner)?;
        self.require_acting(partner, false)?;
        let (kind, o) = self.live(Collection::Ideas, id)?;
        self.write(now, |j| {
            let d = j.doc_mut(kind);
            let m = doc::ensure_map(d, &o, "enjoy")?;
            d.put(&m, partner.as_str(), enjoy)?;
            Ok(())
        })
    }

    /// The deck, oldest first.
    pub fn ideas(&self) -> Vec<Idea> {
        let partners: Vec<PartnerId> = self.partners().into_iter().map(|p| p.id).collect();
        let d = &self.shared;
        let mut out: Vec<Idea> = self
            .live_items(DocKind::Shared, Collection::Ideas)
            .into_iter()
            .filter_map(|(id, o)| read_idea(d, id, &o, &partners))
            .collect();
        out.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        out
    }

    /// Ideas both partners would enjoy.
    pub fn matched_ideas(&self) -> Vec<Idea> {
        self.ideas().into_iter().filter(|i| i.matched).collect()
    }

    /// Logs a kindness done. `when` may be earlier than now (yesterday's surprise).
    pub fn log_kindness(
        &mut self,
        by: &PartnerId,
        what: &str,
        when: Timestamp,
        bucket: Option<&KindnessBucket>,
        now: Timestamp,
    ) -> Result<Id> {
        let what = text::long("kindness", what, true)?;
        check_bucket(bucket)?;
        self.require_acting(by, false)?;
        when.check("when")?;
        if when > now.plus_days(1) {
            return Err(JournalError::OutOfRange {
                field: "when",
                detail: "a kindness is logged once it is done, not ahead of time".into(),
            });
        }
        self.require_partner(by)?;
        let id = self.new_id(now);
        self.write(now, |j| {
            let coll = j.coll(DocKind::Shared, Collection::Kindness)?;
            let d = &mut j.shared;
            let o = d.put_object(&coll, id.as_str(), ObjType::Map)?;
            d.put(&o, "by", by.as_str())?;
            d.put(&o, "what", what.as_str())?;
            d.put(&o, "when", when.0)?;
            doc::put_opt_str(d, &o, "bucket", bucket.map(|b| b.as_str()))?;
            Ok(id)
        })
    }

    /// Kindnesses done, newest first.
    pub fn kindness_log(&self) -> Vec<KindnessAct> {
        self.kindness_acts(None, None, None)
    }

    /// Kindness acts done after `after` and at or before `until`, newest first, at most
    /// `limit`: looked at a window of time at a time (by when they were logged, in their ids),
    /// and the times compared before anything else of an act is read.
    pub fn kindness_acts(
        &self,
        after: Option<Timestamp>,
        until: Option<Timestamp>,
        limit: Option<usize>,
    ) -> Vec<KindnessAct> {
        let d = &self.shared;
        self.newest_first(
            DocKind::Shared,
            Collection::Kindness,
            (after, until),
            limit,
            |o| doc::int(d, o, "when").map(Timestamp),
            |id, o| {
                Some(KindnessAct {
                    by: Id::from(doc::string(d, &o, "by")?),
                    what: doc::string(d, &o, "what")?,
                    when: Timestamp(doc::int(d, &o, "when")?),
                    bucket: doc::string(d, &o, "bucket").map(KindnessBucket::from),
                    id,
                })
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn both_marks_make_a_match_even_when_concurrent() {
        let (mut a, mut b, ana, ben) = couple();
        let id = a
            .add_idea(&ana, &IdeaKind::Date, "Stargazing", None, at(0))
            .unwrap();
        let other = a
            .add_idea(&ana, &IdeaKind::Date, "Escape room", None, at(0))
            .unwrap();
        sync(&mut a, &mut b);
        a.mark_idea(&id, &ana, true, at(1)).unwrap();
        b.mark_idea(&id, &ben, true, at(1)).unwrap();
        a.mark_idea(&other, &ana, true, at(1)).unwrap();
        assert!(a.matched_ideas().is_empty());
        sync(&mut a, &mut b);
        let m: Vec<Id> = a.matched_ideas().into_iter().map(|i| i.id).collect();
        assert_eq!(m, vec![id.clone()]);
        assert_eq!(b.matched_ideas().len(), 1);
        b.mark_idea(&id, &ben, false, at(2)).unwrap();
        assert!(b.matched_ideas().is_empty());
    }

    #[test]
    fn ideas_validate_kind_and_bucket() {
        let (mut a, _, ana, _) = couple();
        assert!(
            a.add_idea(&ana, &IdeaKind::Other("x".into()), "t", None, at(0))
                .is_err()
        );
        let bad = KindnessBucket::Other("money".into());
        assert!(
            a.add_idea(&ana, &IdeaKind::Kindness, "t", Some(&bad), at(0))
                .is_err()
        );
        let id = a
            .add_idea(
                &ana,
                &IdeaKind::Kindness,
                "Make tea",
                Some(&KindnessBucket::Help),
                at(0),
            )
            .unwrap();
        assert_eq!(a.ideas()[0].bucket, Some(KindnessBucket::Help));
        assert!(a.mark_idea(&Id::from("nope"), &ana, true, at(1)).is_err());
        assert!(a.mark_idea(&id, &Id::from("nobody"), true, at(1)).is_err());
    }

    #[test]
    fn kindness_is_ordered_by_when_it_was_done_not_when_it_was_logged() {
        use rand::{RngExt, SeedableRng, rngs::StdRng};
        let (mut a, _, ana, _) = couple();
        let mut rng = StdRng::seed_from_u64(5);
        for n in 0..120 {
            let logged = -rng.random_range(0..24 * 365 * 2);
            let done = logged - rng.random_range(-23..24 * 40);
            a.log_kindness(&ana, &format!("act {n}"), at(done), None, at(logged))
                .unwrap();
        }
        let all = a.kindness_log();
        assert_eq!(all.len(), 120);
        let times: Vec<_> = all.iter().map(|k| (k.when, k.id.clone())).collect();
        let mut sorted = times.clone();
        sorted.sort_by(|x, y| y.cmp(x));
        assert_eq!(times, sorted);
        for limit in [1, 7, 30, 119] {
            let some: Vec<_> = a
                .kindness_acts(None, None, Some(limit))
                .into_iter()
                .map(|k| (k.when, k.id))
                .collect();
            assert_eq!(some, sorted[..limit], "limit {limit}");
        }
    }

    #[test]
    fn kindness_log_newest_first() {
        let (mut a, _, ana, _) = couple();
        a.log_kindness(
            &ana,
            "Packed lunch",
            at(1),
            Some(&KindnessBucket::Help),
            at(2),
        )
        .unwrap();
        a.log_kindness(&ana, "Left a note", at(3), None, at(3))
            .unwrap();
        let log = a.kindness_log();
        assert_eq!(log[0].what, "Left a note");
        assert_eq!(log[1].bucket, Some(KindnessBucket::Help));
        let newest = a.kindness_acts(None, None, Some(1));
        assert_eq!(
            newest.iter().map(|k| &k.what).collect::<Vec<_>>(),
            ["Left a note"]
        );
        let early = a.kindness_acts(Some(at(0)), Some(at(2)), None);
        assert_eq!(
            early.iter().map(|k| &k.what).collect::<Vec<_>>(),
            ["Packed lunch"]
        );
        assert!(
            a.log_kindness(&ana, "Future", at(100), None, at(3))
                .is_err()
        );
        assert!(a.log_kindness(&ana, "", at(1), None, at(3)).is_err());
    }
}
