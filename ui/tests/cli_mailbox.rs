//! `hearth mailbox` as a user runs it: a real mailbox process, two partners' devices that are
//! never running at once, `hearth sync` succeeding through the mailbox alone, status, removal,
//! bad tickets; and the mailbox killed with SIGKILL at seeded moments during uploads and
//! fetches, losing no bundle it acknowledged.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};

use hearth_test_kit::cli::{Device, LOOPBACK, hearth_bin, pair};

/// A running `hearth mailbox serve`.
struct Mailbox {
    child: Child,
    stdout: BufReader<ChildStdout>,
    ticket: String,
}

impl Mailbox {
    fn start(dir: &Path) -> Mailbox {
        let mut c = Command::new(hearth_bin());
        c.args(["--json", "mailbox", "serve", "--bind", LOOPBACK, "--dir"])
            .arg(dir)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = c.spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let v: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the mailbox did not start ({e}): {line:?}"));
        let ticket = v["ticket"].as_str().unwrap().to_owned();
        Mailbox {
            child,
            stdout,
            ticket,
        }
    }

    /// The next ticket line (printed once the current one is used).
    fn next_ticket(&mut self) -> String {
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        v["ticket"].as_str().unwrap().to_owned()
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn stop(mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "the mailbox did not stop cleanly: {status}"
        );
    }
}

fn sync_json(d: &Device) -> (i32, serde_json::Value) {
    let out = d.run(&["--json", "sync", "--timeout", "2", "--bind", LOOPBACK]);
    let v = serde_json::from_str(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out.code, v)
}

