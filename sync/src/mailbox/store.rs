//! The mailbox's store: one redb file. Every change is one transaction, durable when it commits,
//! so a bundle the mailbox acknowledged survives the process being killed.
//!
//! Tables: `couples` (couple id → its record as JSON: members, next bundle number, bytes and
//! bundles waiting, when bundles were dropped unread per device), `bundles` ((couple, number) →
//! the sealed bytes), `meta` ((couple, number) → sender, devices still to fetch it, size, time),
//! `tickets` (setup secret → 0 unused, 1 used).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use hearth_core::{StoreError, Timestamp, db_error};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use serde::{Deserialize, Serialize};

use super::{LIST_PAGE, Listed, MailboxLimits, MailboxRefusal};

const COUPLES: TableDefinition<&str, &[u8]> = TableDefinition::new("couples");
const BUNDLES: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("bundles");
const META: TableDefinition<(&str, u64), &[u8]> = TableDefinition::new("meta");
const TICKETS: TableDefinition<&[u8], u8> = TableDefinition::new("tickets");

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Couple {
    members: BTreeSet<String>,
    next_seq: u64,
    bytes: u64,
    bundles: u64,
    /// Devices whose bundles were dropped unread, with the newest such bundle's time.
    #[serde(default)]
    dropped: BTreeMap<String, Timestamp>,
    /// Devices a member said were revoked: never members again.
    #[serde(default)]
    revoked: BTreeSet<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct Meta {
    from: String,
    waiting: BTreeSet<String>,
    len: u64,
    at: Timestamp,
}

/// What a store operation gives: a value, a refusal for the asking device, or a storage error.
#[derive(Debug)]
pub(crate) enum Failed {
    Refused(MailboxRefusal),
    Storage(StoreError),
}

impl From<MailboxRefusal> for Failed {
    fn from(r: MailboxRefusal) -> Self {
        Failed::Refused(r)
    }
}

type Outcome<T> = std::result::Result<T, Failed>;

/// How much a mailbox holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MailboxUsage {
    /// Couples registered.
    pub couples: u64,
    /// Bundles waiting.
    pub bundles: u64,
    /// Their bytes.
    pub bytes: u64,
}

pub(crate) struct MailboxStore {
    db: redb::Database,
    path: PathBuf,
}

impl MailboxStore {
    pub(crate) fn open(path: &Path) -> Result<MailboxStore, StoreError> {
        let db = redb::Database::create(path).map_err(|e| db_error(path, e))?;
        let store = MailboxStore {
            db,
            path: path.to_owned(),
        };
        let _ready: Result<(), MailboxRefusal> = store.write(|txn| {
            txn.open_table(COUPLES)?;
            txn.open_table(BUNDLES)?;
            txn.open_table(META)?;
            txn.open_table(TICKETS)?;
            Ok(Ok(()))
        })?;
        Ok(store)
    }

    fn storage(&self, e: impl Into<redb::Error>) -> Failed {
        Failed::Storage(db_error(&self.path, e))
    }

    /// One write transaction: committed when `f` gives a value, rolled back on a refusal.
    fn write<T>(
        &self,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<Result<T, MailboxRefusal>, redb::Error>,
    ) -> Result<Result<T, MailboxRefusal>, StoreError> {
        let txn = self.db.begin_write().map_err(|e| db_error(&self.path, e))?;
        match f(&txn) {
            Ok(Ok(v)) => {
                txn.commit().map_err(|e| db_error(&self.path, e))?;
                Ok(Ok(v))
            }
            Ok(Err(refusal)) => {
                let _ = txn.abort();
                Ok(Err(refusal))
            }
            Err(e) => {
                let _ = txn.abort();
                Err(db_error(&self.path, e))
            }
        }
    }

