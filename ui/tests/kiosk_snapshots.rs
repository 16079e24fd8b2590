//! The home display at the two common touch-screen sizes (800 x 480 and 1024 x 600), rendered
//! with the software renderer: the carousel with the next date, the keyboard open, a tech-free
//! date (quiet) and paused for guests. `HEARTH_UPDATE_SNAPSHOTS=1` writes the references anew.
#![allow(clippy::unwrap_used)]

mod app_support;

use app_support::{check_snapshot as check, init_for_snapshots};
use hearth_core::{Journal, NewDate, Timestamp};
use hearth_ui::app::ui::{KioskAdapter, Theme};
use hearth_ui::app::{Clock, KioskPreview};
use i_slint_backend_testing::ElementHandle;
use slint::{ComponentHandle, Model};

const SIZES: [(&str, f32, f32); 2] = [("800x480", 800., 480.), ("1024x600", 1024., 600.)];
const HOUR: i64 = 3_600_000;
/// Thursday 27 November 2025, 18:40 UTC.
const NOW: Timestamp = Timestamp(1_764_268_800_000);

/// Ana and Ben with wall-safe notes, a private one, and two dates: a dinner on Saturday and a
/// tech-free walk on Sunday evening.
fn journal() -> (Journal, Timestamp) {
    let mut j = Journal::new(b"kiosk-snapshots").unwrap();
    let t = Timestamp(NOW.0 - 30 * 24 * HOUR);
    let ana = j.add_partner("Ana", "#c0623b", t).unwrap();
    let ben = j.add_partner("Ben", "#3b7fc0", t).unwrap();
    j.add_appreciation(
        &ben,
        "Thank you for the soup when I was ill. It tasted like home.",
        true,
        Timestamp(NOW.0 - 5 * HOUR),
    )
    .unwrap();
    j.add_appreciation(
        &ana,
        "About last night…",
        false,
        Timestamp(NOW.0 - 2 * HOUR),
    )
    .unwrap();
    j.add_appreciation(
        &ana,
        "You made the whole weekend lighter.",
        true,
        Timestamp(NOW.0 - 30 * HOUR),
    )
    .unwrap();
    j.plan_date(
        &ana,
        &NewDate {
            title: "Dinner at the little Italian place".into(),
            start: Some(Timestamp(NOW.0 + 2 * 24 * HOUR + 30 * 60_000)),
            place: Some("Via Roma".into()),
            ..Default::default()
        },
        t,
    )
    .unwrap();
    let walk = Timestamp(NOW.0 + 3 * 24 * HOUR + 70 * 60_000);
    j.plan_date(
        &ben,
        &NewDate {
            title: "Evening walk by the lake".into(),
            start: Some(walk),
            tech_free: true,
            ..Default::default()
        },
        t,
    )
    .unwrap();
    (j, walk)
}

fn clock(now: Timestamp) -> Clock {
    Clock::Fixed {
        now,
        offset_minutes: 60,
    }
}

