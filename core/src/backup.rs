//! Backups: one standard age file sealed with a passphrase (age scrypt), whose plaintext is a
//! tar archive of
//!
//! - `manifest.json`: the backup's format, when it was made, on which device, for whom
//!   ([`Manifest`]);
//! - `journal.automerge`: the shared journal, an Automerge document (`save()` bytes);
//! - `private.automerge`: this person's private journal, if there is one.
//!
//! A home display's backup holds what the display holds, and nothing else: `manifest.json` and
//! `wall.automerge`, its wall document (see [`crate::WallContents`]).
//!
//! Nothing here is specific to Hearth's code: `age -d backup.age | tar -x` unpacks a backup
//! (the `age` command line asks for the passphrase on the terminal), and any Automerge
//! implementation reads the documents.
//!
//! [`read`] refuses, with a clear error, a wrong passphrase, a truncated or altered file, a file
//! that is not an age file or not a Hearth backup, and a backup made by a newer Hearth. It checks
//! that the documents load before returning them. [`crate::Profile::restore`] and
//! [`crate::Profile::merge_backup`] put a backup into a profile.

use std::io::{self, Read, Write};

use age::secrecy::SecretString;
use automerge::AutoCommit;
use serde::{Deserialize, Serialize};

use crate::keys::{self, KeyError};

/// The backup format this version writes and the newest it reads.
pub const FORMAT: u32 = 1;
/// The manifest's name in the archive.
pub const MANIFEST_NAME: &str = "manifest.json";
/// The shared journal's name in the archive.
pub const JOURNAL_NAME: &str = "journal.automerge";
/// The private journal's name in the archive.
pub const PRIVATE_NAME: &str = "private.automerge";
/// A home display's wall document's name in the archive.
pub const WALL_NAME: &str = "wall.automerge";
/// The manifest field naming the journal's founder (its endpoint id).
pub const FOUNDER_KEY: &str = "founder";
/// The manifest field naming the device the backup was made on (its endpoint id).
pub const DEVICE_KEY: &str = "device";

/// The largest member a backup may hold; more is not a Hearth backup. A document decodes to at
/// least its own length, and no more than [`crate::bound::MAX_DECODED`] is accepted, so a larger
/// member would be refused anyway: refusing it before reading it keeps the memory bounded.
const MAX_MEMBER_BYTES: u64 = crate::bound::MAX_DECODED;
/// The most a member's buffer reserves before its bytes arrive: the size comes from the tar
/// header, which a tiny file can set to anything.
const MEMBER_PREALLOCATE: u64 = 1 << 20;
const AGE_MAGIC: &[u8] = b"age-encryption.org/";

/// What a backup says about itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The backup format ([`FORMAT`]).
    pub format: u32,
    /// When the backup was made (RFC 3339 in the file).
    pub created: chrono::DateTime<chrono::Utc>,
    /// The device that made it.
    pub device_name: String,
    /// The partners' display names, to help pick the right backup.
    #[serde(default)]
    pub partner_names: Vec<String>,
    /// Fields written by a newer version, kept as they are.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Manifest {
    /// A manifest of the current format.
    pub fn new(
        created: chrono::DateTime<chrono::Utc>,
        device_name: impl Into<String>,
        partner_names: Vec<String>,
    ) -> Self {
        Manifest {
            format: FORMAT,
            created,
            device_name: device_name.into(),
            partner_names,
            extra: serde_json::Map::new(),
        }
    }
}

/// A backup's contents, checked.
#[derive(Debug, Clone)]
pub struct Backup {
    /// What the backup says about itself.
    pub manifest: Manifest,
    /// The shared journal's `save()` bytes; they load.
    pub shared: Vec<u8>,
    /// The private journal's `save()` bytes, if the backup has them; they load.
    pub private: Option<Vec<u8>>,
    /// A home display's backup: `shared` holds its wall document (`wall.automerge`), and there
    /// is no private journal.
    pub display: bool,
}

impl Backup {
    /// The archive name of what `shared` holds.
    pub fn shared_name(&self) -> &'static str {
        if self.display {
            WALL_NAME
        } else {
            JOURNAL_NAME
        }
    }
}

