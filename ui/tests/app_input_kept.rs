//! What a person types or aims at stays where it was: ideas typed one after another with Enter
//! all reach the deck with the field still in view, a message never moves the page under the
//! pointer and stays on its own screen, the phone's menu closes once a screen is chosen, and a
//! note written on the window's engine by someone else (a forwarded command) shows at once.
#![allow(clippy::unwrap_used)]

mod app_support;

use app_support::*;
use hearth_ui::app::ui::{AppAdapter, DatesAdapter, Screen};
use slint::{ComponentHandle, Model};

#[test]
fn ideas_typed_one_after_another_all_arrive() {
    init_with_event_loop();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ana");
    run(async move {
        let (app, w) = start_alone(&dir, 390., 740.).await;
        press(&w, "Dates").await;
        let node = app.node().unwrap();
        let ideas = || node.read(|j| j.ideas().len());
        wait_until("the deck", || {
            w.global::<DatesAdapter>().get_ideas().row_count() > 0
        })
        .await;
        let before = ideas();
        click_into(&w, "New date idea").await;
        for n in 1..=14 {
            type_keys(&w, &format!("Idea number {n}"), true).await;
            wait_until(&format!("idea {n} in the deck"), || ideas() == before + n).await;
            assert_eq!(
                value_of(&w, "New date idea"),
                "",
                "the field empties for the next"
            );
            // Still in view: the next keys land in it.
            let field = element(&w, "New date idea").expect("the field is still there");
            let (at, size) = (field.absolute_position(), field.size());
            assert!(
                at.y >= 0. && at.y + size.height <= 740.,
                "after idea {n} the field is out of view at {at:?}"
            );
        }
        // The deck on screen follows the journal a moment later (the worker rebuilds it and
        // hands it to the UI thread): every idea shows.
        let titles = || -> Vec<String> {
            w.global::<DatesAdapter>()
                .get_ideas()
                .iter()
                .map(|i| i.title.to_string())
                .collect()
        };
        wait_until("every idea on screen", || {
            let shown = titles();
            (1..=14).all(|n| shown.contains(&format!("Idea number {n}")))
        })
        .await;
        drop(w);
        app.close().wait();
    });
}

#[test]
fn a_message_moves_nothing_and_stays_on_its_screen() {
    init_with_event_loop();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ana");
    run(async move {
        let (app, w) = start_alone(&dir, 1280., 800.).await;
        press(&w, "Wall").await;
        type_into(&w, "Your note", "Thanks for the tea").await;
        press(&w, "Add to the wall").await;
        let toggle = "Show on the home display: Thanks for the tea";
        wait_shows(&w, toggle).await;
        let (before, _) = place_of(&w, toggle).await;
        // Deleting and restoring shows messages; the one here is what a share says.
        let g = w.global::<AppAdapter>();
        g.set_notice_screen(g.get_screen());
        g.set_notice("Shared with your partner.".into());
        wait_until("the message shows", || {
            element(&w, "Shared with your partner.").is_some_and(|e| e.computed_opacity() > 0.99)
        })
        .await;
        let (after, _) = place_of(&w, toggle).await;
        assert_eq!(before, after, "the message moved the page");

        press(&w, "Dates").await;
        wait_until("the message stays on the wall", || {
            element(&w, "Shared with your partner.").is_none_or(|e| e.computed_opacity() < 0.01)
        })
        .await;
        drop(w);
        app.close().wait();
    });
}

#[test]
fn the_phone_menu_closes_after_a_choice() {
    init_with_event_loop();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ana");
    run(async move {
        let (app, w) = start_alone(&dir, 390., 740.).await;
        press(&w, "More screens and settings").await;
        press(&w, "Recently deleted").await;
        wait_until("the trash", || {
            w.global::<AppAdapter>().get_screen() == Screen::Trash
        })
        .await;
        wait_until("the menu closes", || !shows(&w, "Evening colours")).await;
        drop(w);
        app.close().wait();
    });
}

#[test]
fn a_note_written_outside_the_window_shows_without_waiting() {
    init_with_event_loop();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ana");
    run(async move {
        let (app, w) = start_alone(&dir, 1280., 800.).await;
        press(&w, "Wall").await;
        // What a forwarded `hearth note` does: a write on the window's engine, not through the
        // window. The screens follow the engine's event, not the half-minute refresh.
        let node = app.node().unwrap();
        let me = node.me().unwrap();
        node.write(|j| {
            j.add_appreciation(
                &me,
                "Left from the terminal",
                false,
                hearth_core::Timestamp::now(),
            )
        })
        .unwrap();
        // A deadline well short of the periodic refresh (every 30 s).
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !shows(&w, "Left from the terminal") {
            assert!(
                std::time::Instant::now() < deadline,
                "the wall did not follow the engine's event"
            );
            sleep(std::time::Duration::from_millis(20)).await;
        }
        drop(w);
        app.close().wait();
    });
}
