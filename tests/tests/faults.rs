//! Faults on the wire: corrupt, truncated and oversized frames end the session with an error
//! and leave the receiving journal unchanged; reconnecting afterwards converges. Change files
//! are refused when they are not for this device or damaged.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use hearth_core::{DocKind, Timestamp};
use hearth_sync::{FrameHook, HookAction, NetConfig, Role, Setup, SyncError};
use hearth_test_kit::{TestDevice, pair, wall_texts};

#[derive(Debug)]
enum Fault {
    Corrupt,
    Truncate,
    Oversize,
}

impl FrameHook for Fault {
    fn outgoing(&self, body: &mut Vec<u8>) -> HookAction {
        match self {
            Fault::Corrupt => {
                for b in body.iter_mut() {
                    *b ^= 0xA5;
                }
                HookAction::Send
            }
            Fault::Truncate => HookAction::Truncate(4 + body.len() / 2),
            Fault::Oversize => HookAction::Oversize,
        }
    }
}

fn note(d: &TestDevice, text: &str) {
    let me = d.node().me().unwrap();
    d.node()
        .write(|j| j.add_appreciation(&me, text, false, Timestamp::now()))
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frames_end_the_session_and_change_nothing() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let mut ben = TestDevice::new("Ben", Setup::Person).await;
    pair(&ana, &ben, Role::Partner).await;
    note(&ana, "From Ana");
    for fault in [Fault::Corrupt, Fault::Truncate, Fault::Oversize] {
        ben.stop().await;
        let config = NetConfig {
            frame_hook: Some(Arc::new(fault)),
            ..NetConfig::loopback()
        };
        ben.start(config).await;
        note(&ben, "From Ben, never to arrive whole");
        let before = ana.heads(DocKind::Shared);
        let report = ben.node().sync_once(Duration::from_secs(5)).await;
        assert!(!report[0].synced, "{report:?}");
        assert!(report[0].error.is_some());
        assert_eq!(
            ana.heads(DocKind::Shared),
            before,
            "Ana's journal took nothing from bad frames"
        );
        assert!(!wall_texts(&ana).iter().any(|t| t.starts_with("From Ben")));
    }
    // A healthy reconnect converges.
    ben.stop().await;
    ben.start(NetConfig::loopback()).await;
    let report = ben.node().sync_once(Duration::from_secs(10)).await;
    assert!(report[0].synced, "{report:?}");
    assert_eq!(ana.heads(DocKind::Shared), ben.heads(DocKind::Shared));
    assert_eq!(wall_texts(&ana).len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn change_files_carry_changes_without_a_link() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    let eve = TestDevice::new("Eve", Setup::Person).await;
    pair(&ana, &ben, Role::Partner).await;
    note(&ana, "Left on the fridge, by file");
    let file = ana.node().export_changes(false).unwrap();
    assert!(
        file.starts_with(b"age-encryption.org/v1"),
        "a standard age file"
    );

    // Refused: for someone else, garbage, cut short. Nothing changes.
    let before = ben.heads(DocKind::Shared);
    let err = eve.node().import_changes(&file).unwrap_err();
    assert!(
        err.to_string().contains("sealed for other devices"),
        "{err}"
    );
    assert!(matches!(
        ben.node().import_changes(b"hello"),
        Err(SyncError::ChangeFile(_))
    ));
    assert!(ben.node().import_changes(&file[..file.len() - 20]).is_err());
    assert_eq!(ben.heads(DocKind::Shared), before);

    let imported = ben.node().import_changes(&file).unwrap();
    assert_eq!(imported.from, ana.node().id().to_string());
    assert!(imported.new_changes >= 1);
    assert!(wall_texts(&ben).contains(&"Left on the fridge, by file".to_owned()));
    assert_eq!(
        ben.node().import_changes(&file).unwrap().new_changes,
        0,
        "importing twice is harmless"
    );

    // Everything, for a device that lost track.
    let all = ana.node().export_changes(true).unwrap();
    assert!(all.len() > file.len());
    assert_eq!(ben.node().import_changes(&all).unwrap().new_changes, 0);
    assert!(
        matches!(
            eve.node().export_changes(false),
            Err(SyncError::NoRecipients { others: false })
        ),
        "nobody to export for"
    );
}
