//! Input the command line must refuse or read clearly: bidirectional control characters, an
//! empty HEARTH_PASSPHRASE, and a check-in window longer than the calendar.
#![allow(clippy::unwrap_used)]

use hearth_test_kit::cli::Device;

#[test]
fn bidi_controls_are_refused_like_other_control_characters() {
    let ana = Device::person("Ana");
    for text in ["pay \u{202E}gnp.exe", "left \u{2066}isolated\u{2069} right"] {
        let out = ana.run(&["note", text]);
        assert_eq!(out.code, 1, "accepted {text:?}: {}", out.stdout);
        assert!(out.stderr.contains("control character"), "{}", out.stderr);
    }
    let out = ana.run(&["date", "plan", "Picnic \u{202B}x"]);
    assert_ne!(
        out.code, 0,
        "a title with U+202B was accepted: {}",
        out.stdout
    );
    assert!(ana.wall_texts().is_empty());
}

#[test]
fn an_empty_hearth_passphrase_is_named_as_empty() {
    let ana = Device::empty();
    let made = hearth_test_kit::cli::run({
        let mut c = ana.cmd(&["init", "--name", "Ana", "--passphrase"]);
        c.env("HEARTH_PASSPHRASE", "a long enough passphrase");
        c
    });
    assert_eq!(made.code, 0, "{}", made.stderr);
    // Opening the sealed key.
    let mut wall = ana.cmd(&["wall"]);
    wall.env("HEARTH_PASSPHRASE", "");
    let out = hearth_test_kit::cli::run(wall);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("HEARTH_PASSPHRASE is set but empty"),
        "{}",
        out.stderr
    );
    // A passphrase of the command's own (a backup's).
    let plain = Device::person("Ben");
    let out_file = plain.file("b.age");
    let mut backup = plain.cmd(&["backup", "--out", out_file.to_str().unwrap()]);
    backup.env("HEARTH_PASSPHRASE", "");
    let out = hearth_test_kit::cli::run(backup);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("HEARTH_PASSPHRASE is set but empty"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_huge_check_in_window_shows_every_check_in() {
    let ana = Device::person("Ana");
    let long_ago = (chrono::Local::now().date_naive() - chrono::Days::new(400)).to_string();
    ana.ok(&[
        "checkin",
        "--mood",
        "3",
        "--closeness",
        "4",
        "--day",
        &long_ago,
    ]);
    ana.ok(&["checkin", "--mood", "5", "--closeness", "5"]);
    for days in ["100000000", "4294967295", "1000"] {
        let list = ana.json(&["checkins", "--days", days]);
        let days_seen: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["day"].as_str().unwrap())
            .collect();
        assert_eq!(days_seen.len(), 2, "--days {days}: {list}");
        assert!(
            days_seen.contains(&long_ago.as_str()),
            "--days {days}: {list}"
        );
    }
    let recent = ana.json(&["checkins", "--days", "14"]);
    assert_eq!(recent.as_array().unwrap().len(), 1, "{recent}");
}
