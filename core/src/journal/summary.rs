//! The week in review: it opens with the week's appreciations. Counts are gentle and private;
//! there is no score.

use chrono::{Days, NaiveDate};

use super::Journal;
use crate::ids::Timestamp;
use crate::model::{PartnerWeek, WallFilter, WeekSummary};

impl Journal {
    /// The last seven days up to `today` (the caller's local day) and `now`.
    pub fn week_summary(&self, today: NaiveDate, now: Timestamp) -> WeekSummary {
        let (from, since) = WeekSummary::bounds(today, now);
        WeekSummary {
            from,
            to: today,
            appreciations: self.wall(&WallFilter {
                after: Some(since),
                until: Some(now),
                ..WallFilter::default()
            }),
            partners: self.week_counts(today, now),
        }
    }

    /// Each partner's week, counted: [`Journal::week_summary`] without the notes themselves,
    /// so only who wrote each of the week's notes is read, not what they say.
    pub fn week_counts(&self, today: NaiveDate, now: Timestamp) -> Vec<PartnerWeek> {
        let (from, since) = WeekSummary::bounds(today, now);
        let authors = self.authors_between(since, now);
        let kindness = self.kindness_acts(Some(since), Some(now), None);
        self.partners()
            .into_iter()
            .map(|p| PartnerWeek {
                appreciations: authors.iter().filter(|a| **a == p.id).count(),
                kindnesses: kindness.iter().filter(|k| k.by == p.id).count(),
                checkins: self.checkins(Some(&p.id), Some(from), Some(today)),
                name: p.name,
                partner: p.id,
            })
            .collect()
    }
}

impl WeekSummary {
    /// The week a summary covers: its first day (the week ends `today`) and the moment seven
    /// days before `now` (what was written after it counts).
    pub fn bounds(today: NaiveDate, now: Timestamp) -> (NaiveDate, Timestamp) {
        (
            today.checked_sub_days(Days::new(6)).unwrap_or(today),
            now.plus_days(-7),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;

    #[test]
    fn week_counts_per_person() {
        let (mut a, mut b, ana, ben) = couple();
        let day = |s: &str| s.parse().unwrap();
        a.add_appreciation(&ana, "old", false, at(-24 * 10))
            .unwrap();
        a.add_appreciation(&ana, "one", false, at(-24)).unwrap();
        a.add_appreciation(&ana, "two", false, at(-2)).unwrap();
        b.add_appreciation(&ben, "three", false, at(-3)).unwrap();
        b.log_kindness(&ben, "Made breakfast", at(-5), None, at(-5))
            .unwrap();
        a.check_in(&ana, day("2025-12-31"), 4, 4, None, at(-1))
            .unwrap();
        a.check_in(&ana, day("2025-12-20"), 1, 1, None, at(-24 * 12))
            .unwrap();
        sync(&mut a, &mut b);
        let w = a.week_summary(day("2025-12-31"), at(0));
        assert_eq!(w.from, day("2025-12-25"));
        assert_eq!(w.appreciations.len(), 3);
        assert_eq!(w.appreciations[0].text, "two");
        let anas = w.partners.iter().find(|p| p.partner == ana).unwrap();
        let bens = w.partners.iter().find(|p| p.partner == ben).unwrap();
        assert_eq!(
            (anas.appreciations, anas.kindnesses, anas.checkins.len()),
            (2, 0, 1)
        );
        assert_eq!(
            (bens.appreciations, bens.kindnesses, bens.checkins.len()),
            (1, 1, 0)
        );
    }
}