/// What can go wrong making or reading a backup.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackupError {
    /// The file is not an age file.
    #[error("this file is not an age file, so it is not a Hearth backup; check the file name")]
    NotAgeFile,
    /// The age file is sealed to keys rather than a passphrase.
    #[error(
        "this age file is sealed to a key, not a passphrase, so it is not a Hearth backup; \
         check the file name"
    )]
    NotPassphraseSealed,
    /// The passphrase did not open the backup. A damaged salt or sealed key in the header
    /// looks the same to the cryptography as a wrong passphrase, so both are named.
    #[error(
        "wrong passphrase, or a damaged header: this passphrase does not open the backup. Check \
         it and try again; if it is surely the right one, the start of the file is damaged (use \
         another copy of the backup)"
    )]
    WrongPassphrase,
    /// The backup's header (its first lines, where the passphrase's salt and the sealed key
    /// are) is damaged: a line of it is malformed, or the passphrase opened it but the header's
    /// checksum fails. Not a matter of the passphrase.
    #[error(
        "the backup's header is damaged ({detail}); the passphrase is not the problem. Use \
         another copy of the backup"
    )]
    DamagedHeader {
        /// What was found wrong.
        detail: String,
    },
    /// The file ends early or was altered.
    #[error("the backup is truncated or damaged ({detail}); use another copy of it")]
    Truncated {
        /// What was found wrong.
        detail: String,
    },
    /// The age file opens but does not hold a Hearth backup.
    #[error("this age file is not a Hearth backup ({detail}); check the file name")]
    NotHearthBackup {
        /// What is missing or wrong.
        detail: String,
    },
    /// The backup was made by a newer version.
    #[error(
        "this backup was made by a newer Hearth (backup format {found}, this one reads up to \
         {FORMAT}); upgrade Hearth to restore it"
    )]
    NewerFormat {
        /// The format found.
        found: u64,
    },
    /// The backup asks for more scrypt work than this machine accepts.
    #[error(
        "the backup was sealed with scrypt work factor {required}, too costly for this machine; \
         restore it on a faster one"
    )]
    TooCostly {
        /// The work factor the file asks for.
        required: u8,
    },
    /// A document in the backup does not load.
    #[error(
        "the backup's {name} does not load as an Automerge document ({detail}); use another copy \
         of the backup"
    )]
    InvalidJournal {
        /// The member's name.
        name: &'static str,
        /// What failed.
        detail: String,
    },
    /// A document in the backup would decode (inflate) to more than a device may hold at once;
    /// it was refused before Automerge read it.
    #[error(
        "the backup's {name} was refused: {source}; it was not made by Hearth, use another copy \
         of the backup"
    )]
    TooLarge {
        /// The member's name.
        name: &'static str,
        /// The sizes found.
        source: crate::bound::InflationError,
    },
    /// The scrypt work factor is out of range.
    #[error("scrypt work factor {0} is out of range; use 1 to 63")]
    InvalidWorkFactor(u8),
    /// Writing the backup failed.
    #[error("could not write the backup: {0}; check free disk space and permissions")]
    Write(#[source] io::Error),
    /// Sealing failed.
    #[error("could not seal the backup: {0}")]
    Seal(#[source] crate::keys::SealError),
}

/// Writes a backup to `out`: an age file sealed with `passphrase` holding a tar of the manifest,
/// `shared` (the shared journal's `save()` bytes) and `private` if given. `work_factor` fixes the
/// scrypt work factor (log2(N)); `None` lets age pick about one second on this machine.
///
/// Returns `out` once everything is written; a file should then be synced (`File::sync_all`).
pub fn write<W: Write>(
    out: W,
    passphrase: &SecretString,
    manifest: &Manifest,
    shared: &[u8],
    private: Option<&[u8]>,
    work_factor: Option<u8>,
) -> Result<W, BackupError> {
    let mut members = vec![(JOURNAL_NAME, shared)];
    if let Some(private) = private {
        members.push((PRIVATE_NAME, private));
    }
    write_members(out, passphrase, manifest, &members, work_factor)
}

/// Writes a home display's backup: `wall` (its wall document's `save()` bytes) alone.
pub fn write_wall<W: Write>(
    out: W,
    passphrase: &SecretString,
    manifest: &Manifest,
    wall: &[u8],
    work_factor: Option<u8>,
) -> Result<W, BackupError> {
    write_members(out, passphrase, manifest, &[(WALL_NAME, wall)], work_factor)
}

fn write_members<W: Write>(
    out: W,
    passphrase: &SecretString,
    manifest: &Manifest,
    members: &[(&str, &[u8])],
    work_factor: Option<u8>,
) -> Result<W, BackupError> {
    let recipient = keys::scrypt_recipient(passphrase, work_factor).map_err(|e| match e {
        KeyError::InvalidWorkFactor(factor) => BackupError::InvalidWorkFactor(factor),
        other => BackupError::Seal(crate::keys::SealError::Passphrase(Box::new(other))),
    })?;
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| BackupError::Seal(e.into()))?;
    let manifest_json =
        serde_json::to_vec_pretty(manifest).map_err(|e| BackupError::Seal(e.into()))?;
    let mtime = u64::try_from(manifest.created.timestamp()).unwrap_or(0);

    let sealed = encryptor.wrap_output(out).map_err(BackupError::Write)?;
    let mut archive = tar::Builder::new(sealed);
    append_member(&mut archive, MANIFEST_NAME, &manifest_json, mtime)
        .map_err(BackupError::Write)?;
    for (name, bytes) in members {
        append_member(&mut archive, name, bytes, mtime).map_err(BackupError::Write)?;
    }
    let sealed = archive.into_inner().map_err(BackupError::Write)?;
    // Without finish the age file would end early and never open.
    sealed.finish().map_err(BackupError::Write)
}

