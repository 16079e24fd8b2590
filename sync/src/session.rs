//! A sync session: one bidirectional stream per document, carrying length-prefixed Automerge
//! sync messages until both sides hold the same document; a live session then stays open and
//! pushes local changes as they happen.

use automerge::sync::{self, SyncDoc};
use hearth_core::{Adopted, DocKind, Journal};
use iroh::EndpointId;
use iroh::endpoint::{Connection, RecvStream, SendStream};
use iroh::protocol::{AcceptError, ProtocolHandler};
use tokio::task::JoinSet;

use crate::admission::{NOT_A_MEMBER, PROTOCOL_ERROR};
use crate::error::{Breach, LinkError, Result, SyncError};
use crate::frame::{self, FrameError, MAX_FRAME};
use crate::node::{Event, Node, WeakNode};

/// What one sync message brought.
#[derive(Debug, Default)]
pub struct Received {
    /// Change chunks new here (0 if nothing changed). Counting chunks, not changes, keeps a
    /// large first sync from walking the whole history again just to count.
    pub chunks: usize,
    /// Whether this device took the whole document the message carried in place of its own
    /// copy (a peer sends its `save()` to a device far behind; see [`Journal::adopt`]): to be
    /// stored as the document's snapshot.
    pub adopted: bool,
    /// The bytes the adopted document came as, when they are the document as it is now (it
    /// held everything this copy held): stored as they are, without saving again.
    pub snapshot: Option<Vec<u8>>,
}

/// Decodes one sync message frame body and applies it to a journal document: what it brought,
/// or why it was refused (undecodable, too large once inflated, or not applicable).
pub fn apply_sync_message(
    journal: &mut Journal,
    kind: DocKind,
    state: &mut sync::State,
    body: &[u8],
) -> std::result::Result<Received, Breach> {
    let mut msg = sync::Message::decode(body).map_err(|e| Breach::Undecodable(Box::new(e)))?;
    // `decode` only splits the change list; `receive_sync_message` inflates it, without a bound.
    // Measure every chunk first, against one budget for the whole message.
    hearth_core::bound::decoded_size_of_all(msg.changes.iter(), hearth_core::bound::MAX_DECODED)
        .map_err(Breach::Inflated)?;
    let chunks = msg.changes.len();
    let before = journal.heads(kind);
    let (mut adopted, mut snapshot) = (false, None);
    if let Some(whole) = whole_document(&msg.changes)
        && whole.len() >= ADOPT_FROM
        && let Some(how) = journal
            .adopt(kind, whole)
            .map_err(|e| Breach::Refused(Box::new(e)))?
    {
        adopted = true;
        snapshot = (how == Adopted::Whole).then(|| whole.to_vec());
        // The document is in; the rest of the message (heads, needs, what the peer has) still
        // moves the sync state on from there.
        msg.changes = sync::ChunkList::empty();
    }
    let sent = state.last_sent_heads.clone();
    let doc = journal.doc_mut(kind);
    doc.sync()
        .receive_sync_message(state, msg)
        .map_err(|e| Breach::Unapplicable(Box::new(e)))?;
    if adopted {
        // A message without changes whose heads are ours reads to Automerge as "the peer knows
        // where we are"; after an adoption it does not yet, so the next message says so.
        state.last_sent_heads = sent;
    }
    let chunks = if doc.get_heads() == before {
        0
    } else {
        chunks.max(1)
    };
    Ok(Received {
        chunks,
        adopted,
        snapshot,
    })
}

/// The smallest whole document worth taking in place of this device's copy: below it, merging
/// costs little, and a store keeps its chunks rather than rewriting itself as one snapshot (the
/// store's own threshold, `CompactionPolicy::min_bytes`).
const ADOPT_FROM: usize = 16 * 1024;

/// The message's one chunk if it is a whole document (Automerge's magic bytes, then chunk type
/// 0 after the checksum), as a peer sends to a device that lacks most of it.
fn whole_document(changes: &sync::ChunkList) -> Option<&[u8]> {
    const MAGIC: [u8; 4] = [0x85, 0x6f, 0x4a, 0x83];
    let mut chunks = changes.iter();
    let (Some(only), None) = (chunks.next(), chunks.next()) else {
        return None;
    };
    (only.len() > 8 && only[..4] == MAGIC && only[8] == 0).then_some(only)
}

/// How long a session runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Until both sides hold the same document, then end.
    OneShot,
    /// Until the stream or the node ends, pushing local changes as they happen.
    Live,
}

