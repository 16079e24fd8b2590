//! Sealing of every value the store writes: an age file to the device's own recipient.
//!
//! The sealed plaintext starts with the value's place in the store (a short context string such
//! as `hearth/chunk/private/17/incremental`), checked when the value is opened, so a chunk moved
//! to another slot or key (say, a private chunk into the shared journal) is refused as damage
//! instead of being loaded.

use std::fmt;
use std::io::{Read, Write};

use crate::keys::DeviceKeys;

/// Seals and opens store values with one device's keys.
#[derive(Clone)]
pub(crate) struct Sealer {
    identity: age::x25519::Identity,
    recipient: age::x25519::Recipient,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealer")
            .field("recipient", &self.recipient.to_string())
            .finish_non_exhaustive()
    }
}

impl Sealer {
    pub(crate) fn new(keys: &DeviceKeys) -> Self {
        Sealer {
            identity: keys.age_identity().clone(),
            recipient: keys.age_recipient(),
        }
    }

    /// Seals `payload`, bound to `context`.
    pub(crate) fn seal(&self, context: &str, payload: &[u8]) -> Result<Vec<u8>, String> {
        let context_len =
            u8::try_from(context.len()).map_err(|_| format!("context {context:?} is too long"))?;
        let encryptor = age::Encryptor::with_recipients(std::iter::once(
            &self.recipient as &dyn age::Recipient,
        ))
        .map_err(|e| e.to_string())?;
        let mut out = Vec::with_capacity(payload.len() + context.len() + 256);
        let mut writer = encryptor.wrap_output(&mut out).map_err(|e| e.to_string())?;
        let written = writer
            .write_all(&[context_len])
            .and_then(|()| writer.write_all(context.as_bytes()))
            .and_then(|()| writer.write_all(payload));
        written.map_err(|e| e.to_string())?;
        writer.finish().map_err(|e| e.to_string())?;
        Ok(out)
    }

    /// Opens a value sealed by [`Sealer::seal`] with the same `context`; the error says what
    /// was wrong.
    pub(crate) fn unseal(&self, context: &str, sealed: &[u8]) -> Result<Vec<u8>, String> {
        let decryptor = age::Decryptor::new_buffered(sealed)
            .map_err(|e| format!("{context}: not a sealed value ({e})"))?;
        let mut reader = decryptor
            .decrypt(std::iter::once(&self.identity as &dyn age::Identity))
            .map_err(|e| format!("{context}: cannot be opened with this device's key ({e})"))?;
        let mut plain = Vec::with_capacity(sealed.len());
        reader
            .read_to_end(&mut plain)
            .map_err(|e| format!("{context}: truncated or altered ({e})"))?;
        let (&len, rest) = plain
            .split_first()
            .ok_or_else(|| format!("{context}: empty sealed value"))?;
        let len = usize::from(len);
        if rest.len() < len || &rest[..len] != context.as_bytes() {
            return Err(format!(
                "{context}: the sealed value belongs somewhere else in the store"
            ));
        }
        plain.drain(..=len);
        Ok(plain)
    }
}
