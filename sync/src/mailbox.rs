//! The couple's mailbox: an always-on machine (the home display, a Raspberry Pi, a friend's
//! small server) that holds the couple's changes sealed so that it cannot read them, and hands
//! them on to devices that are never online at the same moment.
//!
//! - The server ([`MailboxServer`], `hearth mailbox serve`) has its own iroh identity and an
//!   embedded store (redb) in its directory, and speaks `hearth/mailbox/1`. It prints one-time
//!   setup tickets ([`MailboxTicket`]); a member device registers the couple with one
//!   ([`Node::mailbox_add`](crate::Node::mailbox_add)) and records the mailbox in the shared
//!   journal, so every device learns it by syncing.
//! - A bundle is a change file (see `changes`): the shared journal's changes sealed with age to
//!   every other current member device, a person's private journal sealed again inside to that
//!   person's own devices only, the whole signed with the sending device's ed25519 key. A
//!   receiver opens it, checks the signature and that the signer is a current member by the
//!   signed membership it holds, and only then applies its whole Automerge chunks.
//! - The mailbox knows, per couple: the member endpoint ids (only they may connect for the
//!   couple; only a member may add devices to the list or take revoked ones out, for good), and per bundle: who sent it, to whom, its size
//!   and when. A bundle goes once every recipient acknowledged it, or after the retention
//!   period; a device whose bundles were dropped unread is told so at its next fetch.
//!
//! One request per bidirectional stream: a JSON frame (at most [`MAX_REQUEST`] bytes), for an
//! upload followed by the bundle as a second frame; the reply is a JSON frame, for a download
//! followed by the bundle. Who asks is the TLS-authenticated endpoint id of the connection.
//!
//! A mailbox that misbehaves (withholds, delays, reorders, duplicates, replays bundles or serves
//! garbage) can delay changes, no more: it reads nothing, and a device applies only a member's
//! signed, whole changes, which Automerge applies idempotently in any order.

mod client;
mod server;
mod store;

use std::net::SocketAddr;

use hearth_core::Timestamp;
use iroh::EndpointId;
use serde::{Deserialize, Serialize};

use crate::error::{Result, SyncError};
use crate::ticket::{self, TicketProblem};

pub(crate) use client::MailboxLink;
pub(crate) use client::status_of;
pub use client::{MailboxReport, MailboxStatus};
pub use server::{DEFAULT_RETENTION, MailboxConfig, MailboxHook, MailboxServer, MailboxUsage};

/// The mailbox protocol.
pub const MAILBOX_ALPN: &[u8] = b"hearth/mailbox/1";

/// The largest request frame (everything but a bundle's body).
pub const MAX_REQUEST: usize = 64 * 1024;
/// At most this many member devices per couple.
pub const MAX_MEMBERS: usize = 32;
/// At most this many bundles in one listing.
pub(crate) const LIST_PAGE: usize = 256;

/// What a mailbox holds for one couple at most, and for one bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxLimits {
    /// The largest bundle.
    pub bundle_bytes: u64,
    /// Bytes of all bundles of a couple.
    pub couple_bytes: u64,
    /// Bundles of a couple.
    pub couple_bundles: u64,
    /// Couples one mailbox serves.
    pub couples: u64,
}

impl Default for MailboxLimits {
    fn default() -> Self {
        MailboxLimits {
            bundle_bytes: 32 * 1024 * 1024,
            couple_bytes: 512 * 1024 * 1024,
            couple_bundles: 20_000,
            couples: 100_000,
        }
    }
}

/// Why a mailbox refused a request: a code that crosses the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum MailboxRefusal {
    /// The mailbox holds no couple by that id (never registered, or forgotten).
    #[error("the mailbox does not know this couple")]
    UnknownCouple,
    /// The asking device is not a member of the couple at the mailbox.
    #[error("this device is not one of the couple's devices at the mailbox")]
    NotMember,
    /// The setup ticket was used already, or never made by this mailbox.
    #[error("the setup ticket was already used or is not this mailbox's")]
    TicketUsed,
    /// The couple id is taken.
    #[error("the couple is registered with the mailbox already")]
    CoupleExists,
    /// A bundle over the per-bundle limit.
    #[error("a bundle of {len} bytes is over the mailbox's limit of {max}")]
    TooLarge {
        /// Its size.
        len: u64,
        /// The limit.
        max: u64,
    },
    /// The couple's space at the mailbox is used up until devices fetch what waits.
    #[error(
        "the couple's space at the mailbox is full ({bundles} bundles, {bytes} bytes waiting; \
         at most {max_bundles} and {max_bytes})"
    )]
    Full {
        /// Bundles waiting.
        bundles: u64,
        /// Bytes waiting.
        bytes: u64,
        /// The couple's bundle limit.
        max_bundles: u64,
        /// The couple's byte limit.
        max_bytes: u64,
    },
    /// The mailbox serves as many couples as it may.
    #[error("the mailbox serves as many couples as it may")]
    NoRoom,
    /// A request that does not parse or breaks the protocol.
    #[error("the mailbox could not read the request")]
    Malformed,
    /// No bundle by that number waits for this device.
    #[error("no such bundle waits for this device")]
    NoSuchBundle,
    /// The mailbox could not store or read (its disk).
    #[error("the mailbox could not use its storage")]
    Storage,
}

