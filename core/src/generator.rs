//! A seeded generator of a realistic journal: years of two people's appreciations, check-ins,
//! kindnesses, dates, ideas, conversations and repairs, with plausible text lengths. Used by the
//! benchmarks and by tests that need a journal of real size. The same seed gives the same
//! journal content.

use chrono::{Days, NaiveDate};
use rand::{RngExt, SeedableRng, rngs::StdRng};

use crate::error::Result;
use crate::ids::{PartnerId, Timestamp};
use crate::journal::Journal;
use crate::model::{
    DateChange, DateStatus, IStatementParts, IdeaKind, KindnessBucket, NewDate, Visibility,
};

/// A generated journal and what a test needs to know about it.
#[derive(Debug)]
pub struct Generated {
    /// The journal (one device's view; the private journal is the first partner's).
    pub journal: Journal,
    /// The two partners.
    pub partners: [PartnerId; 2],
    /// The first day.
    pub first_day: NaiveDate,
    /// The time of the last item.
    pub end: Timestamp,
    /// How many items were written.
    pub items: usize,
}

const THANKS: &[&str] = &[
    "Thank you for making coffee before I woke up",
    "Thanks for listening to me go on about work",
    "I loved how you laughed at dinner tonight",
    "Thank you for picking up the groceries in the rain",
    "You handled the phone call with the landlord so calmly",
    "Thanks for the warm towel after my swim",
    "I noticed you fixed the squeaky door. Thank you",
    "Thank you for the note in my coat pocket",
    "You were so patient with my mother today",
    "Thanks for driving the long way so I could see the sea",
];
const DETAILS: &[&str] = &[
    "It made the whole morning easier.",
    "I felt looked after.",
    "It's the little things.",
    "I know you were tired too.",
    "I didn't say it then, so I'm saying it now.",
    "That meant more than you know.",
    "I felt like a team again.",
];
const KIND: &[&str] = &[
    "Made breakfast in bed",
    "Took the bins out without being asked",
    "Left a love note on the mirror",
    "Booked the massage she mentioned",
    "Washed his car",
    "Brought flowers home",
    "Walked the dog twice",
    "Warmed up the bed",
    "Cooked her favourite soup",
    "Picked him up from the station",
];
const DATES: &[(&str, &str)] = &[
    ("Picnic by the river", "River park"),
    ("Cinema night", "The Lux"),
    ("Dinner at the Thai place", "Baan Thai"),
    ("Sunset walk", "The cliffs"),
    ("Cooking class", "Community kitchen"),
    ("Board games and candles", "Home"),
    ("Dancing", "The Palais"),
    ("Museum afternoon", "City museum"),
    ("Breakfast out", "Corner cafe"),
];
const IDEAS: &[&str] = &[
    "Stargazing on the hill",
    "Learn to make pasta",
    "Weekend without phones",
    "Try the climbing wall",
    "Camp in the garden",
    "Write each other letters",
    "Visit the town we met in",
    "Pottery class",
];
const FEELINGS: &[&str] = &[
    "I felt left out",
    "I felt tired and alone",
    "I felt hurt",
    "I felt anxious",
    "I felt unheard",
];
const STATEMENTS: &[&str] = &[
    "I've been feeling stretched thin with work and the house.",
    "When plans change at the last minute I feel unsettled.",
    "I miss the long talks we used to have on Sundays.",
    "I worry about money more than I let on.",
];

fn sentence(rng: &mut StdRng, base: &[&str]) -> String {
    let mut s = base[rng.random_range(0..base.len())].to_owned();
    let details = rng.random_range(0..3);
    if details > 0 && !s.ends_with(['.', '!', '?']) {
        s.push('.');
    }
    for _ in 0..details {
        s.push(' ');
        s.push_str(DETAILS[rng.random_range(0..DETAILS.len())]);
    }
    s
}

