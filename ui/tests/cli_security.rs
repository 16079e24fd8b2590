//! The attacks of the access review, each replayed with real `hearth` processes on loopback.
//! Each test names the attack; before signed membership every one of them succeeded.
#![allow(clippy::unwrap_used)]

use std::io::Write;

use hearth_test_kit::cli::{Device, LOOPBACK, pair};

const PASS: &str = "a long and careful passphrase";

/// The endpoint id of a profile's device.
fn id_of(d: &Device) -> String {
    let keys = hearth_core::keys::DeviceKeys::read(&d.dir.join("device.key"), None).unwrap();
    hearth_sync::endpoint_id_of(keys.endpoint_secret())
}

/// The devices a profile counts as members (by endpoint id).
fn members(d: &Device) -> Vec<String> {
    d.json(&["devices"])
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["standing"]["state"] == "member")
        .map(|x| x["endpoint_id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every private thing a profile can show about the journal, as text.
fn everything(d: &Device) -> String {
    let out = d.file("everything.json");
    d.ok(&["export", "--format", "json", "--out", out.to_str().unwrap()]);
    let mut all = std::fs::read_to_string(out).unwrap();
    all.push_str(&d.ok(&["repair", "list"]));
    all.push_str(&d.ok(&["i-statement", "list"]));
    all
}

fn sync(d: &Device) -> hearth_test_kit::cli::Out {
    d.run(&["sync", "--timeout", "10", "--bind", LOOPBACK])
}

/// Attack 1: Ben rewrote the role of Ana's partner ticket to `me` (recomputing its check) and
/// joined. The inviter's own invitation decides: Ben joins as her partner, with his own person,
/// and no stream for her private journal is served.
#[test]
fn attack_1_a_ticket_rewritten_to_me_joins_only_as_the_partner() {
    let ana = Device::person("Ana");
    ana.ok(&["repair", "hurt", "ANA-PRIVATE-HURT-1"]);
    let ben = Device::person("Ben");
    let (mut invite, _stdout, line) = hearth_test_kit::cli::invite(&ana, "partner");
    let mut ticket = hearth_sync::Ticket::parse(&line).unwrap();
    assert_eq!(ticket.role, hearth_sync::Role::Partner);
    ticket.role = hearth_sync::Role::Me;
    let forged = ticket.to_text();
    let joined = ben.run(&["pair", "join", &forged, "--bind", LOOPBACK]);
    let _ = invite.wait();
    assert_eq!(joined.code, 0, "{}", joined.stderr);
    // Ben is Ana's partner, recorded as his own person's device, not hers.
    let ben_id = id_of(&ben);
    let devices = ana.json(&["devices"]);
    let ben_rec = devices
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["endpoint_id"] == ben_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(ben_rec["owner_name"], "Ben", "{ben_rec}");
    assert_eq!(ben_rec["role"], "partner");
    // And holds nothing of Ana's private journal, now or after syncing.
    assert!(!everything(&ben).contains("ANA-PRIVATE-HURT-1"));
    let serve = ana.serve();
    ana.ok(&["repair", "hurt", "ANA-PRIVATE-HURT-2"]);
    assert_eq!(sync(&ben).code, 0);
    let all = everything(&ben);
    assert!(!all.contains("ANA-PRIVATE-HURT"), "{all}");
    serve.stop();
}

/// Attack 2: Ben restored his backup "as Ana" into a new profile F and merged F's backup back
/// into his phone, which made "Ana's tablet" a member that received Ana's private journal. A
/// restored profile is not a member until a member admits it by pairing.
#[test]
fn attack_2_a_device_minted_from_a_backup_is_not_a_member() {
    let ana = Device::person("Ana");
    let ben = Device::person("Ben");
    pair(&ana, &ben, "partner");
    ana.ok(&["repair", "hurt", "ANA-PRIVATE-HURT"]);
    let b_age = ben.file("b.age");
    assert_eq!(
        hearth_test_kit::cli::with_passphrase(
            &ben,
            &["backup", "--out", b_age.to_str().unwrap()],
            PASS
        )
        .code,
        0
    );
    let f = Device::empty();
    let out = hearth_test_kit::cli::with_passphrase(
        &f,
        &[
            "restore",
            b_age.to_str().unwrap(),
            "--as",
            "Ana",
            "--device-name",
            "Ana's tablet",
        ],
        PASS,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("not a member"), "{}", out.stdout);
    let f_id = id_of(&f);
    let f_age = f.file("f.age");
    assert_eq!(
        hearth_test_kit::cli::with_passphrase(
            &f,
            &["backup", "--out", f_age.to_str().unwrap()],
            PASS
        )
        .code,
        0
    );
    assert_eq!(
        hearth_test_kit::cli::with_passphrase(
            &ben,
            &["restore", f_age.to_str().unwrap(), "--merge"],
            PASS
        )
        .code,
        0
    );
    let serve = ana.serve();
    assert_eq!(sync(&ben).code, 0);
    assert!(!members(&ana).contains(&f_id));
    assert!(!members(&ben).contains(&f_id));
    // F's own sync reaches nobody and brings nothing.
    let out = sync(&f);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("not a member"), "{}", out.stderr);
    assert!(!everything(&f).contains("ANA-PRIVATE-HURT"));
    serve.stop();
}

/// Attack 3: Ana revoked Ben's second device X while Ben's phone was offline; X revoked Ana's
/// device and synced to Ben's phone first, which then refused Ana. X's revocation is void: Ana's
/// device outranks the device Ben added, and X cannot act once it has seen its revocation.
#[test]
fn attack_3_a_revoked_device_cannot_revoke_its_revoker() {
    let ana = Device::person("Ana");
    let ben = Device::person("Ben");
    pair(&ana, &ben, "partner");
    let x = Device::empty();
    x.ok(&["init", "--name", "Ben"]);
    pair(&ben, &x, "me");
    let (ana_id, x_id) = (id_of(&ana), id_of(&x));
    // Ana learns of X from Ben's phone.
    let serve = ben.serve();
    assert_eq!(sync(&ana).code, 0);
    serve.stop();
    // Ana revokes X, with Ben's phone offline; X, not knowing, revokes Ana.
    ana.ok(&["revoke", &x_id]);
    x.ok(&["revoke", &ana_id]);
    // X reaches Ben's phone first: for now Ben's phone believes Ana revoked.
    let serve = ben.serve();
    assert_eq!(sync(&x).code, 0);
    serve.stop();
    // Ana's sync is refused, hands over her statements, and goes through: the revocations were
    // concurrent, and Ana's device (the founder) outranks the device Ben added.
    let serve = ben.serve();
    let out = sync(&ana);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    serve.stop();
    assert!(!members(&ben).contains(&x_id));
    assert!(
        members(&ben).contains(&ana_id),
        "Ben's phone admits Ana again"
    );
    // X's later notes reach nobody.
    x.ok(&["note", "X-AFTER-REVOCATION"]);
    let serve = ben.serve();
    let _ = sync(&x);
    serve.stop();
    assert!(!ben.wall().contains("X-AFTER-REVOCATION"));
}

/// Attack 4: an outsider sealed their own journal to Ana's public age recipient and claimed to
/// be Ben. Change files are signed by the sending device and checked against the membership.
#[test]
fn attack_4_a_forged_change_file_is_refused() {
    let ana = Device::person("Ana");
    let ben = Device::person("Ben");
    pair(&ana, &ben, "partner");
    let olga = Device::person("Olga");
    olga.ok(&["note", "OLGA-WAS-HERE"]);
    let ben_id = id_of(&ben);
    let ana_keys = hearth_core::keys::DeviceKeys::read(&ana.dir.join("device.key"), None).unwrap();
    let recipient = ana_keys.age_recipient();
    let olga_keys =
        hearth_core::keys::DeviceKeys::read(&olga.dir.join("device.key"), None).unwrap();
    // Olga's changes, as bytes of a journal.
    let olga_export = olga.file("olga.json");
    olga.ok(&[
        "export",
        "--format",
        "json",
        "--out",
        olga_export.to_str().unwrap(),
    ]);
    let seal = |plain: &[u8]| {
        let enc =
            age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                .unwrap();
        let mut out = Vec::new();
        let mut w = enc.wrap_output(&mut out).unwrap();
        w.write_all(plain).unwrap();
        w.finish().unwrap();
        out
    };
    let profile = hearth_core::Profile::open(&olga.dir, None).unwrap();
    let mut replica = hearth_core::Replica::open(profile).unwrap();
    let changes = replica
        .journal_mut()
        .doc_mut(hearth_core::DocKind::Shared)
        .save();
    drop(replica);
    let header = format!(r#"{{"from":"{ben_id}","created":0,"changes":1}}"#);
    let mut body = b"hearth-changes 2\n".to_vec();
    body.extend_from_slice(header.as_bytes());
    body.push(b'\n');
    body.extend_from_slice(&changes);
    // Signed by Olga's key while claiming to be Ben.
    let sig = hearth_core::membership::sign_detached(
        &olga_keys.endpoint_secret(),
        b"hearth/changes/2\n",
        &body,
    );
    let mut forged = body.clone();
    forged.extend_from_slice(&sig);
    let before = ana.wall();
    let path = ana.file("forged.hearth");
    std::fs::write(&path, seal(&forged)).unwrap();
    let out = ana.run(&["import", path.to_str().unwrap(), "--bind", LOOPBACK]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("signature"), "{}", out.stderr);
    // Signed honestly as Olga: a device this journal does not know.
    let olga_id = hearth_sync::endpoint_id_of(olga_keys.endpoint_secret());
    let header = format!(r#"{{"from":"{olga_id}","created":0,"changes":1}}"#);
    let mut body = b"hearth-changes 2\n".to_vec();
    body.extend_from_slice(header.as_bytes());
    body.push(b'\n');
    body.extend_from_slice(&changes);
    let sig = hearth_core::membership::sign_detached(
        &olga_keys.endpoint_secret(),
        b"hearth/changes/2\n",
        &body,
    );
    body.extend_from_slice(&sig);
    std::fs::write(&path, seal(&body)).unwrap();
    let out = ana.run(&["import", path.to_str().unwrap(), "--bind", LOOPBACK]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("does not know"), "{}", out.stderr);
    // The old, unsigned format is refused too.
    let mut old = b"hearth-changes 1\n".to_vec();
    old.extend_from_slice(format!(r#"{{"from":"{ben_id}","created":0,"changes":1}}"#).as_bytes());
    old.push(b'\n');
    old.extend_from_slice(&changes);
    std::fs::write(&path, seal(&old)).unwrap();
    assert_ne!(
        ana.run(&["import", path.to_str().unwrap(), "--bind", LOOPBACK])
            .code,
        0
    );
    assert_eq!(ana.wall(), before, "nothing was brought in");
    assert!(!ana.wall().contains("OLGA-WAS-HERE"));
    assert_eq!(members(&ana).len(), 2);
    // A real change file from Ben still works.
    ben.ok(&["note", "FROM-BEN"]);
    let file = ben.file("ben.hearth");
    ben.ok(&[
        "export-changes",
        "--out",
        file.to_str().unwrap(),
        "--bind",
        LOOPBACK,
    ]);
    let out = ana.ok(&["import", file.to_str().unwrap(), "--bind", LOOPBACK]);
    assert!(out.contains("Ben"), "{out}");
    assert!(ana.wall().contains("FROM-BEN"));
}

/// Attack 6: `restore --merge` took another couple's backup, making a third partner and their
/// device members.
#[test]
fn attack_6_another_couples_backup_does_not_merge() {
    let ana = Device::person("Ana");
    let ben = Device::person("Ben");
    pair(&ana, &ben, "partner");
    let cleo = Device::person("Cleo");
    cleo.ok(&["note", "CLEO-NOTE"]);
    let c_age = cleo.file("c.age");
    assert_eq!(
        hearth_test_kit::cli::with_passphrase(
            &cleo,
            &["backup", "--out", c_age.to_str().unwrap()],
            PASS
        )
        .code,
        0
    );
    let before = (ana.wall(), members(&ana));
    let out = hearth_test_kit::cli::with_passphrase(
        &ana,
        &["restore", c_age.to_str().unwrap(), "--merge"],
        PASS,
    );
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("another journal"), "{}", out.stderr);
    assert_eq!((ana.wall(), members(&ana)), before);
    // A backup of the same journal still merges.
    let a_age = ana.file("a.age");
    assert_eq!(
        hearth_test_kit::cli::with_passphrase(
            &ana,
            &["backup", "--out", a_age.to_str().unwrap()],
            PASS
        )
        .code,
        0
    );
    let out = hearth_test_kit::cli::with_passphrase(
        &ben,
        &["restore", a_age.to_str().unwrap(), "--merge"],
        PASS,
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
}
