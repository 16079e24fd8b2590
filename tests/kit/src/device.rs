//! Devices under test: a temporary profile and its node on loopback, pairing, and what two
//! journals must agree on.

use std::path::{Path, PathBuf};
use std::time::Duration;

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

    /// The heads of a document in the running node's journal.
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

/// A note's texts on a device's wall, newest first.
pub fn wall_texts(d: &TestDevice) -> Vec<String> {
    d.node().read(|j| {
        j.wall(&Default::default())
            .into_iter()
            .map(|a| a.text)
            .collect()
    })
}

/// Fails the test unless every device holds the same shared journal (the same heads) and shows
/// the same wall.
pub fn assert_converged(devices: &[&TestDevice]) {
    let Some((first, rest)) = devices.split_first() else {
        return;
    };
    let (heads, wall) = (first.heads(DocKind::Shared), wall_texts(first));
    for (i, d) in rest.iter().enumerate() {
        assert_eq!(
            d.heads(DocKind::Shared),
            heads,
            "device {} holds other changes than device 0",
            i + 1
        );
        assert_eq!(
            wall_texts(d),
            wall,
            "device {} shows another wall than device 0",
            i + 1
        );
    }
}
