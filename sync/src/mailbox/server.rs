//! The mailbox server: an iroh endpoint of its own speaking `hearth/mailbox/1` over the store.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use hearth_core::{StoreError, Timestamp, files};
use iroh::endpoint::{Connection, RecvStream, SendStream};
use iroh::protocol::{AcceptError, ProtocolHandler, Router};
use iroh::{Endpoint, EndpointAddr};
use tokio::sync::{Semaphore, broadcast, watch};

pub use super::store::MailboxUsage;
use super::store::{Failed, MailboxStore};
use super::{
    Listed, MAILBOX_ALPN, MAX_MEMBERS, MAX_REQUEST, MailboxLimits, MailboxRefusal, MailboxTicket,
    Reply, Request, is_couple_id, stopped,
};
use crate::admission::Admission;
use crate::error::{Result, SyncError};
use crate::frame;
use crate::net::{self, NetConfig, Relays};

/// The file holding the mailbox's endpoint secret.
const KEY_FILE: &str = "mailbox.key";
/// The store file.
const STORE_FILE: &str = "mailbox.redb";
/// The port of the last run, reused when free: devices know the mailbox by its address.
const PORT_FILE: &str = "mailbox.port";
/// How long a request may take to arrive whole.
const REQUEST_PATIENCE: Duration = Duration::from_secs(30);
/// Connections served at once.
const MAX_CONNECTIONS: usize = 4096;
/// Watch streams per connection.
const MAX_WATCHES: usize = 2;

/// How a mailbox runs.
#[derive(Clone)]
pub struct MailboxConfig {
    /// Where it listens (port 0: the port of the last run when free).
    pub bind: SocketAddr,
    /// Relays.
    pub relays: Relays,
    /// How long a bundle is kept for devices that do not fetch it.
    pub retention: Duration,
    /// Sizes and counts it accepts.
    pub limits: MailboxLimits,
    /// A hook that makes the mailbox misbehave, for tests.
    pub hook: Option<Arc<dyn MailboxHook>>,
}

impl std::fmt::Debug for MailboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxConfig")
            .field("bind", &self.bind)
            .field("relays", &self.relays)
            .field("retention", &self.retention)
            .field("limits", &self.limits)
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

/// The default retention: 60 days.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(60 * 24 * 3600);

impl Default for MailboxConfig {
    fn default() -> Self {
        MailboxConfig {
            bind: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
            relays: Relays::Off,
            retention: DEFAULT_RETENTION,
            limits: MailboxLimits::default(),
            hook: None,
        }
    }
}

impl MailboxConfig {
    /// Loopback only, relays off: for tests.
    pub fn loopback() -> Self {
        MailboxConfig {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            ..Default::default()
        }
    }
}

/// Makes a mailbox misbehave (tests only): it may withhold, reorder, duplicate or replay
/// bundles in what it lists, and serve other bytes than it holds.
pub trait MailboxHook: Send + Sync + 'static {
    /// The bundle numbers a listing is about to give; returns what to list instead.
    fn listing(&self, seqs: Vec<u64>) -> Vec<u64> {
        seqs
    }
    /// The bytes about to be served for bundle `seq` (`None`: the mailbox holds none by that
    /// number for the device); returns what to serve instead.
    fn bundle(&self, seq: u64, stored: Option<Vec<u8>>) -> Option<Vec<u8>> {
        let _ = seq;
        stored
    }
}

struct ServerInner {
    store: Arc<MailboxStore>,
    endpoint: Endpoint,
    router: OnceLock<Router>,
    config: MailboxConfig,
    dir: PathBuf,
    /// A bundle arrived: its couple and who waits for it.
    arrived: broadcast::Sender<(String, BTreeSet<String>)>,
    /// The setup ticket to show now (a new one once one is used).
    ticket: watch::Sender<Option<MailboxTicket>>,
    connections: Arc<Semaphore>,
    shutdown: watch::Sender<bool>,
}

/// A running mailbox. Cheap to clone.
#[derive(Clone)]
pub struct MailboxServer {
    inner: Arc<ServerInner>,
}

impl std::fmt::Debug for MailboxServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailboxServer")
            .field("id", &self.inner.endpoint.id().fmt_short().to_string())
            .field("dir", &self.inner.dir)
            .finish_non_exhaustive()
    }
}