fn append_member<W: Write>(
    archive: &mut tar::Builder<W>,
    name: &str,
    data: &[u8],
    mtime: u64,
) -> io::Result<()> {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(u64::try_from(data.len()).unwrap_or(u64::MAX));
    header.set_mode(0o600);
    header.set_mtime(mtime);
    archive.append_data(&mut header, name, data)
}

/// Reads and checks a backup sealed with `passphrase`.
pub fn read<R: Read>(input: R, passphrase: &SecretString) -> Result<Backup, BackupError> {
    let mut input = Tracked::new(input);
    let decryptor = match age::Decryptor::new(&mut input) {
        Ok(decryptor) => decryptor,
        Err(e) => {
            return Err(if input.prefix.starts_with(AGE_MAGIC) {
                BackupError::Truncated {
                    detail: format!("unreadable age header: {e}"),
                }
            } else {
                BackupError::NotAgeFile
            });
        }
    };
    if !decryptor.is_scrypt() {
        return Err(BackupError::NotPassphraseSealed);
    }
    let identity = age::scrypt::Identity::new(passphrase.clone());
    let plain = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed => BackupError::WrongPassphrase,
            age::DecryptError::InvalidHeader | age::DecryptError::InvalidMac => {
                BackupError::DamagedHeader {
                    detail: e.to_string(),
                }
            }
            age::DecryptError::NoMatchingKeys => BackupError::NotPassphraseSealed,
            age::DecryptError::ExcessiveWork { required, .. } => {
                BackupError::TooCostly { required }
            }
            other => BackupError::Truncated {
                detail: other.to_string(),
            },
        })?;
    let mut plain = Tracked::new(plain);
    let members = read_members(&mut plain).map_err(|detail| match plain.failure.take() {
        Some(age_error) => BackupError::Truncated { detail: age_error },
        None => BackupError::NotHearthBackup { detail },
    })?;
    // Read to the end, so the last chunk's authentication is checked too.
    if let Err(e) = io::copy(&mut plain, &mut io::sink()) {
        return Err(BackupError::Truncated {
            detail: e.to_string(),
        });
    }
    check_members(members)
}

#[derive(Default)]
struct Members {
    manifest: Option<Vec<u8>>,
    shared: Option<Vec<u8>>,
    private: Option<Vec<u8>>,
    wall: Option<Vec<u8>>,
}

