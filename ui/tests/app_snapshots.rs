//! Every screen at phone size (390 x 844) and desktop size (1280 x 800), rendered with the
//! software renderer and the bundled Inter, compared with the reference PNGs in
//! `tests/snapshots/` within a small tolerance. `HEARTH_UPDATE_SNAPSHOTS=1` writes them anew.
//! The journal comes from the seeded generator, so the pictures hold real-looking content.
#![allow(clippy::unwrap_used)]

mod app_support;

use app_support::{check_snapshot as check, init_for_snapshots};
use hearth_core::generator::ten_year_journal;
use hearth_core::{
    Device, DeviceKind, DeviceOwner, IdeaKind, NewDate, PartnerId, Timestamp, Visibility,
};
use hearth_sync::PeerStatus;
use hearth_ui::app::ui::{
    AnsweredRow, AppAdapter, OpenAnswerRow, Phase, Screen, TalkAdapter, Theme,
};
use hearth_ui::app::{Clock, Preview};
use slint::ComponentHandle;

const SIZES: [(&str, f32, f32); 2] = [("phone", 390., 844.), ("desktop", 1280., 800.)];

fn device(name: &str, owner: DeviceOwner, kind: DeviceKind, n: u8) -> Device {
    Device {
        endpoint_id: format!("{n:02x}").repeat(32),
        age_recipient: "age1example".into(),
        owner,
        kind,
        name: name.into(),
        added_by: None,
        added_at: Timestamp(0),
        revoked_at: None,
        addrs: vec![],
        standing: hearth_core::membership::Standing::Member,
        role: None,
        actor: String::new(),
    }
}

/// Ana's phone, Ben's phone (connected), the home display and a tablet that stopped syncing.
fn peers(ana: &PartnerId, ben: &PartnerId, now: Timestamp) -> Vec<PeerStatus> {
    let mut tablet = device(
        "Old tablet",
        DeviceOwner::Partner(ana.clone()),
        DeviceKind::Personal,
        4,
    );
    tablet.revoked_at = Some(now.plus_days(-3));
    tablet.standing = hearth_core::membership::Standing::Revoked {
        by: "01".repeat(32),
    };
    vec![
        PeerStatus {
            device: device(
                "Ana's phone",
                DeviceOwner::Partner(ana.clone()),
                DeviceKind::Personal,
                1,
            ),
            connected: false,
            last_sync: None,
            this_device: true,
        },
        PeerStatus {
            device: device(
                "Ben's phone",
                DeviceOwner::Partner(ben.clone()),
                DeviceKind::Personal,
                2,
            ),
            connected: true,
            last_sync: Some(Timestamp(now.0 - 60_000)),
            this_device: false,
        },
        PeerStatus {
            device: device("Kitchen display", DeviceOwner::Home, DeviceKind::Display, 3),
            connected: false,
            last_sync: Some(Timestamp(now.0 - 3 * 3_600_000)),
            this_device: false,
        },
        PeerStatus {
            device: tablet,
            connected: false,
            last_sync: Some(now.plus_days(-4)),
            this_device: false,
        },
    ]
}