/// The mailbox's endpoint secret in `dir`, made on first use (owner-only file).
fn identity(dir: &Path) -> Result<[u8; 32]> {
    let path = dir.join(KEY_FILE);
    let io = |source| {
        SyncError::Store(StoreError::Io {
            path: path.clone(),
            source,
        })
    };
    match std::fs::read(&path) {
        Ok(bytes) => <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
            SyncError::Store(StoreError::Damaged {
                path: path.clone(),
                detail: "the mailbox key is not 32 bytes".into(),
            })
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let secret: [u8; 32] = rand::random();
            files::write_atomic(&path, &secret, false).map_err(io)?;
            Ok(secret)
        }
        Err(e) => Err(io(e)),
    }
}

impl MailboxServer {
    /// Opens (or makes) the mailbox in `dir` and starts serving.
    pub async fn start(dir: &Path, config: MailboxConfig) -> Result<MailboxServer> {
        files::create_private_dir(dir).map_err(|source| {
            SyncError::Store(StoreError::Io {
                path: dir.to_owned(),
                source,
            })
        })?;
        let secret = identity(dir)?;
        let store_path = dir.join(STORE_FILE);
        let store = tokio::task::spawn_blocking(move || MailboxStore::open(&store_path))
            .await
            .map_err(crate::error::LinkError::from)??;
        let net_config = NetConfig {
            bind: config.bind,
            relays: config.relays.clone(),
            mdns: false,
            publish_addrs: false,
            ..NetConfig::default()
        };
        let port_file = dir.join(PORT_FILE);
        let last_port = std::fs::read_to_string(&port_file)
            .ok()
            .and_then(|p| p.trim().parse::<u16>().ok());
        let endpoint = net::bind(secret, &net_config, last_port, Admission::default()).await?;
        if let Some(port) = endpoint.bound_sockets().first().map(|s| s.port())
            && last_port != Some(port)
            && let Err(e) = files::write_atomic(&port_file, port.to_string().as_bytes(), true)
        {
            tracing::warn!(error = %e, "could not remember the mailbox's port");
        }
        let server = MailboxServer {
            inner: Arc::new(ServerInner {
                store: Arc::new(store),
                endpoint: endpoint.clone(),
                router: OnceLock::new(),
                config,
                dir: dir.to_owned(),
                arrived: broadcast::channel(1024).0,
                ticket: watch::channel(None).0,
                connections: Arc::new(Semaphore::new(MAX_CONNECTIONS)),
                shutdown: watch::channel(false).0,
            }),
        };
        server.refresh_ticket().await?;
        let router = Router::builder(endpoint)
            .accept(
                MAILBOX_ALPN,
                Handler {
                    server: Arc::downgrade(&server.inner),
                },
            )
            .spawn();
        let _ = server.inner.router.set(router);
        server.spawn_collector();
        Ok(server)
    }

    /// Its endpoint id.
    pub fn id(&self) -> iroh::EndpointId {
        self.inner.endpoint.id()
    }

    /// Where it listens.
    pub fn addr(&self) -> EndpointAddr {
        self.inner.endpoint.addr()
    }

    /// The directory it keeps its key and store in.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    /// The setup ticket to give the first member device (one-time; a new one is made once it
    /// is used).
    pub fn setup_ticket(&self) -> Option<MailboxTicket> {
        self.inner.ticket.borrow().clone()
    }

    /// Follows the setup ticket: it changes each time one is used.
    pub fn tickets(&self) -> watch::Receiver<Option<MailboxTicket>> {
        self.inner.ticket.subscribe()
    }

    /// How much it holds now.
    pub async fn usage(&self) -> Result<MailboxUsage> {
        let store = Arc::clone(&self.inner.store);
        blocking(move || store.usage()).await
    }

    /// Drops the bundles older than the retention period as of `now`; how many went. Runs by
    /// itself every so often; tests call it with a clock of their own.
    pub async fn collect_garbage(&self, now: Timestamp) -> Result<u64> {
        let retention = i64::try_from(self.inner.config.retention.as_millis()).unwrap_or(i64::MAX);
        let cutoff = Timestamp(now.0.saturating_sub(retention));
        let store = Arc::clone(&self.inner.store);
        blocking(move || store.collect(cutoff)).await
    }

    /// Stops serving: connections close, the store is closed when the last handle goes.
    pub async fn shutdown(&self) {
        let _ = self.inner.shutdown.send(true);
        if let Some(router) = self.inner.router.get() {
            let _ = tokio::time::timeout(Duration::from_secs(3), router.shutdown()).await;
        }
    }

