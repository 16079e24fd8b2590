//! What the store keeps about each peer device: the Automerge sync state per document, so a
//! reconnect resumes cheaply, and the addresses it was last reached at. Kept as one sealed
//! record, since even the list of peers says who the couple's devices are.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::keys::{hex_decode_vec, hex_encode};

/// The peer record's format.
const PEER_BOOK_FORMAT: u32 = 1;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct PeerBook {
    #[serde(default)]
    format: u32,
    #[serde(default)]
    peers: BTreeMap<String, PeerRecord>,
    /// The membership facts this device pins: the founder it trusts and its own devices.
    #[serde(default, skip_serializing_if = "Trust::is_empty")]
    trust: Trust,
    /// Fields written by a newer version, kept as they are.
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
}

/// What this device pins about membership, kept sealed in its own store rather than in any
/// shared document: the founder whose chain of signed statements it trusts, and the devices it
/// paired with as its own person's (`me` pairings), which alone with the checked chain may
/// receive the private journal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trust {
    /// The founding device's endpoint id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// Endpoint ids of this person's own devices, pinned at `me` pairings.
    #[serde(default, skip_serializing_if = "std::collections::BTreeSet::is_empty")]
    pub own: std::collections::BTreeSet<String>,
}

impl Trust {
    fn is_empty(&self) -> bool {
        self.root.is_none() && self.own.is_empty()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct PeerRecord {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    addrs: Vec<String>,
    /// Document name -> hex-encoded sync state.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    sync: BTreeMap<String, String>,
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
}

impl PeerRecord {
    fn is_empty(&self) -> bool {
        self.addrs.is_empty() && self.sync.is_empty() && self.extra.is_empty()
    }
}

impl PeerBook {
    pub(crate) fn from_json(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("the peer record does not parse: {e}"))
    }

    pub(crate) fn to_json(&self) -> Result<Vec<u8>, String> {
        let mut book = self.clone();
        book.format = book.format.max(PEER_BOOK_FORMAT);
        serde_json::to_vec(&book).map_err(|e| e.to_string())
    }

    pub(crate) fn sync_state(&self, peer: &str, doc: &str) -> Option<Vec<u8>> {
        let hex = self.peers.get(peer)?.sync.get(doc)?;
        hex_decode_vec(hex)
    }

    pub(crate) fn set_sync_state(&mut self, peer: &str, doc: &str, state: &[u8]) {
        self.peers
            .entry(peer.to_owned())
            .or_default()
            .sync
            .insert(doc.to_owned(), hex_encode(state));
    }

    /// Forgets every peer's sync state for one document.
    pub(crate) fn drop_doc(&mut self, doc: &str) {
        for record in self.peers.values_mut() {
            record.sync.remove(doc);
        }
        self.peers.retain(|_, r| !r.is_empty());
    }

    pub(crate) fn addrs(&self, peer: &str) -> Vec<String> {
        self.peers
            .get(peer)
            .map(|record| record.addrs.clone())
            .unwrap_or_default()
    }

    pub(crate) fn set_addrs(&mut self, peer: &str, addrs: Vec<String>) {
        let record = self.peers.entry(peer.to_owned()).or_default();
        record.addrs = addrs;
        if record.is_empty() {
            self.peers.remove(peer);
        }
    }

    pub(crate) fn trust(&self) -> &Trust {
        &self.trust
    }

    pub(crate) fn set_trust(&mut self, trust: Trust) {
        self.trust = trust;
    }

    pub(crate) fn peer_ids(&self) -> Vec<String> {
        self.peers.keys().cloned().collect()
    }

    pub(crate) fn remove(&mut self, peer: &str) -> bool {
        self.peers.remove(peer).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let json = br#"{"format":1,"peers":{"p":{"addrs":["1.2.3.4:5"],"later":7}},"future":[1]}"#;
        let mut book = PeerBook::from_json(json).unwrap();
        book.set_sync_state("p", "shared", &[1, 2, 255]);
        let again = PeerBook::from_json(&book.to_json().unwrap()).unwrap();
        assert_eq!(again, book);
        assert_eq!(again.sync_state("p", "shared"), Some(vec![1, 2, 255]));
        assert_eq!(again.addrs("p"), vec!["1.2.3.4:5".to_owned()]);
        assert!(again.extra.contains_key("future"));
    }
}
