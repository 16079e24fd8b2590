//! Pairing (`hearth/pair/1`): the inviter shows a ticket; the joiner dials the endpoint named in
//! it (TLS proves it is that device), proves the one-time secret, and both record each other in
//! the shared journal; the first sync follows on the same connection.
//!
//! Only the inviter's own clock decides expiry: it forgets the secret when its timer runs out,
//! so two devices whose clocks disagree still pair.

use std::net::SocketAddr;
use std::time::Duration;

use hearth_core::{Device, DeviceKind, DeviceOwner, DocKind, NewDevice, PartnerId, Timestamp};
use iroh::EndpointId;
use iroh::endpoint::{Connection, RecvStream, SendStream};
use iroh::protocol::{AcceptError, ProtocolHandler};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::PAIR_ALPN;
use crate::error::{Result, SyncError};
use crate::frame;
use crate::node::{Event, Node, WeakNode};
use crate::session::Mode;
use crate::ticket::{Role, Ticket};

/// The default time a ticket stays valid.
pub const DEFAULT_TICKET_TTL: Duration = Duration::from_secs(600);
const HELLO_CAP: usize = 64 * 1024;

/// Tells the inviter's caller how the pairing ended.
type Waiter = oneshot::Sender<Result<Device>>;

/// A ticket the inviter is waiting on.
#[derive(Debug)]
pub(crate) struct Invite {
    role: Role,
    expires: tokio::time::Instant,
    used: bool,
    done: Option<Waiter>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Hello {
    secret: [u8; 16],
    name: String,
    recipient: String,
    kind: String,
    partner: Option<PartnerId>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
enum Reply {
    Welcome { inviter_partner: Option<PartnerId> },
    Refused { reason: String },
}

/// The inviter's side of a pairing: resolves when a device has joined with the ticket.
#[derive(Debug)]
pub struct Pairing {
    rx: oneshot::Receiver<Result<Device>>,
}

impl Pairing {
    /// Waits until a device has joined (and first-synced), or the ticket expired.
    pub async fn wait(self) -> Result<Device> {
        self.rx.await.unwrap_or(Err(SyncError::TicketExpired))
    }
}

fn ct_eq(a: &[u8; 16], b: &[u8; 16]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn write_json<T: Serialize>(send: &mut SendStream, value: &T) -> Result<()> {
    let body = serde_json::to_vec(value).map_err(|e| SyncError::Connection(e.to_string()))?;
    frame::write(send, &body, None)
        .await
        .map_err(SyncError::Connection)
}

async fn read_json<T: for<'de> Deserialize<'de>>(recv: &mut RecvStream) -> Result<T> {
    let body = frame::read(recv, HELLO_CAP)
        .await
        .map_err(|e| SyncError::Connection(format!("pairing message not received: {e:?}")))?;
    serde_json::from_slice(&body).map_err(|e| SyncError::Protocol {
        peer: "the other device".into(),
        reason: format!("unreadable pairing message: {e}"),
    })
}

impl Node {
    /// Creates a ticket offering `role`, valid for `ttl`, and a handle that resolves once a
    /// device has joined with it. A ticket works once.
    pub fn invite(&self, role: Role, ttl: Duration) -> Result<(Ticket, Pairing)> {
        let me = self.id().to_string();
        let mine = self.read(|j| j.device(&me));
        let Some(mine) = mine else {
            return Err(SyncError::NotAllowed(
                "this device is not set up yet: run init first".into(),
            ));
        };
        if mine.kind == DeviceKind::Display {
            return Err(SyncError::NotAllowed(
                "a home display cannot invite; invite from a phone".into(),
            ));
        }
        // With two partners already, a partner ticket can only bring back one of them (a
        // device restored from a backup); the joiner's side is checked when it arrives.
        let secret: [u8; 16] = rand::rng().random();
        let mut addrs: Vec<SocketAddr> = self.addr().ip_addrs().copied().collect();
        for s in self.bound_sockets() {
            if !s.ip().is_unspecified() && !addrs.contains(&s) {
                addrs.push(s);
            }
        }
        let relay = self.addr().relay_urls().next().map(|u| u.to_string());
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let ticket = Ticket {
            endpoint: self.id(),
            addrs,
            relay,
            recipient: mine.age_recipient.clone(),
            secret,
            expires: Timestamp(Timestamp::now().0.saturating_add(ttl_ms)),
            role,
        };
        let (tx, rx) = oneshot::channel();
        let expires = tokio::time::Instant::now() + ttl;
        self.inner
            .invites
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                secret,
                Invite {
                    role,
                    expires,
                    used: false,
                    done: Some(tx),
                },
            );
        // Expire the invite on time, telling the waiter.
        let weak = self.downgrade();
        tokio::spawn(async move {
            tokio::time::sleep_until(expires).await;
            if let Some(node) = weak.upgrade() {
                let mut invites = node.inner.invites.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(inv) = invites.get_mut(&secret)
                    && let Some(done) = inv.done.take()
                {
                    let _ = done.send(Err(SyncError::TicketExpired));
                }
            }
        });
        Ok((ticket, Pairing { rx }))
    }

    /// Checks a joiner's hello against the pending invites and takes the ticket.
    fn take_invite(&self, hello: &Hello) -> std::result::Result<(Role, Option<Waiter>), String> {
        let mut invites = self.inner.invites.lock().unwrap_or_else(|e| e.into_inner());
        let found = invites
            .iter_mut()
            .find(|(s, _)| ct_eq(s, &hello.secret))
            .map(|(_, inv)| inv);
        let Some(inv) = found else {
            return Err(
                "the ticket's secret is not one this device issued (wrong or forged ticket)".into(),
            );
        };
        if inv.used {
            return Err(SyncError::TicketUsed.to_string());
        }
        if tokio::time::Instant::now() >= inv.expires {
            return Err(SyncError::TicketExpired.to_string());
        }
        let wants_display = hello.kind == DeviceKind::Display.as_str();
        if wants_display != (inv.role == Role::Display) {
            return Err(
                "this ticket is for a different kind of device (phone or home display)".into(),
            );
        }
        if inv.role == Role::Partner && hello.partner.is_none() {
            return Err(
                "joining as the partner needs a person set up on the joining device".into(),
            );
        }
        if inv.role == Role::Partner {
            let partners = self.read(|j| j.partners());
            let returning = partners
                .iter()
                .any(|p| Some(&p.id) == hello.partner.as_ref());
            if partners.len() >= 2 && !returning {
                return Err("this journal already has two partners".into());
            }
        }
        inv.used = true;
        Ok((inv.role, inv.done.take()))
    }

    async fn serve_pairing(&self, conn: Connection) -> Result<()> {
        let peer = conn.remote_id();
        let (mut send, mut recv) = conn
            .accept_bi()
            .await
            .map_err(|e| SyncError::Connection(e.to_string()))?;
        let hello: Hello = read_json(&mut recv).await?;
        let (role, done) = match self.take_invite(&hello) {
            Ok(v) => v,
            Err(reason) => {
                tracing::info!(peer = %peer.fmt_short(), %reason, "pairing refused");
                write_json(
                    &mut send,
                    &Reply::Refused {
                        reason: reason.clone(),
                    },
                )
                .await?;
                let _ = send.finish();
                let _ = tokio::time::timeout(Duration::from_secs(2), conn.closed()).await;
                return Err(SyncError::PairingRefused(reason));
            }
        };
        let result = self
            .pair_as_inviter(&conn, peer, role, &hello, &mut send)
            .await;
        if let Err(e) = &result {
            tracing::warn!(error = %e, "pairing failed");
        }
        if let Some(done) = done {
            let _ = done.send(match &result {
                Ok(d) => Ok(d.clone()),
                Err(e) => Err(SyncError::PairingRefused(e.to_string())),
            });
        }
        result.map(|_| ())
    }

    async fn pair_as_inviter(
        &self,
        conn: &Connection,
        peer: EndpointId,
        role: Role,
        hello: &Hello,
        send: &mut SendStream,
    ) -> Result<Device> {
        let me = self.me();
        write_json(
            send,
            &Reply::Welcome {
                inviter_partner: me.clone(),
            },
        )
        .await?;
        let _ = send.finish();
        let first: &[DocKind] = if role == Role::Me {
            &DocKind::ALL
        } else {
            &[DocKind::Shared]
        };
        self.accept_sessions(conn, peer, first.len()).await?;
        let owner = match role {
            Role::Partner => DeviceOwner::Partner(
                hello
                    .partner
                    .clone()
                    .ok_or(SyncError::NotAllowed("no partner".into()))?,
            ),
            Role::Me => DeviceOwner::Partner(
                me.ok_or(SyncError::NotAllowed("this device has no owner".into()))?,
            ),
            Role::Display => DeviceOwner::Home,
        };
        let device = NewDevice {
            endpoint_id: peer.to_string(),
            age_recipient: hello.recipient.clone(),
            owner,
            kind: DeviceKind::from(hello.kind.clone()),
            name: hello.name.clone(),
            added_by: Some(self.id().to_string()),
        };
        self.write(|j| j.add_device(&device, Timestamp::now()))?;
        self.accept_sessions(conn, peer, 1).await?;
        if let Some(addr) = crate::node::remote_addr(conn) {
            self.learn_addrs(&peer, &[addr]);
        }
        let record = self
            .read(|j| j.device(&peer.to_string()))
            .ok_or_else(|| SyncError::NotAMember(peer.to_string()))?;
        self.emit(Event::Paired {
            peer: peer.to_string(),
            name: record.name.clone(),
        });
        let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
        Ok(record)
    }

    async fn accept_sessions(&self, conn: &Connection, peer: EndpointId, n: usize) -> Result<()> {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..n {
            let (send, mut recv) = conn
                .accept_bi()
                .await
                .map_err(|e| SyncError::Connection(e.to_string()))?;
            let kind = match frame::read(&mut recv, 16).await {
                Ok(b) if b == [b'S'] => DocKind::Shared,
                Ok(b) if b == [b'P'] => DocKind::Private,
                _ => {
                    return Err(SyncError::Protocol {
                        peer: peer.fmt_short().to_string(),
                        reason: "bad stream header".into(),
                    });
                }
            };
            let node = self.clone();
            tasks.spawn(async move { node.session(peer, kind, send, recv, Mode::OneShot).await });
        }
        while let Some(r) = tasks.join_next().await {
            r.map_err(|e| SyncError::Connection(e.to_string()))??;
        }
        Ok(())
    }

    /// Joins the journal of the device that showed `ticket`. Returns once paired and
    /// first-synced, with the inviter's device record.
    pub async fn join(&self, ticket: &Ticket, timeout: Duration) -> Result<Device> {
        tokio::time::timeout(timeout, self.join_inner(ticket))
            .await
            .unwrap_or(Err(SyncError::Timeout(timeout.as_secs())))
    }

    async fn join_inner(&self, ticket: &Ticket) -> Result<Device> {
        let me_id = self.id().to_string();
        if ticket.endpoint == self.id() {
            return Err(SyncError::NotAllowed(
                "this ticket was made by this device; use it on another one".into(),
            ));
        }
        let mine = self.read(|j| j.device(&me_id)).ok_or_else(|| {
            SyncError::NotAllowed("this device is not set up yet: run init first".into())
        })?;
        let my_partner = self.me();
        match (ticket.role, mine.kind == DeviceKind::Display) {
            (Role::Display, false) => {
                return Err(SyncError::NotAllowed(
                    "this ticket is for a home display; set this device up with init --display"
                        .into(),
                ));
            }
            (Role::Partner | Role::Me, true) => {
                return Err(SyncError::NotAllowed(
                    "a home display joins with a display ticket (--for display)".into(),
                ));
            }
            _ => {}
        }
        // Joining as another device of the inviter drops this device's own person, which must
        // not have entries of its own, unless this device already holds the same journal (it
        // was restored from a backup of it).
        let same_journal = self.read(|j| j.device(&ticket.endpoint.to_string()).is_some());
        if ticket.role == Role::Me
            && !same_journal
            && let Some(p) = &my_partner
            && self.read(|j| j.partner_has_entries(p))
        {
            return Err(SyncError::NotAllowed(
                "this device already has entries of its own; it cannot join as another person's device".into(),
            ));
        }
        let conn = tokio::time::timeout(
            Duration::from_secs(20),
            self.inner
                .endpoint
                .connect(ticket.endpoint_addr(), PAIR_ALPN),
        )
        .await
        .map_err(|_| SyncError::Unreachable {
            peer: ticket.endpoint.fmt_short().to_string(),
            reason: "no answer".into(),
        })?
        .map_err(|e| SyncError::Unreachable {
            peer: ticket.endpoint.fmt_short().to_string(),
            reason: e.to_string(),
        })?;
        let inviter = ticket.endpoint;
        let (mut send, mut recv) = conn
            .open_bi()
            .await
            .map_err(|e| SyncError::Connection(e.to_string()))?;
        let hello = Hello {
            secret: ticket.secret,
            name: mine.name.clone(),
            recipient: mine.age_recipient.clone(),
            kind: mine.kind.as_str().to_owned(),
            partner: my_partner.clone(),
        };
        write_json(&mut send, &hello).await?;
        let _ = send.finish();
        let reply: Reply = read_json(&mut recv).await?;
        let inviter_partner = match reply {
            Reply::Refused { reason } => {
                conn.close(0u32.into(), b"refused");
                return Err(SyncError::PairingRefused(reason));
            }
            Reply::Welcome { inviter_partner } => inviter_partner,
        };
        let first: &[DocKind] = if ticket.role == Role::Me {
            &DocKind::ALL
        } else {
            &[DocKind::Shared]
        };
        self.sync_kinds(&conn, inviter, first, Mode::OneShot)
            .await?;
        // Settle who this device belongs to now that both journals are one.
        self.write(|j| {
            let now = Timestamp::now();
            if ticket.role == Role::Me
                && let Some(owner) = &inviter_partner
            {
                let me = j
                    .device(&me_id)
                    .ok_or(hearth_core::JournalError::NotFound {
                        kind: "device",
                        id: me_id.clone(),
                    })?;
                let device = NewDevice {
                    endpoint_id: me.endpoint_id,
                    age_recipient: me.age_recipient,
                    owner: DeviceOwner::Partner(owner.clone()),
                    kind: me.kind,
                    name: me.name,
                    added_by: me.added_by,
                };
                j.add_device(&device, now)?;
                if let Some(p) = &my_partner
                    && p != owner
                {
                    j.forget_partner(p, now)?;
                }
            }
            if ticket.role == Role::Partner
                && let (Some(mine), Some(theirs)) = (&my_partner, &inviter_partner)
            {
                let colour = |id: &PartnerId| j.partner(id).map(|p| p.colour);
                if colour(mine).is_some() && colour(mine) == colour(theirs) {
                    j.update_partner(mine, None, Some(crate::SECOND_COLOUR), now)?;
                }
            }
            Ok(())
        })?;
        self.sync_kinds(&conn, inviter, &[DocKind::Shared], Mode::OneShot)
            .await?;
        conn.close(0u32.into(), b"paired");
        self.learn_addrs(&inviter, &ticket.addrs);
        self.after_change();
        self.read(|j| j.device(&inviter.to_string()))
            .ok_or_else(|| {
                SyncError::NotAMember("the inviter's device record did not arrive".into())
            })
    }
}

/// Accepts `hearth/pair/1` connections.
#[derive(Debug, Clone)]
pub(crate) struct PairHandler {
    pub(crate) node: WeakNode,
}

impl ProtocolHandler for PairHandler {
    async fn accept(&self, conn: Connection) -> std::result::Result<(), AcceptError> {
        let Some(node) = self.node.upgrade() else {
            return Ok(());
        };
        if let Err(e) = node.serve_pairing(conn).await {
            tracing::info!(error = %e, "pairing did not complete");
        }
        Ok(())
    }
}
