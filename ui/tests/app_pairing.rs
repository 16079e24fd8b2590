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