    fn run<T>(
        &self,
        f: impl FnOnce(&redb::WriteTransaction) -> Result<Result<T, MailboxRefusal>, redb::Error>,
    ) -> Outcome<T> {
        match self.write(f) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(r)) => Err(Failed::Refused(r)),
            Err(e) => Err(Failed::Storage(e)),
        }
    }

    /// An unused setup secret: the one waiting, or a new one.
    pub(crate) fn setup_secret(&self) -> Outcome<[u8; 16]> {
        self.run(|txn| {
            let mut t = txn.open_table(TICKETS)?;
            let mut unused = None;
            for row in t.iter()? {
                let (k, v) = row?;
                if v.value() == 0 && k.value().len() == 16 {
                    let mut s = [0u8; 16];
                    s.copy_from_slice(k.value());
                    unused = Some(s);
                    break;
                }
            }
            let secret = match unused {
                Some(s) => s,
                None => {
                    let s: [u8; 16] = rand::random();
                    t.insert(s.as_slice(), 0)?;
                    s
                }
            };
            Ok(Ok(secret))
        })
    }

    pub(crate) fn register(
        &self,
        secret: &[u8; 16],
        couple: &str,
        members: BTreeSet<String>,
        limits: &MailboxLimits,
    ) -> Outcome<()> {
        self.run(|txn| {
            let mut tickets = txn.open_table(TICKETS)?;
            let unused = tickets.get(secret.as_slice())?.map(|v| v.value()) == Some(0);
            if !unused {
                return Ok(Err(MailboxRefusal::TicketUsed));
            }
            let mut couples = txn.open_table(COUPLES)?;
            if couples.get(couple)?.is_some() {
                return Ok(Err(MailboxRefusal::CoupleExists));
            }
            if couples.len()? >= limits.couples {
                return Ok(Err(MailboxRefusal::NoRoom));
            }
            tickets.insert(secret.as_slice(), 1)?;
            let record = Couple {
                members,
                next_seq: 1,
                ..Default::default()
            };
            couples.insert(couple, encode(&record).as_slice())?;
            Ok(Ok(()))
        })
    }

    /// The couple's record, if `caller` is one of its members.
    fn member_record(
        couples: &impl ReadableTable<&'static str, &'static [u8]>,
        couple: &str,
        caller: &str,
    ) -> Result<Result<Couple, MailboxRefusal>, redb::Error> {
        let Some(raw) = couples.get(couple)? else {
            return Ok(Err(MailboxRefusal::UnknownCouple));
        };
        let Some(record) = decode::<Couple>(raw.value()) else {
            return Ok(Err(MailboxRefusal::Storage));
        };
        if !record.members.contains(caller) {
            return Ok(Err(MailboxRefusal::NotMember));
        }
        Ok(Ok(record))
    }

    /// Whether `caller` is a member of `couple` now.
    pub(crate) fn is_member(&self, couple: &str, caller: &str) -> Outcome<()> {
        let txn = self.db.begin_read().map_err(|e| self.storage(e))?;
        let couples = txn.open_table(COUPLES).map_err(|e| self.storage(e))?;
        match Self::member_record(&couples, couple, caller).map_err(|e| self.storage(e))? {
            Ok(_) => Ok(()),
            Err(r) => Err(r.into()),
        }
    }

    /// Adds the `members` a member knows of and takes out the `revoked` it knows of (for good:
    /// a device that has not heard of a revocation yet cannot bring the revoked device back,
    /// and one that has not heard of a new device does not take it out). Revoked devices stop
    /// waiting for bundles, and bundles nobody waits for go.
    pub(crate) fn set_members(
        &self,
        couple: &str,
        caller: &str,
        members: BTreeSet<String>,
        revoked: BTreeSet<String>,
    ) -> Outcome<()> {
        self.run(|txn| {
            let mut couples = txn.open_table(COUPLES)?;
            let mut record = match Self::member_record(&couples, couple, caller)? {
                Ok(r) => r,
                Err(r) => return Ok(Err(r)),
            };
            record.revoked.extend(revoked);
            let mut next: BTreeSet<String> = record.members.union(&members).cloned().collect();
            next.retain(|m| !record.revoked.contains(m));
            let gone: BTreeSet<String> = record.members.difference(&next).cloned().collect();
            record.members = next;
            record.dropped.retain(|d, _| record.members.contains(d));
            if !gone.is_empty() {
                let mut meta = txn.open_table(META)?;
                let mut bundles = txn.open_table(BUNDLES)?;
                let mut changed = Vec::new();
                for row in meta.range((couple, 0)..=(couple, u64::MAX))? {
                    let (k, v) = row?;
                    let Some(mut m) = decode::<Meta>(v.value()) else {
                        continue;
                    };
                    let before = m.waiting.len();
                    m.waiting.retain(|w| !gone.contains(w));
                    if m.waiting.len() != before {
                        changed.push((k.value().1, m));
                    }
                }
                for (seq, m) in changed {
                    settle(&mut meta, &mut bundles, &mut record, couple, seq, &m)?;
                }
            }
            couples.insert(couple, encode(&record).as_slice())?;
            Ok(Ok(()))
        })
    }

    /// Stores a bundle from `caller` for the members among `recipients`; its number.
    pub(crate) fn put(
        &self,
        couple: &str,
        caller: &str,
        recipients: &BTreeSet<String>,
        body: &[u8],
        now: Timestamp,
        limits: &MailboxLimits,
    ) -> Outcome<u64> {
        let len = body.len() as u64;
        if len > limits.bundle_bytes {
            return Err(MailboxRefusal::TooLarge {
                len,
                max: limits.bundle_bytes,
            }
            .into());
        }
        self.run(|txn| {
            let mut couples = txn.open_table(COUPLES)?;
            let mut record = match Self::member_record(&couples, couple, caller)? {
                Ok(r) => r,
                Err(r) => return Ok(Err(r)),
            };
            let waiting: BTreeSet<String> = recipients
                .iter()
                .filter(|r| record.members.contains(*r) && r.as_str() != caller)
                .cloned()
                .collect();
            if waiting.is_empty() {
                return Ok(Err(MailboxRefusal::Malformed));
            }
            if record.bundles + 1 > limits.couple_bundles
                || record.bytes + len > limits.couple_bytes
            {
                return Ok(Err(MailboxRefusal::Full {
                    bundles: record.bundles,
                    bytes: record.bytes,
                    max_bundles: limits.couple_bundles,
                    max_bytes: limits.couple_bytes,
                }));
            }
            let seq = record.next_seq;
            record.next_seq += 1;
            record.bytes += len;
            record.bundles += 1;
            let meta = Meta {
                from: caller.to_owned(),
                waiting,
                len,
                at: now,
            };
            txn.open_table(BUNDLES)?.insert((couple, seq), body)?;
            txn.open_table(META)?
                .insert((couple, seq), encode(&meta).as_slice())?;
            couples.insert(couple, encode(&record).as_slice())?;
            Ok(Ok(seq))
        })
    }

    /// The recipients a stored bundle still waits for (to tell watchers).
    pub(crate) fn waiting(&self, couple: &str, seq: u64) -> BTreeSet<String> {
        let read = || -> Result<BTreeSet<String>, redb::Error> {
            let txn = self.db.begin_read()?;
            let meta = txn.open_table(META)?;
            Ok(meta
                .get((couple, seq))?
                .and_then(|v| decode::<Meta>(v.value()))
                .map(|m| m.waiting)
                .unwrap_or_default())
        };
        read().unwrap_or_default()
    }

    /// Bundles waiting for `caller` after `after`, a page at a time, and when bundles for it were
    /// dropped unread.
    pub(crate) fn list(
        &self,
        couple: &str,
        caller: &str,
        after: u64,
    ) -> Outcome<(Vec<Listed>, Option<Timestamp>, bool)> {
        let read = || -> Result<Result<_, MailboxRefusal>, redb::Error> {
            let txn = self.db.begin_read()?;
            let couples = txn.open_table(COUPLES)?;
            let record = match Self::member_record(&couples, couple, caller)? {
                Ok(r) => r,
                Err(r) => return Ok(Err(r)),
            };
            let meta = txn.open_table(META)?;
            let mut out = Vec::new();
            let mut more = false;
            let start = after.saturating_add(1);
            for row in meta.range((couple, start)..=(couple, u64::MAX))? {
                let (k, v) = row?;
                let Some(m) = decode::<Meta>(v.value()) else {
                    continue;
                };
                if !m.waiting.contains(caller) {
                    continue;
                }
                if out.len() == LIST_PAGE {
                    more = true;
                    break;
                }
                out.push(Listed {
                    seq: k.value().1,
                    from: m.from,
                    len: m.len,
                    at: m.at,
                });
            }
            Ok(Ok((out, record.dropped.get(caller).copied(), more)))
        };
        match read().map_err(|e| self.storage(e))? {
            Ok(v) => Ok(v),
            Err(r) => Err(r.into()),
        }
    }

    /// A bundle waiting for `caller`.
    pub(crate) fn get(&self, couple: &str, caller: &str, seq: u64) -> Outcome<Vec<u8>> {
        let read = || -> Result<Result<Vec<u8>, MailboxRefusal>, redb::Error> {
            let txn = self.db.begin_read()?;
            let couples = txn.open_table(COUPLES)?;
            if let Err(r) = Self::member_record(&couples, couple, caller)? {
                return Ok(Err(r));
            }
            let meta = txn.open_table(META)?;
            let waits = meta
                .get((couple, seq))?
                .and_then(|v| decode::<Meta>(v.value()))
                .is_some_and(|m| m.waiting.contains(caller));
            if !waits {
                return Ok(Err(MailboxRefusal::NoSuchBundle));
            }
            let bundles = txn.open_table(BUNDLES)?;
            Ok(match bundles.get((couple, seq))? {
                Some(v) => Ok(v.value().to_vec()),
                None => Err(MailboxRefusal::NoSuchBundle),
            })
        };
        match read().map_err(|e| self.storage(e))? {
            Ok(v) => Ok(v),
            Err(r) => Err(r.into()),
        }
    }

    /// `caller` took these bundles; a bundle nobody waits for any more goes.
    pub(crate) fn ack(
        &self,
        couple: &str,
        caller: &str,
        seqs: &[u64],
        dropped_seen: bool,
    ) -> Outcome<()> {
        self.run(|txn| {
            let mut couples = txn.open_table(COUPLES)?;
            let mut record = match Self::member_record(&couples, couple, caller)? {
                Ok(r) => r,
                Err(r) => return Ok(Err(r)),
            };
            let mut meta = txn.open_table(META)?;
            let mut bundles = txn.open_table(BUNDLES)?;
            for &seq in seqs {
                let Some(mut m) = meta
                    .get((couple, seq))?
                    .and_then(|v| decode::<Meta>(v.value()))
                else {
                    continue;
                };
                if !m.waiting.remove(caller) {
                    continue;
                }
                settle(&mut meta, &mut bundles, &mut record, couple, seq, &m)?;
            }
            if dropped_seen {
                record.dropped.remove(caller);
            }
            couples.insert(couple, encode(&record).as_slice())?;
            Ok(Ok(()))
        })
    }

    /// Forgets a couple and every bundle it had.
    pub(crate) fn forget(&self, couple: &str, caller: &str) -> Outcome<()> {
        self.run(|txn| {
            let mut couples = txn.open_table(COUPLES)?;
            if let Err(r) = Self::member_record(&couples, couple, caller)? {
                return Ok(Err(r));
            }
            couples.remove(couple)?;
            let mut meta = txn.open_table(META)?;
            let mut bundles = txn.open_table(BUNDLES)?;
            let seqs: Vec<u64> = meta
                .range((couple, 0)..=(couple, u64::MAX))?
                .map(|row| row.map(|(k, _)| k.value().1))
                .collect::<Result<_, _>>()?;
            for seq in seqs {
                meta.remove((couple, seq))?;
                bundles.remove((couple, seq))?;
            }
            Ok(Ok(()))
        })
    }

    /// Drops bundles made before `cutoff`, noting for each device that still waited for one
    /// that it was dropped unread; how many went.
    pub(crate) fn collect(&self, cutoff: Timestamp) -> Outcome<u64> {
        self.run(|txn| {
            let mut meta = txn.open_table(META)?;
            let mut expired: Vec<(String, u64, Meta)> = Vec::new();
            for row in meta.iter()? {
                let (k, v) = row?;
                let Some(m) = decode::<Meta>(v.value()) else {
                    continue;
                };
                if m.at < cutoff {
                    let (c, seq) = k.value();
                    expired.push((c.to_owned(), seq, m));
                }
            }
            let mut bundles = txn.open_table(BUNDLES)?;
            let mut couples = txn.open_table(COUPLES)?;
            let mut records: BTreeMap<String, Couple> = BTreeMap::new();
            for (couple, seq, m) in &expired {
                meta.remove((couple.as_str(), *seq))?;
                bundles.remove((couple.as_str(), *seq))?;
                if !records.contains_key(couple) {
                    let Some(r) = couples
                        .get(couple.as_str())?
                        .and_then(|v| decode::<Couple>(v.value()))
                    else {
                        continue;
                    };
                    records.insert(couple.clone(), r);
                }
                if let Some(r) = records.get_mut(couple) {
                    r.bytes = r.bytes.saturating_sub(m.len);
                    r.bundles = r.bundles.saturating_sub(1);
                    for w in &m.waiting {
                        let at = r.dropped.entry(w.clone()).or_insert(m.at);
                        *at = (*at).max(m.at);
                    }
                }
            }
            for (couple, r) in records {
                couples.insert(couple.as_str(), encode(&r).as_slice())?;
            }
            Ok(Ok(expired.len() as u64))
        })
    }

    pub(crate) fn usage(&self) -> Outcome<MailboxUsage> {
        let read = || -> Result<MailboxUsage, redb::Error> {
            let txn = self.db.begin_read()?;
            let couples = txn.open_table(COUPLES)?;
            let mut usage = MailboxUsage::default();
            for row in couples.iter()? {
                let (_, v) = row?;
                if let Some(r) = decode::<Couple>(v.value()) {
                    usage.couples += 1;
                    usage.bundles += r.bundles;
                    usage.bytes += r.bytes;
                }
            }
            Ok(usage)
        };
        read().map_err(|e| self.storage(e))
    }
}

