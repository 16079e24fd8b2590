//! Devices: the list, revoking, and pairing new ones.

use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use hearth_core::intent::Intent;
use hearth_core::membership::Standing;
use hearth_core::{Device, DeviceKind, DeviceOwner, Journal, Timestamp};
use hearth_sync::{Role, SyncError, Ticket};
use serde::Serialize;

use super::Ctx;
use crate::cli::{InviteArgs, InviteFor, JoinArgs, PairCommand, RevokeArgs};
use crate::{qr, show};

/// A device as JSON.
#[derive(Debug, Serialize)]
pub(crate) struct DeviceView {
    #[serde(flatten)]
    device: Device,
    /// The person it belongs to; `null` for the home display.
    owner_name: Option<String>,
    this_device: bool,
    /// Connected right now (only known while `hearth serve` runs).
    connected: Option<bool>,
    last_sync: Option<Timestamp>,
}

fn owner_name(j: &Journal, d: &Device) -> Option<String> {
    match &d.owner {
        DeviceOwner::Partner(p) => Some(show::name(j, p)),
        DeviceOwner::Home => None,
    }
}

fn views(ctx: &mut Ctx) -> Vec<DeviceView> {
    let mut list = listed(ctx);
    if !list.iter().any(|d| d.this_device) {
        let unadmitted = ctx.backend.with_profile(|p, j| {
            hearth_sync::unadmitted_record(p, j).map(|d| (owner_name(j, &d), d))
        });
        if let Some((owner_name, device)) = unadmitted {
            list.insert(
                0,
                DeviceView {
                    device,
                    owner_name,
                    this_device: true,
                    connected: None,
                    last_sync: None,
                },
            );
        }
    }
    list
}

fn listed(ctx: &mut Ctx) -> Vec<DeviceView> {
    if let Ok(node) = ctx.backend.node() {
        let status = node.peer_status();
        return node.read(|j| {
            status
                .into_iter()
                .map(|s| DeviceView {
                    owner_name: owner_name(j, &s.device),
                    this_device: s.this_device,
                    connected: Some(s.connected),
                    last_sync: s.last_sync,
                    device: s.device,
                })
                .collect()
        });
    }
    let me = ctx.backend.device_id();
    // The node records when each device last synced in the profile settings.
    let last: std::collections::HashMap<String, Timestamp> = ctx
        .backend
        .with_profile(|p, _| hearth_sync::last_sync_times(p));
    ctx.backend.read(|j| {
        j.devices()
            .into_iter()
            .map(|d| DeviceView {
                owner_name: owner_name(j, &d),
                this_device: d.endpoint_id == me,
                connected: None,
                last_sync: last.get(&d.endpoint_id).copied(),
                device: d,
            })
            .collect()
    })
}

pub(crate) fn devices(ctx: &mut Ctx) -> Result<()> {
    let list = views(ctx);
    if ctx.io.json {
        return ctx.io.emit_json(&list);
    }
    for d in &list {
        let whose = match (&d.owner_name, d.device.kind == DeviceKind::Display) {
            (_, true) => "home display".to_owned(),
            (Some(n), false) => n.clone(),
            (None, false) => "home".to_owned(),
        };
        let mut state = Vec::new();
        if d.this_device {
            state.push("this device".to_owned());
        }
        match &d.device.standing {
            Standing::Member => {}
            Standing::Revoked { .. } => state.push("revoked".to_owned()),
            Standing::Unverified { reason } if d.this_device => state.push(format!(
                "not a member yet ({}): pair it from one of your devices",
                show::safe(reason)
            )),
            Standing::Unverified { reason } => {
                state.push(format!("not verified, cannot sync: {}", show::safe(reason)))
            }
        }
        if d.connected == Some(true) {
            state.push("connected".to_owned());
        }
        if !d.this_device {
            state.push(match d.last_sync {
                Some(t) => format!("last synced {}", show::when(t)),
                None => "not synced yet".to_owned(),
            });
        }
        // The name and the id come from the device record, which a peer may have written.
        ctx.io.line(format!(
            "{} · {whose} · {}   [{}]",
            show::safe(&d.device.name),
            state.join(" · "),
            show::safe(show::prefix(&d.device.endpoint_id, 10))
        ));
    }
    if list.len() <= 1 {
        ctx.io.line("");
        ctx.io
            .line("Only this device so far. Pair another one with `hearth pair invite`.");
    }
    Ok(())
}

pub(crate) fn revoke(ctx: &mut Ctx, a: &RevokeArgs) -> Result<()> {
    let device = ctx.backend.read(|j| j.find_device(&a.device))?;
    if !a.undo && device.endpoint_id == ctx.backend.device_id() {
        anyhow::bail!(
            "that is this device; revoke it from another of your devices, or just stop using it"
        );
    }
    let endpoint_id = device.endpoint_id.clone();
    let change = if a.undo {
        Intent::UnrevokeDevice { endpoint_id }
    } else {
        Intent::RevokeDevice { endpoint_id }
    };
    ctx.backend
        .apply(&change)
        .context("could not change the device")?;
    let updated = ctx
        .backend
        .read(|j| j.device(&device.endpoint_id))
        .context("the device record is gone")?;
    if ctx.io.json {
        return ctx.io.emit_json(&updated);
    }
    ctx.io.line(if a.undo {
        format!("{} may sync again.", show::safe(&device.name))
    } else {
        format!(
            "{} is revoked: it can no longer sync with your devices. `hearth revoke --undo` lets it back.",
            show::safe(&device.name)
        )
    });
    Ok(())
}

pub(crate) async fn pair(ctx: &mut Ctx, c: &PairCommand) -> Result<()> {
    match c {
        PairCommand::Invite(a) => invite(ctx, a).await,
        PairCommand::Join(a) => join(ctx, a).await,
    }
}

