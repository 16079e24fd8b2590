//! `hearth demo`, the README's main job, runs to its end and says the devices agree.
#![allow(clippy::unwrap_used)]

use std::process::Command;

#[test]
fn the_demo_ends_with_one_journal() {
    let out = Command::new(hearth_test_kit::cli::hearth_bin())
        .arg("demo")
        .env_remove("HEARTH_PROFILE")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Both phones hold the same journal")
            && stdout.contains("The display holds only what it shows"),
        "{stdout}"
    );
    for column in ["Ana's phone", "Ben's phone", "Kitchen display holds"] {
        assert!(stdout.contains(column), "{stdout}");
    }
}
