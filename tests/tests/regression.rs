//! One test per real bug, each with a line saying what broke.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use hearth_core::{DocKind, Timestamp};
use hearth_sync::{Role, Setup};
use hearth_tests::{TestDevice, pair, wait_until};

/// A local change woke a live session while it was halfway through reading a large frame; the
/// cancelled read lost the stream's place ("a frame of 925728296 bytes is over the limit") and
/// that document stopped syncing while the connection stayed up. The race depends on timing:
/// this scenario exercises the path (frames are now read whole in their own task) but did not
/// reproduce the failure reliably against the old code on every machine.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_writes_during_a_large_live_sync_keep_the_stream_whole() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    pair(&ana, &ben, Role::Partner).await;
    let me = ana.node().me().unwrap();
    let now = Timestamp::now();
    ana.node()
        .write(|j| {
            j.batch(now, |j| {
                for i in 0..3000 {
                    j.add_appreciation(
                        &me,
                        &format!("A long thank-you, number {i}, for all the little things"),
                        i % 3 == 0,
                        now,
                    )?;
                }
                Ok(())
            })
        })
        .unwrap();
    ana.node().start_live();
    ben.node().start_live();
    let ben_me = ben.node().me().unwrap();
    for i in 0..40 {
        ben.node()
            .write(|j| j.add_appreciation(&ben_me, &format!("Ben {i}"), false, Timestamp::now()))
            .unwrap();
        tokio::task::yield_now().await;
    }
    wait_until(
        "both hold the same journal",
        Duration::from_secs(60),
        || ana.heads(DocKind::Shared) == ben.heads(DocKind::Shared),
    )
    .await;
    assert_eq!(ben.node().read(|j| j.wall(&Default::default()).len()), 3040);
}