#[test]
fn partners_converge_through_a_mailbox_process_with_hearth_sync() {
    let boxdir = tempfile::tempdir().unwrap();
    let mut mailbox = Mailbox::start(boxdir.path());
    assert!(mailbox.ticket.starts_with("HEARTHBOX1"));
    // A second mailbox on the same directory, or on a file, is refused in plain words.
    let serve_in = |dir: &Path| {
        let out = Command::new(hearth_bin())
            .args(["mailbox", "serve", "--bind", LOOPBACK, "--dir"])
            .arg(dir)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let busy = serve_in(boxdir.path());
    assert!(busy.contains("a mailbox is already running with"), "{busy}");
    let file = boxdir.path().join("mailbox.port");
    let not_dir = serve_in(&file);
    assert!(not_dir.contains("is a file"), "{not_dir}");
    let ana = Device::person("Ana");
    let ben = Device::person("Ben");
    pair(&ana, &ben, "partner");
    // Bad tickets: clear words, nothing recorded.
    for (bad, says) in [
        ("HEARTHBOX1AAAA", "not a valid mailbox ticket"),
        ("hello", "not a valid mailbox ticket"),
    ] {
        let out = ana.run(&["mailbox", "add", bad, "--bind", LOOPBACK]);
        assert_ne!(out.code, 0);
        assert!(out.stderr.contains(says), "{}", out.stderr);
    }
    let status = ana.ok(&["mailbox", "status"]);
    assert!(status.contains("No mailbox is set up"), "{status}");
    let added = ana.ok(&["mailbox", "add", &mailbox.ticket, "--bind", LOOPBACK]);
    assert!(added.contains("The mailbox is set up"), "{added}");
    // The ticket was used: the mailbox printed the next one, and the used one is refused.
    let next = mailbox.next_ticket();
    assert_ne!(next, mailbox.ticket);
    let again = ben.run(&["mailbox", "add", &mailbox.ticket, "--bind", LOOPBACK]);
    assert_ne!(again.code, 0);
    assert!(
        again.stderr.contains("was used already"),
        "{}",
        again.stderr
    );
    // Ben learns the mailbox by syncing with Ana once (both on).
    let serve = ana.serve();
    ben.ok(&["sync", "--timeout", "10", "--bind", LOOPBACK]);
    serve.stop();
    assert!(ben.ok(&["mailbox", "status"]).contains("Mailbox "));
    // Never on together from here: each `hearth sync` reaches only the mailbox, and succeeds.
    ana.ok(&["note", "left at the mailbox by Ana"]);
    let (code, v) = sync_json(&ana);
    assert_eq!(code, 0, "{v}");
    assert!(v["mailbox"]["sent_changes"].as_u64().unwrap() > 0, "{v}");
    assert!(v["peers"][0]["synced"] == false, "{v}");
    let (code, v) = sync_json(&ben);
    assert_eq!(code, 0, "{v}");
    assert!(
        ben.wall_texts()
            .contains(&"left at the mailbox by Ana".to_owned())
    );
    ben.ok(&["note", "and Ben's answer"]);
    let text = ben.ok(&["sync", "--timeout", "2", "--bind", LOOPBACK]);
    assert!(text.contains("Mailbox: "), "{text}");
    sync_json(&ana);
    assert!(ana.wall_texts().contains(&"and Ben's answer".to_owned()));
    let status = ana.ok(&["mailbox", "status"]);
    assert!(status.contains("Nothing waits to be handed in"), "{status}");
    let glance = ana.ok(&["status"]);
    assert!(glance.contains("nothing waits to be handed in"), "{glance}");
    assert!(ana.json(&["status"])["mailbox"]["pending"] == 0);
    // Without the mailbox and without Ana, `hearth sync` fails and says why.
    mailbox.stop();
    let out = ben.run(&["sync", "--timeout", "1", "--bind", LOOPBACK]);
    assert_ne!(out.code, 0);
    assert!(
        out.stdout.contains("Mailbox: not reached"),
        "{}",
        out.stdout
    );
    let status = ben.ok(&["mailbox", "status"]);
    assert!(status.contains("The last try failed"), "{status}");
    // Removing it: the journal forgets it (the mailbox is away, so it is not told).
    let removed = ben.ok(&["mailbox", "remove", "--timeout", "1", "--bind", LOOPBACK]);
    assert!(removed.contains("could not be reached"), "{removed}");
    assert!(
        ben.ok(&["mailbox", "status"])
            .contains("No mailbox is set up")
    );
    let out = ben.run(&["mailbox", "remove", "--bind", LOOPBACK]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("no mailbox is set up"),
        "{}",
        out.stderr
    );
}

/// xorshift: a tiny seeded generator, so a failing run replays exactly.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn a_killed_mailbox_loses_no_bundle_it_acknowledged() {
    let mut rng = 0x6d61_696c_626f_7831_u64;
    let boxdir = tempfile::tempdir().unwrap();
    let mailbox = Mailbox::start(boxdir.path());
    let ana = Device::person("Ana");
    let ben = Device::person("Ben");
    pair(&ana, &ben, "partner");
    ana.ok(&["mailbox", "add", &mailbox.ticket, "--bind", LOOPBACK]);
    let serve = ana.serve();
    ben.ok(&["sync", "--timeout", "10", "--bind", LOOPBACK]);
    serve.stop();
    let mut mailbox = Some(mailbox);
    // Notes whose upload the mailbox acknowledged.
    let mut handed: Vec<String> = Vec::new();
    let mut written: Vec<String> = Vec::new();
    for k in 0..5 {
        let text = format!("note {k} before a kill");
        ana.ok(&["note", &text]);
        written.push(text);
        // An upload (Ana) and a fetch (Ben) under way while the mailbox dies.
        let up = ana
            .cmd(&["--json", "sync", "--timeout", "3", "--bind", LOOPBACK])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let down = ben
            .cmd(&["sync", "--timeout", "3", "--bind", LOOPBACK])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(next(&mut rng) % 120));
        mailbox.take().unwrap().kill();
        let out = up.wait_with_output().unwrap();
        let _ = down.wait_with_output().unwrap();
        let v: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        if v["mailbox"].is_object() && v["mailbox"]["send_refused"].is_null() {
            // Reached: everything written so far was handed in (or had been before).
            handed = written.clone();
        }
        mailbox = Some(Mailbox::start(boxdir.path()));
        // What it acknowledged is there after the restart: Ben fetches it without Ana.
        let (code, v) = sync_json(&ben);
        assert_eq!(code, 0, "{v}");
        let wall = ben.wall_texts();
        for n in &handed {
            assert!(
                wall.contains(n),
                "kill {k}: {n:?} was acknowledged, then lost"
            );
        }
    }
    // Ana's next sync hands in what did not make it; all converge.
    let (code, v) = sync_json(&ana);
    assert_eq!(code, 0, "{v}");
    sync_json(&ben);
    let wall = ben.wall_texts();
    for n in &written {
        assert!(wall.contains(n), "{n:?} never arrived");
    }
    mailbox.take().unwrap().stop();
}
