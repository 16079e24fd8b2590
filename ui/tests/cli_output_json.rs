//! `--json` output: a name next to every partner id and an RFC 3339 time beside every time in
//! milliseconds; and the wording of refused notes.
#![allow(clippy::unwrap_used)]

use hearth_test_kit::cli::Device;

#[test]
fn json_has_names_beside_ids_and_rfc3339_beside_milliseconds() {
    let alex = Device::person("Alex");
    let note = alex.json(&["note", "Thanks for the tea"]);
    let id = note["id"].as_str().unwrap().to_owned();
    let reacted = alex.json(&["react", &id]);
    assert_eq!(reacted["reactions_names"][0], "Alex", "{reacted}");
    assert_eq!(reacted["author_name"], "Alex", "{reacted}");
    let created = reacted["created_time"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok(),
        "{reacted}"
    );

    let date = alex.json(&[
        "date",
        "plan",
        "--title",
        "Old picnic",
        "--when",
        "2020-06-01T12:00:00Z",
    ]);
    assert_eq!(date["start_time"], "2020-06-01T12:00:00Z", "{date}");
    let did = date["id"].as_str().unwrap().to_owned();
    let reflected = alex.json(&["date", "reflect", &did, "The light was lovely"]);
    assert_eq!(reflected["reflections_names"][0], "Alex", "{reflected}");
    let dates = alex.json(&["dates"]);
    assert_eq!(dates["past"][0]["planner_name"], "Alex", "{dates}");
    assert_eq!(dates["past"][0]["reflections_names"][0], "Alex", "{dates}");
}

#[test]
fn a_refused_note_is_called_a_note_and_the_limit_is_what_is_allowed() {
    let alex = Device::person("Alex");
    let empty = alex.run(&["note", "   "]);
    assert_eq!(empty.code, 1);
    assert!(
        empty.stderr.contains("the note is empty"),
        "{}",
        empty.stderr
    );
    assert!(!empty.stderr.contains("appreciation"), "{}", empty.stderr);

    let long = "x".repeat(10_001);
    let out = alex.run(&["note", &long]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("the note is 10 001 characters long; it can hold at most 10 000"),
        "{}",
        out.stderr
    );
    alex.ok(&["note", &"x".repeat(10_000)]);
}
