//! A profile: the directory holding one device's keys, settings and journal store.
//!
//! ```text
//! PROFILE/            owner-only (0700)
//!   device.key        the device's keys, optionally sealed with a passphrase (0600)
//!   profile.json      settings that are not secret
//!   journal.redb      the sealed store: journal documents, sync state, peer addresses
//!   profile.lock      held by the process that has the profile open; holds its pid
//! ```
//!
//! One process owns a profile at a time. [`Profile`] is an open, locked profile; a second open,
//! from any process, fails at once with [`ProfileError::Locked`], which names the owner. New
//! profiles (created or restored from a backup) are built in a hidden directory next to the
//! target and renamed into place, so a failure leaves nothing half-made behind.

mod config;
pub(crate) mod files;
mod lock;

use std::io::Write;
use std::path::{Path, PathBuf};

use automerge::AutoCommit;

use crate::backup::{self, Backup, BackupError, Manifest};
use crate::keys::{DeviceKeys, KeyError, KeySealing, SecretString};
use crate::model::DeviceKind;
use crate::store::{DocSlot, Store, StoreError};

pub use config::{CONFIG_FORMAT, ProfileConfig};
use lock::ProfileLock;

/// What can go wrong with a profile.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// Another process (or another handle in this one) has the profile open.
    #[error(
        "the profile at {} is in use by another Hearth process{}; close it first (a running app \
         or `hearth serve` carries out commands for this profile)",
        path.display(),
        match pid { Some(pid) => format!(" (pid {pid})"), None => String::new() }
    )]
    Locked {
        /// The profile directory.
        path: PathBuf,
        /// The owner's process id, if it could be read.
        pid: Option<u32>,
    },
    /// There is no profile in the directory.
    #[error("there is no Hearth profile at {}; create one first, or pass --profile DIR", path.display())]
    NotFound {
        /// The directory.
        path: PathBuf,
    },
    /// A profile is already in the directory.
    #[error(
        "a Hearth profile already exists at {}; it was left as it is. Open it, or choose another directory",
        path.display()
    )]
    AlreadyExists {
        /// The directory.
        path: PathBuf,
    },
    /// The directory holds other files.
    #[error(
        "{} is not empty and holds no Hearth profile; choose a new or empty directory",
        path.display()
    )]
    NotEmpty {
        /// The directory.
        path: PathBuf,
    },
    /// No data directory could be found for this user.
    #[error("could not find a data directory for this user; pass --profile DIR")]
    NoDataDir,
    /// `profile.json` cannot be read.
    #[error(
        "the profile settings at {} cannot be read ({detail}); fix the file, or restore the \
         profile from a backup",
        path.display()
    )]
    Config {
        /// The settings file.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// `profile.json` was written by a newer version.
    #[error(
        "the profile settings at {} have format {found}, made by a newer Hearth (this one reads \
         up to {CONFIG_FORMAT}); upgrade Hearth",
        path.display()
    )]
    NewerFormat {
        /// The settings file.
        path: PathBuf,
        /// The format found.
        found: u64,
    },
    /// A file in the profile could not be read or written.
    #[error(
        "could not read or write {}: {source}; check permissions and free disk space",
        path.display()
    )]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The key file.
    #[error(transparent)]
    Keys(#[from] KeyError),
    /// The store.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A backup.
    #[error(transparent)]
    Backup(#[from] BackupError),
}

/// How a new profile is set up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateOptions {
    /// This device's name, as partners see it.
    pub device_name: String,
    /// What kind of device this is.
    pub kind: DeviceKind,
    /// How the key file is sealed if a passphrase is given.
    pub sealing: KeySealing,
}

impl Default for CreateOptions {
    fn default() -> Self {
        CreateOptions {
            device_name: "My device".to_owned(),
            kind: DeviceKind::Personal,
            sealing: KeySealing::default(),
        }
    }
}

/// An open, locked profile: its keys, settings and store. The lock is released when it drops.
///
/// A profile is a directory (see [`Profile::default_dir`]):
///
/// ```text
/// PROFILE/            owner-only (0700)
///   device.key        the device's keys, optionally sealed with a passphrase (0600)
///   profile.json      settings that are not secret
///   journal.redb      the sealed store: journal documents, sync state, peer addresses
///   profile.lock      held by the process that has the profile open; holds its pid
/// ```
///
/// One process owns a profile at a time: a second open, from any process, fails at once with
/// [`ProfileError::Locked`], which names the owner. New profiles (created, or restored from a
/// backup) are built in a hidden directory next to the target and renamed into place, so a
/// failure leaves nothing half-made behind.
#[derive(Debug)]
pub struct Profile {
    // Dropped in this order: the store closes before the lock is released.
    store: Store,
    keys: DeviceKeys,
    config: ProfileConfig,
    dir: PathBuf,
    _lock: ProfileLock,
}

