//! Change files: the journal's changes sealed with age, for when no live link exists (handed
//! over by any means). The shared journal's changes are sealed to every other member device;
//! the sender's private journal travels in the same file sealed a second time, inside, to the
//! sender's own other devices only, so a partner's device carries it unread and leaves it.
//!
//! A file is a standard age file. Its plaintext is a line `hearth-changes 3`, a JSON line with
//! who made it and how long each part is, the shared journal's Automerge change bytes, the
//! inner age file with the private journal's changes (empty when there is none), and an
//! ed25519 signature by the sending device over all of that. A receiver checks the signature
//! against the sender the header names and that the sender is a current member (by the signed
//! membership it checked) before it applies anything, and applies private changes only from a
//! device of its own person; the sender it reports is the verified one. (age does not
//! authenticate senders: anyone who knows a device's public recipient can seal a file to it.)
//! Files of the earlier version 2 (the shared part alone) are still read.

use std::io::{Read, Write};

use automerge::sync;
use hearth_core::{Commit, Device, DocKind, DocSlot, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{ChangeFileProblem, Part, Result, SyncError};
use crate::node::Node;

const MAGIC: &[u8] = b"hearth-changes 3\n";
const SIGNATURE_DOMAIN: &[u8] = b"hearth/changes/3\n";
/// Version 2: the shared part alone.
const MAGIC_V2: &[u8] = b"hearth-changes 2\n";
const SIGNATURE_DOMAIN_V2: &[u8] = b"hearth/changes/2\n";
const SIGNATURE_LEN: usize = 64;
/// The largest change file accepted (well above a ten-year journal).
pub const MAX_CHANGE_FILE: u64 = hearth_core::bound::MAX_DECODED;

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Header {
    from: String,
    created: Timestamp,
    changes: usize,
    /// Bytes of the shared journal's changes, then of the sealed private part (version 3).
    #[serde(default)]
    shared_len: Option<usize>,
    #[serde(default)]
    private_len: usize,
    /// Private changes inside the sealed part.
    #[serde(default)]
    private_changes: usize,
    /// The shared journal's heads on the sender when it sealed the file.
    #[serde(default)]
    heads: Vec<String>,
    /// The devices it was sealed to.
    #[serde(default)]
    to: Vec<String>,
}

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Imported {
    /// The device that wrote the file.
    pub from: String,
    /// Changes in the file.
    pub changes: usize,
    /// Changes that were new here.
    pub new_changes: usize,
    /// Changes of this person's private journal in the file (sent by one of their own
    /// devices), and how many of them were new here.
    pub private_changes: usize,
    /// Private changes that were new here.
    pub new_private_changes: usize,
}

/// What a receiver is known to hold of each document, for [`Node::seal_changes`]: changes
/// after these heads are sealed; none known means everything.
pub(crate) struct Have {
    /// Of the shared journal, given the devices it is sealed to.
    pub shared: Vec<automerge::ChangeHash>,
    /// Of this person's private journal.
    pub private: Vec<automerge::ChangeHash>,
}

/// A change file, sealed.
#[derive(Debug)]
pub(crate) struct Sealed {
    /// The file.
    pub file: Vec<u8>,
    /// The devices it is sealed to (endpoint ids).
    pub recipients: Vec<String>,
    /// Changes of the shared journal in it (0: none past what they hold).
    pub changes: usize,
    /// Changes of the private journal.
    pub private_changes: usize,
    /// Both documents' heads as sealed (taken with the changes, under one lock): what the
    /// recipients hold once they took the file.
    pub heads: [Vec<automerge::ChangeHash>; 2],
}

impl Node {
    /// Seals, for every other member device, the shared journal's changes they lack (as far as
    /// this device knows from past syncs), or all of them with `everything`.
    pub fn export_changes(&self, everything: bool) -> Result<Vec<u8>> {
        let sealed = self.seal_changes(|st, targets, own| {
            let known = |devices: &[&Device], slot: DocSlot| -> Vec<automerge::ChangeHash> {
                if everything {
                    return Vec::new();
                }
                let mut have: Option<Vec<automerge::ChangeHash>> = None;
                for d in devices {
                    let heads = st
                        .profile()
                        .store()
                        .sync_state(&d.endpoint_id, slot)
                        .and_then(|b| sync::State::decode(&b).ok())
                        .map(|s| s.shared_heads);
                    match heads {
                        Some(h) if have.is_none() => have = Some(h),
                        Some(h) if have.as_ref() == Some(&h) => {}
                        _ => return Vec::new(),
                    }
                }
                have.unwrap_or_default()
            };
            let targets: Vec<&Device> = targets.iter().collect();
            let own: Vec<&Device> = own.iter().collect();
            Have {
                shared: known(&targets, DocSlot::Shared),
                private: known(&own, DocSlot::Private),
            }
        })?;
        Ok(sealed.file)
    }

    /// Seals a change file for every other member device (the private part for this person's
    /// own other devices): the changes after what `have` says they hold, given the journal,
    /// the targets and the own devices among them.
    pub(crate) fn seal_changes(
        &self,
        have: impl FnOnce(&hearth_core::Replica, &[Device], &[Device]) -> Have,
    ) -> Result<Sealed> {
        let me = self.id().to_string();
        let mut st = self.state();
        // A home display holds no journal to send; and none is sealed to one: it keeps what it
        // may show alone, and as a mailbox it stores what it cannot read.
        st.journal().check_kept(DocKind::Shared)?;
        let targets: Vec<Device> = st
            .journal()
            .devices()
            .into_iter()
            .filter(|d| d.endpoint_id != me && d.is_member())
            .filter(|d| d.kind != hearth_core::DeviceKind::Display)
            .collect();
        if targets.is_empty() {
            let others = st
                .journal()
                .devices()
                .into_iter()
                .any(|d| d.endpoint_id != me);
            return Err(SyncError::NoRecipients { others });
        }
        let recipients = age_recipients(&targets)?;
        // This person's private journal, for their own other devices only.
        let own: Vec<Device> = match st.journal().acting() {
            hearth_core::Acting::Person(me_person) => targets
                .iter()
                .filter(|d| d.owner == hearth_core::DeviceOwner::Partner(me_person.clone()))
                .cloned()
                .collect(),
            _ => Vec::new(),
        };
        let have = have(&st, &targets, &own);
        let (shared, changes) =
            changes_after(st.journal_mut().doc_mut(DocKind::Shared), &have.shared);
        let heads = st.journal_mut().heads(DocKind::Shared);
        let private_heads = st.journal_mut().heads(DocKind::Private);
        let (private, private_changes) = if own.is_empty() {
            (Vec::new(), 0)
        } else {
            let (bytes, n) =
                changes_after(st.journal_mut().doc_mut(DocKind::Private), &have.private);
            if n == 0 {
                (Vec::new(), 0)
            } else {
                (seal(&age_recipients(&own)?, &bytes)?, n)
            }
        };
        let header = Header {
            from: me,
            created: Timestamp::now(),
            changes,
            shared_len: Some(shared.len()),
            private_len: private.len(),
            private_changes,
            heads: heads.iter().map(|h| h.to_string()).collect(),
            to: targets.iter().map(|d| d.endpoint_id.clone()).collect(),
        };
        let mut plain = MAGIC.to_vec();
        plain.extend(serde_json::to_vec(&header).map_err(ChangeFileProblem::Header)?);
        plain.push(b'\n');
        plain.extend_from_slice(&shared);
        plain.extend_from_slice(&private);
        let seed = st.profile().keys().endpoint_secret();
        drop(st);
        let sig = hearth_core::membership::sign_detached(&seed, SIGNATURE_DOMAIN, &plain);
        plain.extend_from_slice(&sig);
        Ok(Sealed {
            file: seal(&recipients, &plain)?,
            recipients: targets.into_iter().map(|d| d.endpoint_id).collect(),
            changes,
            private_changes,
            heads: [heads, private_heads],
        })
    }

    /// Opens a change file sealed for this device and merges its changes. A file for another
    /// device, a damaged file or one that is not a change file is refused and changes nothing.
    pub fn import_changes(&self, file: &[u8]) -> Result<Imported> {
        let identity = self.profile(|p| p.keys().age_identity().clone());
        let opened = open_change_file(&identity, file)?;
        self.import_opened(&identity, &opened)
    }

    /// Merges an opened change file's changes once its sender is a current member here; the
    /// private part only on a device of the sender's own person.
    pub(crate) fn import_opened(
        &self,
        identity: &age::x25519::Identity,
        opened: &ChangeFile,
    ) -> Result<Imported> {
        let (header, bytes) = (&opened.header, opened.changes.as_slice());
        let sender = self.read(|j| j.device(&header.from));
        let sender_owner = sender.as_ref().map(|d| d.owner.clone());
        match sender {
            Some(d) if d.is_member() => {}
            Some(d) => {
                return Err(ChangeFileProblem::SenderNotMember {
                    device: d.name,
                    standing: d.standing,
                }
                .into());
            }
            None => return Err(ChangeFileProblem::UnknownSender.into()),
        }
        // The private part opens only on a device of the sender's own person; elsewhere it
        // is not this device's to read, and stays unread.
        let private = match (&opened.private, sender_owner) {
            (Some(sealed), Some(owner)) => {
                let mine = self.read(|j| match j.acting() {
                    hearth_core::Acting::Person(p) => owner == hearth_core::DeviceOwner::Partner(p),
                    _ => false,
                });
                if mine {
                    Some(unseal(identity, sealed, Part::Private)?)
                } else {
                    None
                }
            }
            _ => None,
        };
        let mut new_counts = [0usize; 2];
        let mut commit = Commit::default();
        {
            let mut st = self.state();
            for (i, (kind, part)) in [
                (DocKind::Shared, Some(bytes)),
                (DocKind::Private, private.as_deref()),
            ]
            .into_iter()
            .enumerate()
            {
                let Some(part) = part.filter(|p| !p.is_empty()) else {
                    continue;
                };
                let (new, stored) = st.absorb(kind, part)?;
                new_counts[i] = new;
                commit.chunks.extend(stored.chunks);
            }
        }
        if new_counts.iter().any(|n| *n > 0) {
            self.stored(&commit);
            self.after_change();
            for (kind, n) in [DocKind::Shared, DocKind::Private]
                .into_iter()
                .zip(new_counts)
            {
                if n > 0 {
                    self.emit(crate::Event::ChangesReceived {
                        peer: header.from.clone(),
                        doc: kind,
                        changes: n,
                    });
                }
            }
        }
        Ok(Imported {
            from: header.from.clone(),
            changes: header.changes,
            new_changes: new_counts[0],
            private_changes: if private.is_some() {
                header.private_changes
            } else {
                0
            },
            new_private_changes: new_counts[1],
        })
    }
}

/// The age recipients of `devices`.
fn age_recipients(devices: &[Device]) -> Result<Vec<age::x25519::Recipient>> {
    devices
        .iter()
        .map(|d| {
            d.age_recipient.parse().map_err(|reason| {
                ChangeFileProblem::BadRecipient {
                    device: d.name.clone(),
                    reason,
                }
                .into()
            })
        })
        .collect()
}

/// The hashes among `have` that `doc` holds (a peer's word may name changes it never saw).
pub(crate) fn held(
    doc: &mut automerge::AutoCommit,
    have: &[automerge::ChangeHash],
) -> Vec<automerge::ChangeHash> {
    have.iter()
        .filter(|h| doc.get_change_by_hash(h).is_some())
        .copied()
        .collect()
}

/// A document's changes after `have` (hashes it does not hold are left out), as bytes to merge,
/// and how many: the whole document saved when nothing is known to be held.
fn changes_after(
    doc: &mut automerge::AutoCommit,
    have: &[automerge::ChangeHash],
) -> (Vec<u8>, usize) {
    let have = held(doc, have);
    if have.is_empty() {
        // Counted from the changes' metadata: the document is saved whole, not change by change.
        let n = doc.get_changes_meta(&[]).len();
        return if n == 0 {
            (Vec::new(), 0)
        } else {
            (doc.save(), n)
        };
    }
    let list = doc.get_changes(&have);
    let bytes = list.iter().flat_map(|c| c.raw_bytes().to_vec()).collect();
    (bytes, list.len())
}

/// Seals `plain` with age to `recipients`.
fn seal(recipients: &[age::x25519::Recipient], plain: &[u8]) -> Result<Vec<u8>> {
    let refs: Vec<&dyn age::Recipient> = recipients
        .iter()
        .map(|r| r as &dyn age::Recipient)
        .collect();
    let enc = age::Encryptor::with_recipients(refs.into_iter()).map_err(ChangeFileProblem::Seal)?;
    let mut out = Vec::new();
    let mut w = enc
        .wrap_output(&mut out)
        .map_err(ChangeFileProblem::Write)?;
    w.write_all(plain).map_err(ChangeFileProblem::Write)?;
    w.finish().map_err(ChangeFileProblem::Write)?;
    Ok(out)
}

/// Opens an age file sealed to `identity`, reading at most [`MAX_CHANGE_FILE`] bytes. `what`
/// names it in errors ("the change file", "its private part").
fn unseal(identity: &age::x25519::Identity, file: &[u8], part: Part) -> Result<Vec<u8>> {
    let dec = age::Decryptor::new_buffered(file)
        .map_err(|source| ChangeFileProblem::NotSealed { part, source })?;
    let reader = dec
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => ChangeFileProblem::ForOthers { part },
            source => ChangeFileProblem::Unopenable { part, source },
        })?;
    let mut plain = Vec::new();
    reader
        .take(MAX_CHANGE_FILE)
        .read_to_end(&mut plain)
        .map_err(|source| ChangeFileProblem::Damaged { part, source })?;
    Ok(plain)
}

