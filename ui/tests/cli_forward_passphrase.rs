//! Regression: while `hearth serve` holds a passphrase-sealed key, the profile's socket does not
//! stand in for the passphrase. `passphrase set/remove`, `backup` and `export` carried out by
//! the running process need the key's passphrase, checked against the key file: without it, or
//! with a wrong one, they are refused and nothing changes.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use hearth_test_kit::cli::{Device, Out};

const RIGHT: &str = "correct horse battery";
const WRONG: &str = "incorrect horse";
const NOTE: &str = "a note only Ana may take away";
/// How every age file starts, a sealed key file included.
const AGE_MAGIC: &[u8] = b"age-encryption.org/";

/// A running `hearth serve` with the key's passphrase in its environment.
fn serve_sealed(dev: &Device) -> hearth_test_kit::cli::Serve {
    dev.serve_with(|c| {
        c.env("HEARTH_PASSPHRASE", RIGHT).stderr(Stdio::null());
    })
}

/// Runs a command (handed to the running serve) with `passphrase` in HEARTH_PASSPHRASE.
fn run_with(dev: &Device, args: &[&str], passphrase: Option<&str>) -> Out {
    let mut c = dev.cmd(args);
    if let Some(p) = passphrase {
        c.env("HEARTH_PASSPHRASE", p);
    }
    hearth_test_kit::cli::run(c)
}