#[test]
fn every_screen_at_phone_and_desktop_size() {
    init_for_snapshots();
    let mut generated = ten_year_journal(11, 900, b"snapshot-device").unwrap();
    let [ana, ben] = generated.partners.clone();
    let now = Timestamp(generated.end.0 + 3_600_000);
    let j = &mut generated.journal;
    // A few things the generator leaves to chance, so every screen has something to show.
    j.plan_date(
        &ben,
        &NewDate {
            title: "Dinner at the Thai place".into(),
            start: Some(now.plus_days(3)),
            place: Some("Baan Thai".into()),
            notes: Some("Ask for the table by the window.".into()),
            tech_free: true,
            ..NewDate::default()
        },
        now,
    )
    .unwrap();
    let idea = j
        .add_idea(&ana, &IdeaKind::Date, "Sunrise swim", None, now)
        .unwrap();
    j.mark_idea(&idea, &ana, true, now).unwrap();
    j.mark_idea(&idea, &ben, true, now).unwrap();
    j.start_listening(
        &ben,
        "I've felt stretched thin with work and I miss our slow Sundays.",
        now,
    )
    .unwrap();
    let note = j
        .add_appreciation(
            &ben,
            "Thank you for the bread you baked this morning",
            true,
            now,
        )
        .unwrap();
    j.delete(&note, &ana, now).unwrap();
    j.write_hurt(
        &ana,
        "When plans changed at the last minute, I felt forgotten.",
        Visibility::Private,
        now,
    )
    .unwrap();
    let peers = peers(&ana, &ben, now);
    let clock = Clock::Fixed {
        now,
        offset_minutes: 60,
    };

    let preview = Preview::new(&generated.journal, Some(ana.clone()), &peers, clock).unwrap();
    let w = preview.window();
    preview
        .show_invite("HEARTH2AEXAMPLEONLYTHISISNOTAREALINVITATIONFORSNAPSHOTSAYZ234567ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMN")
        .unwrap();
    w.show().unwrap();

    let screens = [
        ("wall", Screen::Wall),
        ("dates", Screen::Dates),
        ("kindness", Screen::Kindness),
        ("checkin", Screen::Checkin),
        ("talk", Screen::Talk),
        ("devices", Screen::Devices),
        ("trash", Screen::Trash),
    ];
    let mut failures = Vec::new();
    for (size, width, height) in SIZES {
        w.window().set_size(slint::LogicalSize::new(width, height));
        w.global::<AppAdapter>().set_phase(Phase::Journal);
        for (name, screen) in screens {
            w.global::<AppAdapter>().set_screen(screen);
            check(w, &format!("{name}-{size}"), &mut failures);
        }
        w.global::<Theme>().set_dark(true);
        w.global::<AppAdapter>().set_screen(Screen::Wall);
        check(w, &format!("wall-dark-{size}"), &mut failures);
        w.global::<AppAdapter>().set_screen(Screen::Checkin);
        check(w, &format!("checkin-dark-{size}"), &mut failures);
        w.global::<Theme>().set_dark(false);
        w.global::<AppAdapter>().set_phase(Phase::Welcome);
        check(w, &format!("welcome-{size}"), &mut failures);
        w.global::<AppAdapter>().set_phase(Phase::Journal);
        // The question deck: tonight's question from the starter deck, and one pair answered
        // (set here: the generated journal has no devices to seal answers to).
        w.global::<AppAdapter>().set_screen(Screen::Talk);
        let talk = w.global::<TalkAdapter>();
        assert!(talk.get_has_tonight(), "the starter deck offers a question");
        let answer = |name: &str, colour: slint::Color, text: &str, when: &str| OpenAnswerRow {
            name: name.into(),
            colour,
            text: text.into(),
            when: when.into(),
        };
        talk.set_archive(
            std::rc::Rc::new(slint::VecModel::from(vec![AnsweredRow {
            id: "q1".into(),
            text: "Which meal we shared do you remember best, and what made it good?".into(),
            answers: std::rc::Rc::new(slint::VecModel::from(vec![
                answer(
                    "Ana",
                    slint::Color::from_rgb_u8(0xc0, 0x62, 0x3b),
                    "The soup in the mountain hut, after we got lost.",
                    "yesterday 21:10",
                ),
                answer(
                    "Ben",
                    slint::Color::from_rgb_u8(0x3b, 0x7f, 0xc0),
                    "Your birthday dinner on the balcony, with the candles that kept going out.",
                    "today 08:02",
                ),
            ]))
            .into(),
        }]))
            .into(),
        );
        app_support::press_now(w, "Talk: Questions");
        check(w, &format!("talk-questions-{size}"), &mut failures);
        app_support::press_now(w, "Talk: Listen");
        w.global::<AppAdapter>().set_screen(Screen::Devices);
        preview.show_code("305 118");
        check(w, &format!("devices-code-{size}"), &mut failures);
        preview
            .show_invite("HEARTH2AEXAMPLEONLYTHISISNOTAREALINVITATIONFORSNAPSHOTSAYZ234567ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJKLMN")
            .unwrap();
    }
    assert!(
        failures.is_empty(),
        "snapshots differ:\n{}",
        failures.join("\n")
    );
}
