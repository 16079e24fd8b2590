//! Date plans: what, when, where, notes, screens away, and reflections afterwards.

use automerge::{AutoCommit, ObjId, ObjType, transaction::Transactable};

use super::{DocKind, Journal};
use crate::doc;
use crate::error::{JournalError, Result, Rule};
use crate::ids::{Id, PartnerId, Timestamp};
use crate::model::{Collection, DateChange, DatePlan, DateStatus, NewDate};
use crate::text;

fn read(d: &AutoCommit, id: Id, o: &ObjId) -> Option<DatePlan> {
    let reflections = doc::obj(d, o, "reflections")
        .map(|r| {
            doc::keys(d, &r)
                .into_iter()
                .filter_map(|k| doc::string(d, &r, &k).map(|v| (Id::from(k), v)))
                .collect()
        })
        .unwrap_or_default();
    Some(DatePlan {
        title: doc::string(d, o, "title")?,
        start: Timestamp(doc::int(d, o, "start")?),
        end: doc::int(d, o, "end").map(Timestamp),
        place: doc::string(d, o, "place"),
        notes: doc::string(d, o, "notes").unwrap_or_default(),
        tech_free: doc::boolean(d, o, "tech_free").unwrap_or(false),
        planner: Id::from(doc::string(d, o, "planner")?),
        status: DateStatus::from(doc::string(d, o, "status").unwrap_or_else(|| "planned".into())),
        reflections,
        created: Timestamp(doc::int(d, o, "created").unwrap_or(0)),
        id,
    })
}

/// A live date plan's status and times, for picking plans without reading them.
#[derive(Debug)]
pub(super) struct DateEntry {
    start: Timestamp,
    ends: Timestamp,
    status: DateStatus,
    id: Id,
    obj: ObjId,
}

/// Every live plan's entry, by start time (then id).
pub(super) fn index(j: &Journal) -> Vec<DateEntry> {
    let d = &j.shared;
    let mut out: Vec<DateEntry> = j
        .live_items(DocKind::Shared, Collection::Dates)
        .into_iter()
        .filter_map(|(id, obj)| {
            let start = Timestamp(doc::int(d, &obj, "start")?);
            let end = doc::int(d, &obj, "end").map(Timestamp);
            Some(DateEntry {
                start,
                ends: DatePlan::ends_of(start, end),
                status: DateStatus::from(
                    doc::string(d, &obj, "status").unwrap_or_else(|| "planned".into()),
                ),
                id,
                obj,
            })
        })
        .collect();
    out.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
    out
}

fn check_span(start: Timestamp, end: Option<Timestamp>) -> Result<()> {
    start.check("start")?;
    if let Some(end) = end {
        end.check("end")?;
        if end <= start {
            return Err(JournalError::OutOfRange {
                field: "end",
                detail: "a date must end after it starts".into(),
            });
        }
        if end.0 - start.0 > 14 * 86_400_000 {
            return Err(JournalError::OutOfRange {
                field: "end",
                detail: "a date lasts at most two weeks".into(),
            });
        }
    }
    Ok(())
}

impl Journal {
    /// Plans a date. Without a start time it is kept as an idea (status `idea`).
    pub fn plan_date(&mut self, planner: &PartnerId, new: &NewDate, now: Timestamp) -> Result<Id> {
        let title = text::line("title", &new.title, true)?;
        let place = text::optional_line("place", new.place.as_deref())?;
        let notes = text::optional_long("notes", new.notes.as_deref())?;
        let (start, status) = match new.start {
            Some(s) => (s, DateStatus::Planned),
            None => (now, DateStatus::Idea),
        };
        check_span(start, new.end)?;
        self.require_partner(planner)?;
        self.require_acting(planner, false)?;
        now.check("time")?;
        let id = self.new_id(now);
        self.write(now, |j| {
            let coll = j.coll(DocKind::Shared, Collection::Dates)?;
            let d = &mut j.shared;
            let o = d.put_object(&coll, id.as_str(), ObjType::Map)?;
            d.put(&o, "title", title.as_str())?;
            d.put(&o, "start", start.0)?;
            doc::put_opt_int(d, &o, "end", new.end.map(|t| t.0))?;
            doc::put_opt_str(d, &o, "place", place.as_deref())?;
            let n = d.put_object(&o, "notes", ObjType::Text)?;
            d.splice_text(&n, 0, 0, notes.as_deref().unwrap_or(""))?;
            d.put(&o, "tech_free", new.tech_free)?;
            d.put(&o, "planner", planner.as_str())?;
            d.put(&o, "status", status.as_str())?;
            d.put_object(&o, "reflections", ObjType::Map)?;
            d.put(&o, "created", now.0)?;
            Ok(id)
        })
    }

