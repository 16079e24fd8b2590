//! Finding words again: every item this device may read whose text holds what was asked.

use super::Journal;
use crate::ids::{Id, PartnerId, Timestamp};
use crate::model::{Collection, Found, WallFilter};

impl Journal {
    /// Every readable item with `needle` in any of its texts (ignoring case), newest first: a
    /// note, a date (its title, place, notes and reflections), an idea, a kindness, a check-in's
    /// note, a listening exchange (what was said and reflected), an "I" statement and a repair
    /// (the hurt and the acknowledgement). Each result carries the text that matched. An empty
    /// `needle` finds nothing.
    pub fn search(&self, needle: &str) -> Vec<Found> {
        let needle = needle.trim().to_lowercase();
        let mut out = Vec::new();
        if needle.is_empty() {
            return out;
        }
        let mut look = |collection, id: &Id, who: &PartnerId, when: Timestamp, text: &str| {
            if text.to_lowercase().contains(&needle) {
                out.push(Found {
                    collection,
                    id: id.clone(),
                    who: who.clone(),
                    when,
                    text: text.to_owned(),
                });
                true
            } else {
                false
            }
        };
        for a in self.wall(&WallFilter::default()) {
            look(
                Collection::Appreciations,
                &a.id,
                &a.author,
                a.created,
                &a.text,
            );
        }
        for d in self.dates() {
            let c = Collection::Dates;
            let _ = look(c, &d.id, &d.planner, d.start, &d.title)
                || d.place
                    .as_deref()
                    .is_some_and(|p| look(c, &d.id, &d.planner, d.start, p))
                || look(c, &d.id, &d.planner, d.start, &d.notes)
                || d.reflections
                    .iter()
                    .any(|(by, text)| look(c, &d.id, by, d.start, text));
        }
        for i in self.ideas() {
            look(Collection::Ideas, &i.id, &i.added_by, i.created, &i.title);
        }
        for k in self.kindness_log() {
            look(Collection::Kindness, &k.id, &k.by, k.when, &k.what);
        }
        for c in self.checkins(None, None, None) {
            if let Some(note) = &c.note {
                look(Collection::Checkins, &c.id, &c.partner, c.at, note);
            }
        }
        for x in self.listening_exchanges() {
            let c = Collection::Conversations;
            let _ = look(c, &x.id, &x.speaker, x.created, &x.statement)
                || x.steps.iter().any(|s| look(c, &x.id, &s.by, s.at, &s.text));
        }
        for s in self.i_statements() {
            let sentence = s.parts.sentence();
            look(
                Collection::Conversations,
                &s.id,
                &s.author,
                s.created,
                &sentence,
            );
        }
        for r in self.repairs() {
            let c = Collection::Repairs;
            let _ = look(c, &r.id, &r.author, r.created, &r.hurt)
                || r.acknowledged.as_ref().is_some_and(|(at, note)| {
                    note.as_deref().is_some_and(|n| {
                        let partner = self.partners().into_iter().find(|p| p.id != r.author);
                        partner.is_some_and(|p| look(c, &r.id, &p.id, *at, n))
                    })
                });
        }
        out.sort_by(|a, b| (b.when, &b.id).cmp(&(a.when, &a.id)));
        out
    }
}
