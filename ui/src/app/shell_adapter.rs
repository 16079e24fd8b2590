//! `AppAdapter`: which phase and screen, who is here, how sync is going, and calm notices.

use slint::ComponentHandle;

use super::colour;
use super::ui::{AppAdapter, AppWindow, Person, Phase, Screen, SyncState};
use super::views::ShellView;
use super::views::devices::SyncKind;

pub(crate) fn set_phase(window: &AppWindow, phase: Phase) {
    window.global::<AppAdapter>().set_phase(phase);
}

pub(crate) fn set_screen(window: &AppWindow, screen: Screen) {
    window.global::<AppAdapter>().set_screen(screen);
}

/// What a delete says: where the item went and for how long.
pub(crate) const DELETED: &str = "Deleted. It waits in Recently deleted for 30 days.";

/// How long a notice stays before it fades.
const NOTICE_FOR: std::time::Duration = std::time::Duration::from_secs(8);

/// Shows a short message over the current screen (only there), until it is dismissed, another
/// replaces it, or a while has passed.
pub(crate) fn notice(window: &AppWindow, text: &str) {
    let g = window.global::<AppAdapter>();
    g.set_notice_screen(g.get_screen());
    g.set_notice(text.into());
    super::clear_later(
        window,
        text,
        NOTICE_FOR,
        |w| w.global::<AppAdapter>().get_notice(),
        |w| w.global::<AppAdapter>().set_notice("".into()),
    );
}

pub(crate) fn apply(window: &AppWindow, view: &ShellView) {
    let g = window.global::<AppAdapter>();
    g.set_me(Person {
        name: view.me.name.as_str().into(),
        colour: colour(view.me.colour),
    });
    g.set_has_partner(view.partner.is_some());
    if let Some(p) = &view.partner {
        g.set_partner(Person {
            name: p.name.as_str().into(),
            colour: colour(p.colour),
        });
    }
    g.set_today_text(view.today.as_str().into());
    g.set_sync_state(match view.sync.kind {
        SyncKind::Alone => SyncState::Alone,
        SyncKind::Offline => SyncState::Offline,
        SyncKind::Connected => SyncState::Connected,
    });
    g.set_sync_text(view.sync.text.as_str().into());
}
