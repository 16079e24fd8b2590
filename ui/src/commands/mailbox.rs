//! `hearth mailbox`: run a mailbox, set one up, see how it is doing, stop using it.

use std::path::Path;
use std::time::Duration;

use anyhow::{Result, anyhow};
use hearth_core::Timestamp;
use hearth_sync::{
    MailboxConfig, MailboxReport, MailboxServer, MailboxStatus, MailboxTicket, SyncError,
};
use serde::Serialize;

use super::Ctx;
use crate::cli::{MailboxAddArgs, MailboxCommand, MailboxRemoveArgs, MailboxServeArgs};
use crate::io::Io;
use crate::{plan, qr, show};

pub(crate) async fn mailbox(ctx: &mut Ctx, c: &MailboxCommand) -> Result<()> {
    match c {
        MailboxCommand::Add(a) => add(ctx, a).await,
        MailboxCommand::Status => status(ctx),
        MailboxCommand::Remove(a) => remove(ctx, a).await,
        MailboxCommand::Serve(_) => anyhow::bail!("`hearth mailbox serve` needs no profile"),
    }
}

#[derive(Serialize)]
struct TicketLine<'a> {
    ticket: &'a str,
    endpoint_id: String,
    dir: &'a Path,
}

/// Runs a mailbox in `a.dir` until `stop` resolves.
pub(crate) async fn serve(
    a: &MailboxServeArgs,
    io: &Io,
    cwd: &Path,
    stop: impl Future<Output = ()>,
) -> Result<()> {
    let dir = if a.dir.is_absolute() {
        a.dir.clone()
    } else {
        cwd.join(&a.dir)
    };
    let net = plan::net_config(&a.net, false)?;
    let config = MailboxConfig {
        bind: net.bind,
        relays: net.relays,
        retention: Duration::from_secs(a.retention_days * 24 * 3600),
        ..MailboxConfig::default()
    };
    if dir.exists() && !dir.is_dir() {
        anyhow::bail!(
            "{} is a file; give the mailbox a directory of its own (it is made if missing)",
            dir.display()
        );
    }
    let server = MailboxServer::start(&dir, config)
        .await
        .map_err(|e| match e {
            SyncError::Store(hearth_core::StoreError::Busy { .. }) => anyhow!(
                "a mailbox is already running with {}; stop it first, or give this one another \
                 directory",
                dir.display()
            ),
            SyncError::Store(hearth_core::StoreError::Io { path, source }) => anyhow!(
                "could not use {}: {source}; check the directory's permissions and free space",
                path.display()
            ),
            e => anyhow!(e).context(format!("could not start the mailbox in {}", dir.display())),
        })?;
    let mut tickets = server.tickets();
    let mut first = true;
    let show_ticket = |ticket: &MailboxTicket, first: bool| -> Result<()> {
        let text = ticket.to_text();
        if io.json {
            return io.emit_json_line(&TicketLine {
                ticket: &text,
                endpoint_id: server.id().to_string(),
                dir: &dir,
            });
        }
        io.line(&text);
        if io.tty {
            io.write_out(qr::render(text.as_bytes())?);
        }
        if first {
            let addrs: Vec<String> = ticket.addrs.iter().map(|a| a.to_string()).collect();
            io.note(format!(
                "The mailbox {} listens on {} and keeps what it holds in {}. It cannot read \
                 what your devices leave with it.\nTo set it up, run on one of your devices:\n  \
                 hearth mailbox add {text}",
                show::prefix(&server.id().to_string(), 10),
                if addrs.is_empty() {
                    "no address yet".to_owned()
                } else {
                    addrs.join(", ")
                },
                dir.display(),
            ));
        } else {
            io.note("That setup ticket was used. The line above is a new one, for another couple.");
        }
        Ok(())
    };
    tokio::pin!(stop);
    loop {
        if let Some(ticket) = tickets.borrow_and_update().clone() {
            show_ticket(&ticket, first)?;
            first = false;
        }
        tokio::select! {
            changed = tickets.changed() => if changed.is_err() { break },
            _ = &mut stop => break,
        }
    }
    server.shutdown().await;
    Ok(())
}

async fn add(ctx: &mut Ctx, a: &MailboxAddArgs) -> Result<()> {
    let ticket = MailboxTicket::parse(&a.ticket)?;
    let node = ctx.backend.node()?;
    if !node.is_member() {
        anyhow::bail!(
            "this device is not a member of a journal yet; pair it first (`hearth pair join`), \
             then set up the mailbox"
        );
    }
    let spinner = ctx.io.spinner("Setting up the mailbox…");
    let added = node
        .mailbox_add(&ticket, Duration::from_secs(a.timeout.max(1)))
        .await;
    drop(spinner);
    let report = added.map_err(|e| match e {
        SyncError::MailboxRefused(hearth_sync::MailboxRefusal::TicketUsed) => anyhow!(
            "the mailbox says this setup ticket was used already; `hearth mailbox serve` prints \
             a new one each time one is used"
        ),
        e => anyhow!(e).context("could not set up the mailbox"),
    })?;
    if ctx.io.json {
        return ctx.io.emit_json(&report);
    }
    ctx.io.line(
        "The mailbox is set up. Your other devices learn about it the next time they sync, \
         and from then on leave and fetch changes there on their own.",
    );
    say_report(ctx, &report);
    Ok(())
}

