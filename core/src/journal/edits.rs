//! Rewriting what one wrote: a kindness, an idea, a check-in's note, and the drafts of an "I"
//! statement or a hurt. Who may: the author (either partner for an idea, as for dates). What
//! was shared in a conversation stays as it was said; a draft can change until it is shared.

use automerge::transaction::Transactable;

use super::{DocKind, Journal};
use crate::error::{JournalError, Result, Rule};
use crate::ids::{Id, Timestamp};
use crate::model::{Collection, IStatementParts};
use crate::{doc, text};

impl Journal {
    /// Rewrites the one text an item has, whatever its kind: a note's text, a kindness, an
    /// idea's or a date's title, a check-in's note, a private hurt. Says which kind it was. An
    /// "I" statement has four parts ([`Journal::edit_i_statement`]); a listening exchange keeps
    /// every step as it was said.
    pub fn edit_text(&mut self, id: &Id, text: &str, now: Timestamp) -> Result<Collection> {
        let (_, collection, _) = self.locate(id).ok_or_else(|| JournalError::NotFound {
            kind: "item",
            id: id.to_string(),
        })?;
        match collection {
            Collection::Appreciations => self.edit_appreciation(id, text, now)?,
            Collection::Kindness => self.edit_kindness(id, text, now)?,
            Collection::Ideas => self.edit_idea(id, text, now)?,
            Collection::Checkins => self.edit_checkin_note(id, Some(text), now)?,
            Collection::Repairs => self.edit_hurt(id, text, now)?,
            Collection::Dates => {
                let change = crate::model::DateChange {
                    title: Some(text.to_owned()),
                    ..Default::default()
                };
                self.update_date(id, &change, now)?;
            }
            Collection::Conversations => {
                let statement = self.i_statements().into_iter().any(|s| &s.id == id);
                return Err(JournalError::NotAllowed(if statement {
                    Rule::StatementHasParts
                } else {
                    Rule::ListeningKept
                }));
            }
        }
        Ok(collection)
    }

    /// Rewrites a logged kindness (its doer only).
    pub fn edit_kindness(&mut self, id: &Id, what: &str, now: Timestamp) -> Result<()> {
        let what = text::long("kindness", what, true)?;
        let (kind, o) = self.live(Collection::Kindness, id)?;
        let act = self
            .kindness_log()
            .into_iter()
            .find(|k| &k.id == id)
            .ok_or_else(|| not_found(Collection::Kindness, id))?;
        self.require_author(&act.by, "edit this kindness")?;
        self.write(now, |j| {
            j.doc_mut(kind).put(&o, "what", what.as_str())?;
            Ok(())
        })
    }

    /// Rewrites an idea's title. Either partner may, as with date plans: the deck is theirs
    /// together.
    pub fn edit_idea(&mut self, id: &Id, title: &str, now: Timestamp) -> Result<()> {
        let title = text::line("idea", title, true)?;
        let (kind, o) = self.live(Collection::Ideas, id)?;
        match self.acting() {
            crate::Acting::Person(p) => self.require_acting(&p, false)?,
            crate::Acting::Anyone => {}
            _ => {
                return Err(JournalError::NotTheAuthor {
                    what: "edit this idea",
                });
            }
        }
        self.write(now, |j| {
            j.doc_mut(kind).put(&o, "title", title.as_str())?;
            Ok(())
        })
    }

    /// Rewrites (or, with `None`, removes) the note of a check-in (its author only).
    pub fn edit_checkin_note(&mut self, id: &Id, note: Option<&str>, now: Timestamp) -> Result<()> {
        let note = text::optional_line("note", note)?;
        let (kind, o) = self.live(Collection::Checkins, id)?;
        let check = self
            .checkins(None, None, None)
            .into_iter()
            .find(|c| &c.id == id)
            .ok_or_else(|| not_found(Collection::Checkins, id))?;
        self.require_author(&check.partner, "edit this check-in")?;
        self.write(now, |j| {
            doc::put_opt_str(j.doc_mut(kind), &o, "note", note.as_deref())?;
            Ok(())
        })
    }

    /// Rewrites a private "I" statement draft (its author only). A shared statement is what
    /// was said and stays so: write a new one.
    pub fn edit_i_statement(
        &mut self,
        id: &Id,
        parts: &IStatementParts,
        now: Timestamp,
    ) -> Result<()> {
        let values = super::talk::checked_parts(parts)?;
        let (kind, o) = self.live(Collection::Conversations, id)?;
        let s = self
            .i_statements()
            .into_iter()
            .find(|s| &s.id == id)
            .ok_or_else(|| JournalError::NotFound {
                kind: "\"I\" statement",
                id: id.to_string(),
            })?;
        self.require_author(&s.author, "edit this statement")?;
        if kind == DocKind::Shared || s.shared_at.is_some() {
            return Err(JournalError::NotAllowed(Rule::StatementShared));
        }
        self.write(now, |j| {
            let d = j.doc_mut(kind);
            for (k, v) in super::talk::PARTS.iter().zip(&values) {
                d.put(&o, *k, v.as_str())?;
            }
            Ok(())
        })
    }

    /// Rewrites a private hurt (its author only). Once shared, the hurt is what the partner
    /// acknowledges, so it stays as it was.
    pub fn edit_hurt(&mut self, id: &Id, hurt: &str, now: Timestamp) -> Result<()> {
        let hurt = text::long("hurt", hurt, true)?;
        let (kind, o) = self.live(Collection::Repairs, id)?;
        let r = self
            .repairs()
            .into_iter()
            .find(|r| &r.id == id)
            .ok_or_else(|| not_found(Collection::Repairs, id))?;
        self.require_author(&r.author, "edit this hurt")?;
        if kind == DocKind::Shared || r.shared_at.is_some() {
            return Err(JournalError::NotAllowed(Rule::HurtShared));
        }
        self.write(now, |j| {
            j.doc_mut(kind).put(&o, "hurt", hurt.as_str())?;
            Ok(())
        })
    }
}

fn not_found(c: Collection, id: &Id) -> JournalError {
    JournalError::NotFound {
        kind: c.noun(),
        id: id.to_string(),
    }
}
