//! Two partners on two in-process devices: Ana starts a journal and shows an invitation on the
//! Devices screen; Ben (on a phone-sized window) joins by pasting it on the first-run screen.
//! Then a note crosses over live, both mark the same idea and see the match, and Ana stops
//! Ben's device syncing and lets it sync again.
#![allow(clippy::unwrap_used)]

mod app_support;

use app_support::*;
use hearth_core::WallFilter;
use hearth_ui::app::ui::{AppAdapter, Phase, SyncState};
use slint::ComponentHandle;

#[test]
fn two_partners_pair_share_and_match() {
    init_with_event_loop();
    let tmp = tempfile::tempdir().unwrap();
    let (dir_a, dir_b) = (tmp.path().join("ana"), tmp.path().join("ben"));
    run(async move {
        let ana_app = open(&dir_a);
        let ben_app = open(&dir_b);
        let ana = ana_app.window().clone_strong();
        let ben = ben_app.window().clone_strong();
        resize(&ana, 1280., 800.);
        resize(&ben, 390., 844.);

        // Ana starts; the invitation shows on her Devices screen.
        type_into(&ana, "Your name", "Ana").await;
        press(&ana, "Start our journal").await;
        wait_until("Ana's invitation", || {
            value_of(&ana, "Invitation code to copy").starts_with("HEARTH 2")
        })
        .await;
        let ticket = value_of(&ana, "Invitation code to copy");

        // Ben joins with it from the first-run screen.
        type_into(&ben, "Your name", "Ben").await;
        press(&ben, "How to begin: Join my partner's").await;
        type_into(&ben, "Invitation code", &ticket).await;
        press(&ben, "Join the journal").await;
        wait_until("Ben is in", || {
            ben.global::<AppAdapter>().get_phase() == Phase::Journal
        })
        .await;
        let (na, nb) = (ana_app.node().unwrap(), ben_app.node().unwrap());
        let ben_id = nb.me().unwrap();
        wait_until("both know both", || {
            na.read(|j| j.partners().len()) == 2 && nb.read(|j| j.partners().len()) == 2
        })
        .await;
        wait_shows(&ana, "Stop syncing with Ben's device").await;
        wait_until("both connected", || {
            ana.global::<AppAdapter>().get_sync_state() == SyncState::Connected
                && ben.global::<AppAdapter>().get_sync_state() == SyncState::Connected
        })
        .await;

        // A note from Ana reaches Ben's open wall, live.
        press(&ana, "Wall").await;
        type_into(&ana, "Your note", "Thank you for fixing the bike").await;
        press(&ana, "Show it on the home display too").await;
        press(&ana, "Add to the wall").await;
        wait_shows(&ben, "Thank you for fixing the bike").await;
        press(&ben, "Send a heart for: Thank you for fixing the bike").await;
        wait_shows(&ana, "Ben ♥").await;

        // The home display: Ben may hide Ana's note from it, not show it again; Ana may.
        let note = "Thank you for fixing the bike";
        assert!(!can_press(
            &ben,
            &format!("Keep off the home display: {note}")
        ));
        press(&ben, &format!("Hide from the home display: {note}")).await;
        wait_until("hidden on Ana's device", || {
            na.read(|j| !j.wall(&WallFilter::default())[0].wall_safe)
        })
        .await;
        wait_until("nothing for Ben to show it with", || {
            !shows(&ben, &format!("Hide from the home display: {note}"))
        })
        .await;
        assert!(!can_press(
            &ben,
            &format!("Show on the home display: {note}")
        ));
        press(&ana, &format!("Show on the home display: {note}")).await;
        wait_until("shown again on Ben's device", || {
            nb.read(|j| j.wall(&WallFilter::default())[0].wall_safe)
        })
        .await;

        // The idea deck: both mark the same idea, and the match shows on both.
        press(&ana, "Dates").await;
        press(&ben, "Dates").await;
        type_into(&ana, "New date idea", "Stargazing on the hill").await;
        press(&ana, "Add date idea").await;
        press(&ana, "I'd enjoy this: Stargazing on the hill").await;
        press(&ben, "I'd enjoy this: Stargazing on the hill").await;
        wait_shows(&ana, "Plan it: Stargazing on the hill").await;
        wait_shows(&ben, "Plan it: Stargazing on the hill").await;
        for n in [&na, &nb] {
            let matched = n.read(|j| j.matched_ideas());
            assert_eq!(matched.len(), 1);
            assert_eq!(matched[0].title, "Stargazing on the hill");
        }

        // Tonight's question: Ana answers, Ben sees that she did and not what; once he
        // answers, both see both answers side by side.
        press(&ana, "Talk").await;
        press(&ben, "Talk").await;
        press(&ana, "Talk: Questions").await;
        press(&ben, "Talk: Questions").await;
        let question = ana
            .global::<hearth_ui::app::ui::TalkAdapter>()
            .get_tonight()
            .text
            .to_string();
        let field = format!("Your answer to: {question}");
        type_into(&ana, &field, "The long walk home in the snow").await;
        press(&ana, &format!("Answer privately: {question}")).await;
        wait_until("Ben's screen says Ana answered", || {
            ben.global::<hearth_ui::app::ui::TalkAdapter>()
                .get_tonight()
                .status
                .contains("Ana has answered")
        })
        .await;
        assert!(!shows(&ben, "The long walk home in the snow"));
        assert!(
            !shows(&ana, "The long walk home in the snow"),
            "not even on her own screen"
        );
        type_into(&ben, &field, "Your laugh in the kitchen").await;
        press(&ben, &format!("Answer privately: {question}")).await;
        for w in [&ana, &ben] {
            wait_shows(w, "The long walk home in the snow").await;
            wait_shows(w, "Your laugh in the kitchen").await;
        }

        // Ana stops Ben's device syncing, after a confirmation, then lets it sync again.
        press(&ana, "Devices").await;
        press(&ana, "Stop syncing with Ben's device").await;
        press(&ana, "Yes, stop syncing with Ben's device").await;
        let ben_device = nb.id().to_string();
        wait_until("Ben's device revoked", || {
            na.read(|j| j.device(&ben_device).unwrap().revoked_at.is_some())
        })
        .await;
        press(&ana, "Let Ben's device sync again").await;
        wait_until("Ben's device back", || {
            na.read(|j| j.device(&ben_device).unwrap().revoked_at.is_none())
        })
        .await;

        // Ben's own screens on the phone: More leads to Devices.
        press(&ben, "More screens and settings").await;
        press(&ben, "Devices").await;
        wait_shows(&ben, "Ben's device (this one)").await;

        assert_eq!(
            na.read(|j| j.wall(&WallFilter::default())[0].reactions.clone()),
            vec![(ben_id, "♥".to_owned())]
        );
        drop((na, nb, ana, ben));
        ana_app.close().wait();
        ben_app.close().wait();
    });
}

