//! Live connections: registering them, dialing member devices with backoff, and one-shot syncs.

use std::net::SocketAddr;
use std::time::Duration;

use hearth_core::Timestamp;
use iroh::endpoint::Connection;
use iroh::{EndpointId, TransportAddr};
use rand::RngExt;
use serde::Serialize;

use super::{Event, Node, WeakNode};
use crate::SYNC_ALPN;
use crate::error::{Result, SyncError, Unanswered};
use crate::session::Mode;

/// The first retry delay after a lost or failed connection.
const BACKOFF_MIN: Duration = Duration::from_millis(250);
/// The longest retry delay.
const BACKOFF_MAX: Duration = Duration::from_secs(30);

/// One open connection to a device.
#[derive(Clone, Debug)]
pub(crate) struct Link {
    pub(crate) conn: Connection,
}

/// What a one-shot sync did with one device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeerSync {
    /// The device's endpoint id.
    pub peer: String,
    /// Its name.
    pub name: String,
    /// Whether it was reached and the sync finished.
    pub synced: bool,
    /// How many batches of changes arrived from it.
    pub received: usize,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

/// How the peer refused a connection, if it closed it as not a member, revoked or paused.
fn refusal(conn: &Connection) -> Option<SyncError> {
    use iroh::endpoint::ConnectionError;
    match conn.close_reason()? {
        ConnectionError::ApplicationClosed(c)
            if [crate::NOT_A_MEMBER, crate::REVOKED, crate::PAUSED]
                .into_iter()
                .any(|code| c.error_code == code.into()) =>
        {
            Some(SyncError::NotAMember(crate::NotMember::RefusedByPeer {
                code: c.error_code.into_inner(),
            }))
        }
        _ => None,
    }
}

/// The current remote address of a connection's selected path.
pub(crate) fn remote_addr(conn: &Connection) -> Option<SocketAddr> {
    conn.paths()
        .iter()
        .find(|p| p.is_selected())
        .and_then(|p| match p.remote_addr() {
            TransportAddr::Ip(sa) => Some(*sa),
            _ => None,
        })
}

impl Node {
    pub(crate) fn register(&self, peer: EndpointId, conn: &Connection) {
        if let Some(addr) = remote_addr(conn) {
            self.learn_addrs(&peer, &[addr]);
        }
        let first = {
            let mut links = self.links();
            let entry = links.entry(peer).or_default();
            entry.push(Link { conn: conn.clone() });
            entry.len() == 1
        };
        if first {
            self.emit(Event::PeerConnected {
                peer: peer.to_string(),
            });
        }
    }

