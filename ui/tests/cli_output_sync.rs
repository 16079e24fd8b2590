//! `hearth sync` reports both ways: what arrived here and what each device was sent.
#![allow(clippy::unwrap_used)]

use hearth_test_kit::cli::{Device, LOOPBACK, pair};

#[test]
fn sync_reports_what_was_sent_as_well_as_what_arrived() {
    let alex = Device::person("Alex");
    let ben = Device::person("Ben");
    pair(&alex, &ben, "partner");
    let serve_b = ben.serve();

    alex.ok(&["note", "Thanks for the tea"]);
    let out = alex.ok(&["sync", "--timeout", "10", "--bind", LOOPBACK]);
    assert!(!out.contains("Nothing new."), "{out}");
    assert!(out.contains("Nothing new arrived."), "{out}");
    let sent = out.find("Sent to").unwrap_or_else(|| panic!("{out}"));
    assert!(
        out[sent..].contains("new note: Alex: Thanks for the tea"),
        "{out}"
    );

    // Ben answers; Alex's next sync brings it and sends nothing.
    ben.ok(&["note", "Anytime, love"]);
    let v = alex.json(&["sync", "--timeout", "10", "--bind", LOOPBACK]);
    let arrived: Vec<&str> = v["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(arrived, ["Ben: Anytime, love"], "{v}");
    let sent = v["sent"][0]["changes"].as_array().unwrap();
    assert!(sent.is_empty(), "{v}");

    let again = alex.ok(&["sync", "--timeout", "10", "--bind", LOOPBACK]);
    assert!(again.contains("Nothing new either way"), "{again}");
    assert!(serve_b.stop().success());
}
