//! Pairing by a six-digit code on the home network (`hearth/pair/1`, before the hello).
//!
//! The inviter shows six digits and announces an open invitation over mDNS: the user data of
//! its address record says `hearth-pair/1 D`, where `D` is the code's first digit. That digit
//! is the invitation's slot, public so that two invitations open on one network at once do not
//! confuse each other; the whole code is the password, and it is never sent. The joiner, with
//! the digits typed in, looks for an invitation in that slot, dials it and runs SPAKE2 (the
//! inviter is side A, the joiner side B) with both endpoint ids as the identities, so a device
//! that relays the exchange between two others gets a different key on each side and the
//! pairing fails. Each side then proves it holds the key; the inviter proves first, the
//! joiner's proof decides. Only then does the inviter hand over its ticket's one-time secret,
//! and the joiner goes on with the hello exactly as with a ticket (roles, the first sync).
//!
//! Any attempt that reaches the exchange uses the invitation up: a wrong code, a proof that
//! does not match or a joiner that goes silent ends it on the inviter, whose caller hears why
//! ([`PairRefusal::WrongCode`]) and may show a new code. A guesser therefore has one try in
//! 100 000 per invitation (the first digit is public). A code lives at most
//! [`MAX_CODE_TTL`].

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use iroh::address_lookup::{EndpointInfo, UserData};
use iroh::endpoint::{Connection, RecvStream, SendStream};
use iroh::{EndpointAddr, EndpointId};
use iroh_mdns_address_lookup::{DiscoveryEvent, MdnsAddressLookup};
use n0_future::StreamExt;
use rand::RngExt;
use serde::{Deserialize, Serialize};
use spake2::{Ed25519Group, Identity, Password, Spake2};

use crate::error::{LinkError, Result, SyncError};
use crate::node::Node;
use crate::pair::{HELLO_TIMEOUT, PairRefusal, Pairing, ct_eq, read_json, write_json};
use crate::ticket::{Role, Ticket};

/// The longest a code invitation stays open.
pub const MAX_CODE_TTL: Duration = Duration::from_secs(600);
/// How long a joiner looks for the invitation on the network before giving up.
pub const CODE_LOOKUP: Duration = Duration::from_secs(10);
/// After a first invitation in the slot turns up, how long the joiner keeps listening for a
/// second one (two devices that picked the same first digit).
const SECOND_LOOK: Duration = Duration::from_millis(1500);
/// The mDNS user data's prefix; followed by the slot digit, or `-` when no invitation is open.
const ANNOUNCE: &str = "hearth-pair/1 ";
/// What the password is, apart from the digits.
const PASSWORD_CONTEXT: &[u8] = b"hearth/pair-code/1 ";
const INVITER_PROOF: &str = "hearth pair code 1 inviter proof";
const JOINER_PROOF: &str = "hearth pair code 1 joiner proof";

/// Six digits that pair two devices on one network. Its first digit is public (the slot).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PairCode([u8; 6]);

impl PairCode {
    /// A fresh random code.
    pub fn random() -> PairCode {
        let mut rng = rand::rng();
        PairCode(std::array::from_fn(|_| rng.random_range(0..10u8)))
    }

    /// The first digit: the slot the invitation is announced in.
    pub fn slot(&self) -> u8 {
        self.0[0]
    }

    /// The six digits with no separator, as a joiner may type them.
    pub fn digits(&self) -> String {
        self.0.iter().map(|d| char::from(b'0' + d)).collect()
    }

    fn password(&self) -> Password {
        let mut p = PASSWORD_CONTEXT.to_vec();
        p.extend(self.digits().bytes());
        Password::new(&p)
    }
}

/// Three digits, a space, three digits: how the code is shown.
impl fmt::Display for PairCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.digits();
        write!(f, "{} {}", &d[..3], &d[3..])
    }
}

/// Never the digits: a code in a log would be a code given away.
impl fmt::Debug for PairCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PairCode({}*****)", self.slot())
    }
}