/// One line of what an exchange did.
pub(crate) fn report_line(r: &MailboxReport) -> String {
    let mut parts = Vec::new();
    if r.fetched > 0 {
        parts.push(format!(
            "fetched {} ({} new)",
            show::count(r.fetched, "bundle", "bundles"),
            show::count(r.new_changes, "change", "changes")
        ));
    }
    if r.sent_changes > 0 {
        parts.push(format!(
            "handed in {} ({})",
            show::count(r.sent_changes, "change", "changes"),
            size(r.sent_bytes)
        ));
    }
    if r.refused > 0 {
        parts.push(format!(
            "refused {} that did not open or were not signed by one of your devices",
            show::count(r.refused, "bundle", "bundles")
        ));
    }
    if r.deferred > 0 {
        parts.push(format!(
            "left {} from a device this one does not know yet",
            show::count(r.deferred, "bundle", "bundles")
        ));
    }
    if parts.is_empty() {
        "nothing new either way".to_owned()
    } else {
        parts.join("; ")
    }
}

fn say_report(ctx: &Ctx, r: &MailboxReport) {
    ctx.io.line(format!("Mailbox: {}.", report_line(r)));
    if let Some(refusal) = r.send_refused {
        ctx.io.line(format!(
            "The mailbox did not take this device's changes ({refusal}); they wait here and \
             are handed in once there is room."
        ));
    }
    if let Some(at) = r.dropped_before {
        ctx.io.line(dropped_warning(at));
    }
}

/// What to say when the mailbox dropped changes for this device before it fetched them.
pub(crate) fn dropped_warning(at: Timestamp) -> String {
    format!(
        "Changes for this device made up to {} were dropped from the mailbox before it fetched \
         them (it keeps them for a limited time). Sync once directly with another of your \
         devices: `hearth sync` with both on the same network.",
        show::when(at)
    )
}

fn size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} bytes"),
        b if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{:.1} MiB", b as f64 / (1024.0 * 1024.0)),
    }
}

fn status(ctx: &mut Ctx) -> Result<()> {
    let status = ctx.backend.engine().mailbox_status();
    if ctx.io.json {
        return ctx.io.emit_json(&status);
    }
    let Some(s) = status else {
        ctx.io.line(
            "No mailbox is set up. Run `hearth mailbox serve --dir DIR` on a machine that stays \
             on (the home display, a Raspberry Pi), then `hearth mailbox add TICKET` here with \
             the ticket it prints.",
        );
        return Ok(());
    };
    say_status(ctx, &s);
    Ok(())
}

fn say_status(ctx: &Ctx, s: &MailboxStatus) {
    let at = if s.mailbox.addrs.is_empty() {
        String::new()
    } else {
        format!(" at {}", s.mailbox.addrs.join(", "))
    };
    ctx.io.line(format!(
        "Mailbox {}{at}",
        show::prefix(&s.mailbox.endpoint_id, 10)
    ));
    let when = |t: Option<Timestamp>| t.map_or_else(|| "never".to_owned(), show::when);
    ctx.io
        .line(format!("  Last reached: {}", when(s.last_reached)));
    ctx.io
        .line(format!("  Last handed changes in: {}", when(s.last_sent)));
    ctx.io
        .line(format!("  Last fetched changes: {}", when(s.last_fetched)));
    ctx.io.line(match s.pending {
        0 => "  Nothing waits to be handed in.".to_owned(),
        n => format!(
            "  {} here not handed in yet.",
            show::count(n, "change", "changes")
        ),
    });
    if let Some(e) = &s.last_error {
        ctx.io
            .line(format!("  The last try failed: {}", show::safe(e)));
    }
    if let Some(at) = s.dropped_before {
        ctx.io.line(format!("  {}", dropped_warning(at)));
    }
}

async fn remove(ctx: &mut Ctx, a: &MailboxRemoveArgs) -> Result<()> {
    let node = ctx.backend.node()?;
    let told = node
        .mailbox_remove(Duration::from_secs(a.timeout.max(1)))
        .await
        .map_err(|e| match e {
            SyncError::NoMailbox => anyhow!("no mailbox is set up, so there is none to remove"),
            e => anyhow!(e).context("could not stop using the mailbox"),
        })?;
    if ctx.io.json {
        #[derive(Serialize)]
        struct Removed {
            removed: bool,
            mailbox_told: bool,
        }
        return ctx.io.emit_json(&Removed {
            removed: true,
            mailbox_told: told,
        });
    }
    ctx.io.line(if told {
        "Stopped using the mailbox, and it forgot what it held for you. Your other devices stop \
         using it the next time they sync."
    } else {
        "Stopped using the mailbox. It could not be reached, so it keeps what it holds for you \
         until its retention period ends; it cannot read any of it. Your other devices stop \
         using it the next time they sync."
    });
    Ok(())
}
