//! Small file-system helpers shared by the profile, the key file and the store: private files
//! written atomically (temporary file, fsync, rename, fsync of the directory) and private
//! directories.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Permissions of every file a profile holds: readable and writable by the owner only.
pub(crate) const PRIVATE_FILE_MODE: u32 = 0o600;
/// Permissions of the profile directory: the owner only.
pub(crate) const PRIVATE_DIR_MODE: u32 = 0o700;

/// Options that create a new file with owner-only permissions, failing if it exists.
pub fn create_new_private() -> OpenOptions {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(PRIVATE_FILE_MODE);
    }
    options
}

/// Creates `dir` (and missing parents) with owner-only permissions on the directories it makes.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(PRIVATE_DIR_MODE);
    }
    builder.create(dir)
}

/// The directory holding `path` (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// A fresh, unused name next to `path`, starting with a dot so listings hide it.
pub fn sibling_temp_path(path: &Path, purpose: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "hearth".to_owned());
    parent_dir(path).join(format!(
        ".{name}.{purpose}-{}-{:016x}",
        std::process::id(),
        rand::random::<u64>()
    ))
}

/// Flushes a directory's entries (a rename or a new file in it) to disk.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Writes `bytes` to `path` with owner-only permissions so that a reader sees either the old
/// file or the whole new one, never a mix, even across a crash. `replace` says whether an
/// existing file may be replaced.
pub fn write_atomic(path: &Path, bytes: &[u8], replace: bool) -> io::Result<()> {
    if !replace && path.exists() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            "the file already exists",
        ));
    }
    let temp = sibling_temp_path(path, "new");
    let result = (|| {
        let mut file = create_new_private().open(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&temp, path)?;
        sync_dir(parent_dir(path))
    })();
    if result.is_err() {
        // The temporary file is ours alone; it is gone already if the rename happened.
        let _ = fs::remove_file(&temp);
    }
    result
}
