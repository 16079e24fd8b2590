//! [`Intent`]: every change the app can make, as the engine names them, with plain fields
//! (ids as text, moments as RFC 3339 text, days as `YYYY-MM-DD`).

use hearth_core::{DateChange, DateStatus, IStatementParts, Id, IdeaKind, KindnessBucket, NewDate};

use crate::convert::{day, moment, optional_moment};
use crate::error::HearthError;

/// Where a conversation item goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Visibility {
    /// Only in the author's private journal, on their own devices.
    Private,
    /// In the shared journal.
    Shared,
}

/// The four parts of an "I" statement.
#[derive(Debug, Clone, uniffi::Record)]
pub struct StatementParts {
    /// What happened, as a camera would see it.
    pub observation: String,
    /// How I felt.
    pub feeling: String,
    /// What I need.
    pub need: String,
    /// What I ask for.
    pub request: String,
}

/// A new date plan.
#[derive(Debug, Clone, uniffi::Record)]
pub struct NewDatePlan {
    /// What it is.
    pub title: String,
    /// When it starts (RFC 3339); none: an idea for later.
    pub start: Option<String>,
    /// When it ends (RFC 3339).
    pub end: Option<String>,
    /// Where.
    pub place: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Screens away.
    pub tech_free: bool,
}

/// Changes to a date plan; a field left out stays as it is.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct DateEdit {
    /// A new title.
    pub title: Option<String>,
    /// A new start (RFC 3339).
    pub start: Option<String>,
    /// A new end (RFC 3339).
    pub end: Option<String>,
    /// Clears the end.
    pub clear_end: bool,
    /// A new place.
    pub place: Option<String>,
    /// Clears the place.
    pub clear_place: bool,
    /// New notes.
    pub notes: Option<String>,
    /// Screens away or not.
    pub tech_free: Option<bool>,
    /// A new status: "idea", "planned", "done" or "cancelled".
    pub status: Option<String>,
}

/// A change to the journal, made as this device's person (see `hearth_core::Intent`).
#[derive(Debug, Clone, uniffi::Enum)]
#[allow(missing_docs)]
pub enum Intent {
    /// A note of thanks on the wall.
    AddNote { text: String, wall_safe: bool },
    /// Rewrites one's own note (and shows or hides it on the display in the same change).
    EditNote {
        id: String,
        text: String,
        wall_safe: Option<bool>,
    },
    /// Shows a note on the home display, or hides it.
    SetWallSafe { id: String, wall_safe: bool },
    /// Reacts to a note; none takes the reaction back.
    React {
        id: String,
        reaction: Option<String>,
    },
    /// Plans a date.
    PlanDate { plan: NewDatePlan },
    /// Changes a date plan.
    UpdateDate { id: String, change: DateEdit },
    /// One's words about a date that happened.
    ReflectOnDate { id: String, text: String },
    /// A new idea: kind "date", "kindness" or "question"; bucket for a kindness.
    AddIdea {
        kind: String,
        title: String,
        bucket: Option<String>,
        enjoy: bool,
    },
    /// Marks an idea as one this person would enjoy, or takes the mark back.
    MarkIdea { id: String, enjoy: bool },
    /// Adds an open question of the couple's own to the deck.
    AddQuestion { text: String },
    /// Answers a question of the deck privately (sealed to this person's devices), or changes
    /// the answer until both have answered.
    AnswerQuestion { id: String, text: String },
    /// Logs a kindness done (at `when`, RFC 3339, or now).
    LogKindness {
        what: String,
        when: Option<String>,
        bucket: Option<String>,
    },
    /// Checks in (for `day`, `YYYY-MM-DD`, or today): mood and closeness 1 to 5.
    CheckIn {
        mood: u8,
        closeness: u8,
        note: Option<String>,
        day: Option<String>,
    },
    /// Starts a listening exchange as the speaker.
    StartListening { statement: String },
    /// Says back what one heard, as the listener.
    Reflect { id: String, text: String },
    /// Confirms the listener's reflection, as the speaker.
    ConfirmReflection { id: String },
    /// Corrects the listener's reflection, as the speaker.
    CorrectReflection { id: String, text: String },
    /// Writes an "I" statement.
    WriteIStatement {
        parts: StatementParts,
        visibility: Visibility,
    },
    /// Writes down a hurt, as the one hurt.
    WriteHurt {
        text: String,
        visibility: Visibility,
    },
    /// Acknowledges a hurt one caused.
    AcknowledgeHurt { id: String, words: Option<String> },
    /// Marks the acknowledgement understood, as the one hurt.
    MarkUnderstood { id: String },
    /// Lets the hurt go, as the one hurt.
    ReleaseHurt { id: String },
    /// Shares a private draft with the partner.
    Share { id: String },
    /// Rewrites an item's text.
    EditText { id: String, text: String },
    /// Rewrites an "I" statement (shared in the same change with `share`).
    EditIStatement {
        id: String,
        parts: StatementParts,
        share: bool,
    },
    /// Puts an item in the trash.
    Delete { id: String },
    /// Takes an item out of the trash.
    Restore { id: String },
    /// Removes for good what has been in the trash longer than it keeps things.
    PurgeTrash,
    /// Stops a device from syncing.
    RevokeDevice { endpoint_id: String },
    /// Lets a revoked device sync again.
    UnrevokeDevice { endpoint_id: String },
    /// Renames this device's person, or changes their colour (`#rrggbb`).
    UpdateMe {
        name: Option<String>,
        colour: Option<String>,
    },
}

