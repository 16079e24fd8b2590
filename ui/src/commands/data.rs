//! Getting the journal out and back in: exports, change files, backups, restores, and the
//! passphrase on this device's keys.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use hearth_core::backup::{self, Backup, Manifest};
use hearth_core::keys::{KeySealing, SecretString};
use hearth_core::{DeviceOwner, Profile, Timestamp};
use serde::Serialize;

use super::Ctx;
use crate::cli::{
    BackupArgs, ExportArgs, ExportChangesArgs, ExportFormat, PassphraseCommand, RestoreArgs,
};
use crate::io::{self, Io};
use crate::show;
use hearth_core::export;
use hearth_core::restore::{RestoreAs, RestoreError, RestorePlan};

/// Writes `bytes` to `path` readable by the owner only, through a temporary file and a rename,
/// so a failure never leaves half a file under the real name.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    write_private_with(path, |w| w.write_all(bytes).map_err(Into::into))
}

fn temp_path(path: &Path) -> std::path::PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "hearth".to_owned());
    path.with_file_name(format!(".{name}.partial-{}", std::process::id()))
}

fn write_private_with(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    // The file is written beside the target and renamed over it: a device or other special
    // file named as the target would be replaced, so only a regular file (or none) is taken.
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        anyhow::bail!(
            "{} is not a regular file; name a file to write (nothing was written)",
            path.display()
        );
    }
    let temp = temp_path(path);
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options
            .open(&temp)
            .with_context(|| format!("could not create {}", temp.display()))?;
        let mut w = BufWriter::new(file);
        fill(&mut w)?;
        let file = w
            .into_inner()
            .map_err(|e| e.into_error())
            .with_context(|| format!("could not write {}", path.display()))?;
        file.sync_all()
            .with_context(|| format!("could not write {}", path.display()))?;
        std::fs::rename(&temp, path)
            .with_context(|| format!("could not write {}", path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[derive(Debug, Serialize)]
struct Written<'a> {
    out: &'a Path,
    bytes: usize,
}

pub(crate) fn export(ctx: &mut Ctx, a: &ExportArgs) -> Result<()> {
    let now = Timestamp::now();
    let me = ctx.backend.me();
    let device = ctx
        .backend
        .with_profile(|p, _| p.config().device_name.clone());
    let text = ctx.backend.read(|j| match a.format {
        ExportFormat::Json => export::json(j, &device, now).context("could not write JSON"),
        ExportFormat::Markdown => Ok(export::markdown(j, me.as_ref(), now, &chrono::Local)),
        ExportFormat::Ics => Ok(export::ics(j, now)),
    })?;
    let Some(out) = &a.out else {
        if ctx.io.json && a.format != ExportFormat::Json {
            // One JSON document, as with every command under --json.
            #[derive(Serialize)]
            struct Text<'a> {
                format: &'a str,
                text: &'a str,
            }
            let format = match a.format {
                ExportFormat::Markdown => "markdown",
                _ => "ics",
            };
            return ctx.io.emit_json(&Text {
                format,
                text: &text,
            });
        }
        ctx.io.write_out(text);
        return Ok(());
    };
    let out = ctx.path(out);
    write_private(&out, text.as_bytes())?;
    if ctx.io.json {
        return ctx.io.emit_json(&Written {
            out: &out,
            bytes: text.len(),
        });
    }
    let what = match a.format {
        ExportFormat::Json => "The journal as JSON",
        ExportFormat::Markdown => "The journal as a readable document",
        ExportFormat::Ics => "Your date plans as a calendar file",
    };
    ctx.io.line(format!(
        "{what} is in {} (readable by you only).",
        out.display()
    ));
    Ok(())
}

pub(crate) fn export_changes(ctx: &mut Ctx, a: &ExportChangesArgs) -> Result<()> {
    let node = ctx.backend.node()?;
    let bytes = node
        .export_changes(a.all)
        .context("could not write the change file")?;
    let out = ctx.path(&a.out);
    write_private(&out, &bytes)?;
    if ctx.io.json {
        return ctx.io.emit_json(&Written {
            out: &out,
            bytes: bytes.len(),
        });
    }
    ctx.io.line(format!(
        "Changes sealed for your other devices are in {}. Hand it over any way you like; only \
         they can open it (`hearth import FILE`).",
        out.display()
    ));
    Ok(())
}

pub(crate) fn import(ctx: &mut Ctx, file: &Path) -> Result<()> {
    let node = ctx.backend.node()?;
    let path = ctx.path(file);
    let bytes =
        std::fs::read(&path).with_context(|| format!("could not read {}", path.display()))?;
    let imported = node
        .import_changes(&bytes)
        .context("could not import the change file")?;
    if ctx.io.json {
        return ctx.io.emit_json(&imported);
    }
    let from = node
        .read(|j| j.device(&imported.from).map(|d| d.name))
        .unwrap_or_else(|| "another device".to_owned());
    ctx.io
        .line(match (imported.new_changes, imported.new_private_changes) {
            (0, 0) => format!("Nothing new from {from}: this device had it all already."),
            (n, 0) => format!(
                "Brought in {} from {from}.",
                show::count(n, "change", "changes")
            ),
            (n, p) => format!(
                "Brought in {} from {from}, {} of them to your private journal.",
                show::count(n + p, "change", "changes"),
                p
            ),
        });
    Ok(())
}

