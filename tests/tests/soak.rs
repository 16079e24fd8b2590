//! Soak: two devices edit both ways, live, for a set time; at the end they hold the same
//! journal and this process's resident memory has stayed flat (within 10% between the first
//! and last quarter, after warm-up).
//!
//! `HEARTH_SOAK_SECS` sets the duration (default 4 s here; the long run uses 300).
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use hearth_core::{DocKind, Timestamp};
use hearth_sync::{Role, Setup};
use hearth_test_kit::{TestDevice, pair, wait_until};

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_devices_edit_both_ways_and_memory_stays_flat() {
    let secs: u64 = std::env::var("HEARTH_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    pair(&ana, &ben, Role::Partner).await;
    ana.node().start_live();
    ben.node().start_live();
    let devices = [&ana, &ben];
    let start = Instant::now();
    let total = Duration::from_secs(secs);
    let mut samples: Vec<(Duration, u64)> = Vec::new();
    let mut n = 0u64;
    while start.elapsed() < total {
        for d in devices {
            let me = d.node().me().unwrap();
            let text = format!("soak note {n}");
            d.node()
                .write(|j| j.add_appreciation(&me, &text, n.is_multiple_of(2), Timestamp::now()))
                .unwrap();
            n += 1;
        }
        // Pace the writers at the speed the other side takes changes in.
        let target = n as usize;
        wait_until("the partner kept up", Duration::from_secs(10), || {
            devices
                .iter()
                .all(|d| d.node().read(|j| j.wall(&Default::default()).len()) >= target)
        })
        .await;
        if let Some(kib) = rss_kib() {
            samples.push((start.elapsed(), kib));
        }
    }
    wait_until("final convergence", Duration::from_secs(10), || {
        ana.heads(DocKind::Shared) == ben.heads(DocKind::Shared)
    })
    .await;
    println!("soak: {n} notes in {:?}", start.elapsed());
    // Compare the second quarter (after warm-up) with the last quarter.
    let q = |from: f64, to: f64| -> Option<u64> {
        let xs: Vec<u64> = samples
            .iter()
            .filter(|(t, _)| (from..to).contains(&(t.as_secs_f64() / total.as_secs_f64())))
            .map(|(_, k)| *k)
            .collect();
        (!xs.is_empty()).then(|| xs.iter().sum::<u64>() / xs.len() as u64)
    };
    if let (Some(early), Some(late)) = (q(0.25, 0.5), q(0.75, 1.01)) {
        let growth = late as f64 / early as f64;
        println!(
            "soak: resident memory {early} KiB -> {late} KiB ({:.1}%)",
            (growth - 1.0) * 100.0
        );
        assert!(
            growth <= 1.10,
            "resident memory grew {:.1}%",
            (growth - 1.0) * 100.0
        );
    }
}
