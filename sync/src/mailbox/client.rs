//! A device's side of the mailbox: registering the couple, handing in what the other devices
//! lack, fetching what waits for this device, and the task that does both while the node runs.
//!
//! What was last handed in is kept in the profile's settings (`mailbox`): the heads of each
//! document at the last upload, for the member set they were sealed to. A new member resets
//! them, so the next upload carries the whole journal sealed to every device including the new
//! one: a device hands on what it learned from others, and one paired after a bundle was sealed
//! still gets every change. Bundles fetched from the mailbox that went to every other device
//! too are not handed in again.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use automerge::ChangeHash;
pub use hearth_core::MailboxStatus;
use hearth_core::{DocKind, MailboxRecord, Timestamp};
use iroh::endpoint::Connection;
use serde::{Deserialize, Serialize};

use super::{MAILBOX_ALPN, MAX_REQUEST, MailboxRefusal, MailboxTicket, Reply, Request, stopped};
use crate::changes::{ChangeFile, Have, MAX_CHANGE_FILE, open_change_file};
use crate::error::{Breach, ChangeFileProblem, LinkError, Result, SyncError, Unanswered};
use crate::frame;
use crate::node::Node;

/// The profile setting holding the client's state.
const STATE_KEY: &str = "mailbox";
/// How long a batch of local writes waits before it is handed in.
const BATCH: Duration = Duration::from_secs(1);
/// The longest wait between tries while the mailbox cannot be reached.
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// How long one exchange may take in the background.
const LIVE_EXCHANGE: Duration = Duration::from_secs(30);
/// While watching, the mailbox is still asked this often (a notice may be lost).
const WATCH_POLL: Duration = Duration::from_secs(600);
/// At most this many pages of a listing are read in one exchange (the rest waits for the
/// next): a mailbox cannot keep a device listing forever.
const MAX_PAGES: usize = 16;
/// At most this many bundles from devices not known yet are kept for a second look.
const MAX_DEFERRED: usize = 64;

/// What this device remembers of its mailbox.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct ClientState {
    /// The mailbox and couple this state is for.
    mailbox: String,
    couple: String,
    /// The member list last given to the mailbox, and the revoked devices.
    members_sent: Vec<String>,
    #[serde(default)]
    revoked_sent: Vec<String>,
    /// The members the handed heads were sealed to.
    handed_for: Vec<String>,
    handed_shared: Vec<String>,
    handed_private: Vec<String>,
    last_reached: Option<Timestamp>,
    last_sent: Option<Timestamp>,
    last_fetched: Option<Timestamp>,
    /// Bundles for this device were dropped unread (the newest made then), as the mailbox
    /// said when.
    dropped_before: Option<Timestamp>,
    dropped_told: Option<Timestamp>,
    last_error: Option<String>,
}

/// What one exchange with the mailbox did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MailboxReport {
    /// Bundles fetched and opened.
    pub fetched: usize,
    /// Changes among them that were new here.
    pub new_changes: usize,
    /// Bundles refused (not sealed to this device, damaged, not signed by a current member).
    pub refused: usize,
    /// Bundles left waiting: their sender is not known here yet.
    pub deferred: usize,
    /// Changes handed in (shared and private), and the bundle's size.
    pub sent_changes: usize,
    /// The bundle's size in bytes (0: nothing to hand in).
    pub sent_bytes: u64,
    /// The mailbox refused to take this device's changes (full, or a bundle over its limit):
    /// they stay here and are handed in once there is room.
    pub send_refused: Option<MailboxRefusal>,
    /// Bundles for this device were dropped unread by the mailbox, the newest made then: sync
    /// once directly with another device.
    pub dropped_before: Option<Timestamp>,
    /// How long it took.
    #[serde(skip)]
    pub took: Duration,
    /// Of that, opening, checking and applying fetched bundles.
    #[serde(skip)]
    pub applying: Duration,
}

/// The node's link to its mailbox.
#[derive(Debug, Default)]
pub(crate) struct MailboxLink {
    /// The open connection, reused while it lasts.
    conn: tokio::sync::Mutex<Option<(iroh::EndpointId, Connection)>>,
    /// One exchange at a time.
    exchange: tokio::sync::Mutex<()>,
    /// The background task runs.
    running: std::sync::atomic::AtomicBool,
}

