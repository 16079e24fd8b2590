//! A device's sync node: it owns the open profile (store and keys), the journal in memory and
//! the iroh endpoint. Local edits go through [`Node::write`], which stores them durably and
//! pushes them to connected devices at once.

mod links;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use hearth_core::{
    Commit, Compaction, Device, DeviceKind, DeviceOwner, DocKind, Journal, JournalError, PartnerId,
    Profile, Replica, Timestamp,
};
use iroh::protocol::Router;
use iroh::{Endpoint, EndpointAddr, EndpointId, TransportAddr};
use serde::Serialize;
use tokio::sync::{broadcast, watch};

use crate::admission::{Admission, REVOKED};
use crate::error::{BindFailure, Result, SyncError};
use crate::net::{self, NetConfig};
use crate::pair::{Invite, PairHandler};
use crate::session::SyncHandler;
use crate::{PAIR_ALPN, SYNC_ALPN};

pub use links::PeerSync;
pub(crate) use links::{Link, remote_addr};

/// How long [`Node::shutdown`] waits for the endpoint to close.
const CLOSE_PATIENCE: Duration = Duration::from_secs(5);

/// Something the app or command line may want to show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A device connected.
    PeerConnected {
        /// Its endpoint id.
        peer: String,
    },
    /// A device disconnected.
    PeerDisconnected {
        /// Its endpoint id.
        peer: String,
        /// Why, if known.
        reason: String,
    },
    /// A document reached the same state as on a device.
    Synced {
        /// The device.
        peer: String,
        /// Which document.
        doc: DocKind,
        /// When.
        at: Timestamp,
    },
    /// Changes arrived from a device.
    ChangesReceived {
        /// The device.
        peer: String,
        /// Which document.
        doc: DocKind,
        /// How many change chunks (a chunk holds one change or many).
        changes: usize,
    },
    /// A device paired with this one.
    Paired {
        /// The new device's endpoint id.
        peer: String,
        /// Its name.
        name: String,
    },
    /// An invitation made with [`crate::Engine::invite`] ended without a pairing.
    PairingFailed {
        /// Why.
        why: PairingFailure,
    },
    /// A change was written on this device (by this process or a command it carried out for
    /// another): the journal's views may have changed.
    Written,
    /// A session ended with an error.
    SessionError {
        /// The device.
        peer: String,
        /// What went wrong.
        error: String,
    },
}

/// Why an invitation ended without a pairing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PairingFailure {
    /// No device used the ticket in time (or the engine was suspended first).
    Expired,
    /// The joining device was refused, for this reason.
    Refused(crate::PairRefusal),
    /// The pairing broke off partway (a lost connection, a device that stopped answering).
    Broke,
}

impl PairingFailure {
    /// The failure an invitation's error stands for.
    pub fn of(error: &SyncError) -> PairingFailure {
        match error {
            SyncError::TicketExpired => PairingFailure::Expired,
            SyncError::PairingRefused(code) => PairingFailure::Refused(*code),
            _ => PairingFailure::Broke,
        }
    }
}

impl std::fmt::Display for PairingFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PairingFailure::Expired => f.write_str("no device used the ticket in time"),
            PairingFailure::Refused(code) => write!(f, "the joining device was refused: {code}"),
            PairingFailure::Broke => f.write_str("the pairing broke off partway"),
        }
    }
}

pub use hearth_core::views::PeerStatus;

/// The mDNS service name Hearth's devices announce themselves under.
pub(crate) const MDNS_SERVICE: &str = "hearth";

