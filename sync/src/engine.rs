//! [`Engine`]: one open profile and its network side, with the lifecycle a phone needs.
//!
//! A host (the desktop app, the kitchen display, a phone app through its binding) opens one
//! engine per profile and calls it from any thread; every call returns when its work is done
//! and needs nothing of the caller's thread afterwards. The engine owns its async runtime.
//!
//! Phones sleep, and are rarely open at the same moment as the partner's. So the engine syncs
//! in bursts:
//!
//! - [`Engine::suspend`] (the app goes to the background): the change is already on disk; the
//!   sync states are saved, every connection is closed and the endpoint with them, every timer
//!   and dialer stops. While suspended the engine has no task at all: it wakes nothing and sends
//!   nothing. The journal stays in memory, readable and writable (a write is durable at once
//!   and goes out at the next resume).
//! - [`Engine::resume`]: the endpoint binds again and one sync burst runs with every member
//!   device that answers; the report says what it brought. Then, if the engine keeps live
//!   connections, it dials every device and stays connected.
//! - [`Engine::network_changed`]: the host's word that the network changed (Android tells
//!   native code nothing), forwarded to iroh, and waiting dialers try again at once.
//! - [`Engine::shutdown`]: bounded; the profile is released when it returns.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hearth_core::backup::{Backup, DEVICE_KEY, FOUNDER_KEY, Manifest};
use hearth_core::intent::{Applied, Here, Intent};
use hearth_core::keys::{KeySealing, SecretString};
use hearth_core::restore::RestorePlan;
use hearth_core::{Journal, JournalError, Profile, Replica, Touched};
use tokio::runtime::{Handle, Runtime};
use tokio::sync::broadcast;

use crate::error::{Result, SyncError};
use crate::net::NetConfig;
use crate::node::{Event, Node, PeerSync};
use crate::setup::{Setup, init_device};

/// How long suspending waits for the mailbox to take what was written.
const SUSPEND_HAND_IN: Duration = Duration::from_secs(3);

/// How an engine runs.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The name of the engine's threads (at most 15 bytes show in the system's tools).
    pub threads: String,
    /// The network side's settings.
    pub net: NetConfig,
    /// After a resume's burst, stay connected to every member device (the desktop app, the
    /// display). Off, the engine only syncs in bursts and after its own writes' bursts.
    pub live: bool,
    /// How long a resume's sync burst waits for devices that do not answer.
    pub burst_timeout: Duration,
    /// How long suspending and shutting down wait for the network side to let go.
    pub patience: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            threads: "hearth-engine".to_owned(),
            net: NetConfig::default(),
            live: true,
            burst_timeout: Duration::from_secs(10),
            patience: Duration::from_secs(2),
        }
    }
}

/// What a resume's sync burst did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resumed {
    /// One entry per member device tried.
    pub peers: Vec<PeerSync>,
    /// Change messages received over all devices.
    pub received: usize,
    /// How long the burst took, from the call.
    pub took: Duration,
    /// What the exchange with the couple's mailbox did, when one is set up and was reached.
    pub mailbox: Option<crate::MailboxReport>,
    /// Why the mailbox could not be used, when one is set up and was not reached.
    pub mailbox_error: Option<String>,
}

impl Resumed {
    /// How many devices the burst reached and matched.
    pub fn synced(&self) -> usize {
        self.peers.iter().filter(|p| p.synced).count()
    }
}

/// Where the engine is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Connected (or dialing): changes go out at once.
    Running,
    /// Nothing runs; the journal is in memory.
    Suspended,
    /// Shut down; every call fails with [`SyncError::Closed`].
    Closed,
}

enum Slot {
    Running(Node),
    Suspended,
    Closed,
}