/// Six digits; spaces and dashes between them are ignored (people type what they see).
impl FromStr for PairCode {
    type Err = SyncError;
    fn from_str(s: &str) -> Result<PairCode> {
        let digits: Vec<u8> = s
            .chars()
            .filter(|c| !matches!(c, ' ' | '-'))
            .map(|c| c.to_digit(10).and_then(|d| u8::try_from(d).ok()))
            .collect::<Option<_>>()
            .ok_or_else(|| SyncError::BadCode(s.to_owned()))?;
        let code: [u8; 6] = digits
            .try_into()
            .map_err(|_| SyncError::BadCode(s.to_owned()))?;
        Ok(PairCode(code))
    }
}

/// A code invitation the inviter holds open, over the ticket invitation it hands on.
#[derive(Debug)]
pub(crate) struct CodeInvite {
    code: PairCode,
    /// The one-time secret of the ticket invitation behind the code.
    secret: [u8; 16],
    expires: tokio::time::Instant,
}

/// The joiner's opening message: its half of the exchange.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CodeOpen {
    code_exchange: String,
}

/// The inviter's steps.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
enum CodeStep {
    /// Its half of the exchange and its proof of the key.
    Exchange { exchange: String, proof: String },
    /// The joiner's proof matched: the ticket secret to go on with.
    Grant { secret: String, role: Role },
    /// No pairing: why.
    Refused { code: PairRefusal },
}

/// The joiner's proof of the key.
#[derive(Debug, Serialize, Deserialize)]
struct CodeProof {
    proof: String,
}

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    // A SPAKE2 message is 33 bytes, a proof 32: anything much longer is not one.
    if s.len() > 128 {
        return None;
    }
    data_encoding::HEXLOWER_PERMISSIVE.decode(s.as_bytes()).ok()
}

fn proof(context: &str, key: &[u8]) -> [u8; 32] {
    blake3::derive_key(context, key)
}

fn spake(
    code: &PairCode,
    inviter: EndpointId,
    joiner: EndpointId,
    side_a: bool,
) -> (Spake2<Ed25519Group>, Vec<u8>) {
    let (a, b) = (
        Identity::new(inviter.as_bytes()),
        Identity::new(joiner.as_bytes()),
    );
    if side_a {
        Spake2::<Ed25519Group>::start_a(&code.password(), &a, &b)
    } else {
        Spake2::<Ed25519Group>::start_b(&code.password(), &a, &b)
    }
}

/// The slot an mDNS record announces an open invitation in, if it does.
pub(crate) fn announced_slot(data: Option<&UserData>) -> Option<u8> {
    let rest = data?.as_ref().strip_prefix(ANNOUNCE)?;
    match rest.as_bytes() {
        [d @ b'0'..=b'9'] => Some(d - b'0'),
        _ => None,
    }
}

fn announcement(slot: Option<u8>) -> Option<UserData> {
    let tail = slot.map_or_else(|| "-".to_owned(), |s| s.to_string());
    format!("{ANNOUNCE}{tail}").parse().ok()
}

/// What a joiner makes of the invitations it has heard in its slot.
#[derive(Debug, Default)]
pub(crate) struct Heard {
    found: Option<EndpointInfo>,
}

impl Heard {
    /// Takes one discovery; an error when a second device announces the same slot.
    pub(crate) fn take(&mut self, me: EndpointId, slot: u8, event: DiscoveryEvent) -> Result<bool> {
        match event {
            DiscoveryEvent::Discovered { endpoint_info, .. } => {
                if endpoint_info.endpoint_id == me
                    || announced_slot(endpoint_info.user_data()) != Some(slot)
                {
                    // Its invitation closed (or it never had one in this slot).
                    if self
                        .found
                        .as_ref()
                        .is_some_and(|f| f.endpoint_id == endpoint_info.endpoint_id)
                    {
                        self.found = None;
                    }
                    return Ok(false);
                }
                if let Some(f) = &self.found
                    && f.endpoint_id != endpoint_info.endpoint_id
                {
                    return Err(SyncError::CodeAmbiguous { slot });
                }
                self.found = Some(endpoint_info);
                Ok(true)
            }
            DiscoveryEvent::Expired { endpoint_id } => {
                if self
                    .found
                    .as_ref()
                    .is_some_and(|f| f.endpoint_id == endpoint_id)
                {
                    self.found = None;
                }
                Ok(false)
            }
            _ => Ok(false),
        }
    }
}

