//! Small helpers for human output: short ids, local times, names, wrapping, and making text
//! that came from peers safe to print.

use std::borrow::Cow;

use anyhow::Result;
use chrono::{Local, TimeZone};
use hearth_core::{Id, Journal, PartnerId, Timestamp};

/// The short form of an id that lists show: its last six characters (the random part of a
/// ULID), or the whole id when it is not a ULID.
pub(crate) fn short(id: &Id) -> String {
    let s = id.as_str();
    if s.len() == 26 && s.is_ascii() {
        s[20..].to_owned()
    } else {
        s.to_owned()
    }
}

/// Finds the one id among `ids` that `needle` names: the whole id, or its end or start (at
/// least four characters), case-insensitively.
pub(crate) fn resolve(kind: &str, ids: impl IntoIterator<Item = Id>, needle: &str) -> Result<Id> {
    let needle = needle.trim();
    let upper = needle.to_ascii_uppercase();
    let ids: Vec<Id> = ids.into_iter().collect();
    if let Some(id) = ids
        .iter()
        .find(|id| id.as_str().eq_ignore_ascii_case(needle))
    {
        return Ok(id.clone());
    }
    if needle.chars().count() < 4 {
        anyhow::bail!(
            "{needle:?} is too short to name a {kind}; give at least four characters of its id"
        );
    }
    let matching = |f: &dyn Fn(&str) -> bool| -> Vec<&Id> {
        ids.iter()
            .filter(|id| f(&id.as_str().to_ascii_uppercase()))
            .collect()
    };
    let mut found = matching(&|s| s.ends_with(&upper));
    if found.is_empty() {
        found = matching(&|s| s.starts_with(&upper));
    }
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => anyhow::bail!("no {kind} has the id {needle:?}; list them to see their ids"),
        _ => anyhow::bail!("{needle:?} matches more than one {kind}; give more of its id"),
    }
}

/// A time in the local zone, for people: `Fri 12 Jun 2026, 19:30`.
pub(crate) fn when(t: Timestamp) -> String {
    match Local.timestamp_millis_opt(t.millis()).single() {
        Some(local) => local.format("%a %-d %b %Y, %H:%M").to_string(),
        None => t.to_string(),
    }
}

/// A partner's name, or a gentle placeholder; safe to print ([`safe`]).
pub(crate) fn name(j: &Journal, id: &PartnerId) -> String {
    j.partner(id)
        .map(|p| safe(&p.name).into_owned())
        .unwrap_or_else(|| "someone".to_owned())
}

/// A short string a peer may have written (a name, a device name, an id), safe to print: no
/// control characters or bidi overrides reach the terminal ([`hearth_core::display_safe`]).
pub(crate) fn safe(text: &str) -> Cow<'_, str> {
    hearth_core::display_safe(text)
}

/// The first `n` characters of `text` (all of it when shorter), cut at a character boundary
/// whatever the text holds.
pub(crate) fn prefix(text: &str, n: usize) -> &str {
    match text.char_indices().nth(n) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// Wraps text to lines of at most `width` characters, breaking at spaces where it can.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(8);
    let mut out = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let mut word = word.to_owned();
            while word.chars().count() > width {
                if !line.is_empty() {
                    out.push(std::mem::take(&mut line));
                }
                let head: String = word.chars().take(width).collect();
                word = word.chars().skip(width).collect();
                out.push(head);
            }
            let needed =
                line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
            if needed > width && !line.is_empty() {
                out.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        out.push(line);
    }
    if out.is_empty() {
        out.push(String::new());
    }
    out
}

/// Pads or cuts `text` to exactly `width` characters.
pub(crate) fn cell(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n >= width {
        text.chars().take(width).collect()
    } else {
        format!("{text}{}", " ".repeat(width - n))
    }
}

/// "1 note", "2 notes".
pub(crate) fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_resolve_by_end_or_start() {
        let ids = vec![
            Id::from("01JABCDEFGHJKMNPQRSTVWXYZ0"),
            Id::from("01JABCDEFGHJKMNPQRSTVWXYZ1"),
        ];
        assert_eq!(
            resolve("note", ids.clone(), "xyz1").unwrap().as_str(),
            "01JABCDEFGHJKMNPQRSTVWXYZ1"
        );
        assert!(resolve("note", ids.clone(), "01JA").is_err(), "ambiguous");
        assert!(resolve("note", ids.clone(), "zz").is_err(), "too short");
        assert!(resolve("note", ids, "QQQQ").is_err(), "unknown");
    }

    #[test]
    fn prefixes_cut_at_character_boundaries() {
        assert_eq!(prefix("abcdef", 3), "abc");
        assert_eq!(prefix("ab", 10), "ab");
        assert_eq!(prefix("", 4), "");
        assert_eq!(prefix("ééééééééééé", 10), "éééééééééé");
        assert_eq!(prefix("aé\u{1f600}b", 3), "aé\u{1f600}");
        for n in 0..12 {
            let _ = prefix("x\u{e9}\u{1b}\u{202e}\u{1f600}yz", n);
        }
    }

    #[test]
    fn wrapping_keeps_every_word() {
        let lines = wrap("Thank you for the coffee this morning, love", 12);
        assert!(lines.iter().all(|l| l.chars().count() <= 12));
        assert_eq!(
            lines.join(" "),
            "Thank you for the coffee this morning, love"
        );
        assert_eq!(wrap("abcdefghijklmnopqrstuvwxyz", 10).len(), 3);
    }
}