/// One open profile and its network side. See the module docs for the lifecycle.
///
/// Each lifecycle call comes in two forms: a blocking one for hosts on plain threads (a phone
/// binding, tests) and an `_async` one for hosts already inside a tokio runtime (the desktop
/// app's worker). Reads and writes never wait for a lifecycle step.
pub struct Engine {
    handle: Handle,
    /// The runtime the engine made for itself, when the host gave none.
    owned: Option<Runtime>,
    config: EngineConfig,
    replica: Arc<Mutex<Replica>>,
    slot: Mutex<Slot>,
    /// One lifecycle step at a time.
    steps: tokio::sync::Mutex<()>,
    events: broadcast::Sender<Event>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("phase", &self.phase())
            .finish_non_exhaustive()
    }
}

impl Engine {
    /// Opens the profile at `dir` (a path the host chose) and starts its network side on a
    /// runtime of the engine's own, running (with [`EngineConfig::live`], dialing every member
    /// device). Fails, changing nothing, if the profile is missing, locked or damaged. Call it,
    /// and the blocking methods, from a plain thread, not from inside an async runtime.
    pub fn open(
        dir: &Path,
        passphrase: Option<&SecretString>,
        config: EngineConfig,
    ) -> Result<Engine> {
        let profile = Profile::open(dir, passphrase)?;
        Engine::run_own(Replica::open(profile)?, config)
    }

    /// Creates a new profile at `dir` (see [`init_device`]: a person's first device founds a
    /// journal; a display waits to be paired) and starts it as [`Engine::open`] does. Nothing
    /// is left at `dir` if the name is refused.
    pub fn create(
        dir: &Path,
        name: &str,
        setup: Setup,
        passphrase: Option<&SecretString>,
        sealing: KeySealing,
        config: EngineConfig,
    ) -> Result<Engine> {
        let profile = init_device(dir, name, setup, passphrase, sealing)?;
        Engine::run_own(Replica::open(profile)?, config)
    }

    /// Restores `backup` as a new device at `dir`, as `plan` says (see
    /// [`hearth_core::restore`]), and starts it as [`Engine::open`] does. It is not a member
    /// until a member pairs it.
    pub fn restore(
        dir: &Path,
        backup: &Backup,
        plan: &RestorePlan,
        passphrase: Option<&SecretString>,
        sealing: KeySealing,
        config: EngineConfig,
    ) -> Result<Engine> {
        let profile = plan.make(dir, backup, passphrase, sealing)?;
        Engine::run_own(Replica::open(profile)?, config)
    }

