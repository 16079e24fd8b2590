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
    #[error("{field} is {len} characters long; keep it under {max}")]
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
    NotAllowed(String),
    /// A membership statement would not count (see [`crate::membership`]).
    #[error("{0}")]
    Refused(#[from] crate::membership::Refusal),
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
    NotAJournal(String),
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
                JournalError::NotAJournal(format!("the changes are damaged: {e}"))
            }
            other => JournalError::TooLarge(other),
        }
    }
}

pub(crate) type Result<T, E = JournalError> = std::result::Result<T, E>;
