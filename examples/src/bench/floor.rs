//! The floors: the same work done with the bare building blocks, in memory.

use std::time::Instant;

use anyhow::{Context, Result};
use automerge::AutoCommit;
use automerge::sync::{Message, State, SyncDoc};

/// What one in-memory sync exchanged.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Exchange {
    /// Messages sent, both ways.
    pub(crate) messages: usize,
    /// Their encoded size, both ways.
    pub(crate) bytes: usize,
    /// The longest single decode and receive by B, in milliseconds.
    pub(crate) slowest_b_receive_ms: f64,
}

/// Syncs two in-memory documents until neither has anything to send: A generates, B receives,
/// B generates, A receives, and so on. Every message is encoded and decoded, as on a wire.
pub(crate) fn sync_docs(
    a: &mut AutoCommit,
    b: &mut AutoCommit,
    sa: &mut State,
    sb: &mut State,
) -> Result<Exchange> {
    let mut ex = Exchange::default();
    loop {
        let mut sent = false;
        let msg = a.sync().generate_sync_message(sa);
        if let Some(msg) = msg {
            let bytes = msg.encode();
            ex.messages += 1;
            ex.bytes += bytes.len();
            let started = Instant::now();
            let msg = Message::decode(&bytes).context("decoding a sync message")?;
            b.sync()
                .receive_sync_message(sb, msg)
                .context("receiving a sync message")?;
            let ms = started.elapsed().as_secs_f64() * 1000.0;
            ex.slowest_b_receive_ms = ex.slowest_b_receive_ms.max(ms);
            sent = true;
        }
        let msg = b.sync().generate_sync_message(sb);
        if let Some(msg) = msg {
            let bytes = msg.encode();
            ex.messages += 1;
            ex.bytes += bytes.len();
            let msg = Message::decode(&bytes).context("decoding a sync message")?;
            a.sync()
                .receive_sync_message(sa, msg)
                .context("receiving a sync message")?;
            sent = true;
        }
        if !sent {
            return Ok(ex);
        }
    }
}

/// Two in-memory journals of a template's journal (as device A holds it), synced with each other
/// first, as two nodes in step are; with their sync states.
pub(crate) fn pair_in_sync(
    t: &super::fixture::Template,
) -> Result<(hearth_core::Journal, hearth_core::Journal, State, State)> {
    use hearth_core::{DocKind, Journal};
    let mut a = Journal::load(&t.a_docs.shared, Some(&t.a_docs.private), b"floor-device-a")?;
    let mut b = Journal::load(&t.a_docs.shared, Some(&t.a_docs.private), b"floor-device-b")?;
    let (mut sa, mut sb) = (State::new(), State::new());
    sync_docs(
        a.doc_mut(DocKind::Shared),
        b.doc_mut(DocKind::Shared),
        &mut sa,
        &mut sb,
    )?;
    Ok((a, b, sa, sb))
}

/// Loads `save()` bytes (not part of any timed section).
pub(crate) fn load(bytes: &[u8]) -> Result<AutoCommit> {
    AutoCommit::load(bytes).context("loading a document")
}
