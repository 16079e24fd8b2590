//! Errors of sync, pairing and change files.

use hearth_core::{JournalError, ProfileError, ReplicaError, StoreError};

/// What went wrong while syncing, pairing or moving changes by file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SyncError {
    /// The ticket text is not a Hearth ticket, or it was cut short.
    #[error("this is not a valid pairing ticket: {0}")]
    BadTicket(crate::TicketProblem),
    /// The text is not a mailbox setup ticket.
    #[error("this is not a valid mailbox ticket: {0}")]
    BadMailboxTicket(crate::TicketProblem),
    /// No mailbox is set up for the journal.
    #[error("no mailbox is set up for this journal")]
    NoMailbox,
    /// The mailbox refused a request, and why (a code that crosses the wire).
    #[error("the mailbox refused: {0}")]
    MailboxRefused(crate::MailboxRefusal),
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
    #[error("could not reach {peer}: {why}; check that it is running and on the same network")]
    Unreachable {
        /// Who (a short endpoint id).
        peer: String,
        /// Why.
        why: Unanswered,
    },
    /// The peer broke the protocol: a frame too large, undecodable or out of turn.
    #[error("the sync session with {peer} broke off: {breach}")]
    Protocol {
        /// Who (a short endpoint id, or "the other device" before it is known).
        peer: String,
        /// What was wrong.
        breach: Breach,
    },
    /// The connection failed.
    #[error("connection error: {0}")]
    Connection(#[from] LinkError),
    /// Waiting ran out.
    #[error("timed out after {0} seconds")]
    Timeout(u64),
    /// The network endpoint could not start.
    #[error("could not start networking on {addr}: {why}")]
    Bind {
        /// The address asked for ("mDNS" for local discovery).
        addr: String,
        /// Why it failed.
        why: BindFailure,
    },
    /// A change file could not be written or brought in.
    #[error("{0}")]
    ChangeFile(#[from] ChangeFileProblem),
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
    /// A pairing code that is not six digits (what was given).
    #[error("a pairing code is six digits, like 123 456; {0:?} is not one")]
    BadCode(String),
    /// No device on the local network offers a code invitation in the code's slot.
    #[error(
        "no device on this network offers a pairing code starting with {slot} (looked for \
         {secs} s); check that both devices are on the same network and the code is still \
         shown, or pair with the ticket or its QR code instead"
    )]
    NoCodeInvitation {
        /// The code's first digit.
        slot: u8,
        /// How long this device looked.
        secs: u64,
    },
    /// Two devices on the network offer a code with the same first digit.
    #[error(
        "two devices on this network offer a pairing code starting with {slot}; make a new code \
         on one of them"
    )]
    CodeAmbiguous {
        /// The first digit both codes share.
        slot: u8,
    },
    /// Local network discovery (mDNS) cannot run here, so codes cannot be announced or found.
    #[error(
        "cannot use the local network to pair by code (mDNS: {0}); pair with the ticket or its \
         QR code instead"
    )]
    NoLanDiscovery(#[source] Box<iroh::address_lookup::AddressLookupBuilderError>),
    /// Pairing by code needs the local network, and this node listens on loopback only.
    #[error(
        "this device listens on {bind} only, so it cannot pair by code on the network; pair \
         with the ticket or its QR code instead"
    )]
    LoopbackOnly {
        /// Where it listens.
        bind: std::net::SocketAddr,
    },
    /// The node has shut down.
    #[error("the sync node has shut down")]
    Closed,
    /// The engine is suspended and the call needs its network side (pairing).
    #[error("the engine is suspended; resume it first")]
    Suspended,
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
    /// This device is not (or no longer) a member of its own journal.
    #[error("no member of the journal has admitted this device, or it was revoked")]
    NotAdmitted,
}

/// Why a device did not answer a dial.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Unanswered {
    /// Nothing came back in time.
    #[error("no answer within {secs} seconds")]
    Silent {
        /// How long it was given.
        secs: u64,
    },
    /// No address of it is known (not paired with addresses, not seen on this network).
    #[error("no address of it is known")]
    NoAddress,
    /// The dial failed or the handshake was refused: the device answered.
    #[error("{0}")]
    Failed(Box<iroh::endpoint::ConnectError>),
}