impl Profile {
    /// The key file's name in a profile.
    pub const KEY_FILE: &'static str = "device.key";
    /// The settings file's name in a profile.
    pub const CONFIG_FILE: &'static str = "profile.json";
    /// The store file's name in a profile.
    pub const STORE_FILE: &'static str = "journal.redb";
    /// The lock file's name in a profile.
    pub const LOCK_FILE: &'static str = lock::LOCK_FILE;

    /// The default profile directory: `hearth` under the platform's data directory.
    pub fn default_dir() -> Result<PathBuf, ProfileError> {
        directories::ProjectDirs::from("", "", "hearth")
            .map(|dirs| dirs.data_dir().to_owned())
            .ok_or(ProfileError::NoDataDir)
    }

    /// Whether `dir` holds a profile.
    pub fn exists(dir: &Path) -> bool {
        dir.join(Self::KEY_FILE).exists()
    }

    /// Whether the profile in `dir` needs a passphrase to open, so a caller knows whether to ask.
    pub fn needs_passphrase(dir: &Path) -> Result<bool, ProfileError> {
        if !Self::exists(dir) {
            return Err(ProfileError::NotFound {
                path: dir.to_owned(),
            });
        }
        Ok(DeviceKeys::is_sealed(&dir.join(Self::KEY_FILE))?)
    }

    /// Creates a new profile in `dir` (new, or an empty directory): fresh keys, sealed with
    /// `passphrase` if given, settings and an empty store. Refuses a directory that holds a
    /// profile or anything else.
    pub fn create(
        dir: &Path,
        passphrase: Option<&SecretString>,
        options: &CreateOptions,
    ) -> Result<Profile, ProfileError> {
        build(dir, passphrase, options, |_| Ok(()))
    }

    /// Creates a new profile in `dir` from a backup: fresh keys for this device and the backup's
    /// journals. The backup is checked before anything is made; a failure leaves `dir` as it was.
    pub fn restore(
        dir: &Path,
        backup: &Backup,
        passphrase: Option<&SecretString>,
        options: &CreateOptions,
    ) -> Result<Profile, ProfileError> {
        backup::check_document(backup::JOURNAL_NAME, &backup.shared)?;
        if let Some(private) = &backup.private {
            backup::check_document(backup::PRIVATE_NAME, private)?;
        }
        build(dir, passphrase, options, |store| {
            store.restore_snapshot(DocSlot::Shared, &backup.shared)?;
            if let Some(private) = &backup.private {
                store.restore_snapshot(DocSlot::Private, private)?;
            }
            Ok(())
        })
    }

    /// Opens the profile in `dir`, unsealing its key file with `passphrase` if it is sealed.
    pub fn open(dir: &Path, passphrase: Option<&SecretString>) -> Result<Profile, ProfileError> {
        if !Self::exists(dir) {
            return Err(ProfileError::NotFound {
                path: dir.to_owned(),
            });
        }
        let lock = ProfileLock::acquire(dir)?;
        let keys = DeviceKeys::read(&dir.join(Self::KEY_FILE), passphrase)?;
        Self::open_locked(dir, lock, keys)
    }

    fn open_locked(
        dir: &Path,
        lock: ProfileLock,
        keys: DeviceKeys,
    ) -> Result<Profile, ProfileError> {
        let config = ProfileConfig::read(&dir.join(Self::CONFIG_FILE))?;
        let store = Store::open(&dir.join(Self::STORE_FILE), &keys)?;
        Ok(Profile {
            store,
            keys,
            config,
            dir: dir.to_owned(),
            _lock: lock,
        })
    }