    async fn refresh_ticket(&self) -> Result<()> {
        let store = Arc::clone(&self.inner.store);
        let secret = blocking(move || store.setup_secret()).await?;
        let mut addrs = net::listening_addrs(&self.inner.endpoint);
        // Loopback last: a ticket carries only a few addresses.
        addrs.sort_by_key(|a| (a.ip().is_loopback(), a.is_ipv6()));
        let relay = self
            .inner
            .endpoint
            .addr()
            .relay_urls()
            .next()
            .map(|u| u.to_string());
        let ticket = MailboxTicket {
            endpoint: self.id(),
            addrs,
            relay,
            secret,
        };
        self.inner.ticket.send_replace(Some(ticket));
        Ok(())
    }

    fn spawn_collector(&self) {
        let weak = Arc::downgrade(&self.inner);
        let every = (self.inner.config.retention / 10)
            .clamp(Duration::from_secs(1), Duration::from_secs(3600));
        let mut shutdown = self.inner.shutdown.subscribe();
        tokio::spawn(async move {
            loop {
                let Some(inner) = weak.upgrade() else { return };
                let server = MailboxServer { inner };
                match server.collect_garbage(Timestamp::now()).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(dropped = n, "dropped bundles past the retention period")
                    }
                    Err(e) => tracing::warn!(error = %e, "could not drop old bundles"),
                }
                drop(server);
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stopped(&mut shutdown) => return,
                }
            }
        });
    }
}

/// Runs a store operation off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::result::Result<T, Failed> + Send + 'static,
) -> Result<T> {
    run(f).await.map_err(|f| match f {
        Failed::Refused(r) => SyncError::MailboxRefused(r),
        Failed::Storage(e) => SyncError::Store(e),
    })
}

#[derive(Clone)]
struct Handler {
    server: std::sync::Weak<ServerInner>,
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MailboxHandler")
    }
}

impl ProtocolHandler for Handler {
    async fn accept(&self, conn: Connection) -> std::result::Result<(), AcceptError> {
        let Some(inner) = self.server.upgrade() else {
            return Ok(());
        };
        let Ok(_permit) = Arc::clone(&inner.connections).try_acquire_owned() else {
            conn.close(503u32.into(), b"the mailbox is busy");
            return Ok(());
        };
        let server = MailboxServer { inner };
        server.serve(conn).await;
        Ok(())
    }
}

impl MailboxServer {
    async fn serve(&self, conn: Connection) {
        let caller = conn.remote_id().to_string();
        let watches = Arc::new(Semaphore::new(MAX_WATCHES));
        let mut shutdown = self.inner.shutdown.subscribe();
        loop {
            let (mut send, mut recv) = tokio::select! {
                bi = conn.accept_bi() => match bi {
                    Ok(s) => s,
                    Err(_) => return,
                },
                _ = stopped(&mut shutdown) => return,
            };
            let request =
                match tokio::time::timeout(REQUEST_PATIENCE, frame::read(&mut recv, MAX_REQUEST))
                    .await
                {
                    Ok(Ok(body)) => serde_json::from_slice::<Request>(&body).ok(),
                    _ => None,
                };
            let Some(request) = request else {
                let _ = reply(&mut send, &refused(MailboxRefusal::Malformed)).await;
                continue;
            };
            if let Request::Watch { couple } = request {
                let Ok(permit) = Arc::clone(&watches).try_acquire_owned() else {
                    let _ = reply(&mut send, &refused(MailboxRefusal::Malformed)).await;
                    continue;
                };
                let server = self.clone();
                let caller = caller.clone();
                tokio::spawn(async move {
                    let _permit = permit;
                    server.watch(&couple, &caller, send, recv).await;
                });
                continue;
            }
            let answer = self.handle(&caller, request, &mut recv).await;
            let sent = match answer {
                Answer::Reply(r) => reply(&mut send, &r).await,
                Answer::Bundle(body) => {
                    let head = Reply::Bundle {
                        len: body.len() as u64,
                    };
                    match serde_json::to_vec(&head) {
                        Ok(h) => {
                            let first = frame::write(&mut send, &h, None).await;
                            match first {
                                Ok(()) => frame::write(&mut send, &body, None).await,
                                Err(e) => Err(e),
                            }
                        }
                        Err(e) => Err(e.into()),
                    }
                }
            };
            if sent.is_ok() {
                let _ = send.finish();
            }
        }
    }

