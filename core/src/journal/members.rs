//! Partners and devices: who shares the journal, and which devices may sync it.

use automerge::{ObjType, transaction::Transactable};

use super::{DocKind, Journal};
use crate::doc;
use crate::error::{JournalError, Result, Rule};
use crate::ids::{Id, PartnerId, Timestamp};
use crate::keys::hex_encode;
use crate::membership::{
    Act, AddRole, KEY_PREFIX, Membership, Standing, Statement, endpoint_bytes,
};
use crate::model::{Device, DeviceKind, DeviceOwner, NewDevice, Partner};
use crate::text;
use ed25519_dalek::SigningKey;
use std::sync::Arc;

fn colour(field: &'static str, c: &str) -> Result<String> {
    let c = c.trim();
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    if ok {
        Ok(c.to_ascii_lowercase())
    } else {
        Err(JournalError::OutOfRange {
            field,
            detail: format!("{c:?}; use a colour like #c0623b"),
        })
    }
}

impl Journal {
    /// Adds one of the two partners. A third is refused.
    pub fn add_partner(
        &mut self,
        name: &str,
        colour_hex: &str,
        now: Timestamp,
    ) -> Result<PartnerId> {
        let name = text::line("name", name, true)?;
        let colour_hex = colour("colour", colour_hex)?;
        now.check("time")?;
        if self.partners().len() >= 2 {
            return Err(JournalError::TooManyPartners);
        }
        let id = self.new_id(now);
        self.write(now, |j| {
            let partners = j.map(DocKind::Shared, "partners")?;
            let d = &mut j.shared;
            let p = d.put_object(&partners, id.as_str(), ObjType::Map)?;
            d.put(&p, "name", name.as_str())?;
            d.put(&p, "colour", colour_hex.as_str())?;
            d.put(&p, "added_at", now.0)?;
            Ok(id)
        })
    }

    /// Changes a partner's name or colour.
    pub fn update_partner(
        &mut self,
        id: &PartnerId,
        name: Option<&str>,
        colour_hex: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        let name = name.map(|n| text::line("name", n, true)).transpose()?;
        let colour_hex = colour_hex.map(|c| colour("colour", c)).transpose()?;
        let partners = self.map(DocKind::Shared, "partners")?;
        let p = doc::obj(&self.shared, &partners, id.as_str()).ok_or_else(|| {
            JournalError::NotFound {
                kind: "partner",
                id: id.to_string(),
            }
        })?;
        self.write(now, |j| {
            if let Some(n) = &name {
                j.shared.put(&p, "name", n.as_str())?;
            }
            if let Some(c) = &colour_hex {
                j.shared.put(&p, "colour", c.as_str())?;
            }
            Ok(())
        })
    }

    /// Removes a partner record that has nothing attributed to it yet (a device that joined as
    /// another device of someone already in the journal drops the person it created at first).
    pub fn forget_partner(&mut self, id: &PartnerId, now: Timestamp) -> Result<()> {
        let partners = self.map(DocKind::Shared, "partners")?;
        if doc::obj(&self.shared, &partners, id.as_str()).is_none() {
            return Err(JournalError::NotFound {
                kind: "partner",
                id: id.to_string(),
            });
        }
        if self.partner_has_entries(id) {
            return Err(JournalError::NotAllowed(Rule::PersonHasEntries));
        }
        self.write(now, |j| {
            j.shared.delete(&partners, id.as_str())?;
            Ok(())
        })
    }

    /// Whether anything in the journal is attributed to this partner.
    pub fn partner_has_entries(&self, id: &PartnerId) -> bool {
        !self
            .wall(&crate::WallFilter {
                author: Some(id.clone()),
                ..Default::default()
            })
            .is_empty()
            || self.dates().iter().any(|d| &d.planner == id)
            || self.kindness_log().iter().any(|k| &k.by == id)
            || !self.checkins(Some(id), None, None).is_empty()
            || self.ideas().iter().any(|i| &i.added_by == id)
            || self.listening_exchanges().iter().any(|x| &x.speaker == id)
            || self.i_statements().iter().any(|s| &s.author == id)
            || self.repairs().iter().any(|r| &r.author == id)
    }

    /// The partners, oldest first.
    pub fn partners(&self) -> Vec<Partner> {
        let Ok(partners) = self.map(DocKind::Shared, "partners") else {
            return Vec::new();
        };
        let d = &self.shared;
        let mut out: Vec<Partner> = doc::keys(d, &partners)
            .into_iter()
            .filter_map(|key| {
                let p = doc::obj(d, &partners, &key)?;
                Some(Partner {
                    name: doc::string(d, &p, "name")?,
                    colour: doc::string(d, &p, "colour").unwrap_or_else(|| "#8a6f5a".into()),
                    added_at: Timestamp(doc::int(d, &p, "added_at").unwrap_or(0)),
                    id: Id::from(key),
                })
            })
            .collect();
        out.sort_by(|a, b| (a.added_at, &a.id).cmp(&(b.added_at, &b.id)));
        out
    }

    /// One partner.
    pub fn partner(&self, id: &PartnerId) -> Option<Partner> {
        self.partners().into_iter().find(|p| &p.id == id)
    }

    /// The partner whose name is `name` (case-insensitive), or whose id starts with it.
    pub fn find_partner(&self, name_or_id: &str) -> Result<Partner> {
        let needle = name_or_id.trim();
        let all = self.partners();
        if let Some(p) = all.iter().find(|p| p.name.eq_ignore_ascii_case(needle)) {
            return Ok(p.clone());
        }
        let by_id: Vec<_> = all
            .iter()
            .filter(|p| !needle.is_empty() && p.id.as_str().starts_with(needle))
            .collect();
        match by_id.as_slice() {
            [one] => Ok((*one).clone()),
            _ => Err(JournalError::NotFound {
                kind: "partner",
                id: needle.to_owned(),
            }),
        }
    }

