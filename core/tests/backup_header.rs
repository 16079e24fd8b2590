//! A backup whose header is damaged is told apart from a wrong passphrase wherever the two
//! can be told apart; where they cannot (a changed salt or sealed key looks like a wrong
//! passphrase to the cryptography), the message names both.
#![allow(clippy::unwrap_used)]

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use hearth_core::backup::{self, BackupError, Manifest};
use hearth_core::keys::SecretString;

fn pass() -> SecretString {
    SecretString::from("a long backup passphrase")
}

fn make_backup() -> Vec<u8> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "title", "shared").unwrap();
    backup::write(
        Vec::new(),
        &pass(),
        &Manifest::new(chrono::DateTime::UNIX_EPOCH, "phone", vec!["Sam".into()]),
        &doc.save(),
        None,
        Some(2),
    )
    .unwrap()
}

/// The byte range of the header line that starts with `prefix`.
fn line_starting(bytes: &[u8], prefix: &[u8]) -> std::ops::Range<usize> {
    let start = bytes
        .windows(prefix.len())
        .position(|w| w == prefix)
        .unwrap();
    let end = start + bytes[start..].iter().position(|&b| b == b'\n').unwrap();
    start..end
}

#[test]
fn a_damaged_header_checksum_is_not_a_wrong_passphrase() {
    let bytes = make_backup();
    // "--- MAC": the passphrase opens the sealed key, then the header's checksum fails.
    let mac = line_starting(&bytes, b"--- ");
    for offset in [mac.start + 4, mac.start + 10, mac.end - 2] {
        let mut damaged = bytes.clone();
        damaged[offset] = if damaged[offset] == b'A' { b'B' } else { b'A' };
        let err = backup::read(&damaged[..], &pass()).unwrap_err();
        assert!(
            matches!(err, BackupError::DamagedHeader { .. }),
            "flip at {offset}: {err}"
        );
        let text = err.to_string();
        assert!(text.contains("header is damaged"), "{text}");
        assert!(!text.contains("wrong passphrase"), "{text}");
    }
}

#[test]
fn a_malformed_passphrase_stanza_is_not_a_wrong_passphrase() {
    let bytes = make_backup();
    let stanza = line_starting(&bytes, b"-> scrypt ");
    // The work factor's digits turned into a letter: the line no longer parses.
    let mut damaged = bytes.clone();
    damaged[stanza.end - 1] = b'x';
    let err = backup::read(&damaged[..], &pass()).unwrap_err();
    assert!(matches!(err, BackupError::DamagedHeader { .. }), "{err}");
    assert!(!err.to_string().contains("wrong passphrase"), "{err}");
}

#[test]
fn a_wrong_passphrase_says_the_header_may_be_damaged_too() {
    let bytes = make_backup();
    let err = backup::read(&bytes[..], &SecretString::from("not it")).unwrap_err();
    assert!(matches!(err, BackupError::WrongPassphrase), "{err}");
    let text = err.to_string();
    assert!(text.contains("wrong passphrase"), "{text}");
    assert!(text.contains("damaged"), "{text}");
}
