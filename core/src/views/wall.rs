//! The Wall: notes of thanks, newest first, and this week's gentle count per person.

use crate::{Journal, PartnerWeek, WallFilter};

use super::{Colour, Moment, People, format};

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ReactionView {
    pub name: String,
    pub colour: Colour,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct NoteView {
    pub id: String,
    pub author: String,
    pub colour: Colour,
    pub text: String,
    pub when: String,
    pub wall_safe: bool,
    pub mine: bool,
    pub reactions: Vec<ReactionView>,
    pub i_reacted: bool,
    /// Where it came from, when not simply from its author's device (left on the display, or
    /// changed on another device).
    pub origin: String,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct WeekCountView {
    pub name: String,
    pub colour: Colour,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct WallView {
    pub notes: Vec<NoteView>,
    pub week: Vec<WeekCountView>,
    pub has_more: bool,
}

/// The reaction the app sends: a heart.
pub const HEART: &str = "♥";

pub fn note(a: &crate::Appreciation, people: &People, at: Moment) -> NoteView {
    let author = people.get(&a.author);
    NoteView {
        id: a.id.to_string(),
        author: author.name,
        colour: author.colour,
        text: a.text.clone(),
        when: format::written(a.created, at),
        wall_safe: a.wall_safe,
        mine: people.is_me(&a.author),
        reactions: a
            .reactions
            .iter()
            .map(|(who, text)| {
                let p = people.get(who);
                ReactionView {
                    name: p.name,
                    colour: p.colour,
                    text: text.clone(),
                }
            })
            .collect(),
        i_reacted: a.reactions.iter().any(|(who, _)| people.is_me(who)),
        origin: crate::words::provenance(a.left_on_display, &a.foreign, |p| people.get(p).name)
            .join(" "),
    }
}

/// The wall: the newest `limit` notes, and each partner's count of this week's (`week`, from
/// [`Journal::week_counts`]).
pub fn build(
    journal: &Journal,
    people: &People,
    at: Moment,
    limit: usize,
    week: &[PartnerWeek],
) -> WallView {
    let mut notes = journal.wall(&WallFilter {
        limit: Some(limit + 1),
        ..WallFilter::default()
    });
    let has_more = notes.len() > limit;
    notes.truncate(limit);
    let counts = week;
    let week = people
        .ordered()
        .into_iter()
        .map(|(id, p)| {
            let n = counts
                .iter()
                .find(|w| w.partner == id)
                .map_or(0, |w| w.appreciations);
            let text = match n {
                0 => format!("{}: no notes yet this week", p.name),
                n => format!(
                    "{}: {} this week",
                    p.name,
                    format::count(n, "note", "notes")
                ),
            };
            WeekCountView {
                name: p.name,
                colour: p.colour,
                text,
            }
        })
        .collect();
    WallView {
        notes: notes.iter().map(|a| note(a, people, at)).collect(),
        week,
        has_more,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn newest_first_with_author_colours_and_hearts() {
        let (mut j, ana, ben) = couple();
        let older = j
            .add_appreciation(&ana, "Thank you for the soup", false, at_hours(-30))
            .unwrap();
        j.add_appreciation(&ben, "Thank you for the walk", true, at_hours(-2))
            .unwrap();
        j.react(&older, &ben, Some(HEART), at_hours(-1)).unwrap();
        let people = People::of(&j, Some(ana.clone()));
        let week = j.week_counts(moment().today(), moment().now);
        let view = build(&j, &people, moment(), 10, &week);
        let texts: Vec<_> = view.notes.iter().map(|n| n.text.as_str()).collect();
        assert_eq!(texts, ["Thank you for the walk", "Thank you for the soup"]);
        assert_eq!(view.notes[0].colour, Colour(0x3b7fc0));
        assert!(!view.notes[0].mine);
        assert!(view.notes[1].mine);
        assert_eq!(view.notes[1].reactions[0].name, "Ben");
        assert!(!view.notes[1].i_reacted);
        assert_eq!(view.week[0].text, "Ana: 1 note this week");
        assert_eq!(view.week[1].text, "Ben: 1 note this week");
        assert!(!view.has_more);
        assert!(build(&j, &people, moment(), 1, &week).has_more);
    }
}
