//! One process owns a profile at a time: an exclusive lock on `profile.lock`, holding the
//! owner's process id so a refused process can say who holds it. The operating system releases
//! the lock when the owner exits, however it exits.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, Write};
use std::path::Path;

use super::{ProfileError, files};

/// The lock file's name in the profile directory.
pub(crate) const LOCK_FILE: &str = "profile.lock";

/// Holds a profile's lock until dropped.
#[derive(Debug)]
pub(crate) struct ProfileLock {
    file: File,
}

impl ProfileLock {
    /// Takes the lock of the profile in `dir`, or says which process holds it.
    pub(crate) fn acquire(dir: &Path) -> Result<Self, ProfileError> {
        let path = dir.join(LOCK_FILE);
        let io = |source| ProfileError::Io {
            path: path.clone(),
            source,
        };
        let mut options = OpenOptions::new();
        options.read(true).write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(files::PRIVATE_FILE_MODE);
        }
        let mut file = options.open(&path).map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let pid = std::fs::read_to_string(&path)
                    .ok()
                    .and_then(|text| text.trim().parse::<u32>().ok());
                return Err(ProfileError::Locked {
                    path: dir.to_owned(),
                    pid,
                });
            }
            Err(TryLockError::Error(source)) => return Err(io(source)),
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        writeln!(file, "{}", std::process::id()).map_err(io)?;
        Ok(ProfileLock { file })
    }
}

impl Drop for ProfileLock {
    fn drop(&mut self) {
        // Clear the pid so nobody is named as owner once the lock is gone; closing the file
        // releases the lock even if this fails.
        let _ = self.file.set_len(0);
        let _ = self.file.unlock();
    }
}
