//! The couple's mailbox, as the shared journal records it: which always-on machine holds the
//! couple's sealed changes for devices that are not online together (see `hearth-sync`'s
//! mailbox). One at a time; every device learns it by syncing. The record is a hint like a
//! device's addresses: the mailbox proves who it is when dialed, and it can read nothing.

use automerge::{ROOT, transaction::Transactable};
use serde::Serialize;

use super::Journal;
use crate::doc;
use crate::error::{JournalError, Result};
use crate::ids::Timestamp;
use crate::membership::endpoint_bytes;

/// The key of the record at the shared journal's root.
const KEY: &str = "mailbox";
/// At most this many addresses are kept for a mailbox.
pub const MAX_MAILBOX_ADDRS: usize = 16;

/// The couple's mailbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MailboxRecord {
    /// The mailbox's endpoint id.
    pub endpoint_id: String,
    /// Where it listens (`ip:port`).
    pub addrs: Vec<String>,
    /// A relay URL where it can be reached, if it uses one.
    pub relay: Option<String>,
    /// The couple's id at the mailbox (32 hex digits), given at registration.
    pub couple: String,
    /// The device that set it up.
    pub added_by: String,
    /// When.
    pub added_at: Timestamp,
}

/// What a device knows of its mailbox (kept by the network side; see `hearth-sync`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MailboxStatus {
    /// The mailbox as the journal records it.
    pub mailbox: MailboxRecord,
    /// When it was last reached.
    pub last_reached: Option<Timestamp>,
    /// When this device last handed changes in.
    pub last_sent: Option<Timestamp>,
    /// When it last fetched changes.
    pub last_fetched: Option<Timestamp>,
    /// Changes here that were not handed in yet.
    pub pending: usize,
    /// Changes for this device made up to this time were dropped unread from the mailbox, and
    /// no direct sync happened since.
    pub dropped_before: Option<Timestamp>,
    /// What went wrong the last time, if it did.
    pub last_error: Option<String>,
}

impl MailboxRecord {
    fn check(&self) -> Result<()> {
        let bad = |field: &'static str, detail: &str| JournalError::OutOfRange {
            field,
            detail: detail.into(),
        };
        if endpoint_bytes(&self.endpoint_id).is_none() {
            return Err(bad("mailbox", "an endpoint id is 64 hex digits"));
        }
        if endpoint_bytes(&self.added_by).is_none() {
            return Err(bad("mailbox", "the adding device's id is 64 hex digits"));
        }
        if self.couple.len() != 32 || !self.couple.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("mailbox", "a couple id is 32 hex digits"));
        }
        if self.addrs.len() > MAX_MAILBOX_ADDRS
            || self
                .addrs
                .iter()
                .any(|a| a.parse::<std::net::SocketAddr>().is_err())
        {
            return Err(bad(
                "mailbox addresses",
                "give at most 16 addresses of the form ip:port",
            ));
        }
        if self.relay.as_ref().is_some_and(|r| r.len() > 255) {
            return Err(bad("mailbox relay", "a relay URL is at most 255 bytes"));
        }
        Ok(())
    }
}

impl Journal {
    /// The couple's mailbox, if one is set up. A record that does not read whole counts as none.
    pub fn mailbox(&self) -> Option<MailboxRecord> {
        let d = &self.shared;
        let m = doc::obj(d, &ROOT, KEY)?;
        let record = MailboxRecord {
            endpoint_id: doc::string(d, &m, "endpoint")?,
            addrs: doc::string(d, &m, "addrs")
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            relay: doc::string(d, &m, "relay").filter(|r| !r.is_empty()),
            couple: doc::string(d, &m, "couple")?,
            added_by: doc::string(d, &m, "added_by")?,
            added_at: Timestamp(doc::int(d, &m, "added_at").unwrap_or(0)),
        };
        record.check().ok().map(|()| record)
    }

    /// Records the couple's mailbox (replacing the one before). Bad fields change nothing.
    pub fn set_mailbox(&mut self, record: &MailboxRecord, now: Timestamp) -> Result<()> {
        record.check()?;
        self.write(now, |j| {
            let m = j.shared.put_object(ROOT, KEY, automerge::ObjType::Map)?;
            j.shared.put(&m, "endpoint", record.endpoint_id.as_str())?;
            j.shared.put(&m, "addrs", record.addrs.join(" ").as_str())?;
            j.shared
                .put(&m, "relay", record.relay.as_deref().unwrap_or(""))?;
            j.shared.put(&m, "couple", record.couple.as_str())?;
            j.shared.put(&m, "added_by", record.added_by.as_str())?;
            j.shared.put(&m, "added_at", record.added_at.0)?;
            Ok(())
        })
    }

    /// Stops using the mailbox; whether one was set up.
    pub fn remove_mailbox(&mut self, now: Timestamp) -> Result<bool> {
        if doc::obj(&self.shared, &ROOT, KEY).is_none() {
            return Ok(false);
        }
        self.write(now, |j| {
            j.shared.delete(ROOT, KEY)?;
            Ok(true)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::journal::DocKind;

    fn record() -> MailboxRecord {
        MailboxRecord {
            endpoint_id: "ab".repeat(32),
            addrs: vec!["127.0.0.1:4000".into()],
            relay: None,
            couple: "0f".repeat(16),
            added_by: "cd".repeat(32),
            added_at: Timestamp(5),
        }
    }

    #[test]
    fn set_read_replace_remove() {
        let (mut j, mut b, _, _) = couple();
        assert_eq!(j.mailbox(), None);
        j.set_mailbox(&record(), Timestamp(6)).unwrap();
        assert_eq!(j.mailbox(), Some(record()));
        // Set again (a new couple at another mailbox): replaced.
        let moved = MailboxRecord {
            addrs: vec!["10.0.0.2:4000".to_owned()],
            couple: "1f".repeat(16),
            ..record()
        };
        j.set_mailbox(&moved, Timestamp(7)).unwrap();
        assert_eq!(j.mailbox(), Some(moved));
        assert!(j.remove_mailbox(Timestamp(9)).unwrap());
        assert_eq!(j.mailbox(), None);
        assert!(!j.remove_mailbox(Timestamp(9)).unwrap());
        // Every device learns it by syncing.
        j.set_mailbox(&record(), Timestamp(10)).unwrap();
        sync(&mut j, &mut b);
        assert_eq!(b.mailbox(), Some(record()));
    }

    #[test]
    fn bad_records_change_nothing() {
        let (mut j, _, _, _) = couple();
        let heads = j.heads(DocKind::Shared);
        for bad in [
            MailboxRecord {
                endpoint_id: "xyz".into(),
                ..record()
            },
            MailboxRecord {
                couple: "short".into(),
                ..record()
            },
            MailboxRecord {
                addrs: vec!["nowhere".into()],
                ..record()
            },
        ] {
            assert!(j.set_mailbox(&bad, Timestamp(1)).is_err());
        }
        assert_eq!(j.heads(DocKind::Shared), heads);
    }
}
