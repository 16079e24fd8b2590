//! The device's keys, and the key file that keeps them.
//!
//! A device has three secrets, generated once and kept in one key file in its profile:
//!
//! - a 32-byte ed25519 secret key seed: the device's iroh endpoint identity (the sync crate turns
//!   it into an `iroh::SecretKey`; this crate does not depend on iroh);
//! - an age x25519 identity: everything the device stores is sealed to its recipient, and
//!   partners seal change bundles to it;
//! - a random 16-byte Automerge actor id, so every change this device makes carries one actor.
//!
//! The key file is a small versioned JSON document, written with owner-only permissions
//! (`0600`) through a temporary file and a rename, so a crash never leaves half a key. It may be
//! sealed with a passphrase (age scrypt); the sealed file is a standard age file that
//! `age -d device.key` opens.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use age::secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use crate::profile::files;

pub use age::secrecy::SecretString;

/// The key file format this version writes and the newest it reads.
pub const KEY_FILE_FORMAT: u32 = 1;

/// How every age file starts; a key file that starts otherwise is plain JSON.
const AGE_MAGIC: &[u8] = b"age-encryption.org/";

/// The keys of this device. `Debug` shows only public parts.
#[derive(Clone)]
pub struct DeviceKeys {
    endpoint_secret: [u8; 32],
    age: age::x25519::Identity,
    actor_id: [u8; 16],
}

/// How a key file is sealed when a passphrase is given.
///
/// The default lets age pick the scrypt work factor (about one second on this machine). Tests
/// and very slow boards may choose a smaller one; each step down halves the cost of guessing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeySealing {
    /// scrypt work factor as log2(N), 1..=63; `None` lets age tune it to about one second.
    pub work_factor: Option<u8>,
}

impl KeySealing {
    /// Sealing with a fixed scrypt work factor (log2(N), 1..=63).
    pub fn with_work_factor(work_factor: u8) -> Self {
        KeySealing {
            work_factor: Some(work_factor),
        }
    }
}

