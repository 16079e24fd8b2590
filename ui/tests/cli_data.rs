//! Getting the journal out: JSON, Markdown and iCalendar exports, and a backup restored into a
//! new profile.
#![allow(clippy::unwrap_used)]

use hearth_test_kit::cli::Device;
use icalendar::{Calendar, Component};

fn ics_events(text: &str) -> Vec<(String, String)> {
    let cal: Calendar = text.parse().unwrap_or_else(|e| panic!("{e}\n{text}"));
    cal.events()
        .map(|e| {
            (
                e.get_uid().unwrap().to_owned(),
                e.get_summary().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn every_export_format_reads_back() {
    let ana = Device::person("Ana");
    ana.ok(&[
        "note",
        "Thank you for the *soup* & the [bread]",
        "--wall-safe",
    ]);
    ana.ok(&["note", "I loved our walk"]);
    ana.ok(&[
        "date",
        "plan",
        "--title",
        "Picnic by the river",
        "--when",
        "2030-06-12T18:00:00Z",
        "--until",
        "2030-06-12T21:00:00Z",
        "--place",
        "River park",
        "--tech-free",
    ]);
    ana.ok(&["date", "plan", "--title", "Pottery class, someday"]);
    ana.ok(&[
        "checkin",
        "--mood",
        "4",
        "--closeness",
        "5",
        "--note",
        "a good day",
    ]);
    ana.ok(&[
        "i-statement",
        "write",
        "--feeling",
        "I felt alone at the party",
    ]);

    // JSON: the typed structs.
    let json = ana.json(&["export", "--format", "json"]);
    assert_eq!(json["format"], 1);
    assert_eq!(json["appreciations"].as_array().unwrap().len(), 2);
    assert_eq!(json["dates"].as_array().unwrap().len(), 2);
    assert_eq!(json["checkins"][0]["mood"], 4);
    assert_eq!(json["partners"][0]["name"], "Ana");

    // Markdown: readable, with the private draft in its own marked section.
    let md_path = ana.file("journal.md");
    ana.ok(&[
        "export",
        "--format",
        "markdown",
        "--out",
        md_path.to_str().unwrap(),
    ]);
    let md = std::fs::read_to_string(&md_path).unwrap();
    assert!(md.contains("I loved our walk"), "{md}");
    assert!(
        md.contains("\\*soup\\*"),
        "formatting characters are escaped: {md}"
    );
    assert!(md.contains("Picnic by the river"));
    assert!(md.contains("## Private"), "{md}");
    assert!(md.contains("I felt alone at the party"));

    // iCalendar: one event per timed date, with a UID derived from the date's id.
    let picnic_id = json["dates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["title"] == "Picnic by the river")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ics_path = ana.file("dates.ics");
    ana.ok(&[
        "export",
        "--format",
        "ics",
        "--out",
        ics_path.to_str().unwrap(),
    ]);
    let first = ics_events(&std::fs::read_to_string(&ics_path).unwrap());
    assert_eq!(
        first,
        vec![(
            format!("{picnic_id}@hearth"),
            "Picnic by the river".to_owned()
        )]
    );
    // Changed and exported again: the same UID, so a calendar updates the event.
    ana.ok(&["date", "edit", &picnic_id, "--title", "Picnic at the lake"]);
    let again = ics_events(&ana.ok(&["export", "--format", "ics"]));
    assert_eq!(
        again,
        vec![(
            format!("{picnic_id}@hearth"),
            "Picnic at the lake".to_owned()
        )]
    );
}

#[test]
fn a_backup_restores_into_a_new_profile() {
    let ana = Device::person("Ana");
    ana.ok(&["note", "First note"]);
    ana.ok(&["note", "Second note", "--wall-safe"]);
    let backup = ana.file("journal.age");
    let out = hearth_test_kit::cli::run({
        let mut c = ana.cmd(&["backup", "--out", backup.to_str().unwrap()]);
        c.env("HEARTH_PASSPHRASE", "correct horse");
        c
    });
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("Backup written"), "{}", out.stdout);

    // A wrong passphrase makes nothing.
    let target = Device::empty();
    let wrong = hearth_test_kit::cli::run({
        let mut c = target.cmd(&["restore", backup.to_str().unwrap()]);
        c.env("HEARTH_PASSPHRASE", "battery staple");
        c
    });
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains("wrong passphrase"),
        "{}",
        wrong.stderr
    );
    assert!(!target.dir.exists(), "nothing was made");

    let restored = hearth_test_kit::cli::run({
        let mut c = target.cmd(&["restore", backup.to_str().unwrap()]);
        c.env("HEARTH_PASSPHRASE", "correct horse");
        c
    });
    assert_eq!(restored.code, 0, "{}", restored.stderr);
    assert_eq!(target.wall_texts(), ana.wall_texts());
    assert_eq!(target.wall_texts(), vec!["Second note", "First note"]);
    // The restored device is Ana's and can write.
    target.ok(&["note", "Back again"]);
}

/// A damaged store is reported in plain words with a way out that works: the backup goes in
/// its place with `restore --replace`, and the damaged profile stays beside it, untouched.
#[test]
fn a_damaged_profile_is_replaced_by_its_backup() {
    let ana = Device::person("Ana");
    ana.ok(&["note", "Kept safe"]);
    let backup = ana.file("journal.age");
    assert_eq!(
        hearth_test_kit::cli::with_passphrase(
            &ana,
            &["backup", "--out", backup.to_str().unwrap()],
            "pw"
        )
        .code,
        0
    );
    let store = ana.dir.join("journal.redb");
    let bytes = std::fs::read(&store).unwrap();
    std::fs::write(&store, &bytes[..bytes.len() / 3]).unwrap();

    let broken = ana.run(&["wall"]);
    assert_ne!(broken.code, 0);
    assert!(broken.stderr.contains("damaged"), "{}", broken.stderr);
    assert!(broken.stderr.contains("--replace"), "{}", broken.stderr);
    assert!(!broken.stderr.contains("database"), "{}", broken.stderr);
    // Without --replace nothing is touched.
    let refused =
        hearth_test_kit::cli::with_passphrase(&ana, &["restore", backup.to_str().unwrap()], "pw");
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("--replace"), "{}", refused.stderr);
    // A wrong passphrase leaves the damaged profile where it was.
    let wrong = hearth_test_kit::cli::with_passphrase(
        &ana,
        &["restore", backup.to_str().unwrap(), "--replace"],
        "not it",
    );
    assert_ne!(wrong.code, 0);
    assert_eq!(std::fs::read(&store).unwrap().len(), bytes.len() / 3);

    let replaced = hearth_test_kit::cli::with_passphrase(
        &ana,
        &["restore", backup.to_str().unwrap(), "--replace"],
        "pw",
    );
    assert_eq!(replaced.code, 0, "{}", replaced.stderr);
    assert!(
        replaced.stdout.contains("is kept, untouched"),
        "{}",
        replaced.stdout
    );
    assert_eq!(ana.wall_texts(), ["Kept safe"]);
    let parent = ana.dir.parent().unwrap();
    let aside: Vec<_> = std::fs::read_dir(parent)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("profile.replaced-")
        })
        .collect();
    assert_eq!(aside.len(), 1, "the damaged profile is kept beside it");
    assert_eq!(
        std::fs::read(aside[0].path().join("journal.redb"))
            .unwrap()
            .len(),
        bytes.len() / 3
    );
}