/// The client's state as the profile keeps it.
fn saved_state(profile: &hearth_core::Profile) -> ClientState {
    profile
        .config()
        .extra
        .get(STATE_KEY)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .unwrap_or_default()
}

/// `state` if it is for `record`, else a fresh one.
fn state_for(state: ClientState, record: &MailboxRecord) -> ClientState {
    if state.mailbox == record.endpoint_id && state.couple == record.couple {
        state
    } else {
        ClientState {
            mailbox: record.endpoint_id.clone(),
            couple: record.couple.clone(),
            ..Default::default()
        }
    }
}

/// What a replica knows of its mailbox, with when each device last synced directly (a direct
/// sync after the mailbox said changes were dropped brought what was missing); `None` when
/// none is set up. Works with the network side stopped.
pub(crate) fn status_of(
    replica: &mut hearth_core::Replica,
    last_sync: &std::collections::HashMap<String, Timestamp>,
) -> Option<MailboxStatus> {
    let record = replica.journal().mailbox()?;
    let state = state_for(saved_state(replica.profile()), &record);
    let j = replica.journal_mut();
    let count = |doc: &mut automerge::AutoCommit, have: &[ChangeHash]| {
        let have = crate::changes::held(doc, have);
        doc.get_changes(&have).len()
    };
    let mut pending = count(j.doc_mut(DocKind::Shared), &hashes(&state.handed_shared));
    if j.acting().person().is_some() {
        pending += count(j.doc_mut(DocKind::Private), &hashes(&state.handed_private));
    }
    let synced_since = |at: Timestamp| last_sync.values().any(|t| *t > at);
    let dropped_before = state
        .dropped_before
        .filter(|_| !state.dropped_told.is_some_and(synced_since));
    Some(MailboxStatus {
        mailbox: record,
        last_reached: state.last_reached,
        last_sent: state.last_sent,
        last_fetched: state.last_fetched,
        pending,
        dropped_before,
        last_error: state.last_error,
    })
}

fn hashes(list: &[String]) -> Vec<ChangeHash> {
    list.iter().filter_map(|h| h.parse().ok()).collect()
}

fn texts(list: &[ChangeHash]) -> Vec<String> {
    list.iter().map(|h| h.to_string()).collect()
}

impl Node {
    fn mailbox_state(&self) -> ClientState {
        self.profile(saved_state)
    }

    fn save_mailbox_state(&self, state: &ClientState) {
        let Ok(value) = serde_json::to_value(state) else {
            return;
        };
        let mut st = self.state();
        if st.profile().config().extra.get(STATE_KEY) == Some(&value) {
            return;
        }
        if let Err(e) = st.profile_mut().update_config(|c| {
            c.extra.insert(STATE_KEY.into(), value);
        }) {
            tracing::warn!(error = %e, "could not record the mailbox's state");
        }
    }

    /// The state for `record`: a fresh one when it is another mailbox or couple.
    fn state_for(&self, record: &MailboxRecord) -> ClientState {
        state_for(self.mailbox_state(), record)
    }

    /// Current member devices other than this one, and the devices the journal says were
    /// revoked (at most the mailbox's member limit), each sorted, from one read of the list.
    fn others_and_revoked(&self) -> (Vec<String>, Vec<String>) {
        let me = self.id().to_string();
        let (mut others, mut revoked) = (Vec::new(), Vec::new());
        for d in self.read(|j| j.devices()) {
            if d.revoked_at.is_some() {
                revoked.push(d.endpoint_id);
            } else if d.is_member() && d.endpoint_id != me {
                others.push(d.endpoint_id);
            }
        }
        others.sort();
        revoked.sort();
        revoked.truncate(super::MAX_MEMBERS);
        (others, revoked)
    }