/// What can go wrong with the key file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The passphrase did not open the key file.
    #[error(
        "wrong passphrase for the key file at {}; check HEARTH_PASSPHRASE or type it again",
        path.display()
    )]
    WrongPassphrase {
        /// The key file.
        path: PathBuf,
    },
    /// The key file is sealed and no passphrase was given.
    #[error(
        "the key file at {} is sealed with a passphrase; set HEARTH_PASSPHRASE or enter it when asked",
        path.display()
    )]
    PassphraseRequired {
        /// The key file.
        path: PathBuf,
    },
    /// The key file exists but cannot be read as one.
    #[error(
        "the key file at {} is damaged ({detail}); without it this device's journal cannot be \
         opened: restore a backup into a new profile with `hearth restore`, or pair this device again",
        path.display()
    )]
    Damaged {
        /// The key file.
        path: PathBuf,
        /// What was wrong with it.
        detail: String,
    },
    /// The key file was written by a newer version of Hearth.
    #[error(
        "the key file at {} has format {found}, made by a newer Hearth (this one reads up to \
         {KEY_FILE_FORMAT}); upgrade Hearth",
        path.display()
    )]
    NewerFormat {
        /// The key file.
        path: PathBuf,
        /// The format found in the file.
        found: u64,
    },
    /// The key file asks for more scrypt work than this machine accepts.
    #[error(
        "the key file at {} was sealed with scrypt work factor {required}, too costly to open on \
         this machine; open it on the device that sealed it and seal it again with a lower one",
        path.display()
    )]
    TooCostly {
        /// The key file.
        path: PathBuf,
        /// The work factor the file asks for.
        required: u8,
    },
    /// There is no key file.
    #[error("there is no key file at {}; create a profile first", path.display())]
    Missing {
        /// Where the key file was expected.
        path: PathBuf,
    },
    /// A key file is already there and would be replaced.
    #[error(
        "a key file already exists at {}; it was left as it is",
        path.display()
    )]
    AlreadyExists {
        /// The key file.
        path: PathBuf,
    },
    /// The scrypt work factor is out of range.
    #[error("scrypt work factor {0} is out of range; use 1 to 63")]
    InvalidWorkFactor(u8),
    /// Sealing failed.
    #[error("could not seal the key file: {0}")]
    Seal(#[source] SealError),
    /// Reading or writing the key file failed.
    #[error(
        "could not read or write the key file at {}: {source}; check permissions and free disk space",
        path.display()
    )]
    Io {
        /// The key file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl DeviceKeys {
    /// Fresh random keys for a new device.
    pub fn generate() -> Self {
        let mut endpoint_secret = [0u8; 32];
        rand::fill(&mut endpoint_secret);
        let mut actor_id = [0u8; 16];
        rand::fill(&mut actor_id);
        DeviceKeys {
            endpoint_secret,
            age: age::x25519::Identity::generate(),
            actor_id,
        }
    }

    /// The ed25519 secret key seed of the device's iroh endpoint
    /// (`iroh::SecretKey::from_bytes`).
    pub fn endpoint_secret(&self) -> [u8; 32] {
        self.endpoint_secret
    }

    /// The age identity that opens everything sealed to this device.
    pub fn age_identity(&self) -> &age::x25519::Identity {
        &self.age
    }

    /// The age recipient others seal to for this device.
    pub fn age_recipient(&self) -> age::x25519::Recipient {
        self.age.to_public()
    }

    /// The age recipient in its standard `age1...` form.
    pub fn recipient_string(&self) -> String {
        self.age.to_public().to_string()
    }

    /// This device's Automerge actor id (`automerge::ActorId::from(keys.actor_id())`).
    pub fn actor_id(&self) -> [u8; 16] {
        self.actor_id
    }

    /// Whether the key file at `path` is sealed with a passphrase, so a caller knows whether to
    /// ask for one before [`DeviceKeys::read`].
    pub fn is_sealed(path: &Path) -> Result<bool, KeyError> {
        let mut head = [0u8; AGE_MAGIC.len()];
        let mut file = std::fs::File::open(path).map_err(|e| io_error(path, e))?;
        let mut filled = 0;
        while filled < head.len() {
            let n = file
                .read(&mut head[filled..])
                .map_err(|e| io_error(path, e))?;
            if n == 0 {
                break;
            }
            filled += n;
        }
        Ok(head[..filled] == *AGE_MAGIC)
    }

    /// Reads the key file at `path`, opening it with `passphrase` if it is sealed. A passphrase
    /// given for an unsealed file is not needed and is ignored.
    pub fn read(path: &Path, passphrase: Option<&SecretString>) -> Result<Self, KeyError> {
        let bytes = std::fs::read(path).map_err(|e| io_error(path, e))?;
        if bytes.starts_with(AGE_MAGIC) {
            let Some(passphrase) = passphrase else {
                return Err(KeyError::PassphraseRequired {
                    path: path.to_owned(),
                });
            };
            let plain = unseal(path, &bytes, passphrase)?;
            Self::decode(path, &plain)
        } else {
            Self::decode(path, &bytes)
        }
    }

    /// Writes a new key file at `path`, sealed with `passphrase` if one is given. Refuses to
    /// replace an existing file.
    pub fn write_new(
        &self,
        path: &Path,
        passphrase: Option<&SecretString>,
        sealing: KeySealing,
    ) -> Result<(), KeyError> {
        let bytes = self.encode(passphrase, sealing)?;
        files::write_atomic(path, &bytes, false).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                KeyError::AlreadyExists {
                    path: path.to_owned(),
                }
            } else {
                io_error(path, e)
            }
        })
    }

    /// Replaces the key file at `path` in one step (to set, change or remove its passphrase).
    /// A reader sees the old file or the new one, never a mix.
    pub fn replace(
        &self,
        path: &Path,
        passphrase: Option<&SecretString>,
        sealing: KeySealing,
    ) -> Result<(), KeyError> {
        let bytes = self.encode(passphrase, sealing)?;
        files::write_atomic(path, &bytes, true).map_err(|e| io_error(path, e))
    }

    /// The key file's bytes: JSON, sealed with age scrypt when a passphrase is given.
    fn encode(
        &self,
        passphrase: Option<&SecretString>,
        sealing: KeySealing,
    ) -> Result<Vec<u8>, KeyError> {
        let file = KeyFile {
            format: u64::from(KEY_FILE_FORMAT),
            endpoint_secret: hex_encode(&self.endpoint_secret),
            age_identity: self.age.to_string().expose_secret().to_owned(),
            actor_id: hex_encode(&self.actor_id),
        };
        let mut json =
            serde_json::to_vec_pretty(&file).map_err(|e| KeyError::Seal(SealError::Encode(e)))?;
        json.push(b'\n');
        match passphrase {
            None => Ok(json),
            Some(passphrase) => seal_with_passphrase(passphrase, sealing.work_factor, &json),
        }
    }

    fn decode(path: &Path, bytes: &[u8]) -> Result<Self, KeyError> {
        let damaged = |detail: String| KeyError::Damaged {
            path: path.to_owned(),
            detail,
        };
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|e| damaged(format!("not valid JSON: {e}")))?;
        let format = value
            .get("format")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| damaged("no format version".to_owned()))?;
        if format > u64::from(KEY_FILE_FORMAT) {
            return Err(KeyError::NewerFormat {
                path: path.to_owned(),
                found: format,
            });
        }
        let file: KeyFile =
            serde_json::from_value(value).map_err(|e| damaged(format!("missing field: {e}")))?;
        let endpoint_secret = hex_decode::<32>(&file.endpoint_secret)
            .ok_or_else(|| damaged("the endpoint secret is not 32 hex-encoded bytes".to_owned()))?;
        let actor_id = hex_decode::<16>(&file.actor_id)
            .ok_or_else(|| damaged("the actor id is not 16 hex-encoded bytes".to_owned()))?;
        let age = age::x25519::Identity::from_str(&file.age_identity)
            .map_err(|_| damaged("the age identity does not parse".to_owned()))?;
        Ok(DeviceKeys {
            endpoint_secret,
            age,
            actor_id,
        })
    }
}

