//! Errors of the journal model.

/// What went wrong with a journal operation. Every error leaves the document unchanged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JournalError {
    /// A required text field was empty or only whitespace.
    #[error("{field} is empty: write something first")]
    Empty {
        /// The field that was empty.
        field: &'static str,
    },
    /// A text field was longer than allowed.
    #[error(
        "{field} is {} characters long; it can hold at most {}",
        grouped(*len),
        grouped(*max)
    )]
    TooLong {
        /// The field that was too long.
        field: &'static str,
        /// Its length in characters.
        len: usize,
        /// The most characters allowed.
        max: usize,
    },
    /// A text field held a control character (other than a line break in long text).
    #[error("{field} contains a control character; remove it and try again")]
    ControlCharacter {
        /// The field with the control character.
        field: &'static str,
    },
    /// A number or time was outside the range the field allows.
    #[error("{field} is out of range: {detail}")]
    OutOfRange {
        /// The field that was out of range.
        field: &'static str,
        /// What the range is.
        detail: String,
    },
    /// No item with this id exists (or it was purged).
    #[error("no {kind} with id {id}: check the id (list them to see the ids)")]
    NotFound {
        /// The kind of item looked for.
        kind: &'static str,
        /// The id given.
        id: String,
    },
    /// The item is in the trash; restore it before changing it.
    #[error("the {kind} {id} is in the trash: restore it first")]
    InTrash {
        /// The kind of item.
        kind: &'static str,
        /// Its id.
        id: String,
    },
    /// The step is not allowed in the item's current state.
    #[error("{0}")]
    NotAllowed(Rule),
    /// A membership statement would not count (see [`crate::membership`]).
    #[error(transparent)]
    Refused(#[from] crate::membership::Refusal),
    /// A person's device asked to act as someone else.
    #[error("this device belongs to one person and acts only as them")]
    ActsAsOwner {
        /// Whose device it is.
        owner: crate::ids::PartnerId,
        /// Who it was asked to act as.
        asked: crate::ids::PartnerId,
    },
    /// The home display asked to do what only a person's own device does.
    #[error("the home display belongs to no one; this is done from a person's own device")]
    DisplayCannot,
    /// A home display keeps only the wall document; another document was given to it.
    #[error("a home display keeps only the wall document, not the {kind:?} journal")]
    NotKeptOnDisplay {
        /// The document it was given.
        kind: crate::journal::DocKind,
    },
    /// Someone other than the author asked to change what the author wrote.
    #[error("only its author can {what}")]
    NotTheAuthor {
        /// What was asked ("edit this note").
        what: &'static str,
    },
    /// The journal already has two partners.
    #[error("this journal already has two partners")]
    TooManyPartners,
    /// The document was written by a newer version of Hearth with an incompatible schema.
    #[error(
        "this journal uses schema version {found}, newer than this Hearth understands \
         ({supported}); update Hearth on this device"
    )]
    SchemaTooNew {
        /// Major version found in the document.
        found: u64,
        /// Major version this build understands.
        supported: u64,
    },
    /// The bytes are not a Hearth journal.
    #[error("this is not a Hearth journal: {0}")]
    NotAJournal(NotJournal),
    /// The bytes would decode (inflate) to more than a device may hold at once, so they were
    /// refused before Automerge read them. Nothing Hearth writes comes near the bound.
    #[error("these changes were refused: {0}")]
    TooLarge(crate::bound::InflationError),
    /// The Automerge layer failed.
    #[error("journal document error: {0}")]
    Automerge(#[from] automerge::AutomergeError),
}

/// Bytes over the bound are [`JournalError::TooLarge`]; bytes whose chunks cannot even be
/// measured are damaged, as Automerge itself would have found them.
impl From<crate::bound::InflationError> for JournalError {
    fn from(e: crate::bound::InflationError) -> Self {
        match e {
            crate::bound::InflationError::Malformed { .. } => {
                JournalError::NotAJournal(NotJournal::Damaged(Damage::Unmeasurable(e)))
            }
            other => JournalError::TooLarge(other),
        }
    }
}