    pub(crate) fn require_partner(&self, id: &PartnerId) -> Result<()> {
        let partners = self.map(DocKind::Shared, "partners")?;
        if doc::obj(&self.shared, &partners, id.as_str()).is_some() {
            Ok(())
        } else {
            Err(JournalError::NotFound {
                kind: "partner",
                id: id.to_string(),
            })
        }
    }

    /// Sets the device this journal acts as: its ed25519 secret seed (the iroh endpoint key).
    /// Membership statements are signed with it.
    pub fn set_identity(&mut self, seed: &[u8; 32]) {
        let key = SigningKey::from_bytes(seed);
        self.identity = Some(Identity {
            endpoint_id: hex_encode(key.verifying_key().as_bytes()),
            key,
        });
    }

    /// The endpoint id of the device this journal acts as, if set.
    pub fn this_device(&self) -> Option<&str> {
        self.identity.as_ref().map(|i| i.endpoint_id.as_str())
    }

    /// Pins the founder whose chain of statements this device trusts (kept in its sealed
    /// store; see [`crate::membership`]).
    pub fn set_root(&mut self, root: Option<&str>) {
        self.root = root.map(str::to_owned);
        *self.members_cache.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Records the person this device says it belongs to until a member admits it.
    pub fn set_claimed_person(&mut self, person: Option<PartnerId>) {
        self.claimed = person;
    }

    /// Who acts through this journal: the person whose device it is (by the signed membership,
    /// or by its claim before it is admitted), the home display, or anyone (a journal with no
    /// device identity: generators and tools).
    pub fn acting(&self) -> Acting {
        let Some(me) = self.this_device() else {
            return Acting::Anyone;
        };
        match self.membership().devices().get(me) {
            Some(d) => match (&d.entry.owner, &d.entry.kind) {
                (DeviceOwner::Partner(p), DeviceKind::Personal) => Acting::Person(p.clone()),
                _ => Acting::Display,
            },
            None => match &self.claimed {
                Some(p) => Acting::Person(p.clone()),
                None => Acting::Display,
            },
        }
    }

    /// Checks that `who` may act here: on a person's device only that person; on the display
    /// nobody unless `display_may` (a note left by the person who picked their name).
    pub(crate) fn require_acting(&self, who: &PartnerId, display_may: bool) -> Result<()> {
        match self.acting() {
            Acting::Anyone => Ok(()),
            Acting::Person(p) if &p == who => Ok(()),
            Acting::Person(p) => Err(JournalError::ActsAsOwner {
                owner: p,
                asked: who.clone(),
            }),
            Acting::Display if display_may => Ok(()),
            Acting::Display => Err(JournalError::DisplayCannot),
        }
    }

    /// Checks that the acting device may change what `author` wrote: only the author's own
    /// devices (or a journal with no device identity).
    pub(crate) fn require_author(&self, author: &PartnerId, what: &'static str) -> Result<()> {
        match self.acting() {
            Acting::Anyone => Ok(()),
            Acting::Person(p) if &p == author => Ok(()),
            _ => Err(JournalError::NotTheAuthor { what }),
        }
    }

    /// The pinned founder.
    pub fn root(&self) -> Option<&str> {
        self.root.as_deref()
    }

    fn statements(&self) -> Vec<(String, Vec<u8>)> {
        let Ok(devices) = self.map(DocKind::Shared, "devices") else {
            return Vec::new();
        };
        doc::keys(&self.shared, &devices)
            .into_iter()
            .filter(|k| k.starts_with(KEY_PREFIX))
            .map(|k| {
                let v = doc::bytes(&self.shared, &devices, &k).unwrap_or_default();
                (k, v)
            })
            .collect()
    }

    /// The membership as this device checks it: every statement verified against the pinned
    /// founder. Evaluated again only when the statements change.
    pub fn membership(&self) -> Arc<Membership> {
        let stored = self.statements();
        let mut h = blake3::Hasher::new();
        h.update(self.root.as_deref().unwrap_or("").as_bytes());
        for (k, v) in &stored {
            h.update(&(k.len() as u64).to_le_bytes());
            h.update(k.as_bytes());
            h.update(&(v.len() as u64).to_le_bytes());
            h.update(v);
        }
        let fingerprint = *h.finalize().as_bytes();
        let mut cache = self.members_cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cache.as_ref()
            && c.fingerprint == fingerprint
        {
            return Arc::clone(&c.membership);
        }
        let membership = Arc::new(Membership::evaluate(
            self.root.as_deref(),
            stored.iter().map(|(k, v)| (k.as_str(), v.as_slice())),
        ));
        *cache = Some(Cached {
            fingerprint,
            membership: Arc::clone(&membership),
        });
        membership
    }

    fn identity(&self) -> Result<&Identity> {
        self.identity
            .as_ref()
            .ok_or_else(|| JournalError::NotAllowed(Rule::NoIdentity))
    }

    /// Signs and records a membership statement, after checking that it will count.
    fn state_membership(&mut self, act: Act, now: Timestamp) -> Result<()> {
        now.check("time")?;
        let membership = self.membership();
        let id = self.identity()?;
        let statement = Statement {
            signer: id.endpoint_id.clone(),
            at: now,
            deps: membership.frontier(),
            act,
        };
        membership.check_new(&statement)?;
        let signed = statement
            .sign(id.key.as_bytes())
            .map_err(|e| JournalError::NotAllowed(Rule::Unsigned(e)))?;
        self.write(now, |j| {
            let devices = j.map(DocKind::Shared, "devices")?;
            j.shared.put(
                &devices,
                signed.key(),
                automerge::ScalarValue::Bytes(signed.to_bytes()),
            )?;
            Ok(())
        })
    }

    /// This device founds the journal: a statement signed by itself, and it pins itself as the
    /// founder. Refused if the device already trusts another founder.
    pub fn found(&mut self, device: &NewDevice, now: Timestamp) -> Result<()> {
        let me = self.identity()?.endpoint_id.clone();
        match self.root.as_deref() {
            Some(r) if r != me => {
                return Err(JournalError::NotAllowed(Rule::FoundedElsewhere));
            }
            Some(_) => {}
            None => self.set_root(Some(&me)),
        }
        let entry = self.entry(device)?;
        if entry.endpoint_id != me {
            return Err(JournalError::NotAllowed(Rule::FoundByItself));
        }
        self.state_membership(
            Act::Add {
                role: AddRole::Founder,
                device: entry,
            },
            now,
        )
    }

    fn entry(&self, device: &NewDevice) -> Result<NewDevice> {
        let endpoint_id = text::line("endpoint id", &device.endpoint_id, true)?;
        if endpoint_bytes(&endpoint_id).is_none() {
            return Err(JournalError::OutOfRange {
                field: "endpoint id",
                detail: "an endpoint id is 64 hexadecimal digits".into(),
            });
        }
        let recipient = text::line("age recipient", &device.age_recipient, true)?;
        if recipient.parse::<age::x25519::Recipient>().is_err() {
            return Err(JournalError::OutOfRange {
                field: "age recipient",
                detail: "an age recipient starts with age1".into(),
            });
        }
        let name = text::line("device name", &device.name, true)?;
        if let DeviceOwner::Partner(p) = &device.owner {
            self.require_partner(p)?;
        }
        Ok(NewDevice {
            endpoint_id,
            age_recipient: recipient,
            name,
            ..device.clone()
        })
    }

    /// The stored membership statements (key and bytes), to hand to a device that does not
    /// have them yet.
    pub fn membership_statements(&self) -> Vec<(String, Vec<u8>)> {
        self.statements()
    }

    /// Takes membership statements handed over by another device: each must be well signed,
    /// stored under its own id, signed by a device this journal names, and count once added.
    /// The rest are ignored. Returns how many were new here and kept.
    pub fn receive_statements(
        &mut self,
        offered: &[(String, Vec<u8>)],
        now: Timestamp,
    ) -> Result<usize> {
        use crate::membership::{MAX_STATEMENTS, SignedStatement};
        let mut stored = self.statements();
        if stored.len() >= MAX_STATEMENTS {
            return Ok(0);
        }
        let mut taken = Vec::new();
        for (key, bytes) in offered.iter().take(64) {
            if stored.iter().any(|(k, _)| k == key) {
                continue;
            }
            let Ok(s) = SignedStatement::from_bytes(bytes) else {
                continue;
            };
            if &s.key() != key {
                continue;
            }
            let known = self
                .membership()
                .devices()
                .contains_key(&s.statement.signer);
            if !known {
                continue;
            }
            stored.push((key.clone(), bytes.clone()));
            let trial = Membership::evaluate(
                self.root.as_deref(),
                stored.iter().map(|(k, v)| (k.as_str(), v.as_slice())),
            );
            let counts = trial
                .checked()
                .iter()
                .any(|c| &c.key == key && c.problem.is_none());
            if counts {
                taken.push((key.clone(), bytes.clone()));
            } else {
                stored.pop();
            }
        }
        if taken.is_empty() {
            return Ok(0);
        }
        let n = taken.len();
        self.write(now, |j| {
            let devices = j.map(DocKind::Shared, "devices")?;
            for (k, v) in taken {
                j.shared
                    .put(&devices, k, automerge::ScalarValue::Bytes(v))?;
            }
            Ok(n)
        })
    }

    /// Checks, without writing anything, whether this device could admit `device` in `role`
    /// now (the person it names need not be in the journal yet).
    pub fn check_admission(&self, role: AddRole, device: &NewDevice) -> Result<()> {
        let mut probe = device.clone();
        probe.owner = DeviceOwner::Home;
        self.entry(&probe)?;
        let statement = Statement {
            signer: self.identity()?.endpoint_id.clone(),
            at: Timestamp(0),
            deps: Vec::new(),
            act: Act::Add {
                role,
                device: device.clone(),
            },
        };
        Ok(self.membership().check_new(&statement)?)
    }

    /// The membership as it would be under another founder (a joining device checks the
    /// journal it received before it trusts the inviter's founder).
    pub fn membership_under(&self, root: Option<&str>) -> Membership {
        let stored = self.statements();
        Membership::evaluate(root, stored.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
    }

    /// Admits a device, signed by this one: `role` says why (see [`crate::membership`] for who
    /// may add which device). Refused, with nothing written, if it would not count.
    pub fn admit_device(
        &mut self,
        role: AddRole,
        device: &NewDevice,
        now: Timestamp,
    ) -> Result<()> {
        if role == AddRole::Founder {
            return self.found(device, now);
        }
        let entry = self.entry(device)?;
        self.state_membership(
            Act::Add {
                role,
                device: entry,
            },
            now,
        )
    }

    /// Revokes a device, signed by this one: it may no longer sync. Reversible with
    /// [`Journal::unrevoke_device`].
    pub fn revoke_device(&mut self, endpoint_id: &str, now: Timestamp) -> Result<()> {
        self.recorded_device(endpoint_id, false)?;
        self.state_membership(
            Act::Revoke {
                device: endpoint_id.to_owned(),
            },
            now,
        )
    }

    /// Lets a revoked device sync again: it is added again by this device, in the role its
    /// owner allows (its own person's device, a display, or the partner's when the partner has
    /// no device left).
    pub fn unrevoke_device(&mut self, endpoint_id: &str, now: Timestamp) -> Result<()> {
        let (membership, d) = self.recorded_device(endpoint_id, true)?;
        let me = self.identity()?.endpoint_id.clone();
        let my_owner = membership.current(&me).map(|m| m.entry.owner.clone());
        let role = match (&d.entry.kind, &d.entry.owner) {
            (DeviceKind::Display, _) => AddRole::Display,
            (_, owner) if Some(owner) == my_owner.as_ref() => AddRole::Me,
            _ => AddRole::Partner,
        };
        let entry = d.entry.clone();
        self.state_membership(
            Act::Add {
                role,
                device: entry,
            },
            now,
        )
    }

    /// A device some counting statement added, which must be revoked (`revoked`) or not.
    fn recorded_device(
        &self,
        endpoint_id: &str,
        revoked: bool,
    ) -> Result<(Arc<Membership>, crate::membership::MemberDevice)> {
        let membership = self.membership();
        let d = membership
            .devices()
            .get(endpoint_id)
            .cloned()
            .ok_or_else(|| JournalError::NotFound {
                kind: "device",
                id: endpoint_id.to_owned(),
            })?;
        if d.revoked.is_some() != revoked {
            let name = d.entry.name.clone();
            return Err(JournalError::NotAllowed(if revoked {
                Rule::NotRevoked { name }
            } else {
                Rule::AlreadyRevoked { name }
            }));
        }
        Ok((membership, d))
    }

    /// Records where a device listens, so other members can dial it. Nothing is written when
    /// the addresses are unchanged. Returns whether they changed. Addresses are hints: the
    /// connection itself proves who answers.
    pub fn set_device_addrs(
        &mut self,
        endpoint_id: &str,
        addrs: &[String],
        now: Timestamp,
    ) -> Result<bool> {
        if endpoint_bytes(endpoint_id).is_none() {
            return Err(JournalError::NotFound {
                kind: "device",
                id: endpoint_id.to_owned(),
            });
        }
        if addrs
            .iter()
            .any(|a| a.parse::<std::net::SocketAddr>().is_err())
            || addrs.len() > 16
        {
            return Err(JournalError::OutOfRange {
                field: "addresses",
                detail: "give at most 16 addresses of the form ip:port".into(),
            });
        }
        let joined = addrs.join(" ");
        let devices = self.map(DocKind::Shared, "devices")?;
        let known = doc::obj(&self.shared, &devices, endpoint_id)
            .and_then(|dev| doc::string(&self.shared, &dev, "addrs"))
            .unwrap_or_default();
        if known == joined {
            return Ok(false);
        }
        self.write(now, |j| {
            let dev = doc::ensure_map(&mut j.shared, &devices, endpoint_id)?;
            j.shared.put(&dev, "addrs", joined.as_str())?;
            Ok(true)
        })
    }

    /// Every device the journal names, revoked and unverified ones included, oldest first. A
    /// device's facts come only from signed statements that count; a device named only by
    /// records or statements that do not count is listed as unverified.
    pub fn devices(&self) -> Vec<Device> {
        let membership = self.membership();
        let d = &self.shared;
        let legacy = self
            .map(DocKind::Shared, "devices")
            .map(|devices| {
                doc::keys(d, &devices)
                    .into_iter()
                    .filter(|k| !k.starts_with(KEY_PREFIX))
                    .filter_map(|k| doc::obj(d, &devices, &k).map(|o| (k, o)))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let addrs_of = |id: &str| -> Vec<String> {
            legacy
                .iter()
                .find(|(k, _)| k == id)
                .and_then(|(_, o)| doc::string(d, o, "addrs"))
                .map(|a| a.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default()
        };
        let mut out: Vec<Device> = membership
            .devices()
            .iter()
            .map(|(id, m)| Device {
                endpoint_id: id.clone(),
                age_recipient: m.entry.age_recipient.clone(),
                owner: m.entry.owner.clone(),
                kind: m.entry.kind.clone(),
                name: m.entry.name.clone(),
                added_by: (m.role != AddRole::Founder).then(|| m.added_by.clone()),
                added_at: m.added_at,
                revoked_at: m.revoked.as_ref().map(|(_, at)| *at),
                addrs: addrs_of(id),
                standing: membership.standing(id),
                role: Some(m.role),
                actor: m.entry.actor.clone(),
            })
            .collect();
        // Devices named by statements that do not count.
        for c in membership.checked() {
            if let (Some(problem), Some(s)) = (&c.problem, &c.statement)
                && let Act::Add { device, role } = &s.act
                && !out.iter().any(|o| o.endpoint_id == device.endpoint_id)
            {
                out.push(Device {
                    endpoint_id: device.endpoint_id.clone(),
                    age_recipient: device.age_recipient.clone(),
                    owner: device.owner.clone(),
                    kind: device.kind.clone(),
                    name: device.name.clone(),
                    added_by: Some(s.signer.clone()),
                    added_at: s.at,
                    revoked_at: None,
                    addrs: Vec::new(),
                    standing: Standing::Unverified {
                        reason: problem.clone(),
                    },
                    role: Some(*role),
                    actor: device.actor.clone(),
                });
            }
        }
        // Unsigned records (written by earlier versions): shown, never trusted.
        for (key, o) in &legacy {
            if out.iter().any(|x| &x.endpoint_id == key) {
                continue;
            }
            let Some(recipient) = doc::string(d, o, "age_recipient") else {
                continue;
            };
            out.push(Device {
                endpoint_id: key.clone(),
                age_recipient: recipient,
                owner: DeviceOwner::decode(&doc::string(d, o, "owner").unwrap_or_default()),
                kind: DeviceKind::from(
                    doc::string(d, o, "kind").unwrap_or_else(|| "personal".into()),
                ),
                name: doc::string(d, o, "name").unwrap_or_default(),
                added_by: doc::string(d, o, "added_by"),
                added_at: Timestamp(doc::int(d, o, "added_at").unwrap_or(0)),
                revoked_at: doc::int(d, o, "revoked_at").map(Timestamp),
                addrs: addrs_of(key),
                standing: Standing::Unverified {
                    reason: "an unsigned record, which counts for nothing".into(),
                },
                role: None,
                actor: String::new(),
            });
        }
        out.sort_by(|a, b| (a.added_at, &a.endpoint_id).cmp(&(b.added_at, &b.endpoint_id)));
        out
    }

    /// A device by endpoint id.
    pub fn device(&self, endpoint_id: &str) -> Option<Device> {
        self.devices()
            .into_iter()
            .find(|d| d.endpoint_id == endpoint_id)
    }

    /// Finds a device by name (case-insensitive) or by a unique prefix of its endpoint id.
    pub fn find_device(&self, name_or_prefix: &str) -> Result<Device> {
        let needle = name_or_prefix.trim();
        let all = self.devices();
        let by_name: Vec<_> = all
            .iter()
            .filter(|d| d.name.eq_ignore_ascii_case(needle))
            .collect();
        if let [one] = by_name.as_slice() {
            return Ok((*one).clone());
        }
        let by_id: Vec<_> = all
            .iter()
            .filter(|d| !needle.is_empty() && d.endpoint_id.starts_with(needle))
            .collect();
        match by_id.as_slice() {
            [one] => Ok((*one).clone()),
            [] if by_name.is_empty() => Err(JournalError::NotFound {
                kind: "device",
                id: needle.to_owned(),
            }),
            _ => Err(JournalError::NotAllowed(Rule::AmbiguousDevice {
                needle: needle.to_owned(),
            })),
        }
    }

    /// Whether a device may sync: added by statements that count, and not revoked.
    pub fn is_member(&self, endpoint_id: &str) -> bool {
        self.membership().is_member(endpoint_id)
    }

    /// The current devices that may receive the private journal of this device's person (this
    /// device included), from the checked chain of `me` additions.
    pub fn own_devices(&self) -> std::collections::BTreeSet<String> {
        match self.this_device() {
            Some(me) => self.membership().own_devices(me),
            None => Default::default(),
        }
    }
}

/// Who acts through a journal (see [`Journal::acting`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Acting {
    /// The person whose device this is.
    Person(PartnerId),
    /// The home display: someone at home, who names themselves when leaving a note.
    Display,
    /// A journal with no device identity (generators, tools): no person is checked.
    Anyone,
}

impl Acting {
    /// The person acting, if a person is (not the home display, not a tool).
    pub fn person(self) -> Option<PartnerId> {
        match self {
            Acting::Person(p) => Some(p),
            Acting::Display | Acting::Anyone => None,
        }
    }
}

/// The key a journal signs its membership statements with.
pub(crate) struct Identity {
    key: SigningKey,
    endpoint_id: String,
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("endpoint_id", &self.endpoint_id)
            .finish_non_exhaustive()
    }
}

/// A membership evaluation and the statements it was made from.
#[derive(Debug)]
pub(crate) struct Cached {
    fingerprint: [u8; 32],
    membership: Arc<Membership>,
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::membership::Refusal;
    use crate::model::{Collection, WallFilter};
    use automerge::transaction::Transactable;

    thread_local! {
        /// The Automerge actor of each identified device, by endpoint id.
        static ACTORS: std::cell::RefCell<std::collections::HashMap<String, String>> =
            Default::default();
    }

    /// Gives a journal a device identity from a one-byte seed; returns its endpoint id.
    fn identify(j: &mut Journal, n: u8) -> String {
        j.set_identity(&[n; 32]);
        let id = j.this_device().unwrap().to_owned();
        let actor = j.doc(DocKind::Shared).get_actor().to_hex_string();
        ACTORS.with(|a| a.borrow_mut().insert(id.clone(), actor));
        id
    }

    fn device(id: &str, owner: DeviceOwner, kind: DeviceKind, name: &str) -> NewDevice {
        NewDevice {
            endpoint_id: id.into(),
            age_recipient: age::x25519::Identity::generate().to_public().to_string(),
            owner,
            kind,
            name: name.into(),
            actor: ACTORS
                .with(|a| a.borrow().get(id).cloned())
                .unwrap_or_else(|| "ab".repeat(16)),
        }
    }

    /// The journal's founding device, `id`, as `person`'s.
    fn found_as(j: &mut Journal, id: &str, person: &Id, name: &str) {
        let owner = DeviceOwner::Partner(person.clone());
        j.found(&device(id, owner, DeviceKind::Personal, name), at(1))
            .unwrap();
    }

    #[test]
    fn devices_are_added_and_revoked_by_signed_statements() {
        let (mut a, mut b, ana, ben) = couple();
        let a_id = identify(&mut a, 1);
        let b_id = identify(&mut b, 2);
        let display_id = hex_encode(SigningKey::from_bytes(&[3; 32]).verifying_key().as_bytes());
        found_as(&mut a, &a_id, &ana, "Ana's phone");
        assert!(a.is_member(&a_id));
        // A second founding on another device counts nowhere but there.
        found_as(&mut b, &b_id, &ben, "Ben's phone");
        a.admit_device(
            AddRole::Partner,
            &device(
                &b_id,
                DeviceOwner::Partner(ben.clone()),
                DeviceKind::Personal,
                "Ben's phone",
            ),
            at(2),
        )
        .unwrap();
        sync(&mut a, &mut b);
        b.set_root(Some(&a_id));
        for j in [&a, &b] {
            assert!(j.is_member(&a_id) && j.is_member(&b_id));
            assert_eq!(
                j.devices().len(),
                2,
                "Ben's own founding is not listed apart"
            );
        }
        // Ben adds the display; Ana cannot add a device in Ben's name while he has one.
        b.admit_device(
            AddRole::Display,
            &device(
                &display_id,
                DeviceOwner::Home,
                DeviceKind::Display,
                "Kitchen",
            ),
            at(3),
        )
        .unwrap();
        let err = a
            .admit_device(
                AddRole::Partner,
                &device(
                    &"ee".repeat(32),
                    DeviceOwner::Partner(ben.clone()),
                    DeviceKind::Personal,
                    "Ben's tablet",
                ),
                at(3),
            )
            .unwrap_err();
        assert!(
            matches!(err, JournalError::Refused(Refusal::PersonHasDevices)),
            "{err}"
        );
        sync(&mut a, &mut b);
        assert!(a.is_member(&display_id));
        a.revoke_device(&display_id, at(4)).unwrap();
        assert!(!a.is_member(&display_id));
        let d = a.device(&display_id).unwrap();
        assert_eq!(d.revoked_at, Some(at(4)));
        assert!(matches!(d.standing, Standing::Revoked { .. }));
        a.unrevoke_device(&display_id, at(5)).unwrap();
        assert!(a.is_member(&display_id));
        assert!(matches!(
            a.revoke_device(&"00".repeat(32), at(5)),
            Err(JournalError::NotFound { .. })
        ));
        assert_eq!(a.find_device("kitchen").unwrap().owner, DeviceOwner::Home);
        // Bad input changes nothing.
        let before = a.devices();
        let mut bad = device("nope", DeviceOwner::Home, DeviceKind::Display, "x");
        assert!(a.admit_device(AddRole::Display, &bad, at(6)).is_err());
        bad.endpoint_id = "dd".repeat(32);
        bad.age_recipient = "ssh-ed25519".into();
        assert!(a.admit_device(AddRole::Display, &bad, at(6)).is_err());
        assert_eq!(a.devices(), before);
        let addrs = vec!["192.0.2.1:4000".to_owned(), "[2001:db8::1]:4000".to_owned()];
        assert!(a.set_device_addrs(&display_id, &addrs, at(7)).unwrap());
        assert!(
            !a.set_device_addrs(&display_id, &addrs, at(8)).unwrap(),
            "unchanged: nothing written"
        );
        assert_eq!(a.device(&display_id).unwrap().addrs, addrs);
        assert!(
            a.set_device_addrs(&display_id, &["nonsense".to_owned()], at(9))
                .is_err()
        );
    }

    /// Ana's phone, Ben's phone and the display, each journal acting as its device.
    fn household() -> (Journal, Journal, Journal, Id, Id) {
        let (mut a, mut b, ana, ben) = couple();
        let a_id = identify(&mut a, 1);
        let b_id = identify(&mut b, 2);
        let mut d = Journal::new(b"device-d").unwrap().with_seed(3);
        let d_id = identify(&mut d, 3);
        let person = |p: &Id| DeviceOwner::Partner(p.clone());
        found_as(&mut a, &a_id, &ana, "Ana's phone");
        a.admit_device(
            AddRole::Partner,
            &device(&b_id, person(&ben), DeviceKind::Personal, "Ben's phone"),
            at(1),
        )
        .unwrap();
        a.admit_device(
            AddRole::Display,
            &device(&d_id, DeviceOwner::Home, DeviceKind::Display, "Kitchen"),
            at(1),
        )
        .unwrap();
        sync(&mut a, &mut b);
        d.merge(&mut a, false).unwrap();
        b.set_root(Some(&a_id));
        d.set_root(Some(&a_id));
        (a, b, d, ana, ben)
    }

    #[test]
    fn each_device_acts_only_as_its_owner() {
        let (mut a, mut b, mut d, ana, ben) = household();
        assert_eq!(a.acting(), Acting::Person(ana.clone()));
        assert_eq!(b.acting(), Acting::Person(ben.clone()));
        assert_eq!(d.acting(), Acting::Display);
        // A note in the other's name from one's own device is refused, nothing written.
        let heads = a.heads(DocKind::Shared);
        assert!(matches!(
            a.add_appreciation(&ben, "Ben says: I was wrong", false, at(2)),
            Err(JournalError::ActsAsOwner { .. })
        ));
        assert_eq!(a.heads(DocKind::Shared), heads);
        // The display leaves notes in the name of whoever picked theirs, and nothing else.
        d.add_appreciation(&ben, "Left on the kitchen wall", true, at(2))
            .unwrap();
        assert!(matches!(
            d.check_in(
                &ana,
                T0.to_datetime().unwrap().date_naive(),
                3,
                3,
                None,
                at(2)
            ),
            Err(JournalError::DisplayCannot)
        ));
        // Only the author edits; the partner may hide a note from the display, not show it.
        let note = b
            .add_appreciation(&ben, "Thank you for dinner", true, at(3))
            .unwrap();
        sync(&mut a, &mut b);
        assert!(matches!(
            a.edit_appreciation(&note, "rewritten by Ana", at(4)),
            Err(JournalError::NotTheAuthor { .. })
        ));
        a.set_wall_safe(&note, false, at(4)).unwrap();
        assert!(matches!(
            a.set_wall_safe(&note, true, at(5)),
            Err(JournalError::NotTheAuthor { .. })
        ));
        sync(&mut a, &mut b);
        b.set_wall_safe(&note, true, at(6)).unwrap();
        b.edit_appreciation(&note, "Thank you for a lovely dinner", at(6))
            .unwrap();
        // Only the author deletes a note; either partner a date plan.
        assert!(matches!(
            a.delete(&note, &ana, at(7)),
            Err(JournalError::NotTheAuthor { .. })
        ));
        let plan = a
            .plan_date(
                &ana,
                &crate::NewDate {
                    title: "Picnic".into(),
                    ..Default::default()
                },
                at(7),
            )
            .unwrap();
        sync(&mut a, &mut b);
        b.delete(&plan, &ben, at(7)).unwrap();
        // Reactions, marks, check-ins and kindness only as oneself.
        assert!(a.react(&note, &ben, Some("x"), at(7)).is_err());
        a.react(&note, &ana, None, at(7)).unwrap();
        assert!(
            a.log_kindness(&ben, "made tea", at(7), None, at(7))
                .is_err()
        );
        assert!(
            a.check_in(
                &ben,
                T0.to_datetime().unwrap().date_naive(),
                3,
                3,
                None,
                at(7)
            )
            .is_err()
        );
    }

    #[test]
    fn date_status_changes_follow_their_rules() {
        use crate::DateStatus;
        let (mut a, mut b, mut d, ana, ben) = household();
        let new = crate::NewDate {
            title: "Dinner by the river".into(),
            start: Some(at(48)),
            ..Default::default()
        };
        let id = a.plan_date(&ana, &new, at(2)).unwrap();
        sync(&mut a, &mut b);
        d.merge(&mut a, false).unwrap();
        let status = |s: DateStatus| crate::DateChange {
            status: Some(s),
            ..Default::default()
        };
        // Not done before it starts, unless the planner says so.
        assert!(
            b.update_date(&id, &status(DateStatus::Done), at(3))
                .is_err()
        );
        assert!(matches!(
            d.update_date(&id, &status(DateStatus::Cancelled), at(3)),
            Err(JournalError::DisplayCannot)
        ));
        b.update_date(&id, &status(DateStatus::Cancelled), at(3))
            .unwrap();
        b.update_date(&id, &status(DateStatus::Planned), at(4))
            .unwrap();
        sync(&mut a, &mut b);
        a.update_date(&id, &status(DateStatus::Done), at(5))
            .unwrap();
        assert!(matches!(
            a.update_date(&id, &status(DateStatus::Cancelled), at(60)),
            Err(JournalError::NotAllowed(Rule::DateHappened))
        ));
        // Each reflects only as themselves.
        assert!(a.reflect_on_date(&id, &ben, "lovely", at(60)).is_err());
        a.reflect_on_date(&id, &ana, "lovely", at(60)).unwrap();
    }

    #[test]
    fn unsigned_device_records_count_for_nothing() {
        let (mut a, _, ana, _) = couple();
        let a_id = identify(&mut a, 1);
        found_as(&mut a, &a_id, &ana, "Ana's phone");
        // What an earlier version (or a tampering member) writes: a plain record.
        let forged = "cc".repeat(32);
        let devices = a.map(DocKind::Shared, "devices").unwrap();
        let rec = a
            .shared
            .put_object(&devices, &forged, ObjType::Map)
            .unwrap();
        a.shared.put(&rec, "age_recipient", "age1qqq").unwrap();
        a.shared.put(&rec, "owner", ana.as_str()).unwrap();
        a.shared.put(&rec, "kind", "personal").unwrap();
        a.shared.put(&rec, "name", "Ana's tablet").unwrap();
        a.shared.commit();
        assert!(!a.is_member(&forged));
        let d = a.device(&forged).unwrap();
        assert!(matches!(d.standing, Standing::Unverified { .. }));
        assert_eq!(a.own_devices(), [a_id].into());
    }

    #[test]
    fn an_unused_partner_can_be_forgotten() {
        let (mut a, _, ana, ben) = couple();
        a.add_appreciation(&ana, "thanks", false, at(1)).unwrap();
        assert!(a.forget_partner(&ana, at(2)).is_err());
        a.forget_partner(&ben, at(2)).unwrap();
        assert_eq!(a.partners().len(), 1);
    }

    /// Writes `value` at `key` of an item straight into the shared document, as an old or
    /// modified client on this device would, bypassing every rule.
    fn write_raw(j: &mut Journal, c: Collection, id: &Id, key: &str, value: &str) {
        let o = j.item(DocKind::Shared, c, id).unwrap();
        j.doc_mut(DocKind::Shared).put(&o, key, value).unwrap();
        j.doc_mut(DocKind::Shared).commit();
    }

    #[test]
    fn text_another_persons_device_wrote_is_named_not_shown_as_the_authors() {
        let (mut a, mut b, _d, ana, ben) = household();
        let note = b
            .add_appreciation(&ben, "Thank you for the flowers", true, at(2))
            .unwrap();
        sync(&mut a, &mut b);
        // Ana's old client rewrites Ben's note with her own actor.
        write_raw(
            &mut a,
            Collection::Appreciations,
            &note,
            "text",
            "Ben says: I was wrong",
        );
        sync(&mut a, &mut b);
        for j in [&a, &b] {
            let n = j.appreciation(&note).unwrap();
            assert_eq!(n.author, ben);
            assert_eq!(n.text, "Thank you for the flowers");
            assert_eq!(n.foreign.len(), 1, "{:?}", n.foreign);
            let f = &n.foreign[0];
            assert_eq!(f.field, "text");
            assert_eq!(f.device.as_deref(), Some("Ana's phone"));
            assert_eq!(f.person.as_ref(), Some(&ana));
            assert_eq!(f.value.as_deref(), Some("Ben says: I was wrong"));
            assert_eq!(
                j.wall(&WallFilter::default())[0].text,
                "Thank you for the flowers"
            );
        }
        // Ben writes again: his own value shows and nothing is marked.
        b.edit_appreciation(&note, "Thank you for the tulips", at(3))
            .unwrap();
        sync(&mut a, &mut b);
        let n = a.appreciation(&note).unwrap();
        assert_eq!(n.text, "Thank you for the tulips");
        assert!(n.foreign.is_empty());
    }

    #[test]
    fn the_authors_concurrent_edit_wins_over_another_devices_write() {
        let (mut a, mut b, _d, _ana, ben) = household();
        let note = b.add_appreciation(&ben, "Thanks", false, at(2)).unwrap();
        sync(&mut a, &mut b);
        // At the same time: Ben edits, Ana's old client writes to the same note.
        b.edit_appreciation(&note, "Thanks for the tea", at(3))
            .unwrap();
        write_raw(
            &mut a,
            Collection::Appreciations,
            &note,
            "text",
            "overwritten",
        );
        sync(&mut a, &mut b);
        for j in [&a, &b] {
            let n = j.appreciation(&note).unwrap();
            assert_eq!(n.text, "Thanks for the tea");
            // Automerge may pick either value as the winner; Ana's is named only if it won.
            assert!(
                n.foreign
                    .iter()
                    .all(|f| f.value.as_deref() == Some("overwritten"))
            );
        }
    }

    #[test]
    fn a_note_written_in_the_others_name_shows_as_the_writers() {
        let (mut a, mut b, _d, ana, ben) = household();
        // Ana's modified client writes a note and names Ben its author.
        let note = a
            .add_appreciation(&ana, "Ana was right", false, at(2))
            .unwrap();
        write_raw(
            &mut a,
            Collection::Appreciations,
            &note,
            "author",
            ben.as_str(),
        );
        sync(&mut a, &mut b);
        let n = b.appreciation(&note).unwrap();
        assert_eq!(n.author, ana, "shown as the person whose device wrote it");
        assert_eq!(n.foreign.len(), 1);
        assert_eq!(n.foreign[0].field, "author");
        assert_eq!(n.foreign[0].value.as_deref(), Some(ben.as_str()));
        // Ben's wall does not list it as his.
        let bens = b.wall(&WallFilter {
            author: Some(ben.clone()),
            ..Default::default()
        });
        assert!(bens.iter().all(|x| x.id != note));
        // And Ben cannot be made to be its author by the rules either: Ana still is.
        assert!(matches!(
            b.edit_appreciation(&note, "mine now", at(3)),
            Err(JournalError::NotTheAuthor { .. })
        ));
    }

    #[test]
    fn a_change_from_a_device_nobody_admitted_is_named_as_unknown() {
        let (mut a, mut b, _d, _ana, ben) = household();
        let note = b.add_appreciation(&ben, "Thanks", false, at(2)).unwrap();
        sync(&mut a, &mut b);
        // An outsider's program with its own actor id writes into a copy of the journal.
        let mut outsider = automerge::AutoCommit::load(&a.doc_mut(DocKind::Shared).save())
            .unwrap()
            .with_actor(automerge::ActorId::from(b"outsider-actor-x".as_slice()));
        let o = a
            .item(DocKind::Shared, Collection::Appreciations, &note)
            .unwrap();
        outsider.put(&o, "text", "from outside").unwrap();
        outsider.commit();
        let changes = outsider.save_after(&a.heads(DocKind::Shared));
        a.apply(DocKind::Shared, &changes).unwrap();
        let n = a.appreciation(&note).unwrap();
        assert_eq!(n.text, "Thanks");
        assert_eq!(n.foreign.len(), 1);
        assert_eq!(n.foreign[0].device, None);
        assert_eq!(n.foreign[0].person, None);
        // A note it made whole shows as it is, every part named.
        let coll = a.coll(DocKind::Shared, Collection::Appreciations).unwrap();
        let o = outsider
            .put_object(&coll, "01ZZZZZZZZZZZZZZZZZZZZZZZZ", automerge::ObjType::Map)
            .unwrap();
        outsider.put(&o, "author", ben.as_str()).unwrap();
        outsider.put(&o, "text", "a note from nowhere").unwrap();
        outsider.put(&o, "created", at(3).0).unwrap();
        outsider
            .put_object(&o, "reactions", automerge::ObjType::Map)
            .unwrap();
        outsider.commit();
        let changes = outsider.save_after(&a.heads(DocKind::Shared));
        a.apply(DocKind::Shared, &changes).unwrap();
        let n = a
            .appreciation(&Id::from("01ZZZZZZZZZZZZZZZZZZZZZZZZ"))
            .unwrap();
        assert_eq!(n.text, "a note from nowhere");
        let fields: Vec<&str> = n.foreign.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(fields, vec!["author", "text"]);
    }

    #[test]
    fn a_note_left_on_the_display_is_marked_and_keeps_the_name_picked() {
        let (mut a, mut b, mut d, ana, ben) = household();
        let note = d
            .add_appreciation(&ben, "Left on the kitchen wall", true, at(2))
            .unwrap();
        a.merge(&mut d, false).unwrap();
        sync(&mut a, &mut b);
        for j in [&a, &b, &d] {
            let n = j.appreciation(&note).unwrap();
            assert_eq!(n.author, ben);
            assert!(n.left_on_display);
            assert!(n.foreign.is_empty(), "{:?}", n.foreign);
        }
        // Ben may still edit what was left in his name; Ana may not.
        b.edit_appreciation(&note, "Left on the kitchen wall, by me", at(3))
            .unwrap();
        assert!(a.edit_appreciation(&note, "no", at(3)).is_err());
        // A note Ana writes on her phone is not marked as left on the display.
        let own = a.add_appreciation(&ana, "Hi", true, at(4)).unwrap();
        assert!(!a.appreciation(&own).unwrap().left_on_display);
    }

    #[test]
    fn statements_hurts_and_listening_keep_their_authors_words() {
        let (mut a, mut b, _d, ana, ben) = household();
        let parts = crate::IStatementParts {
            observation: "When the dishes wait till morning".into(),
            feeling: "I feel tired".into(),
            need: "I need us to share the evening".into(),
            request: "Could we do them together?".into(),
        };
        let st = b
            .write_i_statement(&ben, &parts, crate::Visibility::Shared, at(2))
            .unwrap();
        let hurt = b
            .write_hurt(
                &ben,
                "You forgot my birthday",
                crate::Visibility::Shared,
                at(2),
            )
            .unwrap();
        let talk = b.start_listening(&ben, "I miss our walks", at(2)).unwrap();
        sync(&mut a, &mut b);
        write_raw(
            &mut a,
            Collection::Conversations,
            &st,
            "feeling",
            "I feel nothing",
        );
        write_raw(
            &mut a,
            Collection::Repairs,
            &hurt,
            "hurt",
            "nothing happened",
        );
        write_raw(
            &mut a,
            Collection::Conversations,
            &talk,
            "statement",
            "all is fine",
        );
        sync(&mut a, &mut b);
        let s = b.i_statements().into_iter().find(|s| s.id == st).unwrap();
        assert_eq!(s.parts, parts);
        assert_eq!(s.foreign[0].field, "feeling");
        let r = b.repair(&hurt).unwrap();
        assert_eq!(r.hurt, "You forgot my birthday");
        assert_eq!(r.foreign[0].person.as_ref(), Some(&ana));
        let l = b.listening_exchange(&talk).unwrap();
        assert_eq!(l.statement, "I miss our walks");
        assert_eq!(l.foreign[0].field, "statement");
    }
}
