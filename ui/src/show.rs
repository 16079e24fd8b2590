//! Small helpers for human output: short ids, local times, names, wrapping, and making text
//! that came from peers safe to print.

use std::borrow::Cow;

use anyhow::Result;
use chrono::Local;
use hearth_core::{Collection, Id, Journal, PartnerId, Timestamp};

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

/// "a note", "an idea", "an \"I\" statement": the noun with its article.
pub(crate) fn a(noun: &str) -> String {
    let first = noun.chars().find(|c| c.is_alphabetic());
    let article = match first.map(|c| c.to_ascii_lowercase()) {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    };
    format!("{article} {noun}")
}

/// Finds the one id among `ids` that `needle` names: the whole id, or its end or start (at
/// least four characters), case-insensitively. The brackets lists print around short ids may
/// be left on.
pub(crate) fn resolve(kind: &str, ids: impl IntoIterator<Item = Id>, needle: &str) -> Result<Id> {
    resolve_with_trash(kind, ids, Vec::new(), needle)
}

/// The ids of what is in the trash from these collections (all of them when empty), for
/// [`resolve_with_trash`].
pub(crate) fn trashed(j: &Journal, collections: &[Collection]) -> Vec<Id> {
    j.trash()
        .into_iter()
        .filter(|t| collections.is_empty() || collections.contains(&t.collection))
        .map(|t| t.id)
        .collect()
}