/// Why bytes are not a Hearth journal.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NotJournal {
    /// The document has no schema version.
    #[error("it has no schema version")]
    NoSchema,
    /// The schema version is not a number.
    #[error("its schema version is unreadable")]
    UnreadableSchema,
    /// The document says it is the other kind of journal.
    #[error("expected the {} journal, found the {found} journal", expected.name())]
    WrongKind {
        /// The kind asked for.
        expected: crate::DocKind,
        /// What the document says it is.
        found: String,
    },
    /// The document does not say what it holds.
    #[error("it does not say what it holds")]
    NoKind,
    /// A map every journal has is missing (partners, devices, a collection, the trash).
    #[error("its {0} are missing")]
    Missing(&'static str),
    /// Automerge could not load the document.
    #[error("{0}")]
    Unloadable(#[source] Box<automerge::AutomergeError>),
    /// The bytes are not whole, well-formed Automerge chunks.
    #[error("the changes are damaged: {0}")]
    Damaged(Damage),
    /// One of the two documents (the other may be fine).
    #[error("the {} journal: {source}", which.name())]
    In {
        /// Which document.
        which: crate::DocKind,
        /// What is wrong with it.
        source: Box<NotJournal>,
    },
}

/// How Automerge bytes are damaged.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Damage {
    /// There are no bytes.
    #[error("there is nothing in them")]
    Empty,
    /// They do not start as Automerge chunks do.
    #[error("they are not Automerge data")]
    NotAutomerge,
    /// A chunk's header ends early.
    #[error("a chunk header is cut short")]
    HeaderCutShort,
    /// A chunk's length does not decode.
    #[error("a chunk length is invalid")]
    BadLength,
    /// A chunk is shorter than its header says.
    #[error("a chunk is cut short")]
    CutShort,
    /// A kind of chunk this version does not read.
    #[error("they hold a kind of chunk this version does not read")]
    UnknownChunk,
    /// A whole document that does not verify.
    #[error("{0}")]
    Document(#[source] Box<automerge::AutomergeError>),
    /// A change that does not verify.
    #[error("{0}")]
    Change(#[source] Box<automerge::LoadChangeError>),
    /// Chunks whose decoded size cannot even be measured.
    #[error("{0}")]
    Unmeasurable(#[source] crate::bound::InflationError),
}

/// A count as people write it: `10 000`, `950`.
fn grouped(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

pub(crate) type Result<T, E = JournalError> = std::result::Result<T, E>;

/// What the journal's rules do not allow: the operation is refused and nothing is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rule {
    #[error("both have answered this question, so the answers are open and stay as they are")]
    /// Both have answered: the answers are open and no longer change.
    AnswersOpen,
    #[error("this person has no current device to seal the answer to")]
    /// The person has no current device to seal an answer to.
    NoDeviceToSealTo,
    #[error("a shared repair is kept with every step dated; it cannot be deleted")]
    /// A shared repair is kept with every step dated; it cannot be deleted.
    SharedRepairKept,
    #[error("the listener reflects; the speaker confirms or corrects")]
    /// The listener reflects; the speaker confirms or corrects.
    ListenerReflects,
    #[error("wait for the speaker to confirm or correct the last reflection")]
    /// Wait for the speaker to confirm or correct the last reflection.
    AwaitingConfirmation,
    #[error("only the speaker confirms or corrects")]
    /// Only the speaker confirms or corrects.
    SpeakerConfirms,
    #[error("there is no reflection to confirm or correct yet")]
    /// There is no reflection to confirm or correct yet.
    NothingToConfirm,
    #[error("this hurt is still private: share it first")]
    /// This hurt is still private: share it first.
    HurtStillPrivate,
    #[error("the partner who caused the hurt acknowledges it")]
    /// The partner who caused the hurt acknowledges it.
    CauserAcknowledges,
    #[error("this hurt is already acknowledged")]
    /// This hurt is already acknowledged.
    AlreadyAcknowledged,
    #[error("the partner who was hurt marks it understood")]
    /// The partner who was hurt marks it understood.
    HurtMarksUnderstood,
    #[error("wait for the hurt to be acknowledged")]
    /// Wait for the hurt to be acknowledged.
    AwaitingAcknowledgement,
    #[error("this is already marked understood")]
    /// This is already marked understood.
    AlreadyUnderstood,
    #[error("the partner who was hurt is the one who lets it go")]
    /// The partner who was hurt is the one who lets it go.
    HurtLetsGo,
    #[error("a shared hurt is let go after it is acknowledged and understood")]
    /// A shared hurt is let go after it is acknowledged and understood.
    ReleasedTooSoon,
    #[error("already marked released")]
    /// Already marked released.
    AlreadyReleased,
    #[error("this is already shared")]
    /// This is already shared.
    AlreadyShared,
    #[error("this person already has entries in the journal; they cannot be removed")]
    /// This person already has entries in the journal; they cannot be removed.
    PersonHasEntries,
    #[error("this journal has no device identity to sign with")]
    /// This journal has no device identity to sign with.
    NoIdentity,
    #[error("this device already belongs to a journal founded elsewhere")]
    /// This device already belongs to a journal founded elsewhere.
    FoundedElsewhere,
    #[error("a journal is founded by the device itself")]
    /// A journal is founded by the device itself.
    FoundByItself,
    #[error("an \"I\" statement has four parts; rewrite them together")]
    /// An "I" statement has four parts; rewrite them together.
    StatementHasParts,
    #[error("a listening exchange keeps every step as it was said")]
    /// A listening exchange keeps every step as it was said.
    ListeningKept,
    #[error("it was shared, and what was said stays as it was said: write a new one")]
    /// It was shared, and what was said stays as it was said: write a new one.
    StatementShared,
    #[error("it was shared with your partner and stays as it was: add to it when you talk")]
    /// It was shared with your partner and stays as it was: add to it when you talk.
    HurtShared,
    #[error("this date happened; it cannot be called off afterwards")]
    /// This date happened; it cannot be called off afterwards.
    DateHappened,
    #[error("this date has not started yet; only the one who planned it can mark it done early")]
    /// This date has not started yet; only the one who planned it can mark it done early.
    NotStartedYet,
    /// The device is revoked already.
    #[error("{name} is already revoked")]
    AlreadyRevoked {
        /// The device's name.
        name: String,
    },
    /// The device is not revoked, so there is nothing to undo.
    #[error("{name} is not revoked")]
    NotRevoked {
        /// The device's name.
        name: String,
    },
    /// A device was named by a part of its id that fits more than one.
    #[error("{needle:?} matches more than one device; give more of its id")]
    AmbiguousDevice {
        /// What was given.
        needle: String,
    },
    /// A membership statement could not be signed.
    #[error("the membership statement could not be signed: {0}")]
    Unsigned(crate::membership::StatementError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_long_names_the_limit_it_allows() {
        let e = JournalError::TooLong {
            field: "note",
            len: 10_001,
            max: 10_000,
        };
        assert_eq!(
            e.to_string(),
            "note is 10 001 characters long; it can hold at most 10 000"
        );
        assert_eq!(grouped(950), "950");
        assert_eq!(grouped(1_000_000), "1 000 000");
    }
}

#[cfg(test)]
mod rule_tests {
    use super::*;

    #[test]
    fn refusals_word_the_rule_they_name() {
        let e = JournalError::NotAllowed(Rule::AlreadyShared);
        assert_eq!(e.to_string(), "this is already shared");
        let e = JournalError::NotAllowed(Rule::StatementHasParts);
        assert_eq!(
            e.to_string(),
            "an \"I\" statement has four parts; rewrite them together"
        );
        let e = Rule::AlreadyRevoked {
            name: "Ana's phone".into(),
        };
        assert_eq!(e.to_string(), "Ana's phone is already revoked");
        let e = Rule::AmbiguousDevice {
            needle: "ab".into(),
        };
        assert_eq!(
            e.to_string(),
            "\"ab\" matches more than one device; give more of its id"
        );
    }
}
