//! Devices: who is paired, who is connected, and the sync status every screen shows.

use crate::{DeviceKind, DeviceOwner};

use super::PeerStatus;

use super::{Colour, Moment, People, format};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SyncKind {
    /// No other device yet.
    #[default]
    Alone,
    /// Other devices exist; none is connected now.
    Offline,
    /// At least one other device is connected.
    Connected,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct SyncView {
    pub kind: SyncKind,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct DeviceView {
    pub id: String,
    pub name: String,
    pub owner: String,
    pub colour: Colour,
    pub status: String,
    pub connected: bool,
    pub revoked: bool,
    pub this_device: bool,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct DevicesView {
    pub devices: Vec<DeviceView>,
    pub can_invite_partner: bool,
}

/// A long code in groups of `n` characters, easier to read and to compare by eye; pairing
/// tickets ignore the spaces when read back.
pub fn grouped(code: &str, n: usize) -> String {
    let chars: Vec<char> = code.chars().filter(|c| !c.is_whitespace()).collect();
    chars
        .chunks(n.max(1))
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn build(peers: &[PeerStatus], people: &People, at: Moment) -> DevicesView {
    let mut devices: Vec<DeviceView> = peers
        .iter()
        .map(|p| {
            let d = &p.device;
            let (owner, colour) = match &d.owner {
                DeviceOwner::Partner(id) => {
                    let person = people.get(id);
                    (person.name, person.colour)
                }
                DeviceOwner::Home => ("Home".to_owned(), Colour::UNKNOWN),
            };
            let kind = if d.kind == DeviceKind::Display {
                "home display · "
            } else {
                ""
            };
            let status = if p.this_device && !d.is_member() {
                "this device · not a member yet: join with a code from one of your devices"
                    .to_owned()
            } else if p.this_device {
                "this device".to_owned()
            } else if let Some(when) = d.revoked_at {
                format!("stopped syncing {}", format::written(when, at))
            } else if !d.is_member() {
                "not admitted by a signed pairing: it cannot sync".to_owned()
            } else if p.connected {
                "connected now".to_owned()
            } else if let Some(when) = p.last_sync {
                format!("last synced {}", format::ago(when, at))
            } else {
                "not synced yet".to_owned()
            };
            DeviceView {
                id: d.endpoint_id.clone(),
                name: d.name.clone(),
                owner,
                colour,
                status: format!("{kind}{status}"),
                connected: p.connected,
                // Greyed out with "let it sync again" when revoked (or named by nothing that counts);
                // this device, not admitted yet, has nothing to undo.
                revoked: !d.is_member() && !p.this_device,
                this_device: p.this_device,
            }
        })
        .collect();
    devices.sort_by(|a, b| {
        (!a.this_device, a.revoked, &a.name).cmp(&(!b.this_device, b.revoked, &b.name))
    });
    DevicesView {
        devices,
        can_invite_partner: people.ordered().len() < 2,
    }
}

/// The Devices screen's line about the mailbox; empty when none is set up.
pub fn mailbox_line(status: Option<&crate::MailboxStatus>, at: Moment) -> String {
    let Some(s) = status else {
        return String::new();
    };
    if s.dropped_before.is_some() {
        return "Mailbox: some changes for this device were dropped before it fetched them.                 Sync once directly with another of your devices (both on the same network)."
            .into();
    }
    let waiting = match s.pending {
        0 => "nothing waiting to go".to_owned(),
        1 => "1 change waiting to go".to_owned(),
        n => format!("{n} changes waiting to go"),
    };
    match (s.last_reached, &s.last_error) {
        (_, Some(_)) | (None, None) => match s.last_reached {
            Some(when) => format!(
                "Mailbox not reached just now (last {}) · {waiting}",
                format::ago(when, at)
            ),
            None => format!("Mailbox not reached yet · {waiting}"),
        },
        (Some(when), None) => format!("Mailbox reached {} · {waiting}", format::ago(when, at)),
    }
}

pub fn sync_view(peers: &[PeerStatus], at: Moment) -> SyncView {
    let others: Vec<&PeerStatus> = peers
        .iter()
        .filter(|p| !p.this_device && p.device.is_member())
        .collect();
    if others.is_empty() {
        return SyncView {
            kind: SyncKind::Alone,
            text: "Only on this device so far".into(),
        };
    }
    let connected: Vec<&str> = others
        .iter()
        .filter(|p| p.connected)
        .map(|p| p.device.name.as_str())
        .collect();
    match connected.as_slice() {
        [] => {
            let last = others.iter().filter_map(|p| p.last_sync).max();
            SyncView {
                kind: SyncKind::Offline,
                text: match last {
                    Some(when) => format!("Not connected · synced {}", format::ago(when, at)),
                    None => "Not connected yet · changes wait safely here".into(),
                },
            }
        }
        [one] => SyncView {
            kind: SyncKind::Connected,
            text: format!("In sync with {one}"),
        },
        [one, rest @ ..] => SyncView {
            kind: SyncKind::Connected,
            text: format!("In sync with {one} and {} more", rest.len()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::{Device, Timestamp};

    fn peer(name: &str, this: bool, connected: bool, last: Option<Timestamp>) -> PeerStatus {
        PeerStatus {
            device: Device {
                endpoint_id: format!("id-{name}"),
                age_recipient: "age1x".into(),
                owner: DeviceOwner::Home,
                kind: DeviceKind::Personal,
                name: name.into(),
                added_by: None,
                added_at: at_hours(-100),
                revoked_at: None,
                addrs: vec![],
                standing: crate::membership::Standing::Member,
                role: None,
                actor: String::new(),
            },
            connected,
            last_sync: last,
            this_device: this,
        }
    }

    #[test]
    fn the_mailbox_in_words() {
        let at = moment();
        assert_eq!(mailbox_line(None, at), "");
        let mut s = crate::MailboxStatus {
            mailbox: crate::MailboxRecord {
                endpoint_id: "ab".repeat(32),
                addrs: vec![],
                relay: None,
                couple: "0f".repeat(16),
                added_by: "cd".repeat(32),
                added_at: at_hours(-5),
            },
            last_reached: Some(at_hours(-2)),
            last_sent: None,
            last_fetched: None,
            pending: 0,
            dropped_before: None,
            last_error: None,
        };
        assert_eq!(
            mailbox_line(Some(&s), at),
            "Mailbox reached 2 hours ago · nothing waiting to go"
        );
        s.pending = 3;
        s.last_error = Some("could not reach the mailbox".into());
        assert_eq!(
            mailbox_line(Some(&s), at),
            "Mailbox not reached just now (last 2 hours ago) · 3 changes waiting to go"
        );
        s.dropped_before = Some(at_hours(-1000));
        assert!(mailbox_line(Some(&s), at).contains("Sync once directly"));
    }

    #[test]
    fn codes_read_in_groups() {
        assert_eq!(grouped("HEARTH2ABCDEFGH", 4), "HEAR TH2A BCDE FGH");
        assert_eq!(grouped("", 4), "");
    }

    #[test]
    fn sync_status_in_words() {
        let at = moment();
        let me = peer("Ana's phone", true, false, None);
        assert_eq!(
            sync_view(std::slice::from_ref(&me), at).kind,
            SyncKind::Alone
        );
        let away = peer("Ben's phone", false, false, Some(at_hours(-2)));
        let v = sync_view(&[me.clone(), away.clone()], at);
        assert_eq!(v.kind, SyncKind::Offline);
        assert_eq!(v.text, "Not connected · synced 2 hours ago");
        let here = peer("Ben's phone", false, true, None);
        let v = sync_view(&[me, here], at);
        assert_eq!(
            (v.kind, v.text.as_str()),
            (SyncKind::Connected, "In sync with Ben's phone")
        );
    }

    #[test]
    fn this_device_first_revoked_last() {
        let (j, ana, _) = couple();
        let mut gone = peer("Old tablet", false, false, None);
        gone.device.revoked_at = Some(at_hours(-1));
        gone.device.standing = crate::membership::Standing::Revoked { by: "x".into() };
        let v = build(
            &[
                gone,
                peer("Ana's phone", true, false, None),
                peer("Ben's phone", false, true, None),
            ],
            &People::of(&j, Some(ana)),
            moment(),
        );
        let names: Vec<_> = v.devices.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["Ana's phone", "Ben's phone", "Old tablet"]);
        assert_eq!(v.devices[2].status, "stopped syncing yesterday 23:00");
        assert!(!v.can_invite_partner);
    }
}