    async fn mailbox_connection(
        &self,
        record: &MailboxRecord,
        timeout: Duration,
    ) -> Result<Connection> {
        let id: iroh::EndpointId = record
            .endpoint_id
            .parse()
            .map_err(|_| SyncError::NoMailbox)?;
        let mut slot = self.inner.mailbox.conn.lock().await;
        if let Some((held, conn)) = slot.as_ref()
            && *held == id
            && conn.close_reason().is_none()
        {
            return Ok(conn.clone());
        }
        let addrs: Vec<std::net::SocketAddr> =
            record.addrs.iter().filter_map(|a| a.parse().ok()).collect();
        let addr = crate::ticket::endpoint_addr(id, &addrs, record.relay.as_deref());
        let peer = "the mailbox".to_owned();
        let conn = tokio::time::timeout(timeout, self.inner.endpoint.connect(addr, MAILBOX_ALPN))
            .await
            .map_err(|_| SyncError::Unreachable {
                peer: peer.clone(),
                why: Unanswered::Silent {
                    secs: timeout.as_secs().max(1),
                },
            })?
            .map_err(|e| SyncError::Unreachable {
                peer,
                why: Unanswered::from_connect(e),
            })?;
        *slot = Some((id, conn.clone()));
        Ok(conn)
    }

    /// Forgets the held connection (it broke).
    async fn drop_mailbox_connection(&self) {
        if let Some((_, conn)) = self.inner.mailbox.conn.lock().await.take() {
            conn.close(0u32.into(), b"done");
        }
    }

    /// Registers the couple with the mailbox of `ticket`, records the mailbox in the shared
    /// journal (so every device learns it by syncing) and runs a first exchange. A mailbox
    /// that refuses changes nothing here.
    pub async fn mailbox_add(
        &self,
        ticket: &MailboxTicket,
        timeout: Duration,
    ) -> Result<MailboxReport> {
        let me = self.id().to_string();
        if !self.is_member() {
            return Err(SyncError::NotAMember(crate::NotMember::NotAdmitted));
        }
        let couple = data_encoding::HEXLOWER.encode(&rand::random::<[u8; 16]>());
        let record = MailboxRecord {
            endpoint_id: ticket.endpoint.to_string(),
            addrs: ticket.addrs.iter().map(|a| a.to_string()).collect(),
            relay: ticket.relay.clone(),
            couple: couple.clone(),
            added_by: me.clone(),
            added_at: Timestamp::now(),
        };
        let (mut members, _) = self.others_and_revoked();
        members.push(me);
        members.sort();
        let conn = self.mailbox_connection(&record, timeout).await?;
        let reply = tokio::time::timeout(
            timeout,
            ask(
                &conn,
                &Request::Register {
                    secret: data_encoding::HEXLOWER.encode(&ticket.secret),
                    couple: couple.clone(),
                    members: members.clone(),
                },
                None,
            ),
        )
        .await
        .map_err(|_| SyncError::Timeout(timeout.as_secs()))??;
        expect_done(reply.0)?;
        self.write(|j| j.set_mailbox(&record, Timestamp::now()))?;
        self.save_mailbox_state(&ClientState {
            mailbox: record.endpoint_id.clone(),
            couple,
            members_sent: members,
            ..Default::default()
        });
        self.mailbox_exchange(timeout).await
    }