fn doc_byte(kind: DocKind) -> u8 {
    match kind {
        DocKind::Shared => b'S',
        DocKind::Private => b'P',
        DocKind::Wall => b'W',
    }
}

fn doc_from_byte(b: &[u8]) -> Option<DocKind> {
    match b {
        [b'S'] => Some(DocKind::Shared),
        [b'P'] => Some(DocKind::Private),
        [b'W'] => Some(DocKind::Wall),
        _ => None,
    }
}

impl Node {
    /// Applies one received sync message; returns how many changes it brought.
    fn receive(
        &self,
        peer: &EndpointId,
        kind: DocKind,
        state: &mut sync::State,
        body: &[u8],
    ) -> Result<usize> {
        let (n, commit, answers) = {
            let mut st = self.state();
            let before = st.journal_mut().heads(kind);
            let got =
                apply_sync_message(st.journal_mut(), kind, state, body).map_err(|breach| {
                    SyncError::Protocol {
                        peer: peer.fmt_short().to_string(),
                        breach,
                    }
                })?;
            let commit = if got.adopted {
                st.stored_snapshot(kind, got.snapshot.as_deref())?
            } else if got.chunks > 0 {
                st.stored_received(kind, body.len())?
            } else {
                Default::default()
            };
            // A whole document adopted is looked through once; else only what arrived.
            let answers = kind == DocKind::Shared
                && got.chunks > 0
                && (got.adopted || st.journal_mut().brings_answers(&before));
            (got.chunks, commit, answers)
        };
        if commit.display_settled {
            tracing::info!(
                "this display now keeps only the wall document: it let go of its copy of the \
                 shared journal"
            );
        }
        if n > 0 {
            self.stored(&commit);
            if answers {
                self.open_answers();
            }
            self.after_change();
            self.emit(Event::ChangesReceived {
                peer: peer.to_string(),
                doc: kind,
                changes: n,
            });
        }
        Ok(n)
    }

    fn converged(&self, kind: DocKind, state: &sync::State) -> bool {
        let heads = self.state().journal_mut().heads(kind);
        state.their_heads.as_ref() == Some(&heads)
    }

