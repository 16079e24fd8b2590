//! Restoring a backup as a new device: whose device it becomes, what of the backup it keeps,
//! what it is called and whom it trusts, decided from the backup alone before anything is
//! written ([`RestorePlan::new`]), then made ([`RestorePlan::make`]).
//!
//! A restored device is not a member of the journal: nothing about it is written into the
//! journal, so it cannot mint itself a place there. It trusts the backup's founder (to read the
//! membership) only when the backup's own statements bear the founder out, and remembers whom it
//! says it belongs to ([`crate::CLAIMED_PERSON`]) until a member admits it by pairing. A
//! backup's private journal goes only to its own person's device, never to another person's or
//! the home display.

use std::path::Path;

use chrono::NaiveDate;

use crate::backup::{Backup, DEVICE_KEY, FOUNDER_KEY};
use crate::keys::{KeySealing, SecretString};
use crate::membership::AddRole;
use crate::{
    CLAIMED_PERSON, CreateOptions, Device, DeviceKind, DeviceOwner, Journal, JournalError,
    PartnerId, Profile, ProfileError, StoreError, Trust,
};

/// Whose device the restored one is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoreAs {
    /// As the backup says: the owner of the device it was made on, or the journal's only
    /// person, or the only author of its private entries.
    Guess,
    /// This person's (a name or a partner id).
    Person(String),
    /// The home display.
    Display,
}

/// What restoring a backup will make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestorePlan {
    /// Whose device it is.
    pub owner: DeviceOwner,
    /// A person's device or the display.
    pub kind: DeviceKind,
    /// Its name: the one asked for, or one beside the device it replaces that tells them apart.
    pub device_name: String,
    /// The backup's private journal is kept (it is this person's).
    pub keeps_private: bool,
    /// The backup had private entries of someone else's, which are left out.
    pub private_left_out: bool,
    /// The founder the new device trusts, when the backup's statements bear it out.
    pub founder: Option<String>,
    /// The device the backup was made on, as its journal records it.
    pub made_on: Option<Device>,
}