pub(crate) fn backup(ctx: &mut Ctx, a: &BackupArgs) -> Result<()> {
    let passphrase = ctx
        .passphrase
        .as_ref()
        .context(
            "a backup needs a passphrase: set HEARTH_PASSPHRASE, or run this in a terminal to be \
             asked",
        )?
        .secret();
    let work_factor = io::work_factor()?;
    let out = ctx.path(&a.out);
    let notes = ctx.backend.read(|j| j.wall(&Default::default()).len());
    let spinner = ctx.io.spinner("Sealing the backup…");
    let mut manifest = None;
    write_private_with(&out, |w| {
        let (_, written) = ctx
            .backend
            .engine()
            .backup(w, &passphrase, work_factor)
            .context("could not write the backup")?;
        manifest = Some(written);
        Ok(())
    })?;
    let manifest = manifest.context("the backup was not written")?;
    drop(spinner);
    if ctx.io.json {
        #[derive(Serialize)]
        struct Out<'a> {
            out: &'a Path,
            manifest: &'a Manifest,
        }
        return ctx.io.emit_json(&Out {
            out: &out,
            manifest: &manifest,
        });
    }
    let held = if ctx.backend.read(|j| j.is_home()) {
        let dates = ctx.backend.read(|j| j.dates().len());
        format!(
            "all this display holds: its wall, with {} and {}",
            show::count(notes, "note", "notes"),
            show::count(dates, "date plan", "date plans")
        )
    } else {
        format!(
            "{}, and everything else",
            show::count(notes, "note", "notes")
        )
    };
    ctx.io.line(format!(
        "Backup written to {} ({held}). Keep the passphrase somewhere safe: without it the \
         backup cannot be opened.",
        out.display(),
    ));
    Ok(())
}

fn read_backup(io: &Io, path: &Path) -> Result<Backup> {
    let passphrase = io::ask_passphrase("the backup", false)?.secret();
    read_backup_with(io, path, &passphrase)
}

fn read_backup_with(io: &Io, path: &Path, passphrase: &SecretString) -> Result<Backup> {
    let file = File::open(path).with_context(|| format!("could not open {}", path.display()))?;
    let spinner = io.spinner("Opening the backup…");
    let backup = backup::read(std::io::BufReader::new(file), passphrase)
        .with_context(|| format!("could not restore {}", path.display()))?;
    drop(spinner);
    Ok(backup)
}

/// Said when a backup's private entries are someone else's.
const LEFT_OUT: &str =
    "note: the backup's private journal belongs to someone else, so it was left out";

fn left_out_note(io: &Io, plan: &RestorePlan) {
    if plan.private_left_out {
        io.note(LEFT_OUT);
    }
}

/// `hearth restore FILE`: a new profile from a backup.
pub(crate) fn restore_new(dir: &Path, a: &RestoreArgs, io: &Io, cwd: &Path) -> Result<()> {
    if Profile::exists(dir) && !a.replace {
        anyhow::bail!(
            "a profile already exists at {}; restore into a new directory with --profile DIR, \
             merge the backup into this one with --merge, or (when it is damaged) put the backup \
             in its place with --replace",
            dir.display()
        );
    }
    let path = cwd.join(&a.file);
    let backup = read_backup(io, &path)?;
    let restore_as = if a.display {
        RestoreAs::Display
    } else if let Some(name) = &a.person {
        RestoreAs::Person(name.clone())
    } else {
        RestoreAs::Guess
    };
    let today = chrono::Local::now().date_naive();
    let plan = RestorePlan::new(&backup, &restore_as, a.device_name.as_deref(), today).map_err(
        |e| match e {
            RestoreError::WhoseDevice { partners } => anyhow::anyhow!(
                "this journal belongs to {}: say whose device this is with --as NAME (or \
                 --display for the home display)",
                partners.join(" and ")
            ),
            other => anyhow::Error::new(other),
        },
    )?;
    left_out_note(io, &plan);
    let sealing = KeySealing {
        work_factor: io::work_factor()?,
    };
    // Only now that the backup has proved good: the old profile goes aside, whole.
    let aside = if a.replace && dir.exists() {
        Some(move_aside(dir)?)
    } else {
        None
    };
    let spinner = io.spinner("Restoring…");
    let profile = match plan.make(dir, &backup, None, sealing) {
        Ok(p) => p,
        Err(e) => {
            // Put the old profile back as it was before saying what went wrong.
            if let Some(old) = &aside {
                let _ = std::fs::remove_dir_all(dir);
                let _ = std::fs::rename(old, dir);
            }
            return Err(anyhow::Error::new(e))
                .with_context(|| format!("could not restore into {}", dir.display()));
        }
    };
    let device_name = plan.device_name.clone();
    let local = crate::backend::Backend::offline(profile)?;
    drop(spinner);
    let notes = local.read(|j| j.wall(&Default::default()).len());
    if io.json {
        #[derive(Serialize)]
        struct Out<'a> {
            profile: &'a Path,
            device_name: &'a str,
            manifest: &'a Manifest,
        }
        return io.emit_json(&Out {
            profile: dir,
            device_name: &device_name,
            manifest: &backup.manifest,
        });
    }
    io.line(format!(
        "Restored the backup from {} ({}) into {} as \"{device_name}\".",
        backup.manifest.created.format("%-d %b %Y"),
        show::count(notes, "note", "notes"),
        dir.display()
    ));
    if let Some(old) = &aside {
        io.line(format!(
            "The profile that was there is kept, untouched, at {}; remove it once you no longer \
             need it.",
            old.display()
        ));
    }
    io.line(
        "It is a new device with keys of its own and is not a member of the journal yet. To let it \
         sync, run `hearth pair invite --for me` (or `--for display`) on one of your devices and \
         `hearth pair join TICKET` here.",
    );
    let revoked = |d: &hearth_core::Device| {
        matches!(
            d.standing,
            hearth_core::membership::Standing::Revoked { .. }
        )
    };
    if let Some(old) = plan.made_on.filter(|d| !revoked(d)) {
        io.line(format!(
            "The backup was made on \"{}\", which may still sync. If that device is lost or \
             replaced by this one, stop it from syncing from one of your devices: hearth revoke {}",
            show::safe(&old.name),
            show::safe(show::prefix(&old.endpoint_id, 10))
        ));
    }
    Ok(())
}

