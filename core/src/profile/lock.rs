//! One process owns a profile at a time: an exclusive lock on `profile.lock`. The file says who
//! holds it, so a refused process can name the owner and tell a process that stays (it serves
//! the profile) from one that runs a single command and lets go (worth waiting for):
//!
//! ```text
//! 4242
//! once hearth wall
//! ```
//!
//! The operating system releases the lock when the owner exits, however it exits. The record is
//! written in place over a fixed-size blank one and blanked again on release, never truncated,
//! so the file keeps its disk block: on a full disk the next owner can still write its record.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::{ProfileError, files};

/// The lock file's name in the profile directory.
pub(crate) const LOCK_FILE: &str = "profile.lock";

/// The size of the record in the lock file; longer task names are cut.
const RECORD_LEN: usize = 128;

/// Who holds a profile, as its lock file says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Holder {
    /// The owner's process id, if it could be read.
    pub pid: Option<u32>,
    /// What it runs (`hearth wall`, `hearth serve`), as it wrote it; `None` if it did not say
    /// (a process that has just taken the lock, or an older Hearth).
    pub task: Option<String>,
    /// Whether it stays and keeps the profile (the app, `hearth serve`) rather than running
    /// one command and letting go.
    pub stays: bool,
}

impl Holder {
    /// The record for this process.
    fn record(task: &str, stays: bool) -> Vec<u8> {
        let task: String = task
            .chars()
            .filter(|c| !c.is_control())
            .take(RECORD_LEN / 2)
            .collect();
        let kind = if stays { "stays" } else { "once" };
        let mut bytes = format!("{}\n{kind} {task}\n", std::process::id()).into_bytes();
        bytes.truncate(RECORD_LEN - 1);
        bytes.resize(RECORD_LEN - 1, b' ');
        bytes.push(b'\n');
        bytes
    }

    /// Reads a record (tolerant: an older Hearth wrote the pid alone).
    fn parse(text: &str) -> Holder {
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        let pid = lines.next().and_then(|l| l.parse::<u32>().ok());
        let mut holder = Holder {
            pid,
            ..Holder::default()
        };
        if pid.is_some()
            && let Some(line) = lines.next()
        {
            let (kind, task) = line.split_once(' ').unwrap_or((line, ""));
            let task: String = task
                .chars()
                .filter(|c| !c.is_control())
                .take(RECORD_LEN)
                .collect();
            holder.stays = kind != "once";
            if matches!(kind, "once" | "stays") && !task.is_empty() {
                holder.task = Some(task);
            }
        }
        holder
    }

    /// Whether the record says who holds the profile and what kind of process it is.
    pub(crate) fn is_known(&self) -> bool {
        self.pid.is_some() && self.task.is_some()
    }
}

/// Holds a profile's lock until dropped.
#[derive(Debug)]
pub(crate) struct ProfileLock {
    file: File,
}

/// Why the lock was not taken.
#[derive(Debug)]
pub(crate) enum NotTaken {
    /// Another process holds it.
    Held(Holder),
    /// The lock file could not be opened or locked.
    Failed(ProfileError),
}

impl ProfileLock {
    /// Takes the lock of the profile in `dir` without waiting, writing `task` as its holder.
    pub(crate) fn try_acquire(dir: &Path, task: &str, stays: bool) -> Result<Self, NotTaken> {
        let path = dir.join(LOCK_FILE);
        let io = |source| {
            NotTaken::Failed(ProfileError::Io {
                path: path.clone(),
                source,
            })
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
            Err(TryLockError::WouldBlock) => return Err(NotTaken::Held(read_holder(&mut file))),
            Err(TryLockError::Error(source)) => return Err(io(source)),
        }
        // The record only names the owner; the lock holds without it (a full disk may refuse
        // the few bytes), so a failure to write it is not an error.
        let _ = write_record(&mut file, &Holder::record(task, stays));
        Ok(ProfileLock { file })
    }
}

/// Who holds the profile in `dir`, as its lock file says; `None` when nobody does (or the
/// file cannot be read).
pub(crate) fn holder(dir: &Path) -> Option<Holder> {
    let mut file = File::open(dir.join(LOCK_FILE)).ok()?;
    let holder = read_holder(&mut file);
    holder.pid.is_some().then_some(holder)
}

fn read_holder(file: &mut File) -> Holder {
    let mut bytes = Vec::new();
    let read = file
        .seek(SeekFrom::Start(0))
        .and_then(|_| file.take(RECORD_LEN as u64 * 2).read_to_end(&mut bytes));
    match read {
        Ok(_) => Holder::parse(&String::from_utf8_lossy(&bytes)),
        Err(_) => Holder::default(),
    }
}

fn write_record(file: &mut File, record: &[u8]) -> std::io::Result<()> {
    file.seek(SeekFrom::Start(0))?;
    file.write_all(record)?;
    // What an older Hearth left after the record (it was shorter) goes; the block stays.
    if file.metadata()?.len() > record.len() as u64 {
        file.set_len(record.len() as u64)?;
    }
    Ok(())
}

impl Drop for ProfileLock {
    fn drop(&mut self) {
        // Blank the record so nobody is named as owner once the lock is gone, in place so the
        // file keeps its block; closing the file releases the lock even if this fails.
        let mut blank = vec![b' '; RECORD_LEN - 1];
        blank.push(b'\n');
        let _ = write_record(&mut self.file, &blank);
        let _ = self.file.unlock();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_old_ones_still_name_the_pid() {
        let record = Holder::record("hearth wall", false);
        assert_eq!(record.len(), RECORD_LEN);
        let holder = Holder::parse(&String::from_utf8_lossy(&record));
        assert_eq!(holder.pid, Some(std::process::id()));
        assert_eq!(holder.task.as_deref(), Some("hearth wall"));
        assert!(!holder.stays);
        let serving = Holder::parse(&String::from_utf8_lossy(&Holder::record(
            "hearth serve",
            true,
        )));
        assert!(serving.stays);
        assert!(serving.is_known());

        let old = Holder::parse("4242\n");
        assert_eq!(old.pid, Some(4242));
        assert!(!old.is_known());
        assert_eq!(Holder::parse(&" ".repeat(RECORD_LEN)), Holder::default());
        let odd = Holder::parse("1\nonce \u{1b}[2Jx\n");
        assert_eq!(odd.task.as_deref(), Some("[2Jx"));
    }
}