    /// Runs one session on a stream. Returns how many changes arrived.
    pub(crate) async fn session(
        &self,
        peer: EndpointId,
        kind: DocKind,
        mut send: SendStream,
        mut recv: RecvStream,
        mode: Mode,
    ) -> Result<usize> {
        let key = peer.to_string();
        let mut state = {
            let st = self.state();
            st.profile()
                .store()
                .sync_state(&key, kind.into())
                .and_then(|b| sync::State::decode(&b).ok())
                .unwrap_or_default()
        };
        let mut changes = self.changes();
        let mut shutdown = self.shutdown_signal();
        let hook = self.inner.config.frame_hook.clone();
        let mut received = 0;
        let mut announced = false;
        // Frames are read whole in their own task: a read interrupted by a local change would
        // lose the stream's place, so the session only ever waits on complete frames.
        let (frames_tx, mut frames) = tokio::sync::mpsc::channel(2);
        let reader = tokio::spawn(async move {
            loop {
                let frame = frame::read(&mut recv, MAX_FRAME).await;
                let end = frame.is_err();
                if frames_tx.send(frame).await.is_err() || end {
                    break;
                }
            }
            recv
        });
        let result: Result<()> = async {
            loop {
                loop {
                    let msg = self
                        .state()
                        .journal_mut()
                        .doc_mut(kind)
                        .sync()
                        .generate_sync_message(&mut state);
                    let Some(msg) = msg else { break };
                    frame::write(&mut send, &msg.encode(), hook.as_deref()).await?;
                }
                if self.converged(kind, &state) {
                    if !announced {
                        self.mark_synced(&peer, kind);
                        announced = true;
                    }
                    if mode == Mode::OneShot {
                        return Ok(());
                    }
                }
                tokio::select! {
                    f = frames.recv() => match f.unwrap_or(Err(FrameError::End)) {
                        Ok(body) => {
                            if self.receive(&peer, kind, &mut state, &body)? > 0 {
                                received += 1;
                                announced = false;
                            }
                        }
                        // A one-shot session the other side ends before both documents match
                        // did not sync (a refusal shows only as the stream ending).
                        Err(FrameError::End)
                            if mode == Mode::OneShot && !self.converged(kind, &state) =>
                        {
                            return Err(LinkError::EndedEarly.into());
                        }
                        Err(FrameError::End) => return Ok(()),
                        Err(FrameError::TooLarge(n)) => {
                            return Err(SyncError::Protocol {
                                peer: peer.fmt_short().to_string(),
                                breach: Breach::FrameTooLarge { len: n, max: MAX_FRAME },
                            });
                        }
                        Err(FrameError::Broken(e)) => return Err(e.into()),
                    },
                    r = changes.changed(), if mode == Mode::Live => {
                        if r.is_err() {
                            return Ok(());
                        }
                        announced = false;
                    }
                    _ = shutdown.changed() => return Ok(()),
                }
            }
        }
        .await;
        // The sync state is stored once the exchange is over (after the peer finished, for a
        // one-shot session): the peer never waits on this device's store.
        let store_state = |state: &sync::State| {
            let encoded = state.encode();
            if let Err(e) =
                self.state()
                    .profile_mut()
                    .store_mut()
                    .put_sync_state(&key, kind.into(), &encoded)
            {
                tracing::warn!(error = %e, "could not store the sync state");
            }
        };
        match result {
            Ok(()) => {
                let _ = send.finish();
                if mode == Mode::OneShot {
                    // Read what the peer still sends until it finishes too, so neither side
                    // cuts the other off mid-message.
                    let drain = async {
                        while let Some(Ok(body)) = frames.recv().await {
                            if self.receive(&peer, kind, &mut state, &body).is_err() {
                                break;
                            }
                        }
                    };
                    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), drain).await;
                }
                drop(frames);
                store_state(&state);
                if let Ok(Ok(mut recv)) =
                    tokio::time::timeout(std::time::Duration::from_secs(1), reader).await
                {
                    let _ = recv.stop(0u32.into());
                }
                Ok(received)
            }
            Err(e) => {
                store_state(&state);
                let _ = send.reset(PROTOCOL_ERROR.into());
                reader.abort();
                Err(e)
            }
        }
    }

    /// Opens one stream per document this peer may sync and runs the sessions side by side.
    /// Returns how many change batches arrived.
    pub(crate) async fn sync_docs(
        &self,
        conn: &Connection,
        peer: EndpointId,
        mode: Mode,
    ) -> Result<usize> {
        let kinds: Vec<DocKind> = [DocKind::Shared, DocKind::Private, DocKind::Wall]
            .into_iter()
            .filter(|k| self.may_sync(&peer, *k))
            .collect();
        // No document to share: this device, or the peer, is not a member as this device's
        // journal sees it (say, a revocation of this device arrived). Nothing was synced.
        if kinds.is_empty() {
            return Err(SyncError::NotAMember(crate::NotMember::NoSharedDocument));
        }
        self.sync_kinds(conn, peer, &kinds, mode).await
    }

    /// Like [`Node::sync_docs`] for chosen documents.
    pub(crate) async fn sync_kinds(
        &self,
        conn: &Connection,
        peer: EndpointId,
        kinds: &[DocKind],
        mode: Mode,
    ) -> Result<usize> {
        let mut tasks = JoinSet::new();
        for &kind in kinds {
            let (mut send, recv) = conn.open_bi().await.map_err(LinkError::from)?;
            frame::write(&mut send, &[doc_byte(kind)], None).await?;
            let node = self.clone();
            tasks.spawn(async move { node.session(peer, kind, send, recv, mode).await });
        }
        let mut total = 0;
        let mut first_err = None;
        while let Some(r) = tasks.join_next().await {
            match r {
                Ok(Ok(n)) => total += n,
                Ok(Err(e)) => {
                    first_err.get_or_insert(e);
                }
                Err(e) => {
                    first_err.get_or_insert(LinkError::from(e).into());
                }
            }
        }
        if let Some(e) = first_err {
            // One document's session failing ends the connection, so both documents resume
            // together on the next connection instead of one of them stalling.
            conn.close(PROTOCOL_ERROR.into(), e.to_string().as_bytes());
            return Err(e);
        }
        Ok(total)
    }
}

/// Accepts `hearth/sync/1` connections from member devices.
#[derive(Debug, Clone)]
pub(crate) struct SyncHandler {
    pub(crate) node: WeakNode,
}

impl ProtocolHandler for SyncHandler {
    async fn accept(&self, conn: Connection) -> std::result::Result<(), AcceptError> {
        let Some(node) = self.node.upgrade() else {
            return Ok(());
        };
        let peer = conn.remote_id();
        if !node.inner.admission.admits(&peer) {
            conn.close(NOT_A_MEMBER.into(), b"not a member of this journal");
            return Ok(());
        }
        node.register(peer, &conn);
        let mut tasks = JoinSet::new();
        let mut shutdown = node.shutdown_signal();
        loop {
            tokio::select! {
                bi = conn.accept_bi() => match bi {
                    Ok((send, recv)) => {
                        let node = node.clone();
                        let conn = conn.clone();
                        tasks.spawn(async move { serve_stream(node, conn, peer, send, recv).await });
                    }
                    Err(_) => break,
                },
                _ = shutdown.changed() => break,
            }
        }
        while tasks.join_next().await.is_some() {}
        node.unregister(peer, &conn);
        Ok(())
    }
}

