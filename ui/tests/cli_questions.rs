//! The open-question deck from the command line, between two real `hearth` processes that stay
//! in sync through their serves: tonight's question is the same on both sides, an answer shows
//! to no one until both answered, then both answers are there side by side.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use hearth_test_kit::cli::{Device, pair, wait_until};

fn tonight(d: &Device) -> serde_json::Value {
    d.json(&["question", "next"])
}

fn question(d: &Device, id: &str) -> serde_json::Value {
    d.json(&["question", "list"])
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no question {id}"))
}

#[test]
fn answered_apart_and_opened_together() {
    let ana = Device::person("Ana");
    let ben = Device::person("Ben");
    pair(&ana, &ben, "partner");
    let q = tonight(&ana);
    let id = q["id"].as_str().unwrap().to_owned();
    assert_eq!(tonight(&ben)["id"], id, "the same question on both sides");
    let short = &id[id.len() - 6..];

    let _serve_a = ana.serve();
    let _serve_b = ben.serve();
    let said = ana.ok(&["question", "answer", short, "The lake at dawn"]);
    assert!(said.contains("sealed"), "{said}");
    // Ben's side learns that Ana answered, and not what.
    wait_until("Ben sees Ana's answer", Duration::from_secs(20), || {
        question(&ben, &id)["answers"].as_array().unwrap().len() == 1
    });
    let on_ben = question(&ben, &id);
    assert_eq!(on_ben["answers"][0]["by_name"], "Ana");
    assert!(on_ben["answers"][0]["text"].is_null(), "{on_ben}");
    assert!(!ana.ok(&["question", "next"]).contains("The lake at dawn"));
    let human = ben.ok(&["question", "next"]);
    assert!(human.contains("Ana has answered"), "{human}");
    // Ana may still change hers.
    ana.ok(&["question", "answer", short, "The lake at dawn, with coffee"]);

    ben.ok(&["question", "answer", short, "Our first flat"]);
    wait_until(
        "both answers open on both sides",
        Duration::from_secs(20),
        || {
            [&ana, &ben].iter().all(|d| {
                let q = question(d, &id);
                q["answers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|a| !a["text"].is_null())
            })
        },
    );
    let both = ana.ok(&["question", "list", "--answered"]);
    assert!(
        both.contains("Ana (") && both.contains("The lake at dawn, with coffee"),
        "{both}"
    );
    assert!(
        both.contains("Ben (") && both.contains("Our first flat"),
        "{both}"
    );
    // Once both answered, an answer stays.
    let late = ana.run(&["question", "answer", short, "Something else"]);
    assert_eq!(late.code, 1, "{}", late.stdout);
    assert!(
        late.stderr.contains("both have answered"),
        "{}",
        late.stderr
    );
    // Tonight moves on to another question.
    assert_ne!(tonight(&ana)["id"], id);
}

#[test]
fn own_questions_and_bad_input() {
    let ana = Device::person("Ana");
    let added = ana.json(&["question", "add", "What did you dream about last night?"]);
    let id = added["id"].as_str().unwrap().to_owned();
    let listed = ana.json(&["question", "list"]);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|q| q["id"] == id.as_str()),
        "{listed}"
    );
    assert!(
        listed.as_array().unwrap().len() > 60,
        "the starter deck is there"
    );
    let before = ana.ok(&["--json", "question", "list"]);
    for (args, why) in [
        (vec!["question", "answer", "nope", "Hello"], "no question"),
        (
            vec!["question", "answer", &id[id.len() - 6..], "  "],
            "empty",
        ),
        (vec!["question", "add", ""], "empty"),
    ] {
        let out = ana.run(&args);
        assert_eq!(out.code, 1, "{args:?}: {}", out.stdout);
        assert!(out.stderr.contains(why), "{args:?}: {}", out.stderr);
    }
    assert_eq!(
        ana.ok(&["--json", "question", "list"]),
        before,
        "nothing changed"
    );
    let usage = ana.run(&["question", "answer", "only-an-id"]);
    assert_eq!(usage.code, 2, "{}", usage.stderr);
    // The deck of questions stays out of the idea list unless asked for.
    let ideas = ana.json(&["ideas"]);
    assert!(ideas.as_array().unwrap().is_empty(), "{ideas}");
    let questions = ana.json(&["ideas", "--kind", "question"]);
    assert_eq!(questions.as_array().unwrap().len(), 1, "{questions}");
}
