//! Regression: strings that come from peers (device names, partner names, endpoint ids) never
//! reach the terminal raw, and odd ones never make `hearth devices` panic. The journal is
//! written here as a peer could write it, with Automerge directly, past the checks of the
//! journal's own API (which refuses control characters on input).
#![allow(clippy::unwrap_used)]

use automerge::transaction::Transactable;
use automerge::{ObjType, ROOT, ReadDoc};
use hearth_core::{DocKind, Profile};
use hearth_test_kit::cli::Device;

/// A device name with an escape sequence (red), a right-to-left override, an isolate, a bell
/// and a C1 CSI (clear screen).
const EVIL_NAME: &str = "\u{1b}[31mEve's \u{202E}enohp\u{2066} \u{7}\u{9b}2J";
/// A partner name with the same tricks.
const EVIL_PARTNER: &str = "\u{1b}]0;pwned\u{7}Ana\u{202E}\u{2069}\u{202A}";
/// An endpoint id with a two-byte character across byte 10, where lists cut ids.
const EVIL_ID: &str = "012345678\u{e9}-not-a-key";

/// What must never be printed raw.
fn steering(text: &str) -> Vec<char> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || ('\u{202A}'..='\u{202E}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        })
        .collect()
}

fn assert_clean(what: &str, out: &hearth_test_kit::cli::Out) {
    assert_eq!(
        out.code, 0,
        "{what} failed:\nstdout: {:?}\nstderr: {:?}",
        out.stdout, out.stderr
    );
    assert!(
        !out.stdout.as_bytes().contains(&0x1b),
        "{what}: ESC in stdout: {:?}",
        out.stdout
    );
    assert!(
        !out.stdout.contains('\u{202E}'),
        "{what}: U+202E in stdout: {:?}",
        out.stdout
    );
    assert_eq!(
        steering(&out.stdout),
        Vec::<char>::new(),
        "{what}: {:?}",
        out.stdout
    );
    assert_eq!(
        steering(&out.stderr),
        Vec::<char>::new(),
        "{what}: {:?}",
        out.stderr
    );
}

/// Writes a partner name and a whole device record into the profile's shared journal, as a
/// peer's change would bring them.
fn plant_peer_records(dir: &std::path::Path) {
    let mut replica = hearth_core::Replica::open(Profile::open(dir, None).unwrap()).unwrap();
    let ana = replica.journal().partners().into_iter().next().unwrap();
    let recipient = replica.profile().keys().recipient_string();
    let doc = replica.journal_mut().doc_mut(DocKind::Shared);
    let (_, partners) = doc.get(ROOT, "partners").unwrap().unwrap();
    let (_, me) = doc.get(&partners, ana.id.as_str()).unwrap().unwrap();
    doc.put(&me, "name", EVIL_PARTNER).unwrap();
    let (_, devices) = doc.get(ROOT, "devices").unwrap().unwrap();
    let dev = doc.put_object(&devices, EVIL_ID, ObjType::Map).unwrap();
    doc.put(&dev, "age_recipient", recipient.as_str()).unwrap();
    doc.put(&dev, "owner", ana.id.as_str()).unwrap();
    doc.put(&dev, "kind", "personal").unwrap();
    doc.put(&dev, "name", EVIL_NAME).unwrap();
    doc.put(&dev, "added_at", 1_767_225_600_000_i64).unwrap();
    replica.commit().unwrap();
}

fn check_listing(ana: &Device, how: &str) {
    let human = ana.run(&["devices"]);
    assert_clean(&format!("devices ({how})"), &human);
    // The record is listed, its id cut at a character boundary, its name made harmless.
    assert!(
        human.stdout.contains("[012345678\u{e9}]"),
        "{how}: {}",
        human.stdout
    );
    assert!(
        human
            .stdout
            .contains("\u{fffd}[31mEve's \u{fffd}enohp\u{fffd}"),
        "{how}: {}",
        human.stdout
    );
    assert!(human.stdout.contains("Ana"), "{how}: {}", human.stdout);

    let json = ana.run(&["--json", "devices"]);
    assert_clean(&format!("devices --json ({how})"), &json);
    // JSON escapes what it must and keeps the values exactly.
    let list: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let planted = list
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["endpoint_id"] == EVIL_ID)
        .unwrap_or_else(|| panic!("{how}: the planted device is not listed: {list}"));
    assert_eq!(planted["name"], EVIL_NAME, "{how}");
}

#[test]
fn peer_strings_are_never_printed_raw() {
    let ana = Device::person("Ana");
    plant_peer_records(&ana.dir);

    // The profile opened by the command itself.
    check_listing(&ana, "local");

    // And carried out by a running `hearth serve` for another process.
    let serve = ana.serve();
    check_listing(&ana, "served");
    let wall = ana.run(&["wall"]);
    assert_clean("wall (served)", &wall);
    drop(serve);

    // Other commands that name devices and partners.
    let week = ana.run(&["week"]);
    assert_clean("week", &week);
    let revoke = ana.run(&["revoke", EVIL_ID]);
    assert_eq!(
        steering(&revoke.stdout),
        Vec::<char>::new(),
        "{:?}",
        revoke.stdout
    );
    assert_eq!(
        steering(&revoke.stderr),
        Vec::<char>::new(),
        "{:?}",
        revoke.stderr
    );
}
