//! A bare QUIC round trip between two iroh endpoints in this process on loopback (relays off):
//! a note-sized frame one way, a one-byte answer back, on one open stream. Not a floor of any
//! scenario; it tells how much of the `live` path is the link itself.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Instant;

use anyhow::{Context, Result};
use iroh::endpoint::{Connection, presets};
use iroh::protocol::{AcceptError, ProtocolHandler, Router};
use iroh::{Endpoint, RelayMode, SecretKey};

use super::stats;

const ALPN: &[u8] = b"hearth-bench/answer/0";

/// Answers every frame with one byte.
#[derive(Debug, Clone)]
struct Answer;

impl ProtocolHandler for Answer {
    async fn accept(&self, conn: Connection) -> Result<(), AcceptError> {
        let Ok((mut send, mut recv)) = conn.accept_bi().await else {
            return Ok(());
        };
        while hearth_sync::read_frame(&mut recv, hearth_sync::MAX_FRAME)
            .await
            .is_ok()
        {
            if send.write_all(&[1]).await.is_err() {
                break;
            }
        }
        Ok(())
    }
}

async fn endpoint(seed: u8) -> Result<Endpoint> {
    Endpoint::builder(presets::Minimal)
        .secret_key(SecretKey::from_bytes(&[seed; 32]))
        .relay_mode(RelayMode::Disabled)
        .clear_ip_transports()
        .bind_addr(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .context("probe: bind address")?
        .bind()
        .await
        .context("probe: binding an endpoint")
}

/// QUIC handshakes between two fresh endpoints on loopback (bound beforehand): from `connect`
/// until the connection is up, milliseconds each.
pub(crate) async fn handshakes(count: usize) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let seed = u8::try_from(i % 100).unwrap_or(0);
        let a = endpoint(0x10 + seed).await?;
        let b = endpoint(0x80 + seed).await?;
        let router = Router::builder(b.clone()).accept(ALPN, Answer).spawn();
        let addr = b.addr();
        let started = Instant::now();
        let conn = a.connect(addr, ALPN).await.context("probe: connect")?;
        out.push(stats::ms(started.elapsed()));
        conn.close(0u32.into(), b"done");
        let _ = router.shutdown().await;
        a.close().await;
    }
    Ok(out)
}

/// Round trips of a `len`-byte frame: milliseconds each, after a few to warm up.
pub(crate) async fn round_trips(len: usize, count: usize) -> Result<Vec<f64>> {
    const WARM_UP: usize = 20;
    let a = endpoint(0xa1).await?;
    let b = endpoint(0xb2).await?;
    let router = Router::builder(b.clone()).accept(ALPN, Answer).spawn();
    let conn = a.connect(b.addr(), ALPN).await.context("probe: connect")?;
    let (mut send, mut recv) = conn.open_bi().await.context("probe: open a stream")?;
    let len32 = u32::try_from(len).context("probe: frame length")?;
    let mut frame = len32.to_be_bytes().to_vec();
    frame.extend(std::iter::repeat_n(0x5a_u8, len));
    let mut out = Vec::with_capacity(count);
    for i in 0..count + WARM_UP {
        let started = Instant::now();
        send.write_all(&frame).await.context("probe: send")?;
        let mut answer = [0u8; 1];
        recv.read_exact(&mut answer)
            .await
            .context("probe: answer")?;
        if i >= WARM_UP {
            out.push(stats::ms(started.elapsed()));
        }
    }
    let _ = send.finish();
    conn.close(0u32.into(), b"done");
    let _ = router.shutdown().await;
    a.close().await;
    Ok(out)
}