/// A mailbox's one-time setup ticket: its endpoint id, where it listens and a random secret
/// the first member device proves when it registers the couple. The text form is `HEARTHBOX1`
/// and base32 of the body (endpoint id, secret, addresses, relay) and a tag keyed with the
/// secret, like a pairing ticket's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailboxTicket {
    /// The mailbox's endpoint id.
    pub endpoint: EndpointId,
    /// Where it listens.
    pub addrs: Vec<SocketAddr>,
    /// A relay where it can be reached.
    pub relay: Option<String>,
    /// The one-time secret.
    pub secret: [u8; 16],
}

const TICKET_PREFIX: &str = "HEARTHBOX1";
const TICKET_TAG: &str = "hearth mailbox ticket 1 tag";

impl MailboxTicket {
    /// The text form.
    pub fn to_text(&self) -> String {
        let mut body = Vec::with_capacity(96);
        body.extend_from_slice(self.endpoint.as_bytes());
        body.extend_from_slice(&self.secret);
        ticket::encode_place(&mut body, &self.addrs, self.relay.as_deref());
        ticket::seal_text(TICKET_PREFIX, TICKET_TAG, &self.secret, body)
    }

    /// Parses the text form (whitespace and case ignored).
    pub fn parse(text: &str) -> Result<MailboxTicket> {
        let clean = ticket::clean_text(text);
        if clean.starts_with("HEARTH2") {
            return Err(SyncError::BadMailboxTicket(TicketProblem::PairingTicket));
        }
        ticket::open_text(
            &clean,
            TICKET_PREFIX,
            |body| {
                let mut r = body;
                let endpoint =
                    EndpointId::from_bytes(ticket::take(&mut r, 32)?.try_into().ok()?).ok()?;
                let secret: [u8; 16] = ticket::take(&mut r, 16)?.try_into().ok()?;
                let (addrs, relay) = ticket::decode_place(&mut r)?;
                r.is_empty().then_some((
                    secret,
                    MailboxTicket {
                        endpoint,
                        addrs,
                        relay,
                        secret,
                    },
                ))
            },
            TICKET_TAG,
        )
        .map_err(SyncError::BadMailboxTicket)
    }
}

/// A request to the mailbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum Request {
    /// Registers a couple with a setup ticket's secret (hex) and its member devices.
    Register {
        secret: String,
        couple: String,
        members: Vec<String>,
    },
    /// Adds member devices and takes out revoked ones (see the store).
    Members {
        couple: String,
        members: Vec<String>,
        #[serde(default)]
        revoked: Vec<String>,
    },
    /// Stores a bundle (the next frame) for `recipients`.
    Put {
        couple: String,
        recipients: Vec<String>,
        len: u64,
    },
    /// Lists the bundles waiting for the asking device, after bundle number `after`.
    List { couple: String, after: u64 },
    /// Fetches a waiting bundle.
    Get { couple: String, seq: u64 },
    /// Says these bundles were taken (and, with `dropped_seen`, that the device heard of
    /// bundles dropped before it fetched them).
    Ack {
        couple: String,
        seqs: Vec<u64>,
        dropped_seen: bool,
    },
    /// Forgets the couple and everything it holds for it.
    Forget { couple: String },
    /// Keeps the stream open; the mailbox sends `New` whenever a bundle for the device arrives.
    Watch { couple: String },
}

/// A bundle in a listing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Listed {
    pub seq: u64,
    pub from: String,
    pub len: u64,
    pub at: Timestamp,
}

/// The mailbox's answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "snake_case")]
pub(crate) enum Reply {
    Done,
    Stored {
        seq: u64,
    },
    Listing {
        bundles: Vec<Listed>,
        /// Bundles for this device were dropped unread, the latest of them made then.
        dropped_before: Option<Timestamp>,
        more: bool,
    },
    /// The bundle follows as the next frame.
    Bundle {
        len: u64,
    },
    /// A bundle for the watching device arrived.
    New,
    Refused {
        refusal: MailboxRefusal,
    },
}

/// Waits until a shutdown signal is set (a future that holds nothing across awaits, so it can
/// sit in a `select!` whose other arms await).
pub(crate) async fn stopped(rx: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}

/// A couple id: 16 random bytes as hex.
pub(crate) fn is_couple_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}