    /// Stops using the mailbox: it is asked to forget the couple (if it can be reached within
    /// `timeout`) and the record leaves the shared journal. Whether the mailbox was told.
    pub async fn mailbox_remove(&self, timeout: Duration) -> Result<bool> {
        let record = self.read(|j| j.mailbox()).ok_or(SyncError::NoMailbox)?;
        let told = async {
            let conn = self.mailbox_connection(&record, timeout).await?;
            let (reply, _) = ask(
                &conn,
                &Request::Forget {
                    couple: record.couple.clone(),
                },
                None,
            )
            .await?;
            expect_done(reply)
        };
        let told = match tokio::time::timeout(timeout, told).await {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::info!(error = %e, "the mailbox could not be told to forget the couple");
                false
            }
            Err(_) => false,
        };
        self.drop_mailbox_connection().await;
        self.write(|j| j.remove_mailbox(Timestamp::now()))?;
        let mut state = self.mailbox_state();
        state.mailbox.clear();
        self.save_mailbox_state(&state);
        Ok(told)
    }

    /// What this device knows of its mailbox; `None` when none is set up.
    pub fn mailbox_status(&self) -> Option<MailboxStatus> {
        let last = self.last_syncs();
        status_of(&mut self.state(), &last)
    }

    /// Fetches what waits for this device at the mailbox and hands in what the other devices
    /// may lack. Fails with [`SyncError::NoMailbox`] when none is set up.
    pub async fn mailbox_exchange(&self, timeout: Duration) -> Result<MailboxReport> {
        let _one = self.inner.mailbox.exchange.lock().await;
        let started = Instant::now();
        let record = self.read(|j| j.mailbox()).ok_or(SyncError::NoMailbox)?;
        let mut state = self.state_for(&record);
        let result = tokio::time::timeout(timeout, self.exchange(&record, &mut state, timeout))
            .await
            .unwrap_or(Err(SyncError::Timeout(timeout.as_secs())));
        match &result {
            Ok(report) => {
                state.last_reached = Some(Timestamp::now());
                state.last_error = report
                    .send_refused
                    .map(|r| SyncError::MailboxRefused(r).to_string());
            }
            Err(e) => {
                state.last_error = Some(e.to_string());
                if matches!(e, SyncError::Connection(_) | SyncError::Timeout(_)) {
                    self.drop_mailbox_connection().await;
                }
            }
        }
        self.save_mailbox_state(&state);
        result.map(|mut r| {
            r.took = started.elapsed();
            r
        })
    }

    async fn exchange(
        &self,
        record: &MailboxRecord,
        state: &mut ClientState,
        timeout: Duration,
    ) -> Result<MailboxReport> {
        let me = self.id().to_string();
        if !self.is_member() {
            return Err(SyncError::NotAMember(crate::NotMember::NotAdmitted));
        }
        let conn = self.mailbox_connection(record, timeout).await?;
        let couple = record.couple.clone();
        let (others, revoked) = self.others_and_revoked();
        let mut members = others.clone();
        members.push(me.clone());
        members.sort();
        if state.members_sent != members || state.revoked_sent != revoked {
            let (reply, _) = ask(
                &conn,
                &Request::Members {
                    couple: couple.clone(),
                    members: members.clone(),
                    revoked: revoked.clone(),
                },
                None,
            )
            .await?;
            expect_done(reply)?;
            state.members_sent = members;
            state.revoked_sent = revoked;
        }
        let mut report = MailboxReport::default();
        // Fetch.
        let identity = self.profile(|p| p.keys().age_identity().clone());
        let mut covered: Vec<ChangeHash> = Vec::new();
        let mut after = 0u64;
        let mut deferred: Vec<(u64, ChangeFile)> = Vec::new();
        let mut seen = BTreeSet::new();
        for _page in 0..MAX_PAGES {
            let (reply, _) = ask(
                &conn,
                &Request::List {
                    couple: couple.clone(),
                    after,
                },
                None,
            )
            .await?;
            let Reply::Listing {
                bundles,
                dropped_before,
                more,
            } = reply
            else {
                return Err(unexpected("listing"));
            };
            if dropped_before.is_some() {
                state.dropped_before = dropped_before;
                state.dropped_told = Some(Timestamp::now());
                report.dropped_before = dropped_before;
            }
            let mut acks = Vec::new();
            for listed in &bundles {
                if !seen.insert(listed.seq) {
                    continue;
                }
                let body = match ask(
                    &conn,
                    &Request::Get {
                        couple: couple.clone(),
                        seq: listed.seq,
                    },
                    None,
                )
                .await
                {
                    Ok((_, Some(body))) => body,
                    Ok((_, None)) => return Err(unexpected("bundle")),
                    // Listed, then gone (taken by a revocation, or a mailbox that lies).
                    Err(SyncError::MailboxRefused(MailboxRefusal::NoSuchBundle)) => continue,
                    Err(e) => return Err(e),
                };
                match self.take_bundle(&identity, &body, &others, &mut covered, &mut report) {
                    Taken::Done => acks.push(listed.seq),
                    Taken::Kept => {}
                    Taken::Later(_) if deferred.len() >= MAX_DEFERRED => report.deferred += 1,
                    Taken::Later(file) => deferred.push((listed.seq, *file)),
                    Taken::Failed(e) => return Err(e),
                }
            }
            // Bundles from a device this one did not know yet: its admission may have come in
            // a later bundle.
            if report.new_changes > 0 && !deferred.is_empty() {
                for (seq, file) in std::mem::take(&mut deferred) {
                    match self.apply_bundle(&identity, &file, &others, &mut covered, &mut report) {
                        Taken::Done => acks.push(seq),
                        Taken::Kept => {}
                        Taken::Later(file) => deferred.push((seq, *file)),
                        Taken::Failed(e) => return Err(e),
                    }
                }
            }
            after = bundles
                .iter()
                .map(|b| b.seq)
                .max()
                .unwrap_or(after)
                .max(after);
            if !acks.is_empty() || report.dropped_before.is_some() {
                // A page's bundles and those looked at again, in requests the mailbox takes.
                let chunks: Vec<&[u64]> = if acks.is_empty() {
                    vec![&[]]
                } else {
                    acks.chunks(super::LIST_PAGE).collect()
                };
                for (i, seqs) in chunks.into_iter().enumerate() {
                    let (reply, _) = ask(
                        &conn,
                        &Request::Ack {
                            couple: couple.clone(),
                            seqs: seqs.to_vec(),
                            dropped_seen: report.dropped_before.is_some() && i == 0,
                        },
                        None,
                    )
                    .await?;
                    expect_done(reply)?;
                }
                state.last_fetched = Some(Timestamp::now());
            }
            if !more || bundles.is_empty() {
                break;
            }
        }
        report.deferred += deferred.len();
        // Hand in.
        if others.is_empty() {
            return Ok(report);
        }
        if state.handed_for != others {
            state.handed_shared.clear();
            state.handed_private.clear();
        }
        // What went to every other device in a bundle fetched now is not handed in again.
        let mut have_shared = hashes(&state.handed_shared);
        have_shared.extend(covered);
        let have_private = hashes(&state.handed_private);
        let sealed = self.seal_changes(|_, _, _| Have {
            shared: have_shared,
            private: have_private,
        });
        let sealed = match sealed {
            Ok(s) => s,
            Err(SyncError::NoRecipients { .. }) => return Ok(report),
            Err(e) => return Err(e),
        };
        let [shared_heads, private_heads] = &sealed.heads;
        if sealed.changes + sealed.private_changes > 0 {
            let put = ask(
                &conn,
                &Request::Put {
                    couple,
                    recipients: sealed.recipients.clone(),
                    len: sealed.file.len() as u64,
                },
                Some(&sealed.file),
            )
            .await;
            match put {
                Ok((Reply::Stored { .. }, _)) => {}
                Ok(_) => return Err(unexpected("upload receipt")),
                // Full or over the limit: what was fetched stands; the changes wait here.
                Err(SyncError::MailboxRefused(
                    refusal @ (MailboxRefusal::Full { .. } | MailboxRefusal::TooLarge { .. }),
                )) => {
                    report.send_refused = Some(refusal);
                    return Ok(report);
                }
                Err(e) => return Err(e),
            }
            report.sent_changes = sealed.changes + sealed.private_changes;
            report.sent_bytes = sealed.file.len() as u64;
            state.last_sent = Some(Timestamp::now());
        }
        state.handed_for = others;
        state.handed_shared = texts(shared_heads);
        state.handed_private = texts(private_heads);
        Ok(report)
    }

    /// Opens one fetched bundle and applies it if it is a current member's signed change.
    fn take_bundle(
        &self,
        identity: &age::x25519::Identity,
        body: &[u8],
        others: &[String],
        covered: &mut Vec<ChangeHash>,
        report: &mut MailboxReport,
    ) -> Taken {
        if body.len() as u64 > MAX_CHANGE_FILE {
            report.refused += 1;
            return Taken::Kept;
        }
        let started = Instant::now();
        let taken = match open_change_file(identity, body) {
            Ok(file) => self.apply_bundle(identity, &file, others, covered, report),
            // Not acknowledged: a mailbox that spoiled it may serve it whole later, and an
            // honest one drops it after the retention period.
            Err(e) => {
                tracing::info!(error = %e, "refused a bundle from the mailbox");
                report.refused += 1;
                Taken::Kept
            }
        };
        report.applying += started.elapsed();
        taken
    }

    fn apply_bundle(
        &self,
        identity: &age::x25519::Identity,
        file: &ChangeFile,
        others: &[String],
        covered: &mut Vec<ChangeHash>,
        report: &mut MailboxReport,
    ) -> Taken {
        match self.import_opened(identity, file) {
            Ok(imported) => {
                report.fetched += 1;
                report.new_changes += imported.new_changes + imported.new_private_changes;
                // Went to every other device as well: no need to hand it in again.
                let to: BTreeSet<&str> = file
                    .recipients()
                    .iter()
                    .map(String::as_str)
                    .chain([file.from()])
                    .collect();
                if others.iter().all(|o| to.contains(o.as_str())) {
                    covered.extend(file.heads());
                }
                Taken::Done
            }
            Err(SyncError::ChangeFile(ChangeFileProblem::UnknownSender)) => {
                Taken::Later(Box::new(file.clone()))
            }
            // Signed by a device that is no longer a member: it will never apply here.
            Err(e @ SyncError::ChangeFile(ChangeFileProblem::SenderNotMember { .. })) => {
                tracing::info!(error = %e, "refused a bundle from the mailbox");
                report.refused += 1;
                Taken::Done
            }
            Err(e @ (SyncError::Store(_) | SyncError::Profile(_))) => Taken::Failed(e),
            Err(e) => {
                tracing::info!(error = %e, "refused a bundle from the mailbox");
                report.refused += 1;
                Taken::Kept
            }
        }
    }

    /// Keeps up with the mailbox while the node runs: an exchange at start, a second after
    /// local writes and changes received from devices (batched), whenever the mailbox says a
    /// bundle arrived, and again after a failure with growing waits. Idle while no mailbox is
    /// set up; stops with the node.
    pub(crate) fn spawn_mailbox_task(&self) {
        use std::sync::atomic::Ordering;
        if self.inner.mailbox.running.swap(true, Ordering::SeqCst) {
            return;
        }
        let weak = self.downgrade();
        let mut changes = self.changes();
        let mut shutdown = self.shutdown_signal();
        tokio::spawn(async move {
            let mut backoff = Duration::from_secs(1);
            loop {
                let Some(node) = weak.upgrade() else { return };
                if *shutdown.borrow() {
                    return;
                }
                let record = node.read(|j| j.mailbox());
                let Some(record) = record else {
                    drop(node);
                    tokio::select! {
                        r = changes.changed() => if r.is_err() { return },
                        _ = stopped(&mut shutdown) => return,
                    }
                    continue;
                };
                changes.borrow_and_update();
                let failed = match node.mailbox_exchange(LIVE_EXCHANGE).await {
                    Ok(r) => {
                        tracing::debug!(?r, "exchanged with the mailbox");
                        backoff = Duration::from_secs(1);
                        false
                    }
                    Err(e) => {
                        tracing::info!(error = %e, "could not exchange with the mailbox");
                        true
                    }
                };
                // Watch for new bundles on the held connection.
                let watch = if failed {
                    None
                } else {
                    node.open_watch(&record).await.ok()
                };
                drop(node);
                let wait_for_changes = async {
                    if changes.changed().await.is_err() {
                        return false;
                    }
                    tokio::time::sleep(BATCH).await;
                    true
                };
                match watch {
                    Some((_send, mut recv)) => {
                        let told = async { frame::read(&mut recv, MAX_REQUEST).await.map(|_| ()) };
                        tokio::select! {
                            more = wait_for_changes => if !more { return },
                            // A look now and then, should a notice have been lost.
                            _ = tokio::time::sleep(WATCH_POLL) => {}
                            r = told => if r.is_err() {
                                // The watch ended: the mailbox went or the connection broke.
                                tokio::select! {
                                    _ = tokio::time::sleep(backoff) => {}
                                    _ = stopped(&mut shutdown) => return,
                                }
                                backoff = (backoff * 2).min(MAX_BACKOFF);
                            },
                            _ = stopped(&mut shutdown) => return,
                        }
                    }
                    None => {
                        let wait = if failed { backoff } else { MAX_BACKOFF };
                        if failed {
                            backoff = (backoff * 2).min(MAX_BACKOFF);
                        }
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {}
                            more = wait_for_changes => if !more { return },
                            _ = stopped(&mut shutdown) => return,
                        }
                    }
                }
            }
        });
    }

    /// Opens a watch stream: the mailbox sends a frame whenever a bundle for this device
    /// arrives.
    async fn open_watch(
        &self,
        record: &MailboxRecord,
    ) -> Result<(iroh::endpoint::SendStream, iroh::endpoint::RecvStream)> {
        let conn = self.mailbox_connection(record, LIVE_EXCHANGE).await?;
        let (mut send, mut recv) = conn.open_bi().await.map_err(LinkError::from)?;
        let body = serde_json::to_vec(&Request::Watch {
            couple: record.couple.clone(),
        })
        .map_err(LinkError::from)?;
        frame::write(&mut send, &body, None).await?;
        let (reply, _) = read_reply(&mut recv).await?;
        expect_done(reply)?;
        // The send side stays open while the watch lasts: closing it ends the watch.
        Ok((send, recv))
    }
}

