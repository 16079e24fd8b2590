//! Check-in: today's mood and closeness, a trend of the last weeks, and the weekly review that
//! opens with the week's appreciations.

use crate::{Journal, PartnerWeek, WallFilter, WeekSummary};
use chrono::Days;

use super::wall::{NoteView, note};
use super::{Colour, Moment, People, chart, format};

#[derive(Clone, Debug, PartialEq, Default)]
pub struct LineView {
    pub name: String,
    pub colour: Colour,
    pub line: chart::Line,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ReviewPersonView {
    pub name: String,
    pub colour: Colour,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct CheckinView {
    pub done_today: bool,
    pub mood: u8,
    pub closeness: u8,
    pub note: String,
    pub mood_lines: Vec<LineView>,
    pub closeness_lines: Vec<LineView>,
    pub chart_from: String,
    pub chart_to: String,
    pub chart_empty: bool,
    pub review_range: String,
    pub review_notes: Vec<NoteView>,
    pub review_people: Vec<ReviewPersonView>,
}

/// How many of the week's notes the review opens with.
const REVIEW_NOTES: usize = 6;

/// How many weeks the chart covers.
pub const WEEKS: u64 = 8;

/// Check-in, with the week in review counted in `week` (from [`Journal::week_counts`]).
pub fn build(journal: &Journal, people: &People, at: Moment, week: &[PartnerWeek]) -> CheckinView {
    let today = at.today();
    let first = today
        .checked_sub_days(Days::new(WEEKS * 7 - 1))
        .unwrap_or(today);
    let all = journal.checkins(None, Some(first), Some(today));
    let mine_today = all
        .iter()
        .find(|c| c.day == today && people.is_me(&c.partner));

    let mut mood_lines = Vec::new();
    let mut closeness_lines = Vec::new();
    for (id, person) in people.ordered() {
        let weeks: Vec<(Option<f32>, Option<f32>)> = (0..WEEKS)
            .map(|w| {
                let start = first.checked_add_days(Days::new(w * 7)).unwrap_or(first);
                let end = start.checked_add_days(Days::new(6)).unwrap_or(start);
                let days: Vec<_> = all
                    .iter()
                    .filter(|c| c.partner == id && c.day >= start && c.day <= end)
                    .collect();
                if days.is_empty() {
                    return (None, None);
                }
                let n = days.len() as f32;
                let mood = days.iter().map(|c| f32::from(c.mood)).sum::<f32>() / n;
                let close = days.iter().map(|c| f32::from(c.closeness)).sum::<f32>() / n;
                (Some(mood), Some(close))
            })
            .collect();
        let moods: Vec<_> = weeks.iter().map(|w| w.0).collect();
        let closes: Vec<_> = weeks.iter().map(|w| w.1).collect();
        if moods.iter().any(Option::is_some) {
            mood_lines.push(LineView {
                name: person.name.clone(),
                colour: person.colour,
                line: chart::line(&moods),
            });
            closeness_lines.push(LineView {
                name: person.name.clone(),
                colour: person.colour,
                line: chart::line(&closes),
            });
        }
    }

    let (week_from, since) = WeekSummary::bounds(today, at.now);
    let counts = week;
    let review_people = people
        .ordered()
        .into_iter()
        .map(|(id, person)| {
            let week = counts.iter().find(|w| w.partner == id);
            let (notes, kind, checks) = week.map_or((0, 0, 0), |w| {
                (w.appreciations, w.kindnesses, w.checkins.len())
            });
            ReviewPersonView {
                name: person.name,
                colour: person.colour,
                text: format!(
                    "{} · {} · checked in on {}",
                    format::count(notes, "note", "notes"),
                    format::count(kind, "kindness", "kindnesses"),
                    format::count(checks, "day", "days")
                ),
            }
        })
        .collect();

    CheckinView {
        done_today: mine_today.is_some(),
        mood: mine_today.map_or(0, |c| c.mood),
        closeness: mine_today.map_or(0, |c| c.closeness),
        note: mine_today.and_then(|c| c.note.clone()).unwrap_or_default(),
        chart_empty: mood_lines.is_empty(),
        mood_lines,
        closeness_lines,
        chart_from: first.format("%-d %b").to_string(),
        chart_to: "this week".into(),
        review_range: format!(
            "{} to {}",
            week_from.format("%a %-d %b"),
            today.format("%a %-d %b")
        ),
        review_notes: journal
            .wall(&WallFilter {
                after: Some(since),
                until: Some(at.now),
                limit: Some(REVIEW_NOTES),
                ..WallFilter::default()
            })
            .iter()
            .map(|a| note(a, people, at))
            .collect(),
        review_people,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn today_trend_and_review() {
        let (mut j, ana, ben) = couple();
        let today = moment().today();
        j.check_in(&ana, today, 4, 5, Some("good day"), at_hours(1))
            .unwrap();
        let two_weeks_ago = today.checked_sub_days(Days::new(14)).unwrap();
        j.check_in(&ben, two_weeks_ago, 2, 3, None, at_hours(-24 * 14))
            .unwrap();
        j.add_appreciation(&ben, "Thanks for the tea", false, at_hours(-3))
            .unwrap();
        let week = j.week_counts(moment().today(), moment().now);
        let v = build(&j, &People::of(&j, Some(ana)), moment(), &week);
        assert!(v.done_today);
        assert_eq!((v.mood, v.closeness, v.note.as_str()), (4, 5, "good day"));
        assert!(!v.chart_empty);
        assert_eq!(v.mood_lines.len(), 2);
        assert_eq!(v.mood_lines[0].name, "Ana");
        // One check-in each: a dot at its week and height, not a dash.
        assert_eq!(v.mood_lines[0].line.commands, "");
        assert_eq!(v.mood_lines[0].line.dots, [(1.0, 0.25)]);
        assert_eq!(v.closeness_lines[1].line.dots.len(), 1);
        assert_eq!(v.review_notes[0].text, "Thanks for the tea");
        assert_eq!(
            v.review_people[1].text,
            "1 note · 0 kindnesses · checked in on 0 days"
        );
    }
}
