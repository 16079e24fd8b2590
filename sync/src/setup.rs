//! Setting a device up: a new profile with its keys, and the device's place in the journal.

use std::path::Path;

use hearth_core::keys::{KeySealing, SecretString};
use hearth_core::{DeviceKind, DeviceOwner, NewDevice, Profile, Replica, Timestamp, Trust};

use crate::error::Result;
use crate::node::endpoint_id_of;

/// The first partner's colour (warm terracotta).
pub const FIRST_COLOUR: &str = "#c0623b";
/// The second partner's colour (calm blue), used when both would otherwise match.
pub const SECOND_COLOUR: &str = "#3b7fc0";

/// How a device starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setup {
    /// A person's own device: `name` is the person's name.
    Person,
    /// The home display: `name` is the display's name.
    Display,
}

/// Creates a profile in `dir` for a new device and records it in its journal: a person's
/// device starts a journal with that person in it; a display waits to be paired.
pub fn init_device(
    dir: &Path,
    name: &str,
    setup: Setup,
    passphrase: Option<&SecretString>,
    sealing: KeySealing,
) -> Result<Profile> {
    let name = name.trim();
    let (device_name, kind) = match setup {
        Setup::Person => (format!("{name}'s device"), DeviceKind::Personal),
        Setup::Display => (name.to_owned(), DeviceKind::Display),
    };
    // Check the name before anything is written.
    hearth_core::Journal::new(b"check")?.add_partner(name, FIRST_COLOUR, Timestamp::now())?;
    let options = hearth_core::CreateOptions {
        device_name: device_name.clone(),
        kind: kind.clone(),
        sealing,
    };
    let profile = Profile::create(dir, passphrase, &options)?;
    let mut replica = Replica::open(profile)?;
    if setup == Setup::Person {
        // A person's first device founds a journal: it signs its own addition and pins itself
        // as the founder it trusts. A display waits for a person's device to admit it.
        let now = Timestamp::now();
        let (profile, journal) = replica.parts_mut();
        let endpoint_id = endpoint_id_of(profile.keys().endpoint_secret());
        let person = journal.add_partner(name, FIRST_COLOUR, now)?;
        journal.found(
            &NewDevice {
                endpoint_id: endpoint_id.clone(),
                age_recipient: profile.keys().recipient_string(),
                owner: DeviceOwner::Partner(person),
                kind,
                name: device_name,
                actor: hearth_core::keys::hex(&profile.keys().actor_id()),
            },
            now,
        )?;
        profile.store_mut().set_trust(Trust {
            root: Some(endpoint_id),
            own: Default::default(),
        })?;
    }
    replica.commit()?;
    Ok(replica.into_profile())
}
