//! Bad input gets a clear message and the right exit code, and changes nothing: 2 for a usage
//! mistake, 1 for anything refused, with `error: ...` on stderr.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use hearth_test_kit::cli::{Device, LOOPBACK};

/// Runs `args`, expects `code` and `needle` on stderr, and checks the wall did not change.
fn refused(d: &Device, args: &[&str], code: i32, needle: &str) {
    let before = d.wall();
    let out = d.run(args);
    assert_eq!(
        out.code, code,
        "{args:?}\nstdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert!(
        out.stderr.contains(needle),
        "{args:?}: expected {needle:?} in:\n{}",
        out.stderr
    );
    if code == 1 {
        assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
        // One line says what went wrong; a second, if any, is the command line's hint.
        let lines: Vec<&str> = out.stderr.trim().lines().collect();
        assert!(
            lines.len() == 1 || (lines.len() == 2 && lines[1].starts_with("hint: ")),
            "one line and perhaps a hint: {}",
            out.stderr
        );
    }
    assert_eq!(d.wall(), before, "{args:?} changed the journal");
}

#[test]
fn usage_mistakes_exit_2() {
    let ana = Device::person("Ana");
    ana.ok(&["note", "Already here"]);
    refused(
        &ana,
        &["note", "hi", "--frobnicate"],
        2,
        "unexpected argument",
    );
    refused(&ana, &["wall", "--limit", "many"], 2, "invalid value");
    refused(
        &ana,
        &[
            "date",
            "plan",
            "--title",
            "Picnic",
            "--when",
            "next tuesday",
        ],
        2,
        "is not a time",
    );
    refused(
        &ana,
        &[
            "date",
            "plan",
            "--title",
            "Picnic",
            "--when",
            "2030-02-30T10:00:00Z",
        ],
        2,
        "is not a time",
    );
    refused(
        &ana,
        &["checkin", "--mood", "6", "--closeness", "3"],
        2,
        "not in 1..=5",
    );
    refused(&ana, &["export", "--format", "pdf"], 2, "invalid value");
}

#[test]
fn refused_input_exits_1_and_changes_nothing() {
    let ana = Device::person("Ana");
    ana.ok(&["note", "Already here"]);
    refused(&ana, &["note", "   "], 1, "the note is empty");
    refused(&ana, &["note", ""], 1, "write something first");
    let long = "x".repeat(10_001);
    refused(&ana, &["note", &long], 1, "it can hold at most 10 000");
    // An output that is not a regular file (here a named pipe; a device such as /dev/full the
    // same) is refused, not replaced by the renamed temporary file.
    let fifo = ana.file("pipe");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let fifo_arg = fifo.to_str().unwrap().to_owned();
    refused(
        &ana,
        &["export", "--format", "json", "--out", &fifo_arg],
        1,
        "not a regular file",
    );
    {
        use std::os::unix::fs::FileTypeExt;
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    }
    refused(
        &ana,
        &[
            "date",
            "plan",
            "--title",
            "Picnic",
            "--when",
            "2030-06-12T18:00:00Z",
            "--until",
            "2030-06-12T17:00:00Z",
        ],
        1,
        "must end after it starts",
    );
    refused(
        &ana,
        &[
            "date",
            "plan",
            "--title",
            "  ",
            "--when",
            "2030-06-12T18:00:00Z",
        ],
        1,
        "title is empty",
    );
    refused(&ana, &["react", "ZZZZZZ"], 1, "no note has the id");
    refused(&ana, &["delete", "no"], 1, "too short");
    refused(&ana, &["revoke", "Cleo's phone"], 1, "no device");
    let dates = ana.ok(&["--json", "dates"]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&dates).unwrap()["upcoming"],
        serde_json::json!([])
    );
}