fn read_members(plain: &mut impl Read) -> Result<Members, String> {
    let mut archive = tar::Archive::new(plain);
    let mut members = Members::default();
    let entries = archive
        .entries()
        .map_err(|e| format!("not a tar archive: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("not a tar archive: {e}"))?;
        let path = entry
            .path()
            .map_err(|e| format!("a member has an unreadable name: {e}"))?
            .to_string_lossy()
            .into_owned();
        let slot = match path.trim_start_matches("./") {
            MANIFEST_NAME => &mut members.manifest,
            JOURNAL_NAME => &mut members.shared,
            PRIVATE_NAME => &mut members.private,
            WALL_NAME => &mut members.wall,
            _ => continue,
        };
        if slot.is_some() {
            return Err(format!("{path} appears twice"));
        }
        let size = entry.header().size().unwrap_or(u64::MAX);
        if size > MAX_MEMBER_BYTES {
            return Err(format!("{path} is implausibly large ({size} bytes)"));
        }
        let mut bytes =
            Vec::with_capacity(usize::try_from(size.min(MEMBER_PREALLOCATE)).unwrap_or(0));
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{path} is cut short: {e}"))?;
        *slot = Some(bytes);
    }
    Ok(members)
}

fn check_members(members: Members) -> Result<Backup, BackupError> {
    let not_backup = |detail: &str| BackupError::NotHearthBackup {
        detail: detail.to_owned(),
    };
    let manifest = members
        .manifest
        .ok_or_else(|| not_backup("it has no manifest.json"))?;
    let value: serde_json::Value = serde_json::from_slice(&manifest)
        .map_err(|_| not_backup("its manifest.json is not JSON"))?;
    let format = value
        .get("format")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| not_backup("its manifest.json has no format"))?;
    if format > u64::from(FORMAT) {
        return Err(BackupError::NewerFormat { found: format });
    }
    let manifest: Manifest =
        serde_json::from_value(value).map_err(|e| BackupError::NotHearthBackup {
            detail: format!("its manifest.json is not a Hearth manifest: {e}"),
        })?;
    if let (None, Some(wall), None) = (&members.shared, &members.wall, &members.private) {
        check_document(WALL_NAME, wall)?;
        return Ok(Backup {
            manifest,
            shared: wall.clone(),
            private: None,
            display: true,
        });
    }
    let shared = members
        .shared
        .ok_or_else(|| not_backup("it has no journal.automerge"))?;
    check_document(JOURNAL_NAME, &shared)?;
    if let Some(private) = &members.private {
        check_document(PRIVATE_NAME, private)?;
    }
    Ok(Backup {
        manifest,
        shared,
        private: members.private,
        display: false,
    })
}

/// Checks that `bytes` load as a complete Automerge document, after measuring how large they
/// inflate to: a backup is a file from anywhere, and Automerge inflates without a bound.
pub(crate) fn check_document(name: &'static str, bytes: &[u8]) -> Result<(), BackupError> {
    let invalid = |detail: String| BackupError::InvalidJournal { name, detail };
    check_size(name, bytes)?;
    let mut doc = AutoCommit::load(bytes).map_err(|e| invalid(e.to_string()))?;
    if !doc.get_missing_deps(&[]).is_empty() {
        return Err(invalid("it refers to changes it does not hold".to_owned()));
    }
    Ok(())
}

/// Measures `bytes` (a backup member) against [`crate::bound::MAX_DECODED`].
pub(crate) fn check_size(name: &'static str, bytes: &[u8]) -> Result<(), BackupError> {
    match crate::bound::decoded_size(bytes) {
        Ok(_) => Ok(()),
        Err(e @ crate::bound::InflationError::Malformed { .. }) => {
            Err(BackupError::InvalidJournal {
                name,
                detail: e.to_string(),
            })
        }
        Err(source) => Err(BackupError::TooLarge { name, source }),
    }
}

/// A reader that remembers its first bytes and its first error, to tell "not an age file" from
/// "an age file cut short", and a damaged age stream from a plaintext that is not a tar.
struct Tracked<R> {
    inner: R,
    prefix: Vec<u8>,
    failure: Option<String>,
}

impl<R> Tracked<R> {
    fn new(inner: R) -> Self {
        Tracked {
            inner,
            prefix: Vec::new(),
            failure: None,
        }
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                let room = AGE_MAGIC.len().saturating_sub(self.prefix.len());
                self.prefix.extend_from_slice(&buf[..n.min(room)]);
                Ok(n)
            }
            Err(e) => {
                if self.failure.is_none() && e.kind() != io::ErrorKind::Interrupted {
                    self.failure = Some(e.to_string());
                }
                Err(e)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest::new(chrono::DateTime::UNIX_EPOCH, "kitchen", vec!["A".into()])
    }

    #[test]
    fn unknown_manifest_fields_survive() {
        let mut m = manifest();
        m.extra.insert("later".into(), serde_json::json!({"x": 1}));
        let json = serde_json::to_string(&m).unwrap();
        let back: Manifest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, m);
        assert!(json.contains("1970-01-01T00:00:00Z"), "{json}");
    }

    #[test]
    fn tracked_reader_records_prefix_and_failure() {
        let mut tracked = Tracked::new(&b"age-encryption.org/v1 and more"[..]);
        let mut sink = Vec::new();
        tracked.read_to_end(&mut sink).unwrap();
        assert_eq!(tracked.prefix, AGE_MAGIC);
        assert!(tracked.failure.is_none());
    }
}