    /// Changes a date plan. Notes are merged as a text edit, so both partners' typing survives.
    pub fn update_date(&mut self, id: &Id, change: &DateChange, now: Timestamp) -> Result<()> {
        let current = self.date(id)?;
        let title = change
            .title
            .as_deref()
            .map(|t| text::line("title", t, true))
            .transpose()?;
        let place = match &change.place {
            Some(p) => Some(text::optional_line("place", p.as_deref())?),
            None => None,
        };
        let notes = change
            .notes
            .as_deref()
            .map(|n| text::long("notes", n, false))
            .transpose()?;
        if let Some(DateStatus::Other(s)) = &change.status {
            return Err(JournalError::OutOfRange {
                field: "status",
                detail: format!("{s:?}; use one of: {}", DateStatus::KNOWN.join(", ")),
            });
        }
        let start = change.start.unwrap_or(current.start);
        let end = change.end.unwrap_or(current.end);
        check_span(start, end)?;
        if self.acting() == crate::Acting::Display {
            return Err(JournalError::DisplayCannot);
        }
        if let Some(next) = &change.status {
            self.check_date_status(&current, next, start, now)?;
        }
        let (kind, o) = self.live(Collection::Dates, id)?;
        self.write(now, |j| {
            let d = j.doc_mut(kind);
            if let Some(t) = &title {
                d.put(&o, "title", t.as_str())?;
            }
            if change.start.is_some() {
                d.put(&o, "start", start.0)?;
            }
            if change.end.is_some() {
                doc::put_opt_int(d, &o, "end", end.map(|t| t.0))?;
            }
            if let Some(p) = &place {
                doc::put_opt_str(d, &o, "place", p.as_deref())?;
            }
            if let Some(n) = &notes {
                doc::set_text(d, &o, "notes", n)?;
            }
            if let Some(t) = change.tech_free {
                d.put(&o, "tech_free", t)?;
            }
            if let Some(s) = &change.status {
                d.put(&o, "status", s.as_str())?;
            }
            Ok(())
        })
    }

    /// The allowed status changes: any plan may become an idea again, be planned, or be called
    /// off (and un-called off); it becomes done once it has started, or earlier when the one who
    /// planned it says so; a date that happened is not called off afterwards.
    fn check_date_status(
        &self,
        current: &DatePlan,
        next: &DateStatus,
        start: Timestamp,
        now: Timestamp,
    ) -> Result<()> {
        match (&current.status, next) {
            (a, b) if a == b => Ok(()),
            (DateStatus::Done, DateStatus::Cancelled) => {
                Err(JournalError::NotAllowed(Rule::DateHappened))
            }
            (_, DateStatus::Done) if start > now => match self.acting() {
                crate::Acting::Person(p) if p != current.planner => {
                    Err(JournalError::NotAllowed(Rule::NotStartedYet))
                }
                _ => Ok(()),
            },
            _ => Ok(()),
        }
    }

