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
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use hearth_core::keys::SecretString;
use hearth_core::{Journal, JournalError, Profile, Replica};
use tokio::runtime::Runtime;
use tokio::sync::broadcast;

use crate::error::{Result, SyncError};
use crate::net::NetConfig;
use crate::node::{Event, Node, PeerSync};

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

enum State {
    Running(Node),
    Suspended(Box<Replica>),
    Closed,
}

/// One open profile and its network side. See the module docs for the lifecycle.
pub struct Engine {
    runtime: Option<Runtime>,
    config: EngineConfig,
    state: Mutex<State>,
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
    /// Opens the profile at `dir` (a path the host chose) and starts its network side,
    /// running (with [`EngineConfig::live`], dialing every member device). Fails, changing
    /// nothing, if the profile is missing, locked or damaged. Call it, and every method, from
    /// a plain thread, not from inside an async runtime.
    pub fn open(
        dir: &Path,
        passphrase: Option<&SecretString>,
        config: EngineConfig,
    ) -> Result<Engine> {
        let profile = Profile::open(dir, passphrase)?;
        Engine::start(Replica::open(profile)?, config)
    }

    /// Starts an engine over a replica already loaded (a profile just created or restored).
    pub fn start(replica: Replica, config: EngineConfig) -> Result<Engine> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name(config.threads.clone())
            .enable_all()
            .build()
            .map_err(SyncError::Runtime)?;
        let engine = Engine {
            runtime: Some(runtime),
            config,
            state: Mutex::new(State::Suspended(Box::new(replica))),
            events: broadcast::channel(256).0,
        };
        engine.start_node()?;
        if engine.config.live
            && let Some(node) = engine.node()
        {
            let _rt = engine.runtime()?.enter();
            node.start_live();
        }
        Ok(engine)
    }

    /// The runtime; gone only once `shutdown` took it.
    fn runtime(&self) -> Result<&Runtime> {
        self.runtime.as_ref().ok_or(SyncError::Closed)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where the engine is in its lifecycle.
    pub fn phase(&self) -> Phase {
        match &*self.lock() {
            State::Running(_) => Phase::Running,
            State::Suspended(_) => Phase::Suspended,
            State::Closed => Phase::Closed,
        }
    }

    /// The running node, for what only the network side does (pairing, peers); `None` while
    /// suspended or closed.
    pub fn node(&self) -> Option<Node> {
        match &*self.lock() {
            State::Running(node) => Some(node.clone()),
            _ => None,
        }
    }

    /// Events of the network side (connections, syncs, changes received, pairing), across
    /// suspends and resumes.
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Binds the endpoint over the suspended replica; the state stays suspended on failure.
    fn start_node(&self) -> Result<()> {
        let mut state = self.lock();
        let replica = match std::mem::replace(&mut *state, State::Closed) {
            State::Suspended(replica) => replica,
            other => {
                *state = other;
                return Ok(());
            }
        };
        let net = self.config.net.clone();
        let runtime = match self.runtime() {
            Ok(runtime) => runtime,
            Err(e) => {
                *state = State::Suspended(replica);
                return Err(e);
            }
        };
        match runtime.block_on(Node::start_replica(*replica, net)) {
            Ok(node) => {
                self.forward_events(runtime, &node);
                *state = State::Running(node);
                Ok(())
            }
            Err(failed) => {
                if let Some(replica) = failed.replica {
                    *state = State::Suspended(Box::new(replica));
                }
                Err(failed.error)
            }
        }
    }

    /// Passes a node's events on to the engine's subscribers while the node runs.
    fn forward_events(&self, runtime: &Runtime, node: &Node) {
        let mut from = node.events();
        let to = self.events.clone();
        let mut stop = node.shutdown_signal();
        runtime.spawn(async move {
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

    /// Reads the journal, in any phase but closed.
    pub fn read<T>(&self, f: impl FnOnce(&Journal) -> T) -> Result<T> {
        let node = match &*self.lock() {
            State::Running(node) => node.clone(),
            State::Suspended(replica) => return Ok(f(replica.journal())),
            State::Closed => return Err(SyncError::Closed),
        };
        let _rt = self.runtime()?.enter();
        Ok(node.read(f))
    }

    /// Applies an intent: durable when this returns; running, it is on its way to connected
    /// devices; suspended, it goes out at the next resume. On error nothing is stored.
    pub fn write<T>(
        &self,
        intent: impl FnOnce(&mut Journal) -> Result<T, JournalError>,
    ) -> Result<T> {
        let node = match &mut *self.lock() {
            State::Running(node) => node.clone(),
            State::Suspended(replica) => return Ok(replica.write(intent)?.0),
            State::Closed => return Err(SyncError::Closed),
        };
        let _rt = self.runtime()?.enter();
        node.write(intent)
    }

    /// Runs `f` with the profile and the journal together (backups, exports, settings).
    pub fn with_profile<T>(&self, f: impl FnOnce(&mut Profile, &mut Journal) -> T) -> Result<T> {
        let node = match &mut *self.lock() {
            State::Running(node) => node.clone(),
            State::Suspended(replica) => {
                let (profile, journal) = replica.parts_mut();
                return Ok(f(profile, journal));
            }
            State::Closed => return Err(SyncError::Closed),
        };
        let _rt = self.runtime()?.enter();
        Ok(node.with_profile(f))
    }

    /// Goes to the background: saves the sync states, closes every connection and the
    /// endpoint, stops every task. The journal stays in memory. Suspending a suspended engine
    /// does nothing.
    pub fn suspend(&self) -> Result<()> {
        let mut state = self.lock();
        let node = match std::mem::replace(&mut *state, State::Closed) {
            State::Running(node) => node,
            other => {
                let closed = matches!(other, State::Closed);
                *state = other;
                return if closed {
                    Err(SyncError::Closed)
                } else {
                    Ok(())
                };
            }
        };
        let patience = self.config.patience;
        let runtime = self.runtime()?;
        match runtime.block_on(node.release_replica(patience)) {
            Ok(replica) => {
                *state = State::Suspended(Box::new(replica));
                Ok(())
            }
            Err(node) => {
                // A task still holds the journal: the node is shut down but not released.
                *state = State::Running(node);
                Err(SyncError::NotReleased { waited: patience })
            }
        }
    }

    /// Comes back: binds the endpoint again, runs one sync burst with every member device that
    /// answers within the burst timeout, and reports what it brought; then, with
    /// [`EngineConfig::live`], stays connected. The journal is not reloaded. Resuming a running
    /// engine runs a burst too.
    pub fn resume(&self) -> Result<Resumed> {
        let started = Instant::now();
        if self.phase() == Phase::Closed {
            return Err(SyncError::Closed);
        }
        self.start_node()?;
        let node = self.node().ok_or(SyncError::Closed)?;
        let timeout = self.config.burst_timeout;
        let runtime = self.runtime()?;
        let peers = runtime.block_on(node.sync_once(timeout));
        if self.config.live {
            let _rt = runtime.enter();
            node.start_live();
        }
        let received = peers.iter().map(|p| p.received).sum();
        Ok(Resumed {
            peers,
            received,
            took: started.elapsed(),
        })
    }

    /// The network changed (another Wi-Fi, mobile data, a new address): tells iroh and redials
    /// waiting devices at once. Suspended, it does nothing: the next resume binds afresh.
    pub fn network_changed(&self) -> Result<()> {
        match self.phase() {
            Phase::Closed => Err(SyncError::Closed),
            Phase::Suspended => Ok(()),
            Phase::Running => {
                if let Some(node) = self.node() {
                    self.runtime()?.block_on(node.network_changed());
                }
                Ok(())
            }
        }
    }

    /// Tasks alive on the engine's runtime (zero while suspended: nothing can wake).
    pub fn alive_tasks(&self) -> usize {
        self.runtime
            .as_ref()
            .map_or(0, |r| r.metrics().num_alive_tasks())
    }

    /// Stops everything and releases the profile; returns it. Bounded: a device that does not
    /// acknowledge the close is given up after the engine's patience. Call it off the UI
    /// thread.
    pub fn shutdown(mut self) -> Result<Profile> {
        let state = std::mem::replace(&mut *self.lock(), State::Closed);
        let patience = self.config.patience;
        let out = match state {
            State::Running(node) => {
                let runtime = self.runtime()?;
                let released = runtime.block_on(async {
                    tokio::time::timeout(patience, node.release_replica(patience)).await
                });
                match released {
                    Ok(Ok(replica)) => Ok(replica.into_profile()),
                    _ => Err(SyncError::NotReleased { waited: patience }),
                }
            }
            State::Suspended(replica) => Ok(replica.into_profile()),
            State::Closed => Err(SyncError::Closed),
        };
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(patience);
        }
        out
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        // Dropped without `shutdown`: stop the node's tasks, then the runtime, bounded.
        let state = std::mem::replace(&mut *self.lock(), State::Closed);
        if let (State::Running(node), Some(runtime)) = (state, self.runtime.as_ref()) {
            let patience = self.config.patience;
            runtime.block_on(async {
                let _ = tokio::time::timeout(patience, node.shutdown()).await;
            });
        }
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(self.config.patience);
        }
    }
}
