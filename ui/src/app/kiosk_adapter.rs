//! `KioskAdapter`: the home display's notes, next date and quiet state, its keyboard, and the
//! digit pad it pairs with.

use slint::ComponentHandle;

use super::kiosk::KioskSink;
use super::ui::{KioskAdapter, KioskNote, KioskPerson, KioskWindow};
use super::views::kiosk::{KioskView, type_key, type_pair_key};
use super::{colour, set_model};

/// Copies a view of the display into the window.
pub(crate) fn apply(window: &KioskWindow, v: &KioskView) {
    let g = window.global::<KioskAdapter>();
    set_model!(
        &g,
        get_notes,
        set_notes,
        v.notes
            .iter()
            .map(|n| KioskNote {
                author: n.author.as_str().into(),
                colour: colour(n.colour),
                text: n.text.as_str().into(),
                when: n.when.as_str().into(),
            })
            .collect()
    );
    set_model!(
        &g,
        get_people,
        set_people,
        v.people
            .iter()
            .map(|p| KioskPerson {
                id: p.id.as_str().into(),
                name: p.name.as_str().into(),
                colour: colour(p.colour),
            })
            .collect()
    );
    let date = v.next_date.clone().unwrap_or_default();
    g.set_has_date(v.next_date.is_some());
    g.set_date_title(date.title.into());
    g.set_date_when(date.when.into());
    g.set_date_place(date.place.into());
    g.set_countdown(date.countdown.into());
    g.set_quiet_title(v.quiet.clone().unwrap_or_default().into());
    g.set_unpaired(v.unpaired);
    g.set_clock(v.clock.as_str().into());
}

/// Wires the keyboard and "Done".
pub(crate) fn connect(window: &KioskWindow, sink: &KioskSink) {
    let g = window.global::<KioskAdapter>();
    let weak = window.as_weak();
    g.on_key(move |key| {
        if let Some(w) = weak.upgrade() {
            let g = w.global::<KioskAdapter>();
            g.set_draft(type_key(&g.get_draft(), &key).into());
        }
    });
    let weak = window.as_weak();
    g.on_pair_key(move |key| {
        if let Some(w) = weak.upgrade() {
            let g = w.global::<KioskAdapter>();
            g.set_pair_digits(type_pair_key(&g.get_pair_digits(), &key).into());
            g.set_pair_text("".into());
        }
    });
    let s = sink.clone();
    g.on_leave_note(move |author, text| {
        let text = text.trim().to_owned();
        if !author.is_empty() && !text.is_empty() {
            s.note(author.to_string(), text);
        }
    });
    let s = sink.clone();
    g.on_pair(move |digits| s.pair(digits.to_string()));
}

/// A pairing by digits started (`true`) or ended, with a line on how it went.
pub(crate) fn set_pairing(window: &KioskWindow, pairing: bool, text: &str) {
    let g = window.global::<KioskAdapter>();
    g.set_pairing(pairing);
    g.set_pair_text(text.into());
    if !pairing {
        g.set_pair_digits("".into());
    }
}

/// Shows whether a note is being stored.
pub(crate) fn set_busy(window: &KioskWindow, busy: bool) {
    window.global::<KioskAdapter>().set_busy(busy);
}

/// The note is on the wall: close the keyboard and say thanks.
pub(crate) fn note_left(window: &KioskWindow, text: &str) {
    let g = window.global::<KioskAdapter>();
    g.set_busy(false);
    g.set_keyboard_open(false);
    g.set_draft("".into());
    g.set_author("".into());
    g.set_slide(0);
    notice(window, text);
}

/// A short line under the note; it clears itself after a while (one timer, no animation).
pub(crate) fn notice(window: &KioskWindow, text: &str) {
    window.global::<KioskAdapter>().set_notice(text.into());
    super::clear_later(
        window,
        text,
        std::time::Duration::from_secs(8),
        |w| w.global::<KioskAdapter>().get_notice(),
        |w| w.global::<KioskAdapter>().set_notice("".into()),
    );
}