/// Renames the profile directory `dir` to a free name beside it that says when it was put
/// aside (`DIR.replaced-20261201-1730`); returns the new path.
fn move_aside(dir: &Path) -> Result<PathBuf> {
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S").to_string();
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "profile".to_owned());
    let mut n = 0;
    loop {
        let suffix = if n == 0 {
            String::new()
        } else {
            format!("-{n}")
        };
        let aside = dir.with_file_name(format!("{name}.replaced-{stamp}{suffix}"));
        if !aside.exists() {
            Profile::move_aside(dir, &aside, "hearth restore --replace").with_context(|| {
                format!(
                    "could not move {} aside to {}",
                    dir.display(),
                    aside.display()
                )
            })?;
            return Ok(aside);
        }
        n += 1;
    }
}

/// `hearth restore FILE --merge`: the backup's changes added to this profile.
pub(crate) fn merge_backup(ctx: &mut Ctx, a: &RestoreArgs) -> Result<()> {
    if ctx.served {
        anyhow::bail!(
            "a backup can be merged only while nothing else has the profile open; stop `hearth \
             serve` (or the app) first"
        );
    }
    let path = ctx.path(&a.file);
    let mut backup = read_backup(&ctx.io, &path)?;
    // Only a backup of this same journal: its statements must include this device's founder's.
    let root = ctx.backend.read(|j| j.root().map(str::to_owned));
    let owner = match ctx.backend.me() {
        Some(p) => DeviceOwner::Partner(p),
        None => DeviceOwner::Home,
    };
    let (keeps_private, left_out) = match RestorePlan::merge(&backup, root.as_deref(), &owner) {
        Err(RestoreError::OtherJournal) => anyhow::bail!(
            "this backup is of another journal (not one this device belongs to); nothing was \
             merged. Restore it into a new profile with --profile DIR instead"
        ),
        other => other?,
    };
    if left_out {
        ctx.io.note(LEFT_OUT);
    }
    if !keeps_private {
        backup.private = None;
    }
    ctx.backend
        .with_profile(|p, _| p.merge_backup(&backup))
        .context("could not merge the backup")?;
    if ctx.io.json {
        #[derive(Serialize)]
        struct Out<'a> {
            merged: &'a Manifest,
        }
        return ctx.io.emit_json(&Out {
            merged: &backup.manifest,
        });
    }
    ctx.io.line(format!(
        "Merged the backup from {} into this profile. Nothing that was here is lost.",
        backup.manifest.created.format("%-d %b %Y")
    ));
    Ok(())
}

pub(crate) fn passphrase(ctx: &mut Ctx, c: &PassphraseCommand) -> Result<()> {
    let sealing = KeySealing {
        work_factor: io::work_factor()?,
    };
    let passphrase = match c {
        PassphraseCommand::Set => Some(
            ctx.passphrase
                .as_ref()
                .context("set HEARTH_PASSPHRASE, or run this in a terminal to be asked")?
                .secret(),
        ),
        PassphraseCommand::Remove => None,
    };
    ctx.backend
        .with_profile(|p, _| p.set_passphrase(passphrase.as_ref(), sealing))
        .context("could not change the key file")?;
    if ctx.io.json {
        #[derive(Serialize)]
        struct Out {
            sealed: bool,
        }
        return ctx.io.emit_json(&Out {
            sealed: passphrase.is_some(),
        });
    }
    ctx.io.line(match c {
        PassphraseCommand::Set => {
            "This device's keys are sealed with your passphrase; it is asked for (or read from \
             HEARTH_PASSPHRASE) whenever the profile opens."
        }
        PassphraseCommand::Remove => {
            "The passphrase is removed; the keys are protected by file permissions only."
        }
    });
    Ok(())
}
