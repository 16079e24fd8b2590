//! Intents: every change a person makes to the journal, as plain data.
//!
//! The app, the kiosk, the command line and a native binding all say what to change with an
//! [`Intent`]; [`Intent::apply`] turns it into the journal's typed operation, as the person the
//! device belongs to ([`Here::me`]) at the moment given, with every rule of
//! [`Journal`](crate::Journal) checked there. Nothing here reads a clock: the host hands in the
//! moment and its local day.

use chrono::NaiveDate;

use crate::{
    DateChange, IStatementParts, Id, IdeaKind, Journal, JournalError, KindnessBucket, NewDate,
    PartnerId, Timestamp, Visibility,
};

/// Who acts, and when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Here {
    /// The person this device belongs to; `None` on the home display.
    pub me: Option<PartnerId>,
    /// The moment of the change.
    pub now: Timestamp,
    /// The local day at `now` (check-ins are per day).
    pub today: NaiveDate,
}

/// A change to the journal.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Intent {
    /// A note of thanks on the wall, as this device's person, or on the home display as
    /// `author` (whoever picked their name; a person's device may name only its own person).
    AddNote {
        /// What it says.
        text: String,
        /// Whether the home display may show it.
        wall_safe: bool,
        /// On the home display: who is leaving it.
        author: Option<PartnerId>,
    },
    /// Rewrites one's own note.
    EditNote {
        /// The note.
        id: Id,
        /// Its new text.
        text: String,
        /// Also shows it on the home display (`Some(true)`) or hides it (`Some(false)`), in
        /// the same change.
        wall_safe: Option<bool>,
    },
    /// Shows a note on the home display, or hides it.
    SetWallSafe {
        /// The note.
        id: Id,
        /// Shown or not.
        wall_safe: bool,
    },
    /// Reacts to a note, or (`None`) takes the reaction back.
    React {
        /// The note.
        id: Id,
        /// A short reaction, such as a heart.
        reaction: Option<String>,
    },
    /// Plans a date (without a start, an idea for later).
    PlanDate(NewDate),
    /// Changes a date plan: its details or its status.
    UpdateDate {
        /// The plan.
        id: Id,
        /// What changes.
        change: DateChange,
    },
    /// One's words about a date that happened.
    ReflectOnDate {
        /// The plan.
        id: Id,
        /// The words.
        text: String,
    },
    /// A new idea in the deck (with `enjoy`, marked as one this person would enjoy, in the
    /// same change: a suggestion taken up).
    AddIdea {
        /// What it is for.
        kind: IdeaKind,
        /// Its title.
        title: String,
        /// For a kindness idea: which kind.
        bucket: Option<KindnessBucket>,
        /// Marked at once.
        enjoy: bool,
    },
    /// Marks an idea as one this person would enjoy, or takes the mark back.
    MarkIdea {
        /// The idea.
        id: Id,
        /// Would enjoy it.
        enjoy: bool,
    },
    /// Adds an open question of the couple's own to the deck.
    AddQuestion {
        /// The question.
        text: String,
    },
    /// Answers a question of the deck (or changes the answer, until both have answered),
    /// sealed to this person's own devices.
    AnswerQuestion {
        /// The question.
        id: Id,
        /// The answer.
        text: String,
    },
    /// Logs a kindness done (`when`, or now).
    LogKindness {
        /// What was done.
        what: String,
        /// When it was done, if not now.
        when: Option<Timestamp>,
        /// Which kind.
        bucket: Option<KindnessBucket>,
    },
    /// Checks in for today.
    CheckIn {
        /// Mood, 1 to 5.
        mood: u8,
        /// Closeness, 1 to 5.
        closeness: u8,
        /// A line about the day.
        note: Option<String>,
        /// The day it is for; `None` for today. A day's second check-in replaces the first.
        day: Option<NaiveDate>,
    },
    /// Starts a listening exchange as the speaker.
    StartListening {
        /// What the speaker says.
        statement: String,
    },
    /// Says back what one heard, as the listener.
    Reflect {
        /// The exchange.
        id: Id,
        /// The reflection, in one's own words.
        text: String,
    },
    /// Confirms the listener's reflection, as the speaker.
    ConfirmReflection {
        /// The exchange.
        id: Id,
    },
    /// Corrects the listener's reflection, as the speaker.
    CorrectReflection {
        /// The exchange.
        id: Id,
        /// What was meant.
        text: String,
    },
    /// Writes an "I" statement, a private draft or shared.
    WriteIStatement {
        /// Its parts.
        parts: IStatementParts,
        /// Where it goes.
        visibility: Visibility,
    },
    /// Writes down a hurt, as the one hurt; private unless shared.
    WriteHurt {
        /// What hurt.
        text: String,
        /// Where it goes.
        visibility: Visibility,
    },
    /// Acknowledges a hurt one caused.
    AcknowledgeHurt {
        /// The repair.
        id: Id,
        /// Words to go with it.
        words: Option<String>,
    },
    /// Marks the acknowledgement understood, as the one hurt.
    MarkUnderstood {
        /// The repair.
        id: Id,
    },
    /// Lets the hurt go, as the one hurt.
    ReleaseHurt {
        /// The repair.
        id: Id,
    },
    /// Shares a private draft with the partner.
    Share {
        /// The draft.
        id: Id,
    },
    /// Rewrites an item's text (a kindness, an idea, a check-in's line, a private hurt).
    EditText {
        /// The item.
        id: Id,
        /// The new text.
        text: String,
    },
    /// Rewrites an "I" statement (a draft; with `share`, shared in the same change).
    EditIStatement {
        /// The statement.
        id: Id,
        /// Its new parts.
        parts: IStatementParts,
        /// Shared with the rewrite.
        share: bool,
    },
    /// Puts an item in the trash.
    Delete {
        /// The item.
        id: Id,
    },
    /// Takes an item out of the trash.
    Restore {
        /// The item.
        id: Id,
    },
    /// Removes for good what has been in the trash longer than it keeps things.
    PurgeTrash,
    /// Stops a device from syncing (a lost phone, a replaced display).
    RevokeDevice {
        /// Its endpoint id.
        endpoint_id: String,
    },
    /// Lets a revoked device sync again.
    UnrevokeDevice {
        /// Its endpoint id.
        endpoint_id: String,
    },
    /// Renames this device's person, or changes their colour.
    UpdateMe {
        /// A new name.
        name: Option<String>,
        /// A new colour, `#rrggbb`.
        colour: Option<String>,
    },
}