impl Node {
    /// Opens an invitation for `role` behind a fresh six-digit code, announced on the local
    /// network for at most `ttl` (capped at [`MAX_CODE_TTL`]). The handle resolves as with a
    /// ticket; a wrong code ends it with [`PairRefusal::WrongCode`]. Starts mDNS on this node
    /// if it was off (not when it listens on loopback only). One code invitation is open at a
    /// time: a new one closes the last.
    pub fn invite_code(&self, role: Role, ttl: Duration) -> Result<(PairCode, Pairing)> {
        self.invite_with_code(role, ttl, PairCode::random())
    }

    /// [`Node::invite_code`] with a code the caller chose (a host with its own source of
    /// randomness, or a test that needs two codes in different slots).
    pub fn invite_with_code(
        &self,
        role: Role,
        ttl: Duration,
        code: PairCode,
    ) -> Result<(PairCode, Pairing)> {
        let ttl = ttl.min(MAX_CODE_TTL);
        // A node that listens on loopback only cannot be reached from the network, so there is
        // nothing to announce there (its invitation is still open to `join_code_at`).
        if !self.inner.config.bind.ip().is_loopback() {
            self.ensure_mdns()?;
        }
        let (ticket, pairing) = self.invite(role, ttl)?;
        let expires = tokio::time::Instant::now() + ttl;
        let open = CodeInvite {
            code,
            secret: ticket.secret,
            expires,
        };
        let old = self.code_invite().replace(open);
        if let Some(old) = old {
            self.end_invite(&old.secret, SyncError::TicketExpired);
        }
        self.announce(Some(code.slot()));
        let weak = self.downgrade();
        let secret = ticket.secret;
        tokio::spawn(async move {
            tokio::time::sleep_until(expires).await;
            if let Some(node) = weak.upgrade() {
                let mut open = node.code_invite();
                if open.as_ref().is_some_and(|c| c.secret == secret) {
                    *open = None;
                    drop(open);
                    node.announce(None);
                }
            }
        });
        Ok((code, pairing))
    }

    fn code_invite(&self) -> std::sync::MutexGuard<'_, Option<CodeInvite>> {
        self.inner
            .code_invite
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn announce(&self, slot: Option<u8>) {
        self.inner
            .endpoint
            .set_user_data_for_address_lookup(announcement(slot));
    }

    /// Drops the ticket invitation behind `secret`, telling its waiter `why`.
    pub(crate) fn end_invite(&self, secret: &[u8; 16], why: SyncError) {
        let inv = self
            .inner
            .invites
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(secret);
        if let Some(done) = inv.and_then(|mut i| i.done.take()) {
            let _ = done.send(Err(why));
        }
    }

    /// The inviter's side of the code exchange, after the joiner's opening. Returns the ticket
    /// secret the joiner's hello must bring.
    pub(crate) async fn serve_code(
        &self,
        peer: EndpointId,
        send: &mut SendStream,
        recv: &mut RecvStream,
        open: CodeOpen,
    ) -> Result<[u8; 16]> {
        // An attempt uses the invitation up, whatever comes of it.
        let taken = self.code_invite().take();
        let now = tokio::time::Instant::now();
        let Some(inv) = taken.filter(|c| c.expires > now) else {
            tracing::info!(peer = %peer.fmt_short(), "a pairing code was tried with none open");
            write_json(
                send,
                &CodeStep::Refused {
                    code: PairRefusal::NoCode,
                },
            )
            .await?;
            let _ = send.finish();
            return Err(SyncError::PairingRefused(PairRefusal::NoCode));
        };
        self.announce(None);
        let outcome = self.exchange_as_inviter(peer, send, recv, &inv, open).await;
        if let Err(e) = &outcome {
            tracing::info!(peer = %peer.fmt_short(), error = %e, "a pairing code did not match");
            let code = match e {
                SyncError::PairingRefused(code) => *code,
                _ => PairRefusal::WrongCode,
            };
            let _ = write_json(send, &CodeStep::Refused { code }).await;
            let _ = send.finish();
            self.end_invite(&inv.secret, SyncError::PairingRefused(code));
        }
        outcome
    }