/// A change file, unsealed and checked.
#[derive(Clone, Debug)]
pub struct ChangeFile {
    header: Header,
    /// The shared journal's Automerge change bytes it carries.
    pub changes: Vec<u8>,
    /// The private journal's changes, still sealed to the sender's own devices.
    private: Option<Vec<u8>>,
}

impl ChangeFile {
    /// The device that wrote it.
    pub fn from(&self) -> &str {
        &self.header.from
    }

    /// The devices it says it was sealed to (signed with the rest).
    pub fn recipients(&self) -> &[String] {
        &self.header.to
    }

    /// The shared journal's heads on the sender when it sealed the file (those that parse).
    pub fn heads(&self) -> Vec<automerge::ChangeHash> {
        self.header
            .heads
            .iter()
            .filter_map(|h| h.parse().ok())
            .collect()
    }
}

/// Unseals a change file with this device's identity, checks its framing and that it is signed
/// by the device its header names. Membership is not checked and the changes are not applied
/// (see [`Node::import_changes`]).
pub fn open_change_file(identity: &age::x25519::Identity, file: &[u8]) -> Result<ChangeFile> {
    if file.len() as u64 > MAX_CHANGE_FILE {
        return Err(ChangeFileProblem::TooLarge.into());
    }
    let plain = unseal(identity, file, Part::File)?;
    let (signed, domain) = if let Some(rest) = plain.strip_prefix(MAGIC) {
        (rest, SIGNATURE_DOMAIN)
    } else if let Some(rest) = plain.strip_prefix(MAGIC_V2) {
        (rest, SIGNATURE_DOMAIN_V2)
    } else {
        return Err(ChangeFileProblem::NotAChangeFile.into());
    };
    if signed.len() < SIGNATURE_LEN {
        return Err(ChangeFileProblem::CutShort.into());
    }
    let (rest, sig) = signed.split_at(signed.len() - SIGNATURE_LEN);
    let mut signature = [0u8; SIGNATURE_LEN];
    signature.copy_from_slice(sig);
    let nl = rest
        .iter()
        .position(|b| *b == b'\n')
        .ok_or(ChangeFileProblem::NoHeader)?;
    let header: Header =
        serde_json::from_slice(&rest[..nl]).map_err(ChangeFileProblem::BadHeader)?;
    let body = &plain[..plain.len() - SIGNATURE_LEN];
    if !hearth_core::membership::verify_detached(&header.from, domain, body, &signature) {
        return Err(ChangeFileProblem::BadSignature.into());
    }
    let parts = &rest[nl + 1..];
    let (changes, private) = match header.shared_len {
        None => (parts.to_vec(), None),
        Some(shared_len) => {
            if shared_len.checked_add(header.private_len) != Some(parts.len()) {
                return Err(ChangeFileProblem::PartsMismatch.into());
            }
            let (shared, private) = parts.split_at(shared_len);
            (
                shared.to_vec(),
                (!private.is_empty()).then(|| private.to_vec()),
            )
        }
    };
    Ok(ChangeFile {
        header,
        changes,
        private,
    })
}
