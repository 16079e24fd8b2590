//! The commands that work on a profile, written once against [`Ctx`]: the same function runs
//! whether this process opened the profile or a running `hearth serve` carries the command out
//! for another process.

mod checkin;
mod data;
mod dates;
mod devices;
mod find;
mod ideas;
mod mailbox;
mod questions;
mod sync;
mod talk;
mod trash;
mod wall;

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::backend::Backend;
use crate::cli::Command;
use crate::io::{Io, Passphrase};

pub(crate) use data::restore_new;
pub(crate) use mailbox::serve as mailbox_serve;
pub(crate) use talk::coach;

/// Everything a command needs.
#[derive(Debug)]
pub(crate) struct Ctx {
    /// The journal to work on.
    pub(crate) backend: Backend,
    /// Where output goes.
    pub(crate) io: Io,
    /// The working directory of the process that asked, for relative paths.
    pub(crate) cwd: PathBuf,
    /// A passphrase collected up front, for commands that need one of their own (backup,
    /// passphrase set).
    pub(crate) passphrase: Option<Passphrase>,
    /// Carried out by a serving owner for another process.
    pub(crate) served: bool,
}

impl Ctx {
    /// A path given on the command line, relative to the asking process's directory.
    pub(crate) fn path(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_owned()
        } else {
            self.cwd.join(p)
        }
    }
}

/// Runs a command that works on an open profile.
pub(crate) async fn run(command: &Command, ctx: &mut Ctx) -> Result<()> {
    match command {
        Command::Note(a) => wall::note(ctx, a),
        Command::Wall(a) => wall::wall(ctx, a),
        Command::React(a) => wall::react(ctx, a),
        Command::WallSafe(a) => wall::wall_safe(ctx, a),
        Command::Date(c) => dates::date(ctx, c),
        Command::Dates(a) => dates::dates(ctx, a),
        Command::Idea(c) => ideas::idea(ctx, c),
        Command::Ideas(a) => ideas::list(ctx, a),
        Command::Kindness(c) => ideas::kindness(ctx, c),
        Command::Checkin(a) => checkin::checkin(ctx, a),
        Command::Checkins(a) => checkin::checkins(ctx, a),
        Command::Week => checkin::week(ctx),
        Command::Listen(c) => talk::listen(ctx, c),
        Command::Question(c) => questions::question(ctx, c),
        Command::IStatement(c) => talk::i_statement(ctx, c),
        Command::Coach(a) => coach(&ctx.io, a),
        Command::Repair(c) => talk::repair(ctx, c),
        Command::Edit(a) => trash::edit(ctx, &a.id, &a.text),
        Command::Delete(a) => trash::delete(ctx, &a.id),
        Command::Trash(c) => trash::trash(ctx, c),
        Command::Devices => devices::devices(ctx),
        Command::Search(a) => find::search(ctx, a),
        Command::Status => find::status(ctx),
        Command::Revoke(a) => devices::revoke(ctx, a),
        Command::Pair(c) => devices::pair(ctx, c).await,
        Command::Sync(a) => sync::sync(ctx, a).await,
        Command::Mailbox(c) => mailbox::mailbox(ctx, c).await,
        Command::Export(a) => data::export(ctx, a),
        Command::ExportChanges(a) => data::export_changes(ctx, a),
        Command::Import(a) => data::import(ctx, &a.file),
        Command::Backup(a) => data::backup(ctx, a),
        Command::Restore(a) => data::merge_backup(ctx, a),
        Command::Passphrase(c) => data::passphrase(ctx, c),
        Command::Init(_)
        | Command::Serve(_)
        | Command::Demo
        | Command::Kiosk(_)
        | Command::App(_)
        | Command::PackageFiles(_) => {
            anyhow::bail!("this command does not run on an open profile")
        }
    }
}