    async fn exchange_as_inviter(
        &self,
        peer: EndpointId,
        send: &mut SendStream,
        recv: &mut RecvStream,
        inv: &CodeInvite,
        open: CodeOpen,
    ) -> Result<[u8; 16]> {
        let wrong = SyncError::PairingRefused(PairRefusal::WrongCode);
        let (state, mine) = spake(&inv.code, self.id(), peer, true);
        let theirs =
            unhex(&open.code_exchange).ok_or(SyncError::PairingRefused(PairRefusal::WrongCode))?;
        let key = state
            .finish(&theirs)
            .map_err(|_| SyncError::PairingRefused(PairRefusal::WrongCode))?;
        write_json(
            send,
            &CodeStep::Exchange {
                exchange: hex(&mine),
                proof: hex(&proof(INVITER_PROOF, &key)),
            },
        )
        .await?;
        let answer = tokio::time::timeout(HELLO_TIMEOUT, read_json::<CodeProof>(recv))
            .await
            .map_err(|_| SyncError::PairingRefused(PairRefusal::WrongCode))??;
        let expected = proof(JOINER_PROOF, &key);
        match unhex(&answer.proof) {
            Some(p) if ct_eq(&p, &expected) => {}
            _ => return Err(wrong),
        }
        let role = self
            .inner
            .invites
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&inv.secret)
            .map(|i| i.role)
            .ok_or(SyncError::PairingRefused(PairRefusal::Expired))?;
        write_json(
            send,
            &CodeStep::Grant {
                secret: hex(&inv.secret),
                role,
            },
        )
        .await?;
        Ok(inv.secret)
    }

    /// Joins the journal of the device on this network that shows `code`: finds its
    /// invitation over mDNS (for at most [`CODE_LOOKUP`]), then pairs as [`Node::join_code_at`]
    /// does. Needs nothing of this node's own mDNS setting; a node that listens on loopback
    /// only is refused at once ([`SyncError::LoopbackOnly`]), as nothing on the network could
    /// answer it.
    pub async fn join_code(
        &self,
        code: PairCode,
        timeout: Duration,
    ) -> Result<hearth_core::Device> {
        let bind = self.inner.config.bind;
        if bind.ip().is_loopback() {
            return Err(SyncError::LoopbackOnly { bind });
        }
        let started = tokio::time::Instant::now();
        let inviter = self
            .find_code(code.slot(), CODE_LOOKUP.min(timeout))
            .await?;
        let left = timeout
            .saturating_sub(started.elapsed())
            .max(Duration::from_secs(1));
        self.join_code_at(inviter, code, left).await
    }

    /// Looks on the local network for an open invitation in `slot`.
    async fn find_code(&self, slot: u8, wait: Duration) -> Result<EndpointAddr> {
        let mdns = MdnsAddressLookup::builder()
            .service_name(crate::node::MDNS_SERVICE)
            .advertise(false)
            .build(self.id())
            .map_err(|e| SyncError::NoLanDiscovery(Box::new(e)))?;
        let mut events = mdns.subscribe().await;
        let deadline = tokio::time::Instant::now() + wait;
        let mut until = deadline;
        let mut heard = Heard::default();
        // Until the deadline, or a little after the first invitation in the slot turned up.
        while let Ok(Some(event)) = tokio::time::timeout_at(until, events.next()).await {
            if heard.take(self.id(), slot, event)? && until == deadline {
                until = (tokio::time::Instant::now() + SECOND_LOOK).min(deadline);
            }
        }
        heard
            .found
            .map(EndpointInfo::into_endpoint_addr)
            .ok_or(SyncError::NoCodeInvitation {
                slot,
                secs: wait.as_secs(),
            })
    }

    /// Pairs by `code` with the inviting device at `inviter` (found on the network, or known
    /// some other way). Returns once paired and first-synced, with the inviter's record.
    pub async fn join_code_at(
        &self,
        inviter: EndpointAddr,
        code: PairCode,
        timeout: Duration,
    ) -> Result<hearth_core::Device> {
        tokio::time::timeout(timeout, self.join_code_inner(inviter, code))
            .await
            .unwrap_or(Err(SyncError::Timeout(timeout.as_secs())))
    }

    async fn join_code_inner(
        &self,
        inviter: EndpointAddr,
        code: PairCode,
    ) -> Result<hearth_core::Device> {
        if inviter.id == self.id() {
            return Err(crate::CannotPair::OwnTicket.into());
        }
        let addrs: Vec<std::net::SocketAddr> = inviter.ip_addrs().copied().collect();
        let conn = self.dial_pairing(inviter).await?;
        let (secret, role) = match self.exchange_as_joiner(&conn, code).await {
            Ok(granted) => granted,
            Err(e) => {
                conn.close(0u32.into(), b"code refused");
                return Err(e);
            }
        };
        let ticket = Ticket {
            endpoint: conn.remote_id(),
            addrs,
            relay: None,
            secret,
            expires: hearth_core::Timestamp::now(),
            role,
        };
        // This device's own checks for the role granted; on a refusal no hello is sent and the
        // inviter's invitation ends.
        let plan = match self.plan_join(&ticket) {
            Ok(plan) => plan,
            Err(e) => {
                conn.close(0u32.into(), b"cannot join");
                return Err(e);
            }
        };
        self.join_over(conn, &ticket, plan).await
    }

    async fn exchange_as_joiner(
        &self,
        conn: &Connection,
        code: PairCode,
    ) -> Result<([u8; 16], Role)> {
        let (state, mine) = spake(&code, conn.remote_id(), self.id(), false);
        let (mut send, mut recv) = conn.open_bi().await.map_err(LinkError::from)?;
        write_json(
            &mut send,
            &CodeOpen {
                code_exchange: hex(&mine),
            },
        )
        .await?;
        let (theirs, their_proof) = match read_json::<CodeStep>(&mut recv).await? {
            CodeStep::Exchange { exchange, proof } => (exchange, proof),
            CodeStep::Refused { code } => return Err(SyncError::PairingRefused(code)),
            CodeStep::Grant { .. } => return Err(out_of_turn()),
        };
        let key = unhex(&theirs)
            .and_then(|t| state.finish(&t).ok())
            .ok_or(SyncError::PairingRefused(PairRefusal::WrongCode))?;
        let inviter_ok =
            unhex(&their_proof).is_some_and(|p| ct_eq(&p, &proof(INVITER_PROOF, &key)));
        // The proof goes back either way: the inviter closes its invitation on a wrong one.
        write_json(
            &mut send,
            &CodeProof {
                proof: hex(&proof(JOINER_PROOF, &key)),
            },
        )
        .await?;
        let _ = send.finish();
        let step = read_json::<CodeStep>(&mut recv).await;
        if !inviter_ok {
            return Err(SyncError::PairingRefused(PairRefusal::WrongCode));
        }
        match step? {
            CodeStep::Grant { secret, role } => {
                let secret: [u8; 16] = unhex(&secret)
                    .and_then(|s| s.try_into().ok())
                    .ok_or_else(out_of_turn)?;
                Ok((secret, role))
            }
            CodeStep::Refused { code } => Err(SyncError::PairingRefused(code)),
            CodeStep::Exchange { .. } => Err(out_of_turn()),
        }
    }
}