impl Unanswered {
    /// Sorts a failed dial: no address known is silence, anything else an answer.
    pub(crate) fn from_connect(e: iroh::endpoint::ConnectError) -> Unanswered {
        use iroh::endpoint::{ConnectError, ConnectWithOptsError};
        match e {
            ConnectError::Connect {
                source: ConnectWithOptsError::NoAddress { .. },
                ..
            } => Unanswered::NoAddress,
            other => Unanswered::Failed(Box::new(other)),
        }
    }

    /// Whether the device answered (a refusal), rather than stayed silent.
    pub fn answered(&self) -> bool {
        matches!(self, Unanswered::Failed(_))
    }
}

/// What broke on a connection that was up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The connection closed or failed.
    #[error("the connection was lost: {0}")]
    Lost(#[from] iroh::endpoint::ConnectionError),
    /// A frame could not be sent.
    #[error("could not send: {0}")]
    Send(#[from] iroh::endpoint::WriteError),
    /// The stream broke while a frame was being read.
    #[error("could not receive: {0}")]
    Receive(#[source] std::io::Error),
    /// The stream ended inside a frame.
    #[error("the stream ended inside a frame")]
    CutShort,
    /// A frame too large for the length prefix.
    #[error("a frame of {len} bytes is too large to send")]
    TooLargeToSend {
        /// Its length.
        len: usize,
    },
    /// The other side closed the stream where a message was due.
    #[error("the other device closed the stream before it answered")]
    Closed,
    /// A one-shot session the other side ended before both held the same journal (a refusal
    /// shows only as the stream ending).
    #[error("the other device ended the session before both held the same journal")]
    EndedEarly,
    /// A message of ours could not be encoded.
    #[error("a message could not be encoded: {0}")]
    Encode(#[from] serde_json::Error),
    /// A session's task ended abnormally.
    #[error("a sync task ended abnormally: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// How a peer broke the protocol.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Breach {
    /// A frame announced over the limit; its body was not read.
    #[error("a frame of {len} bytes is over the limit of {max}")]
    FrameTooLarge {
        /// The announced length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A message that does not parse (`what` names it).
    #[error("an unreadable {what}: {source}")]
    Unreadable {
        /// Which message.
        what: &'static str,
        /// The parser's complaint.
        source: serde_json::Error,
    },
    /// A message of the wrong shape (`what` names it).
    #[error("a malformed {what}")]
    Malformed {
        /// Which message.
        what: &'static str,
    },
    /// A stream for the private journal, which this pairing does not give.
    #[error("asked for a private journal this pairing does not give")]
    PrivateNotGiven,
    /// An Automerge sync message that does not decode.
    #[error("undecodable sync message: {0}")]
    Undecodable(#[source] Box<automerge::sync::ReadMessageError>),
    /// A sync message whose changes would decode to more than a device may hold at once.
    #[error("the sync message's changes were refused: {0}")]
    Inflated(#[source] hearth_core::bound::InflationError),
    /// A whole document the journal refused (damaged, or not this kind of journal).
    #[error("the document sent was refused: {0}")]
    Refused(#[source] Box<JournalError>),
    /// A sync message Automerge could not apply.
    #[error("the sync message could not be applied: {0}")]
    Unapplicable(#[source] Box<automerge::AutomergeError>),
}

/// Why the network side could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BindFailure {
    /// Another program has the port.
    #[error(
        "the address is already in use (another program listens on UDP port {} of {})",
        .0.port(),
        .0.ip()
    )]
    InUse(std::net::SocketAddr),
    /// The address is not one of this machine's.
    #[error("{} is not an address of this machine", .0.ip())]
    NotHere(std::net::SocketAddr),
    /// The system does not allow listening there.
    #[error("listening on it is not permitted ({0})")]
    NotPermitted(#[source] std::io::Error),
    /// The system refused for another reason.
    #[error("the system refused it ({0})")]
    Refused(#[source] std::io::Error),
    /// The relay URL does not parse.
    #[error("bad relay URL: {0}")]
    RelayUrl(#[source] iroh::RelayUrlParseError),
    /// The address is not one a socket can take.
    #[error("{0}")]
    Address(#[source] iroh::endpoint::InvalidSocketAddr),
    /// iroh failed for a reason of its own (the port was free when tried again).
    #[error("{0}")]
    Endpoint(#[source] Box<iroh::endpoint::BindError>),
    /// Local discovery could not start.
    #[error("{0}")]
    Discovery(#[source] Box<iroh::address_lookup::AddressLookupBuilderError>),
    /// The endpoint offers no address lookup to add local discovery to.
    #[error("{0}")]
    Lookup(#[source] Box<iroh::endpoint::EndpointError>),
}

/// Which part of a change file an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The whole file.
    File,
    /// The part sealed to one person's own devices.
    Private,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::File => "the change file",
            Part::Private => "its private part",
        })
    }
}

/// Why a change file could not be written or brought in.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ChangeFileProblem {
    /// A device's recorded age recipient does not parse.
    #[error("the device {device} has an unusable age recipient: {reason}")]
    BadRecipient {
        /// The device's name.
        device: String,
        /// What the parser said.
        reason: &'static str,
    },
    /// The header could not be written.
    #[error("the change file's header could not be written: {0}")]
    Header(#[source] serde_json::Error),
    /// Sealing failed.
    #[error("could not seal the change file: {0}")]
    Seal(#[source] age::EncryptError),
    /// Writing the sealed bytes failed.
    #[error("could not seal the change file: {0}")]
    Write(#[source] std::io::Error),
    /// The sender is known but not a member.
    #[error(
        "this change file comes from {device}, which is not a member of this journal ({});          nothing was brought in",
        standing_words(standing)
    )]
    SenderNotMember {
        /// The sender's name.
        device: String,
        /// Where it stands.
        standing: hearth_core::membership::Standing,
    },
    /// The sender is not in this journal at all.
    #[error(
        "this change file comes from a device this journal does not know; nothing was brought in"
    )]
    UnknownSender,
    /// Too large to be one.
    #[error("the file is too large to be a change file")]
    TooLarge,
    /// Not an age file as Hearth writes them.
    #[error("{part} is not sealed as Hearth seals it ({source})")]
    NotSealed {
        /// Which part.
        part: Part,
        /// What age said.
        source: age::DecryptError,
    },
    /// Sealed, but not to this device.
    #[error("{part} is sealed for other devices, not this one")]
    ForOthers {
        /// Which part.
        part: Part,
    },
    /// Sealed to this device, but could not be opened.
    #[error("{part} could not be opened: {source}")]
    Unopenable {
        /// Which part.
        part: Part,
        /// What age said.
        source: age::DecryptError,
    },
    /// The sealed stream broke off.
    #[error("{part} is damaged or cut short: {source}")]
    Damaged {
        /// Which part.
        part: Part,
        /// What reading said.
        source: std::io::Error,
    },
    /// It opened, but holds something else.
    #[error("the file opened but is not a Hearth change file (or one from an older version)")]
    NotAChangeFile,
    /// Shorter than its signature.
    #[error("the change file is cut short")]
    CutShort,
    /// The header line is missing.
    #[error("the change file's header is damaged")]
    NoHeader,
    /// The header does not parse.
    #[error("the change file's header is damaged: {0}")]
    BadHeader(#[source] serde_json::Error),
    /// The signature is not the named device's.
    #[error(
        "the change file's signature does not match the device it names; it was not made by          that device, so nothing was brought in"
    )]
    BadSignature,
    /// The parts' lengths disagree with the file's.
    #[error("the change file's parts do not add up to its length; it is damaged")]
    PartsMismatch,
}

fn standing_words(s: &hearth_core::membership::Standing) -> String {
    use hearth_core::membership::Standing;
    match s {
        Standing::Member => "a member".to_owned(),
        Standing::Revoked { .. } => "revoked".to_owned(),
        Standing::Unverified { reason } => reason.clone(),
    }
}

pub(crate) type Result<T, E = SyncError> = std::result::Result<T, E>;