/// Why a backup cannot be restored as asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RestoreError {
    /// The backup's journal does not load.
    #[error("the backup's journal does not load")]
    Unreadable(#[source] JournalError),
    /// The person named is not one of the journal's.
    #[error("{0}")]
    NoSuchPerson(#[source] JournalError),
    /// The journal has two people and the backup does not say whose device it was made on.
    #[error("this journal belongs to {}: whose device is this?", .partners.join(" and "))]
    WhoseDevice {
        /// The journal's people, by name.
        partners: Vec<String>,
    },
    /// A home display's backup holds its wall alone: it restores only as a display.
    #[error("this is a home display's backup: it holds only the wall and restores as a display")]
    DisplayBackup,
    /// The backup is of another journal than the one this device belongs to.
    #[error("the backup is of another journal")]
    OtherJournal,
    /// Making the profile failed (nothing is left behind).
    #[error("could not make the profile")]
    Profile(#[source] ProfileError),
    /// Recording whom the device trusts failed.
    #[error("could not record the journal's founder")]
    Trust(#[source] StoreError),
}

impl RestorePlan {
    /// Decides how `backup` is restored as `restore_as`, named `device_name` if given (`today`,
    /// the caller's local day, tells a third restored device from the first two).
    pub fn new(
        backup: &Backup,
        restore_as: &RestoreAs,
        device_name: Option<&str>,
        today: NaiveDate,
    ) -> Result<RestorePlan, RestoreError> {
        let journal = if backup.display {
            Journal::load_home(&backup.shared, b"hearth-restore")
        } else {
            Journal::load(&backup.shared, backup.private.as_deref(), b"hearth-restore")
        }
        .map_err(RestoreError::Unreadable)?;
        let made_on = made_on(backup, &journal);
        let owner = match restore_as {
            // A display's backup holds its wall alone: it becomes a display again.
            RestoreAs::Person(_) if backup.display => return Err(RestoreError::DisplayBackup),
            _ if backup.display => DeviceOwner::Home,
            RestoreAs::Display => DeviceOwner::Home,
            RestoreAs::Person(name) => DeviceOwner::Partner(
                journal
                    .find_partner(name)
                    .map_err(RestoreError::NoSuchPerson)?
                    .id,
            ),
            RestoreAs::Guess => match &made_on {
                // Whose the device it was made on was: the same answer for every backup of it.
                Some(device) => device.owner.clone(),
                None => {
                    let partners = journal.partners();
                    let authors = private_authors(&journal);
                    match (partners.as_slice(), authors.as_slice()) {
                        ([one], _) => DeviceOwner::Partner(one.id.clone()),
                        (_, [one]) => DeviceOwner::Partner(one.clone()),
                        _ => {
                            return Err(RestoreError::WhoseDevice {
                                partners: partners.into_iter().map(|p| p.name).collect(),
                            });
                        }
                    }
                }
            },
        };
        let (keeps_private, private_left_out) = private_for(backup, &journal, &owner);
        let (kind, default_name) = match &owner {
            DeviceOwner::Home => (DeviceKind::Display, "Home display".to_owned()),
            DeviceOwner::Partner(p) => (
                DeviceKind::Personal,
                format!(
                    "{}'s device",
                    journal
                        .partner(p)
                        .map_or_else(|| "someone".to_owned(), |x| x.name)
                ),
            ),
        };
        // Beside the device it replaces, a restored one needs a name of its own, or revoking
        // by name could not tell them apart.
        let taken = |name: &str| journal.devices().iter().any(|d| d.name == name);
        let device_name = match device_name {
            Some(name) => name.to_owned(),
            None => {
                let restored = format!("{default_name} (restored)");
                if !taken(&default_name) {
                    default_name
                } else if !taken(&restored) {
                    restored
                } else {
                    format!("{default_name} (restored {})", today.format("%-d %b %Y"))
                }
            }
        };
        Ok(RestorePlan {
            founder: founder_of(backup, &journal),
            owner,
            kind,
            device_name,
            keeps_private,
            private_left_out,
            made_on,
        })
    }

    /// Makes the new profile in `dir` as planned: fresh keys, the backup's journals (the
    /// private one only if kept), the founder it trusts and whom it says it belongs to. A
    /// failure leaves nothing in `dir`.
    pub fn make(
        &self,
        dir: &Path,
        backup: &Backup,
        passphrase: Option<&SecretString>,
        sealing: KeySealing,
    ) -> Result<Profile, RestoreError> {
        let options = CreateOptions {
            device_name: self.device_name.clone(),
            kind: self.kind.clone(),
            sealing,
        };
        // Only a backup whose private journal is left out needs a copy without it.
        let without_private;
        let kept = if self.keeps_private || backup.private.is_none() {
            backup
        } else {
            without_private = Backup {
                manifest: backup.manifest.clone(),
                shared: backup.shared.clone(),
                private: None,
                display: backup.display,
            };
            &without_private
        };
        let mut profile =
            Profile::restore(dir, kept, passphrase, &options).map_err(RestoreError::Profile)?;
        let finish = |profile: &mut Profile| -> Result<(), RestoreError> {
            profile
                .store_mut()
                .set_trust(Trust {
                    root: self.founder.clone(),
                    own: Default::default(),
                })
                .map_err(RestoreError::Trust)?;
            if let DeviceOwner::Partner(p) = &self.owner {
                profile
                    .update_config(|c| {
                        c.extra
                            .insert(CLAIMED_PERSON.into(), p.as_str().to_owned().into());
                    })
                    .map_err(RestoreError::Profile)?;
            }
            Ok(())
        };
        if let Err(e) = finish(&mut profile) {
            drop(profile);
            let _ = std::fs::remove_dir_all(dir);
            return Err(e);
        }
        Ok(profile)
    }

    /// Checks that `backup` is of the journal this device belongs to (its statements bear out
    /// `founder`, the founder this device trusts) and says whether its private journal is kept
    /// when merged into a device owned by `owner`, and whether someone else's entries are left
    /// out.
    pub fn merge(
        backup: &Backup,
        founder: Option<&str>,
        owner: &DeviceOwner,
    ) -> Result<(bool, bool), RestoreError> {
        let journal = Journal::load(&backup.shared, backup.private.as_deref(), b"hearth-restore")
            .map_err(RestoreError::Unreadable)?;
        if !founder.is_some_and(|f| founded_by(&journal, f)) {
            return Err(RestoreError::OtherJournal);
        }
        Ok(private_for(backup, &journal, owner))
    }
}

/// The authors of the private items in a backup's private journal.
fn private_authors(j: &Journal) -> Vec<PartnerId> {
    let mut authors: Vec<PartnerId> = j
        .i_statements()
        .into_iter()
        .filter(|s| s.shared_at.is_none())
        .map(|s| s.author)
        .chain(
            j.repairs()
                .into_iter()
                .filter(|r| r.shared_at.is_none())
                .map(|r| r.author),
        )
        .collect();
    authors.sort();
    authors.dedup();
    authors
}

/// Whether a backup's private journal is kept for `owner` (only if every private entry is
/// theirs; never on the display), and whether entries of someone else's are left out.
fn private_for(backup: &Backup, journal: &Journal, owner: &DeviceOwner) -> (bool, bool) {
    if backup.private.is_none() {
        return (false, false);
    }
    let authors = private_authors(journal);
    let keep = match owner {
        DeviceOwner::Home => false,
        DeviceOwner::Partner(p) => authors.iter().all(|a| a == p),
    };
    (keep, !keep && !authors.is_empty())
}

/// The device a backup was made on, as the backup's journal records it.
fn made_on(backup: &Backup, journal: &Journal) -> Option<Device> {
    let id = backup.manifest.extra.get(DEVICE_KEY)?.as_str()?;
    journal.devices().into_iter().find(|d| d.endpoint_id == id)
}

/// The founder a backup names, if the backup's own statements bear it out.
fn founder_of(backup: &Backup, journal: &Journal) -> Option<String> {
    let founder = backup.manifest.extra.get(FOUNDER_KEY)?.as_str()?.to_owned();
    founded_by(journal, &founder).then_some(founder)
}

/// Whether `journal`'s statements name `founder` as the device that founded it.
fn founded_by(journal: &Journal, founder: &str) -> bool {
    journal
        .membership_under(Some(founder))
        .devices()
        .get(founder)
        .is_some_and(|d| d.role == AddRole::Founder)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backup::Manifest;
    use crate::{Timestamp, Visibility};

    const T: Timestamp = Timestamp(1_767_225_600_000);

    fn backup_of(j: &mut Journal) -> Backup {
        let names = j.partners().into_iter().map(|p| p.name).collect();
        let (shared, private) = j.docs_mut();
        Backup {
            manifest: Manifest::new(chrono::Utc::now(), "Ana's phone", names),
            shared: shared.save(),
            private: Some(private.save()),
            display: false,
        }
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    #[test]
    fn whose_device_is_guessed_or_asked_and_private_entries_stay_with_their_person() {
        let mut j = Journal::new(b"restore-test-1").unwrap();
        let ana = j.add_partner("Ana", "#c0623b", T).unwrap();
        j.write_hurt(&ana, "I felt left out at dinner", Visibility::Private, T)
            .unwrap();
        // One person: the device is hers, with her private journal.
        let plan = RestorePlan::new(&backup_of(&mut j), &RestoreAs::Guess, None, day()).unwrap();
        assert_eq!(plan.owner, DeviceOwner::Partner(ana.clone()));
        assert!(plan.keeps_private && !plan.private_left_out);
        assert_eq!(plan.device_name, "Ana's device");
        assert_eq!(plan.founder, None, "the backup names no founder");

        // Two people: the private entries' only author, or, without any, the plan asks.
        let ben = j.add_partner("Ben", "#3b7fc0", T).unwrap();
        let backup = backup_of(&mut j);
        let guessed = RestorePlan::new(&backup, &RestoreAs::Guess, None, day()).unwrap();
        assert_eq!(guessed.owner, DeviceOwner::Partner(ana.clone()));
        let mut both = Journal::new(b"restore-test-3").unwrap();
        both.add_partner("Ana", "#c0623b", T).unwrap();
        both.add_partner("Ben", "#3b7fc0", T).unwrap();
        assert!(matches!(
            RestorePlan::new(&backup_of(&mut both), &RestoreAs::Guess, None, day()),
            Err(RestoreError::WhoseDevice { partners })
                if partners.contains(&"Ana".to_owned()) && partners.contains(&"Ben".to_owned())
        ));
        // Ben's device, or the display: Ana's private entries are left out.
        let bens =
            RestorePlan::new(&backup, &RestoreAs::Person("Ben".into()), None, day()).unwrap();
        assert_eq!(bens.owner, DeviceOwner::Partner(ben));
        assert!(!bens.keeps_private && bens.private_left_out);
        let display =
            RestorePlan::new(&backup, &RestoreAs::Display, Some("Kitchen"), day()).unwrap();
        assert_eq!(
            (display.kind, display.device_name.as_str()),
            (DeviceKind::Display, "Kitchen")
        );
        assert!(!display.keeps_private);
        assert!(matches!(
            RestorePlan::new(&backup, &RestoreAs::Person("Cleo".into()), None, day()),
            Err(RestoreError::NoSuchPerson(_))
        ));

        // Made: the private journal is not in the new store, and the claimed person is kept.
        let dir = tempfile::tempdir().unwrap();
        let at = dir.path().join("ben");
        let mut profile = bens
            .make(&at, &backup, None, KeySealing::default())
            .unwrap();
        assert_eq!(
            profile
                .config()
                .extra
                .get(CLAIMED_PERSON)
                .and_then(|v| v.as_str()),
            Some(bens_id(&bens))
        );
        let replica = crate::Replica::open(profile).unwrap();
        assert!(replica.journal().i_statements().is_empty());
        assert!(replica.journal().repairs().is_empty());
        profile = replica.into_profile();
        drop(profile);

        // A backup of another journal does not merge.
        let other = Journal::new(b"restore-test-2")
            .map(|mut o| backup_of(&mut o))
            .unwrap();
        assert!(matches!(
            RestorePlan::merge(&other, Some("someone"), &DeviceOwner::Home),
            Err(RestoreError::OtherJournal)
        ));
    }

    fn bens_id(plan: &RestorePlan) -> &str {
        match &plan.owner {
            DeviceOwner::Partner(p) => p.as_str(),
            DeviceOwner::Home => "",
        }
    }
}