enum Taken {
    /// Applied, or refused for good: acknowledged.
    Done,
    /// Refused, not acknowledged.
    Kept,
    Later(Box<ChangeFile>),
    Failed(SyncError),
}

fn unexpected(what: &'static str) -> SyncError {
    SyncError::Protocol {
        peer: "the mailbox".into(),
        breach: Breach::Malformed { what },
    }
}

fn expect_done(reply: Reply) -> Result<()> {
    match reply {
        Reply::Done => Ok(()),
        _ => Err(unexpected("reply")),
    }
}

/// One request on a stream of its own: the reply, and the bundle that follows a
/// [`Reply::Bundle`]. A refusal is an error.
async fn ask(
    conn: &Connection,
    request: &Request,
    body: Option<&[u8]>,
) -> Result<(Reply, Option<Vec<u8>>)> {
    let (mut send, mut recv) = conn.open_bi().await.map_err(LinkError::from)?;
    let head = serde_json::to_vec(request).map_err(LinkError::from)?;
    frame::write(&mut send, &head, None).await?;
    if let Some(body) = body {
        frame::write(&mut send, body, None).await?;
    }
    let _ = send.finish();
    read_reply(&mut recv).await
}

async fn read_reply(recv: &mut iroh::endpoint::RecvStream) -> Result<(Reply, Option<Vec<u8>>)> {
    let head = frame::read(recv, MAX_REQUEST)
        .await
        .map_err(|e| frame::missing("the mailbox".into(), e, MAX_REQUEST))?;
    let reply: Reply = serde_json::from_slice(&head).map_err(|source| SyncError::Protocol {
        peer: "the mailbox".into(),
        breach: Breach::Unreadable {
            what: "mailbox reply",
            source,
        },
    })?;
    match reply {
        Reply::Refused { refusal } => Err(SyncError::MailboxRefused(refusal)),
        Reply::Bundle { len } => {
            if len > MAX_CHANGE_FILE {
                return Err(SyncError::Protocol {
                    peer: "the mailbox".into(),
                    breach: Breach::FrameTooLarge {
                        len: usize::try_from(len).unwrap_or(usize::MAX),
                        max: usize::try_from(MAX_CHANGE_FILE).unwrap_or(usize::MAX),
                    },
                });
            }
            let cap = usize::try_from(len).unwrap_or(usize::MAX);
            let body = frame::read(recv, cap)
                .await
                .map_err(|e| frame::missing("the mailbox".into(), e, cap))?;
            Ok((Reply::Bundle { len }, Some(body)))
        }
        other => Ok((other, None)),
    }
}
