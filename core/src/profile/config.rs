//! `profile.json`: the profile's settings that are not secret, as plain JSON. Fields this
//! version does not know are kept when the file is rewritten, so an older Hearth does not erase
//! a newer one's settings.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{ProfileError, files};
use crate::model::DeviceKind;

fn personal() -> DeviceKind {
    DeviceKind::Personal
}

/// The settings format this version writes and the newest it reads.
pub const CONFIG_FORMAT: u32 = 1;

/// The non-secret settings of a profile (`profile.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileConfig {
    /// The settings format ([`CONFIG_FORMAT`]).
    pub format: u32,
    /// This device's name, as partners see it.
    pub device_name: String,
    /// What kind of device this is (an unknown kind from a newer version is kept).
    #[serde(default = "personal")]
    pub kind: DeviceKind,
    /// The UDP port the endpoint listened on last, reused so partners' stored addresses stay
    /// good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen_port: Option<u16>,
    /// Settings this version does not know, kept as they are.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ProfileConfig {
    /// Settings for a new profile.
    pub fn new(device_name: impl Into<String>, kind: DeviceKind) -> Self {
        ProfileConfig {
            format: CONFIG_FORMAT,
            device_name: device_name.into(),
            kind,
            listen_port: None,
            extra: serde_json::Map::new(),
        }
    }

    /// Reads the settings file at `path`.
    pub fn read(path: &Path) -> Result<Self, ProfileError> {
        let bytes = std::fs::read(path).map_err(|source| ProfileError::Io {
            path: path.to_owned(),
            source,
        })?;
        let invalid = |detail: String| ProfileError::Config {
            path: path.to_owned(),
            detail,
        };
        let value: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| invalid(format!("not valid JSON: {e}")))?;
        let format = value
            .get("format")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| invalid("no format version".to_owned()))?;
        if format > u64::from(CONFIG_FORMAT) {
            return Err(ProfileError::NewerFormat {
                path: path.to_owned(),
                found: format,
            });
        }
        serde_json::from_value(value).map_err(|e| invalid(e.to_string()))
    }

    /// Writes the settings to `path` in one step (a reader sees the old file or the new one).
    pub fn write(&self, path: &Path) -> Result<(), ProfileError> {
        let mut json = serde_json::to_vec_pretty(self).map_err(|e| ProfileError::Config {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
        json.push(b'\n');
        files::write_atomic(path, &json, true).map_err(|source| ProfileError::Io {
            path: path.to_owned(),
            source,
        })
    }
}
