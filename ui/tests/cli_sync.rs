//! Two devices paired through `hearth pair`, each run by `hearth serve`; other commands are
//! carried out by the running serve (over the profile's socket) and reach the partner live.
#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use hearth_test_kit::cli::{Device, LOOPBACK, pair, socket, wait_until};

#[test]
fn partners_pair_serve_and_stay_in_sync() {
    let ana = Device::person("Ana");
    let ben = Device::person("Ben");
    pair(&ana, &ben, "partner");
    let devices = ana.json(&["devices"]);
    assert_eq!(devices.as_array().unwrap().len(), 2, "{devices}");

    // No link yet: a change file carries a note from Ana to Ben.
    ana.ok(&["note", "Carried by hand"]);
    let file = ana.file("changes.age");
    ana.ok(&[
        "export-changes",
        "--out",
        file.to_str().unwrap(),
        "--bind",
        LOOPBACK,
    ]);
    let imported = ben.ok(&["import", file.to_str().unwrap(), "--bind", LOOPBACK]);
    assert!(imported.contains("Brought in"), "{imported}");
    assert_eq!(ben.wall_texts(), vec!["Carried by hand"]);

    let serve_a = ana.serve();
    let serve_b = ben.serve();
    let mode = std::fs::metadata(socket(&ana.dir))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "the socket is the owner's alone");

    // A note for Ana's running serve reaches Ben's, and Ben's wall is read through his serve.
    let added = ana.run(&["note", "Thank you for the coffee", "--wall-safe"]);
    assert_eq!(added.code, 0, "{}", added.stderr);
    assert!(
        added.stdout.contains("Added to the wall"),
        "{}",
        added.stdout
    );
    wait_until(
        "Ben's serve has Ana's note",
        Duration::from_secs(20),
        || {
            ben.wall_texts()
                .contains(&"Thank you for the coffee".to_owned())
        },
    );

    // A date Ben plans shows up on Ana's side.
    ben.ok(&[
        "date",
        "plan",
        "--title",
        "Dinner at Rosa's",
        "--when",
        "2030-03-14T19:30:00+01:00",
        "--place",
        "Rosa's",
    ]);
    wait_until(
        "Ana's serve has Ben's date",
        Duration::from_secs(20),
        || {
            ana.json(&["dates"])["upcoming"]
                .as_array()
                .unwrap()
                .iter()
                .any(|d| d["title"] == "Dinner at Rosa's")
        },
    );

    // Errors from the running serve come back as if the command ran here.
    let before = ana.wall();
    let empty = ana.run(&["note", "   "]);
    assert_eq!(empty.code, 1);
    assert!(
        empty.stderr.starts_with("error: could not add the note"),
        "{}",
        empty.stderr
    );
    assert_eq!(ana.wall(), before, "a refused note changes nothing");
    let again = ana.run(&["serve", "--bind", LOOPBACK]);
    assert_eq!(again.code, 1);
    assert!(
        again.stderr.contains("already being served"),
        "{}",
        again.stderr
    );

    // Ben stops; both write while apart; Ben starts again and both converge.
    let status = serve_b.stop();
    assert!(status.success(), "serve exits cleanly on SIGTERM: {status}");
    assert!(!socket(&ben.dir).exists(), "the socket is removed on exit");
    ben.ok(&["note", "Written while offline"]);
    ana.ok(&["note", "Written while Ben was away"]);
    let serve_b = ben.serve();
    wait_until(
        "both walls hold all four notes",
        Duration::from_secs(30),
        || {
            let a = ana.wall_texts();
            a.len() == 4 && ana.wall() == ben.wall()
        },
    );
    let texts = ben.wall_texts();
    for t in ["Written while offline", "Written while Ben was away"] {
        assert!(texts.contains(&t.to_owned()), "{texts:?}");
    }

    // A one-shot sync through the running serve reports the partner in sync.
    let synced = ana.json(&["sync", "--timeout", "10"]);
    assert_eq!(synced["peers"][0]["synced"], true, "{synced}");

    // Pairing works through a running serve too: the kitchen display joins Ana's invite.
    let display = Device::empty();
    display.ok(&["init", "--name", "Kitchen", "--display"]);
    pair(&ana, &display, "display");
    // It holds the notes marked for the wall, and only those.
    let safe: Vec<String> = ana
        .json(&["wall", "--wall-safe"])
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["text"].as_str().unwrap().to_owned())
        .collect();
    assert!(!safe.is_empty() && safe.len() < ana.wall_texts().len());
    assert_eq!(display.wall_texts(), safe);

    assert!(serve_a.stop().success());
    assert!(serve_b.stop().success());
}

/// A change file carries my private journal to my own other device, sealed to it alone: my
/// partner's device, reading the same file, gets the shared changes and nothing private.
#[test]
fn a_change_file_carries_my_private_journal_to_my_own_devices_only() {
    let ana = Device::person("Ana");
    let ana_laptop = Device::person("Ana");
    let ben = Device::person("Ben");
    pair(&ana, &ana_laptop, "me");
    pair(&ana, &ben, "partner");
    ana.ok(&["repair", "hurt", "A private hurt, only mine"]);
    ana.ok(&[
        "i-statement",
        "write",
        "--feeling",
        "I felt a private thing",
    ]);
    ana.ok(&["note", "Shared with everyone"]);
    let file = ana.file("changes.age");
    ana.ok(&[
        "export-changes",
        "--out",
        file.to_str().unwrap(),
        "--bind",
        LOOPBACK,
    ]);

    let mine = ana_laptop.ok(&["import", file.to_str().unwrap(), "--bind", LOOPBACK]);
    assert!(mine.contains("to your private journal"), "{mine}");
    let repairs = ana_laptop.json(&["repair", "list"]).to_string();
    assert!(repairs.contains("A private hurt, only mine"), "{repairs}");
    let statements = ana_laptop.json(&["i-statement", "list"]).to_string();
    assert!(
        statements.contains("I felt a private thing"),
        "{statements}"
    );
    assert!(
        ana_laptop
            .wall_texts()
            .contains(&"Shared with everyone".to_owned())
    );

    let bens = ben.ok(&["import", file.to_str().unwrap(), "--bind", LOOPBACK]);
    assert!(!bens.contains("private"), "{bens}");
    assert!(
        ben.wall_texts()
            .contains(&"Shared with everyone".to_owned())
    );
    for args in [["repair", "list"], ["i-statement", "list"]] {
        let seen = ben.json(&args).to_string();
        assert!(!seen.contains("private"), "{args:?}: {seen}");
    }
    // Nothing of the private journal is in Ben's profile, sealed or not.
    for entry in walk(&ben.dir) {
        let bytes = std::fs::read(&entry).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains("A private hurt"), "{}", entry.display());
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.is_file() {
            out.push(p);
        }
    }
    out
}