pub(crate) struct Inner {
    state: Arc<Mutex<Replica>>,
    pub(crate) endpoint: Endpoint,
    router: OnceLock<Router>,
    pub(crate) admission: Admission,
    changed: watch::Sender<u64>,
    events: broadcast::Sender<Event>,
    pub(crate) invites: Mutex<HashMap<[u8; 16], Invite>>,
    /// The code invitation open now, if any (see `code`).
    pub(crate) code_invite: Mutex<Option<crate::code::CodeInvite>>,
    /// Local discovery, once started (at start with `mdns`, or for a code invitation).
    mdns: OnceLock<iroh_mdns_address_lookup::MdnsAddressLookup>,
    /// Pairing connections open now (capped).
    pub(crate) pairing_connections: std::sync::atomic::AtomicUsize,
    links: Mutex<HashMap<EndpointId, Vec<Link>>>,
    pub(crate) links_changed: tokio::sync::Notify,
    pub(crate) wake_dialers: tokio::sync::Notify,
    last_sync: Mutex<HashMap<String, Timestamp>>,
    pub(crate) config: NetConfig,
    shutdown: watch::Sender<bool>,
    pub(crate) live: Mutex<Option<HashSet<EndpointId>>>,
    pub(crate) idle: Arc<IdleWork>,
    /// The device list as the last [`Node::after_change`] saw it.
    seen_devices: Mutex<Option<Vec<Device>>>,
    /// The link to the couple's mailbox.
    pub(crate) mailbox: crate::mailbox::MailboxLink,
}

/// Store upkeep that waits for a quiet moment: folding incremental chunks into a snapshot
/// rewrites the whole document, so it runs once the journal has gone unchanged for a while,
/// never inside a write. Kept apart from [`Inner`] so the task waiting on it does not keep the
/// node alive.
#[derive(Debug)]
pub(crate) struct IdleWork {
    pub(crate) wake: tokio::sync::Notify,
    last_change: Mutex<Instant>,
}

impl IdleWork {
    fn touch(&self) {
        *self.last_change.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    fn quiet_for(&self) -> Duration {
        self.last_change
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .elapsed()
    }
}

/// A running sync node. Cheap to clone; all clones share one node.
#[derive(Clone)]
pub struct Node {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("id", &self.inner.endpoint.id().fmt_short().to_string())
            .finish_non_exhaustive()
    }
}

/// This device's record while no counting statement adds it (a restored device, or a display
/// waiting to pair): it is in no signed statement, yet every list should show it, as what it
/// is. `None` once the journal names it.
pub fn unadmitted_record(profile: &Profile, journal: &Journal) -> Option<Device> {
    let id = endpoint_id_of(profile.keys().endpoint_secret());
    if journal.devices().iter().any(|d| d.endpoint_id == id) {
        return None;
    }
    Some(Device {
        endpoint_id: id,
        age_recipient: profile.keys().recipient_string(),
        owner: match journal.acting() {
            hearth_core::Acting::Person(p) => DeviceOwner::Partner(p),
            _ => DeviceOwner::Home,
        },
        kind: profile.config().kind.clone(),
        name: profile.config().device_name.clone(),
        added_by: None,
        added_at: Timestamp(0),
        revoked_at: None,
        addrs: Vec::new(),
        standing: hearth_core::membership::Standing::Unverified {
            reason: "no member has admitted it".into(),
        },
        role: None,
        actor: hearth_core::keys::hex(&profile.keys().actor_id()),
    })
}

/// Every device of a replica's journal (and this one, while no statement admits it), with when
/// it last synced, none connected.
pub(crate) fn peer_statuses(
    replica: &Replica,
    last: &HashMap<String, Timestamp>,
) -> Vec<PeerStatus> {
    let me = endpoint_id_of(replica.profile().keys().endpoint_secret());
    let journal = replica.journal();
    journal
        .devices()
        .into_iter()
        .chain(unadmitted_record(replica.profile(), journal))
        .map(|device| PeerStatus {
            connected: false,
            last_sync: last.get(&device.endpoint_id).copied(),
            this_device: device.endpoint_id == me,
            device,
        })
        .collect()
}

