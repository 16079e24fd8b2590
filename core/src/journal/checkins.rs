//! Daily check-ins: mood and closeness, 1 to 5, per person per day.

use automerge::{AutoCommit, ObjId, ObjType, transaction::Transactable};
use chrono::NaiveDate;

use super::{DocKind, Journal};
use crate::doc;
use crate::error::{JournalError, Result};
use crate::ids::{Id, PartnerId, Timestamp};
use crate::model::{CheckIn, Collection};
use crate::text;

fn key(partner: &PartnerId, day: NaiveDate) -> String {
    format!("{partner}/{day}")
}

fn read(d: &AutoCommit, id: Id, o: &ObjId) -> Option<CheckIn> {
    let rating = |k| doc::int(d, o, k).and_then(|v| u8::try_from(v).ok());
    Some(CheckIn {
        partner: Id::from(doc::string(d, o, "partner")?),
        day: doc::string(d, o, "day")?.parse().ok()?,
        mood: rating("mood")?,
        closeness: rating("closeness")?,
        note: doc::string(d, o, "note"),
        at: Timestamp(doc::int(d, o, "at").unwrap_or(0)),
        id,
    })
}

impl Journal {
    /// Checks in for a day (the caller's local day). A second check-in for the same person and
    /// day replaces the first; each check-in is written whole, so two written at once on two
    /// devices converge to one of them, never to a mix.
    pub fn check_in(
        &mut self,
        partner: &PartnerId,
        day: NaiveDate,
        mood: u8,
        closeness: u8,
        note: Option<&str>,
        now: Timestamp,
    ) -> Result<Id> {
        let mood = text::rating("mood", mood)?;
        let closeness = text::rating("closeness", closeness)?;
        let note = text::optional_line("note", note)?;
        self.require_acting(partner, false)?;
        now.check("time")?;
        let Some(today) = now.to_datetime().map(|t| t.date_naive()) else {
            return Err(JournalError::OutOfRange {
                field: "time",
                detail: "not a valid time".into(),
            });
        };
        // A day more than one day ahead of UTC's can't be anyone's today.
        if day > today.succ_opt().unwrap_or(today) || day.format("%Y").to_string().len() != 4 {
            return Err(JournalError::OutOfRange {
                field: "day",
                detail: format!("{day} is in the future; check in for today or an earlier day"),
            });
        }
        self.require_partner(partner)?;
        let id = Id::from(key(partner, day));
        self.write(now, |j| {
            let coll = j.coll(DocKind::Shared, Collection::Checkins)?;
            let trash = j.map(DocKind::Shared, "trash")?;
            let d = &mut j.shared;
            // Replacing a deleted check-in brings the day back.
            if doc::obj(d, &trash, id.as_str()).is_some() {
                d.delete(&trash, id.as_str())?;
            }
            let o = d.put_object(&coll, id.as_str(), ObjType::Map)?;
            d.put(&o, "partner", partner.as_str())?;
            d.put(&o, "day", day.to_string())?;
            d.put(&o, "mood", i64::from(mood))?;
            d.put(&o, "closeness", i64::from(closeness))?;
            doc::put_opt_str(d, &o, "note", note.as_deref())?;
            d.put(&o, "at", now.0)?;
            Ok(id)
        })
    }

