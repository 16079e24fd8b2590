//! Length-prefixed frames: a 4-byte big-endian length, then that many bytes. A frame larger than
//! the cap ends the session before its body is read.

use std::pin::Pin;

use iroh::endpoint::SendStream;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::error::LinkError;

/// The largest frame a peer may send: room for a whole large journal in one sync message.
pub const MAX_FRAME: usize = 64 * 1024 * 1024;

/// What a [`FrameHook`] does to an outgoing frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookAction {
    /// Send it as it is (the hook may have changed its bytes).
    Send,
    /// Send only the first `n` bytes of the frame (length prefix included), then close.
    Truncate(usize),
    /// Announce a frame larger than the cap.
    Oversize,
    /// Send the first `n` bytes of the frame (length prefix included), wait for
    /// [`FrameHook::between_parts`], then send the rest: a frame that arrives in two parts with
    /// a gap the test controls.
    Split(usize),
}

/// Sees every outgoing sync frame. Used by fault tests to corrupt, truncate, oversize or split
/// frames.
pub trait FrameHook: Send + Sync + 'static {
    /// Called with the frame body before it is sent.
    fn outgoing(&self, body: &mut Vec<u8>) -> HookAction;

    /// Awaited between the two parts of a [`HookAction::Split`] frame. Returns at once unless
    /// the hook says otherwise.
    fn between_parts(&self) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(std::future::ready(()))
    }
}

/// Why reading a frame failed.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The stream ended cleanly between frames.
    #[error("the stream ended")]
    End,
    /// The peer announced a frame over the cap.
    #[error("a frame of {0} bytes is over the limit")]
    TooLarge(usize),
    /// The stream broke (mid-frame or reset).
    #[error(transparent)]
    Broken(LinkError),
}

pub(crate) async fn write(
    send: &mut SendStream,
    body: &[u8],
    hook: Option<&dyn FrameHook>,
) -> Result<(), LinkError> {
    let mut body = body.to_vec();
    let action = hook.map_or(HookAction::Send, |h| h.outgoing(&mut body));
    let len = match action {
        HookAction::Oversize => u32::try_from(MAX_FRAME + 1).unwrap_or(u32::MAX),
        _ => {
            u32::try_from(body.len()).map_err(|_| LinkError::TooLargeToSend { len: body.len() })?
        }
    };
    let mut out = Vec::with_capacity(4 + body.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&body);
    if let HookAction::Truncate(n) = action {
        out.truncate(n);
        send.write_all(&out).await?;
        let _ = send.finish();
        return Ok(());
    }
    if let (HookAction::Split(n), Some(hook)) = (action, hook) {
        let (first, rest) = out.split_at(n.min(out.len()));
        send.write_all(first).await?;
        hook.between_parts().await;
        return Ok(send.write_all(rest).await?);
    }
    if action == HookAction::Oversize {
        out.truncate(4);
    }
    Ok(send.write_all(&out).await?)
}

/// Reads one frame from any byte stream (a QUIC receive stream in use; a byte slice in the
/// fuzz target), refusing a body larger than `cap` before reading it.
pub async fn read<R: AsyncRead + Unpin>(recv: &mut R, cap: usize) -> Result<Vec<u8>, FrameError> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match recv.read(&mut len[got..]).await {
            Ok(0) if got == 0 => return Err(FrameError::End),
            Ok(0) => return Err(FrameError::Broken(LinkError::CutShort)),
            Ok(n) => got += n,
            Err(e) => return Err(FrameError::Broken(LinkError::Receive(e))),
        }
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > cap {
        return Err(FrameError::TooLarge(len));
    }
    let mut body = vec![0u8; len];
    recv.read_exact(&mut body).await.map_err(|e| {
        FrameError::Broken(if e.kind() == std::io::ErrorKind::UnexpectedEof {
            LinkError::CutShort
        } else {
            LinkError::Receive(e)
        })
    })?;
    Ok(body)
}

/// A frame that did not arrive where one was due, as a sync error: a clean end is the other
/// side closing, an oversized one a breach of the protocol by `peer`.
pub(crate) fn missing(peer: String, e: FrameError, cap: usize) -> crate::SyncError {
    match e {
        FrameError::End => LinkError::Closed.into(),
        FrameError::TooLarge(len) => crate::SyncError::Protocol {
            peer,
            breach: crate::error::Breach::FrameTooLarge { len, max: cap },
        },
        FrameError::Broken(e) => e.into(),
    }
}