/// Stores a bundle's new list of devices waiting for it, or drops the bundle when nobody waits.
fn settle(
    meta: &mut redb::Table<'_, (&'static str, u64), &'static [u8]>,
    bundles: &mut redb::Table<'_, (&'static str, u64), &'static [u8]>,
    record: &mut Couple,
    couple: &str,
    seq: u64,
    m: &Meta,
) -> Result<(), redb::Error> {
    if m.waiting.is_empty() {
        meta.remove((couple, seq))?;
        bundles.remove((couple, seq))?;
        record.bytes = record.bytes.saturating_sub(m.len);
        record.bundles = record.bundles.saturating_sub(1);
    } else {
        meta.insert((couple, seq), encode(m).as_slice())?;
    }
    Ok(())
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).unwrap_or_default()
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Option<T> {
    serde_json::from_slice(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> BTreeSet<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn bundles_wait_until_every_recipient_took_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = MailboxStore::open(&dir.path().join("m.redb")).unwrap();
        let limits = MailboxLimits::default();
        let secret = store.setup_secret().unwrap();
        assert_eq!(store.setup_secret().unwrap(), secret);
        let couple = "0f".repeat(16);
        store
            .register(&secret, &couple, ids(&["a", "b", "c"]), &limits)
            .unwrap();
        assert!(matches!(
            store.register(&secret, &"1f".repeat(16), ids(&["a"]), &limits),
            Err(Failed::Refused(MailboxRefusal::TicketUsed))
        ));
        assert_ne!(store.setup_secret().unwrap(), secret);
        let seq = store
            .put(
                &couple,
                "a",
                &ids(&["b", "c", "x"]),
                b"sealed",
                Timestamp(10),
                &limits,
            )
            .unwrap();
        assert_eq!(store.waiting(&couple, seq), ids(&["b", "c"]));
        assert!(store.list(&couple, "a", 0).unwrap().0.is_empty());
        let (listed, dropped, more) = store.list(&couple, "b", 0).unwrap();
        assert_eq!((listed.len(), dropped, more), (1, None, false));
        assert_eq!(store.get(&couple, "b", seq).unwrap(), b"sealed");
        assert!(matches!(
            store.get(&couple, "a", seq),
            Err(Failed::Refused(MailboxRefusal::NoSuchBundle))
        ));
        assert!(matches!(
            store.get(&couple, "x", seq),
            Err(Failed::Refused(MailboxRefusal::NotMember))
        ));
        store.ack(&couple, "b", &[seq], false).unwrap();
        assert_eq!(store.usage().unwrap().bundles, 1);
        // Revoking the last one waiting drops the bundle.
        store
            .set_members(&couple, "a", ids(&["a", "b"]), ids(&[]))
            .unwrap();
        assert_eq!(
            store.usage().unwrap().bundles,
            1,
            "a stale list takes no one out"
        );
        store
            .set_members(&couple, "a", ids(&["a", "b"]), ids(&["c"]))
            .unwrap();
        assert_eq!(store.usage().unwrap().bundles, 0);
        // Nor brings a revoked device back.
        store
            .set_members(&couple, "b", ids(&["a", "b", "c", "d"]), ids(&[]))
            .unwrap();
        assert!(matches!(
            store.list(&couple, "c", 0),
            Err(Failed::Refused(MailboxRefusal::NotMember))
        ));
        assert!(store.list(&couple, "d", 0).is_ok());
        assert_eq!(store.usage().unwrap().bytes, 0);
    }

    #[test]
    fn retention_tells_who_missed_what() {
        let dir = tempfile::tempdir().unwrap();
        let store = MailboxStore::open(&dir.path().join("m.redb")).unwrap();
        let limits = MailboxLimits {
            couple_bundles: 2,
            ..Default::default()
        };
        let secret = store.setup_secret().unwrap();
        let couple = "0f".repeat(16);
        store
            .register(&secret, &couple, ids(&["a", "b"]), &limits)
            .unwrap();
        store
            .put(&couple, "a", &ids(&["b"]), b"1", Timestamp(10), &limits)
            .unwrap();
        store
            .put(&couple, "a", &ids(&["b"]), b"2", Timestamp(20), &limits)
            .unwrap();
        assert!(matches!(
            store.put(&couple, "a", &ids(&["b"]), b"3", Timestamp(30), &limits),
            Err(Failed::Refused(MailboxRefusal::Full { bundles: 2, .. }))
        ));
        assert_eq!(store.collect(Timestamp(25)).unwrap(), 2);
        let (listed, dropped, _) = store.list(&couple, "b", 0).unwrap();
        assert!(listed.is_empty());
        assert_eq!(dropped, Some(Timestamp(20)));
        assert_eq!(store.list(&couple, "a", 0).unwrap().1, None);
        store.ack(&couple, "b", &[], true).unwrap();
        assert_eq!(store.list(&couple, "b", 0).unwrap().1, None);
        store.forget(&couple, "b").unwrap();
        assert_eq!(store.usage().unwrap(), MailboxUsage::default());
    }
}