/// When each device last synced with this one, as recorded in the profile (by endpoint id).
pub fn last_sync_times(profile: &Profile) -> HashMap<String, Timestamp> {
    profile
        .config()
        .extra
        .get("last_sync")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// The endpoint id, as text, of a device secret.
pub fn endpoint_id_of(secret: [u8; 32]) -> String {
    iroh::SecretKey::from_bytes(&secret).public().to_string()
}

fn members(journal: &Journal) -> HashSet<EndpointId> {
    journal
        .devices()
        .into_iter()
        .filter(|d| d.is_member())
        .filter_map(|d| d.endpoint_id.parse().ok())
        .collect()
}

impl Node {
    /// Opens the network side of a profile: loads the journal, binds the endpoint and accepts
    /// pairing and sync connections from member devices.
    pub async fn start(profile: Profile, config: NetConfig) -> Result<Node> {
        let replica = Arc::new(Mutex::new(Replica::open(profile)?));
        Node::start_shared(replica, config).await
    }

    /// Like [`Node::start`] over a journal already in memory that the caller keeps (an engine
    /// resuming): the node reads and writes it under the same lock, and the caller still has
    /// it when the node stops or fails to start.
    pub async fn start_shared(replica: Arc<Mutex<Replica>>, config: NetConfig) -> Result<Node> {
        let admission = Admission::default();
        let (secret, port) = {
            let r = replica.lock().unwrap_or_else(|e| e.into_inner());
            admission.set_members(members(r.journal()));
            (
                r.profile().keys().endpoint_secret(),
                r.profile().config().listen_port,
            )
        };
        let endpoint = net::bind(secret, &config, port, admission.clone()).await?;
        let last_sync = {
            let mut r = replica.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(bound) = endpoint.bound_sockets().first().map(|s| s.port())
                && port != Some(bound)
                && let Err(e) = r
                    .profile_mut()
                    .update_config(|c| c.listen_port = Some(bound))
            {
                tracing::warn!(error = %e, "could not remember the listening port");
            }
            last_sync_times(r.profile())
        };
        let node = Node {
            inner: Arc::new(Inner {
                state: replica,
                endpoint: endpoint.clone(),
                router: OnceLock::new(),
                admission,
                changed: watch::channel(0).0,
                events: broadcast::channel(256).0,
                invites: Mutex::new(HashMap::new()),
                code_invite: Mutex::new(None),
                mdns: OnceLock::new(),
                pairing_connections: std::sync::atomic::AtomicUsize::new(0),
                links: Mutex::new(HashMap::new()),
                links_changed: tokio::sync::Notify::new(),
                wake_dialers: tokio::sync::Notify::new(),
                last_sync: Mutex::new(last_sync),
                config,
                shutdown: watch::channel(false).0,
                live: Mutex::new(None),
                idle: Arc::new(IdleWork {
                    wake: tokio::sync::Notify::new(),
                    last_change: Mutex::new(Instant::now()),
                }),
                seen_devices: Mutex::new(None),
                mailbox: Default::default(),
            }),
        };
        node.spawn_idle_work();
        if let Err(error) = node.finish_start(endpoint) {
            node.shutdown().await;
            return Err(error);
        }
        Ok(node)
    }

    /// The part of starting that needs the node: upkeep, addresses, protocols, mDNS.
    fn finish_start(&self, endpoint: Endpoint) -> Result<()> {
        let node = self;
        // A store left with chunks to fold (an earlier run stopped first) is folded once idle.
        if node.state().fold_pending()? {
            node.inner.idle.wake.notify_one();
        }
        node.publish_own_addrs()?;
        node.load_addresses();
        let router = Router::builder(endpoint)
            .accept(
                PAIR_ALPN,
                PairHandler {
                    node: node.downgrade(),
                },
            )
            .accept(
                SYNC_ALPN,
                SyncHandler {
                    node: node.downgrade(),
                },
            )
            .accept(
                crate::MEMBERS_ALPN,
                crate::handoff::HandoffHandler {
                    node: node.downgrade(),
                },
            )
            .spawn();
        let _ = node.inner.router.set(router);
        if node.inner.config.mdns {
            node.start_mdns()?;
        }
        Ok(())
    }

    pub(crate) fn downgrade(&self) -> WeakNode {
        WeakNode(Arc::downgrade(&self.inner))
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, Replica> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// This device's endpoint id.
    pub fn id(&self) -> EndpointId {
        self.inner.endpoint.id()
    }

    /// Where this device listens.
    pub fn addr(&self) -> EndpointAddr {
        self.inner.endpoint.addr()
    }

    /// The local socket addresses the endpoint is bound to.
    pub fn bound_sockets(&self) -> Vec<std::net::SocketAddr> {
        self.inner.endpoint.bound_sockets()
    }

    /// The partner this device belongs to (none for a home display): as the signed
    /// membership says, or, before any member has admitted this device, as its profile claims.
    pub fn me(&self) -> Option<PartnerId> {
        self.read(|j| j.acting()).person()
    }

    /// Whether this device is a current member of its journal.
    pub fn is_member(&self) -> bool {
        let id = self.id().to_string();
        self.read(|j| j.is_member(&id))
    }

    /// Reads the journal.
    pub fn read<T>(&self, f: impl FnOnce(&Journal) -> T) -> T {
        f(self.state().journal())
    }

    /// Reads the profile (settings, directory).
    pub fn profile<T>(&self, f: impl FnOnce(&Profile) -> T) -> T {
        f(self.state().profile())
    }

    /// Changes the journal: the change is durable when this returns, and connected devices get
    /// it at once: they are woken to send it as soon as it is applied in memory, while its chunk
    /// is written to disk without the journal lock (see [`Replica::stage`]). If the intent
    /// fails, nothing changes; if the disk write fails, the change stays in memory (and may
    /// have reached a peer) and is stored with the next write.
    pub fn write<T>(&self, f: impl FnOnce(&mut Journal) -> Result<T, JournalError>) -> Result<T> {
        let (out, staged) = self.state().stage(f)?;
        if !staged.is_empty() {
            self.wake_sessions();
        }
        let landed = staged.write()?;
        let commit = self.state().settle(landed)?;
        self.stored(&commit);
        self.refresh_devices(false);
        self.emit(Event::Written);
        Ok(out)
    }

    /// Notes that the journal changed and was stored; a commit that made a fold due asks for the
    /// store's chunks to be folded once the journal goes quiet.
    pub(crate) fn stored(&self, commit: &Commit) {
        for e in commit.fold_failures() {
            tracing::warn!(error = %e, "folding the store's chunks failed; it is tried again");
        }
        self.inner.idle.touch();
        if commit.fold_due() {
            self.inner.idle.wake.notify_one();
        }
    }

    /// Folds the store's incremental chunks into snapshots where that is due. Runs under the
    /// journal lock, so it waits for a running write and the next write waits for it.
    fn compact_store(&self) {
        match self.state().fold_due() {
            Ok(outcomes) => {
                for outcome in outcomes {
                    match outcome {
                        Compaction::Done(info) => {
                            tracing::debug!(folded = info.folded, "folded the store's chunks")
                        }
                        Compaction::Failed(e) => {
                            tracing::warn!(error = %e, "folding the store's chunks failed")
                        }
                        _ => {}
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not read the store to fold its chunks"),
        }
    }

    /// The task that folds the store's chunks once the journal has gone unchanged for
    /// `compact_after_idle` after a write asked for it; at shutdown, a pending fold is done.
    fn spawn_idle_work(&self) {
        let weak = self.downgrade();
        let idle = Arc::clone(&self.inner.idle);
        let quiet = self.inner.config.compact_after_idle;
        let mut shutdown = self.shutdown_signal();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = idle.wake.notified() => {}
                    _ = shutdown.wait_for(|stop| *stop) => return,
                }
                loop {
                    let waited = idle.quiet_for();
                    if waited >= quiet {
                        break;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(quiet - waited) => {}
                        _ = shutdown.wait_for(|stop| *stop) => return,
                    }
                }
                let Some(node) = weak.upgrade() else {
                    return;
                };
                if tokio::task::spawn_blocking(move || {
                    node.compact_store();
                    node.save_last_sync();
                })
                .await
                .is_err()
                {
                    tracing::warn!("folding the store's chunks stopped unexpectedly");
                }
            }
        });
    }

    /// Runs `f` with the profile and journal together (backups, exports).
    pub fn with_profile<T>(&self, f: impl FnOnce(&mut Profile, &mut Journal) -> T) -> T {
        let mut st = self.state();
        let (profile, journal) = st.parts_mut();
        f(profile, journal)
    }

    /// Events: connections, syncs, changes received.
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    pub(crate) fn emit(&self, event: Event) {
        tracing::debug!(?event, "event");
        let _ = self.inner.events.send(event);
    }

    pub(crate) fn changes(&self) -> watch::Receiver<u64> {
        self.inner.changed.subscribe()
    }

    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    /// After the journal changed (here or from a peer): wake sessions so they push the change;
    /// if the device list changed, refresh who may connect, drop revoked devices and start
    /// dialing new ones.
    /// Opens this person's answers once both partners answered (a received answer can make
    /// them due), and stores that.
    pub(crate) fn open_answers(&self) {
        let opened = self.state().reveal_answers();
        match opened {
            Ok(0) => {}
            Ok(_) => {
                if let Err(e) = self.write(|_| Ok(())) {
                    tracing::warn!(error = %e, "could not store the opened answers");
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not open this person's answers"),
        }
    }

    pub(crate) fn after_change(&self) {
        self.wake_sessions();
        self.refresh_devices(false);
    }

    /// Wakes live sessions: they send what the journal holds that their peer lacks.
    fn wake_sessions(&self) {
        self.inner.changed.send_modify(|n| *n += 1);
    }

    /// Brings admission, the address book, open connections and dialers in line with the
    /// journal's device list; skipped when the list is the one seen last time, unless `force`.
    fn refresh_devices(&self, force: bool) {
        let devices = self.read(|j| j.devices());
        {
            let mut seen = self
                .inner
                .seen_devices
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if !force && seen.as_ref() == Some(&devices) {
                return;
            }
            *seen = Some(devices.clone());
        }
        let me = self.id();
        let members: HashSet<EndpointId> = devices
            .iter()
            .filter(|d| d.is_member())
            .filter_map(|d| d.endpoint_id.parse().ok())
            .collect();
        self.inner.admission.set_members(members.clone());
        self.learn_journal_addrs(&devices);
        let revoked: Vec<EndpointId> = self
            .links()
            .keys()
            .filter(|id| !members.contains(*id))
            .copied()
            .collect();
        for id in revoked {
            tracing::info!(peer = %id.fmt_short(), "closing the connection of a revoked device");
            if let Some(links) = self.links().remove(&id) {
                for l in links {
                    l.conn.close(REVOKED.into(), b"this device was revoked");
                }
            }
        }
        // A device no member has admitted (or that was revoked) dials nobody: every member
        // would refuse it.
        if !members.contains(&me) {
            return;
        }
        let mut live = self.inner.live.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(dialing) = live.as_mut() {
            for id in members {
                if id != me && dialing.insert(id) {
                    self.spawn_dialer(id);
                }
            }
        }
    }

    /// Whether `peer` may sync `kind` with this device. Both must be current members by the
    /// signed statements this device checked. The wall document syncs with every member; the
    /// shared journal with every member but a home display, which holds the wall alone; a
    /// private journal only with this person's own devices: current personal devices of the same
    /// person that the checked chain of `me` additions links to this one, or that this device
    /// pinned in its sealed store at a `me` pairing. No field of the journal decides it.
    pub(crate) fn may_sync(&self, peer: &EndpointId, kind: DocKind) -> bool {
        let me = self.id().to_string();
        let peer = peer.to_string();
        let st = self.state();
        if st.journal().check_kept(kind).is_err() {
            return false;
        }
        let m = st.journal().membership();
        let (Some(mine), Some(theirs)) = (m.current(&me), m.current(&peer)) else {
            return false;
        };
        let display = |d: &hearth_core::membership::MemberDevice| {
            d.entry.kind == DeviceKind::Display || d.entry.owner == DeviceOwner::Home
        };
        match kind {
            DocKind::Wall => true,
            DocKind::Shared => !display(mine) && !display(theirs),
            DocKind::Private => {
                let same_person = mine.entry.kind == DeviceKind::Personal
                    && theirs.entry.kind == DeviceKind::Personal
                    && matches!(&mine.entry.owner, DeviceOwner::Partner(_))
                    && mine.entry.owner == theirs.entry.owner;
                same_person
                    && (m.own_devices(&me).contains(&peer)
                        || st.profile().store().trust().own.contains(&peer))
            }
        }
    }

    pub(crate) fn links(&self) -> MutexGuard<'_, HashMap<EndpointId, Vec<Link>>> {
        self.inner.links.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Is a device connected right now?
    pub fn is_connected(&self, peer: &EndpointId) -> bool {
        self.links().get(peer).is_some_and(|l| !l.is_empty())
    }

    pub(crate) fn mark_synced(&self, peer: &EndpointId, doc: DocKind) {
        let at = Timestamp::now();
        self.inner
            .last_sync
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(peer.to_string(), at);
        self.emit(Event::Synced {
            peer: peer.to_string(),
            doc,
            at,
        });
    }

    /// Writes the last-sync times to the profile settings.
    pub(crate) fn save_last_sync(&self) {
        let map = self
            .inner
            .last_sync
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let Ok(value) = serde_json::to_value(&map) else {
            return;
        };
        let mut st = self.state();
        if st.profile().config().extra.get("last_sync") != Some(&value)
            && let Err(e) = st.profile_mut().update_config(|c| {
                c.extra.insert("last_sync".into(), value);
            })
        {
            tracing::warn!(error = %e, "could not record the last sync time");
        }
    }

    /// When each device last synced with this one, as this node knows it now.
    pub(crate) fn last_syncs(&self) -> HashMap<String, Timestamp> {
        self.inner
            .last_sync
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Every paired device with its connection state and last sync.
    pub fn peer_status(&self) -> Vec<PeerStatus> {
        let last = self.last_syncs();
        // Connections are looked up after the journal's lock is let go.
        let mut out = peer_statuses(&self.state(), &last);
        for p in &mut out {
            p.connected = p
                .device
                .endpoint_id
                .parse()
                .is_ok_and(|id| self.is_connected(&id));
        }
        out
    }

    /// Remembers where a device was reachable, for the next dial (kept in the store and in
    /// the endpoint's address book).
    pub(crate) fn learn_addrs(&self, peer: &EndpointId, addrs: &[std::net::SocketAddr]) {
        if addrs.is_empty() {
            return;
        }
        self.inner
            .admission
            .lookup
            .add_endpoint_info(EndpointAddr::from_parts(
                *peer,
                addrs.iter().map(|a| TransportAddr::Ip(*a)),
            ));
        let key = peer.to_string();
        let mut st = self.state();
        let mut known = st.profile().store().peer_addrs(&key);
        let mut changed = false;
        for a in addrs.iter().rev() {
            let a = a.to_string();
            if known.first() != Some(&a) {
                known.retain(|k| k != &a);
                known.insert(0, a);
                changed = true;
            }
        }
        known.truncate(4);
        if changed && let Err(e) = st.profile_mut().store_mut().put_peer_addrs(&key, known) {
            tracing::warn!(error = %e, "could not store a peer address");
        }
    }

    /// Records in the journal where this device listens, if that changed, so the other
    /// devices can dial it even if they never connected before (via a third device).
    pub(crate) fn publish_own_addrs(&self) -> Result<()> {
        if !self.inner.config.publish_addrs {
            return Ok(());
        }
        let mut addrs: Vec<String> = net::listening_addrs(&self.inner.endpoint)
            .iter()
            .map(|a| a.to_string())
            .collect();
        addrs.truncate(16);
        // Addresses are hints (the connection proves who answers), so a device publishes its
        // own even before a member has admitted it: the inviter learns them at pairing.
        let me = self.id().to_string();
        self.write(|j| j.set_device_addrs(&me, &addrs, Timestamp::now()))?;
        Ok(())
    }

    /// Adds `ip:port` texts for a device to the endpoint's address book.
    fn add_to_address_book(&self, id: EndpointId, addrs: &[String]) {
        let addrs: Vec<TransportAddr> = addrs
            .iter()
            .filter_map(|a| a.parse().ok())
            .map(TransportAddr::Ip)
            .collect();
        if !addrs.is_empty() {
            self.inner
                .admission
                .lookup
                .add_endpoint_info(EndpointAddr::from_parts(id, addrs));
        }
    }

    /// Feeds every member device's published addresses into the address book.
    fn learn_journal_addrs(&self, devices: &[Device]) {
        let me = self.id();
        for d in devices {
            match d.endpoint_id.parse::<EndpointId>() {
                Ok(id) if id != me && d.is_member() => self.add_to_address_book(id, &d.addrs),
                _ => {}
            }
        }
    }

    /// Loads the addresses learned on past connections (kept in the store) and the ones
    /// devices published in the journal.
    fn load_addresses(&self) {
        self.learn_journal_addrs(&self.read(|j| j.devices()));
        let known: Vec<(String, Vec<String>)> = {
            let st = self.state();
            let store = st.profile().store();
            store
                .peers()
                .into_iter()
                .map(|p| {
                    let addrs = store.peer_addrs(&p);
                    (p, addrs)
                })
                .collect()
        };
        for (peer, addrs) in known {
            if let Ok(id) = peer.parse::<EndpointId>() {
                self.add_to_address_book(id, &addrs);
            }
        }
    }

    fn start_mdns(&self) -> Result<()> {
        let mdns = iroh_mdns_address_lookup::MdnsAddressLookup::builder()
            .service_name(MDNS_SERVICE)
            .build(self.id())
            .map_err(|e| SyncError::Bind {
                addr: "mDNS".into(),
                why: BindFailure::Discovery(Box::new(e)),
            })?;
        self.inner
            .endpoint
            .address_lookup()
            .map_err(|e| SyncError::Bind {
                addr: "mDNS".into(),
                why: BindFailure::Lookup(Box::new(e)),
            })?
            .add(mdns.clone());
        let _ = self.inner.mdns.set(mdns);
        Ok(())
    }

    /// Starts local discovery if it is not running: a code invitation is announced with it.
    pub(crate) fn ensure_mdns(&self) -> Result<()> {
        if self.inner.mdns.get().is_some() {
            return Ok(());
        }
        self.start_mdns().map_err(|e| match e {
            SyncError::Bind {
                why: BindFailure::Discovery(e),
                ..
            } => SyncError::NoLanDiscovery(e),
            e => e,
        })
    }

    /// Starts keeping a live connection with every member device: dial, sync, stay connected
    /// and push changes as they happen; on loss, retry with exponential backoff and jitter.
    pub fn start_live(&self) {
        let mut live = self.inner.live.lock().unwrap_or_else(|e| e.into_inner());
        if live.is_some() {
            return;
        }
        *live = Some(HashSet::new());
        drop(live);
        self.refresh_devices(true);
        self.spawn_mailbox_task();
    }

    /// Pauses sync with a device on this side: its connections close and it is refused until
    /// [`Node::resume_peer`]. The journal is not changed (unlike revoking).
    pub fn pause_peer(&self, peer: EndpointId) {
        self.inner.admission.set_paused(peer, true);
        if let Some(links) = self.links().remove(&peer) {
            for l in links {
                l.conn
                    .close(crate::admission::PAUSED.into(), b"sync paused");
            }
        }
        self.inner.links_changed.notify_waiters();
    }

    /// Resumes sync with a paused device, dialing it again at once.
    pub fn resume_peer(&self, peer: EndpointId) {
        self.inner.admission.set_paused(peer, false);
        self.inner.wake_dialers.notify_waiters();
    }

    /// Tells every task of the node to stop, without waiting (a host dropped its engine).
    pub(crate) fn signal_shutdown(&self) {
        let _ = self.inner.shutdown.send(true);
        if let Some(router) = self.inner.router.get() {
            let router = router.clone();
            tokio::spawn(async move {
                let _ = tokio::time::timeout(CLOSE_PATIENCE, router.shutdown()).await;
            });
        }
    }

    /// Stops the node: closes connections and the endpoint, and saves the sync states.
    pub async fn shutdown(&self) {
        let _ = self.inner.shutdown.send(true);
        for (_, links) in self.links().drain() {
            for l in links {
                l.conn.close(0u32.into(), b"shutting down");
            }
        }
        self.save_last_sync();
        let pending = self.state().fold_pending();
        if matches!(pending, Ok(true)) {
            self.compact_store();
        }
        if let Some(router) = self.inner.router.get() {
            // Closing waits for peers to acknowledge, up to about 3 s for a connection that
            // failed (iroh's own bound); a shorter limit would drop the endpoint unclosed.
            let _ = tokio::time::timeout(CLOSE_PATIENCE, router.shutdown()).await;
        } else {
            self.inner.endpoint.close().await;
        }
    }

    /// Shuts the node down and gives the profile back once its tasks have let go of it; the
    /// node itself if they still hold it after `patience`.
    pub async fn release(self, patience: Duration) -> std::result::Result<Profile, Node> {
        self.shutdown().await;
        let deadline = Instant::now() + patience;
        let mut node = self;
        loop {
            match node.into_profile() {
                Ok(profile) => return Ok(profile),
                Err(n) if Instant::now() < deadline => {
                    node = n;
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                Err(n) => return Err(n),
            }
        }
    }

    /// Shuts the node down and waits until none of its tasks holds it any more (at most
    /// `patience`); whether they all let go. The journal stays with whoever shares it.
    pub async fn stop(self, patience: Duration) -> bool {
        self.shutdown().await;
        let deadline = Instant::now() + patience;
        while Arc::strong_count(&self.inner) > 1 {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }

    /// Gives the profile back once the node is shut down and nothing else holds it (no task,
    /// and no engine sharing its journal).
    pub fn into_profile(self) -> std::result::Result<Profile, Node> {
        if Arc::strong_count(&self.inner.state) > 1 {
            return Err(self);
        }
        match Arc::try_unwrap(self.inner) {
            Ok(mut inner) => match Arc::try_unwrap(inner.state) {
                Ok(replica) => Ok(replica
                    .into_inner()
                    .unwrap_or_else(|e| e.into_inner())
                    .into_profile()),
                Err(state) => {
                    inner.state = state;
                    Err(Node {
                        inner: Arc::new(inner),
                    })
                }
            },
            Err(inner) => Err(Node { inner }),
        }
    }

    /// Tells the endpoint that the network changed (another Wi-Fi, a new address) and redials
    /// every device that is waiting to be dialed again. The host calls this: on Android, native
    /// code hears nothing of network changes.
    pub async fn network_changed(&self) {
        self.inner.endpoint.network_change().await;
        self.inner.wake_dialers.notify_waiters();
    }
}

/// A handle that does not keep the node alive (for protocol handlers and tasks).
#[derive(Clone)]
pub(crate) struct WeakNode(std::sync::Weak<Inner>);

impl std::fmt::Debug for WeakNode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("WeakNode")
    }
}

impl WeakNode {
    pub(crate) fn upgrade(&self) -> Option<Node> {
        self.0.upgrade().map(|inner| Node { inner })
    }
}
