//! Regression: logs never hold a command's arguments, a ticket or journal text, even at
//! `RUST_LOG=trace`: a forwarded command is logged by its name only. Two devices serve with
//! trace logging, pair through their sockets, and sync a note and a private draft; no log of any
//! process involved holds the words or the ticket.
#![allow(clippy::unwrap_used)]

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use hearth_test_kit::cli::{Device, Out};

/// A running `hearth serve` logging at trace level into a file.
fn serve_traced(dev: &Device, log: &Path) -> hearth_test_kit::cli::Serve {
    dev.serve_with(|c| {
        c.env("RUST_LOG", "trace")
            .stderr(File::create(log).unwrap());
    })
}

/// A command with trace logging on.
fn traced(dev: &Device, args: &[&str]) -> Command {
    let mut c = dev.cmd(args);
    c.env("RUST_LOG", "trace");
    c
}

fn unique(word: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{word}-{}-{nanos}", std::process::id())
}

/// Fails if `log` holds `secret` or any 16 characters in a row of it.
fn assert_not_in(what: &str, log: &str, secret: &str, name: &str) {
    let chars: Vec<char> = secret.chars().collect();
    let window = 16.min(chars.len());
    for piece in chars.windows(window) {
        let piece: String = piece.iter().collect();
        if let Some(at) = log.find(&piece) {
            let start = log[..at]
                .char_indices()
                .rev()
                .nth(200)
                .map_or(0, |(i, _)| i);
            let end = (at + 400).min(log.len());
            let end = (end..=log.len())
                .find(|&i| log.is_char_boundary(i))
                .unwrap_or(log.len());
            panic!(
                "{what} holds part of the {name} ({piece:?}):\n...{}...",
                &log[start..end]
            );
        }
    }
}

#[test]
fn logs_hold_no_arguments_tickets_or_text() {
    let ana = Device::person("Ana");
    let ben = Device::person("Ben");
    let secret = unique("SECRET-WORD");
    let private = unique("PRIVATE-DRAFT");
    let logs: PathBuf = ana.file("logs");
    std::fs::create_dir_all(&logs).unwrap();
    let log = |name: &str| logs.join(name);

    let serve_a = serve_traced(&ana, &log("serve-ana"));
    let serve_b = serve_traced(&ben, &log("serve-ben"));

    // Ana invites through her running serve; the ticket comes back on stdout.
    let mut invite = traced(
        &ana,
        &[
            "--json",
            "pair",
            "invite",
            "--for",
            "partner",
            "--timeout",
            "60",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(File::create(log("invite")).unwrap())
    .spawn()
    .unwrap();
    let mut invite_out = BufReader::new(invite.stdout.take().unwrap());
    let mut first = String::new();
    invite_out.read_line(&mut first).unwrap();
    let ticket_line: serde_json::Value =
        serde_json::from_str(&first).unwrap_or_else(|e| panic!("no ticket ({e}): {first:?}"));
    let ticket = ticket_line["ticket"].as_str().unwrap().to_owned();
    assert!(ticket.starts_with("HEARTH2"), "{ticket}");

    // Ben joins through his.
    let joined: Out = hearth_test_kit::cli::run({
        let mut c = traced(&ben, &["pair", "join", &ticket]);
        c.stderr(Stdio::piped());
        c
    });
    assert_eq!(joined.code, 0, "join failed: {joined:?}");
    assert!(invite.wait().unwrap().success(), "invite failed");

    // A note that syncs to Ana, and a private draft that stays with Ben.
    let noted = hearth_test_kit::cli::run(traced(&ben, &["note", &secret]));
    assert_eq!(noted.code, 0, "{noted:?}");
    let drafted = hearth_test_kit::cli::run(traced(
        &ben,
        &[
            "i-statement",
            "write",
            "--feeling",
            &private,
            "--need",
            &secret,
        ],
    ));
    assert_eq!(drafted.code, 0, "{drafted:?}");
    hearth_test_kit::cli::wait_until("the note reaches Ana", Duration::from_secs(60), || {
        ana.wall_texts().iter().any(|t| t == &secret)
    });
    let wall = hearth_test_kit::cli::run(traced(&ana, &["wall"]));
    assert_eq!(wall.code, 0, "{wall:?}");
    assert!(wall.stdout.contains(&secret), "{}", wall.stdout);

    serve_a.stop();
    serve_b.stop();

    let read = |name: &str| std::fs::read_to_string(log(name)).unwrap();
    let serve_ben = read("serve-ben");
    // Trace logging was on, and forwarded commands are logged by name.
    assert!(
        serve_ben.contains("running a forwarded command") && serve_ben.contains("pair join"),
        "the serve log does not name the forwarded commands"
    );
    assert!(serve_ben.contains("note"), "no forwarded note in the log");
    let all = [
        ("Ana's serve", read("serve-ana")),
        ("Ben's serve", serve_ben),
        ("the invite", read("invite")),
        ("the join", joined.stderr),
        ("the note", noted.stderr),
        ("the draft", drafted.stderr),
        ("Ana's wall", wall.stderr),
    ];
    for (what, text) in &all {
        assert_not_in(what, text, &secret, "note's text");
        assert_not_in(what, text, &private, "private draft");
        assert_not_in(what, text, &ticket, "ticket");
    }
}