    /// Writes (or rewrites) one partner's reflection after a date.
    pub fn reflect_on_date(
        &mut self,
        id: &Id,
        partner: &PartnerId,
        reflection: &str,
        now: Timestamp,
    ) -> Result<()> {
        let reflection = text::long("reflection", reflection, true)?;
        self.require_partner(partner)?;
        self.require_acting(partner, false)?;
        let (kind, o) = self.live(Collection::Dates, id)?;
        self.write(now, |j| {
            let d = j.doc_mut(kind);
            let r = doc::ensure_map(d, &o, "reflections")?;
            d.put(&r, partner.as_str(), reflection.as_str())?;
            Ok(())
        })
    }

    /// One date plan.
    pub fn date(&self, id: &Id) -> Result<DatePlan> {
        let (kind, o) = self.live(Collection::Dates, id)?;
        read(self.doc(kind), id.clone(), &o).ok_or_else(|| JournalError::NotFound {
            kind: "date plan",
            id: id.to_string(),
        })
    }

    /// Every date plan, soonest first.
    pub fn dates(&self) -> Vec<DatePlan> {
        self.dates_where(|_, _, _| true, false, None)
    }

    /// Dates whose status and time `keep` picks, by start time (then id), at most `limit`
    /// from the end of that order when `latest` (most recent first) or from its start. They
    /// are picked from the index of plans (their status and times, kept while the journal
    /// does not change); a plan is read whole only once it is picked.
    fn dates_where(
        &self,
        keep: impl Fn(&DateStatus, Timestamp, Timestamp) -> bool,
        latest: bool,
        limit: Option<usize>,
    ) -> Vec<DatePlan> {
        let d = &self.shared;
        let index = self.date_index();
        let picked = index.iter().filter(|e| keep(&e.status, e.start, e.ends));
        let read_one = |e: &DateEntry| read(d, e.id.clone(), &e.obj);
        let limit = limit.unwrap_or(usize::MAX);
        if latest {
            picked.rev().filter_map(read_one).take(limit).collect()
        } else {
            picked.filter_map(read_one).take(limit).collect()
        }
    }

    /// Planned dates not yet over, soonest first.
    pub fn upcoming_dates(&self, now: Timestamp) -> Vec<DatePlan> {
        self.dates_where(
            |status, _, ends| *status == DateStatus::Planned && ends > now,
            false,
            None,
        )
    }

    /// Every date with a time that is not over yet, whatever its status (a date called off
    /// or already marked done is still in the future), soonest first. This is the "coming up"
    /// of a list; [`Journal::upcoming_dates`] is the planned ones only.
    pub fn dates_coming_up(&self, now: Timestamp) -> Vec<DatePlan> {
        self.dates_where(
            |status, _, ends| *status != DateStatus::Idea && ends > now,
            false,
            None,
        )
    }

    /// Every date with a time that is over, whatever its status, most recent first: the
    /// "before" of a list, sorted by time alone; at most `limit` of them.
    pub fn dates_before(&self, now: Timestamp, limit: Option<usize>) -> Vec<DatePlan> {
        self.dates_where(
            |status, _, ends| *status != DateStatus::Idea && ends <= now,
            true,
            limit,
        )
    }

    /// Dates that are over, done or cancelled, most recent first (ideas without a time are
    /// left out). Lists sorted by time use [`Journal::dates_before`].
    pub fn past_dates(&self, now: Timestamp) -> Vec<DatePlan> {
        self.dates_where(
            |status, _, ends| match status {
                DateStatus::Done | DateStatus::Cancelled => true,
                DateStatus::Planned => ends <= now,
                _ => false,
            },
            true,
            None,
        )
    }

    /// Date ideas not yet on the calendar.
    pub fn date_ideas(&self) -> Vec<DatePlan> {
        self.dates_where(|status, _, _| *status == DateStatus::Idea, false, None)
    }

    /// The next planned date (or the one going on now).
    pub fn next_date(&self, now: Timestamp) -> Option<DatePlan> {
        self.upcoming_dates(now).into_iter().next()
    }

