//! Change files: the shared journal's changes sealed with age to the partner's devices, for
//! when no live link exists (handed over by any means). Only the shared journal travels this
//! way.
//!
//! A file is a standard age file. Its plaintext is a line `hearth-changes 2`, a JSON line with
//! who made it, the Automerge change bytes, and an ed25519 signature by the sending device over
//! all of that. A receiver checks the signature against the sender the header names and that
//! the sender is a current member (by the signed membership it checked) before it applies
//! anything; the sender it reports is the verified one. (age does not authenticate senders:
//! anyone who knows a device's public recipient can seal a file to it.)

use std::io::{Read, Write};

use automerge::sync;
use hearth_core::{DocKind, DocSlot, Timestamp};
use serde::{Deserialize, Serialize};

use crate::error::{Result, SyncError};
use crate::node::Node;

const MAGIC: &[u8] = b"hearth-changes 2\n";
const SIGNATURE_DOMAIN: &[u8] = b"hearth/changes/2\n";
const SIGNATURE_LEN: usize = 64;
/// The largest change file accepted (well above a ten-year journal).
pub const MAX_CHANGE_FILE: u64 = hearth_core::bound::MAX_DECODED;

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    from: String,
    created: Timestamp,
    changes: usize,
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
}

impl Node {
    /// Seals, for every other member device, the shared journal's changes they lack (as far as
    /// this device knows from past syncs), or all of them with `everything`.
    pub fn export_changes(&self, everything: bool) -> Result<Vec<u8>> {
        let me = self.id().to_string();
        let mut st = self.state();
        let targets: Vec<_> = st
            .journal
            .devices()
            .into_iter()
            .filter(|d| d.endpoint_id != me && d.is_member())
            .collect();
        if targets.is_empty() {
            let others = st
                .journal
                .devices()
                .into_iter()
                .any(|d| d.endpoint_id != me);
            return Err(SyncError::NotAllowed(if others {
                "no other device may receive changes now: the others are revoked or not admitted"
                    .into()
            } else {
                "no other device is paired yet; pair one first".into()
            }));
        }
        let mut recipients: Vec<age::x25519::Recipient> = Vec::new();
        for d in &targets {
            let r = d.age_recipient.parse().map_err(|e| {
                SyncError::ChangeFile(format!(
                    "the device {} has an unusable age recipient: {e}",
                    d.name
                ))
            })?;
            recipients.push(r);
        }
        // Changes after the heads every target is known to hold; none known means everything.
        let mut have: Option<Vec<automerge::ChangeHash>> = None;
        if !everything {
            for d in &targets {
                let heads = st
                    .profile
                    .store()
                    .sync_state(&d.endpoint_id, DocSlot::Shared)
                    .and_then(|b| sync::State::decode(&b).ok())
                    .map(|s| s.shared_heads);
                match heads {
                    Some(h) if have.is_none() => have = Some(h),
                    Some(h) if have.as_ref() == Some(&h) => {}
                    _ => {
                        have = Some(Vec::new());
                        break;
                    }
                }
            }
        }
        let have = have.unwrap_or_default();
        let doc = st.journal.doc_mut(DocKind::Shared);
        let changes = doc.get_changes(&have);
        let header = Header {
            from: me,
            created: Timestamp::now(),
            changes: changes.len(),
        };
        let mut plain = MAGIC.to_vec();
        plain
            .extend(serde_json::to_vec(&header).map_err(|e| SyncError::ChangeFile(e.to_string()))?);
        plain.push(b'\n');
        for c in changes {
            plain.extend_from_slice(c.raw_bytes());
        }
        let seed = st.profile.keys().endpoint_secret();
        drop(st);
        let sig = hearth_core::membership::sign_detached(&seed, SIGNATURE_DOMAIN, &plain);
        plain.extend_from_slice(&sig);
        let refs: Vec<&dyn age::Recipient> = recipients
            .iter()
            .map(|r| r as &dyn age::Recipient)
            .collect();
        let enc = age::Encryptor::with_recipients(refs.into_iter())
            .map_err(|e| SyncError::ChangeFile(format!("could not seal the change file: {e}")))?;
        let mut out = Vec::new();
        let mut w = enc
            .wrap_output(&mut out)
            .map_err(|e| SyncError::ChangeFile(e.to_string()))?;
        w.write_all(&plain)
            .map_err(|e| SyncError::ChangeFile(e.to_string()))?;
        w.finish()
            .map_err(|e| SyncError::ChangeFile(e.to_string()))?;
        Ok(out)
    }

