//! The device's iroh endpoint: one per device identity, offline by default.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use iroh::endpoint::{NetReportConfig, PortmapperConfig, QuicTransportConfig, presets};
use iroh::{Endpoint, RelayMode, RelayUrl, SecretKey};

use crate::admission::Admission;
use crate::error::{BindFailure, Result, SyncError};
use crate::frame::FrameHook;

/// Which relays the endpoint may use. Relays only forward ciphertext; without them, devices
/// reach each other on the LAN or by direct addresses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Relays {
    /// No relays: LAN and direct addresses only (the default).
    #[default]
    Off,
    /// iroh's public relays.
    Default,
    /// A self-hosted iroh-relay.
    Custom(String),
}

impl std::str::FromStr for Relays {
    type Err = SyncError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "off" => Ok(Relays::Off),
            "default" => Ok(Relays::Default),
            url if url.starts_with("https://") || url.starts_with("http://") => {
                url.parse::<RelayUrl>()
                    .map_err(|source| SyncError::BadRelayUrl {
                        url: url.to_owned(),
                        source,
                    })?;
                Ok(Relays::Custom(url.to_owned()))
            }
            other => Err(SyncError::UnknownRelays(other.to_owned())),
        }
    }
}

/// Network settings of a node.
#[derive(Clone)]
pub struct NetConfig {
    /// The local address to listen on. Port 0 reuses the profile's last port when it is free.
    pub bind: SocketAddr,
    /// Relays.
    pub relays: Relays,
    /// Advertise and discover devices on the LAN with mDNS.
    pub mdns: bool,
    /// Record this device's listening addresses in the shared journal (so devices that never
    /// met it directly can dial it). Off for short-lived nodes that only carry files.
    pub publish_addrs: bool,
    /// A hook on every outgoing sync frame, for fault tests.
    pub frame_hook: Option<Arc<dyn FrameHook>>,
    /// How long the journal must go unchanged before the node folds the store's incremental
    /// chunks into a snapshot, when that is due (a write never waits for it).
    pub compact_after_idle: Duration,
}

impl std::fmt::Debug for NetConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetConfig")
            .field("bind", &self.bind)
            .field("relays", &self.relays)
            .field("mdns", &self.mdns)
            .field("publish_addrs", &self.publish_addrs)
            .field("frame_hook", &self.frame_hook.is_some())
            .field("compact_after_idle", &self.compact_after_idle)
            .finish()
    }
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            bind: SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)),
            relays: Relays::Off,
            mdns: false,
            publish_addrs: true,
            frame_hook: None,
            compact_after_idle: Duration::from_secs(1),
        }
    }
}

impl NetConfig {
    /// Loopback only, relays off, no mDNS: for tests and the demo.
    pub fn loopback() -> Self {
        NetConfig {
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            ..Default::default()
        }
    }
}

pub(crate) async fn bind(
    secret: [u8; 32],
    config: &NetConfig,
    preferred_port: Option<u16>,
    admission: Admission,
) -> Result<Endpoint> {
    let mut addrs = Vec::new();
    if config.bind.port() == 0
        && let Some(port) = preferred_port
    {
        addrs.push(SocketAddr::new(config.bind.ip(), port));
    }
    addrs.push(config.bind);
    let mut last = None;
    for addr in addrs {
        match try_bind(secret, config, addr, admission.clone()).await {
            Ok(ep) => return Ok(ep),
            Err(e) => {
                tracing::debug!(%addr, error = %e, "bind failed");
                last = Some(e);
            }
        }
    }
    Err(SyncError::Bind {
        addr: config.bind.to_string(),
        why: last.unwrap_or(BindFailure::NotHere(config.bind)),
    })
}

/// Where an endpoint can be dialed: the addresses it found on its interfaces, then the sockets it
/// is bound to (those bound to one address, not to every interface).
pub(crate) fn listening_addrs(endpoint: &Endpoint) -> Vec<SocketAddr> {
    let mut addrs: Vec<SocketAddr> = endpoint.addr().ip_addrs().copied().collect();
    for s in endpoint.bound_sockets() {
        if !s.ip().is_unspecified() && !addrs.contains(&s) {
            addrs.push(s);
        }
    }
    addrs
}

/// What QUIC assumes of a round trip before it has measured one. Its default (333 ms) is made
/// for the open internet; Hearth's devices mostly meet on one home network. The assumption also
/// sets how long closing waits for a device that never answered (three probe timeouts): with
/// the default, stopping `serve` while a paired device was off took 3 s; with this, under 0.5 s.
/// Over a relay the first packets may be sent twice; the measured round trip takes over after
/// the first exchange.
const INITIAL_RTT: Duration = Duration::from_millis(50);

async fn try_bind(
    secret: [u8; 32],
    config: &NetConfig,
    addr: SocketAddr,
    admission: Admission,
) -> std::result::Result<Endpoint, BindFailure> {
    let relay_mode = match &config.relays {
        Relays::Off => RelayMode::Disabled,
        Relays::Default => RelayMode::Default,
        Relays::Custom(url) => {
            let url: RelayUrl = url.parse().map_err(BindFailure::RelayUrl)?;
            RelayMode::custom([url])
        }
    };
    let builder = Endpoint::builder(presets::Minimal)
        .secret_key(SecretKey::from_bytes(&secret))
        .relay_mode(relay_mode)
        .portmapper_config(PortmapperConfig::Disabled)
        .net_report_config(NetReportConfig::minimal())
        .clear_ip_transports()
        .bind_addr(addr)
        .map_err(BindFailure::Address)?
        .address_lookup(admission.lookup.clone())
        .transport_config(
            QuicTransportConfig::builder()
                .initial_rtt(INITIAL_RTT)
                .build(),
        )
        .hooks(admission);
    builder.bind().await.map_err(|e| why_not_bound(addr, e))
}

/// Why listening on `addr` failed: iroh says only "Failed to bind sockets", so the address is
/// tried with a plain socket to learn what the system refused (most often, another program has
/// the port). Free now (a race, or iroh failed for another reason): iroh's own error, then.
fn why_not_bound(addr: SocketAddr, iroh: iroh::endpoint::BindError) -> BindFailure {
    refusal(addr).unwrap_or_else(|| BindFailure::Endpoint(Box::new(iroh)))
}

/// What the system says when a plain socket tries `addr`, if it refuses.
fn refusal(addr: SocketAddr) -> Option<BindFailure> {
    let e = std::net::UdpSocket::bind(addr).err()?;
    Some(match e.kind() {
        std::io::ErrorKind::AddrInUse => BindFailure::InUse(addr),
        std::io::ErrorKind::AddrNotAvailable => BindFailure::NotHere(addr),
        std::io::ErrorKind::PermissionDenied => BindFailure::NotPermitted(e),
        _ => BindFailure::Refused(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_in_use_is_named() {
        let taken = std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let addr = taken.local_addr().unwrap();
        let why = refusal(addr).expect("the port is taken").to_string();
        assert!(why.contains("already in use"), "{why}");
        assert!(why.contains(&format!("UDP port {}", addr.port())), "{why}");
    }
}
