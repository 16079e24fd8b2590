//! The home display (kiosk): only what guests and children may see. Wall-safe notes for the
//! carousel, the next date with a countdown, the two people who may leave a note, and whether a
//! tech-free date is on (then the display goes quiet and shows only its title).

use crate::{Journal, PartnerId, WallFilter};

use super::{Colour, Moment, People, format};

/// How many notes the carousel cycles through.
pub const CAROUSEL_NOTES: usize = 40;

#[derive(Clone, Debug, PartialEq, Default)]
pub struct KioskNote {
    pub author: String,
    pub colour: Colour,
    pub text: String,
    pub when: String,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct KioskDate {
    pub title: String,
    pub when: String,
    pub place: String,
    pub countdown: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KioskPerson {
    pub id: PartnerId,
    pub name: String,
    pub colour: Colour,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct KioskView {
    /// Wall-safe notes only, newest first.
    pub notes: Vec<KioskNote>,
    pub next_date: Option<KioskDate>,
    /// Who may leave a note (both partners).
    pub people: Vec<KioskPerson>,
    /// The title of the tech-free date going on now: the display stays quiet until it ends.
    pub quiet: Option<String>,
    /// The time of day, for the corner.
    pub clock: String,
    /// No one's journal yet: the display offers its digit pad to pair with a phone.
    pub unpaired: bool,
}

impl KioskView {
    pub fn build(journal: &Journal, moment: Moment) -> KioskView {
        let people = People::of(journal, None);
        // One read of the plans serves both the quiet hour and the next date.
        let upcoming = journal.upcoming_dates(moment.now);
        if let Some(date) = upcoming.iter().find(|d| d.quiet_at(moment.now)).cloned() {
            // Quiet: nothing but the date's title leaves the journal.
            return KioskView {
                quiet: Some(date.title),
                ..KioskView::default()
            };
        }
        let notes = journal
            .wall(&WallFilter {
                wall_safe_only: true,
                limit: Some(CAROUSEL_NOTES),
                ..WallFilter::default()
            })
            .into_iter()
            .filter(|a| a.wall_safe)
            .map(|a| {
                let p = people.get(&a.author);
                KioskNote {
                    author: p.name,
                    colour: p.colour,
                    text: a.text,
                    when: format::ago(a.created, moment),
                }
            })
            .collect();
        let next_date = upcoming.into_iter().next().map(|d| KioskDate {
            countdown: format::countdown(d.start, moment),
            when: format::when(d.start, moment),
            place: d.place.unwrap_or_default(),
            title: d.title,
        });
        let people: Vec<KioskPerson> = people
            .ordered()
            .into_iter()
            .map(|(id, p)| KioskPerson {
                id,
                name: p.name,
                colour: p.colour,
            })
            .collect();
        let clock = moment
            .local(moment.now)
            .map(|t| t.format("%H:%M").to_string())
            .unwrap_or_default();
        KioskView {
            unpaired: people.is_empty(),
            notes,
            next_date,
            people,
            quiet: None,
            clock,
        }
    }
}

/// The longest note the on-screen keyboard takes.
pub const MAX_NOTE: usize = 280;

/// What the draft becomes after a key of the on-screen keyboard: a letter or mark (typed in
/// lower case, with a capital to start each sentence), `"space"` or `"backspace"`.
pub fn type_key(draft: &str, key: &str) -> String {
    let mut out = draft.to_owned();
    match key {
        "backspace" => {
            out.pop();
        }
        _ if out.chars().count() >= MAX_NOTE => {}
        "space" => {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
        }
        _ => {
            let trimmed = out.trim_end();
            let sentence_start = trimmed.is_empty() || trimmed.ends_with(['.', '!', '?']);
            if sentence_start {
                out.extend(key.chars().flat_map(char::to_uppercase));
            } else {
                out.extend(key.chars().flat_map(char::to_lowercase));
            }
        }
    }
    out
}

/// How many digits a pairing code has.
pub const PAIR_DIGITS: usize = 6;

/// What the digits typed on the display's pad become after `key`: a digit (up to six) or
/// `"backspace"`; anything else changes nothing.
pub fn type_pair_key(digits: &str, key: &str) -> String {
    let mut out = digits.to_owned();
    match key {
        "backspace" => {
            out.pop();
        }
        k if k.len() == 1
            && k.bytes().all(|b| b.is_ascii_digit())
            && out.chars().count() < PAIR_DIGITS =>
        {
            out.push_str(k);
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::{NewDate, Timestamp};
    use chrono::FixedOffset;

    use super::*;

    const HOUR: i64 = 3_600_000;

    fn moment(now: Timestamp) -> Moment {
        Moment {
            now,
            offset: FixedOffset::east_opt(0).unwrap(),
        }
    }

    fn couple() -> (Journal, PartnerId, PartnerId, Timestamp) {
        let now = Timestamp(1_764_000_000_000);
        let mut j = Journal::new(b"kiosk-test").unwrap();
        let ana = j.add_partner("Ana", "#c0623b", now).unwrap();
        let ben = j.add_partner("Ben", "#3b7fc0", now).unwrap();
        (j, ana, ben, now)
    }

    #[test]
    fn the_keyboard_types_sentences() {
        let mut d = String::new();
        for k in [
            "H",
            "I",
            "space",
            "space",
            "T",
            "H",
            "X",
            "backspace",
            "E",
            "R",
            "E",
            "!",
        ] {
            d = type_key(&d, k);
        }
        assert_eq!(d, "Hi there!");
        d = type_key(&d, "space");
        d = type_key(&d, "Y");
        assert_eq!(d, "Hi there! Y");
        assert_eq!(type_key("", "backspace"), "");
        assert_eq!(type_key("", "space"), "");
        let full = "a".repeat(MAX_NOTE);
        assert_eq!(type_key(&full, "B"), full);
    }

    #[test]
    fn the_pad_takes_six_digits() {
        let mut d = String::new();
        for k in [
            "3",
            "0",
            "x",
            "space",
            "5",
            "backspace",
            "5",
            "1",
            "1",
            "8",
            "9",
        ] {
            d = type_pair_key(&d, k);
        }
        assert_eq!(
            d, "305118",
            "a seventh digit and anything not a digit are ignored"
        );
        assert_eq!(type_pair_key("", "backspace"), "");
        assert_eq!(type_pair_key("1", "12"), "1");
    }

    #[test]
    fn a_display_with_no_one_yet_offers_to_pair() {
        let empty = Journal::new(b"display").unwrap();
        assert!(KioskView::build(&empty, moment(Timestamp(0))).unpaired);
        let (j, _, _, now) = couple();
        assert!(!KioskView::build(&j, moment(now)).unpaired);
    }

    #[test]
    fn only_wall_safe_notes_show() {
        let (mut j, ana, ben, now) = couple();
        j.add_appreciation(&ana, "Thanks for the soup", true, now)
            .unwrap();
        j.add_appreciation(&ben, "Private: about last night", false, now)
            .unwrap();
        j.add_appreciation(&ben, "Lovely walk today", true, now)
            .unwrap();
        let v = KioskView::build(&j, moment(now));
        let texts: Vec<_> = v.notes.iter().map(|n| n.text.as_str()).collect();
        assert_eq!(texts.len(), 2);
        assert!(texts.contains(&"Thanks for the soup"));
        assert!(texts.contains(&"Lovely walk today"));
        assert!(!format!("{v:?}").contains("last night"));
        assert_eq!(v.people.len(), 2);
    }

    #[test]
    fn next_date_counts_down_and_tech_free_quiets() {
        let (mut j, ana, _, now) = couple();
        j.add_appreciation(&ana, "Thanks for the soup", true, now)
            .unwrap();
        let start = Timestamp(now.0 + 3 * HOUR);
        j.plan_date(
            &ana,
            &NewDate {
                title: "Picnic".into(),
                start: Some(start),
                place: Some("River park".into()),
                tech_free: true,
                ..Default::default()
            },
            now,
        )
        .unwrap();
        let v = KioskView::build(&j, moment(now));
        let d = v.next_date.unwrap();
        assert_eq!(d.title, "Picnic");
        assert_eq!(d.countdown, "in 3 hours");
        assert_eq!(d.place, "River park");
        assert_eq!(v.quiet, None);

        let during = KioskView::build(&j, moment(Timestamp(start.0 + HOUR)));
        assert_eq!(during.quiet.as_deref(), Some("Picnic"));
        assert!(during.notes.is_empty() && during.next_date.is_none());

        let after = KioskView::build(&j, moment(Timestamp(start.0 + 3 * HOUR)));
        assert_eq!(after.quiet, None);
        assert_eq!(after.notes.len(), 1);
    }
}
