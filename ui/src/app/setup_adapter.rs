//! `SetupAdapter`: the first-run and lock screens.

use hearth_core::keys::SecretString;
use slint::ComponentHandle;

use super::ui::{AppWindow, SetupAdapter};
use super::worker::{Command, Sink};

fn secret(text: &str) -> Option<SecretString> {
    (!text.is_empty()).then(|| SecretString::from(text.to_owned()))
}

pub(crate) fn connect(window: &AppWindow, sink: &Sink) {
    let g = window.global::<SetupAdapter>();
    let s = sink.clone();
    g.on_start_journal(move |name, passphrase| {
        s.send(Command::Start {
            name: name.trim().to_owned(),
            passphrase: secret(&passphrase),
        });
    });
    let s = sink.clone();
    g.on_join_journal(move |name, ticket, passphrase| {
        s.send(Command::JoinAtStart {
            name: name.trim().to_owned(),
            ticket: ticket.to_string(),
            passphrase: secret(&passphrase),
        });
    });
    let s = sink.clone();
    g.on_retry(move || s.send(Command::Retry));
    let s = sink.clone();
    g.on_unlock(move |passphrase| {
        if let Some(p) = secret(&passphrase) {
            s.send(Command::Unlock(p));
        }
    });
}

pub(crate) fn set_busy(window: &AppWindow, busy: bool) {
    window.global::<SetupAdapter>().set_busy(busy);
}

pub(crate) fn set_error(window: &AppWindow, text: &str) {
    window.global::<SetupAdapter>().set_error(text.into());
}

pub(crate) fn set_needs_passphrase(window: &AppWindow, needs: bool) {
    window.global::<SetupAdapter>().set_needs_passphrase(needs);
}

pub(crate) fn set_where(window: &AppWindow, text: &str) {
    window.global::<SetupAdapter>().set_where_text(text.into());
}
