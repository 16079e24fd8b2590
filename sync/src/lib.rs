//! # hearth-sync
//!
//! Peer-to-peer sync of Hearth journals over iroh, between a couple's paired devices only.
//!
//! - [`init_device`]: a new device's profile and its place in the journal.
//! - [`Node`]: one per device identity. It owns the open profile and the journal in memory,
//!   listens on an iroh endpoint (relays off by default; LAN, direct addresses and optional mDNS)
//!   and speaks two protocols:
//!   - `hearth/pair/1` ([`Node::invite`], [`Node::join`]): a one-time ticket ([`Ticket`]) lets
//!     a new device join; both record each other in the shared journal and sync at once.
//!   - the same protocol by a six-digit code ([`Node::invite_code`], [`Node::join_code`]):
//!     the invitation is announced on the local network over mDNS and SPAKE2, bound to both
//!     endpoint ids, proves the code on both sides before the ticket's secret is handed on.
//!   - `hearth/sync/1`: only non-revoked member devices may connect (others are refused right
//!     after the TLS handshake). One stream per document carries length-prefixed Automerge sync
//!     messages. The shared journal syncs with every member; a private journal only between
//!     devices of the same person. [`Node::start_live`] keeps connections up and pushes each
//!     local change at once; [`Node::sync_once`] syncs and returns.
//! - `hearth/mailbox/1` (see [`MailboxServer`], [`Node::mailbox_add`],
//!   [`Node::mailbox_exchange`]): store and forward through a blind mailbox for devices that are
//!   never online together; the mailbox holds sealed, signed change files it cannot read.
//! - Change files ([`Node::export_changes`], [`Node::import_changes`]): the shared journal's
//!   changes sealed with age, for devices with no live link.
//!
//! No protocol step depends on two devices' clocks agreeing.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod admission;
mod changes;
mod code;
mod engine;
mod error;
mod frame;
mod handoff;
mod mailbox;
mod net;
mod node;
mod pair;
mod session;
pub use session::{Received, apply_sync_message};
mod setup;
mod ticket;

pub use admission::{NOT_A_MEMBER, PAUSED, PROTOCOL_ERROR, REVOKED};
pub use changes::{ChangeFile, Imported, MAX_CHANGE_FILE, open_change_file};
pub use code::{CODE_LOOKUP, MAX_CODE_TTL, PairCode};
pub use engine::{Engine, EngineConfig, Phase, Resumed};
pub use error::{
    BindFailure, Breach, ChangeFileProblem, LinkError, NotMember, Part, SyncError, Unanswered,
};
pub use frame::{FrameError, FrameHook, HookAction, MAX_FRAME, read as read_frame};
pub use mailbox::{
    DEFAULT_RETENTION, MAILBOX_ALPN, MAX_MEMBERS, MAX_REQUEST, MailboxConfig, MailboxHook,
    MailboxLimits, MailboxRefusal, MailboxReport, MailboxServer, MailboxStatus, MailboxTicket,
    MailboxUsage,
};
pub use net::{NetConfig, Relays};
pub use node::{
    Event, Node, PairingFailure, PeerStatus, PeerSync, endpoint_id_of, last_sync_times,
    unadmitted_record,
};
pub use pair::{
    CannotPair, DEFAULT_TICKET_TTL, HELLO_TIMEOUT, MAX_PAIRING_CONNECTIONS, PairRefusal, Pairing,
};
pub use setup::{FIRST_COLOUR, SECOND_COLOUR, Setup, init_device};
pub use ticket::{Role, Ticket, TicketProblem};

/// The pairing protocol.
pub const PAIR_ALPN: &[u8] = b"hearth/pair/1";
/// The sync protocol.
pub const SYNC_ALPN: &[u8] = b"hearth/sync/1";
/// Handing membership statements to a device that refuses this one (see `handoff`).
pub const MEMBERS_ALPN: &[u8] = b"hearth/members/1";