async fn serve_stream(
    node: Node,
    conn: Connection,
    peer: EndpointId,
    mut send: SendStream,
    mut recv: RecvStream,
) {
    let kind = match frame::read(&mut recv, 16).await {
        Ok(b) => doc_from_byte(&b),
        Err(_) => None,
    };
    let Some(kind) = kind.filter(|k| node.may_sync(&peer, *k)) else {
        tracing::info!(peer = %peer.fmt_short(), "refused a stream for a document this device may not sync");
        let _ = send.reset(NOT_A_MEMBER.into());
        let _ = recv.stop(NOT_A_MEMBER.into());
        return;
    };
    if let Err(e) = node.session(peer, kind, send, recv, Mode::Live).await {
        tracing::info!(peer = %peer.fmt_short(), error = %e, "sync session ended with an error");
        conn.close(PROTOCOL_ERROR.into(), e.to_string().as_bytes());
        node.emit(Event::SessionError {
            peer: peer.to_string(),
            error: e.to_string(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_core::Timestamp;

    const T0: Timestamp = Timestamp(1_767_225_600_000);

    /// Runs the sync protocol between two journals in memory through `apply_sync_message`, as
    /// two sessions would; says whether `b` took a whole document from `a`.
    fn sync_through(a: &mut Journal, b: &mut Journal) -> bool {
        let (mut sa, mut sb) = (sync::State::new(), sync::State::new());
        let mut adopted = false;
        for _ in 0..20 {
            let to_b = a
                .doc_mut(DocKind::Shared)
                .sync()
                .generate_sync_message(&mut sa);
            let to_a = b
                .doc_mut(DocKind::Shared)
                .sync()
                .generate_sync_message(&mut sb);
            if to_b.is_none() && to_a.is_none() {
                // Settled as a session sees it: each side knows the other is where it is.
                assert_eq!(sa.their_heads, Some(a.heads(DocKind::Shared)));
                assert_eq!(sb.their_heads, Some(b.heads(DocKind::Shared)));
                return adopted;
            }
            if let Some(m) = to_b {
                let got = apply_sync_message(b, DocKind::Shared, &mut sb, &m.encode()).unwrap();
                adopted |= got.adopted;
            }
            if let Some(m) = to_a {
                apply_sync_message(a, DocKind::Shared, &mut sa, &m.encode()).unwrap();
            }
        }
        panic!("the sync did not settle");
    }

    #[test]
    fn a_device_far_behind_takes_the_whole_document_and_the_protocol_goes_on() {
        let mut a = Journal::new(b"session-test-a").unwrap();
        let ana = a.add_partner("Ana", "#c0623b", T0).unwrap();
        let mut b = Journal::new(b"session-test-b").unwrap();
        sync_through(&mut a, &mut b);
        // The device far behind has written a little of its own meanwhile (as a new device
        // publishes its addresses): carried over onto the document it takes.
        let ben = b.add_partner("Ben", "#3b7fc0", T0).unwrap();
        // Enough for a whole document worth adopting (ADOPT_FROM).
        for n in 0..1500 {
            a.add_appreciation(
                &ana,
                &format!("Thank you for the evening number {n}"),
                false,
                T0,
            )
            .unwrap();
        }
        assert!(a.doc_mut(DocKind::Shared).save().len() >= ADOPT_FROM);
        assert!(sync_through(&mut a, &mut b), "b loaded a's document whole");
        assert_eq!(a.heads(DocKind::Shared), b.heads(DocKind::Shared));
        assert_eq!(b.wall(&Default::default()).len(), 1500);
        assert_eq!(a.partners().len(), 2, "b's own change reached a");

        // From there, a change each way runs the protocol as usual.
        a.add_appreciation(&ana, "One more", false, T0).unwrap();
        b.add_appreciation(&ben, "And one back", false, T0).unwrap();
        assert!(!sync_through(&mut a, &mut b), "a few changes are merged");
        assert_eq!(a.heads(DocKind::Shared), b.heads(DocKind::Shared));
        assert_eq!(a.wall(&Default::default()).len(), 1502);
    }
}