#[derive(Debug, Serialize)]
struct TicketOut<'a> {
    ticket: &'a str,
    role: Role,
    expires: Timestamp,
}

#[derive(Debug, Serialize)]
struct PairedOut<'a> {
    paired: &'a Device,
}

async fn invite(ctx: &mut Ctx, a: &InviteArgs) -> Result<()> {
    let node = ctx.backend.node()?;
    if ctx.served && a.net.bind.is_some() {
        ctx.io
            .note("note: `hearth serve` is already listening; --bind is ignored");
    }
    let role = match a.role {
        InviteFor::Partner => Role::Partner,
        InviteFor::Me => Role::Me,
        InviteFor::Display => Role::Display,
    };
    let secs = a.timeout.max(1);
    if a.code {
        return invite_code(ctx, &node, role, secs).await;
    }
    let (ticket, pairing) = node
        .invite(role, Duration::from_secs(secs))
        .context("could not make a pairing ticket")?;
    let text = ticket.to_text();
    if ctx.io.json {
        ctx.io.emit_json_line(&TicketOut {
            ticket: &text,
            role,
            expires: ticket.expires,
        })?;
    } else {
        ctx.io.line(&text);
        if ctx.io.tty {
            ctx.io.write_out(qr::render(&ticket.qr_bytes())?);
        }
        ctx.io.note(format!(
            "Waiting for {} to join (the ticket works once, for {}). On it, run:\n  hearth pair join {text}",
            hearth_ui::app::who_joins(role),
            how_long(secs)
        ));
    }
    let device = pairing.wait().await.map_err(|e| match e {
        SyncError::TicketExpired => anyhow!(
            "no device joined within {secs} seconds, so the ticket has expired; run `hearth pair \
             invite` again when the other device is ready"
        ),
        other => anyhow!(other).context("pairing did not complete"),
    })?;
    paired(ctx, &device)
}

fn paired(ctx: &mut Ctx, device: &Device) -> Result<()> {
    if ctx.io.json {
        return ctx.io.emit_json_line(&PairedOut { paired: device });
    }
    ctx.io.line(format!(
        "Paired with {}. You now share one journal.",
        show::safe(&device.name)
    ));
    Ok(())
}

#[derive(Debug, Serialize)]
struct CodeOut {
    code: String,
    role: Role,
    expires: Timestamp,
}

fn how_long(secs: u64) -> String {
    if secs >= 120 {
        format!("{} minutes", secs / 60)
    } else {
        format!("{secs} seconds")
    }
}

/// `pair invite --code`: six digits in large type, announced on this network.
async fn invite_code(ctx: &mut Ctx, node: &hearth_sync::Node, role: Role, secs: u64) -> Result<()> {
    let secs = secs.min(hearth_sync::MAX_CODE_TTL.as_secs());
    let (code, pairing) = node
        .invite_code(role, Duration::from_secs(secs))
        .context("could not open a pairing code")?;
    if ctx.io.json {
        let ms = i64::try_from(secs).unwrap_or(i64::MAX).saturating_mul(1000);
        ctx.io.emit_json_line(&CodeOut {
            code: code.digits(),
            role,
            expires: Timestamp(Timestamp::now().0.saturating_add(ms)),
        })?;
    } else {
        ctx.io.line(code.to_string());
        if ctx.io.tty {
            ctx.io
                .write_out(format!("\n{}\n", qr::big_digits(&code.digits())));
        }
        ctx.io.note(format!(
            "Waiting for {} to join on this network (the code works once, for {}; one wrong \
             try closes it). On it, run:\n  hearth pair join --code {}",
            hearth_ui::app::who_joins(role),
            how_long(secs),
            code.digits()
        ));
    }
    let device = pairing.wait().await.map_err(|e| match e {
        SyncError::TicketExpired => anyhow!(
            "no device joined within {}, so the code has expired; run `hearth pair invite \
             --code` again when the other device is ready",
            how_long(secs)
        ),
        SyncError::PairingRefused(hearth_sync::PairRefusal::WrongCode) => anyhow!(
            "a device tried a wrong code, so this code is closed; run `hearth pair invite \
             --code` for a new one"
        ),
        other => anyhow!(other).context("pairing did not complete"),
    })?;
    paired(ctx, &device)
}

async fn join(ctx: &mut Ctx, a: &JoinArgs) -> Result<()> {
    let node = ctx.backend.node()?;
    let timeout = Duration::from_secs(a.timeout.max(1));
    let inviter = match (&a.code, &a.ticket) {
        (Some(code), _) => {
            let spinner = ctx
                .io
                .spinner("Looking for the code on this network, then joining and syncing…");
            let inviter = node
                .join_code(*code, timeout)
                .await
                .context("could not pair")?;
            drop(spinner);
            inviter
        }
        (None, Some(text)) => {
            let ticket = Ticket::parse(text)?;
            let spinner = ctx.io.spinner("Joining and syncing for the first time…");
            let inviter = node
                .join(&ticket, timeout)
                .await
                .context("could not pair")?;
            drop(spinner);
            inviter
        }
        (None, None) => return Err(anyhow!("give the ticket, or --code and the six digits")),
    };
    if ctx.io.json {
        return ctx.io.emit_json(&PairedOut { paired: &inviter });
    }
    let partners: Vec<String> = node.read(|j| {
        j.partners()
            .into_iter()
            .map(|p| show::safe(&p.name).into_owned())
            .collect()
    });
    ctx.io.line(format!(
        "Paired with {}. This journal now belongs to {}. `hearth wall` shows what is there.",
        show::safe(&inviter.name),
        partners.join(" and ")
    ));
    Ok(())
}
