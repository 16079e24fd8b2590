//! `DevicesAdapter`: pairing (QR code and text), joining, the device list, stop and resume.

use hearth_core::intent::Intent;
use slint::{ComponentHandle, Image, Rgba8Pixel, SharedPixelBuffer, SharedString};

use super::qr::Pixels;
use super::ui::{AppWindow, DeviceRow, DevicesAdapter};
use super::views::devices::{self, DevicesView};
use super::worker::{Command, Sink};
use super::{colour, set_model, shell_adapter};

pub(crate) fn connect(window: &AppWindow, sink: &Sink) {
    let g = window.global::<DevicesAdapter>();
    let s = sink.clone();
    g.on_invite(move |role| match role.parse() {
        Ok(role) => s.send(Command::Invite(role)),
        Err(e) => tracing::warn!(error = %e, "unknown role for an invitation"),
    });
    let s = sink.clone();
    g.on_invite_code(move |role| match role.parse() {
        Ok(role) => s.send(Command::InviteCode(role)),
        Err(e) => tracing::warn!(error = %e, "unknown role for an invitation"),
    });
    let s = sink.clone();
    g.on_cancel_invite(move || s.send(Command::CancelInvite));
    let s = sink.clone();
    g.on_join(move |ticket| s.send(Command::Join(ticket.to_string())));
    let s = sink.clone();
    g.on_revoke(move |id| {
        let id = id.to_string();
        s.write_then(Intent::RevokeDevice { endpoint_id: id }, |w| {
            shell_adapter::notice(
                w,
                "That device no longer syncs. You can let it sync again from its card below.",
            );
        });
    });
    let s = sink.clone();
    g.on_unrevoke(move |id| {
        let id = id.to_string();
        s.write_then(Intent::UnrevokeDevice { endpoint_id: id }, |w| {
            shell_adapter::notice(w, "It syncs again.")
        });
    });
}

/// Shows a pairing invitation: the QR code, the text and a line on how to use it.
pub(crate) fn show_invite(window: &AppWindow, ticket: &str, qr: &Pixels, intro: &str) {
    let g = window.global::<DevicesAdapter>();
    let image = if qr.width > 0 {
        Image::from_rgba8(SharedPixelBuffer::<Rgba8Pixel>::clone_from_slice(
            &qr.rgba, qr.width, qr.height,
        ))
    } else {
        Image::default()
    };
    g.set_qr(image);
    g.set_ticket(devices::grouped(ticket, 6).into());
    g.set_code(SharedString::new());
    g.set_invite_text(intro.into());
    g.set_inviting(true);
}

/// Shows a code invitation: six digits in large type and how to use them.
pub(crate) fn show_code(window: &AppWindow, code: &str, intro: &str) {
    let g = window.global::<DevicesAdapter>();
    g.set_qr(Image::default());
    g.set_ticket(SharedString::new());
    g.set_code(code.into());
    g.set_invite_text(intro.into());
    g.set_inviting(true);
}

/// Shows how the mailbox is doing (nothing when none is set up).
pub(crate) fn show_mailbox(window: &AppWindow, text: &str) {
    window
        .global::<DevicesAdapter>()
        .set_mailbox_text(text.into());
}

pub(crate) fn hide_invite(window: &AppWindow) {
    let g = window.global::<DevicesAdapter>();
    g.set_inviting(false);
    g.set_ticket(SharedString::new());
    g.set_code(SharedString::new());
    g.set_qr(Image::default());
}

pub(crate) fn set_joining(window: &AppWindow, joining: bool, text: &str) {
    let g = window.global::<DevicesAdapter>();
    g.set_joining(joining);
    g.set_join_text(text.into());
}

pub(crate) fn apply(window: &AppWindow, view: &DevicesView) {
    let g = window.global::<DevicesAdapter>();
    g.set_can_invite_partner(view.can_invite_partner);
    set_model!(
        &g,
        get_devices,
        set_devices,
        view.devices
            .iter()
            .map(|d| DeviceRow {
                id: d.id.as_str().into(),
                name: d.name.as_str().into(),
                owner: d.owner.as_str().into(),
                colour: colour(d.colour),
                status: d.status.as_str().into(),
                connected: d.connected,
                revoked: d.revoked,
                this_device: d.this_device,
            })
            .collect()
    );
}
