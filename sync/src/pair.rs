//! Pairing (`hearth/pair/1`): the inviter shows a ticket; the joiner dials the endpoint named in
//! it (TLS proves it is that device) and proves the one-time secret. The inviter alone decides
//! what the joiner becomes: the role, owner and kind come from the invitation it stored, never
//! from the ticket's copy or from what the joiner says about itself. The inviter signs the
//! joiner's addition (see `hearth_core::membership`), serves only the documents that role may
//! have (a private journal only for `me`), and tells the joiner which founder to trust; the
//! joiner checks that the journal it received admits it that way before it keeps the founder.
//!
//! Only the inviter's own clock decides expiry: it forgets the secret when its timer runs out,
//! so two devices whose clocks disagree still pair. A pairing connection must send its first
//! message within [`HELLO_TIMEOUT`]; at most [`MAX_PAIRING_CONNECTIONS`] are open at once;
//! used and expired invitations are dropped.

use std::net::SocketAddr;
use std::time::Duration;

use hearth_core::membership::AddRole;
use hearth_core::{
    Device, DeviceKind, DeviceOwner, DocKind, NewDevice, PartnerId, Timestamp, text_line,
};
use iroh::endpoint::{Connection, RecvStream, SendStream};
use iroh::protocol::{AcceptError, ProtocolHandler};
use iroh::{EndpointAddr, EndpointId};
use rand::RngExt;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;

use crate::PAIR_ALPN;
use crate::error::{Breach, LinkError, Result, SyncError, Unanswered};
use crate::frame;
use crate::node::{Event, Node, WeakNode};
use crate::session::Mode;
use crate::ticket::{Role, Ticket};

/// The default time a ticket stays valid.
pub const DEFAULT_TICKET_TTL: Duration = Duration::from_secs(600);
const HELLO_CAP: usize = 64 * 1024;
/// How long a pairing connection may take to send its first message.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// How many pairing connections may be open at once; more are closed at once.
pub const MAX_PAIRING_CONNECTIONS: usize = 8;

/// Tells the inviter's caller how the pairing ended.
type Waiter = oneshot::Sender<Result<Device>>;

/// A ticket the inviter is waiting on.
#[derive(Debug)]
pub(crate) struct Invite {
    pub(crate) role: Role,
    expires: tokio::time::Instant,
    used: bool,
    pub(crate) done: Option<Waiter>,
}

/// What the joiner says about itself. Only its name, age recipient and actor id are taken
/// (checked); its kind and person are hints the inviter checks against its invitation.
#[derive(Debug, Serialize, Deserialize)]
struct Hello {
    secret: [u8; 16],
    name: String,
    recipient: String,
    kind: String,
    partner: Option<PartnerId>,
    #[serde(default)]
    actor: String,
}

/// Why an inviter refused a pairing, as it crosses the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairRefusal {
    /// The ticket was used already.
    Used,
    /// The ticket expired.
    Expired,
    /// The secret is not one the inviter issued.
    WrongSecret,
    /// The joining device does not fit the role offered.
    WrongRole,
    /// The journal's membership rules refuse the joiner.
    NotAllowed,
    /// The inviting device belongs to no journal yet.
    NoJournal,
    /// The inviting device's journal does not admit both devices as the pairing agreed.
    NotAdmitted,
    /// The pairing broke off on the other side after it began.
    Failed,
    /// The pairing code was wrong (or a device relayed the exchange): the invitation is closed.
    WrongCode,
    /// The other device has no code invitation open (it expired, was used or was closed).
    NoCode,
    /// A refusal this version does not know (from a newer Hearth).
    #[serde(other)]
    Other,
}