    /// The tech-free date going on right now, if any: the home display stays quiet during it.
    pub fn tech_free_now(&self, now: Timestamp) -> Option<DatePlan> {
        self.upcoming_dates(now)
            .into_iter()
            .find(|d| d.quiet_at(now))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn the_index_of_plans_follows_every_change() {
        let (mut a, mut b, ana, ben) = couple();
        let ids = |v: Vec<DatePlan>| v.into_iter().map(|d| d.id).collect::<Vec<_>>();
        let now = at(0);
        let id = a.plan_date(&ana, &picnic(at(5)), now).unwrap();
        assert_eq!(ids(a.upcoming_dates(now)), vec![id.clone()]);
        // Moved into the past: the index built a moment ago does not hide it.
        let moved = DateChange {
            start: Some(at(-5)),
            ..Default::default()
        };
        a.update_date(&id, &moved, now).unwrap();
        assert!(a.upcoming_dates(now).is_empty());
        assert_eq!(ids(a.dates_before(now, None)), vec![id.clone()]);
        // A plan received from the partner's device.
        let theirs = b.plan_date(&ben, &picnic(at(7)), now).unwrap();
        sync(&mut a, &mut b);
        assert_eq!(ids(a.upcoming_dates(now)), vec![theirs.clone()]);
        // Deleted on the other device.
        b.delete(&theirs, &ben, now).unwrap();
        sync(&mut a, &mut b);
        assert!(a.upcoming_dates(now).is_empty());
        // Changed below the typed operations, straight in the document.
        let later = a.plan_date(&ana, &picnic(at(9)), now).unwrap();
        assert_eq!(ids(a.upcoming_dates(now)), vec![later.clone()]);
        let o = a.item(DocKind::Shared, Collection::Dates, &later).unwrap();
        a.doc_mut(DocKind::Shared)
            .put(&o, "status", "cancelled")
            .unwrap();
        a.doc_mut(DocKind::Shared).commit();
        assert!(a.upcoming_dates(now).is_empty());
    }

    fn picnic(start: Timestamp) -> NewDate {
        NewDate {
            title: "Picnic by the river".into(),
            start: Some(start),
            place: Some("River park".into()),
            notes: Some("Bring the blanket".into()),
            tech_free: true,
            ..Default::default()
        }
    }

    #[test]
    fn upcoming_past_and_next() {
        let (mut a, _, ana, _) = couple();
        let past = a.plan_date(&ana, &picnic(at(2)), at(0)).unwrap();
        let soon = a.plan_date(&ana, &picnic(at(48)), at(0)).unwrap();
        let later = a.plan_date(&ana, &picnic(at(96)), at(0)).unwrap();
        let idea = a
            .plan_date(
                &ana,
                &NewDate {
                    title: "Pottery class".into(),
                    ..Default::default()
                },
                at(0),
            )
            .unwrap();
        let now = at(24);
        let up: Vec<Id> = a.upcoming_dates(now).into_iter().map(|d| d.id).collect();
        assert_eq!(up, vec![soon.clone(), later.clone()]);
        assert_eq!(a.next_date(now).unwrap().id, soon);
        assert_eq!(a.past_dates(now)[0].id, past);
        assert_eq!(a.date_ideas()[0].id, idea);
        a.update_date(
            &soon,
            &DateChange {
                status: Some(DateStatus::Cancelled),
                ..Default::default()
            },
            at(25),
        )
        .unwrap();
        assert_eq!(a.next_date(now).unwrap().id, later);
        assert_eq!(a.tech_free_now(at(96)).unwrap().id, later);
        assert!(a.tech_free_now(at(99)).is_none());
    }

    #[test]
    fn coming_up_and_before_go_by_time_whatever_the_status() {
        let (mut a, _, ana, _) = couple();
        let over = a.plan_date(&ana, &picnic(at(2)), at(0)).unwrap();
        let called_off = a.plan_date(&ana, &picnic(at(48)), at(0)).unwrap();
        let done_early = a.plan_date(&ana, &picnic(at(96)), at(0)).unwrap();
        let planned = a.plan_date(&ana, &picnic(at(72)), at(0)).unwrap();
        a.plan_date(
            &ana,
            &NewDate {
                title: "Pottery class".into(),
                ..Default::default()
            },
            at(0),
        )
        .unwrap();
        for (id, status) in [
            (&called_off, DateStatus::Cancelled),
            (&done_early, DateStatus::Done),
        ] {
            let change = DateChange {
                status: Some(status),
                ..Default::default()
            };
            a.update_date(id, &change, at(1)).unwrap();
        }
        let now = at(24);
        let ids = |v: Vec<DatePlan>| v.into_iter().map(|d| d.id).collect::<Vec<_>>();
        assert_eq!(
            ids(a.dates_coming_up(now)),
            vec![called_off, planned.clone(), done_early]
        );
        assert_eq!(ids(a.dates_before(now, None)), vec![over.clone()]);
        assert_eq!(ids(a.dates_before(now, Some(1))), vec![over]);
        assert_eq!(ids(a.upcoming_dates(now)), vec![planned]);
    }

    #[test]
    fn update_and_reflect() {
        let (mut a, mut b, ana, ben) = couple();
        let id = a.plan_date(&ana, &picnic(at(2)), at(0)).unwrap();
        a.update_date(
            &id,
            &DateChange {
                title: Some("Picnic".into()),
                end: Some(Some(at(5))),
                place: Some(None),
                status: Some(DateStatus::Done),
                ..Default::default()
            },
            at(1),
        )
        .unwrap();
        sync(&mut a, &mut b);
        b.reflect_on_date(&id, &ben, "The light was lovely", at(6))
            .unwrap();
        a.reflect_on_date(&id, &ana, "More of these", at(6))
            .unwrap();
        sync(&mut a, &mut b);
        let d = a.date(&id).unwrap();
        assert_eq!(d.title, "Picnic");
        assert_eq!(d.end, Some(at(5)));
        assert_eq!(d.place, None);
        assert_eq!(d.reflections.len(), 2);
    }

    #[test]
    fn bad_dates_are_refused() {
        let (mut a, _, ana, _) = couple();
        let mut bad = picnic(at(5));
        bad.end = Some(at(4));
        assert!(matches!(
            a.plan_date(&ana, &bad, at(0)),
            Err(JournalError::OutOfRange { .. })
        ));
        bad.end = Some(at(24 * 30));
        assert!(a.plan_date(&ana, &bad, at(0)).is_err());
        assert!(
            a.plan_date(&ana, &picnic(Timestamp(i64::MAX)), at(0))
                .is_err()
        );
        let id = a.plan_date(&ana, &picnic(at(5)), at(0)).unwrap();
        let before = a.date(&id).unwrap();
        let change = DateChange {
            end: Some(Some(at(1))),
            title: Some("x".into()),
            ..Default::default()
        };
        assert!(a.update_date(&id, &change, at(1)).is_err());
        let status = DateChange {
            status: Some(DateStatus::Other("eloped".into())),
            ..Default::default()
        };
        assert!(a.update_date(&id, &status, at(1)).is_err());
        assert_eq!(a.date(&id).unwrap(), before);
    }

    #[test]
    fn concurrent_note_edits_both_survive() {
        let (mut a, mut b, ana, _) = couple();
        let id = a.plan_date(&ana, &picnic(at(2)), at(0)).unwrap();
        sync(&mut a, &mut b);
        let edit = |notes: &str| DateChange {
            notes: Some(notes.into()),
            ..Default::default()
        };
        a.update_date(&id, &edit("Bring the blanket and strawberries"), at(1))
            .unwrap();
        b.update_date(&id, &edit("Bring the big blanket"), at(1))
            .unwrap();
        sync(&mut a, &mut b);
        let notes = a.date(&id).unwrap().notes;
        assert_eq!(notes, b.date(&id).unwrap().notes);
        assert!(notes.contains("strawberries"), "{notes}");
        assert!(notes.contains("big"), "{notes}");
    }
}
