//! Handing over membership statements (`hearth/members/1`) to a device that refuses this one.
//!
//! A device refuses a connection from a device it believes revoked. If that belief rests on a
//! statement that loses once the refused device's own statements are known (a revocation made
//! at the same moment by a junior device, see `hearth_core::membership`), the refused device
//! could otherwise never tell it. Statements prove themselves (signed, stored under their hash),
//! so anyone may hand them over: the receiver keeps only those that are well signed by a device
//! it knows and that count, and sends nothing of its journal back. One frame each way, bounded
//! in size and time.

use std::time::Duration;

use hearth_core::Timestamp;
use iroh::EndpointId;
use iroh::endpoint::Connection;
use iroh::protocol::{AcceptError, ProtocolHandler};

use crate::MEMBERS_ALPN;
use crate::error::{Breach, LinkError, Result, SyncError, Unanswered};
use crate::frame;
use crate::node::{Node, WeakNode};

/// The largest handover accepted.
const MAX_HANDOFF: usize = 512 * 1024;
/// How long a handover may take.
const HANDOFF_TIMEOUT: Duration = Duration::from_secs(10);

type Offered = Vec<(String, Vec<u8>)>;

impl Node {
    /// Hands this device's membership statements to `peer`. Returns how many it kept.
    pub async fn hand_statements(&self, peer: EndpointId) -> Result<usize> {
        let offered = self.read(|j| j.membership_statements());
        let body = serde_json::to_vec(&offered).map_err(LinkError::from)?;
        let work = async {
            let conn = self
                .inner
                .endpoint
                .connect(peer, MEMBERS_ALPN)
                .await
                .map_err(|e| SyncError::Unreachable {
                    peer: peer.fmt_short().to_string(),
                    why: Unanswered::from_connect(e),
                })?;
            let (mut send, mut recv) = conn.open_bi().await.map_err(LinkError::from)?;
            frame::write(&mut send, &body, None).await?;
            let _ = send.finish();
            let reply = frame::read(&mut recv, 16)
                .await
                .map_err(|e| frame::missing(peer.fmt_short().to_string(), e, 16))?;
            conn.close(0u32.into(), b"done");
            let mut n = [0u8; 8];
            if reply.len() != 8 {
                return Err(SyncError::Protocol {
                    peer: peer.fmt_short().to_string(),
                    breach: Breach::Malformed {
                        what: "handover reply",
                    },
                });
            }
            n.copy_from_slice(&reply);
            Ok(usize::try_from(u64::from_be_bytes(n)).unwrap_or(usize::MAX))
        };
        tokio::time::timeout(HANDOFF_TIMEOUT, work)
            .await
            .unwrap_or(Err(SyncError::Timeout(HANDOFF_TIMEOUT.as_secs())))
    }

    async fn take_statements(&self, conn: Connection) -> Result<()> {
        let (mut send, mut recv) = conn.accept_bi().await.map_err(LinkError::from)?;
        let body = frame::read(&mut recv, MAX_HANDOFF).await.map_err(|e| {
            frame::missing(conn.remote_id().fmt_short().to_string(), e, MAX_HANDOFF)
        })?;
        let offered: Offered = serde_json::from_slice(&body).map_err(|e| SyncError::Protocol {
            peer: conn.remote_id().fmt_short().to_string(),
            breach: Breach::Unreadable {
                what: "handover",
                source: e,
            },
        })?;
        let kept = self.write(|j| j.receive_statements(&offered, Timestamp::now()))?;
        if kept > 0 {
            tracing::info!(peer = %conn.remote_id().fmt_short(), kept, "took membership statements");
        }
        frame::write(&mut send, &(kept as u64).to_be_bytes(), None).await?;
        let _ = send.finish();
        let _ = tokio::time::timeout(Duration::from_secs(2), conn.closed()).await;
        Ok(())
    }
}

/// Accepts `hearth/members/1` connections.
#[derive(Debug, Clone)]
pub(crate) struct HandoffHandler {
    pub(crate) node: WeakNode,
}

impl ProtocolHandler for HandoffHandler {
    async fn accept(&self, conn: Connection) -> std::result::Result<(), AcceptError> {
        let Some(node) = self.node.upgrade() else {
            return Ok(());
        };
        match tokio::time::timeout(HANDOFF_TIMEOUT, node.take_statements(conn)).await {
            Ok(Err(e)) => tracing::info!(error = %e, "a statement handover failed"),
            Err(_) => tracing::info!("a statement handover took too long"),
            Ok(Ok(())) => {}
        }
        Ok(())
    }
}