#[test]
fn tickets_for_nobody_are_refused() {
    let ana = Device::person("Ana");
    let devices = || -> Vec<String> {
        ana.json(&["devices"])
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["endpoint_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let before = devices();
    refused(
        &ana,
        &["pair", "join", "HEARTHXNOTATICKET"],
        1,
        "not a valid pairing ticket",
    );
    refused(
        &ana,
        &["pair", "join", "HEARTHXNOTATICKET"],
        1,
        "hint: copy the whole ticket again",
    );
    refused(
        &ana,
        &["pair", "join", "hello"],
        1,
        "does not start with HEARTH2",
    );

    // The home display admits no one: the cause, then what to do instead, in the CLI's terms.
    let kitchen = Device::empty();
    kitchen.ok(&["init", "--display", "--name", "Kitchen"]);
    let out = kitchen.run(&["pair", "invite", "--timeout", "1", "--bind", LOOPBACK]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("a home display cannot invite"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("hint: make the ticket on a phone or laptop: hearth pair invite"),
        "{}",
        out.stderr
    );

    // A real ticket whose inviter has gone: it expires, and joining it reaches no one.
    let cleo = Device::person("Cleo");
    let mut invite = cleo
        .cmd(&["pair", "invite", "--timeout", "1", "--bind", LOOPBACK])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ticket = String::new();
    BufReader::new(invite.stdout.take().unwrap())
        .read_line(&mut ticket)
        .unwrap();
    let out = invite.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "nobody joined in time");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("expired"), "{stderr}");
    refused(
        &ana,
        &[
            "pair",
            "join",
            ticket.trim(),
            "--bind",
            LOOPBACK,
            "--timeout",
            "2",
        ],
        1,
        "could not pair",
    );
    assert_eq!(devices(), before, "no device was added");
}

#[test]
fn a_profile_held_by_a_process_without_a_socket_is_refused() {
    let ana = Device::person("Ana");
    ana.ok(&["note", "Already here"]);
    let before = ana.wall();
    {
        // This test process holds the profile, as `hearth pair invite` would: no socket.
        let _held = hearth_core::Profile::open(&ana.dir, None).unwrap();
        let out = ana.run(&["note", "Hello"]);
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert!(
            out.stderr.contains("in use by another Hearth process"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains("does not take commands"),
            "{}",
            out.stderr
        );
        let out = ana.run(&["init", "--name", "Ana"]);
        assert_eq!(out.code, 1);
        assert!(out.stderr.contains("already exists"), "{}", out.stderr);
    }
    assert_eq!(ana.wall(), before);
}

#[test]
fn passphrases_are_asked_for_and_checked() {
    // A backup without a passphrase (no variable, no terminal) is refused.
    let ana = Device::person("Ana");
    let backup = ana.file("b.age");
    refused(
        &ana,
        &["backup", "--out", backup.to_str().unwrap()],
        1,
        "needs a passphrase",
    );
    assert!(!backup.exists());

    // A sealed profile does not open without its passphrase, nor with a wrong one.
    let sealed = Device::empty();
    let made = hearth_test_kit::cli::run({
        let mut c = sealed.cmd(&["init", "--name", "Ben", "--passphrase"]);
        c.env("HEARTH_PASSPHRASE", "open sesame");
        c
    });
    assert_eq!(made.code, 0, "{}", made.stderr);
    let out = sealed.run(&["wall"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("sealed with a passphrase"),
        "{}",
        out.stderr
    );
    let wrong = hearth_test_kit::cli::run({
        let mut c = sealed.cmd(&["note", "hello"]);
        c.env("HEARTH_PASSPHRASE", "open barley");
        c
    });
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains("wrong passphrase"),
        "{}",
        wrong.stderr
    );
    let right = hearth_test_kit::cli::run({
        let mut c = sealed.cmd(&["note", "hello"]);
        c.env("HEARTH_PASSPHRASE", "open sesame");
        c
    });
    assert_eq!(right.code, 0, "{}", right.stderr);

    // No profile at all.
    let nobody = Device::empty();
    let out = nobody.run(&["wall"]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("no Hearth profile"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("hint: create one with hearth init --name NAME"),
        "{}",
        out.stderr
    );
}

#[test]
fn the_app_and_the_kiosk_take_network_settings_like_serve() {
    let ana = Device::person("Ana");
    for window in ["app", "kiosk"] {
        // Bad settings are refused before any window opens.
        refused(&ana, &[window, "--bind", "127.0.0.1:notaport"], 2, "port");
        refused(&ana, &[window, "--relay", "sometimes"], 1, "relay");
        let help = ana.ok(&[window, "--help"]);
        for flag in ["--bind", "--relay", "--mdns"] {
            assert!(help.contains(flag), "{window} --help lacks {flag}: {help}");
        }
    }
}