/// Why this device cannot invite or join, found here before anything crossed the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CannotPair {
    /// The home display belongs to no one, so it admits no one.
    #[error("a home display cannot invite; invite from a person's device")]
    DisplayInvites,
    /// Only a member device invites.
    #[error("this device is not a member of a journal yet")]
    NotAMemberYet,
    /// A partner ticket adds the other person's first device, and they have one.
    #[error(
        "your partner already has a device in this journal; another of theirs is invited from \
         one of their own devices"
    )]
    PartnerAlreadyIn,
    /// The joiner's hello names no person for a partner pairing.
    #[error("the joining device names no person")]
    JoinerNamesNoOne,
    /// A ticket for another of this person's devices, from a device with no owner.
    #[error("this device belongs to no one, so it cannot add one of its owner's devices")]
    NoOwner,
    /// The ticket is this device's own.
    #[error("this ticket was made by this device; it is for another one")]
    OwnTicket,
    /// A display ticket on a person's device.
    #[error("this ticket is for a home display, and this device is set up as a person's")]
    TicketForDisplay,
    /// A person's ticket on the home display.
    #[error("a home display joins with a ticket made for a display")]
    DisplayNeedsDisplayTicket,
    /// Joining as another person's device would drop this device's own entries.
    #[error(
        "this device already has entries of its own, so it cannot join as another person's device"
    )]
    HasOwnEntries,
    /// This device already shares another journal with other devices.
    #[error("this device already shares another journal with other devices")]
    InAnotherJournal,
}

impl std::fmt::Display for PairRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PairRefusal::Used => "the ticket was already used",
            PairRefusal::Expired => "the ticket has expired",
            PairRefusal::WrongSecret => {
                "the ticket is not one the other device has open (wrong, expired or forged)"
            }
            PairRefusal::WrongRole => {
                "the ticket is for another kind of device, or joining as the partner needs a \
                 person set up on this device"
            }
            PairRefusal::NotAllowed => "the journal's membership rules do not admit this device",
            PairRefusal::NoJournal => "the other device does not belong to a journal yet",
            PairRefusal::NotAdmitted => {
                "the other device's journal does not admit this device as agreed"
            }
            PairRefusal::Failed => "the pairing broke off on the other device",
            PairRefusal::WrongCode => {
                "the code did not match, so the other device closed its invitation; make a new \
                 code there and type it again"
            }
            PairRefusal::NoCode => {
                "the other device has no pairing code open any more (it was used, closed or it \
                 expired); make a new code there"
            }
            PairRefusal::Other => {
                "the other device refused, for a reason this version does not know"
            }
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
enum Reply {
    Welcome {
        inviter_partner: Option<PartnerId>,
        /// The role the inviter grants (its own record, not the ticket's).
        role: Role,
        /// The founder whose chain of statements the joiner should trust.
        root: Option<String>,
    },
    Refused {
        code: PairRefusal,
        reason: String,
    },
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

/// Compares two secrets in time that does not depend on where they differ.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The first message on a pairing connection: a hello with a ticket's secret, or the opening
/// of a code exchange (after which a hello follows on a second stream).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Opening {
    Code(crate::code::CodeOpen),
    Hello(Hello),
}

pub(crate) async fn write_json<T: Serialize>(send: &mut SendStream, value: &T) -> Result<()> {
    let body = serde_json::to_vec(value).map_err(LinkError::from)?;
    Ok(frame::write(send, &body, None).await?)
}

pub(crate) async fn read_json<T: for<'de> Deserialize<'de>>(recv: &mut RecvStream) -> Result<T> {
    let body = frame::read(recv, HELLO_CAP)
        .await
        .map_err(|e| frame::missing("the other device".into(), e, HELLO_CAP))?;
    serde_json::from_slice(&body).map_err(|e| SyncError::Protocol {
        peer: "the other device".into(),
        breach: Breach::Unreadable {
            what: "pairing message",
            source: e,
        },
    })
}

