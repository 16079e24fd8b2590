//! Runs every benchmark scenario at a tiny size and checks the JSON output: every scenario is
//! there, with rows, and every number is finite. No figure is judged: these are not timed tests.
#![allow(clippy::unwrap_used)]

use hearth_examples::bench::{Options, Scenario, run};
use serde_json::Value;

fn check_finite(path: &str, v: &Value) {
    match v {
        Value::Null => panic!("{path} is null (a NaN or an infinity?)"),
        Value::Number(n) => {
            let f = n.as_f64().unwrap();
            assert!(f.is_finite(), "{path} is not finite: {f}");
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_finite(&format!("{path}[{i}]"), item);
            }
        }
        Value::Object(map) => {
            for (k, item) in map {
                check_finite(&format!("{path}.{k}"), item);
            }
        }
        Value::Bool(_) | Value::String(_) => {}
    }
}

#[test]
fn every_scenario_reports_finite_numbers() {
    let report = run(&Options::tiny()).unwrap();
    assert!(report.failures().is_empty(), "{:?}", report.failures());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out").join("bench.json");
    report.write_json(&path).unwrap();
    let json: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();

    check_finite("report", &json);
    for scenario in Scenario::ALL {
        let sc = &json["scenarios"][scenario.name()];
        let rows = sc["rows"]
            .as_array()
            .unwrap_or_else(|| panic!("{scenario} is missing"));
        assert!(!rows.is_empty(), "{scenario} has no rows");
        for row in rows {
            for field in ["figure", "floor", "ratio", "budget", "of_budget"] {
                assert!(
                    row[field].is_number(),
                    "{scenario}: {field} missing in {row}"
                );
            }
            assert!(row["met"].is_boolean());
        }
    }
    let live_rows = json["scenarios"]["live"]["rows"].as_array().unwrap();
    assert_eq!(live_rows.len(), 2 * Options::tiny().live_sizes.len());
    assert!(report.markdown().lines().count() > Scenario::ALL.len());
}
