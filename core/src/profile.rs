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
//! One process owns a profile at a time. [`Profile`] is an open, locked profile. A second open,
//! from any process, waits while the owner is a process that runs one command and lets go (up
//! to [`OpenOptions::patience`]), and fails at once with [`ProfileError::Locked`], which names
//! the owner, when the owner stays (the app, `hearth serve`). New
//! profiles (created or restored from a backup) are built in a hidden directory next to the
//! target and renamed into place, so a failure leaves nothing half-made behind.

mod config;
pub mod files;
mod lock;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use automerge::AutoCommit;

use crate::backup::{self, Backup, BackupError, Manifest};
use crate::keys::{DeviceKeys, KeyError, KeySealing, SecretString};
use crate::model::DeviceKind;
use crate::store::{DocSlot, Store, StoreError};

pub use config::{CONFIG_FORMAT, ProfileConfig};
pub use lock::Holder;
use lock::{NotTaken, ProfileLock};

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
    /// A process that runs one command still held the profile when the wait for it ended.
    #[error(
        "the profile at {} is still in use by {}{} after {} s of waiting for it to finish",
        path.display(),
        task.as_deref().unwrap_or("another Hearth process"),
        match pid { Some(pid) => format!(" (pid {pid})"), None => String::new() },
        waited.as_secs()
    )]
    Busy {
        /// The profile directory.
        path: PathBuf,
        /// The owner's process id, if it could be read.
        pid: Option<u32>,
        /// What the owner runs, as its lock file says (`hearth pair invite`).
        task: Option<String>,
        /// How long this process waited.
        waited: Duration,
    },
    /// The profile, or a file in it, may not be read by this user.
    #[error("cannot open the Hearth profile at {}: permission denied", path.display())]
    PermissionDenied {
        /// The directory or file that was refused.
        path: PathBuf,
    },
    /// A change was asked of a profile opened only for reading.
    #[error("the profile at {} was opened only for reading; nothing was changed", path.display())]
    ReadOnly {
        /// The profile directory.
        path: PathBuf,
    },
    /// There is no profile in the directory.
    #[error("there is no Hearth profile at {}", path.display())]
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
    /// A home display's backup was given to a person's device, or a journal's backup to a
    /// display that holds the wall document alone.
    #[error("a home display's backup holds only its wall, and goes only to a home display")]
    DisplayBackup,
    /// No data directory could be found for this user.
    #[error("could not find a data directory for this user")]
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

/// How long a process waits by default for one that runs a single command to let go of a
/// profile.
pub const LOCK_PATIENCE: Duration = Duration::from_secs(5);

/// How a profile is opened ([`Profile::open_with`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOptions {
    /// What this process runs, written to the lock file so others can say who holds the
    /// profile (`hearth wall`). Only a name: never arguments or journal text.
    pub task: String,
    /// Whether this process stays and keeps the profile (the app, `hearth serve`) rather than
    /// running one command and letting go; others wait only for the latter.
    pub stays: bool,
    /// How long to wait while a process that runs one command holds the profile; `None` waits
    /// until it lets go. A holder that stays is never waited for.
    pub patience: Option<Duration>,
    /// Only reading: when the lock file cannot be made or written (a full disk, a directory
    /// that cannot be written), the profile opens without it, and every change through the
    /// profile is refused with [`ProfileError::ReadOnly`]. The store's own lock still keeps a
    /// second process from opening it alongside.
    pub read_only: bool,
}

impl Default for OpenOptions {
    /// A process that stays (the app), waiting as long as a single command holds the profile.
    fn default() -> Self {
        OpenOptions {
            task: "the Hearth app".to_owned(),
            stays: true,
            patience: None,
            read_only: false,
        }
    }
}