impl Node {
    /// Creates a ticket offering `role`, valid for `ttl`, and a handle that resolves once a
    /// device has joined with it. A ticket works once.
    pub fn invite(&self, role: Role, ttl: Duration) -> Result<(Ticket, Pairing)> {
        let me = self.id().to_string();
        if self.profile(|p| p.config().kind == DeviceKind::Display) {
            return Err(CannotPair::DisplayInvites.into());
        }
        let mine = self.read(|j| j.device(&me)).filter(|d| d.is_member());
        let Some(mine) = mine else {
            return Err(CannotPair::NotAMemberYet.into());
        };
        if role == Role::Partner {
            // A partner ticket adds the other person's first device: refused at once when they
            // already have one (their own devices add the rest).
            let others = self.read(|j| {
                j.devices().into_iter().any(|d| {
                    d.is_member() && d.kind == DeviceKind::Personal && d.owner != mine.owner
                })
            });
            if others {
                return Err(CannotPair::PartnerAlreadyIn.into());
            }
        }
        let secret: [u8; 16] = rand::rng().random();
        let mut addrs: Vec<SocketAddr> = self.addr().ip_addrs().copied().collect();
        for s in self.bound_sockets() {
            if !s.ip().is_unspecified() && !addrs.contains(&s) {
                addrs.push(s);
            }
        }
        // A short ticket: IPv4 first (what a home network routes), then IPv6, at most a few.
        addrs.sort_by_key(|a| (a.is_ipv6(), a.ip().is_loopback()));
        addrs.truncate(crate::ticket::MAX_TICKET_ADDRS);
        let relay = self.addr().relay_urls().next().map(|u| u.to_string());
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX);
        let ticket = Ticket {
            endpoint: self.id(),
            addrs,
            relay,
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
                if let Some(mut inv) = invites.remove(&secret)
                    && let Some(done) = inv.done.take()
                {
                    let _ = done.send(Err(SyncError::TicketExpired));
                }
            }
        });
        Ok((ticket, Pairing { rx }))
    }

    /// Checks a joiner's hello against the pending invites and takes the ticket. A used
    /// invitation stays known (to say so) until it expires; expired ones are dropped.
    fn take_invite(
        &self,
        hello: &Hello,
    ) -> std::result::Result<(Role, Option<Waiter>), (PairRefusal, String)> {
        let mut invites = self.inner.invites.lock().unwrap_or_else(|e| e.into_inner());
        let now = tokio::time::Instant::now();
        invites.retain(|_, inv| inv.expires > now);
        let found = invites
            .iter_mut()
            .find(|(s, _)| ct_eq(s.as_slice(), &hello.secret))
            .map(|(_, inv)| inv);
        let Some(inv) = found else {
            return Err((
                PairRefusal::WrongSecret,
                "the ticket's secret is not one this device has open (wrong, expired or forged \
                 ticket)"
                    .into(),
            ));
        };
        if inv.used {
            return Err((PairRefusal::Used, SyncError::TicketUsed.to_string()));
        }
        inv.used = true;
        let mut inv = Invite {
            role: inv.role,
            expires: inv.expires,
            used: true,
            done: inv.done.take(),
        };
        drop(invites);
        let refuse = |inv: &mut Invite, code, reason: String| {
            if let Some(done) = inv.done.take() {
                let _ = done.send(Err(SyncError::PairingRefused(code)));
            }
            Err((code, reason))
        };
        let wants_display = hello.kind == DeviceKind::Display.as_str();
        if wants_display != (inv.role == Role::Display) {
            return refuse(
                &mut inv,
                PairRefusal::WrongRole,
                "this ticket is for a different kind of device (phone or home display)".into(),
            );
        }
        if inv.role == Role::Partner && hello.partner.is_none() {
            return refuse(
                &mut inv,
                PairRefusal::WrongRole,
                "joining as the partner needs a person set up on the joining device".into(),
            );
        }
        Ok((inv.role, inv.done.take()))
    }

    /// The device record the inviter signs for a joiner: who it is comes from the connection,
    /// what it is from the invitation.
    fn joiner_record(&self, peer: EndpointId, role: Role, hello: &Hello) -> Result<NewDevice> {
        let me = self.me();
        let owner = match role {
            Role::Partner => {
                DeviceOwner::Partner(hello.partner.clone().ok_or(CannotPair::JoinerNamesNoOne)?)
            }
            Role::Me => DeviceOwner::Partner(me.ok_or(CannotPair::NoOwner)?),
            Role::Display => DeviceOwner::Home,
        };
        let kind = if role == Role::Display {
            DeviceKind::Display
        } else {
            DeviceKind::Personal
        };
        let actor = if hello.actor.len() == 32 && hello.actor.chars().all(|c| c.is_ascii_hexdigit())
        {
            hello.actor.to_ascii_lowercase()
        } else {
            String::new()
        };
        Ok(NewDevice {
            endpoint_id: peer.to_string(),
            age_recipient: hello.recipient.clone(),
            owner,
            kind,
            name: text_line("device name", &hello.name)?,
            actor,
        })
    }

    async fn serve_pairing(&self, conn: Connection) -> Result<()> {
        let peer = conn.remote_id();
        let first = async {
            let (send, mut recv) = conn.accept_bi().await.map_err(LinkError::from)?;
            let opening: Opening = read_json(&mut recv).await?;
            Ok::<_, SyncError>((send, recv, opening))
        };
        let (mut send, mut recv, opening) = match tokio::time::timeout(HELLO_TIMEOUT, first).await {
            Ok(r) => r?,
            Err(_) => {
                conn.close(crate::PROTOCOL_ERROR.into(), b"no pairing message in time");
                return Err(SyncError::Timeout(HELLO_TIMEOUT.as_secs()));
            }
        };
        let (mut send, hello) = match opening {
            Opening::Hello(hello) => (send, hello),
            Opening::Code(open) => {
                let secret = match self.serve_code(peer, &mut send, &mut recv, open).await {
                    Ok(secret) => secret,
                    Err(e) => {
                        // Let the joiner read the refusal before the connection goes.
                        let _ = tokio::time::timeout(Duration::from_secs(2), conn.closed()).await;
                        return Err(e);
                    }
                };
                // The code matched: the hello with the ticket's secret comes next, as after a
                // ticket. Without it in time, the invitation ends here.
                let next = async {
                    let (send, mut recv) = conn.accept_bi().await.map_err(LinkError::from)?;
                    let hello: Hello = read_json(&mut recv).await?;
                    Ok::<_, SyncError>((send, hello))
                };
                match tokio::time::timeout(HELLO_TIMEOUT, next).await {
                    Ok(Ok(r)) => r,
                    Ok(Err(e)) => {
                        self.end_invite(&secret, SyncError::PairingRefused(PairRefusal::Failed));
                        return Err(e);
                    }
                    Err(_) => {
                        self.end_invite(&secret, SyncError::PairingRefused(PairRefusal::Failed));
                        conn.close(crate::PROTOCOL_ERROR.into(), b"no pairing message in time");
                        return Err(SyncError::Timeout(HELLO_TIMEOUT.as_secs()));
                    }
                }
            }
        };
        let taken = self.take_invite(&hello).and_then(|(role, done)| {
            // Check the joiner against the membership rules before anything is merged.
            let checked = self.joiner_record(peer, role, &hello).and_then(|device| {
                self.read(|j| j.check_admission(to_add_role(role), &device))
                    .map_err(SyncError::from)
            });
            match checked {
                Ok(()) => Ok((role, done)),
                Err(e) => {
                    let reason = e.to_string();
                    if let Some(done) = done {
                        let _ = done.send(Err(e));
                    }
                    Err((PairRefusal::NotAllowed, reason))
                }
            }
        });
        let (role, done) = match taken {
            Ok(v) => v,
            Err((code, reason)) => {
                tracing::info!(peer = %peer.fmt_short(), ?code, "pairing refused");
                write_json(
                    &mut send,
                    &Reply::Refused {
                        code,
                        reason: reason.clone(),
                    },
                )
                .await?;
                let _ = send.finish();
                let _ = tokio::time::timeout(Duration::from_secs(2), conn.closed()).await;
                return Err(SyncError::PairingRefused(code));
            }
        };
        let result = self
            .pair_as_inviter(&conn, peer, role, &hello, &mut send)
            .await;
        if let Err(e) = &result {
            tracing::warn!(error = %e, "pairing failed");
        }
        match (result, done) {
            (Ok(d), Some(done)) => {
                let _ = done.send(Ok(d));
                Ok(())
            }
            (Ok(_), None) => Ok(()),
            // The waiting inviter hears the cause itself.
            (Err(e), Some(done)) => {
                let _ = done.send(Err(e));
                Err(SyncError::PairingRefused(PairRefusal::Failed))
            }
            (Err(e), None) => Err(e),
        }
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
        let root = self.read(|j| j.root().map(str::to_owned));
        write_json(
            send,
            &Reply::Welcome {
                inviter_partner: me.clone(),
                role,
                root,
            },
        )
        .await?;
        let _ = send.finish();
        let allowed = docs_for(role);
        self.accept_sessions(conn, peer, allowed, allowed.len())
            .await?;
        let device = self.joiner_record(peer, role, hello)?;
        self.write(|j| j.admit_device(to_add_role(role), &device, Timestamp::now()))?;
        if role == Role::Me {
            self.pin_own(&peer.to_string())?;
        }
        // The joiner syncs once more to see its admission and decides itself whether it was
        // admitted; it may end the session while other devices' changes (their own projections
        // of the admission into the wall) still arrive here.
        match self.accept_sessions(conn, peer, settle_docs(role), 1).await {
            Ok(()) | Err(SyncError::Connection(LinkError::EndedEarly)) => {}
            Err(e) => return Err(e),
        }
        if let Some(addr) = crate::node::remote_addr(conn) {
            self.learn_addrs(&peer, &[addr]);
        }
        let record = self.read(|j| j.device(&peer.to_string())).ok_or_else(|| {
            SyncError::NotAMember(crate::NotMember::NoRecordAfterPairing {
                peer: peer.to_string(),
            })
        })?;
        self.emit(Event::Paired {
            peer: peer.to_string(),
            name: record.name.clone(),
        });
        let _ = tokio::time::timeout(Duration::from_secs(5), conn.closed()).await;
        Ok(record)
    }

    /// Pins a device as one of this person's own in the sealed store (a `me` pairing).
    fn pin_own(&self, peer: &str) -> Result<()> {
        let mut st = self.state();
        let mut trust = st.profile().store().trust();
        if trust.own.insert(peer.to_owned()) {
            st.profile_mut().store_mut().set_trust(trust)?;
        }
        Ok(())
    }

    /// Accepts `n` document streams from a joiner, each for one of `allowed` documents; a stream
    /// for any other document (a private journal the role does not give) ends the pairing.
    async fn accept_sessions(
        &self,
        conn: &Connection,
        peer: EndpointId,
        allowed: &[DocKind],
        n: usize,
    ) -> Result<()> {
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..n {
            let (send, mut recv) = conn.accept_bi().await.map_err(LinkError::from)?;
            let kind = match frame::read(&mut recv, 16).await {
                Ok(b) if b == [b'S'] && allowed.contains(&DocKind::Shared) => DocKind::Shared,
                Ok(b) if b == [b'W'] && allowed.contains(&DocKind::Wall) => DocKind::Wall,
                Ok(b) if b == [b'P'] && allowed.contains(&DocKind::Private) => DocKind::Private,
                Ok(b) if b == [b'P'] => {
                    tracing::info!(peer = %peer.fmt_short(), "refused a private journal stream the role does not give");
                    return Err(SyncError::Protocol {
                        peer: peer.fmt_short().to_string(),
                        breach: Breach::PrivateNotGiven,
                    });
                }
                _ => {
                    return Err(SyncError::Protocol {
                        peer: peer.fmt_short().to_string(),
                        breach: Breach::Malformed {
                            what: "stream header",
                        },
                    });
                }
            };
            let node = self.clone();
            tasks.spawn(async move { node.session(peer, kind, send, recv, Mode::OneShot).await });
        }
        while let Some(r) = tasks.join_next().await {
            r.map_err(LinkError::from)??;
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
        let plan = self.plan_join(ticket)?;
        let conn = self.dial_pairing(ticket.endpoint_addr()).await?;
        self.join_over(conn, ticket, plan).await
    }

    /// Dials a device's pairing protocol, naming why it could not be reached.
    pub(crate) async fn dial_pairing(&self, addr: EndpointAddr) -> Result<Connection> {
        let peer = addr.id;
        tokio::time::timeout(
            Duration::from_secs(20),
            self.inner.endpoint.connect(addr, PAIR_ALPN),
        )
        .await
        .map_err(|_| SyncError::Unreachable {
            peer: peer.fmt_short().to_string(),
            why: Unanswered::Silent { secs: 20 },
        })?
        .map_err(|e| SyncError::Unreachable {
            peer: peer.fmt_short().to_string(),
            why: Unanswered::from_connect(e),
        })
    }

    /// What this device checks and gathers before it sends a hello for `ticket`: nothing has
    /// crossed the wire when it refuses.
    pub(crate) fn plan_join(&self, ticket: &Ticket) -> Result<JoinPlan> {
        let me_id = self.id().to_string();
        if ticket.endpoint == self.id() {
            return Err(CannotPair::OwnTicket.into());
        }
        let (name, kind, recipient, actor) = self.profile(|p| {
            (
                p.config().device_name.clone(),
                p.config().kind.clone(),
                p.keys().recipient_string(),
                hearth_core::keys::hex(&p.keys().actor_id()),
            )
        });
        let my_partner = self.me();
        match (ticket.role, kind == DeviceKind::Display) {
            (Role::Display, false) => {
                return Err(CannotPair::TicketForDisplay.into());
            }
            (Role::Partner | Role::Me, true) => {
                return Err(CannotPair::DisplayNeedsDisplayTicket.into());
            }
            _ => {}
        }
        // A device that already shares a journal with other devices cannot move to another.
        let (old_root, others) = self.read(|j| {
            let m = j.membership();
            let others = m.devices().keys().filter(|id| **id != me_id).count();
            (j.root().map(str::to_owned), others)
        });
        // Joining as another device of the inviter drops this device's own person, which must
        // not have entries of its own, unless this device already holds the same journal (it
        // was restored from a backup of it).
        let same_journal = self.read(|j| j.device(&ticket.endpoint.to_string()).is_some());
        if ticket.role == Role::Me
            && !same_journal
            && let Some(p) = &my_partner
            && self.read(|j| j.partner_has_entries(p))
        {
            return Err(CannotPair::HasOwnEntries.into());
        }
        Ok(JoinPlan {
            me_id,
            hello: Hello {
                secret: ticket.secret,
                name,
                recipient,
                kind: kind.as_str().to_owned(),
                partner: my_partner,
                actor,
            },
            old_root,
            others,
        })
    }

    /// The joiner's hello and everything after it, on a connection to the ticket's device.
    pub(crate) async fn join_over(
        &self,
        conn: Connection,
        ticket: &Ticket,
        plan: JoinPlan,
    ) -> Result<Device> {
        let JoinPlan {
            me_id,
            hello,
            old_root,
            others,
        } = plan;
        let my_partner = hello.partner.clone();
        let inviter = ticket.endpoint;
        let (mut send, mut recv) = conn.open_bi().await.map_err(LinkError::from)?;
        write_json(&mut send, &hello).await?;
        let _ = send.finish();
        let reply: Reply = read_json(&mut recv).await?;
        let (inviter_partner, role, root) = match reply {
            // The reason's words are the other device's, for its log; the code says which.
            Reply::Refused { code, reason: _ } => {
                conn.close(0u32.into(), b"refused");
                return Err(match code {
                    PairRefusal::Used => SyncError::TicketUsed,
                    PairRefusal::Expired => SyncError::TicketExpired,
                    code => SyncError::PairingRefused(code),
                });
            }
            Reply::Welcome {
                inviter_partner,
                role,
                root,
            } => (inviter_partner, role, root),
        };
        let Some(root) = root else {
            conn.close(crate::PROTOCOL_ERROR.into(), b"no founder");
            return Err(SyncError::PairingRefused(PairRefusal::NoJournal));
        };
        if old_root.as_deref().is_some_and(|r| r != root) && others > 0 {
            conn.close(0u32.into(), b"already in another journal");
            return Err(CannotPair::InAnotherJournal.into());
        }
        self.sync_kinds(&conn, inviter, docs_for(role), Mode::OneShot)
            .await?;
        // Settle who this device belongs to now that both journals are one.
        self.write(|j| {
            let now = Timestamp::now();
            if role == Role::Me
                && let (Some(owner), Some(p)) = (&inviter_partner, &my_partner)
                && p != owner
                && !j.partner_has_entries(p)
            {
                j.forget_partner(p, now)?;
            }
            if role == Role::Partner
                && let (Some(mine), Some(theirs)) = (&my_partner, &inviter_partner)
            {
                let colour = |id: &PartnerId| j.partner(id).map(|p| p.colour);
                if colour(mine).is_some() && colour(mine) == colour(theirs) {
                    j.update_partner(mine, None, Some(crate::SECOND_COLOUR), now)?;
                }
            }
            Ok(())
        })?;
        self.sync_kinds(&conn, inviter, settle_docs(role), Mode::OneShot)
            .await?;
        conn.close(0u32.into(), b"paired");
        // Trust the inviter's founder only if its journal admits both devices as agreed.
        let admitted = self.state().journal().membership_under(Some(&root));
        let inviter_ok = admitted.is_member(&inviter.to_string());
        if !inviter_ok || !admitted.is_member(&me_id) {
            return Err(SyncError::PairingRefused(PairRefusal::NotAdmitted));
        }
        {
            let mut st = self.state();
            st.journal_mut().set_root(Some(&root));
            let mut trust = st.profile().store().trust();
            trust.root = Some(root.clone());
            if role == Role::Me {
                trust.own.insert(inviter.to_string());
            }
            st.profile_mut().store_mut().set_trust(trust)?;
        }
        self.learn_addrs(&inviter, &ticket.addrs);
        self.publish_own_addrs()?;
        self.after_change();
        self.read(|j| j.device(&inviter.to_string()))
            .ok_or_else(|| {
                SyncError::NotAMember(crate::NotMember::NoRecordAfterPairing {
                    peer: inviter.to_string(),
                })
            })
    }
}