/// Sends a request straight to the socket, as a process that skips the client's own checks
/// would; returns what the owner printed and its exit code.
fn raw_request(dev: &Device, args: &[&str], passphrase: Option<&str>) -> (String, i64) {
    let mut argv = vec![
        "hearth".to_owned(),
        "--profile".to_owned(),
        dev.dir.display().to_string(),
    ];
    argv.extend(args.iter().map(|a| (*a).to_owned()));
    let request = serde_json::json!({
        "version": 2,
        "argv": argv,
        "cwd": dev.dir,
        "stdout_tty": false,
        "passphrase": passphrase,
    });
    let mut stream = UnixStream::connect(hearth_test_kit::cli::socket(&dev.dir)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut line = serde_json::to_vec(&request).unwrap();
    line.push(b'\n');
    stream.write_all(&line).unwrap();
    let mut printed = String::new();
    for line in BufReader::new(stream).lines() {
        let frame: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        if let Some(code) = frame["exit"].as_i64() {
            return (printed, code);
        }
        for key in ["out", "err"] {
            if let Some(text) = frame[key].as_str() {
                printed.push_str(text);
            }
        }
    }
    panic!("the owner hung up without an exit code; printed: {printed}");
}

fn key_file(dev: &Device) -> std::path::PathBuf {
    dev.dir.join("device.key")
}

fn assert_sealed(dev: &Device, after: &str) {
    let bytes = std::fs::read(key_file(dev)).unwrap();
    assert!(
        bytes.starts_with(AGE_MAGIC),
        "device.key is no longer sealed after {after}"
    );
}

fn assert_no_file(path: &Path, after: &str) {
    assert!(
        !path.exists(),
        "{} was written after {after}",
        path.display()
    );
}

/// Every way to ask without the right passphrase is refused and changes nothing.
fn refused_everywhere(ana: &Device, args: &[&str], file: Option<&Path>) {
    let what = args.join(" ");

    // No passphrase at hand (no variable, no terminal): the client does not even ask.
    let out = run_with(ana, args, None);
    assert_eq!(out.code, 1, "{what} without a passphrase: {out:?}");
    assert!(
        out.stderr.contains("needs a passphrase"),
        "{what}: {}",
        out.stderr
    );
    assert!(!out.stdout.contains(NOTE), "{what}: {}", out.stdout);
    assert_sealed(ana, &what);

    // A process that talks to the socket itself and sends no key passphrase.
    let (printed, code) = raw_request(ana, args, Some(RIGHT));
    assert_eq!(code, 1, "{what} over the bare socket: {printed}");
    assert!(
        printed.contains("only with this device's passphrase")
            && printed.contains("sealed with a passphrase"),
        "{what}: {printed}"
    );
    assert!(!printed.contains(NOTE), "{what}: {printed}");
    assert_sealed(ana, &what);

    // A wrong passphrase: refused as a wrong passphrase is everywhere (exit code 1).
    let out = run_with(ana, args, Some(WRONG));
    assert_eq!(out.code, 1, "{what} with a wrong passphrase: {out:?}");
    assert!(
        out.stderr.contains("wrong passphrase") && out.stderr.contains("nothing was changed"),
        "{what}: {}",
        out.stderr
    );
    assert!(!out.stdout.contains(NOTE), "{what}: {}", out.stdout);
    assert_sealed(ana, &what);

    if let Some(file) = file {
        assert_no_file(file, &what);
    }
}

#[test]
fn forwarded_key_commands_need_the_passphrase() {
    let ana = Device::empty();
    let made = run_with(
        &ana,
        &["init", "--name", "Ana", "--passphrase"],
        Some(RIGHT),
    );
    assert_eq!(made.code, 0, "{}", made.stderr);
    let noted = run_with(&ana, &["note", NOTE], Some(RIGHT));
    assert_eq!(noted.code, 0, "{}", noted.stderr);
    assert_sealed(&ana, "init");

    let serve = serve_sealed(&ana);
    let backup = ana.file("backup.age");
    let exported = ana.file("journal.json");
    let backup_arg = backup.to_str().unwrap();
    let exported_arg = exported.to_str().unwrap();

    refused_everywhere(&ana, &["passphrase", "remove"], None);
    refused_everywhere(&ana, &["passphrase", "set"], None);
    refused_everywhere(&ana, &["backup", "--out", backup_arg], Some(&backup));
    refused_everywhere(
        &ana,
        &["export", "--format", "json", "--out", exported_arg],
        Some(&exported),
    );
    refused_everywhere(&ana, &["export", "--format", "markdown"], None);
    refused_everywhere(&ana, &["--json", "export", "--format", "ics"], None);

    // Other commands still go through as before.
    let wall = run_with(&ana, &["wall"], None);
    assert_eq!(wall.code, 0, "{wall:?}");

    // A key file put in place of the real one does not count, even with its own passphrase:
    // another profile's sealed key ...
    let original = std::fs::read(key_file(&ana)).unwrap();
    let other = Device::empty();
    let made = run_with(
        &other,
        &["init", "--name", "Eve", "--passphrase"],
        Some(RIGHT),
    );
    assert_eq!(made.code, 0, "{}", made.stderr);
    std::fs::copy(key_file(&other), key_file(&ana)).unwrap();
    let out = run_with(&ana, &["backup", "--out", backup_arg], Some(RIGHT));
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("no longer holds"), "{}", out.stderr);
    assert_no_file(&backup, "a swapped key file");
    // ... or a plain one.
    let plain = Device::person("Eve");
    std::fs::copy(key_file(&plain), key_file(&ana)).unwrap();
    let out = run_with(&ana, &["export", "--format", "markdown"], None);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("no longer holds"), "{}", out.stderr);
    assert!(!out.stdout.contains(NOTE), "{}", out.stdout);
    std::fs::write(key_file(&ana), &original).unwrap();
    assert_sealed(&ana, "putting the key file back");

    // The right passphrase: each works.
    let out = run_with(&ana, &["backup", "--out", backup_arg], Some(RIGHT));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(std::fs::read(&backup).unwrap().starts_with(AGE_MAGIC));
    let out = run_with(
        &ana,
        &["export", "--format", "json", "--out", exported_arg],
        Some(RIGHT),
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(std::fs::read_to_string(&exported).unwrap().contains(NOTE));
    let out = run_with(&ana, &["export", "--format", "markdown"], Some(RIGHT));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains(NOTE), "{}", out.stdout);
    let out = run_with(&ana, &["passphrase", "set"], Some(RIGHT));
    assert_eq!(out.code, 0, "{out:?}");
    assert_sealed(&ana, "passphrase set");
    let out = run_with(&ana, &["passphrase", "remove"], Some(RIGHT));
    assert_eq!(out.code, 0, "{out:?}");
    let bytes = std::fs::read(key_file(&ana)).unwrap();
    assert!(
        bytes.starts_with(b"{"),
        "device.key is not plain after remove"
    );

    // With no passphrase left, none is needed.
    let out = run_with(&ana, &["export", "--format", "markdown"], None);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains(NOTE), "{}", out.stdout);
    serve.stop();

    // The profile now opens without a passphrase.
    let wall = run_with(&ana, &["wall"], None);
    assert_eq!(wall.code, 0, "{wall:?}");
    assert!(wall.stdout.contains(NOTE), "{}", wall.stdout);
}