    async fn handle(&self, caller: &str, request: Request, recv: &mut RecvStream) -> Answer {
        let store = Arc::clone(&self.inner.store);
        let limits = self.inner.config.limits;
        let caller_owned = caller.to_owned();
        let result: std::result::Result<Answer, Failed> = match request {
            Request::Register {
                secret,
                couple,
                members,
            } => {
                let Some(secret) = hex16(&secret) else {
                    return Answer::Reply(refused(MailboxRefusal::TicketUsed));
                };
                let Some(members) = member_set(&members) else {
                    return Answer::Reply(refused(MailboxRefusal::Malformed));
                };
                if !is_couple_id(&couple) || !members.contains(caller) {
                    return Answer::Reply(refused(MailboxRefusal::Malformed));
                }
                let done = run(move || store.register(&secret, &couple, members, &limits)).await;
                if done.is_ok() {
                    tracing::info!(device = %short(caller), "a couple registered with the mailbox");
                    if let Err(e) = self.refresh_ticket().await {
                        tracing::warn!(error = %e, "could not make the next setup ticket");
                    }
                }
                done.map(|()| Answer::Reply(Reply::Done))
            }
            Request::Members {
                couple,
                members,
                revoked,
            } => {
                let (Some(members), Some(revoked)) = (member_set(&members), member_set(&revoked))
                else {
                    return Answer::Reply(refused(MailboxRefusal::Malformed));
                };
                run(move || store.set_members(&couple, &caller_owned, members, revoked))
                    .await
                    .map(|()| Answer::Reply(Reply::Done))
            }
            Request::Put {
                couple,
                recipients,
                len,
            } => {
                if len > limits.bundle_bytes {
                    return Answer::Reply(refused(MailboxRefusal::TooLarge {
                        len,
                        max: limits.bundle_bytes,
                    }));
                }
                let Some(recipients) = member_set(&recipients) else {
                    return Answer::Reply(refused(MailboxRefusal::Malformed));
                };
                // Only a member's upload is read past its header.
                {
                    let (store, couple, caller) =
                        (Arc::clone(&store), couple.clone(), caller_owned.clone());
                    if let Err(f) = run(move || store.is_member(&couple, &caller)).await {
                        return Answer::Reply(failed(f));
                    }
                }
                let body = match tokio::time::timeout(
                    REQUEST_PATIENCE,
                    frame::read(recv, usize::try_from(len).unwrap_or(usize::MAX)),
                )
                .await
                {
                    Ok(Ok(body)) if body.len() as u64 == len => body,
                    _ => return Answer::Reply(refused(MailboxRefusal::Malformed)),
                };
                let now = Timestamp::now();
                let c = couple.clone();
                let stored =
                    run(move || store.put(&c, &caller_owned, &recipients, &body, now, &limits))
                        .await;
                if let Ok(seq) = stored {
                    let store = Arc::clone(&self.inner.store);
                    let c = couple.clone();
                    let waiting = tokio::task::spawn_blocking(move || store.waiting(&c, seq))
                        .await
                        .unwrap_or_default();
                    let _ = self.inner.arrived.send((couple, waiting));
                }
                stored.map(|seq| Answer::Reply(Reply::Stored { seq }))
            }
            Request::List { couple, after } => {
                let listed = run(move || store.list(&couple, &caller_owned, after)).await;
                listed.map(|(bundles, dropped_before, more)| {
                    let bundles = match &self.inner.config.hook {
                        None => bundles,
                        Some(hook) => {
                            let seqs = hook.listing(bundles.iter().map(|b| b.seq).collect());
                            seqs.into_iter()
                                .map(|seq| {
                                    bundles.iter().find(|b| b.seq == seq).cloned().unwrap_or(
                                        Listed {
                                            seq,
                                            from: String::new(),
                                            len: 0,
                                            at: Timestamp(0),
                                        },
                                    )
                                })
                                .collect()
                        }
                    };
                    Answer::Reply(Reply::Listing {
                        bundles,
                        dropped_before,
                        more,
                    })
                })
            }
            Request::Get { couple, seq } => {
                let got = run(move || store.get(&couple, &caller_owned, seq)).await;
                match &self.inner.config.hook {
                    None => got.map(Answer::Bundle),
                    Some(hook) => {
                        let stored = got.ok();
                        match hook.bundle(seq, stored) {
                            Some(b) => Ok(Answer::Bundle(b)),
                            None => Err(Failed::Refused(MailboxRefusal::NoSuchBundle)),
                        }
                    }
                }
            }
            Request::Ack {
                couple,
                seqs,
                dropped_seen,
            } => {
                if seqs.len() > super::LIST_PAGE {
                    return Answer::Reply(refused(MailboxRefusal::Malformed));
                }
                run(move || store.ack(&couple, &caller_owned, &seqs, dropped_seen))
                    .await
                    .map(|()| Answer::Reply(Reply::Done))
            }
            Request::Forget { couple } => run(move || store.forget(&couple, &caller_owned))
                .await
                .map(|()| Answer::Reply(Reply::Done)),
            Request::Watch { .. } => Ok(Answer::Reply(refused(MailboxRefusal::Malformed))),
        };
        match result {
            Ok(a) => a,
            Err(f) => Answer::Reply(failed(f)),
        }
    }