/// What a joiner checked and gathered before its hello.
#[derive(Debug)]
pub(crate) struct JoinPlan {
    me_id: String,
    hello: Hello,
    old_root: Option<String>,
    others: usize,
}

/// The documents a pairing in `role` syncs first: the private journal only for `me`, the
/// wall document alone for a home display.
fn docs_for(role: Role) -> &'static [DocKind] {
    match role {
        Role::Me => &DocKind::ALL,
        Role::Partner => &[DocKind::Shared],
        Role::Display => &[DocKind::Wall],
    }
}

/// The one document a pairing syncs again once the joiner is admitted, for the joiner to see
/// its admission.
fn settle_docs(role: Role) -> &'static [DocKind] {
    match role {
        Role::Display => &[DocKind::Wall],
        Role::Me | Role::Partner => &[DocKind::Shared],
    }
}

fn to_add_role(role: Role) -> AddRole {
    match role {
        Role::Partner => AddRole::Partner,
        Role::Me => AddRole::Me,
        Role::Display => AddRole::Display,
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
        let open = node
            .inner
            .pairing_connections
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let _count = ConnectionCount(&node.inner.pairing_connections);
        if open >= MAX_PAIRING_CONNECTIONS {
            tracing::info!("refused a pairing connection: too many are open");
            conn.close(
                crate::PROTOCOL_ERROR.into(),
                b"too many pairing connections",
            );
            return Ok(());
        }
        if let Err(e) = node.serve_pairing(conn).await {
            tracing::info!(error = %e, "pairing did not complete");
        }
        Ok(())
    }
}

/// Counts an open pairing connection until dropped.
struct ConnectionCount<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for ConnectionCount<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}