    /// Opens a change file sealed for this device and merges its changes. A file for another
    /// device, a damaged file or one that is not a change file is refused and changes nothing.
    pub fn import_changes(&self, file: &[u8]) -> Result<Imported> {
        let identity = self.profile(|p| p.keys().age_identity().clone());
        let opened = open_change_file(&identity, file)?;
        let (header, bytes) = (&opened.header, opened.changes.as_slice());
        let sender = self.read(|j| j.device(&header.from));
        match sender {
            Some(d) if d.is_member() => {}
            Some(d) => {
                return Err(SyncError::ChangeFile(format!(
                    "this change file comes from {}, which is not a member of this journal ({}); \
                     nothing was brought in",
                    d.name,
                    match d.standing {
                        hearth_core::membership::Standing::Revoked { .. } => "revoked".to_owned(),
                        hearth_core::membership::Standing::Unverified { reason } => reason,
                        hearth_core::membership::Standing::Member => String::new(),
                    }
                )));
            }
            None => {
                return Err(SyncError::ChangeFile(
                    "this change file comes from a device this journal does not know; nothing \
                     was brought in"
                        .into(),
                ));
            }
        }
        let (new_changes, due) = {
            let mut st = self.state();
            let before = st.journal.heads(DocKind::Shared);
            if !bytes.is_empty() {
                st.journal.apply(DocKind::Shared, bytes)?;
            }
            let doc = st.journal.doc_mut(DocKind::Shared);
            let n = doc.get_changes(&before).len();
            let due = crate::node::persist_merged(&mut st, DocKind::Shared, bytes.len())?;
            (n, due)
        };
        if new_changes > 0 {
            self.stored(due);
            self.after_change();
        }
        Ok(Imported {
            from: header.from.clone(),
            changes: header.changes,
            new_changes,
        })
    }
}

/// A change file, unsealed and checked.
#[derive(Debug)]
pub struct ChangeFile {
    header: Header,
    /// The Automerge change bytes it carries.
    pub changes: Vec<u8>,
}

impl ChangeFile {
    /// The device that wrote it.
    pub fn from(&self) -> &str {
        &self.header.from
    }
}

/// Unseals a change file with this device's identity, checks its framing and that it is signed
/// by the device its header names. Membership is not checked and the changes are not applied
/// (see [`Node::import_changes`]).
pub fn open_change_file(identity: &age::x25519::Identity, file: &[u8]) -> Result<ChangeFile> {
    if file.len() as u64 > MAX_CHANGE_FILE {
        return Err(SyncError::ChangeFile(
            "the file is too large to be a change file".into(),
        ));
    }
    let dec = age::Decryptor::new_buffered(file).map_err(|e| {
        SyncError::ChangeFile(format!("this is not a sealed Hearth change file ({e})"))
    })?;
    let reader = dec
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => SyncError::ChangeFile(
                "this change file is sealed for other devices, not this one".into(),
            ),
            other => SyncError::ChangeFile(format!("the change file could not be opened: {other}")),
        })?;
    let mut plain = Vec::new();
    reader
        .take(MAX_CHANGE_FILE)
        .read_to_end(&mut plain)
        .map_err(|e| {
            SyncError::ChangeFile(format!("the change file is damaged or cut short: {e}"))
        })?;
    let signed = plain.strip_prefix(MAGIC).ok_or_else(|| {
        SyncError::ChangeFile(
            "the file opened but is not a Hearth change file (or one from an older version)".into(),
        )
    })?;
    if signed.len() < SIGNATURE_LEN {
        return Err(SyncError::ChangeFile("the change file is cut short".into()));
    }
    let (rest, sig) = signed.split_at(signed.len() - SIGNATURE_LEN);
    let mut signature = [0u8; SIGNATURE_LEN];
    signature.copy_from_slice(sig);
    let nl = rest
        .iter()
        .position(|b| *b == b'\n')
        .ok_or_else(|| SyncError::ChangeFile("the change file's header is damaged".into()))?;
    let header: Header = serde_json::from_slice(&rest[..nl])
        .map_err(|e| SyncError::ChangeFile(format!("the change file's header is damaged: {e}")))?;
    let body = &plain[..plain.len() - SIGNATURE_LEN];
    if !hearth_core::membership::verify_detached(&header.from, SIGNATURE_DOMAIN, body, &signature) {
        return Err(SyncError::ChangeFile(
            "the change file's signature does not match the device it names; it was not made by \
             that device, so nothing was brought in"
                .into(),
        ));
    }
    Ok(ChangeFile {
        header,
        changes: rest[nl + 1..].to_vec(),
    })
}
