//! Who may open a sync connection: only non-revoked devices of the shared journal. Everyone
//! else is refused right after the TLS handshake, before any stream opens.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use iroh::EndpointId;
use iroh::address_lookup::memory::MemoryLookup;
use iroh::endpoint::{AfterHandshakeOutcome, Connection, EndpointHooks};

use crate::SYNC_ALPN;

/// QUIC application error code sent to a device that may not sync.
pub const NOT_A_MEMBER: u32 = 403;
/// Error code sent to a device when it is revoked while connected.
pub const REVOKED: u32 = 410;
/// Error code sent when sync with a device is paused.
pub const PAUSED: u32 = 409;
/// Error code for a broken protocol.
pub const PROTOCOL_ERROR: u32 = 400;

/// The set of member devices, shared between the endpoint's handshake hook and the node.
#[derive(Clone, Debug, Default)]
pub(crate) struct Admission {
    members: Arc<RwLock<HashSet<EndpointId>>>,
    paused: Arc<RwLock<HashSet<EndpointId>>>,
    pub(crate) lookup: MemoryLookup,
}

impl Admission {
    pub(crate) fn set_members(&self, members: HashSet<EndpointId>) {
        if let Ok(mut m) = self.members.write() {
            *m = members;
        }
    }

    pub(crate) fn is_member(&self, id: &EndpointId) -> bool {
        self.members.read().map(|m| m.contains(id)).unwrap_or(false)
    }

    /// A member device whose sync is paused on this device.
    pub(crate) fn is_paused(&self, id: &EndpointId) -> bool {
        self.paused.read().map(|m| m.contains(id)).unwrap_or(false)
    }

    /// May this device sync with us right now: a member, not paused.
    pub(crate) fn admits(&self, id: &EndpointId) -> bool {
        self.is_member(id) && !self.is_paused(id)
    }

    pub(crate) fn set_paused(&self, id: EndpointId, paused: bool) {
        if let Ok(mut p) = self.paused.write() {
            if paused {
                p.insert(id);
            } else {
                p.remove(&id);
            }
        }
    }
}

impl EndpointHooks for Admission {
    async fn after_handshake<'a>(&'a self, conn: &'a Connection) -> AfterHandshakeOutcome {
        if conn.alpn() == SYNC_ALPN && !self.admits(&conn.remote_id()) {
            tracing::info!(peer = %conn.remote_id().fmt_short(), "refused a device that is not a member");
            return AfterHandshakeOutcome::Reject {
                error_code: NOT_A_MEMBER.into(),
                reason: b"not a member of this journal".to_vec(),
            };
        }
        AfterHandshakeOutcome::Accept
    }
}
