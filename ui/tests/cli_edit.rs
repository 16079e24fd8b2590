//! Rewriting what one wrote: `hearth edit` on every kind of item with one text, an "I"
//! statement draft rewritten whole, drafts of hurts thrown away, and what was shared in a
//! conversation kept as it was said.
#![allow(clippy::unwrap_used)]

use hearth_test_kit::cli::Device;

fn id_of(v: &serde_json::Value) -> String {
    v["id"]
        .as_str()
        .or_else(|| v["statement"]["id"].as_str())
        .unwrap_or_else(|| panic!("no id in {v}"))
        .to_owned()
}

#[test]
fn each_kind_of_item_is_rewritten_by_its_id() {
    let ana = Device::person("Ana");
    let kindness = id_of(&ana.json(&["kindness", "log", "Made tea"]));
    let idea = id_of(&ana.json(&["idea", "add", "Stargazing"]));
    let checkin = id_of(&ana.json(&[
        "checkin",
        "--mood",
        "3",
        "--closeness",
        "4",
        "--note",
        "tired",
    ]));
    let note = id_of(&ana.json(&["note", "Thanks for the soup"]));

    for (id, text) in [
        (&kindness, "Made tea and toast"),
        (&idea, "Stargazing on the hill"),
        (&checkin, "tired but glad"),
        (&note, "Thanks for the soup, it was perfect"),
    ] {
        let out = ana.ok(&["edit", id, text]);
        assert!(out.contains("changed"), "{out}");
    }
    let kindnesses = ana.json(&["kindness", "list"]).to_string();
    assert!(kindnesses.contains("Made tea and toast"), "{kindnesses}");
    assert!(
        ana.json(&["ideas"])
            .to_string()
            .contains("Stargazing on the hill")
    );
    assert!(
        ana.json(&["checkins"])
            .to_string()
            .contains("tired but glad")
    );
    assert_eq!(ana.wall_texts(), ["Thanks for the soup, it was perfect"]);

    // Bad input changes nothing.
    let before = ana.json(&["kindness", "list"]).to_string();
    let empty = ana.run(&["edit", &kindness, "   "]);
    assert_ne!(empty.code, 0);
    let missing = ana.run(&["edit", "NOSUCHID", "Something"]);
    assert_ne!(missing.code, 0);
    assert_eq!(ana.json(&["kindness", "list"]).to_string(), before);
}

#[test]
fn drafts_change_and_go_until_they_are_shared() {
    let ana = Device::person("Ana");
    // A hurt never shared is a draft: rewritten, then thrown away.
    let draft = id_of(&ana.json(&["repair", "hurt", "You were late"]));
    ana.ok(&["edit", &draft, "I waited an hour and felt forgotten"]);
    assert!(
        ana.json(&["repair", "list"])
            .to_string()
            .contains("felt forgotten")
    );
    ana.ok(&["delete", &draft]);
    assert!(
        !ana.json(&["repair", "list"])
            .to_string()
            .contains("felt forgotten")
    );

    // A shared hurt stays as it was said, and stays.
    let shared = id_of(&ana.json(&["repair", "hurt", "The missed call", "--share"]));
    let refused = ana.run(&["edit", &shared, "Something else"]);
    assert_ne!(refused.code, 0);
    assert!(refused.stderr.contains("shared"), "{}", refused.stderr);
    assert_ne!(ana.run(&["delete", &shared]).code, 0);
    assert!(
        ana.json(&["repair", "list"])
            .to_string()
            .contains("The missed call")
    );

    // An "I" statement draft is rewritten whole, then shared in the same step.
    let statement = id_of(&ana.json(&["i-statement", "write", "--feeling", "I felt alone"]));
    let hint = ana.run(&["edit", &statement, "I felt alone"]);
    assert_ne!(hint.code, 0);
    assert!(
        hint.stderr.contains("i-statement write --edit"),
        "{}",
        hint.stderr
    );
    ana.ok(&[
        "i-statement",
        "write",
        "--edit",
        &statement,
        "--observation",
        "the evening you worked late",
        "--feeling",
        "I felt lonely",
        "--share",
    ]);
    let list = ana.json(&["i-statement", "list"]).to_string();
    assert!(list.contains("I felt lonely"), "{list}");
    assert!(!list.contains("I felt alone\""), "{list}");
    let again = ana.run(&[
        "i-statement",
        "write",
        "--edit",
        &statement,
        "--feeling",
        "Something else",
    ]);
    assert_ne!(again.code, 0, "a shared statement is no longer a draft");
}