#[test]
fn the_display_at_two_sizes() {
    init_for_snapshots();
    let (j, walk) = journal();
    let mut failures = Vec::new();
    for (size, width, height) in SIZES {
        let dark = size == "1024x600";
        let shade = if dark { "dark" } else { "light" };
        let p = KioskPreview::new(&j, clock(NOW)).unwrap();
        let w = p.window();
        w.global::<Theme>().set_dark(dark);
        w.window().set_size(slint::LogicalSize::new(width, height));
        w.show().unwrap();
        let g = w.global::<KioskAdapter>();
        let notes: Vec<String> = g.get_notes().iter().map(|n| n.text.to_string()).collect();
        assert_eq!(notes.len(), 2, "only the wall-safe notes");
        assert!(!notes.iter().any(|n| n.contains("last night")));
        assert!(g.get_has_date());
        check(w, &format!("kiosk-carousel-{size}-{shade}"), &mut failures);

        g.set_slide(1);
        check(
            w,
            &format!("kiosk-next-slide-{size}-{shade}"),
            &mut failures,
        );

        g.set_keyboard_open(true);
        let ana = g.get_people().row_data(1).unwrap().id;
        g.set_author(ana);
        for k in ["T", "H", "A", "N", "K", "space", "Y", "O", "U"] {
            g.invoke_key(k.into());
        }
        assert_eq!(g.get_draft(), "Thank you");
        check(w, &format!("kiosk-keyboard-{size}-{shade}"), &mut failures);
        g.set_keyboard_open(false);

        g.set_paused(true);
        check(w, &format!("kiosk-paused-{size}-{shade}"), &mut failures);
        w.hide().unwrap();

        let quiet = KioskPreview::new(&j, clock(Timestamp(walk.0 + 20 * 60_000))).unwrap();
        let q = quiet.window();
        q.global::<Theme>().set_dark(dark);
        q.window().set_size(slint::LogicalSize::new(width, height));
        q.show().unwrap();
        assert_eq!(
            q.global::<KioskAdapter>().get_quiet_title(),
            "Evening walk by the lake"
        );
        assert_eq!(q.global::<KioskAdapter>().get_notes().row_count(), 0);
        check(q, &format!("kiosk-quiet-{size}-{shade}"), &mut failures);
        q.hide().unwrap();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Whoever stands at the display can write a time, a number or a question, and every key fits
/// on the smaller screen.
#[test]
fn the_keyboard_has_digits_and_a_question_mark() {
    init_for_snapshots();
    let (j, _) = journal();
    let p = KioskPreview::new(&j, clock(NOW)).unwrap();
    let w = p.window();
    w.window().set_size(slint::LogicalSize::new(800., 480.));
    w.show().unwrap();
    let g = w.global::<KioskAdapter>();
    g.set_keyboard_open(true);
    let key = |label: &str| {
        ElementHandle::find_by_accessible_label(w, label)
            .next()
            .unwrap_or_else(|| panic!("no key labelled {label:?}"))
    };
    for label in [
        "D", "I", "N", "N", "E", "R", "Space", "A", "T", "Space", "7", "?",
    ] {
        key(label).invoke_accessible_default_action();
    }
    assert_eq!(g.get_draft(), "Dinner at 7?");
    for label in [
        "1",
        "0",
        "Q",
        "P",
        "Z",
        "?",
        "!",
        "Backspace",
        "Space",
        "Done",
    ] {
        let k = key(label);
        let (at, size) = (k.absolute_position(), k.size());
        assert!(
            at.x >= 0. && at.y >= 0. && at.x + size.width <= 800. && at.y + size.height <= 480.,
            "{label:?} is at {at:?}, {size:?}: off the 800 x 480 screen"
        );
        assert!(
            size.height >= 48. && size.width >= 48.,
            "{label:?} is {size:?}: too small for a finger"
        );
    }
    w.hide().unwrap();
}

/// A display no one has paired yet: the digit pad at both sizes, with four digits typed, and
/// every key on screen and big enough for a finger.
#[test]
fn the_pairing_pad_at_two_sizes() {
    init_for_snapshots();
    let empty = Journal::new(b"unpaired-display").unwrap();
    let mut failures = Vec::new();
    for (size, width, height) in SIZES {
        let dark = size == "1024x600";
        let shade = if dark { "dark" } else { "light" };
        let p = KioskPreview::new(&empty, clock(NOW)).unwrap();
        let w = p.window();
        w.global::<Theme>().set_dark(dark);
        w.window().set_size(slint::LogicalSize::new(width, height));
        w.show().unwrap();
        let g = w.global::<KioskAdapter>();
        assert!(g.get_unpaired());
        for k in ["3", "0", "5", "1"] {
            g.invoke_pair_key(k.into());
        }
        assert_eq!(g.get_pair_digits(), "3051");
        for label in (0..10).map(|d| format!("Digit {d}")).chain([
            "Delete the last digit".to_owned(),
            "Pair with these digits".to_owned(),
        ]) {
            let k = ElementHandle::find_by_accessible_label(w, &label)
                .next()
                .unwrap_or_else(|| panic!("no key labelled {label:?}"));
            let (at, s) = (k.absolute_position(), k.size());
            assert!(
                at.x >= 0. && at.y >= 0. && at.x + s.width <= width && at.y + s.height <= height,
                "{label:?} is at {at:?}, {s:?}: off the {size} screen"
            );
            assert!(
                s.height >= 56. && s.width >= 48.,
                "{label:?} is {s:?}: too small"
            );
        }
        check(w, &format!("kiosk-pairing-{size}-{shade}"), &mut failures);
        w.hide().unwrap();
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
