//! Errors of sync, pairing and change files.

use hearth_core::{JournalError, ProfileError, ReplicaError, StoreError};

/// What went wrong while syncing, pairing or moving changes by file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The ticket text is not a Hearth ticket, or it was cut short.
    #[error("this is not a valid pairing ticket: {0}")]
    BadTicket(crate::TicketProblem),
    /// The ticket's time ran out.
    #[error("this pairing ticket has expired; ask for a new one")]
    TicketExpired,
    /// The ticket was already used.
    #[error("this pairing ticket was already used; ask for a new one")]
    TicketUsed,
    /// This device cannot pair this way; nothing was sent.
    #[error(transparent)]
    CannotPair(#[from] crate::CannotPair),
    /// The pairing was refused, and why (a code that crosses the wire).
    #[error("pairing refused: {0}")]
    PairingRefused(crate::PairRefusal),
    /// The device is not (or no longer) allowed to sync.
    #[error("this device is not paired with the journal (or was revoked): {0}")]
    NotAMember(NotMember),
    /// The peer could not be reached.
    #[error("could not reach {peer}: {reason}; check that it is running and on the same network")]
    Unreachable {
        /// Who.
        peer: String,
        /// Why.
        reason: String,
    },
    /// The peer broke the protocol: a frame too large, undecodable or out of turn.
    #[error("the sync session with {peer} broke off: {reason}")]
    Protocol {
        /// Who.
        peer: String,
        /// What was wrong.
        reason: String,
    },
    /// The connection failed.
    #[error("connection error: {0}")]
    Connection(String),
    /// Waiting ran out.
    #[error("timed out after {0} seconds")]
    Timeout(u64),
    /// The network endpoint could not start.
    #[error("could not start networking on {addr}: {reason}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// Why it failed.
        reason: String,
    },
    /// A change file could not be read.
    #[error("{0}")]
    ChangeFile(String),
    /// No other device may receive changes now (`others`: there are other devices, revoked or
    /// not admitted; else none is paired yet).
    #[error("{}", if *others {
        "no other device may receive changes now: the others are revoked or not admitted"
    } else {
        "no other device is paired yet; pair one first"
    })]
    NoRecipients {
        /// Other devices exist.
        others: bool,
    },
    /// A relay setting this build does not know.
    #[error("unknown relay setting {0:?}: use off, default or an https:// URL")]
    UnknownRelays(String),
    /// A relay URL that does not parse.
    #[error("bad relay URL {url:?}: {source}")]
    BadRelayUrl {
        /// What was given.
        url: String,
        /// Why it does not parse.
        source: iroh::RelayUrlParseError,
    },
    /// A pairing role this build does not know.
    #[error("unknown role {0:?}: use partner, me or display")]
    UnknownRole(String),
    /// The journal refused an operation.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The profile failed.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// A backup could not be restored as asked.
    #[error(transparent)]
    Restore(Box<hearth_core::restore::RestoreError>),
    /// The node has shut down.
    #[error("the sync node has shut down")]
    Closed,
    /// An engine was asked to run on the caller's runtime from outside any runtime.
    #[error("the engine was started outside an async runtime")]
    NoRuntime,
    /// The engine's async runtime could not start.
    #[error("could not start the engine's runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The network side still held the journal when the wait for it ended.
    #[error("the network side did not let go of the journal within {} ms", waited.as_millis())]
    NotReleased {
        /// How long it was given.
        waited: std::time::Duration,
    },
}

impl From<hearth_core::restore::RestoreError> for SyncError {
    fn from(e: hearth_core::restore::RestoreError) -> SyncError {
        SyncError::Restore(Box::new(e))
    }
}

impl From<ReplicaError> for SyncError {
    fn from(e: ReplicaError) -> SyncError {
        match e {
            ReplicaError::Journal(e) => SyncError::Journal(e),
            ReplicaError::Store(e) => SyncError::Store(e),
            ReplicaError::Profile(e) => SyncError::Profile(e),
        }
    }
}

/// Why a sync or a pairing found a device outside the journal.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NotMember {
    /// The other device closed the connection with a refusal (`code`: not a member, revoked,
    /// paused).
    #[error("the other device refused this one (code {code})")]
    RefusedByPeer {
        /// The QUIC application close code.
        code: u64,
    },
    /// This device's journal shares no document with the other one any more (a revocation of
    /// one of them arrived).
    #[error("this device's journal no longer counts both devices as members")]
    NoSharedDocument,
    /// A pairing ended without the other device's record in the journal.
    #[error("the journal holds no record of the device {peer} after pairing")]
    NoRecordAfterPairing {
        /// The other device's endpoint id.
        peer: String,
    },
}

pub(crate) type Result<T, E = SyncError> = std::result::Result<T, E>;
