//! Validation of text handed to the journal.

use crate::error::{JournalError, Result};

/// The longest text the journal accepts in one field, in characters.
pub const MAX_TEXT: usize = 10_000;
/// The longest single-line field (names, titles, places), in characters.
pub const MAX_LINE: usize = 200;

/// Checks a long text field (notes, statements): line breaks and tabs allowed.
pub(crate) fn long(field: &'static str, text: &str, required: bool) -> Result<String> {
    check(field, text, required, MAX_TEXT, true)
}

/// Checks a one-line field (a name, a title, a place).
pub(crate) fn line(field: &'static str, text: &str, required: bool) -> Result<String> {
    check(field, text, required, MAX_LINE, false)
}

fn check(
    field: &'static str,
    text: &str,
    required: bool,
    max: usize,
    multiline: bool,
) -> Result<String> {
    let trimmed = text.trim();
    if required && trimmed.is_empty() {
        return Err(JournalError::Empty { field });
    }
    let len = trimmed.chars().count();
    if len > max {
        return Err(JournalError::TooLong { field, len, max });
    }
    let bad = trimmed
        .chars()
        .any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\t')));
    if bad {
        return Err(JournalError::ControlCharacter { field });
    }
    Ok(trimmed.to_owned())
}

/// Checks an optional field: `None` and blank text both mean "not set".
pub(crate) fn optional_line(field: &'static str, text: Option<&str>) -> Result<Option<String>> {
    match text {
        Some(t) if !t.trim().is_empty() => line(field, t, true).map(Some),
        _ => Ok(None),
    }
}

/// Checks an optional long field.
pub(crate) fn optional_long(field: &'static str, text: Option<&str>) -> Result<Option<String>> {
    match text {
        Some(t) if !t.trim().is_empty() => long(field, t, true).map(Some),
        _ => Ok(None),
    }
}

/// Checks a 1-5 rating.
pub(crate) fn rating(field: &'static str, value: u8) -> Result<u8> {
    if (1..=5).contains(&value) {
        Ok(value)
    } else {
        Err(JournalError::OutOfRange {
            field,
            detail: format!("{value} given; use 1 to 5"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_trims() {
        assert_eq!(line("title", "  Picnic  ", true).unwrap(), "Picnic");
        assert_eq!(long("notes", "a\nb\tc", true).unwrap(), "a\nb\tc");
    }

    #[test]
    fn rejects_empty_long_and_control() {
        assert!(matches!(
            line("title", "   ", true),
            Err(JournalError::Empty { .. })
        ));
        let big = "x".repeat(MAX_TEXT + 1);
        assert!(
            matches!(long("text", &big, true), Err(JournalError::TooLong { len, .. }) if len == MAX_TEXT + 1)
        );
        assert!(long("text", &"é".repeat(MAX_TEXT), true).is_ok());
        assert!(matches!(
            line("title", "a\nb", true),
            Err(JournalError::ControlCharacter { .. })
        ));
        assert!(matches!(
            long("text", "a\u{7}b", true),
            Err(JournalError::ControlCharacter { .. })
        ));
        assert!(matches!(
            rating("mood", 0),
            Err(JournalError::OutOfRange { .. })
        ));
        assert!(matches!(
            rating("mood", 6),
            Err(JournalError::OutOfRange { .. })
        ));
        assert_eq!(optional_line("place", Some("  ")).unwrap(), None);
    }
}