fn out_of_turn() -> SyncError {
    SyncError::Protocol {
        peer: "the other device".into(),
        breach: crate::error::Breach::Malformed {
            what: "pairing code step",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits_and_forgive_separators() {
        let code: PairCode = "123 456".parse().unwrap();
        assert_eq!(code.digits(), "123456");
        assert_eq!(code.to_string(), "123 456");
        assert_eq!(code.slot(), 1);
        assert_eq!("12-34-56".parse::<PairCode>().unwrap(), code);
        for bad in ["", "12345", "1234567", "12345a", "١٢٣٤٥٦", "123 45x"] {
            assert!(
                matches!(bad.parse::<PairCode>(), Err(SyncError::BadCode(_))),
                "{bad:?} was taken"
            );
        }
        assert!(
            !format!("{code:?}").contains("23456"),
            "Debug hides the code"
        );
    }

    #[test]
    fn announcements_carry_the_slot_only() {
        assert_eq!(announced_slot(announcement(Some(7)).as_ref()), Some(7));
        assert_eq!(announced_slot(announcement(None).as_ref()), None);
        let other: UserData = "something else 7".parse().unwrap();
        assert_eq!(announced_slot(Some(&other)), None);
        assert_eq!(announced_slot(None), None);
    }

    #[test]
    fn the_same_code_gives_one_key_and_a_relay_gets_two() {
        let ids: Vec<EndpointId> = (0..3u8)
            .map(|i| iroh::SecretKey::from_bytes(&[i + 1; 32]).public())
            .collect();
        let (inviter, joiner, relay) = (ids[0], ids[1], ids[2]);
        let code: PairCode = "424242".parse().unwrap();
        let (a, msg_a) = spake(&code, inviter, joiner, true);
        let (b, msg_b) = spake(&code, inviter, joiner, false);
        assert_eq!(a.finish(&msg_b).unwrap(), b.finish(&msg_a).unwrap());
        // A relay in the middle: the inviter binds (inviter, relay), the joiner (relay, joiner).
        let (a, msg_a) = spake(&code, inviter, relay, true);
        let (b, msg_b) = spake(&code, relay, joiner, false);
        assert_ne!(a.finish(&msg_b).unwrap(), b.finish(&msg_a).unwrap());
        // A wrong code.
        let wrong: PairCode = "424243".parse().unwrap();
        let (a, msg_a) = spake(&code, inviter, joiner, true);
        let (b, msg_b) = spake(&wrong, inviter, joiner, false);
        assert_ne!(a.finish(&msg_b).unwrap(), b.finish(&msg_a).unwrap());
    }

    #[test]
    fn two_invitations_in_one_slot_are_named_not_guessed() {
        let ids: Vec<EndpointId> = (0..3u8)
            .map(|i| iroh::SecretKey::from_bytes(&[i + 9; 32]).public())
            .collect();
        let heard_from = |id: EndpointId, slot: Option<u8>| DiscoveryEvent::Discovered {
            endpoint_info: EndpointInfo::new(id).with_user_data(announcement(slot)),
            last_updated: None,
        };
        let mut heard = Heard::default();
        assert!(!heard.take(ids[0], 3, heard_from(ids[1], Some(4))).unwrap());
        assert!(heard.take(ids[0], 3, heard_from(ids[1], Some(3))).unwrap());
        assert!(
            heard.take(ids[0], 3, heard_from(ids[1], Some(3))).unwrap(),
            "a repeat is fine"
        );
        assert!(matches!(
            heard.take(ids[0], 3, heard_from(ids[2], Some(3))),
            Err(SyncError::CodeAmbiguous { slot: 3 })
        ));
        // An invitation that closed is forgotten.
        let mut heard = Heard::default();
        heard.take(ids[0], 3, heard_from(ids[1], Some(3))).unwrap();
        heard.take(ids[0], 3, heard_from(ids[1], None)).unwrap();
        assert!(heard.found.is_none());
    }
}
