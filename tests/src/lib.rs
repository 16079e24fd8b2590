//! Cross-crate scenarios for Hearth: several devices, real processes, faults. This library
//! holds the helpers; the scenarios are the integration tests in `tests/`.
#![allow(clippy::unwrap_used)]

pub mod fuzzing;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use hearth_core::keys::KeySealing;
use hearth_core::{DocKind, Profile};
use hearth_sync::{NetConfig, Node, Role, Setup, init_device};

/// A device under test: its profile directory and its running node.
#[derive(Debug)]
pub struct TestDevice {
    /// Where its profile lives.
    pub dir: PathBuf,
    /// The node, while it runs.
    pub node: Option<Node>,
    _tmp: Option<tempfile::TempDir>,
}

impl TestDevice {
    /// Creates a device in a fresh temporary profile and starts it on loopback.
    pub async fn new(name: &str, setup: Setup) -> TestDevice {
        Self::with_config(name, setup, NetConfig::loopback()).await
    }

    /// Like [`TestDevice::new`] with network settings.
    pub async fn with_config(name: &str, setup: Setup, config: NetConfig) -> TestDevice {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("profile");
        let profile = init_device(&dir, name, setup, None, KeySealing::default()).unwrap();
        let node = Node::start(profile, config).await.unwrap();
        TestDevice {
            dir,
            node: Some(node),
            _tmp: Some(tmp),
        }
    }

    /// The running node.
    pub fn node(&self) -> &Node {
        self.node.as_ref().expect("the device is stopped")
    }

    /// Stops the node and waits until the profile is released.
    pub async fn stop(&mut self) {
        if let Some(node) = self.node.take() {
            assert!(
                node.release(Duration::from_secs(10)).await.is_ok(),
                "the node did not let go of its profile"
            );
        }
    }

    /// Starts the node again from the same profile.
    pub async fn start(&mut self, config: NetConfig) {
        assert!(self.node.is_none());
        let profile = Profile::open(&self.dir, None).unwrap();
        self.node = Some(Node::start(profile, config).await.unwrap());
    }

    /// The heads of a document as stored on disk (opens the store read-side via the node).
    pub fn heads(&self, kind: DocKind) -> Vec<automerge::ChangeHash> {
        self.node().with_profile(|_, j| j.heads(kind))
    }

    /// The profile directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Pairs `joiner` into `inviter`'s journal with `role`.
pub async fn pair(inviter: &TestDevice, joiner: &TestDevice, role: Role) {
    let (ticket, pairing) = inviter
        .node()
        .invite(role, Duration::from_secs(60))
        .unwrap();
    let wait = tokio::spawn(pairing.wait());
    joiner
        .node()
        .join(&ticket, Duration::from_secs(30))
        .await
        .unwrap();
    wait.await.unwrap().unwrap();
}

/// Waits until `cond` holds, checking often, failing the test at the deadline.
pub async fn wait_until(what: &str, deadline: Duration, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + deadline;
    while !cond() {
        assert!(Instant::now() < end, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A note's texts on a device's wall.
pub fn wall_texts(d: &TestDevice) -> Vec<String> {
    d.node().read(|j| {
        j.wall(&Default::default())
            .into_iter()
            .map(|a| a.text)
            .collect()
    })
}
