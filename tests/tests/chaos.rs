//! Chaos over real loopback QUIC: three devices (two phones and the home display) write while
//! seeded random partitions come and go; after each heal all three converge within 2 seconds.
//!
//! `HEARTH_CHAOS_CYCLES` sets the number of cycles (the long run uses 200);
//! `HEARTH_CHAOS_SEED` replays a run.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use hearth_core::{DocKind, PartnerId, Timestamp};
use hearth_sync::{Role, Setup};
use hearth_test_kit::{TestDevice, pair, wait_until};
use rand::{RngExt, SeedableRng, rngs::StdRng};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_heal_and_everyone_converges() {
    let cycles = env_or("HEARTH_CHAOS_CYCLES", 8);
    let seed = env_or("HEARTH_CHAOS_SEED", 0x4ea7);
    println!("chaos: {cycles} cycles, seed {seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    let home = TestDevice::new("Kitchen", Setup::Display).await;
    pair(&ana, &ben, Role::Partner).await;
    pair(&ana, &home, Role::Display).await;
    let devices = [&ana, &ben, &home];
    for d in devices {
        d.node().start_live();
    }
    let partners: Vec<PartnerId> = ana
        .node()
        .read(|j| j.partners().into_iter().map(|p| p.id).collect());
    let ids: Vec<_> = devices.iter().map(|d| d.node().id()).collect();
    // The phones hold the same shared journal; the display holds the same wall as both phones,
    // and that wall is the projection of the journal (notes left on the display adopted).
    let converged = || {
        let wall = |d: &TestDevice| d.node().read(hearth_core::Journal::wall_contents);
        ana.heads(DocKind::Shared) == ben.heads(DocKind::Shared)
            && wall(&ana) == wall(&ben)
            && wall(&home) == wall(&ana)
            && ana.node().read(hearth_core::Journal::wall_projection) == wall(&ana)
    };
    wait_until("first convergence", Duration::from_secs(10), converged).await;
    let mut written = 0usize;
    let mut slowest = Duration::ZERO;
    for cycle in 0..cycles {
        // Cut each link with probability 1/2, on both sides.
        let mut cut = Vec::new();
        for (i, j) in [(0, 1), (0, 2), (1, 2)] {
            if rng.random_bool(0.5) {
                devices[i].node().pause_peer(ids[j]);
                devices[j].node().pause_peer(ids[i]);
                cut.push((i, j));
            }
        }
        for (k, d) in devices.iter().enumerate() {
            for n in 0..rng.random_range(1..=3) {
                // Each phone writes as its owner; the display in either partner's name.
                let pick = partners[rng.random_range(0..partners.len())].clone();
                let author = d.node().me().unwrap_or(pick);
                let text = format!("cycle {cycle} device {k} note {n}");
                d.node()
                    .write(|j| j.add_appreciation(&author, &text, true, Timestamp::now()))
                    .unwrap();
                written += 1;
            }
        }
        for (i, j) in cut {
            devices[i].node().resume_peer(ids[j]);
            devices[j].node().resume_peer(ids[i]);
        }
        let healed = Instant::now();
        wait_until(
            &format!("convergence after heal {cycle}"),
            Duration::from_secs(2),
            converged,
        )
        .await;
        slowest = slowest.max(healed.elapsed());
    }
    for d in devices {
        assert_eq!(
            d.node().read(|j| j.wall(&Default::default()).len()),
            written
        );
    }
    println!("chaos: {written} notes, slowest convergence after a heal {slowest:?}");
}
