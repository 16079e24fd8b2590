//! What the lists print: dates sorted by time, ids that name items by their start or end,
//! items in the trash, and who wrote and who deleted what.
#![allow(clippy::unwrap_used)]

use hearth_test_kit::cli::Device;

/// The short id (last six characters) of the item a `--json` command printed.
fn short(v: &serde_json::Value) -> String {
    let id = v["id"].as_str().unwrap();
    id[id.len() - 6..].to_owned()
}

#[test]
fn dates_are_sorted_by_time_whatever_their_status() {
    let alex = Device::person("Alex");
    let plan = |title: &str, when: Option<&str>| {
        let mut args = vec!["date", "plan", "--title", title];
        if let Some(w) = when {
            args.extend(["--when", w]);
        }
        alex.json(&args)
    };
    let called_off = plan("Concert", Some("2027-05-01T20:00:00Z"));
    let done_early = plan("Cabin weekend", Some("2027-08-01T10:00:00Z"));
    plan("Dinner at Rosa's", Some("2027-03-01T19:00:00Z"));
    plan("Old picnic", Some("2020-06-01T12:00:00Z"));
    plan("Pottery class", None);
    alex.ok(&["date", "cancel", &short(&called_off)]);
    alex.ok(&["date", "done", &short(&done_early)]);

    let v = alex.json(&["dates"]);
    let titles = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|d| d["title"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        titles("upcoming"),
        ["Dinner at Rosa's", "Concert", "Cabin weekend"],
        "{v}"
    );
    assert_eq!(titles("past"), ["Old picnic"], "{v}");
    assert_eq!(titles("ideas"), ["Pottery class"], "{v}");

    let text = alex.ok(&["dates"]);
    let before = text.find("Before").unwrap();
    let concert = text.find("Concert").unwrap();
    assert!(
        concert < before,
        "a cancelled date to come is coming up:\n{text}"
    );
    assert!(text.contains("called off"), "{text}");

    let upcoming = alex.ok(&["dates", "--upcoming"]);
    assert!(!upcoming.contains("Ideas for later"), "{upcoming}");
    assert!(!upcoming.contains("Pottery class"), "{upcoming}");
    assert!(!upcoming.contains("Before"), "{upcoming}");
    let json = alex.json(&["dates", "--upcoming"]);
    assert!(json["ideas"].as_array().unwrap().is_empty(), "{json}");
}

#[test]
fn until_without_when_is_a_usage_mistake() {
    let alex = Device::person("Alex");
    let out = alex.run(&[
        "date",
        "plan",
        "--title",
        "Picnic",
        "--until",
        "2027-06-01T12:00:00Z",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--when"), "{}", out.stderr);
}

#[test]
fn ids_work_by_start_or_end_and_trashed_items_say_so() {
    let alex = Device::person("Alex");
    let note = alex.json(&["note", "Thanks for the tea"]);
    let id = note["id"].as_str().unwrap().to_owned();

    // The whole id, its end, its end as lists print it, and a unique start all name it.
    for needle in [
        id.clone(),
        id[id.len() - 6..].to_owned(),
        format!("[{}]", &id[id.len() - 6..]),
        id[..12].to_lowercase(),
    ] {
        let out = alex.run(&["react", &needle]);
        assert_eq!(out.code, 0, "{needle}: {}", out.stderr);
    }

    alex.ok(&["delete", &short(&note)]);
    let out = alex.run(&["react", &short(&note)]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("is in the trash"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains(&format!("hearth trash restore {}", short(&note))),
        "{}",
        out.stderr
    );

    let out = alex.run(&["delete", "ab"]);
    assert!(out.stderr.contains("to name an item"), "{}", out.stderr);
}

#[test]
fn kindness_list_shows_ids_and_the_trash_tells_author_from_deleter() {
    let alex = Device::person("Alex");
    let act = alex.json(&["kindness", "log", "Made tea"]);
    let list = alex.ok(&["kindness", "list"]);
    assert!(list.contains(&format!("[{}]", short(&act))), "{list}");
    // The id shown there names it.
    alex.ok(&["delete", &short(&act)]);

    let trash = alex.ok(&["trash", "list"]);
    assert!(trash.contains("kindness by Alex: Made tea"), "{trash}");
    assert!(trash.contains("deleted by Alex on"), "{trash}");
    let json = alex.json(&["trash", "list"]);
    let entry = &json[0];
    assert_eq!(entry["author_name"], "Alex", "{json}");
    assert_eq!(entry["deleted_by_name"], "Alex", "{json}");
    assert!(
        entry["deleted_at_time"].as_str().unwrap().ends_with('Z'),
        "{json}"
    );

    let out = alex.run(&["trash", "restore", &short(&act)]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = alex.run(&["trash", "restore", &short(&act)]);
    assert!(out.stderr.contains("is not in the trash"), "{}", out.stderr);
}
