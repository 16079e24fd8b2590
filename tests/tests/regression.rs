//! One test per real bug, each with a line saying what broke.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use hearth_core::{DocKind, Timestamp};
use hearth_sync::{Event, FrameHook, HookAction, NetConfig, Role, Setup};
use hearth_test_kit::{TestDevice, pair, wait_until};
use tokio::sync::Notify;
use tokio::sync::broadcast::error::TryRecvError;

/// Splits the first large frame Ana sends in two and holds the second half until released.
#[derive(Default)]
struct HoldLargeFrame {
    used: AtomicBool,
    holding: Notify,
    release: Notify,
}

impl FrameHook for HoldLargeFrame {
    fn outgoing(&self, body: &mut Vec<u8>) -> HookAction {
        if body.len() > 64 * 1024 && !self.used.swap(true, Ordering::SeqCst) {
            HookAction::Split(4 + body.len() / 2)
        } else {
            HookAction::Send
        }
    }

    fn between_parts(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async {
            self.holding.notify_one();
            self.release.notified().await;
        })
    }
}

/// A local change woke a live session while it was halfway through reading a large frame; the
/// cancelled read lost the stream's place ("a frame of 925728296 bytes is over the limit") and
/// that document stopped syncing while the connection stayed up. Here the large frame is held
/// half sent while the receiving device keeps writing, so its session is woken mid-frame every
/// time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_writes_during_a_large_live_sync_keep_the_stream_whole() {
    let hook = Arc::new(HoldLargeFrame::default());
    let config = NetConfig {
        frame_hook: Some(hook.clone()),
        ..NetConfig::loopback()
    };
    let ana = TestDevice::with_config("Ana", Setup::Person, config).await;
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
    let mut events = ben.node().events();
    ana.node().start_live();
    ben.node().start_live();
    tokio::time::timeout(Duration::from_secs(60), hook.holding.notified())
        .await
        .expect("Ana never sent the large frame");
    // Ben writes while half the frame is in and the rest is held back.
    let ben_me = ben.node().me().unwrap();
    for i in 0..20 {
        ben.node()
            .write(|j| j.add_appreciation(&ben_me, &format!("Ben {i}"), false, Timestamp::now()))
            .unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    hook.release.notify_one();
    wait_until(
        "both hold the same journal",
        Duration::from_secs(60),
        || ana.heads(DocKind::Shared) == ben.heads(DocKind::Shared),
    )
    .await;
    assert_eq!(ben.node().read(|j| j.wall(&Default::default()).len()), 3020);
    loop {
        match events.try_recv() {
            Ok(event) => assert!(
                !matches!(event, Event::SessionError { .. }),
                "a session failed: {event:?}"
            ),
            Err(TryRecvError::Lagged(_)) => {}
            Err(_) => break,
        }
    }
}