impl fmt::Debug for DeviceKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceKeys")
            .field("endpoint_secret", &"<redacted>")
            .field("age_identity", &"<redacted>")
            .field("age_recipient", &self.recipient_string())
            .field("actor_id", &hex_encode(&self.actor_id))
            .finish()
    }
}

/// The key file's JSON form.
#[derive(Serialize, Deserialize)]
struct KeyFile {
    format: u64,
    endpoint_secret: String,
    age_identity: String,
    actor_id: String,
}

/// An age scrypt recipient for `passphrase`, with the work factor fixed if one is given.
pub(crate) fn scrypt_recipient(
    passphrase: &SecretString,
    work_factor: Option<u8>,
) -> Result<age::scrypt::Recipient, KeyError> {
    let mut recipient = age::scrypt::Recipient::new(passphrase.clone());
    if let Some(work_factor) = work_factor {
        if !(1..64).contains(&work_factor) {
            return Err(KeyError::InvalidWorkFactor(work_factor));
        }
        recipient.set_work_factor(work_factor);
    }
    Ok(recipient)
}

/// Why sealing with age failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// age refused the recipients.
    #[error("{0}")]
    Encrypt(#[from] age::EncryptError),
    /// Writing the sealed bytes failed.
    #[error("{0}")]
    Write(#[from] std::io::Error),
    /// What was to be sealed could not be encoded.
    #[error("{0}")]
    Encode(#[from] serde_json::Error),
    /// The passphrase could not become a recipient.
    #[error("{0}")]
    Passphrase(#[source] Box<KeyError>),
}

fn seal_with_passphrase(
    passphrase: &SecretString,
    work_factor: Option<u8>,
    plain: &[u8],
) -> Result<Vec<u8>, KeyError> {
    let recipient = scrypt_recipient(passphrase, work_factor)?;
    let seal = |e: SealError| KeyError::Seal(e);
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| seal(e.into()))?;
    let mut out = Vec::with_capacity(plain.len() + 256);
    let mut writer = encryptor
        .wrap_output(&mut out)
        .map_err(|e| seal(e.into()))?;
    writer.write_all(plain).map_err(|e| seal(e.into()))?;
    writer.finish().map_err(|e| seal(e.into()))?;
    Ok(out)
}

fn unseal(path: &Path, bytes: &[u8], passphrase: &SecretString) -> Result<Vec<u8>, KeyError> {
    let damaged = |detail: String| KeyError::Damaged {
        path: path.to_owned(),
        detail,
    };
    let decryptor = age::Decryptor::new_buffered(bytes)
        .map_err(|e| damaged(format!("unreadable age header: {e}")))?;
    if !decryptor.is_scrypt() {
        return Err(damaged(
            "it is sealed to a key rather than a passphrase".to_owned(),
        ));
    }
    let identity = age::scrypt::Identity::new(passphrase.clone());
    let mut reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                KeyError::WrongPassphrase {
                    path: path.to_owned(),
                }
            }
            age::DecryptError::ExcessiveWork { required, .. } => KeyError::TooCostly {
                path: path.to_owned(),
                required,
            },
            other => damaged(other.to_string()),
        })?;
    let mut plain = Vec::new();
    reader
        .read_to_end(&mut plain)
        .map_err(|e| damaged(format!("truncated or altered: {e}")))?;
    Ok(plain)
}