/// A backup says which device it was made on, so restoring it always guesses the same owner
/// (with or without private entries in it), names the new device apart from the old one, and
/// offers to revoke the old one.
#[test]
fn a_restored_device_is_its_backups_owners_and_named_apart() {
    let ana = Device::person("Ana");
    let ben = Device::person("Ben");
    hearth_test_kit::cli::pair(&ana, &ben, "partner");
    ana.ok(&["note", "Before the phone broke"]);
    let backup = ana.file("ana.age");
    assert_eq!(
        hearth_test_kit::cli::with_passphrase(
            &ana,
            &["backup", "--out", backup.to_str().unwrap()],
            "pw"
        )
        .code,
        0
    );
    let new_phone = Device::empty();
    let restored = hearth_test_kit::cli::with_passphrase(
        &new_phone,
        &["restore", backup.to_str().unwrap()],
        "pw",
    );
    assert_eq!(
        restored.code, 0,
        "two partners, no private entries: {}",
        restored.stderr
    );
    assert!(
        restored.stdout.contains("as \"Ana's device (restored)\""),
        "{}",
        restored.stdout
    );
    assert!(
        restored.stdout.contains("hearth revoke"),
        "{}",
        restored.stdout
    );
    let status = new_phone.ok(&["status"]);
    assert!(
        status.contains("Ana's device (restored) · Ana's device"),
        "{status}"
    );
}