    /// An engine over `replica` on a runtime of its own, started.
    fn run_own(replica: Replica, config: EngineConfig) -> Result<Engine> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(config.threads.clone())
            .enable_all()
            .build()
            .map_err(SyncError::Runtime)?;
        let handle = runtime.handle().clone();
        let engine = Engine::new(handle, Some(runtime), replica, config);
        engine.handle.block_on(engine.start_async())?;
        Ok(engine)
    }

    /// Starts an engine over a replica already loaded (a profile just opened, created or
    /// restored) on the caller's runtime.
    pub async fn start_in(replica: Replica, config: EngineConfig) -> Result<Engine> {
        let engine = Engine::suspended_in(replica, config)?;
        engine.start_async().await?;
        Ok(engine)
    }

    /// An engine over a loaded replica on the caller's runtime that has not bound its
    /// endpoint: it reads and writes the journal; [`Engine::resume_async`] starts its network
    /// side. (A command that works offline runs on one.)
    pub fn suspended_in(replica: Replica, config: EngineConfig) -> Result<Engine> {
        let handle = Handle::try_current().map_err(|_| SyncError::NoRuntime)?;
        Ok(Engine::new(handle, None, replica, config))
    }

    fn new(
        handle: Handle,
        owned: Option<Runtime>,
        replica: Replica,
        config: EngineConfig,
    ) -> Engine {
        Engine {
            handle,
            owned,
            config,
            replica: Arc::new(Mutex::new(replica)),
            slot: Mutex::new(Slot::Suspended),
            steps: tokio::sync::Mutex::new(()),
            events: broadcast::channel(256).0,
        }
    }

    /// Binds the endpoint and, with live connections, starts dialing.
    async fn start_async(&self) -> Result<()> {
        let _step = self.steps.lock().await;
        self.bind().await?;
        if self.config.live
            && let Some(node) = self.node()
        {
            node.start_live();
        }
        Ok(())
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn replica(&self) -> MutexGuard<'_, Replica> {
        self.replica.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where the engine is in its lifecycle.
    pub fn phase(&self) -> Phase {
        match &*self.slot() {
            Slot::Running(_) => Phase::Running,
            Slot::Suspended => Phase::Suspended,
            Slot::Closed => Phase::Closed,
        }
    }

    /// The running node, for what only the network side does (pairing, peers); `None` while
    /// suspended or closed.
    pub fn node(&self) -> Option<Node> {
        match &*self.slot() {
            Slot::Running(node) => Some(node.clone()),
            _ => None,
        }
    }

    /// Events of the network side (connections, syncs, changes received, pairing), across
    /// suspends and resumes.
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Starts a node over the engine's journal, unless one runs; the step lock is held.
    async fn bind(&self) -> Result<()> {
        match &*self.slot() {
            Slot::Running(_) => return Ok(()),
            Slot::Closed => return Err(SyncError::Closed),
            Slot::Suspended => {}
        }
        let node = Node::start_shared(Arc::clone(&self.replica), self.config.net.clone()).await?;
        self.forward_events(&node);
        *self.slot() = Slot::Running(node);
        Ok(())
    }

    /// Passes a node's events on to the engine's subscribers while the node runs.
    fn forward_events(&self, node: &Node) {
        let mut from = node.events();
        let to = self.events.clone();
        let mut stop = node.shutdown_signal();
        self.handle.spawn(async move {
            loop {
                tokio::select! {
                    event = from.recv() => match event {
                        Ok(event) => {
                            let _ = to.send(event);
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                    _ = stop.wait_for(|stop| *stop) => return,
                }
            }
        });
    }

    fn check_open(&self) -> Result<()> {
        match &*self.slot() {
            Slot::Closed => Err(SyncError::Closed),
            _ => Ok(()),
        }
    }

    /// Reads the journal, in any phase (it stays in memory until the engine is dropped).
    pub fn read<T>(&self, f: impl FnOnce(&Journal) -> T) -> T {
        f(self.replica().journal())
    }

    /// Reads the journal together with what changed in it since the last such read (see
    /// [`Journal::touched`]): how a host's views learn which screens to rebuild. One reader of
    /// changes per engine; the first read says everything.
    pub fn read_touched<T>(&self, f: impl FnOnce(&Journal, &Touched) -> T) -> T {
        let mut replica = self.replica();
        let touched = replica.journal_mut().touched();
        f(replica.journal(), &touched)
    }

    /// Applies an intent: durable when this returns; running, it is on its way to connected
    /// devices; suspended, it goes out at the next resume. On error nothing is stored.
    pub fn write<T>(
        &self,
        intent: impl FnOnce(&mut Journal) -> Result<T, JournalError>,
    ) -> Result<T> {
        let node = match &*self.slot() {
            Slot::Running(node) => Some(node.clone()),
            Slot::Suspended => None,
            Slot::Closed => return Err(SyncError::Closed),
        };
        match node {
            Some(node) => {
                let _rt = self.handle.enter();
                node.write(intent)
            }
            None => {
                let out = self.replica().write(intent)?.0;
                let _ = self.events.send(Event::Written);
                Ok(out)
            }
        }
    }

    /// Applies a person's change ([`Intent`]) as this device's person, now (the system clock,
    /// the local day): durable when this returns, as [`Engine::write`] is.
    pub fn apply(&self, intent: &Intent) -> Result<Applied> {
        let here = Here {
            me: self.me(),
            now: hearth_core::Timestamp::now(),
            today: chrono::Local::now().date_naive(),
        };
        self.write(|j| intent.apply(j, &here))
    }

    /// Writes a backup of everything this device holds, sealed with `passphrase`, to `out`, and
    /// says what its manifest records (who the journal's people are, this device, the founder).
    pub fn backup<W: std::io::Write>(
        &self,
        out: W,
        passphrase: &SecretString,
        work_factor: Option<u8>,
    ) -> Result<(W, Manifest)> {
        self.with_profile(|p, j| {
            let names = j.partners().into_iter().map(|p| p.name).collect();
            let mut manifest =
                Manifest::new(chrono::Utc::now(), p.config().device_name.clone(), names);
            if let Some(root) = j.root() {
                manifest.extra.insert(FOUNDER_KEY.into(), root.into());
            }
            manifest.extra.insert(
                DEVICE_KEY.into(),
                crate::endpoint_id_of(p.keys().endpoint_secret()).into(),
            );
            let out = p.write_backup(out, passphrase, &manifest, work_factor)?;
            Ok((out, manifest))
        })
    }

    /// The partner this device belongs to; `None` on the home display (or before a member
    /// admitted this device and it claims no one).
    pub fn me(&self) -> Option<hearth_core::PartnerId> {
        self.read(|j| j.acting()).person()
    }

    /// Every device of the journal with its connection and last sync; while suspended, none
    /// is connected.
    pub fn peer_status(&self) -> Vec<crate::PeerStatus> {
        if let Some(node) = self.node() {
            return node.peer_status();
        }
        let replica = self.replica();
        let last = crate::last_sync_times(replica.profile());
        crate::node::peer_statuses(&replica, &last)
    }

    /// Runs `f` with the profile and the journal together (backups, exports, settings).
    pub fn with_profile<T>(&self, f: impl FnOnce(&mut Profile, &mut Journal) -> T) -> T {
        let mut replica = self.replica();
        let (profile, journal) = replica.parts_mut();
        f(profile, journal)
    }

    /// Stops the node, if one runs, and waits (at most the patience) until its tasks let go.
    async fn stop_node(&self, then: Slot) -> Result<()> {
        let node = match std::mem::replace(&mut *self.slot(), then) {
            Slot::Running(node) => node,
            _ => return Ok(()),
        };
        let patience = self.config.patience;
        if node.stop(patience).await {
            Ok(())
        } else {
            Err(SyncError::NotReleased { waited: patience })
        }
    }

    /// Goes to the background: saves the sync states, closes every connection and the
    /// endpoint, stops every task. The journal stays in memory. Suspending a suspended engine
    /// does nothing.
    pub async fn suspend_async(&self) -> Result<()> {
        let _step = self.steps.lock().await;
        self.check_open()?;
        // What was written since the last hand-in goes to the mailbox before the network goes
        // (bounded: a phone has seconds in the background).
        if let Some(node) = self.node()
            && node.mailbox_status().is_some_and(|s| s.pending > 0)
            && let Err(e) = node
                .mailbox_exchange(self.config.burst_timeout.min(SUSPEND_HAND_IN))
                .await
        {
            tracing::info!(error = %e, "could not reach the mailbox before suspending");
        }
        self.stop_node(Slot::Suspended).await
    }

    /// Comes back: binds the endpoint again, runs one sync burst with every member device that
    /// answers within the burst timeout, and reports what it brought; then, with
    /// [`EngineConfig::live`], stays connected. The journal is not reloaded. Resuming a running
    /// engine runs a burst too.
    pub async fn resume_async(&self) -> Result<Resumed> {
        let started = Instant::now();
        let _step = self.steps.lock().await;
        self.bind().await?;
        let node = self.node().ok_or(SyncError::Closed)?;
        let with_mailbox = node.read(|j| j.mailbox().is_some());
        let exchange = async {
            if with_mailbox {
                Some(node.mailbox_exchange(self.config.burst_timeout).await)
            } else {
                None
            }
        };
        let (peers, exchanged) = tokio::join!(node.sync_once(self.config.burst_timeout), exchange);
        if self.config.live {
            node.start_live();
        } else {
            node.spawn_mailbox_task();
        }
        let received = peers.iter().map(|p| p.received).sum();
        let (mailbox, mailbox_error) = match exchanged {
            Some(Ok(report)) => (Some(report), None),
            Some(Err(e)) => (None, Some(e.to_string())),
            None => (None, None),
        };
        Ok(Resumed {
            peers,
            received,
            took: started.elapsed(),
            mailbox,
            mailbox_error,
        })
    }

    /// The network changed (another Wi-Fi, mobile data, a new address): tells iroh and redials
    /// waiting devices at once. Suspended, it does nothing: the next resume binds afresh.
    pub async fn network_changed_async(&self) -> Result<()> {
        self.check_open()?;
        if let Some(node) = self.node() {
            node.network_changed().await;
        }
        Ok(())
    }

    /// Stops everything; the profile is released once the engine is dropped (or given back by
    /// [`Engine::shutdown`]). Bounded by the engine's patience.
    pub async fn close_async(&self) -> Result<()> {
        let _step = self.steps.lock().await;
        let stopped = self.stop_node(Slot::Closed).await;
        // A fold of the store's chunks that fell due is done before the profile goes (the node
        // does it too when it stops; a suspended engine's writes leave it here).
        let replica = Arc::clone(&self.replica);
        let folded = tokio::task::spawn_blocking(move || {
            let mut replica = replica.lock().unwrap_or_else(|e| e.into_inner());
            if matches!(replica.fold_pending(), Ok(true)) {
                for outcome in replica.fold_due()? {
                    if let hearth_core::Compaction::Failed(e) = outcome {
                        tracing::warn!(error = %e, "folding the store's chunks failed");
                    }
                }
            }
            Ok::<(), hearth_core::StoreError>(())
        })
        .await;
        if let Ok(Err(e)) = folded {
            tracing::warn!(error = %e, "could not fold the store's chunks");
        }
        stopped
    }

    /// Blocking [`Engine::suspend_async`].
    pub fn suspend(&self) -> Result<()> {
        self.handle.block_on(self.suspend_async())
    }

    /// Blocking [`Engine::resume_async`].
    pub fn resume(&self) -> Result<Resumed> {
        self.handle.block_on(self.resume_async())
    }

    /// Blocking [`Engine::network_changed_async`].
    pub fn network_changed(&self) -> Result<()> {
        self.handle.block_on(self.network_changed_async())
    }

    /// Tasks alive on the engine's runtime (zero while suspended on a runtime of its own:
    /// nothing can wake).
    pub fn alive_tasks(&self) -> usize {
        self.handle.metrics().num_alive_tasks()
    }

    /// How many times the runtime's worker threads have woken from parking, in total: a
    /// suspended engine on a runtime of its own adds none.
    pub fn wake_ups(&self) -> u64 {
        let metrics = self.handle.metrics();
        (0..metrics.num_workers())
            .map(|w| metrics.worker_park_unpark_count(w))
            .sum()
    }

    /// This device's endpoint id (what the couple's other devices know it by), in any phase.
    pub fn endpoint_id(&self) -> String {
        crate::node::endpoint_id_of(self.replica().profile().keys().endpoint_secret())
    }

    /// Offers `role` to one new device for `ttl`: the ticket to show it. The pairing completes
    /// in the background: [`Event::Paired`] reports it, [`Event::PairingFailed`] why not.
    /// Needs the network side (fails with [`SyncError::Suspended`] while suspended).
    pub fn invite(&self, role: crate::Role, ttl: Duration) -> Result<crate::Ticket> {
        let node = self.running()?;
        let _rt = self.handle.enter();
        let (ticket, pairing) = node.invite(role, ttl)?;
        self.report_pairing(pairing);
        Ok(ticket)
    }

    /// Joins the journal of the device that made `ticket`; returns once paired and first
    /// synced, with the inviting device's record. Blocks; call it from a plain thread.
    pub fn join(&self, ticket: &crate::Ticket, timeout: Duration) -> Result<hearth_core::Device> {
        let node = self.running()?;
        self.handle.block_on(node.join(ticket, timeout))
    }

    /// Opens an invitation for `role` behind a six-digit code announced on the local network
    /// (at most [`crate::MAX_CODE_TTL`]); pairing completes in the background and is reported
    /// by events, as with [`Engine::invite`]. A wrong code ends it with
    /// [`crate::PairRefusal::WrongCode`] in [`Event::PairingFailed`].
    pub fn invite_code(&self, role: crate::Role, ttl: Duration) -> Result<crate::PairCode> {
        let node = self.running()?;
        let _rt = self.handle.enter();
        let (code, pairing) = node.invite_code(role, ttl)?;
        self.report_pairing(pairing);
        Ok(code)
    }

    /// Joins the journal of the device on this network that shows `code`; returns once paired
    /// and first synced. Blocks; call it from a plain thread.
    pub fn join_code(
        &self,
        code: crate::PairCode,
        timeout: Duration,
    ) -> Result<hearth_core::Device> {
        let node = self.running()?;
        self.handle.block_on(node.join_code(code, timeout))
    }

    /// Reports an invitation that ends without a pairing as an event.
    fn report_pairing(&self, pairing: crate::Pairing) {
        let events = self.events.clone();
        self.handle.spawn(async move {
            if let Err(e) = pairing.wait().await {
                tracing::info!(error = %e, "an invitation ended without a pairing");
                let _ = events.send(Event::PairingFailed {
                    why: crate::node::PairingFailure::of(&e),
                });
            }
        });
    }

    fn running(&self) -> Result<Node> {
        match &*self.slot() {
            Slot::Running(node) => Ok(node.clone()),
            Slot::Suspended => Err(SyncError::Suspended),
            Slot::Closed => Err(SyncError::Closed),
        }
    }

    /// Registers the couple with the mailbox of `ticket` and records it in the shared journal
    /// (see [`Node::mailbox_add`]).
    pub fn mailbox_add(
        &self,
        ticket: &crate::MailboxTicket,
        timeout: Duration,
    ) -> Result<crate::MailboxReport> {
        let node = self.running()?;
        self.handle.block_on(node.mailbox_add(ticket, timeout))
    }

    /// Stops using the mailbox (see [`Node::mailbox_remove`]); whether the mailbox was told.
    pub fn mailbox_remove(&self, timeout: Duration) -> Result<bool> {
        let node = self.running()?;
        self.handle.block_on(node.mailbox_remove(timeout))
    }

    /// Exchanges with the mailbox now (see [`Node::mailbox_exchange`]).
    pub fn mailbox_exchange(&self, timeout: Duration) -> Result<crate::MailboxReport> {
        let node = self.running()?;
        self.handle.block_on(node.mailbox_exchange(timeout))
    }

    /// What this device knows of its mailbox, in any phase; `None` when none is set up.
    pub fn mailbox_status(&self) -> Option<crate::MailboxStatus> {
        if let Some(node) = self.node() {
            return node.mailbox_status();
        }
        let mut replica = self.replica();
        let last = crate::last_sync_times(replica.profile());
        crate::mailbox::status_of(&mut replica, &last)
    }

    /// Blocking [`Engine::close_async`]: stops everything; the profile is let go when the
    /// engine is dropped.
    pub fn close(&self) -> Result<()> {
        self.handle.block_on(self.close_async())
    }

    /// Stops everything and gives the profile back. Bounded: a device that does not
    /// acknowledge the close is given up after the engine's patience. Call it off the UI
    /// thread, from a plain thread.
    pub fn shutdown(self) -> Result<Profile> {
        self.handle.block_on(self.close_async())?;
        let replica = Arc::clone(&self.replica);
        let patience = self.config.patience;
        // Dropping the engine shuts its own runtime down; then nothing else holds the journal.
        drop(self);
        match Arc::try_unwrap(replica) {
            Ok(replica) => Ok(replica
                .into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .into_profile()),
            Err(_) => Err(SyncError::NotReleased { waited: patience }),
        }
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // Dropped without closing: signal the node's tasks to stop; an owned runtime is shut
        // down, bounded.
        if let Slot::Running(node) = std::mem::replace(&mut *self.slot(), Slot::Closed) {
            let _rt = self.handle.enter();
            node.signal_shutdown();
        }
        if let Some(runtime) = self.owned.take() {
            runtime.shutdown_timeout(self.config.patience);
        }
    }
}
