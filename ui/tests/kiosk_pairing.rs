//! The home display on an in-process device: paired from Ana's phone, it shows her wall-safe
//! note, and a note left on its on-screen keyboard (letter by letter, as a finger would) reaches
//! the phone as a wall-safe note by the person who picked their name.
#![allow(clippy::unwrap_used)]

mod app_support;

use std::time::Duration;

use app_support::{init_with_event_loop, run, sleep, wait_until};
use hearth_core::keys::KeySealing;
use hearth_core::{Timestamp, WallFilter};
use hearth_sync::{NetConfig, Node, Role, Setup, init_device};
use hearth_ui::app::ui::{KioskAdapter, KioskWindow};
use hearth_ui::app::{AppOptions, Kiosk};
use i_slint_backend_testing::ElementHandle;
use slint::{ComponentHandle, Model};

async fn press(w: &KioskWindow, label: &str) {
    let mut found = None;
    for _ in 0..500 {
        found = ElementHandle::find_by_accessible_label(w, label).next();
        if found.is_some() {
            break;
        }
        sleep(Duration::from_millis(20)).await;
    }
    let Some(e) = found else {
        panic!("nothing labelled {label:?} on the display");
    };
    e.invoke_accessible_default_action();
    sleep(Duration::from_millis(5)).await;
}

#[test]
fn a_note_left_on_the_display_reaches_the_phone() {
    init_with_event_loop();
    let tmp = tempfile::tempdir().unwrap();
    let (phone_dir, display_dir) = (tmp.path().join("ana"), tmp.path().join("display"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let phone_profile = init_device(
        &phone_dir,
        "Ana",
        Setup::Person,
        None,
        KeySealing::default(),
    )
    .unwrap();
    let display_profile = init_device(
        &display_dir,
        "Kitchen",
        Setup::Display,
        None,
        KeySealing::default(),
    )
    .unwrap();
    let phone = rt.block_on(async {
        let phone = Node::start(phone_profile, NetConfig::loopback())
            .await
            .unwrap();
        let display = Node::start(display_profile, NetConfig::loopback())
            .await
            .unwrap();
        let (ticket, pairing) = phone
            .invite(Role::Display, Duration::from_secs(60))
            .unwrap();
        let wait = tokio::spawn(pairing.wait());
        display
            .join(&ticket, Duration::from_secs(30))
            .await
            .unwrap();
        wait.await.unwrap().unwrap();
        let ana = phone.me().unwrap();
        phone
            .write(|j| j.add_appreciation(&ana, "Thanks for the soup", true, Timestamp::now()))
            .unwrap();
        phone
            .write(|j| j.add_appreciation(&ana, "Not for guests", false, Timestamp::now()))
            .unwrap();
        display
            .release(Duration::from_secs(10))
            .await
            .expect("the display let go of its profile");
        phone.start_live();
        phone
    });
    let ana = phone.me().unwrap();
    let phone_for_ui = phone.clone();
    run(async move {
        let phone = phone_for_ui;
        let kiosk = Kiosk::open(AppOptions {
            net: NetConfig::loopback(),
            ..AppOptions::new(display_dir)
        })
        .unwrap();
        let w = kiosk.window().clone_strong();
        w.show().unwrap();
        w.window().set_size(slint::LogicalSize::new(800., 480.));
        let texts = |w: &KioskWindow| -> Vec<String> {
            let notes = w.global::<KioskAdapter>().get_notes();
            notes.iter().map(|n| n.text.to_string()).collect()
        };
        wait_until("the wall-safe note shows", || {
            texts(&w).contains(&"Thanks for the soup".to_owned())
        })
        .await;
        assert!(!texts(&w).iter().any(|t| t.contains("guests")));

        press(&w, "Leave a note").await;
        press(&w, "I'm Ana").await;
        for key in [
            "L",
            "O",
            "V",
            "E",
            "Space",
            "Y",
            "O",
            "U",
            "X",
            "Backspace",
            "!",
        ] {
            press(&w, key).await;
        }
        assert_eq!(w.global::<KioskAdapter>().get_draft(), "Love you!");
        press(&w, "Done").await;
        wait_until("the keyboard closes", || {
            !w.global::<KioskAdapter>().get_keyboard_open()
        })
        .await;
        wait_until("the note reaches the phone", || {
            phone.read(|j| {
                j.wall(&WallFilter::default())
                    .iter()
                    .any(|a| a.text == "Love you!" && a.wall_safe && a.author == ana)
            })
        })
        .await;
        kiosk.close().wait();
    });
    rt.block_on(phone.shutdown());
}

/// A display no one has paired yet shows the digit pad instead of the wall; the digits typed
/// on it go to the engine's pairing by code. Here the display listens on loopback only, so the
/// engine refuses at once and the pad says what to do instead (pairing by code itself runs on
/// two network namespaces in `hearth-tests`' `code_pairing_lan`).
#[test]
fn an_unpaired_display_offers_its_digit_pad() {
    init_with_event_loop();
    let tmp = tempfile::tempdir().unwrap();
    let display_dir = tmp.path().join("display");
    init_device(
        &display_dir,
        "Kitchen",
        Setup::Display,
        None,
        KeySealing::default(),
    )
    .unwrap();
    run(async move {
        let kiosk = Kiosk::open(AppOptions {
            net: NetConfig::loopback(),
            ..AppOptions::new(display_dir)
        })
        .unwrap();
        let w = kiosk.window().clone_strong();
        w.show().unwrap();
        w.window().set_size(slint::LogicalSize::new(800., 480.));
        wait_until("the pad shows", || {
            w.global::<KioskAdapter>().get_unpaired()
        })
        .await;
        for key in [
            "Digit 3",
            "Digit 0",
            "Digit 9",
            "Delete the last digit",
            "Digit 5",
            "Digit 1",
            "Digit 1",
            "Digit 8",
            "Digit 7",
        ] {
            press(&w, key).await;
        }
        assert_eq!(w.global::<KioskAdapter>().get_pair_digits(), "305118");
        press(&w, "Pair with these digits").await;
        wait_until("the pad says why not", || {
            w.global::<KioskAdapter>()
                .get_pair_text()
                .contains("ticket or its QR code")
        })
        .await;
        assert!(w.global::<KioskAdapter>().get_unpaired(), "still unpaired");
        assert_eq!(w.global::<KioskAdapter>().get_pair_digits(), "");
        kiosk.close().wait();
    });
}
