//! [`HearthError`]: how every failure reaches the host, with a kind to act on and the engine's
//! own message (in English) to log or show.

use std::panic::{AssertUnwindSafe, catch_unwind};

use hearth_core::{JournalError, ProfileError, StoreError};
use hearth_sync::SyncError;

/// What kind of failure, for the host to decide what to do (ask again, show, retry later).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ErrorKind {
    /// Something given was not right: empty text, a rating out of range, a malformed ticket,
    /// id, moment or address. Nothing changed.
    InvalidInput,
    /// What was named is not there: a profile directory, an item id, a device.
    NotFound,
    /// The journal's rules do not allow it for this device's person (another's note, a
    /// display's limits, a step out of turn). Nothing changed.
    NotAllowed,
    /// Pairing did not complete: the ticket was used or expired, the other device refused.
    Pairing,
    /// A device could not be reached or the connection broke; worth trying again.
    Network,
    /// The profile is open elsewhere (another process or engine).
    Busy,
    /// The profile or its store could not be read or written (damage, disk, permissions).
    Storage,
    /// The engine is suspended and the call needs its network side (pairing): resume first.
    Suspended,
    /// The engine was shut down.
    Closed,
    /// A fault inside the engine (a panic is caught and reported as this).
    Internal,
}

/// A failure: its [`ErrorKind`] and a message saying what happened, with the data it concerns.
#[derive(Debug, thiserror::Error, uniffi::Object)]
#[error("{message}")]
#[uniffi::export(Debug, Display)]
pub struct HearthError {
    kind: ErrorKind,
    message: String,
}

#[uniffi::export]
impl HearthError {
    /// What kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What happened.
    pub fn message(&self) -> String {
        self.message.clone()
    }
}

impl HearthError {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> HearthError {
        HearthError {
            kind,
            message: message.into(),
        }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> HearthError {
        HearthError::new(ErrorKind::InvalidInput, message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> HearthError {
        HearthError::new(ErrorKind::Internal, message)
    }
}

fn journal_kind(e: &JournalError) -> ErrorKind {
    use JournalError as J;
    match e {
        J::Empty { .. } | J::TooLong { .. } | J::ControlCharacter { .. } | J::OutOfRange { .. } => {
            ErrorKind::InvalidInput
        }
        J::NotFound { .. } | J::InTrash { .. } => ErrorKind::NotFound,
        J::NotAllowed(_)
        | J::Refused(_)
        | J::ActsAsOwner { .. }
        | J::DisplayCannot
        | J::NotTheAuthor { .. }
        | J::TooManyPartners => ErrorKind::NotAllowed,
        _ => ErrorKind::Storage,
    }
}

fn profile_kind(e: &ProfileError) -> ErrorKind {
    use ProfileError as P;
    match e {
        P::NotFound { .. } => ErrorKind::NotFound,
        P::Locked { .. } | P::Busy { .. } => ErrorKind::Busy,
        P::ReadOnly { .. } => ErrorKind::NotAllowed,
        P::AlreadyExists { .. } | P::NotEmpty { .. } => ErrorKind::InvalidInput,
        P::Store(e) => store_kind(e),
        _ => ErrorKind::Storage,
    }
}

fn store_kind(e: &StoreError) -> ErrorKind {
    match e {
        StoreError::NotFound { .. } => ErrorKind::NotFound,
        StoreError::Busy { .. } => ErrorKind::Busy,
        _ => ErrorKind::Storage,
    }
}

fn sync_kind(e: &SyncError) -> ErrorKind {
    use SyncError as S;
    match e {
        S::BadTicket(_)
        | S::BadMailboxTicket(_)
        | S::UnknownRole(_)
        | S::UnknownRelays(_)
        | S::BadRelayUrl { .. }
        | S::BadCode(_)
        | S::Bind { .. } => ErrorKind::InvalidInput,
        S::TicketExpired
        | S::NoCodeInvitation { .. }
        | S::CodeAmbiguous { .. }
        | S::NoLanDiscovery(_)
        | S::LoopbackOnly { .. }
        | S::TicketUsed
        | S::CannotPair(_)
        | S::PairingRefused(_)
        | S::NotAMember(_) => ErrorKind::Pairing,
        S::Unreachable { .. } | S::Protocol { .. } | S::Connection(_) | S::Timeout(_) => {
            ErrorKind::Network
        }
        S::NoMailbox => ErrorKind::NotFound,
        S::MailboxRefused(_) => ErrorKind::NotAllowed,
        S::Journal(e) => journal_kind(e),
        S::Profile(e) => profile_kind(e),
        S::Store(e) => store_kind(e),
        S::Suspended => ErrorKind::Suspended,
        S::Closed => ErrorKind::Closed,
        _ => ErrorKind::Internal,
    }
}

impl From<SyncError> for HearthError {
    fn from(e: SyncError) -> HearthError {
        HearthError::new(sync_kind(&e), e.to_string())
    }
}

/// Runs one call of the host's, turning a panic into an [`ErrorKind::Internal`] error so that
/// it never unwinds into the host.
pub(crate) fn guard<T>(call: impl FnOnce() -> Result<T, HearthError>) -> Result<T, HearthError> {
    catch_unwind(AssertUnwindSafe(call)).unwrap_or_else(|panic| {
        let what = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no detail".to_owned());
        tracing::error!(panic = %what, "a call into the engine panicked");
        Err(HearthError::internal(format!(
            "the engine met a fault it did not expect ({what})"
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let err = guard::<()>(|| panic!("boom")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Internal);
        assert!(err.message().contains("boom"), "{}", err.message());
    }

    #[test]
    fn journal_refusals_keep_their_kind() {
        let err: HearthError = SyncError::Journal(JournalError::DisplayCannot).into();
        assert_eq!(err.kind(), ErrorKind::NotAllowed);
        let err: HearthError = SyncError::Closed.into();
        assert_eq!(err.kind(), ErrorKind::Closed);
    }
}
