//! Partners and devices: who shares the journal, and which devices may sync it.

use automerge::{ObjType, transaction::Transactable};

use super::{DocKind, Journal};
use crate::doc;
use crate::error::{JournalError, Result};
use crate::ids::{Id, PartnerId, Timestamp};
use crate::model::{Device, DeviceKind, DeviceOwner, NewDevice, Partner};
use crate::text;

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
            return Err(JournalError::NotAllowed(
                "this person already has entries in the journal; they cannot be removed".into(),
            ));
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

    /// Records a paired device (or updates its record if it is already known, un-revoking it).
    pub fn add_device(&mut self, device: &NewDevice, now: Timestamp) -> Result<()> {
        let endpoint = text::line("endpoint id", &device.endpoint_id, true)?;
        let recipient = text::line("age recipient", &device.age_recipient, true)?;
        if !recipient.starts_with("age1") {
            return Err(JournalError::OutOfRange {
                field: "age recipient",
                detail: "an age recipient starts with age1".into(),
            });
        }
        let name = text::line("device name", &device.name, true)?;
        if let DeviceOwner::Partner(p) = &device.owner {
            self.require_partner(p)?;
        }
        now.check("time")?;
        self.write(now, |j| {
            let devices = j.map(DocKind::Shared, "devices")?;
            let d = &mut j.shared;
            let dev = doc::ensure_map(d, &devices, &endpoint)?;
            d.put(&dev, "age_recipient", recipient.as_str())?;
            d.put(&dev, "owner", device.owner.encode())?;
            d.put(&dev, "kind", device.kind.as_str())?;
            d.put(&dev, "name", name.as_str())?;
            doc::put_opt_str(d, &dev, "added_by", device.added_by.as_deref())?;
            if doc::int(d, &dev, "added_at").is_none() {
                d.put(&dev, "added_at", now.0)?;
            }
            doc::put_opt_int(d, &dev, "revoked_at", None)?;
            Ok(())
        })
    }

    /// Revokes a device: it may no longer sync. Reversible with [`Journal::unrevoke_device`].
    pub fn revoke_device(&mut self, endpoint_id: &str, now: Timestamp) -> Result<()> {
        self.set_revoked(endpoint_id, Some(now.check("time")?), now)
    }

    /// Lets a revoked device sync again.
    pub fn unrevoke_device(&mut self, endpoint_id: &str, now: Timestamp) -> Result<()> {
        self.set_revoked(endpoint_id, None, now)
    }

    fn set_revoked(
        &mut self,
        endpoint_id: &str,
        at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<()> {
        let devices = self.map(DocKind::Shared, "devices")?;
        let dev = doc::obj(&self.shared, &devices, endpoint_id).ok_or_else(|| {
            JournalError::NotFound {
                kind: "device",
                id: endpoint_id.to_owned(),
            }
        })?;
        self.write(now, |j| {
            doc::put_opt_int(&mut j.shared, &dev, "revoked_at", at.map(|t| t.0))
        })
    }

    /// Records where a device listens, so other members can dial it. Nothing is written when
    /// the addresses are unchanged. Returns whether they changed.
    pub fn set_device_addrs(
        &mut self,
        endpoint_id: &str,
        addrs: &[String],
        now: Timestamp,
    ) -> Result<bool> {
        let devices = self.map(DocKind::Shared, "devices")?;
        let dev = doc::obj(&self.shared, &devices, endpoint_id).ok_or_else(|| {
            JournalError::NotFound {
                kind: "device",
                id: endpoint_id.to_owned(),
            }
        })?;
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
        if doc::string(&self.shared, &dev, "addrs").unwrap_or_default() == joined {
            return Ok(false);
        }
        self.write(now, |j| {
            j.shared.put(&dev, "addrs", joined.as_str())?;
            Ok(true)
        })
    }

    /// Every device ever paired, revoked ones included, oldest first.
    pub fn devices(&self) -> Vec<Device> {
        let Ok(devices) = self.map(DocKind::Shared, "devices") else {
            return Vec::new();
        };
        let d = &self.shared;
        let mut out: Vec<Device> = doc::keys(d, &devices)
            .into_iter()
            .filter_map(|key| {
                let o = doc::obj(d, &devices, &key)?;
                Some(Device {
                    age_recipient: doc::string(d, &o, "age_recipient")?,
                    owner: DeviceOwner::decode(&doc::string(d, &o, "owner")?),
                    kind: DeviceKind::from(
                        doc::string(d, &o, "kind").unwrap_or_else(|| "personal".into()),
                    ),
                    name: doc::string(d, &o, "name").unwrap_or_default(),
                    added_by: doc::string(d, &o, "added_by"),
                    added_at: Timestamp(doc::int(d, &o, "added_at").unwrap_or(0)),
                    revoked_at: doc::int(d, &o, "revoked_at").map(Timestamp),
                    addrs: doc::string(d, &o, "addrs")
                        .map(|a| a.split_whitespace().map(str::to_owned).collect())
                        .unwrap_or_default(),
                    endpoint_id: key,
                })
            })
            .collect();
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
            _ => Err(JournalError::NotAllowed(format!(
                "{needle:?} matches more than one device; give more of its id"
            ))),
        }
    }

    /// Whether a device may sync: paired and not revoked.
    pub fn is_member(&self, endpoint_id: &str) -> bool {
        self.device(endpoint_id)
            .is_some_and(|d| d.revoked_at.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    fn phone(owner: DeviceOwner, id: &str) -> NewDevice {
        NewDevice {
            endpoint_id: id.into(),
            age_recipient: "age1qqqqexample".into(),
            owner,
            kind: DeviceKind::Personal,
            name: format!("phone {id}"),
            added_by: None,
        }
    }

    #[test]
    fn partners_are_two_at_most() {
        let (mut a, _, ana, _) = couple();
        assert!(matches!(
            a.add_partner("Cleo", "#112233", T0),
            Err(JournalError::TooManyPartners)
        ));
        a.update_partner(&ana, Some("Anna"), Some("#ABCDEF"), at(1))
            .unwrap();
        let p = a.partner(&ana).unwrap();
        assert_eq!((p.name.as_str(), p.colour.as_str()), ("Anna", "#abcdef"));
        assert!(a.add_partner("", "#112233", T0).is_err());
        assert!(matches!(
            a.update_partner(&ana, None, Some("red"), at(1)),
            Err(JournalError::OutOfRange { .. })
        ));
        assert_eq!(a.find_partner("anna").unwrap().id, ana);
    }

    #[test]
    fn devices_can_be_added_revoked_and_restored() {
        let (mut a, _, ana, _) = couple();
        a.add_device(&phone(DeviceOwner::Partner(ana.clone()), "ep1"), at(1))
            .unwrap();
        a.add_device(&phone(DeviceOwner::Home, "ep2"), at(2))
            .unwrap();
        assert!(a.is_member("ep1"));
        a.revoke_device("ep1", at(3)).unwrap();
        assert!(!a.is_member("ep1"));
        assert_eq!(a.device("ep1").unwrap().revoked_at, Some(at(3)));
        a.unrevoke_device("ep1", at(4)).unwrap();
        assert!(a.is_member("ep1"));
        assert!(matches!(
            a.revoke_device("nope", at(5)),
            Err(JournalError::NotFound { .. })
        ));
        assert_eq!(a.find_device("ep2").unwrap().owner, DeviceOwner::Home);
        assert!(a.find_device("ep").is_err());
        let mut bad = phone(DeviceOwner::Partner(Id::from("ghost")), "ep3");
        assert!(matches!(
            a.add_device(&bad, at(6)),
            Err(JournalError::NotFound { .. })
        ));
        bad.owner = DeviceOwner::Home;
        bad.age_recipient = "ssh-ed25519".into();
        assert!(a.add_device(&bad, at(6)).is_err());
        assert_eq!(a.devices().len(), 2);
        let addrs = vec!["192.0.2.1:4000".to_owned(), "[2001:db8::1]:4000".to_owned()];
        assert!(a.set_device_addrs("ep2", &addrs, at(7)).unwrap());
        assert!(
            !a.set_device_addrs("ep2", &addrs, at(8)).unwrap(),
            "unchanged: nothing written"
        );
        assert_eq!(a.device("ep2").unwrap().addrs, addrs);
        assert!(
            a.set_device_addrs("ep2", &["nonsense".to_owned()], at(9))
                .is_err()
        );
    }

    #[test]
    fn an_unused_partner_can_be_forgotten() {
        let (mut a, _, ana, ben) = couple();
        a.add_appreciation(&ana, "thanks", false, at(1)).unwrap();
        assert!(a.forget_partner(&ana, at(2)).is_err());
        a.forget_partner(&ben, at(2)).unwrap();
        assert_eq!(a.partners().len(), 1);
    }
}