fn io_error(path: &Path, source: std::io::Error) -> KeyError {
    if source.kind() == std::io::ErrorKind::NotFound {
        KeyError::Missing {
            path: path.to_owned(),
        }
    } else {
        KeyError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// Lower-case hex of `bytes` (endpoint ids, actor ids).
pub fn hex(bytes: &[u8]) -> String {
    hex_encode(bytes)
}

pub(crate) fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    out
}

fn hex_decode<const N: usize>(text: &str) -> Option<[u8; N]> {
    hex_decode_vec(text)?.try_into().ok()
}

pub(crate) fn hex_decode_vec(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    };
    text.chunks_exact(2)
        .map(|pair| Some((digit(pair[0])? << 4) | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn debug_shows_no_secrets() {
        let keys = DeviceKeys::generate();
        let shown = format!("{keys:?}");
        assert!(shown.contains(&keys.recipient_string()));
        assert!(!shown.contains(&hex_encode(&keys.endpoint_secret())));
        assert!(!shown.contains("AGE-SECRET-KEY"));
    }

    #[test]
    fn generated_keys_differ() {
        let a = DeviceKeys::generate();
        let b = DeviceKeys::generate();
        assert_ne!(a.endpoint_secret(), b.endpoint_secret());
        assert_ne!(a.actor_id(), b.actor_id());
        assert_ne!(a.recipient_string(), b.recipient_string());
    }

    #[test]
    fn hex_round_trip_and_rejects_bad_input() {
        let bytes = [0u8, 1, 0x7f, 0x80, 0xff, 0xab];
        assert_eq!(hex_decode::<6>(&hex_encode(&bytes)), Some(bytes));
        assert_eq!(hex_decode::<2>("abc"), None);
        assert_eq!(hex_decode::<2>("zz00"), None);
    }

    #[test]
    fn damaged_and_newer_files_are_refused() {
        let dir = temp();
        let path = dir.path().join("device.key");
        for (content, want_newer) in [
            (&b"{not json"[..], false),
            (br#"{"format":1,"endpoint_secret":"00"}"#, false),
            (
                br#"{"format":1,"endpoint_secret":"zz","age_identity":"x","actor_id":"00"}"#,
                false,
            ),
            (br#"{"format":9,"whatever":true}"#, true),
            (b"", false),
        ] {
            std::fs::write(&path, content).unwrap();
            let err = DeviceKeys::read(&path, None).unwrap_err();
            match err {
                KeyError::NewerFormat { found: 9, .. } => assert!(want_newer),
                KeyError::Damaged { .. } => assert!(!want_newer),
                other => panic!("unexpected error: {other}"),
            }
        }
    }

    #[test]
    fn bad_work_factor_is_an_error() {
        let pass = SecretString::from("pw");
        assert!(matches!(
            scrypt_recipient(&pass, Some(0)),
            Err(KeyError::InvalidWorkFactor(0))
        ));
        assert!(matches!(
            scrypt_recipient(&pass, Some(64)),
            Err(KeyError::InvalidWorkFactor(64))
        ));
    }
}
