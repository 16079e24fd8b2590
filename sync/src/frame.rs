//! Length-prefixed frames: a 4-byte big-endian length, then that many bytes. A frame larger than
//! the cap ends the session before its body is read.

use std::pin::Pin;

use iroh::endpoint::SendStream;
use tokio::io::{AsyncRead, AsyncReadExt};

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
#[derive(Debug, PartialEq, Eq)]
pub enum FrameError {
    /// The stream ended cleanly between frames.
    End,
    /// The peer announced a frame over the cap.
    TooLarge(usize),
    /// The stream broke (mid-frame or reset).
    Broken(String),
}

pub(crate) async fn write(
    send: &mut SendStream,
    body: &[u8],
    hook: Option<&dyn FrameHook>,
) -> Result<(), String> {
    let mut body = body.to_vec();
    let action = hook.map_or(HookAction::Send, |h| h.outgoing(&mut body));
    let len = match action {
        HookAction::Oversize => u32::try_from(MAX_FRAME + 1).unwrap_or(u32::MAX),
        _ => u32::try_from(body.len()).map_err(|_| "frame too large to send".to_owned())?,
    };
    let mut out = Vec::with_capacity(4 + body.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&body);
    if let HookAction::Truncate(n) = action {
        out.truncate(n);
        send.write_all(&out).await.map_err(|e| e.to_string())?;
        let _ = send.finish();
        return Ok(());
    }
    if let (HookAction::Split(n), Some(hook)) = (action, hook) {
        let (first, rest) = out.split_at(n.min(out.len()));
        send.write_all(first).await.map_err(|e| e.to_string())?;
        hook.between_parts().await;
        return send.write_all(rest).await.map_err(|e| e.to_string());
    }
    if action == HookAction::Oversize {
        out.truncate(4);
    }
    send.write_all(&out).await.map_err(|e| e.to_string())
}

/// Reads one frame from any byte stream (a QUIC receive stream in use; a byte slice in the
/// fuzz target), refusing a body larger than `cap` before reading it.
pub async fn read<R: AsyncRead + Unpin>(recv: &mut R, cap: usize) -> Result<Vec<u8>, FrameError> {
    let mut len = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match recv.read(&mut len[got..]).await {
            Ok(0) if got == 0 => return Err(FrameError::End),
            Ok(0) => {
                return Err(FrameError::Broken(
                    "the stream ended inside a frame header".into(),
                ));
            }
            Ok(n) => got += n,
            Err(e) => return Err(FrameError::Broken(e.to_string())),
        }
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > cap {
        return Err(FrameError::TooLarge(len));
    }
    let mut body = vec![0u8; len];
    recv.read_exact(&mut body)
        .await
        .map_err(|e| FrameError::Broken(format!("the stream ended inside a frame: {e}")))?;
    Ok(body)
}
