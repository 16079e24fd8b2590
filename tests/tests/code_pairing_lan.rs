//! Pairing by six digits on a LAN: real `hearth` processes on two hosts (network namespaces
//! joined by a veth pair), the invitation found over mDNS. Needs the rights to create network
//! namespaces (root, as in CI); elsewhere the LAN tests are skipped with a printed reason.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Stdio};

use hearth_test_kit::cli::Device;
use hearth_test_kit::netns::{self, Namespaces};

fn hosts() -> Option<Namespaces> {
    match netns::two_hosts() {
        Ok(ns) => Some(ns),
        Err(reason) => {
            println!("skipped: {reason}");
            None
        }
    }
}

/// A running `hearth pair invite --code` on host 0, and the digits it printed first.
struct Invite {
    child: Child,
    stdout: BufReader<ChildStdout>,
    digits: String,
}

impl Invite {
    fn open(ns: &Namespaces, inviter: &Device, role: &str) -> Invite {
        let mut child = inviter
            .cmd_in(
                ns,
                0,
                &[
                    "--json",
                    "pair",
                    "invite",
                    "--code",
                    "--for",
                    role,
                    "--timeout",
                    "90",
                ],
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let v: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("no code printed ({e}): {line:?}"));
        let digits = v["code"].as_str().unwrap().to_owned();
        assert!(
            digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()),
            "{digits}"
        );
        Invite {
            child,
            stdout,
            digits,
        }
    }

    /// Waits for the inviter to end: its exit code, the rest of stdout, and stderr.
    fn end(mut self) -> (i32, String, String) {
        let status = self.child.wait().unwrap();
        let mut out = String::new();
        self.stdout.read_to_string(&mut out).unwrap();
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        (status.code().unwrap_or(-1), out, err)
    }
}

fn join(ns: &Namespaces, joiner: &Device, digits: &str) -> std::process::Output {
    joiner
        .cmd_in(
            ns,
            1,
            &["pair", "join", "--code", digits, "--timeout", "40"],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn members(d: &Device) -> Vec<String> {
    d.json(&["devices"])
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect()
}

/// The same first digit (the announced slot), another code.
fn wrong(digits: &str) -> String {
    let last = digits.as_bytes()[5] - b'0';
    format!("{}{}", &digits[..5], (last + 1) % 10)
}

#[test]
fn a_wrong_code_closes_the_invitation_and_the_right_one_pairs() {
    let Some(ns) = hosts() else { return };
    let ana = Device::person("Ana");
    let ben = Device::person("Ben");

    let invite = Invite::open(&ns, &ana, "partner");
    let digits = invite.digits.clone();
    let miss = join(&ns, &ben, &wrong(&digits));
    let said = String::from_utf8_lossy(&miss.stderr);
    assert_eq!(miss.status.code(), Some(1), "{said}");
    assert!(said.contains("code did not match"), "{said}");
    let (code, _, err) = invite.end();
    assert_eq!(code, 1, "the inviter fails too: {err}");
    assert!(err.contains("wrong code"), "{err}");
    // The invitation is gone: its right code finds nothing now, and the joiner is told what
    // else it can do.
    let late = join(&ns, &ben, &digits);
    let said = String::from_utf8_lossy(&late.stderr);
    assert_eq!(late.status.code(), Some(1), "{said}");
    assert!(said.contains("no device on this network offers"), "{said}");
    assert_eq!(members(&ana).len(), 1);
    assert_eq!(members(&ben).len(), 1);

    let invite = Invite::open(&ns, &ana, "partner");
    let ok = join(&ns, &ben, &invite.digits);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let (code, out, err) = invite.end();
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("paired"), "{out}");
    assert_eq!(members(&ana).len(), 2);
    assert_eq!(members(&ana), members(&ben));
}

#[test]
fn two_invitations_on_one_network_do_not_confuse_each_other() {
    let Some(ns) = hosts() else { return };
    let (ana, cleo) = (Device::person("Ana"), Device::person("Cleo"));
    let (ben, dan) = (Device::person("Ben"), Device::person("Dan"));
    let first = Invite::open(&ns, &ana, "partner");
    // Two codes in one slot would be named as such to the joiner ("make a new code"); do what
    // a person told that would do.
    let second = loop {
        let second = Invite::open(&ns, &cleo, "partner");
        if second.digits.as_bytes()[0] != first.digits.as_bytes()[0] {
            break second;
        }
        let mut child = second.child;
        let _ = child.kill();
        let _ = child.wait();
    };
    let (a, b) = (first.digits.clone(), second.digits.clone());
    let (ben_joined, dan_joined) = std::thread::scope(|s| {
        let ben_joins = s.spawn(|| join(&ns, &ben, &a));
        let dan_joins = s.spawn(|| join(&ns, &dan, &b));
        (ben_joins.join().unwrap(), dan_joins.join().unwrap())
    });
    assert!(
        ben_joined.status.success(),
        "{}",
        String::from_utf8_lossy(&ben_joined.stderr)
    );
    assert!(
        dan_joined.status.success(),
        "{}",
        String::from_utf8_lossy(&dan_joined.stderr)
    );
    assert_eq!(first.end().0, 0);
    assert_eq!(second.end().0, 0);
    let mut ana_side = members(&ana);
    ana_side.sort();
    assert_eq!(ana_side, ["Ana's device", "Ben's device"]);
    let mut cleo_side = members(&cleo);
    cleo_side.sort();
    assert_eq!(cleo_side, ["Cleo's device", "Dan's device"]);
}

#[test]
fn no_invitation_on_the_network_points_to_the_ticket() {
    let Some(ns) = hosts() else { return };
    let ben = Device::person("Ben");
    let out = join(&ns, &ben, "123456");
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains("ticket or its QR code"), "{said}");
    assert_eq!(members(&ben).len(), 1, "nothing changed");
}

#[test]
fn a_code_that_is_not_six_digits_is_a_usage_error() {
    let ben = Device::person("Ben");
    for bad in ["12345", "1234567", "12a456", ""] {
        let out = ben.run(&["pair", "join", "--code", bad]);
        assert_eq!(out.code, 2, "{bad:?}: {}", out.stderr);
        assert!(out.stderr.contains("six digits"), "{bad:?}: {}", out.stderr);
    }
    let out = ben.run(&["pair", "join"]);
    assert_eq!(out.code, 2, "neither a ticket nor a code: {}", out.stderr);
    let out = ben.run(&["pair", "join", "HEARTH2AAAA", "--code", "123456"]);
    assert_eq!(out.code, 2, "both: {}", out.stderr);
}
