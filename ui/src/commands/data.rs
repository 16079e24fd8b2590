//! Getting the journal out and back in: exports, change files, backups, restores, and the
//! passphrase on this device's keys.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use hearth_core::CLAIMED_PERSON;
use hearth_core::backup::{self, Backup, Manifest};
use hearth_core::keys::{KeySealing, SecretString};
use hearth_core::{
    CreateOptions, DeviceKind, DeviceOwner, Journal, PartnerId, Profile, Timestamp, Trust,
};
use serde::Serialize;

use super::Ctx;
use crate::cli::{
    BackupArgs, ExportArgs, ExportChangesArgs, ExportFormat, PassphraseCommand, RestoreArgs,
};
use crate::io::{self, Io};
use crate::show;
use hearth_core::export;

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
    let (manifest, notes) = ctx.backend.with_profile(|p, j| {
        let names = j.partners().into_iter().map(|p| p.name).collect();
        let mut manifest = Manifest::new(chrono::Utc::now(), p.config().device_name.clone(), names);
        if let Some(root) = j.root() {
            manifest.extra.insert(FOUNDER_KEY.into(), root.into());
        }
        manifest.extra.insert(
            DEVICE_KEY.into(),
            hearth_sync::endpoint_id_of(p.keys().endpoint_secret()).into(),
        );
        (manifest, j.wall(&Default::default()).len())
    });
    let spinner = ctx.io.spinner("Sealing the backup…");
    write_private_with(&out, |w| {
        ctx.backend
            .with_profile(|p, _| p.write_backup(w, &passphrase, &manifest, work_factor))
            .context("could not write the backup")?;
        Ok(())
    })?;
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
    ctx.io.line(format!(
        "Backup written to {} ({}, and everything else). Keep the passphrase somewhere safe: \
         without it the backup cannot be opened.",
        out.display(),
        show::count(notes, "note", "notes")
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

/// Keeps a backup's private journal only if it belongs to `owner`: private entries never go to
/// another person's device or the home display.
fn private_for(io: &Io, backup: &mut Backup, journal: &Journal, owner: &DeviceOwner) {
    if backup.private.is_none() {
        return;
    }
    let authors = private_authors(journal);
    let keep = match owner {
        DeviceOwner::Home => false,
        DeviceOwner::Partner(p) => authors.iter().all(|a| a == p),
    };
    if !keep {
        backup.private = None;
        if !authors.is_empty() {
            io.note(
                "note: the backup's private journal belongs to someone else, so it was left out",
            );
        }
    }
}

/// The manifest field naming the journal's founder (its endpoint id).
const FOUNDER_KEY: &str = "founder";
/// The manifest field naming the device the backup was made on (its endpoint id).
const DEVICE_KEY: &str = "device";

/// The device a backup was made on, as the backup's journal records it.
fn made_on(backup: &Backup, journal: &Journal) -> Option<hearth_core::Device> {
    let id = backup.manifest.extra.get(DEVICE_KEY)?.as_str()?;
    journal.devices().into_iter().find(|d| d.endpoint_id == id)
}

/// The founder a backup names, if the backup's own statements bear it out.
fn founder_of(backup: &Backup, journal: &Journal) -> Option<String> {
    let founder = backup.manifest.extra.get(FOUNDER_KEY)?.as_str()?.to_owned();
    let m = journal.membership_under(Some(&founder));
    m.devices()
        .get(&founder)
        .is_some_and(|d| d.role == hearth_core::membership::AddRole::Founder)
        .then_some(founder)
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
    let mut backup = read_backup(io, &path)?;
    let journal = Journal::load(&backup.shared, backup.private.as_deref(), b"hearth-restore")
        .context("the backup's journal does not load")?;
    let partners = journal.partners();
    let source = made_on(&backup, &journal);
    let owner = if a.display {
        DeviceOwner::Home
    } else if let Some(name) = &a.person {
        DeviceOwner::Partner(journal.find_partner(name)?.id)
    } else if let Some(device) = &source {
        // Whose the device it was made on was: the same answer for every backup of it.
        device.owner.clone()
    } else {
        let authors = private_authors(&journal);
        match (partners.as_slice(), authors.as_slice()) {
            ([one], _) => DeviceOwner::Partner(one.id.clone()),
            (_, [one]) => DeviceOwner::Partner(one.clone()),
            _ => anyhow::bail!(
                "this journal belongs to {}: say whose device this is with --as NAME (or \
                 --display for the home display)",
                partners
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        }
    };
    private_for(io, &mut backup, &journal, &owner);
    let (kind, default_name) = match &owner {
        DeviceOwner::Home => (DeviceKind::Display, "Home display".to_owned()),
        DeviceOwner::Partner(p) => (
            DeviceKind::Personal,
            format!("{}'s device", show::name(&journal, p)),
        ),
    };
    // Beside the device it replaces, a restored one needs a name of its own, or `revoke NAME`
    // could not tell them apart.
    let taken = |name: &str| journal.devices().iter().any(|d| d.name == name);
    let device_name = a.device_name.clone().unwrap_or_else(|| {
        let restored = format!("{default_name} (restored)");
        if !taken(&default_name) {
            default_name
        } else if !taken(&restored) {
            restored
        } else {
            let day = chrono::Local::now().format("%-d %b %Y");
            format!("{default_name} (restored {day})")
        }
    });
    let options = CreateOptions {
        device_name: device_name.clone(),
        kind: kind.clone(),
        sealing: KeySealing {
            work_factor: io::work_factor()?,
        },
    };
    // Only now that the backup has proved good: the old profile goes aside, whole.
    let aside = if a.replace && dir.exists() {
        Some(move_aside(dir)?)
    } else {
        None
    };
    let spinner = io.spinner("Restoring…");
    let profile = match Profile::restore(dir, &backup, None, &options) {
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
    // The restored device is not a member: nothing about it is written into the journal, so
    // it cannot mint itself a place there. It trusts the backup's founder (to read the chain)
    // and remembers whom it says it belongs to until a member admits it by pairing.
    let mut profile = profile;
    let founder = founder_of(&backup, &journal);
    profile
        .store_mut()
        .set_trust(Trust {
            root: founder,
            own: Default::default(),
        })
        .context("could not record the journal's founder")?;
    if let DeviceOwner::Partner(p) = &owner {
        profile
            .update_config(|c| {
                c.extra
                    .insert(CLAIMED_PERSON.into(), p.as_str().to_owned().into());
            })
            .context("could not record whose device this is")?;
    }
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
    if let Some(old) = source.filter(|d| !revoked(d)) {
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
    let journal = Journal::load(&backup.shared, backup.private.as_deref(), b"hearth-restore")
        .context("the backup's journal does not load")?;
    // Only a backup of this same journal: its statements must include this device's founder's.
    let root = ctx.backend.read(|j| j.root().map(str::to_owned));
    let same = root.as_deref().is_some_and(|r| {
        journal
            .membership_under(Some(r))
            .devices()
            .get(r)
            .is_some_and(|d| d.role == hearth_core::membership::AddRole::Founder)
    });
    if !same {
        anyhow::bail!(
            "this backup is of another journal (not one this device belongs to); nothing was \
             merged. Restore it into a new profile with --profile DIR instead"
        );
    }
    let owner = match ctx.backend.me() {
        Some(p) => DeviceOwner::Partner(p),
        None => DeviceOwner::Home,
    };
    private_for(&ctx.io, &mut backup, &journal, &owner);
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
