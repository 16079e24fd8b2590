//! Each partner acts only as themselves: the cases a new user tried on two paired devices,
//! replayed with real `hearth` processes on loopback. Each was accepted before the rules of who
//! may change what; each is refused now, says why, and changes nothing.
#![allow(clippy::unwrap_used)]

use hearth_test_kit::cli::{Device, LOOPBACK, pair};

/// Ana and Ben, paired as partners.
fn couple() -> (Device, Device) {
    let ana = Device::person("Ana");
    let ben = Device::person("Ben");
    pair(&ana, &ben, "partner");
    (ana, ben)
}

/// Brings what `from` wrote to `to`.
fn sync(from: &Device, to: &Device) {
    let serve = from.serve();
    let out = to.run(&["sync", "--timeout", "10", "--bind", LOOPBACK]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    serve.stop();
}

/// The id of the first item a list command shows as JSON.
fn first_id(d: &Device, args: &[&str]) -> String {
    d.json(args)[0]["id"].as_str().unwrap().to_owned()
}

#[test]
fn a_note_in_the_partners_name_is_refused_on_a_personal_device() {
    let (ana, _ben) = couple();
    let before = ana.wall();
    let out = ana.run(&[
        "note",
        "Ben says: I was wrong about everything",
        "--as",
        "Ben",
    ]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("Ana's device"), "{}", out.stderr);
    assert_eq!(ana.wall(), before, "nothing written");
}

#[test]
fn only_the_author_edits_a_note_and_the_partner_may_only_hide_it() {
    let (ana, ben) = couple();
    ben.ok(&["note", "Thank you for the soup", "--wall-safe"]);
    sync(&ben, &ana);
    let id = first_id(&ana, &["wall"]);
    let out = ana.run(&["note", "Ben says: I was wrong", "--edit", &id]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("author"), "{}", out.stderr);
    assert_eq!(ana.wall_texts(), vec!["Thank you for the soup".to_owned()]);
    // Ana may take it off the home display at once, but not put it back: that is Ben's call.
    ana.ok(&["wall-safe", &id, "off"]);
    assert_eq!(ana.json(&["wall"])[0]["wall_safe"], false);
    let out = ana.run(&["wall-safe", &id, "on"]);
    assert_ne!(out.code, 0);
    assert_eq!(ana.json(&["wall"])[0]["wall_safe"], false, "unchanged");
    // Nor delete it.
    assert_ne!(ana.run(&["delete", &id]).code, 0);
    sync(&ana, &ben);
    assert_eq!(ben.json(&["wall"])[0]["wall_safe"], false);
    ben.ok(&["wall-safe", &id, "on"]);
    assert_eq!(ben.json(&["wall"])[0]["wall_safe"], true);
}

#[test]
fn only_the_hurt_partner_releases_and_only_after_understood() {
    let (ana, ben) = couple();
    ben.ok(&["repair", "hurt", "You forgot our anniversary", "--share"]);
    sync(&ben, &ana);
    let id = first_id(&ana, &["repair", "list"]);
    // Ana did not write the hurt: she cannot let it go for Ben.
    let out = ana.run(&["repair", "release", &id]);
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("hurt"), "{}", out.stderr);
    // Ben cannot skip the steps.
    assert_ne!(ben.run(&["repair", "release", &id]).code, 0);
    assert_ne!(ben.run(&["repair", "understood", &id]).code, 0);
    ana.ok(&[
        "repair",
        "acknowledge",
        &id,
        "--words",
        "I am sorry, I see how it hurt",
    ]);
    sync(&ana, &ben);
    // Acknowledging is Ana's step, not Ben's.
    assert_ne!(ben.run(&["repair", "acknowledge", &id]).code, 0);
    assert_ne!(ben.run(&["repair", "release", &id]).code, 0);
    ben.ok(&["repair", "understood", &id]);
    ben.ok(&["repair", "release", &id]);
    let r = &ben.json(&["repair", "list"])[0];
    assert_eq!(r["released"].as_array().unwrap().len(), 1, "{r}");
}

#[test]
fn nothing_a_revoked_device_wrote_after_its_revocation_shows() {
    let (ana, ben) = couple();
    ana.ok(&["revoke", "Ben's device"]);
    ben.ok(&["note", "WRITTEN-AFTER-REVOCATION"]);
    let file = ben.file("ben.hearth");
    let out = ben.run(&[
        "export-changes",
        "--out",
        file.to_str().unwrap(),
        "--bind",
        LOOPBACK,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = ana.run(&["import", file.to_str().unwrap(), "--bind", LOOPBACK]);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(out.stderr.contains("revoked"), "{}", out.stderr);
    // Nor by syncing.
    let serve = ana.serve();
    let _ = ben.run(&["sync", "--timeout", "5", "--bind", LOOPBACK]);
    serve.stop();
    for view in [
        vec!["wall"],
        vec!["week"],
        vec!["export", "--format", "json"],
    ] {
        let out = ana.ok(&view);
        assert!(!out.contains("WRITTEN-AFTER-REVOCATION"), "{view:?}: {out}");
    }
}