/// Generates about `items` items spread over ten years (fewer days for small journals), with
/// the given seed.
pub fn ten_year_journal(seed: u64, items: usize, actor: &[u8]) -> Result<Generated> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut journal = Journal::new(actor)?.with_seed(seed);
    let first_day = NaiveDate::from_ymd_opt(2016, 1, 1).unwrap_or_default();
    let start = Timestamp::from(first_day.and_hms_opt(8, 0, 0).unwrap_or_default().and_utc());
    let ana = journal.add_partner("Ana", "#c0623b", start)?;
    let ben = journal.add_partner("Ben", "#3b7fc0", start)?;
    let partners = [ana.clone(), ben.clone()];
    // About 5.5 items a day over ten years makes 20 000.
    let days = (items as u64 * 10 / 55).clamp(1, 3650);
    let mut written = 0usize;
    let mut end = start;
    let mut idea_ids = Vec::new();
    let mut day_n = 0u64;
    while written < items {
        let day = first_day
            .checked_add_days(Days::new(day_n % days.max(1)))
            .unwrap_or(first_day);
        let base = start.plus_days(i64::try_from(day_n).unwrap_or(0));
        day_n += 1;
        let now = Timestamp(base.0 + rng.random_range(0..12 * 3_600_000));
        end = end.max(now);
        written += journal.batch(now, |j| {
            let mut n = 0usize;
            let budget = items - written;
            let room = |n: &usize| *n < budget;
            for p in &partners {
                if room(&n) && rng.random_bool(0.92) && day_n <= days {
                    let mood = rng.random_range(2..=5);
                    let close = rng.random_range(2..=5);
                    let note = rng
                        .random_bool(0.2)
                        .then(|| "Long day, good evening".to_owned());
                    j.check_in(p, day, mood, close, note.as_deref(), now)?;
                    n += 1;
                }
            }
            let notes = rng.random_range(0..5);
            for _ in 0..notes {
                if !room(&n) {
                    break;
                }
                let author = &partners[rng.random_range(0..2)];
                let text = sentence(&mut rng, THANKS);
                j.add_appreciation(author, &text, rng.random_bool(0.6), now)?;
                n += 1;
            }
            if room(&n) && rng.random_bool(0.8) {
                let by = &partners[rng.random_range(0..2)];
                let bucket = KindnessBucket::from(
                    KindnessBucket::KNOWN[rng.random_range(0..KindnessBucket::KNOWN.len())]
                        .to_owned(),
                );
                j.log_kindness(
                    by,
                    KIND[rng.random_range(0..KIND.len())],
                    now,
                    Some(&bucket),
                    now,
                )?;
                n += 1;
            }
            if room(&n) && rng.random_bool(0.15) {
                let (title, place) = DATES[rng.random_range(0..DATES.len())];
                let when = now.plus_days(rng.random_range(1..14));
                let plan = NewDate {
                    title: title.into(),
                    start: Some(when),
                    place: Some(place.into()),
                    notes: Some(sentence(&mut rng, &["Book a table.", "Bring a jumper."])),
                    tech_free: rng.random_bool(0.5),
                    ..Default::default()
                };
                let id = j.plan_date(&partners[rng.random_range(0..2)], &plan, now)?;
                if rng.random_bool(0.7) {
                    let change = DateChange {
                        status: Some(DateStatus::Done),
                        ..Default::default()
                    };
                    j.update_date(&id, &change, now)?;
                }
                n += 1;
            }
            if room(&n) && rng.random_bool(0.06) {
                let by = &partners[rng.random_range(0..2)];
                let id = j.add_idea(
                    by,
                    &IdeaKind::Date,
                    IDEAS[rng.random_range(0..IDEAS.len())],
                    None,
                    now,
                )?;
                for p in &partners {
                    if rng.random_bool(0.5) {
                        j.mark_idea(&id, p, true, now)?;
                    }
                }
                idea_ids.push(id);
                n += 1;
            }
            if room(&n) && rng.random_bool(0.08) {
                let [s, l] = if rng.random_bool(0.5) {
                    [&ana, &ben]
                } else {
                    [&ben, &ana]
                };
                let id =
                    j.start_listening(s, STATEMENTS[rng.random_range(0..STATEMENTS.len())], now)?;
                j.reflect(
                    &id,
                    l,
                    "What I hear is that this has been weighing on you.",
                    now,
                )?;
                j.confirm_reflection(&id, s, now)?;
                n += 1;
            }
            if room(&n) && rng.random_bool(0.05) {
                let parts = IStatementParts {
                    observation: "When the evening plans changed".into(),
                    feeling: FEELINGS[rng.random_range(0..FEELINGS.len())].into(),
                    need: "I need to know where I stand".into(),
                    request: "Could you text me when plans change?".into(),
                };
                let vis = if rng.random_bool(0.5) {
                    Visibility::Shared
                } else {
                    Visibility::Private
                };
                j.write_i_statement(&ana, &parts, vis, now)?;
                n += 1;
            }
            if room(&n) && rng.random_bool(0.02) {
                let id = j.write_hurt(
                    &ana,
                    "The joke about my cooking in front of friends stung.",
                    Visibility::Shared,
                    now,
                )?;
                j.acknowledge_hurt(
                    &id,
                    &ben,
                    Some("I didn't see how it landed. I'm sorry."),
                    now,
                )?;
                j.mark_understood(&id, &ana, now)?;
                j.release_hurt(&id, &ana, now)?;
                n += 1;
            }
            Ok(n)
        })?;
    }
    Ok(Generated {
        journal,
        partners,
        first_day,
        end,
        items: written,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_the_requested_size_reproducibly() {
        let a = ten_year_journal(7, 300, b"gen-a").unwrap();
        let b = ten_year_journal(7, 300, b"gen-a").unwrap();
        assert_eq!(a.items, 300);
        assert_eq!(
            a.journal.wall(&Default::default()),
            b.journal.wall(&Default::default())
        );
        assert!(a.journal.checkins(None, None, None).len() > 50);
        assert!(!a.journal.kindness_log().is_empty());
    }
}