    async fn watch(&self, couple: &str, caller: &str, mut send: SendStream, mut recv: RecvStream) {
        let mut arrived = self.inner.arrived.subscribe();
        {
            let (store, c, who) = (
                Arc::clone(&self.inner.store),
                couple.to_owned(),
                caller.to_owned(),
            );
            if let Err(f) = run(move || store.is_member(&c, &who)).await {
                let _ = reply(&mut send, &failed(f)).await;
                return;
            }
        }
        if reply(&mut send, &Reply::Done).await.is_err() {
            return;
        }
        // A bundle stored before the watch began (between the device's last listing and now)
        // is told at once; one stored later comes through `arrived`, subscribed above.
        let waits = {
            let (store, c, who) = (
                Arc::clone(&self.inner.store),
                couple.to_owned(),
                caller.to_owned(),
            );
            run(move || store.list(&c, &who, 0))
                .await
                .is_ok_and(|(listed, _, _)| !listed.is_empty())
        };
        if waits && reply(&mut send, &Reply::New).await.is_err() {
            return;
        }
        let mut shutdown = self.inner.shutdown.subscribe();
        let mut byte = [0u8; 1];
        loop {
            tokio::select! {
                got = arrived.recv() => match got {
                    Ok((c, waiting)) if c == couple && waiting.contains(caller) => {
                        if reply(&mut send, &Reply::New).await.is_err() {
                            return;
                        }
                    }
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        if reply(&mut send, &Reply::New).await.is_err() {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                // The device ends its watch by closing its side.
                _ = recv.read(&mut byte) => return,
                _ = stopped(&mut shutdown) => return,
            }
        }
    }
}

enum Answer {
    Reply(Reply),
    Bundle(Vec<u8>),
}

async fn run<T: Send + 'static>(
    f: impl FnOnce() -> std::result::Result<T, Failed> + Send + 'static,
) -> std::result::Result<T, Failed> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(_) => Err(Failed::Refused(MailboxRefusal::Storage)),
    }
}

fn refused(refusal: MailboxRefusal) -> Reply {
    Reply::Refused { refusal }
}

fn failed(f: Failed) -> Reply {
    match f {
        Failed::Refused(r) => refused(r),
        Failed::Storage(e) => {
            tracing::warn!(error = %e, "the mailbox's store failed");
            refused(MailboxRefusal::Storage)
        }
    }
}

async fn reply(
    send: &mut SendStream,
    r: &Reply,
) -> std::result::Result<(), crate::error::LinkError> {
    let body = serde_json::to_vec(r)?;
    frame::write(send, &body, None).await
}

fn short(id: &str) -> &str {
    &id[..id.len().min(10)]
}

/// A set of endpoint ids, if every one is one and there are not too many.
fn member_set(list: &[String]) -> Option<BTreeSet<String>> {
    if list.len() > MAX_MEMBERS
        || list
            .iter()
            .any(|m| hearth_core::membership::endpoint_bytes(m).is_none())
    {
        return None;
    }
    Some(list.iter().cloned().collect())
}

fn hex16(s: &str) -> Option<[u8; 16]> {
    let bytes = data_encoding::HEXLOWER_PERMISSIVE
        .decode(s.as_bytes())
        .ok()?;
    bytes.try_into().ok()
}
