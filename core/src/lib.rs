//! # hearth-core
//!
//! The journal model, the sealed store and the device keys of Hearth, a private journal for two
//! partners. This crate is pure: no async runtime, no UI, no clock it was not handed.
//!
//! A tour of the modules:
//!
//! - [`Journal`]: the couple's shared Automerge document and one person's private document,
//!   with typed, intent-level operations (`add_appreciation`, `plan_date`, `mark_idea`,
//!   `check_in`, `delete`, ...) and the queries the app and command line need.
//! - [`intent`]: every change a person makes, as plain data ([`intent::Intent`]), applied as
//!   this device's person at a moment the host gives.
//! - [`coach`]: the local "I"-statement coach, a pure function that flags blame patterns.
//! - [`keys`], [`Profile`], [`Store`]: the device's keys, the profile directory and the redb store
//!   where every Automerge chunk is sealed with age before it touches the disk.
//! - [`Replica`]: an open profile with its journal loaded, the one way a change reaches the
//!   store (an intent applied here, changes received, the fold of chunks into a snapshot).
//! - [`membership`]: who belongs to the journal, decided by statements devices sign; the rules
//!   of who may add and revoke which device, and whose devices get a private journal.
//! - [`backup`]: passphrase-sealed backups that standard `age` and `tar` can open, and
//!   [`restore`]: what restoring one as a new device makes.
//! - [`views`]: what each screen shows, as plain data built from the journal, and [`words`], the
//!   copy the app and the command line share for it.
//! - [`export`]: the journal as JSON, Markdown and iCalendar.
//! - [`bound`]: measures how large untrusted Automerge bytes inflate to, before Automerge reads
//!   them, so a small compressed input cannot make a device allocate gigabytes.
//!
//! ## Who may change what
//!
//! Every write is made by someone ([`Acting`]): the person whose device it is, per the signed
//! membership, or the home display, which acts for "someone at home". [`Journal`] refuses,
//! with a typed error and nothing written:
//!
//! - writing, reacting, marking ideas, checking in, logging kindness, listening, "I" statements
//!   and hurts in another person's name ([`JournalError::ActsAsOwner`]); the display only leaves
//!   notes, in the name of whoever picked theirs ([`JournalError::DisplayCannot`]);
//! - editing, sharing or deleting what someone else wrote ([`JournalError::NotTheAuthor`]); date
//!   plans and ideas belong to both; showing the partner's note on the display (hiding it is
//!   allowed);
//! - repair steps out of turn: the partner who caused the hurt acknowledges, the hurt partner
//!   marks it understood and then releases; listening: the listener reflects, the speaker
//!   confirms or corrects;
//! - date status changes outside the allowed transitions: any plan may go back to an idea, be
//!   planned, be called off and un-called off; it is done once it has started, or earlier only
//!   by the partner who planned it; a date that happened is not called off afterwards;
//! - rewriting or deleting what was shared in a conversation ([`JournalError::NotAllowed`]): an
//!   "I" statement or a hurt is rewritten ([`Journal::edit_i_statement`],
//!   [`Journal::edit_hurt`]) and a hurt deleted only while it is a private draft; a shared
//!   repair keeps every step.
//!
//! Reading is checked too: an item's author and author-only text come from changes whose
//! Automerge actor belongs to the author's devices; a value another device wrote is carried as
//! [`Foreign`] and the author's own value is shown (see the `journal::provenance` module).
//!
//! ## Concurrency rules
//!
//! Both partners edit on their own devices, offline, and the documents merge. What happens
//! when two edits meet is decided by the data layout, not by clocks:
//!
//! - Every collection is a map keyed by a ULID, so concurrent inserts never clash.
//! - A date plan's notes are Automerge Text: two partners typing into the same notes at once
//!   both keep their words (character-level merge).
//! - Scalar fields (a title, a status) edited at the same time on two devices resolve to one
//!   value, the same on every replica (Automerge's deterministic winner); nothing is half-written.
//! - "I'd enjoy this" marks are kept per partner, so two partners marking the same idea at once
//!   both count, and a match is derived from the marks rather than stored.
//! - A check-in is keyed by person and day: a later check-in the same day replaces the earlier
//!   one. Two check-ins for the same person and day written on two devices at once converge to
//!   one of them, chosen identically on every replica.
//! - Delete is soft: the item stays where it is and a trash entry hides it. An edit made on
//!   another device while the item was being deleted lands on the item itself, so it is there
//!   when the item is restored. Items are purged 30 days after deletion.
//! - The document skeleton (schema and the empty collections) is written by one fixed,
//!   deterministic change, so journals started on two devices merge instead of shadowing each
//!   other's collections.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod coach;
mod doc;
mod error;
#[cfg(feature = "generator")]
pub mod generator;
mod ids;
pub mod intent;
mod journal;
mod model;
mod text;

// Storage and keys.
pub mod backup;
pub mod bound;
pub mod keys;
pub mod membership;
mod profile;
mod replica;
pub mod restore;
mod store;

// What the screens and the command line show.
pub mod export;
pub mod views;
pub mod words;

pub use error::{Damage, JournalError, NotJournal, Rule};

/// Checks one required line of text (a name): trimmed, not empty, not too long, no control
/// characters.
pub fn text_line(field: &'static str, s: &str) -> Result<String, JournalError> {
    text::line(field, s, true)
}
pub use ids::{Id, PartnerId, Timestamp};
pub use journal::{
    Acting, Adopted, Answer, DocKind, Journal, MAX_MAILBOX_ADDRS, MailboxRecord, MailboxStatus,
    Question, SCHEMA_MAJOR, SCHEMA_MINOR, StarterQuestion, TRASH_DAYS, Touched, WallContents,
    WallDate, WallNote, WallProjection, starter_deck,
};
pub use model::*;
pub use text::{MAX_LINE, MAX_TEXT, display_safe};

pub use profile::files;
pub use profile::{
    CONFIG_FORMAT, CreateOptions, Holder, LOCK_PATIENCE, OpenOptions, PermissionFix, Profile,
    ProfileConfig, ProfileError,
};
pub use replica::{CLAIMED_PERSON, Commit, Replica, ReplicaError};
pub use store::{
    ChunkInfo, Compaction, CompactionInfo, CompactionPolicy, DocSlot, LandedChunks, STORE_FORMAT,
    SlotStats, StagedChunks, Store, StoreError, Trust, db_error,
};