    /// Check-ins, oldest day first, optionally for one partner and within days `from..=to`.
    pub fn checkins(
        &self,
        partner: Option<&PartnerId>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Vec<CheckIn> {
        let d = &self.shared;
        if let (Some(from), Some(to)) = (from, to)
            && to.signed_duration_since(from).num_days() <= MAX_LOOKUP_DAYS
        {
            return self.checkins_by_key(partner, from, to);
        }
        let mut out: Vec<CheckIn> = self
            .live_items(DocKind::Shared, Collection::Checkins)
            .into_iter()
            .filter_map(|(id, o)| read(d, id, &o))
            .filter(|c| partner.is_none_or(|p| &c.partner == p))
            .filter(|c| from.is_none_or(|f| c.day >= f) && to.is_none_or(|t| c.day <= t))
            .collect();
        out.sort_by(|a, b| (a.day, &a.partner).cmp(&(b.day, &b.partner)));
        out
    }

    /// Check-ins within a short span of days, looked up by their keys (person and day) instead
    /// of read from the whole collection; only an item whose fields agree with its key counts.
    fn checkins_by_key(
        &self,
        partner: Option<&PartnerId>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Vec<CheckIn> {
        let (Ok(coll), Ok(trash)) = (
            self.coll(DocKind::Shared, Collection::Checkins),
            self.map(DocKind::Shared, "trash"),
        ) else {
            return Vec::new();
        };
        let d = &self.shared;
        let mut people: Vec<PartnerId> = match partner {
            Some(p) => vec![p.clone()],
            None => self.partners().into_iter().map(|p| p.id).collect(),
        };
        people.sort();
        let mut out = Vec::new();
        for day in from.iter_days().take_while(|day| *day <= to) {
            for p in &people {
                let k = key(p, day);
                if doc::obj(d, &trash, &k).is_some() {
                    continue;
                }
                if let Some(c) = doc::obj(d, &coll, &k).and_then(|o| read(d, Id::from(k), &o))
                    && &c.partner == p
                    && c.day == day
                {
                    out.push(c);
                }
            }
        }
        out
    }
}

/// The longest span of days [`Journal::checkins`] looks up by key rather than by reading the
/// whole collection.
const MAX_LOOKUP_DAYS: i64 = 400;

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_span_of_days_reads_the_same_by_key_as_by_scanning() {
        let (mut a, mut b, ana, ben) = couple();
        for (n, d) in ["2025-12-20", "2025-12-24", "2025-12-31"]
            .iter()
            .enumerate()
        {
            let n = u8::try_from(n).unwrap();
            a.check_in(&ana, day(d), 1 + n, 2, None, at(-1)).unwrap();
            b.check_in(&ben, day(d), 5 - n, 3, Some("ok"), at(-1))
                .unwrap();
        }
        sync(&mut a, &mut b);
        b.delete(&Id::from(format!("{ben}/2025-12-24")), &ben, at(0))
            .unwrap();
        sync(&mut a, &mut b);
        let (from, to) = (day("2025-12-21"), day("2025-12-31"));
        let scanned: Vec<CheckIn> = a
            .checkins(None, None, None)
            .into_iter()
            .filter(|c| c.day >= from && c.day <= to)
            .collect();
        assert_eq!(scanned.len(), 3);
        assert_eq!(a.checkins(None, Some(from), Some(to)), scanned);
        let anas: Vec<CheckIn> = scanned.into_iter().filter(|c| c.partner == ana).collect();
        assert_eq!(a.checkins(Some(&ana), Some(from), Some(to)), anas);
        // A span longer than the lookup reads the collection, with the same answer.
        let long = a.checkins(None, Some(day("2024-01-01")), Some(to));
        assert_eq!(long.len(), 5);
    }

    #[test]
    fn second_checkin_same_day_replaces_first() {
        let (mut a, _, ana, ben) = couple();
        a.check_in(&ana, day("2026-01-01"), 3, 4, Some("tired"), at(1))
            .unwrap();
        a.check_in(&ana, day("2026-01-01"), 5, 5, None, at(2))
            .unwrap();
        a.check_in(&ben, day("2026-01-01"), 2, 3, None, at(2))
            .unwrap();
        let all: Vec<CheckIn> = a.checkins(None, None, None);
        assert_eq!(all.len(), 2);
        let anas: Vec<CheckIn> = a.checkins(Some(&ana), None, None);
        assert_eq!(
            (anas[0].mood, anas[0].closeness, anas[0].note.clone()),
            (5, 5, None)
        );
    }

    #[test]
    fn concurrent_checkins_same_day_converge_to_one_whole() {
        let (mut a, mut b, ana, _) = couple();
        a.check_in(&ana, day("2026-01-01"), 1, 2, Some("from phone"), at(1))
            .unwrap();
        b.check_in(&ana, day("2026-01-01"), 5, 4, Some("from laptop"), at(1))
            .unwrap();
        sync(&mut a, &mut b);
        let x: Vec<CheckIn> = a.checkins(None, None, None);
        let y: Vec<CheckIn> = b.checkins(None, None, None);
        assert_eq!(x, y);
        assert_eq!(x.len(), 1);
        let c = &x[0];
        let whole = (c.mood, c.closeness, c.note.as_deref());
        assert!(
            whole == (1, 2, Some("from phone")) || whole == (5, 4, Some("from laptop")),
            "{c:?}"
        );
    }

    #[test]
    fn ratings_and_days_are_checked() {
        let (mut a, _, ana, _) = couple();
        let before = a.heads(DocKind::Shared);
        assert!(
            a.check_in(&ana, day("2026-01-01"), 0, 3, None, at(1))
                .is_err()
        );
        assert!(
            a.check_in(&ana, day("2026-01-01"), 3, 6, None, at(1))
                .is_err()
        );
        assert!(
            a.check_in(&ana, day("2026-03-01"), 3, 3, None, at(1))
                .is_err()
        );
        assert!(
            a.check_in(&ana, day("2026-01-01"), 3, 3, Some("a\nb"), at(1))
                .is_err()
        );
        assert_eq!(a.heads(DocKind::Shared), before);
        a.check_in(&ana, day("2025-12-30"), 3, 3, None, at(1))
            .unwrap();
        let range: Vec<CheckIn> = a.checkins(None, Some(day("2025-12-31")), None);
        assert!(range.is_empty());
    }
}