/// What applying an intent made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Applied {
    /// A new item, with its id.
    Created(Id),
    /// An existing item changed.
    Changed,
    /// This many items left the trash for good.
    Purged(usize),
}

impl Applied {
    /// The new item's id, if this made one.
    pub fn created(&self) -> Option<&Id> {
        match self {
            Applied::Created(id) => Some(id),
            Applied::Changed | Applied::Purged(_) => None,
        }
    }
}

impl Intent {
    /// Applies this intent to `j` as `here` says: the journal's own rules decide, and on error
    /// nothing is written.
    pub fn apply(&self, j: &mut Journal, here: &Here) -> Result<Applied, JournalError> {
        use Applied::{Changed, Created, Purged};
        let now = here.now;
        let me = || here.me.as_ref().ok_or(JournalError::DisplayCannot);
        Ok(match self {
            Intent::AddNote {
                text,
                wall_safe,
                author,
            } => {
                // The name picked on the display, or this device's person; the journal refuses
                // a person's device writing in the other's name.
                let author = author
                    .as_ref()
                    .or(here.me.as_ref())
                    .ok_or(JournalError::DisplayCannot)?;
                Created(j.add_appreciation(author, text, *wall_safe, now)?)
            }
            Intent::EditNote {
                id,
                text,
                wall_safe,
            } => {
                j.batch(now, |j| {
                    j.edit_appreciation(id, text, now)?;
                    if let Some(on) = wall_safe {
                        j.set_wall_safe(id, *on, now)?;
                    }
                    Ok(())
                })?;
                Changed
            }
            Intent::SetWallSafe { id, wall_safe } => {
                j.set_wall_safe(id, *wall_safe, now)?;
                Changed
            }
            Intent::React { id, reaction } => {
                j.react(id, me()?, reaction.as_deref(), now)?;
                Changed
            }
            Intent::PlanDate(new) => Created(j.plan_date(me()?, new, now)?),
            Intent::UpdateDate { id, change } => {
                j.update_date(id, change, now)?;
                Changed
            }
            Intent::ReflectOnDate { id, text } => {
                j.reflect_on_date(id, me()?, text, now)?;
                Changed
            }
            Intent::AddIdea {
                kind,
                title,
                bucket,
                enjoy,
            } => {
                let me = me()?;
                Created(j.batch(now, |j| {
                    let id = j.add_idea(me, kind, title, bucket.as_ref(), now)?;
                    if *enjoy {
                        j.mark_idea(&id, me, true, now)?;
                    }
                    Ok(id)
                })?)
            }
            Intent::MarkIdea { id, enjoy } => {
                j.mark_idea(id, me()?, *enjoy, now)?;
                Changed
            }
            Intent::AddQuestion { text } => Created(j.add_question(me()?, text, now)?),
            Intent::AnswerQuestion { id, text } => {
                Created(j.answer_question(id, me()?, text, now)?)
            }
            Intent::LogKindness { what, when, bucket } => {
                Created(j.log_kindness(me()?, what, when.unwrap_or(now), bucket.as_ref(), now)?)
            }
            Intent::CheckIn {
                mood,
                closeness,
                note,
                day,
            } => Created(j.check_in(
                me()?,
                day.unwrap_or(here.today),
                *mood,
                *closeness,
                note.as_deref(),
                now,
            )?),
            Intent::StartListening { statement } => {
                Created(j.start_listening(me()?, statement, now)?)
            }
            Intent::Reflect { id, text } => {
                j.reflect(id, me()?, text, now)?;
                Changed
            }
            Intent::ConfirmReflection { id } => {
                j.confirm_reflection(id, me()?, now)?;
                Changed
            }
            Intent::CorrectReflection { id, text } => {
                j.correct_reflection(id, me()?, text, now)?;
                Changed
            }
            Intent::WriteIStatement { parts, visibility } => {
                Created(j.write_i_statement(me()?, parts, *visibility, now)?)
            }
            Intent::WriteHurt { text, visibility } => {
                Created(j.write_hurt(me()?, text, *visibility, now)?)
            }
            Intent::AcknowledgeHurt { id, words } => {
                j.acknowledge_hurt(id, me()?, words.as_deref(), now)?;
                Changed
            }
            Intent::MarkUnderstood { id } => {
                j.mark_understood(id, me()?, now)?;
                Changed
            }
            Intent::ReleaseHurt { id } => {
                j.release_hurt(id, me()?, now)?;
                Changed
            }
            Intent::Share { id } => {
                j.share(id, now)?;
                Changed
            }
            Intent::EditText { id, text } => {
                j.edit_text(id, text, now)?;
                Changed
            }
            Intent::EditIStatement { id, parts, share } => {
                j.batch(now, |j| {
                    j.edit_i_statement(id, parts, now)?;
                    if *share {
                        j.share(id, now)?;
                    }
                    Ok(())
                })?;
                Changed
            }
            Intent::Delete { id } => {
                j.delete(id, me()?, now)?;
                Changed
            }
            Intent::Restore { id } => {
                j.restore(id, now)?;
                Changed
            }
            Intent::PurgeTrash => Purged(j.purge_trash(now)?),
            Intent::RevokeDevice { endpoint_id } => {
                j.revoke_device(endpoint_id, now)?;
                Changed
            }
            Intent::UnrevokeDevice { endpoint_id } => {
                j.unrevoke_device(endpoint_id, now)?;
                Changed
            }
            Intent::UpdateMe { name, colour } => {
                j.update_partner(me()?, name.as_deref(), colour.as_deref(), now)?;
                Changed
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DateStatus, Journal};

    const T: Timestamp = Timestamp(1_767_225_600_000); // 2026-01-01T00:00:00Z

    fn here(me: &PartnerId, hours: i64) -> Here {
        Here {
            me: Some(me.clone()),
            now: Timestamp(T.0 + hours * 3_600_000),
            today: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        }
    }

    fn created(a: Applied) -> Id {
        a.created().cloned().expect("nothing was created")
    }

    #[test]
    fn intents_reach_the_journal_as_this_devices_person() {
        let mut j = Journal::new(b"intent-test-dev1").unwrap();
        let ana = j.add_partner("Ana", "#c0623b", T).unwrap();
        let h = here(&ana, 1);
        let note = created(
            Intent::AddNote {
                text: "Thank you for the soup".into(),
                wall_safe: false,
                author: None,
            }
            .apply(&mut j, &h)
            .unwrap(),
        );
        Intent::SetWallSafe {
            id: note.clone(),
            wall_safe: true,
        }
        .apply(&mut j, &h)
        .unwrap();
        let n = j.appreciation(&note).unwrap();
        assert_eq!((n.author, n.wall_safe), (ana.clone(), true));

        let date = created(
            Intent::PlanDate(NewDate {
                title: "Picnic".into(),
                start: Some(Timestamp(T.0 + 86_400_000)),
                ..Default::default()
            })
            .apply(&mut j, &h)
            .unwrap(),
        );
        Intent::UpdateDate {
            id: date.clone(),
            change: DateChange {
                status: Some(DateStatus::Cancelled),
                ..Default::default()
            },
        }
        .apply(&mut j, &h)
        .unwrap();
        assert_eq!(j.dates()[0].status, DateStatus::Cancelled);

        let check = Intent::CheckIn {
            mood: 4,
            closeness: 5,
            note: None,
            day: None,
        };
        created(check.apply(&mut j, &h).unwrap());
        assert_eq!(j.checkins(None, None, None)[0].day, h.today);

        let kind = created(
            Intent::LogKindness {
                what: "Made tea".into(),
                when: None,
                bucket: Some(KindnessBucket::Help),
            }
            .apply(&mut j, &h)
            .unwrap(),
        );
        Intent::Delete { id: kind.clone() }
            .apply(&mut j, &h)
            .unwrap();
        assert!(j.kindness_log().is_empty());
        Intent::Restore { id: kind }.apply(&mut j, &h).unwrap();
        assert_eq!(j.kindness_log().len(), 1);
    }

    #[test]
    fn bad_intents_change_nothing() {
        let mut j = Journal::new(b"intent-test-dev1").unwrap();
        let ana = j.add_partner("Ana", "#c0623b", T).unwrap();
        let h = here(&ana, 1);
        let before = j.heads(crate::DocKind::Shared);
        let bad = [
            Intent::AddNote {
                text: "   ".into(),
                wall_safe: false,
                author: None,
            },
            Intent::CheckIn {
                mood: 9,
                closeness: 3,
                note: None,
                day: None,
            },
            Intent::Delete {
                id: Id::from("nope"),
            },
        ];
        for intent in bad {
            assert!(intent.apply(&mut j, &h).is_err(), "{intent:?}");
        }
        assert_eq!(j.heads(crate::DocKind::Shared), before);

        // The home display leaves notes only, in the name of whoever picked theirs.
        let display = Here { me: None, ..h };
        assert!(matches!(
            Intent::CheckIn {
                mood: 3,
                closeness: 3,
                note: None,
                day: None,
            }
            .apply(&mut j, &display),
            Err(JournalError::DisplayCannot)
        ));
        assert!(matches!(
            Intent::AddNote {
                text: "hi".into(),
                wall_safe: true,
                author: None
            }
            .apply(&mut j, &display),
            Err(JournalError::DisplayCannot)
        ));
    }
}