/// As [`resolve`]; when nothing in `ids` matches but something in `trashed` does, says that it
/// is in the trash and how to bring it back, rather than that nothing has the id.
pub(crate) fn resolve_with_trash(
    kind: &str,
    ids: impl IntoIterator<Item = Id>,
    trashed: Vec<Id>,
    needle: &str,
) -> Result<Id> {
    let needle = needle
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim();
    let ids: Vec<Id> = ids.into_iter().collect();
    if let Some(id) = ids
        .iter()
        .find(|id| id.as_str().eq_ignore_ascii_case(needle))
    {
        return Ok(id.clone());
    }
    let shown = safe(needle);
    if needle.chars().count() < 4 {
        anyhow::bail!(
            "{shown:?} is too short to name {}; give at least four characters of its id",
            a(kind)
        );
    }
    let found = matching(&ids, needle);
    match found.as_slice() {
        [one] => Ok((*one).clone()),
        [] => match matching(&trashed, needle).as_slice() {
            [one] => anyhow::bail!(
                "the {kind} {} is in the trash; bring it back first with `hearth trash restore {}`",
                short(one),
                short(one)
            ),
            _ => anyhow::bail!("no {kind} has the id {shown:?}; list them to see their ids"),
        },
        many => anyhow::bail!(
            "{shown:?} matches {} {} ({}); give more of its id",
            many.len(),
            plural(kind),
            many.iter()
                .take(5)
                .map(|id| short(id))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// "notes", "items in the trash".
fn plural(kind: &str) -> String {
    match kind.split_once(" in ") {
        Some((head, tail)) => format!("{head}s in {tail}"),
        None => format!("{kind}s"),
    }
}

/// The ids that `needle` (four characters or more) starts or ends, each once.
fn matching<'a>(ids: &'a [Id], needle: &str) -> Vec<&'a Id> {
    let upper = needle.to_ascii_uppercase();
    let mut out: Vec<&Id> = Vec::new();
    for id in ids {
        let s = id.as_str().to_ascii_uppercase();
        if (s.ends_with(&upper) || s.starts_with(&upper)) && !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

/// A time in the local zone, for people: `Fri 12 Jun 2026, 19:30`.
pub(crate) fn when(t: Timestamp) -> String {
    hearth_core::views::format::local_time(&Local, t)
}

/// An error and its causes in one line, as `{e:#}` writes them, but without a cause whose text
/// the line already holds: an error that words its own source ("could not write the backup:
/// No space left on device (os error 28); check ...") would otherwise repeat the OS error.
pub(crate) fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if text.is_empty() || out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

/// What the command line can suggest for an error, in its own terms (commands and flags); the
/// library's words name only the cause.
pub(crate) fn advice(e: &anyhow::Error) -> Option<&'static str> {
    use hearth_core::ProfileError;
    use hearth_sync::{CannotPair, SyncError, TicketProblem};
    e.chain().find_map(|cause| {
        if let Some(e) = cause.downcast_ref::<SyncError>() {
            return match e {
                SyncError::CannotPair(c) => match c {
                    CannotPair::DisplayInvites => {
                        Some("make the ticket on a phone or laptop: hearth pair invite")
                    }
                    CannotPair::NotAMemberYet => {
                        Some("pair this device from one of your devices first: hearth pair join")
                    }
                    CannotPair::PartnerAlreadyIn => Some(
                        "to add another of your partner's devices, they invite it from one of \
                         theirs: hearth pair invite --for me",
                    ),
                    CannotPair::OwnTicket => Some("use the ticket on the other device"),
                    CannotPair::TicketForDisplay => Some(
                        "set the display up as one (hearth init --display --name NAME), or ask \
                         for a ticket for this device",
                    ),
                    CannotPair::DisplayNeedsDisplayTicket => {
                        Some("ask for a display ticket: hearth pair invite --for display")
                    }
                    CannotPair::InAnotherJournal => Some(
                        "set up a new profile to join this journal: hearth --profile DIR init --name NAME",
                    ),
                    _ => None,
                },
                SyncError::BadTicket(TicketProblem::OlderVersion) => {
                    Some("update Hearth on the inviting device, or ask it for a new ticket")
                }
                SyncError::BadTicket(_) => Some("copy the whole ticket again"),
                _ => None,
            };
        }
        match cause.downcast_ref::<ProfileError>()? {
            ProfileError::NotFound { .. } => {
                Some("create one with hearth init --name NAME, or pass --profile DIR")
            }
            ProfileError::NoDataDir => Some("pass --profile DIR"),
            _ => None,
        }
    })
}

/// Fields that hold a time in epoch milliseconds.
const TIME_FIELDS: &[&str] = &[
    "created",
    "when",
    "start",
    "end",
    "at",
    "purge_after",
    "last_sync",
    "updated",
];

/// Fields that hold (partner, time) pairs or a (time, ...) tuple.
const PAIR_TIME_FIELDS: &[&str] = &["released"];
const TUPLE_TIME_FIELDS: &[&str] = &["acknowledged"];

/// `value` as JSON for `--json` output, with a name next to every partner id and an RFC 3339
/// time beside every epoch-milliseconds time: a field `by` that holds a partner's id gets
/// `by_name`, a time `created` gets `created_time`, a list of (partner, ...) pairs such as
/// `reactions` or `reflections` gets `reactions_names` (in the same order). Fields already
/// there are left as they are.
pub(crate) fn named<T: serde::Serialize + ?Sized>(
    j: &Journal,
    value: &T,
) -> Result<serde_json::Value> {
    let mut v = serde_json::to_value(value)?;
    let partners: Vec<(String, String)> = j
        .partners()
        .into_iter()
        .map(|p| (p.id.to_string(), safe(&p.name).into_owned()))
        .collect();
    add_names(&mut v, &partners);
    Ok(v)
}

fn add_names(v: &mut serde_json::Value, partners: &[(String, String)]) {
    use serde_json::Value;
    let name_of = |v: &Value| -> Option<String> {
        let s = v.as_str()?;
        partners
            .iter()
            .find(|(id, _)| id == s)
            .map(|(_, n)| n.clone())
    };
    let time_of = |v: &Value| -> Option<String> {
        let ms = v.as_i64()?;
        (0..=253_402_300_799_999)
            .contains(&ms)
            .then(|| rfc3339(Timestamp::from_millis(ms)))
    };
    match v {
        Value::Array(items) => items.iter_mut().for_each(|x| add_names(x, partners)),
        Value::Object(map) => {
            let mut extra: Vec<(String, Value)> = Vec::new();
            for (k, x) in map.iter() {
                if k == "id" {
                    continue;
                }
                if let Some(name) = name_of(x) {
                    let same = map.get("name").and_then(Value::as_str) == Some(name.as_str());
                    if !same {
                        extra.push((format!("{k}_name"), Value::String(name)));
                    }
                } else if TIME_FIELDS.contains(&k.as_str()) || k.ends_with("_at") {
                    if let Some(t) = time_of(x) {
                        extra.push((format!("{k}_time"), Value::String(t)));
                    }
                } else if let Value::Array(pairs) = x {
                    let firsts: Vec<Option<String>> = pairs
                        .iter()
                        .map(|p| p.as_array().and_then(|p| p.first()).and_then(name_of))
                        .collect();
                    if !pairs.is_empty() && firsts.iter().all(Option::is_some) {
                        let names = firsts.into_iter().flatten().map(Value::String).collect();
                        extra.push((format!("{k}_names"), Value::Array(names)));
                    }
                    if PAIR_TIME_FIELDS.contains(&k.as_str()) {
                        let times: Option<Vec<Value>> = pairs
                            .iter()
                            .map(|p| {
                                p.as_array()
                                    .and_then(|p| p.get(1))
                                    .and_then(time_of)
                                    .map(Value::String)
                            })
                            .collect();
                        if let Some(times) = times.filter(|t| !t.is_empty()) {
                            extra.push((format!("{k}_times"), Value::Array(times)));
                        }
                    }
                    if TUPLE_TIME_FIELDS.contains(&k.as_str())
                        && let Some(t) = pairs.first().and_then(time_of)
                    {
                        extra.push((format!("{k}_time"), Value::String(t)));
                    }
                }
            }
            for x in map.values_mut() {
                add_names(x, partners);
            }
            for (k, x) in extra {
                map.entry(k).or_insert(x);
            }
        }
        _ => {}
    }
}

/// A time in RFC 3339 (UTC), as JSON shows it beside the epoch milliseconds.
pub(crate) fn rfc3339(t: Timestamp) -> String {
    t.to_string()
}

/// When a date is on: `Fri 12 Jun 2026, 19:30`, with its end when it has one (`to 22:00` the
/// same day, the whole time on another day).
pub(crate) fn span(start: Timestamp, end: Option<Timestamp>) -> String {
    hearth_core::views::format::local_span(&Local, start, end)
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
    fn a_unique_start_names_an_id_as_well_as_an_end() {
        let ids = vec![
            Id::from("01JABCDEFGHJKMNPQRSTVWXYZ0"),
            Id::from("01KQQQQQQQQQQQQQQQQQQ12345"),
        ];
        for needle in ["01KQ", "01kqqq", "12345", "[12345]", " 2345 "] {
            assert_eq!(
                resolve("note", ids.clone(), needle).unwrap().as_str(),
                "01KQQQQQQQQQQQQQQQQQQ12345",
                "{needle:?}"
            );
        }
        // One id's start and another's end: ambiguous, not silently the end.
        let ids = vec![
            Id::from("01JABCDEFGHJKMNPQRSTVWXYZ0"),
            Id::from("01KQQQQQQQQQQQQQQQQQQ101JA"),
        ];
        let err = resolve("note", ids, "01JA").unwrap_err().to_string();
        assert!(err.contains("matches 2 notes"), "{err}");
    }

    #[test]
    fn a_trashed_id_is_said_to_be_in_the_trash() {
        let live = vec![Id::from("01JABCDEFGHJKMNPQRSTVWXYZ0")];
        let gone = vec![Id::from("01JABCDEFGHJKMNPQRST5763Z7")];
        let err = resolve_with_trash("note", live, gone, "5763Z7")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("is in the trash") && err.contains("hearth trash restore 5763Z7"),
            "{err}"
        );
    }

    #[test]
    fn an_error_chain_does_not_repeat_a_cause_already_worded() {
        #[derive(Debug)]
        struct Outer(std::io::Error);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(
                    f,
                    "could not write the backup: {}; check free disk space",
                    self.0
                )
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let io = std::io::Error::other("No space left on device (os error 28)");
        let e = anyhow::Error::new(Outer(io)).context("backup failed");
        let line = error_chain(&e);
        assert_eq!(line.matches("os error 28").count(), 1, "{line}");
        assert!(
            line.starts_with("backup failed: could not write the backup"),
            "{line}"
        );
        assert_eq!(format!("{e:#}").matches("os error 28").count(), 2);
    }

    #[test]
    fn json_gets_names_beside_ids_and_times_beside_milliseconds() {
        let mut j = Journal::new(b"actor-a").unwrap();
        let ana = j
            .add_partner("Ana", "#d9825b", Timestamp(1_767_225_600_000))
            .unwrap();
        let v = serde_json::json!({
            "id": ana.as_str(),
            "author": ana.as_str(),
            "created": 1_767_225_600_000_i64,
            "mood": 3,
            "reactions": [[ana.as_str(), "❤"]],
            "released": [[ana.as_str(), 1_767_225_600_000_i64]],
            "steps": [{"by": ana.as_str(), "at": 1_767_225_600_000_i64}],
        });
        let out = named(&j, &v).unwrap();
        assert_eq!(out["author_name"], "Ana", "{out}");
        assert!(out.get("id_name").is_none(), "{out}");
        assert_eq!(out["created_time"], "2026-01-01T00:00:00Z", "{out}");
        assert!(out.get("mood_time").is_none(), "{out}");
        assert_eq!(out["reactions_names"][0], "Ana", "{out}");
        assert_eq!(out["released_names"][0], "Ana", "{out}");
        assert_eq!(out["released_times"][0], "2026-01-01T00:00:00Z", "{out}");
        assert_eq!(out["steps"][0]["by_name"], "Ana", "{out}");
        assert_eq!(out["steps"][0]["at_time"], "2026-01-01T00:00:00Z", "{out}");
    }

    #[test]
    fn nouns_get_the_right_article() {
        assert_eq!(a("item"), "an item");
        assert_eq!(a("note"), "a note");
        assert_eq!(a("\"I\" statement"), "an \"I\" statement");
        let err = resolve("item", vec![Id::from("01JABCDEFGHJKMNPQRSTVWXYZ0")], "ab")
            .unwrap_err()
            .to_string();
        assert!(err.contains("to name an item"), "{err}");
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