/// Ana shows six digits instead of the ticket; a device that types them pairs, and her screen
/// says so. (The device finds her on loopback here by her address; on a network it finds her
/// over mDNS, as `hearth-tests`' `code_pairing_lan` shows. Typing digits into an app that
/// listens on loopback only says why that cannot work.)
#[test]
fn six_digits_on_the_devices_screen_pair_another_device() {
    use hearth_ui::app::ui::DevicesAdapter;
    init_with_event_loop();
    let tmp = tempfile::tempdir().unwrap();
    let (dir_a, dir_b) = (tmp.path().join("ana"), tmp.path().join("ben"));
    let ben_profile = hearth_sync::init_device(
        &dir_b,
        "Ben",
        hearth_sync::Setup::Person,
        None,
        hearth_core::keys::KeySealing::default(),
    )
    .unwrap();
    run(async move {
        let ana_app = open(&dir_a);
        let ana = ana_app.window().clone_strong();
        resize(&ana, 1280., 800.);
        type_into(&ana, "Your name", "Ana").await;
        press(&ana, "Start our journal").await;
        wait_until("Ana's invitation", || {
            value_of(&ana, "Invitation code to copy").starts_with("HEARTH 2")
        })
        .await;
        press(
            &ana,
            "Show six digits instead, for a device on this network",
        )
        .await;
        wait_until("six digits", || {
            ana.global::<DevicesAdapter>().get_code().len() == 7
        })
        .await;
        assert!(
            !shows(&ana, "QR code of the invitation"),
            "digits instead of the QR code"
        );
        let code: hearth_sync::PairCode =
            ana.global::<DevicesAdapter>().get_code().parse().unwrap();
        let at = ana_app.node().unwrap().addr();
        let ben = std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let node =
                    hearth_sync::Node::start(ben_profile, hearth_sync::NetConfig::loopback())
                        .await
                        .unwrap();
                let joined = node
                    .join_code_at(at, code, std::time::Duration::from_secs(30))
                    .await;
                node.shutdown().await;
                joined
            })
        });
        wait_until("Ben's device joined", || ben.is_finished()).await;
        let inviter = ben.join().unwrap().unwrap();
        assert_eq!(inviter.name, "Ana's device");
        wait_until("Ana's screen says so", || {
            ana.global::<AppAdapter>()
                .get_notice()
                .contains("is paired")
        })
        .await;
        assert_eq!(ana.global::<DevicesAdapter>().get_code(), "");

        // Digits typed into the join field of an app on loopback: refused, with the way out.
        type_into(&ana, "Code to join with", "123 456").await;
        press(&ana, "Join with the code").await;
        wait_until("the join field says why not", || {
            ana.global::<DevicesAdapter>()
                .get_join_text()
                .contains("ticket or its QR code")
        })
        .await;
        ana_app.close().wait();
    });
}