    pub(crate) fn unregister(&self, peer: EndpointId, conn: &Connection) {
        let last = {
            let mut links = self.links();
            match links.get_mut(&peer) {
                Some(list) => {
                    list.retain(|l| l.conn.stable_id() != conn.stable_id());
                    let empty = list.is_empty();
                    if empty {
                        links.remove(&peer);
                    }
                    empty
                }
                None => false,
            }
        };
        if last {
            let reason = conn
                .close_reason()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "closed".into());
            self.emit(Event::PeerDisconnected {
                peer: peer.to_string(),
                reason,
            });
        }
        // When it last synced is written to the profile once the node is quiet (and at
        // shutdown), not while the burst that ended goes on.
        self.inner.idle.wake.notify_one();
        self.inner.links_changed.notify_waiters();
    }

    /// Dials a member device by id; its addresses come from the address book (pairing, past
    /// connections, mDNS).
    pub(crate) async fn connect(&self, peer: EndpointId, timeout: Duration) -> Result<Connection> {
        let unreachable = |why: Unanswered| SyncError::Unreachable {
            peer: peer.fmt_short().to_string(),
            why,
        };
        match tokio::time::timeout(timeout, self.inner.endpoint.connect(peer, SYNC_ALPN)).await {
            Ok(Ok(conn)) => Ok(conn),
            Ok(Err(e)) => Err(unreachable(Unanswered::from_connect(e))),
            Err(_) => Err(unreachable(Unanswered::Silent {
                secs: timeout.as_secs(),
            })),
        }
    }

    pub(super) fn spawn_dialer(&self, peer: EndpointId) {
        tokio::spawn(dial_loop(self.downgrade(), peer));
    }

    /// Connects to every member device, syncs until each reachable one holds the same
    /// documents, and disconnects. One entry per device.
    pub async fn sync_once(&self, timeout: Duration) -> Vec<PeerSync> {
        let me = self.id();
        let devices = self.read(|j| j.devices());
        let mut tasks = tokio::task::JoinSet::new();
        for d in devices {
            let Ok(peer) = d.endpoint_id.parse::<EndpointId>() else {
                continue;
            };
            if peer == me || !d.is_member() {
                continue;
            }
            let node = self.clone();
            tasks.spawn(async move {
                let mut out = PeerSync {
                    peer: d.endpoint_id.clone(),
                    name: d.name.clone(),
                    synced: false,
                    received: 0,
                    error: None,
                };
                let once = || async {
                    let conn = node.connect(peer, timeout).await?;
                    node.register(peer, &conn);
                    let r = node.sync_docs(&conn, peer, Mode::OneShot).await;
                    // A session that believed itself in sync from a stored state may end
                    // before hearing the peer: a refusal shows only in how the peer closed.
                    let refused = refusal(&conn);
                    conn.close(0u32.into(), b"done");
                    node.unregister(peer, &conn);
                    match refused {
                        Some(e) => Err(e),
                        None => r,
                    }
                };
                let work = async {
                    match once().await {
                        // Refused: perhaps for a revocation that this device's statements
                        // outweigh. Hand them over, and try once more if the peer kept any.
                        Err(e)
                            if node.refusal_worth_handing_over(&e)
                                && node.hand_statements(peer).await.unwrap_or(0) > 0 =>
                        {
                            once().await
                        }
                        r => r,
                    }
                };
                match tokio::time::timeout(timeout, work).await {
                    Ok(Ok(n)) => {
                        out.synced = true;
                        out.received = n;
                    }
                    Ok(Err(e)) => out.error = Some(e.to_string()),
                    Err(_) => out.error = Some(SyncError::Timeout(timeout.as_secs()).to_string()),
                }
                out
            });
        }
        let mut out = Vec::new();
        while let Some(r) = tasks.join_next().await {
            if let Ok(p) = r {
                out.push(p);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }

    /// Whether a failed dial was an answer (a refusal) rather than silence, so handing over
    /// membership statements may help.
    pub(crate) fn refusal_worth_handing_over(&self, e: &SyncError) -> bool {
        // Silence (no answer, no address) is not a refusal; a closed connection or a refused
        // handshake is.
        match e {
            SyncError::Unreachable { why, .. } => why.answered(),
            SyncError::Connection(_) | SyncError::NotAMember(_) => true,
            _ => false,
        }
    }

    /// When a device last synced, as the node remembers it.
    pub fn last_sync(&self, peer: &str) -> Option<Timestamp> {
        self.inner
            .last_sync
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(peer)
            .copied()
    }
}

/// Keeps one device connected: dial, run live sessions, and on loss retry with exponential
/// backoff and jitter. Ends when the device is revoked or the node shuts down.
async fn dial_loop(node: WeakNode, peer: EndpointId) {
    let mut backoff = BACKOFF_MIN;
    loop {
        let Some(n) = node.upgrade() else { return };
        let mut shutdown = n.shutdown_signal();
        if *shutdown.borrow() {
            return;
        }
        if !n.inner.admission.is_member(&peer) {
            if let Some(live) = n
                .inner
                .live
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_mut()
            {
                live.remove(&peer);
            }
            return;
        }
        if n.inner.admission.is_paused(&peer) {
            let woken = n.inner.wake_dialers.notified();
            if n.inner.admission.is_paused(&peer) {
                tokio::select! {
                    _ = woken => {}
                    _ = shutdown.changed() => return,
                    _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                }
            }
            backoff = BACKOFF_MIN;
            continue;
        }
        if n.is_connected(&peer) {
            // The device dialed us; wait until that connection ends.
            let changed = n.inner.links_changed.notified();
            tokio::select! {
                _ = changed => {}
                _ = shutdown.changed() => return,
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            }
            continue;
        }
        match n.connect(peer, Duration::from_secs(10)).await {
            Ok(conn) => {
                backoff = BACKOFF_MIN;
                n.register(peer, &conn);
                if let Err(e) = n.sync_docs(&conn, peer, Mode::Live).await {
                    tracing::info!(peer = %peer.fmt_short(), error = %e, "live sync ended");
                    n.emit(Event::SessionError {
                        peer: peer.to_string(),
                        error: e.to_string(),
                    });
                }
                n.unregister(peer, &conn);
            }
            Err(e) => {
                tracing::debug!(peer = %peer.fmt_short(), error = %e, "dial failed");
                if n.refusal_worth_handing_over(&e) && !*n.shutdown_signal().borrow() {
                    let _ = n.hand_statements(peer).await;
                }
            }
        }
        let jitter = rand::rng().random_range(0..=backoff.as_millis() as u64 / 2);
        let wait = backoff + Duration::from_millis(jitter);
        backoff = (backoff * 2).min(BACKOFF_MAX);
        // Holding the node while waiting is fine: shutdown wakes this at once.
        let woken = n.inner.wake_dialers.notified();
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = woken => backoff = BACKOFF_MIN,
            _ = shutdown.changed() => return,
        }
    }
}
