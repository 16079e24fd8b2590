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
    NotAllowed(String),
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