/// A profile file or directory whose permissions let others in, found when the profile was
/// opened ([`Profile::permission_fixes`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PermissionFix {
    /// The file or directory.
    pub path: PathBuf,
    /// Its permission bits as found (`0o777`).
    pub was: u32,
    /// The bits it has now (owner only), or `None` if they could not be changed.
    pub now: Option<u32>,
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
/// One process owns a profile at a time: a second open, from any process, waits for an owner
/// that runs one command and fails with [`ProfileError::Locked`], which names the owner, when
/// the owner stays. New profiles (created, or restored from a backup) are built in a hidden
/// directory next to the target and renamed into place, so a failure leaves nothing half-made
/// behind.
#[derive(Debug)]
pub struct Profile {
    // Dropped in this order: the store closes before the lock is released.
    store: Store,
    keys: DeviceKeys,
    config: ProfileConfig,
    dir: PathBuf,
    read_only: bool,
    permission_fixes: Vec<PermissionFix>,
    _lock: Option<ProfileLock>,
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

    /// Whether `dir` holds a profile, telling "none there" from "not allowed to look".
    fn check_exists(dir: &Path) -> Result<(), ProfileError> {
        let key = dir.join(Self::KEY_FILE);
        match std::fs::metadata(&key) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                Err(ProfileError::PermissionDenied {
                    path: denied_at(dir),
                })
            }
            Err(_) => Err(ProfileError::NotFound {
                path: dir.to_owned(),
            }),
        }
    }

    /// Whether the profile in `dir` needs a passphrase to open, so a caller knows whether to ask.
    pub fn needs_passphrase(dir: &Path) -> Result<bool, ProfileError> {
        Self::check_exists(dir)?;
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
        backup::check_document(backup.shared_name(), &backup.shared)?;
        if let Some(private) = &backup.private {
            backup::check_document(backup::PRIVATE_NAME, private)?;
        }
        if backup.display && options.kind != DeviceKind::Display {
            return Err(ProfileError::DisplayBackup);
        }
        let slot = if backup.display {
            DocSlot::Wall
        } else {
            DocSlot::Shared
        };
        build(dir, passphrase, options, |store| {
            store.restore_snapshot(slot, &backup.shared)?;
            if let Some(private) = &backup.private {
                store.restore_snapshot(DocSlot::Private, private)?;
            }
            Ok(())
        })
    }

    /// Opens the profile in `dir`, unsealing its key file with `passphrase` if it is sealed, as
    /// a process that stays ([`OpenOptions::default`]): it waits while a single command holds
    /// the profile.
    pub fn open(dir: &Path, passphrase: Option<&SecretString>) -> Result<Profile, ProfileError> {
        Self::open_with(dir, passphrase, &OpenOptions::default(), |_| {})
    }

    /// Opens the profile in `dir` as `options` say. While a process that runs one command
    /// holds it, this waits (calling `waiting` once, with the holder, when the wait begins);
    /// when the holder stays, or the wait runs out, it fails with [`ProfileError::Locked`] or
    /// [`ProfileError::Busy`]. Permissions that let others into the directory or its files are
    /// narrowed to the owner ([`Profile::permission_fixes`] says which).
    pub fn open_with(
        dir: &Path,
        passphrase: Option<&SecretString>,
        options: &OpenOptions,
        waiting: impl FnOnce(&Holder),
    ) -> Result<Profile, ProfileError> {
        Self::check_exists(dir)?;
        let permission_fixes = fix_permissions(dir);
        let lock = Self::lock(dir, options, waiting)?;
        let keys = DeviceKeys::read(&dir.join(Self::KEY_FILE), passphrase)?;
        let mut profile = Self::open_locked(dir, lock, keys)?;
        profile.read_only = options.read_only;
        profile.permission_fixes = permission_fixes;
        Ok(profile)
    }

    /// Takes the profile's lock, waiting as `options` say; `None` for a read-only open that
    /// could not make or open the lock file.
    fn lock(
        dir: &Path,
        options: &OpenOptions,
        waiting: impl FnOnce(&Holder),
    ) -> Result<Option<ProfileLock>, ProfileError> {
        let started = Instant::now();
        let mut waiting = Some(waiting);
        loop {
            let holder = match ProfileLock::try_acquire(dir, &options.task, options.stays) {
                Ok(lock) => return Ok(Some(lock)),
                Err(NotTaken::Failed(ProfileError::Io { .. })) if options.read_only => {
                    // Reading needs no lock file of its own: the store's own lock still keeps
                    // a second process out, and this profile refuses every change.
                    return Ok(None);
                }
                Err(NotTaken::Failed(e)) => return Err(e),
                Err(NotTaken::Held(holder)) => holder,
            };
            let waited = started.elapsed();
            // A holder that has not said what it is yet has most likely just taken the lock:
            // given the usual patience to say so, no more.
            let patience = if holder.is_known() {
                options.patience
            } else {
                Some(options.patience.unwrap_or(LOCK_PATIENCE).min(LOCK_PATIENCE))
            };
            let out_of_time = patience.is_some_and(|p| waited >= p);
            if (holder.is_known() && holder.stays) || out_of_time {
                return Err(if holder.is_known() && !holder.stays {
                    ProfileError::Busy {
                        path: dir.to_owned(),
                        pid: holder.pid,
                        task: holder.task,
                        waited,
                    }
                } else {
                    ProfileError::Locked {
                        path: dir.to_owned(),
                        pid: holder.pid,
                    }
                });
            }
            if holder.is_known()
                && let Some(waiting) = waiting.take()
            {
                waiting(&holder);
            }
            std::thread::sleep(Duration::from_millis(15));
        }
    }

    fn open_locked(
        dir: &Path,
        lock: Option<ProfileLock>,
        keys: DeviceKeys,
    ) -> Result<Profile, ProfileError> {
        let config = ProfileConfig::read(&dir.join(Self::CONFIG_FILE))?;
        let store = Store::open(&dir.join(Self::STORE_FILE), &keys)?;
        Ok(Profile {
            store,
            keys,
            config,
            dir: dir.to_owned(),
            read_only: false,
            permission_fixes: Vec::new(),
            _lock: lock,
        })
    }

    /// Moves the whole profile in `dir` to `aside` (a path beside it that does not exist yet),
    /// as the way out of a profile that no longer opens. Its lock is taken first, with `task`
    /// as the holder's record, so a profile another process has open is refused and stays.
    pub fn move_aside(dir: &Path, aside: &Path, task: &str) -> Result<(), ProfileError> {
        let lock = match ProfileLock::try_acquire(dir, task, false) {
            Ok(lock) => lock,
            Err(NotTaken::Held(holder)) => {
                return Err(ProfileError::Locked {
                    path: dir.to_owned(),
                    pid: holder.pid,
                });
            }
            Err(NotTaken::Failed(e)) => return Err(e),
        };
        if aside.exists() {
            return Err(ProfileError::Io {
                path: aside.to_owned(),
                source: std::io::Error::from(std::io::ErrorKind::AlreadyExists),
            });
        }
        std::fs::rename(dir, aside).map_err(|source| ProfileError::Io {
            path: dir.to_owned(),
            source,
        })?;
        drop(lock);
        Ok(())
    }

    /// Who holds the profile in `dir`, as its lock file says, to name it in a message; `None`
    /// when the file names nobody. It is only what the holder wrote: it takes no lock.
    pub fn holder(dir: &Path) -> Option<Holder> {
        lock::holder(dir)
    }

    /// Whether the profile was opened only for reading ([`OpenOptions::read_only`]).
    pub fn is_read_only(&self) -> bool {
        self.read_only
    }

    /// The permissions narrowed to the owner when the profile was opened (the directory, the
    /// key file and the others), so a caller can say so once.
    pub fn permission_fixes(&self) -> &[PermissionFix] {
        &self.permission_fixes
    }

    fn check_writable(&self) -> Result<(), ProfileError> {
        if self.read_only {
            return Err(ProfileError::ReadOnly {
                path: self.dir.clone(),
            });
        }
        Ok(())
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
        self.check_writable()?;
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
        self.check_writable()?;
        self.keys
            .replace(&self.dir.join(Self::KEY_FILE), passphrase, sealing)?;
        Ok(())
    }

    /// Writes a backup of both journals to `out` (see [`crate::backup`]); on a home display
    /// that holds the wall document alone, of that document.
    pub fn write_backup<W: Write>(
        &mut self,
        out: W,
        passphrase: &SecretString,
        manifest: &Manifest,
        work_factor: Option<u8>,
    ) -> Result<W, ProfileError> {
        if self.holds_wall_only()? {
            let wall = self.store.load(DocSlot::Wall)?.unwrap_or_default().save();
            return Ok(backup::write_wall(
                out,
                passphrase,
                manifest,
                &wall,
                work_factor,
            )?);
        }
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
        self.check_writable()?;
        if backup.display != self.holds_wall_only()? {
            return Err(ProfileError::DisplayBackup);
        }
        if backup.display {
            let mut wall = self.merged(DocSlot::Wall, backup::WALL_NAME, &backup.shared)?;
            self.store.append_batch(&mut [(DocSlot::Wall, &mut wall)])?;
            return Ok(());
        }
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

    /// Whether this is a home display that holds the wall document alone.
    pub fn holds_wall_only(&mut self) -> Result<bool, ProfileError> {
        Ok(self.config.kind == DeviceKind::Display
            && self.store.slot_stats(DocSlot::Shared)?.chunks == 0)
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
    // An empty directory made for the profile (a service's state directory, whose parent this
    // user may not write) receives it in place; otherwise it is built beside and renamed.
    let in_place = dir.is_dir();
    if !in_place {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    let staging = if in_place {
        files::sibling_temp_path(&dir.join(".profile"), "creating")
    } else {
        files::sibling_temp_path(dir, "creating")
    };
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
        if in_place {
            move_in(&staging, dir).map_err(io(dir))?;
            files::sync_dir(dir).map_err(io(dir))?;
            return Ok(keys);
        }
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
    let options = OpenOptions {
        task: "a new Hearth profile".to_owned(),
        ..OpenOptions::default()
    };
    let lock = Profile::lock(dir, &options, |_| {})?;
    Profile::open_locked(dir, lock, keys)
}

/// Moves what `staging` (inside `dir`) holds into `dir`, the key file last: a profile exists
/// once its key file does, so it appears whole or not at all.
fn move_in(staging: &Path, dir: &Path) -> std::io::Result<()> {
    let mut names: Vec<std::ffi::OsString> = std::fs::read_dir(staging)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<std::io::Result<_>>()?;
    names.sort_by_key(|n| n == Profile::KEY_FILE);
    for name in names {
        std::fs::rename(staging.join(&name), dir.join(&name))?;
    }
    std::fs::remove_dir(staging)
}

/// The first of `dir` and its key file that this user may not look into.
fn denied_at(dir: &Path) -> PathBuf {
    match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => dir.to_owned(),
        _ => dir.join(Profile::KEY_FILE),
    }
}

/// Narrows the permissions of the profile directory and the files in it that let anyone but
/// the owner in (the key file above all) to the owner, keeping the owner's own bits.
fn fix_permissions(dir: &Path) -> Vec<PermissionFix> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mut fixes = Vec::new();
        let paths = [
            dir.to_owned(),
            dir.join(Profile::KEY_FILE),
            dir.join(Profile::STORE_FILE),
            dir.join(Profile::CONFIG_FILE),
        ];
        for path in paths {
            // Not through a symbolic link: only what is really in the profile is changed.
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.file_type().is_symlink() {
                continue;
            }
            let was = meta.permissions().mode() & 0o7777;
            if was & 0o077 == 0 {
                continue;
            }
            let want = was & 0o700;
            let now = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(want))
                .ok()
                .map(|()| want);
            fixes.push(PermissionFix { path, was, now });
        }
        fixes
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Vec::new()
    }
}
