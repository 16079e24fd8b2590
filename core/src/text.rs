//! Validation of text handed to the journal, and making text from peers safe to print.

use std::borrow::Cow;

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
        .any(|c| (c.is_control() && !(multiline && (c == '\n' || c == '\t'))) || reorders(c));
    if bad {
        return Err(JournalError::ControlCharacter { field });
    }
    Ok(trimmed.to_owned())
}

/// Whether `c` is a bidirectional embedding, override or isolate (U+202A-U+202E,
/// U+2066-U+2069): invisible characters that reorder the text around them, so that what is
/// shown differs from what was written. Refused on input as control characters are.
fn reorders(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
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

/// `text` made safe to show on a terminal or in a list: every character that could steer the
/// terminal or reorder what is shown becomes U+FFFD (the replacement character). Those are the
/// C0 and C1 control characters and DEL (escape sequences, carriage returns, bells; line breaks
/// and tabs too, so use it on one line at a time), and the bidirectional embeddings, overrides
/// and isolates U+202A-U+202E and U+2066-U+2069. Everything else, accents and right-to-left
/// scripts included, is kept. Text that needs no change is borrowed as it is.
///
/// Anything a peer wrote (names, device names, titles, notes) may hold such characters even
/// though this device refuses them on input; print it through this.
pub fn display_safe(text: &str) -> Cow<'_, str> {
    fn steers(c: char) -> bool {
        c.is_control() || reorders(c)
    }
    if !text.chars().any(steers) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if steers(c) {
                    char::REPLACEMENT_CHARACTER
                } else {
                    c
                }
            })
            .collect(),
    )
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

    #[test]
    fn rejects_bidi_controls_in_lines_and_long_text() {
        for c in ('\u{202A}'..='\u{202E}').chain('\u{2066}'..='\u{2069}') {
            let text = format!("pay{c}evil");
            assert!(
                matches!(
                    line("title", &text, true),
                    Err(JournalError::ControlCharacter { .. })
                ),
                "line accepted U+{:04X}",
                u32::from(c)
            );
            assert!(
                matches!(
                    long("text", &text, true),
                    Err(JournalError::ControlCharacter { .. })
                ),
                "long text accepted U+{:04X}",
                u32::from(c)
            );
        }
        // Right-to-left scripts and the plain direction marks stay welcome.
        assert!(line("name", "\u{5e9}\u{5dc}\u{5d5}\u{5dd}", true).is_ok());
        assert!(long("text", "\u{627}\u{644}\u{200F} ok", true).is_ok());
    }

    #[test]
    fn display_safe_replaces_what_steers_a_terminal() {
        assert!(matches!(
            display_safe("Ana's phone, café"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            display_safe("\u{5e9}\u{5dc}\u{5d5}\u{5dd}"),
            "\u{5e9}\u{5dc}\u{5d5}\u{5dd}"
        );
        assert_eq!(display_safe("\u{1b}[31mred"), "\u{fffd}[31mred");
        assert_eq!(
            display_safe("a\u{202E}b\u{2066}c\u{2069}"),
            "a\u{fffd}b\u{fffd}c\u{fffd}"
        );
        assert_eq!(
            display_safe("x\u{9b}2Jy\u{7f}\r\n\t\u{7}"),
            "x\u{fffd}2Jy\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}"
        );
        assert_eq!(
            display_safe("\u{202A}\u{202B}\u{202C}\u{202D}\u{2067}\u{2068}")
                .chars()
                .filter(|&c| c == '\u{fffd}')
                .count(),
            6
        );
        assert_eq!(display_safe(""), "");
    }
}