/// What a change made.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Applied {
    /// The new item's id, when the change made one.
    pub id: Option<String>,
    /// Items removed for good (emptying the trash).
    pub purged: u64,
}

impl From<hearth_core::intent::Applied> for Applied {
    fn from(applied: hearth_core::intent::Applied) -> Applied {
        match applied {
            hearth_core::intent::Applied::Created(id) => Applied {
                id: Some(id.to_string()),
                purged: 0,
            },
            hearth_core::intent::Applied::Purged(n) => Applied {
                id: None,
                purged: u64::try_from(n).unwrap_or(u64::MAX),
            },
            _ => Applied {
                id: None,
                purged: 0,
            },
        }
    }
}

impl From<Visibility> for hearth_core::Visibility {
    fn from(v: Visibility) -> Self {
        match v {
            Visibility::Private => hearth_core::Visibility::Private,
            Visibility::Shared => hearth_core::Visibility::Shared,
        }
    }
}

impl From<StatementParts> for IStatementParts {
    fn from(p: StatementParts) -> Self {
        IStatementParts {
            observation: p.observation,
            feeling: p.feeling,
            need: p.need,
            request: p.request,
        }
    }
}

/// A value of one of the journal's named sets (`known`), or an invalid-input error naming them.
fn named<T: From<String>>(text: &str, known: &[&str], what: &str) -> Result<T, HearthError> {
    let text = text.trim();
    if known.contains(&text) {
        return Ok(T::from(text.to_owned()));
    }
    Err(HearthError::invalid(format!(
        "\"{text}\" is not {what} ({})",
        known.join(", ")
    )))
}

fn status(text: &str) -> Result<DateStatus, HearthError> {
    named(text, DateStatus::KNOWN, "a date status")
}

fn idea_kind(text: &str) -> Result<IdeaKind, HearthError> {
    named(text, IdeaKind::KNOWN, "a kind of idea")
}

fn bucket(text: Option<String>) -> Result<Option<KindnessBucket>, HearthError> {
    text.map(|t| named(&t, KindnessBucket::KNOWN, "a kind of kindness"))
        .transpose()
}

