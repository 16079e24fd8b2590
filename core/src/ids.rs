//! Identifiers and time.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The id of an item in a journal: a ULID string (time-ordered, unique without coordination).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Id(pub(crate) String);

impl Id {
    /// Builds an id from its parts: the creation time and 80 random bits.
    pub(crate) fn generate(now: Timestamp, random: u128) -> Self {
        let ms = u64::try_from(now.0).unwrap_or(0);
        Id(ulid::Ulid::from_parts(ms, random).to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

impl From<&str> for Id {
    fn from(s: &str) -> Self {
        Id(s.to_owned())
    }
}

impl From<String> for Id {
    fn from(s: String) -> Self {
        Id(s)
    }
}

/// The id of one of the two partners.
pub type PartnerId = Id;

/// A point in time: milliseconds since the Unix epoch, UTC. Always handed in by the caller.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

/// The earliest time the journal accepts (1970-01-01).
const MIN_MS: i64 = 0;
/// The latest time the journal accepts (9999-12-31).
const MAX_MS: i64 = 253_402_300_799_999;

impl Timestamp {
    /// Milliseconds since the Unix epoch.
    pub fn from_millis(ms: i64) -> Self {
        Timestamp(ms)
    }

    /// Milliseconds since the Unix epoch.
    pub fn millis(self) -> i64 {
        self.0
    }

    /// This time plus a number of days.
    pub fn plus_days(self, days: i64) -> Self {
        Timestamp(self.0.saturating_add(days.saturating_mul(86_400_000)))
    }

    /// As a chrono time (UTC), if representable.
    pub fn to_datetime(self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::from_timestamp_millis(self.0)
    }

    /// The current time from the system clock. Only shells (CLI, app) call this; the model
    /// itself never reads a clock.
    pub fn now() -> Self {
        Timestamp(chrono::Utc::now().timestamp_millis())
    }

    pub(crate) fn check(self, field: &'static str) -> crate::error::Result<Self> {
        if (MIN_MS..=MAX_MS).contains(&self.0) {
            Ok(self)
        } else {
            Err(crate::JournalError::OutOfRange {
                field,
                detail: "times must fall between the years 1970 and 9999".into(),
            })
        }
    }
}

impl<Tz: chrono::TimeZone> From<chrono::DateTime<Tz>> for Timestamp {
    fn from(t: chrono::DateTime<Tz>) -> Self {
        Timestamp(t.timestamp_millis())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_datetime() {
            Some(t) => write!(
                f,
                "{}",
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            ),
            None => write!(f, "{}ms", self.0),
        }
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({self})")
    }
}