    /// The profile directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The device's keys.
    pub fn keys(&self) -> &DeviceKeys {
        &self.keys
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, to load and append.
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// The settings.
    pub fn config(&self) -> &ProfileConfig {
        &self.config
    }

    /// Changes the settings and writes them, in one step.
    pub fn update_config(
        &mut self,
        change: impl FnOnce(&mut ProfileConfig),
    ) -> Result<(), ProfileError> {
        let mut config = self.config.clone();
        change(&mut config);
        config.write(&self.dir.join(Self::CONFIG_FILE))?;
        self.config = config;
        Ok(())
    }

    /// Seals the key file with a new passphrase, or removes the passphrase (`None`), replacing
    /// the file in one step.
    pub fn set_passphrase(
        &self,
        passphrase: Option<&SecretString>,
        sealing: KeySealing,
    ) -> Result<(), ProfileError> {
        self.keys
            .replace(&self.dir.join(Self::KEY_FILE), passphrase, sealing)?;
        Ok(())
    }

    /// Writes a backup of both journals to `out` (see [`crate::backup`]).
    pub fn write_backup<W: Write>(
        &mut self,
        out: W,
        passphrase: &SecretString,
        manifest: &Manifest,
        work_factor: Option<u8>,
    ) -> Result<W, ProfileError> {
        let shared = self.store.load(DocSlot::Shared)?.unwrap_or_default().save();
        let private = self.store.load(DocSlot::Private)?.map(|mut doc| doc.save());
        Ok(backup::write(
            out,
            passphrase,
            manifest,
            &shared,
            private.as_deref(),
            work_factor,
        )?)
    }

    /// Merges a backup's journals into this profile's, in one write transaction: nothing the
    /// profile holds is lost, and the backup's changes are added.
    pub fn merge_backup(&mut self, backup: &Backup) -> Result<(), ProfileError> {
        let mut shared = self.merged(DocSlot::Shared, backup::JOURNAL_NAME, &backup.shared)?;
        let mut private = match &backup.private {
            Some(bytes) => Some(self.merged(DocSlot::Private, backup::PRIVATE_NAME, bytes)?),
            None => None,
        };
        let mut docs = vec![(DocSlot::Shared, &mut shared)];
        if let Some(private) = private.as_mut() {
            docs.push((DocSlot::Private, private));
        }
        self.store.append_batch(&mut docs)?;
        Ok(())
    }

    fn merged(
        &mut self,
        slot: DocSlot,
        name: &'static str,
        bytes: &[u8],
    ) -> Result<AutoCommit, ProfileError> {
        // `Backup`'s fields are public: measure here too, not only in `backup::read`.
        backup::check_size(name, bytes)?;
        let mut doc = self.store.load(slot)?.unwrap_or_default();
        doc.load_incremental(bytes)
            .map_err(|e| BackupError::InvalidJournal {
                name,
                detail: e.to_string(),
            })?;
        Ok(doc)
    }
}

/// Checks that `dir` may receive a new profile: absent, or an empty directory.
fn check_target(dir: &Path) -> Result<(), ProfileError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => {
            return Err(ProfileError::Io {
                path: dir.to_owned(),
                source,
            });
        }
    };
    if Profile::exists(dir) || dir.join(Profile::STORE_FILE).exists() {
        return Err(ProfileError::AlreadyExists {
            path: dir.to_owned(),
        });
    }
    if entries.into_iter().next().is_some() {
        return Err(ProfileError::NotEmpty {
            path: dir.to_owned(),
        });
    }
    Ok(())
}

/// Builds a profile in a hidden directory next to `dir`, lets `fill` write into its store, then
/// renames it into place and opens it.
fn build(
    dir: &Path,
    passphrase: Option<&SecretString>,
    options: &CreateOptions,
    fill: impl FnOnce(&mut Store) -> Result<(), ProfileError>,
) -> Result<Profile, ProfileError> {
    check_target(dir)?;
    let parent = files::parent_dir(dir);
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| ProfileError::Io { path, source }
    };
    std::fs::create_dir_all(parent).map_err(io(parent))?;
    let staging = files::sibling_temp_path(dir, "creating");
    files::create_private_dir(&staging).map_err(io(&staging))?;
    let built = (|| {
        let keys = DeviceKeys::generate();
        keys.write_new(
            &staging.join(Profile::KEY_FILE),
            passphrase,
            options.sealing,
        )?;
        ProfileConfig::new(options.device_name.clone(), options.kind.clone())
            .write(&staging.join(Profile::CONFIG_FILE))?;
        let mut store = Store::create(&staging.join(Profile::STORE_FILE), &keys)?;
        fill(&mut store)?;
        drop(store);
        files::sync_dir(&staging).map_err(io(&staging))?;
        match std::fs::rename(&staging, dir) {
            Ok(()) => {}
            // The target gained files since it was checked.
            Err(e) if dir.exists() && e.kind() != std::io::ErrorKind::PermissionDenied => {
                return Err(if Profile::exists(dir) {
                    ProfileError::AlreadyExists {
                        path: dir.to_owned(),
                    }
                } else {
                    ProfileError::NotEmpty {
                        path: dir.to_owned(),
                    }
                });
            }
            Err(source) => {
                return Err(ProfileError::Io {
                    path: dir.to_owned(),
                    source,
                });
            }
        }
        files::sync_dir(parent).map_err(io(parent))?;
        Ok(keys)
    })();
    let keys = match built {
        Ok(keys) => keys,
        Err(e) => {
            // Only the hidden directory made above is removed; the target was not touched.
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    let lock = ProfileLock::acquire(dir)?;
    Profile::open_locked(dir, lock, keys)
}
