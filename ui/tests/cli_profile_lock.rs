//! Several `hearth` processes on one profile that nobody serves: commands wait a few seconds
//! for each other instead of failing, `serve` waits for a command to finish and comes up, and
//! a refusal names what holds the profile. Also the profile's permissions, and reading where
//! the lock file cannot be written.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use hearth_test_kit::cli::{Device, LOOPBACK};

/// Starts `pair invite`, which holds the profile as a one-shot command until it ends, and
/// waits until it has printed its ticket (it has the profile open by then).
fn hold_with_invite(device: &Device) -> Child {
    let mut invite = device
        .cmd(&["pair", "invite", "--timeout", "120", "--bind", LOOPBACK])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(invite.stdout.take().unwrap());
    let mut ticket = String::new();
    stdout.read_line(&mut ticket).unwrap();
    assert!(ticket.starts_with("HEARTH2"), "not a ticket: {ticket:?}");
    // Keep reading so the invite never blocks on a full pipe.
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
    });
    invite
}

fn terminate(child: &mut Child) {
    let pid = child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let _ = child.wait();
}

#[test]
fn concurrent_commands_wait_for_each_other() {
    let ana = Device::person("Ana");
    let (tx, rx) = mpsc::channel();
    let mut threads = Vec::new();
    for i in 0..8 {
        let cmd = ana.cmd(&["note", &format!("note {i}")]);
        let tx = tx.clone();
        threads.push(std::thread::spawn(move || {
            tx.send(("note", hearth_test_kit::cli::run(cmd))).unwrap();
        }));
    }
    // Reads next to the writes.
    for _ in 0..2 {
        let cmd = ana.cmd(&["--json", "wall"]);
        let tx = tx.clone();
        threads.push(std::thread::spawn(move || {
            tx.send(("wall", hearth_test_kit::cli::run(cmd))).unwrap();
        }));
    }
    drop(tx);
    for t in threads {
        t.join().unwrap();
    }
    for (what, out) in rx {
        assert_eq!(out.code, 0, "a concurrent {what} failed: {}", out.stderr);
    }
    assert_eq!(ana.wall_texts().len(), 8);
}

#[test]
fn a_command_names_the_one_shot_command_that_keeps_the_profile() {
    let ana = Device::person("Ana");
    let mut invite = hold_with_invite(&ana);
    let started = Instant::now();
    let out = ana.run(&["note", "Hello"]);
    let waited = started.elapsed();
    terminate(&mut invite);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("hearth pair invite"), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("pid {}", invite.id())),
        "{}",
        out.stderr
    );
    assert!(waited >= Duration::from_secs(4), "gave up after {waited:?}");
    assert!(waited < Duration::from_secs(20), "waited {waited:?}");
    assert!(ana.wall_texts().is_empty());
    // Once the invite has gone, the profile opens at once.
    ana.ok(&["note", "Hello"]);
}

#[test]
fn serve_waits_for_a_one_shot_command_and_comes_up() {
    let ana = Device::person("Ana");
    let mut invite = hold_with_invite(&ana);
    let mut serve = ana
        .cmd(&["--json", "serve", "--bind", LOOPBACK])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // It says what it waits for, and keeps waiting.
    let mut stderr = BufReader::new(serve.stderr.take().unwrap());
    let mut said = String::new();
    stderr.read_line(&mut said).unwrap();
    assert!(said.contains("Waiting for hearth pair invite"), "{said:?}");
    assert!(said.contains(&format!("pid {}", invite.id())), "{said:?}");
    assert!(serve.try_wait().unwrap().is_none(), "serve gave up");
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut stderr, &mut std::io::sink());
    });
    terminate(&mut invite);
    // Then it comes up.
    let mut stdout = BufReader::new(serve.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let v: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("serve did not come up ({e}): {line:?}"));
    assert!(v["serving"]["endpoint_id"].is_string(), "{line}");
    // And carries out commands for others.
    ana.ok(&["note", "Served"]);
    terminate(&mut serve);
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(ana.wall_texts(), vec!["Served"]);
}

#[test]
fn loose_permissions_are_narrowed_and_said_once() {
    let ana = Device::person("Ana");
    let key = ana.dir.join("device.key");
    std::fs::set_permissions(&ana.dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = ana.run(&["wall"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("could be read by other users (mode 0777)")
            && out.stderr.contains("(mode 0644)"),
        "{}",
        out.stderr
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&ana.dir), 0o700);
    assert_eq!(mode(&key), 0o600);
    let again = ana.run(&["wall"]);
    assert_eq!(again.code, 0);
    assert!(!again.stderr.contains("other users"), "{}", again.stderr);
}

fn running_as_root() -> bool {
    let out = std::process::Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

#[test]
fn an_unreadable_profile_is_permission_denied_not_missing() {
    if running_as_root() {
        eprintln!(
            "skipped: running as root, whom file permissions do not stop, so an unreadable \
             profile cannot be made here"
        );
        return;
    }
    let ana = Device::person("Ana");
    std::fs::set_permissions(&ana.dir, std::fs::Permissions::from_mode(0o000)).unwrap();
    let out = ana.run(&["wall"]);
    std::fs::set_permissions(&ana.dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("permission denied"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("there is no Hearth profile"),
        "{}",
        out.stderr
    );
}

#[test]
fn reading_works_where_the_lock_file_cannot_be_written() {
    // As on a full disk or a directory that cannot be written: here the lock file's place is
    // taken by a directory, so it cannot be opened for writing, whoever runs the test.
    let ana = Device::person("Ana");
    ana.ok(&["note", "Before"]);
    let lock = ana.dir.join("profile.lock");
    std::fs::remove_file(&lock).unwrap();
    std::fs::create_dir(&lock).unwrap();
    assert_eq!(ana.wall_texts(), vec!["Before"]);
    ana.ok(&["checkins"]);
    let out = ana.run(&["note", "After"]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains("profile.lock"), "{}", out.stderr);
    std::fs::remove_dir(&lock).unwrap();
    assert_eq!(ana.wall_texts(), vec!["Before"]);
}
