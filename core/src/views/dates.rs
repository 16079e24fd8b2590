//! Dates: the next one with its countdown, what's coming, what was (with reflections), and the
//! idea deck where matches surface.

use crate::{DatePlan, DateStatus, IdeaKind, Journal, Timestamp};
use chrono::{Datelike, Days, NaiveDate, NaiveTime, TimeZone, Weekday};

use super::{Colour, Moment, People, format};

/// A date's fields as the editor shows them.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct DateFields {
    pub title: String,
    pub day: String,
    pub time: String,
    pub place: String,
    pub notes: String,
    pub tech_free: bool,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ReflectionView {
    pub name: String,
    pub colour: Colour,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct DateView {
    pub id: String,
    pub title: String,
    pub when: String,
    pub place: String,
    pub notes: String,
    pub tech_free: bool,
    pub planner: String,
    pub colour: Colour,
    pub countdown: String,
    pub status: String,
    pub reflections: Vec<ReflectionView>,
    pub can_reflect: bool,
    pub fields: DateFields,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct IdeaView {
    pub id: String,
    pub title: String,
    pub by: String,
    pub colour: Colour,
    pub i_enjoy: bool,
    pub matched: bool,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct DatesView {
    pub next_title: String,
    pub next_countdown: String,
    pub upcoming: Vec<DateView>,
    /// Plans without a time yet ("ideas for later").
    pub later: Vec<DateView>,
    pub past: Vec<DateView>,
    pub ideas: Vec<IdeaView>,
    pub matches: Vec<IdeaView>,
}

/// How many past dates and deck ideas to show.
const PAST: usize = 24;
const DECK: usize = 40;

/// The id prefix of a suggested idea that is not in the journal yet; marking or planning one
/// adds it.
pub const SUGGESTED: &str = "suggested:";
/// Suggestions show until the deck holds this many ideas of the couple's own.
const STARTERS_UNTIL: usize = 8;

fn date_view(d: &DatePlan, people: &People, at: Moment, past: bool) -> DateView {
    let planner = people.get(&d.planner);
    let idea = d.status == DateStatus::Idea;
    // An idea for later has no time yet: its editor offers the usual evening.
    let local = if idea { None } else { at.local(d.start) };
    let offered = new_fields(at);
    let status = match (&d.status, past) {
        (DateStatus::Cancelled, _) => "called off".to_owned(),
        (DateStatus::Done, _) | (DateStatus::Planned, true) => String::new(),
        (DateStatus::Planned, false) => String::new(),
        (other, _) => other.to_string(),
    };
    DateView {
        id: d.id.to_string(),
        title: d.title.clone(),
        when: if idea {
            "No time set yet".to_owned()
        } else {
            when_with_end(d, at)
        },
        place: d.place.clone().unwrap_or_default(),
        notes: d.notes.clone(),
        tech_free: d.tech_free,
        planner: planner.name,
        colour: planner.colour,
        countdown: if past || idea {
            String::new()
        } else {
            format::countdown(d.start, at)
        },
        status,
        reflections: d
            .reflections
            .iter()
            .map(|(who, text)| {
                let p = people.get(who);
                ReflectionView {
                    name: p.name,
                    colour: p.colour,
                    text: text.clone(),
                }
            })
            .collect(),
        can_reflect: past
            && d.status != DateStatus::Cancelled
            && people.me.is_some()
            && !d.reflections.iter().any(|(who, _)| people.is_me(who)),
        fields: DateFields {
            title: d.title.clone(),
            day: local
                .map(|t| t.format("%Y-%m-%d").to_string())
                .unwrap_or(offered.day),
            time: local
                .map(|t| t.format("%H:%M").to_string())
                .unwrap_or(offered.time),
            place: d.place.clone().unwrap_or_default(),
            notes: d.notes.clone(),
            tech_free: d.tech_free,
        },
    }
}

/// When a date starts, and when it ends if that was said: "Sat 5 Dec, 19:00 until 22:30".
fn when_with_end(d: &DatePlan, at: Moment) -> String {
    let start = format::when(d.start, at);
    match (d.end, at.local(d.start)) {
        (Some(end), Some(s)) => match at.local(end) {
            Some(e) if e.date_naive() == s.date_naive() => {
                format!("{start} until {}", e.format("%H:%M"))
            }
            Some(_) => format!("{start} until {}", format::when(end, at)),
            None => start,
        },
        _ => start,
    }
}

pub fn build(journal: &Journal, people: &People, at: Moment) -> DatesView {
    // By time: what is still ahead (a date called off or marked done early included, with
    // its status), then what is over.
    let coming = journal.dates_coming_up(at.now);
    let upcoming: Vec<DateView> = coming
        .iter()
        .map(|d| date_view(d, people, at, false))
        .collect();
    let later = journal
        .date_ideas()
        .iter()
        .map(|d| date_view(d, people, at, false))
        .collect();
    let past = journal
        .dates_before(at.now, Some(PAST))
        .iter()
        .map(|d| date_view(d, people, at, true))
        .collect();
    let next = coming
        .iter()
        .position(|d| d.status == DateStatus::Planned)
        .and_then(|i| upcoming.get(i));
    let (next_title, next_countdown) = match next {
        Some(d) => (
            d.title.clone(),
            format!("{}, {}", capitalise(&d.countdown), d.when),
        ),
        None => (
            "Nothing planned yet".to_owned(),
            "An evening together doesn't need to be big. The deck below has ideas.".to_owned(),
        ),
    };
    let idea_view = |i: &crate::Idea| {
        let by = people.get(&i.added_by);
        IdeaView {
            id: i.id.to_string(),
            title: i.title.clone(),
            by: by.name,
            colour: by.colour,
            i_enjoy: i.enjoyed_by.iter().any(|p| people.is_me(p)),
            matched: i.matched,
        }
    };
    let deck: Vec<_> = journal
        .ideas()
        .into_iter()
        .filter(|i| i.kind == IdeaKind::Date)
        .collect();
    let matches = deck.iter().filter(|i| i.matched).map(idea_view).collect();
    // Newest first, right under the field where it was typed.
    let mut ideas: Vec<IdeaView> = deck
        .iter()
        .rev()
        .filter(|i| !i.matched)
        .take(DECK)
        .map(idea_view)
        .collect();
    // A deck is never empty: suggestions fill it until the couple's own ideas do.
    for (n, title) in crate::words::DATE_IDEAS.iter().enumerate() {
        if ideas.len() >= STARTERS_UNTIL {
            break;
        }
        let known = deck.iter().any(|i| i.title.eq_ignore_ascii_case(title));
        if !known {
            ideas.push(IdeaView {
                id: format!("{SUGGESTED}{n}"),
                title: (*title).to_owned(),
                by: String::new(),
                colour: Colour::UNKNOWN,
                i_enjoy: false,
                matched: false,
            });
        }
    }
    DatesView {
        next_title,
        next_countdown,
        upcoming,
        later,
        past,
        ideas,
        matches,
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What the editor offers for a new date: the coming Saturday at seven in the evening.
pub fn new_fields(at: Moment) -> DateFields {
    let today = at.today();
    let ahead =
        (Weekday::Sat.num_days_from_monday() + 7 - today.weekday().num_days_from_monday()) % 7;
    let ahead = if ahead == 0 { 7 } else { ahead };
    let day = today
        .checked_add_days(Days::new(u64::from(ahead)))
        .unwrap_or(today);
    DateFields {
        day: day.format("%Y-%m-%d").to_string(),
        time: "19:00".into(),
        ..DateFields::default()
    }
}

/// Reads the editor's day and time (local) into a timestamp, or says what to fix.
pub fn parse_when(day: &str, time: &str, at: Moment) -> Result<Timestamp, String> {
    use chrono::format::ParseErrorKind::{Impossible, OutOfRange};
    let (day, time) = (day.trim(), time.trim());
    let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|e| match e.kind() {
        OutOfRange | Impossible => format!("There is no such day as {day}."),
        _ => "Write the day as year-month-day, like 2026-12-05.".to_owned(),
    })?;
    let time = if time.is_empty() {
        NaiveTime::from_hms_opt(19, 0, 0).unwrap_or_default()
    } else {
        NaiveTime::parse_from_str(time, "%H:%M").map_err(|e| match e.kind() {
            OutOfRange | Impossible => format!("There is no such time as {time}."),
            _ => "Write the time as hours:minutes, like 19:30.".to_owned(),
        })?
    };
    at.offset
        .from_local_datetime(&day.and_time(time))
        .single()
        .map(Timestamp::from)
        .ok_or_else(|| "That time doesn't exist here; try another.".to_owned())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::NewDate;

    #[test]
    fn upcoming_past_and_matches() {
        let (mut j, ana, ben) = couple();
        j.plan_date(
            &ben,
            &NewDate {
                title: "Picnic by the river".into(),
                start: Some(at_hours(24 * 3 + 12)),
                tech_free: true,
                ..NewDate::default()
            },
            at_hours(-5),
        )
        .unwrap();
        let past = j
            .plan_date(
                &ana,
                &NewDate {
                    title: "Cinema night".into(),
                    start: Some(at_hours(-24 * 2)),
                    ..NewDate::default()
                },
                at_hours(-24 * 5),
            )
            .unwrap();
        j.reflect_on_date(&past, &ben, "Loved the popcorn", at_hours(-20))
            .unwrap();
        let idea = j
            .add_idea(&ana, &IdeaKind::Date, "Stargazing", None, at_hours(-3))
            .unwrap();
        j.add_idea(&ana, &IdeaKind::Date, "Pasta class", None, at_hours(-3))
            .unwrap();
        j.mark_idea(&idea, &ana, true, at_hours(-2)).unwrap();

        let people = People::of(&j, Some(ana.clone()));
        let v = build(&j, &people, moment());
        assert_eq!(v.next_title, "Picnic by the river");
        assert_eq!(v.next_countdown, "In 3 days, Thu 4 Dec, 12:00");
        assert!(v.upcoming[0].tech_free);
        assert_eq!(v.past[0].title, "Cinema night");
        assert!(v.past[0].can_reflect);
        assert_eq!(v.past[0].reflections[0].name, "Ben");
        assert!(v.matches.is_empty());
        assert!(v.ideas.iter().any(|i| i.title == "Stargazing" && i.i_enjoy));

        j.mark_idea(&idea, &ben, true, at_hours(-1)).unwrap();
        let v = build(&j, &people, moment());
        assert_eq!(v.matches.len(), 1);
        assert_eq!(v.matches[0].title, "Stargazing");
        // The match left the deck; the one idea still there is followed by suggestions.
        let own: Vec<_> = v
            .ideas
            .iter()
            .filter(|i| !i.id.starts_with(SUGGESTED))
            .collect();
        assert_eq!(own.len(), 1);
        assert!(v.ideas.len() <= STARTERS_UNTIL);
        assert!(v.ideas[1..].iter().all(|i| i.id.starts_with(SUGGESTED)));
    }

    #[test]
    fn ideas_for_later_and_end_times_show() {
        let (mut j, ana, _ben) = couple();
        // Written from the command line without --when: an idea for later.
        j.plan_date(
            &ana,
            &NewDate {
                title: "Pottery class".into(),
                ..NewDate::default()
            },
            at_hours(-5),
        )
        .unwrap();
        j.plan_date(
            &ana,
            &NewDate {
                title: "Concert".into(),
                start: Some(at_hours(24 + 19)),
                end: Some(Timestamp(at_hours(24 + 22).0 + 30 * 60_000)),
                ..NewDate::default()
            },
            at_hours(-5),
        )
        .unwrap();
        let called_off = j
            .plan_date(
                &ana,
                &NewDate {
                    title: "Brunch".into(),
                    start: Some(at_hours(12)),
                    ..NewDate::default()
                },
                at_hours(-5),
            )
            .unwrap();
        j.update_date(
            &called_off,
            &crate::DateChange {
                status: Some(DateStatus::Cancelled),
                ..Default::default()
            },
            at_hours(-4),
        )
        .unwrap();
        let people = People::of(&j, Some(ana.clone()));
        let v = build(&j, &people, moment());
        assert_eq!(v.later.len(), 1);
        assert_eq!(v.later[0].title, "Pottery class");
        assert_eq!(v.later[0].when, "No time set yet");
        assert_eq!(v.later[0].countdown, "");
        assert_eq!(
            v.later[0].fields.time, "19:00",
            "the editor offers an evening"
        );
        // A date called off but still ahead is listed by time with its status; the next date
        // is the next one that is on.
        let titles: Vec<&str> = v.upcoming.iter().map(|d| d.title.as_str()).collect();
        assert_eq!(titles, vec!["Brunch", "Concert"]);
        assert_eq!(v.upcoming[0].status, "called off");
        assert_eq!(v.next_title, "Concert");
        assert!(
            v.upcoming[1].when.ends_with("19:00 until 22:30"),
            "{}",
            v.upcoming[1].when
        );
        assert!(v.past.is_empty());
    }

    #[test]
    fn the_editor_offers_saturday_evening_and_reads_times() {
        let at = moment(); // a Monday
        let f = new_fields(at);
        assert_eq!((f.day.as_str(), f.time.as_str()), ("2025-12-06", "19:00"));
        let ts = parse_when("2025-12-06", "19:30", at).unwrap();
        assert_eq!(ts, Timestamp(at_hours(24 * 5 + 19).0 + 30 * 60_000));
        assert!(parse_when("6/12/2025", "19:30", at).is_err());
        assert!(parse_when("2025-12-06", "7pm", at).is_err());
        // A day that cannot be is told so, not asked for in another shape.
        for (day, time) in [("2026-13-40", "19:00"), ("2026-02-30", "19:00")] {
            let e = parse_when(day, time, at).unwrap_err();
            assert_eq!(e, format!("There is no such day as {day}."));
        }
        assert_eq!(
            parse_when("2026-12-05", "25:10", at).unwrap_err(),
            "There is no such time as 25:10."
        );
        assert!(
            parse_when("5 December", "19:00", at)
                .unwrap_err()
                .starts_with("Write the day as year-month-day")
        );
    }
}