impl Intent {
    /// The engine's intent, with every field parsed; bad text is an invalid-input error.
    pub(crate) fn into_core(self) -> Result<hearth_core::intent::Intent, HearthError> {
        use hearth_core::intent::Intent as I;
        let id = |s: String| Id::from(s.trim().to_owned());
        Ok(match self {
            Intent::AddNote { text, wall_safe } => I::AddNote {
                text,
                wall_safe,
                author: None,
            },
            Intent::EditNote {
                id: note,
                text,
                wall_safe,
            } => I::EditNote {
                id: id(note),
                text,
                wall_safe,
            },
            Intent::SetWallSafe {
                id: note,
                wall_safe,
            } => I::SetWallSafe {
                id: id(note),
                wall_safe,
            },
            Intent::React { id: note, reaction } => I::React {
                id: id(note),
                reaction,
            },
            Intent::PlanDate { plan } => I::PlanDate(NewDate {
                title: plan.title,
                start: optional_moment(plan.start.as_deref())?,
                end: optional_moment(plan.end.as_deref())?,
                place: plan.place,
                notes: plan.notes,
                tech_free: plan.tech_free,
            }),
            Intent::UpdateDate { id: plan, change } => I::UpdateDate {
                id: id(plan),
                change: DateChange {
                    title: change.title,
                    start: optional_moment(change.start.as_deref())?,
                    end: if change.clear_end {
                        Some(None)
                    } else {
                        optional_moment(change.end.as_deref())?.map(Some)
                    },
                    place: if change.clear_place {
                        Some(None)
                    } else {
                        change.place.map(Some)
                    },
                    notes: change.notes,
                    tech_free: change.tech_free,
                    status: change.status.as_deref().map(status).transpose()?,
                },
            },
            Intent::ReflectOnDate { id: plan, text } => I::ReflectOnDate { id: id(plan), text },
            Intent::AddIdea {
                kind,
                title,
                bucket: b,
                enjoy,
            } => I::AddIdea {
                kind: idea_kind(&kind)?,
                title,
                bucket: bucket(b)?,
                enjoy,
            },
            Intent::MarkIdea { id: idea, enjoy } => I::MarkIdea {
                id: id(idea),
                enjoy,
            },
            Intent::AddQuestion { text } => I::AddQuestion { text },
            Intent::AnswerQuestion { id: q, text } => I::AnswerQuestion { id: id(q), text },
            Intent::LogKindness {
                what,
                when,
                bucket: b,
            } => I::LogKindness {
                what,
                when: when.as_deref().map(moment).transpose()?,
                bucket: bucket(b)?,
            },
            Intent::CheckIn {
                mood,
                closeness,
                note,
                day: d,
            } => I::CheckIn {
                mood,
                closeness,
                note,
                day: d.as_deref().map(day).transpose()?,
            },
            Intent::StartListening { statement } => I::StartListening { statement },
            Intent::Reflect { id: x, text } => I::Reflect { id: id(x), text },
            Intent::ConfirmReflection { id: x } => I::ConfirmReflection { id: id(x) },
            Intent::CorrectReflection { id: x, text } => I::CorrectReflection { id: id(x), text },
            Intent::WriteIStatement { parts, visibility } => I::WriteIStatement {
                parts: parts.into(),
                visibility: visibility.into(),
            },
            Intent::WriteHurt { text, visibility } => I::WriteHurt {
                text,
                visibility: visibility.into(),
            },
            Intent::AcknowledgeHurt { id: x, words } => I::AcknowledgeHurt { id: id(x), words },
            Intent::MarkUnderstood { id: x } => I::MarkUnderstood { id: id(x) },
            Intent::ReleaseHurt { id: x } => I::ReleaseHurt { id: id(x) },
            Intent::Share { id: x } => I::Share { id: id(x) },
            Intent::EditText { id: x, text } => I::EditText { id: id(x), text },
            Intent::EditIStatement {
                id: x,
                parts,
                share,
            } => I::EditIStatement {
                id: id(x),
                parts: parts.into(),
                share,
            },
            Intent::Delete { id: x } => I::Delete { id: id(x) },
            Intent::Restore { id: x } => I::Restore { id: id(x) },
            Intent::PurgeTrash => I::PurgeTrash,
            Intent::RevokeDevice { endpoint_id } => I::RevokeDevice { endpoint_id },
            Intent::UnrevokeDevice { endpoint_id } => I::UnrevokeDevice { endpoint_id },
            Intent::UpdateMe { name, colour } => I::UpdateMe { name, colour },
        })
    }
}
