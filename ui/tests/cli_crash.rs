//! Crashes: `hearth serve` is killed with SIGKILL at seeded moments while notes arrive over its
//! socket and live from the partner's device. After each kill the profile reopens, and no note
//! whose command had succeeded is lost; at the end both devices converge.
//!
//! `HEARTH_CRASH_KILLS` sets the number of kills (the long run uses 100);
//! `HEARTH_CRASH_SEED` replays a run.
#![allow(clippy::unwrap_used)]

use std::process::Stdio;
use std::time::Duration;

use hearth_test_kit::cli::{Device, pair, wait_until};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// xorshift: a tiny seeded generator, so a failing run replays exactly.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn killed_serve_loses_no_acknowledged_note() {
    let kills = env_or("HEARTH_CRASH_KILLS", 6);
    let mut rng = env_or("HEARTH_CRASH_SEED", 0x5eed_c0de) | 1;
    println!("crash: {kills} kills, seed {rng}");
    let ana = Device::person("Ana");
    let ben = Device::person("Ben");
    pair(&ana, &ben, "partner");
    let serve_b = ben.serve();
    let mut acked: Vec<String> = Vec::new();
    let mut from_ben: Vec<String> = Vec::new();
    for k in 0..kills {
        let serve_a = ana.serve();
        let before_kill = 1 + next(&mut rng) % 5;
        for i in 0..before_kill {
            let text = format!("kill {k} note {i}");
            if ana.run(&["note", &text]).code == 0 {
                acked.push(text);
            }
            if next(&mut rng).is_multiple_of(2) {
                let text = format!("from Ben {k} {i}");
                ben.ok(&["note", &text]);
                from_ben.push(text);
            }
        }
        // One more note in flight while the process dies: kept if (and only if) acknowledged.
        let text = format!("kill {k} in flight");
        let in_flight = ana
            .cmd(&["note", &text])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        serve_a.kill();
        let out = in_flight.wait_with_output().unwrap();
        if out.status.success() {
            acked.push(text);
        }
        // The profile opens again, without the serve, and holds every acknowledged note.
        let wall = ana.wall_texts();
        for note in &acked {
            assert!(
                wall.contains(note),
                "after kill {k}, the acknowledged note {note:?} is lost"
            );
        }
    }
    // Back together: Ana's serve starts once more and both converge.
    let serve_a = ana.serve();
    wait_until("Ben's notes reach Ana", Duration::from_secs(30), || {
        let wall = ana.wall_texts();
        from_ben.iter().all(|n| wall.contains(n))
    });
    wait_until("Ana's notes reach Ben", Duration::from_secs(30), || {
        let wall = ben.wall_texts();
        acked.iter().all(|n| wall.contains(n))
    });
    println!(
        "crash: {} acknowledged notes survived {kills} kills",
        acked.len()
    );
    serve_a.stop();
    serve_b.stop();
}
