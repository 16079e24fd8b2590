//! Finding one's way: `hearth search` over every kind of item, `hearth status` at a glance
//! before and after a partner pairs, an idea planned as a date in one step, and a new deck that
//! offers ideas to start from.
#![allow(clippy::unwrap_used)]

use hearth_test_kit::cli::{Device, pair};

#[test]
fn search_finds_every_kind_of_item_ignoring_case() {
    let ana = Device::person("Ana");
    ana.ok(&["note", "Thank you for the PICNIC basket"]);
    ana.ok(&[
        "date",
        "plan",
        "--title",
        "Dinner out",
        "--when",
        "2030-06-01T19:00",
        "--place",
        "The picnic meadow",
    ]);
    ana.ok(&["idea", "add", "Picnic by the river"]);
    ana.ok(&["kindness", "log", "Packed a picnic lunch"]);
    ana.ok(&[
        "checkin",
        "--mood",
        "4",
        "--closeness",
        "4",
        "--note",
        "picnic day",
    ]);
    ana.ok(&["note", "Nothing to do with it"]);

    let out = ana.ok(&["search", "Picnic"]);
    for kind in [
        "note ·",
        "date plan ·",
        "idea ·",
        "kindness ·",
        "check-in ·",
    ] {
        assert!(out.contains(kind), "{kind} missing:\n{out}");
    }
    assert!(
        out.contains("The picnic meadow"),
        "the matching field is shown:\n{out}"
    );
    assert!(!out.contains("Nothing to do with it"), "{out}");

    let json = ana.json(&["search", "picnic", "--limit", "2"]);
    let found = json.as_array().unwrap();
    assert_eq!(found.len(), 2, "{json}");
    assert_eq!(found[0]["who_name"], "Ana", "{json}");
    assert!(
        found[0]["text"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("picnic")
    );

    let none = ana.ok(&["search", "zeppelin"]);
    assert!(none.contains("Nothing holds \"zeppelin\""), "{none}");
    let empty = ana.run(&["search", "  "]);
    assert_ne!(empty.code, 0);
    assert!(
        empty.stderr.contains("say what to look for"),
        "{}",
        empty.stderr
    );
}

#[test]
fn status_says_what_waits_for_each_device() {
    let ana = Device::person("Ana");
    let alone = ana.ok(&["status"]);
    assert!(alone.contains("Ana's device"), "{alone}");
    assert!(alone.contains("Journal of Ana"), "{alone}");
    assert!(alone.contains("No other device yet"), "{alone}");

    let ben = Device::person("Ben");
    pair(&ana, &ben, "partner");
    ben.ok(&["note", "Thanks for the coffee"]);
    ana.ok(&["note", "Thanks for the walk"]);
    ana.ok(&["note", "And for the soup"]);
    let out = ana.ok(&["status"]);
    assert!(out.contains("Journal of Ana and Ben"), "{out}");
    assert!(out.contains("2 notes"), "{out}");
    assert!(
        out.contains("waiting for it"),
        "Ana's two notes wait for Ben:\n{out}"
    );

    let json = ana.json(&["status"]);
    let devices = json["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1, "{json}");
    assert_eq!(devices[0]["owner_name"], "Ben");
    assert!(devices[0]["waiting"].as_u64().unwrap() >= 2, "{json}");
}

#[test]
fn an_idea_becomes_a_date_in_one_step() {
    let ana = Device::person("Ana");
    let empty = ana.ok(&["ideas"]);
    assert!(empty.contains("A few to start from"), "{empty}");
    let idea = ana.json(&["idea", "add", "Stargazing on the hill"]);
    let id = idea["id"].as_str().unwrap().to_owned();
    let out = ana.ok(&[
        "date",
        "plan",
        "--from-idea",
        &id,
        "--when",
        "2030-07-01T21:30",
    ]);
    assert!(out.contains("Planned: Stargazing on the hill"), "{out}");
    let dates = ana.json(&["dates"]);
    assert!(
        dates.to_string().contains("Stargazing on the hill"),
        "{dates}"
    );
    // The idea stays in the deck for another time.
    assert!(ana.ok(&["ideas"]).contains("Stargazing on the hill"));

    let missing = ana.run(&[
        "date",
        "plan",
        "--from-idea",
        "NOSUCH",
        "--when",
        "2030-07-01T21:30",
    ]);
    assert_ne!(missing.code, 0);
    let neither = ana.run(&["date", "plan", "--when", "2030-07-01T21:30"]);
    assert_eq!(neither.code, 2, "a usage mistake: {}", neither.stderr);
}
