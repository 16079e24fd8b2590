//! One person on one device goes through every screen: first run with a passphrase, a note on
//! the wall, a date, an idea, a check-in, an "I" statement with the coach, a pause, a kindness,
//! a delete and a restore, and unlocking the journal again. Each step is checked in the journal.
#![allow(clippy::unwrap_used)]

mod app_support;

use app_support::*;
use chrono::{Days, Local};
use hearth_core::WallFilter;
use hearth_ui::app::ui::{AppAdapter, CheckinAdapter, DevicesAdapter, Phase, TalkAdapter};
use slint::ComponentHandle;

#[test]
fn one_person_uses_every_screen() {
    init_with_event_loop();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ana");
    run(async move {
        let app = open(&dir);
        let w = app.window().clone_strong();
        resize(&w, 1280., 800.);

        // First run: a name, a passphrase, a new journal.
        type_into(&w, "Your name", "Ana").await;
        type_into(&w, "Passphrase (optional)", "kettle on the stove").await;
        type_into(&w, "Passphrase again", "kettle on the stove").await;
        press(&w, "Start our journal").await;
        wait_until("the journal opens", || {
            w.global::<AppAdapter>().get_phase() == Phase::Journal
        })
        .await;
        // Next comes pairing the partner: the code is already showing.
        wait_until("an invitation for the partner", || {
            value_of(&w, "Invitation code to copy").starts_with("HEARTH 2")
        })
        .await;
        assert!(w.global::<DevicesAdapter>().get_inviting());
        press(&w, "Close the invitation").await;
        let node = app.node().unwrap();
        let me = node.me().unwrap();

        // Wall: a note of thanks, kept off the home display unless asked, then shown on it
        // and taken off again.
        press(&w, "Wall").await;
        type_into(&w, "Your note", "Thank you for the soup when I was ill").await;
        press(&w, "Add to the wall").await;
        wait_until("the note on the wall", || {
            shows(&w, "Thank you for the soup when I was ill")
        })
        .await;
        let wall = node.read(|j| j.wall(&WallFilter::default()));
        assert_eq!(wall.len(), 1);
        assert_eq!(wall[0].author, me);
        assert!(!wall[0].wall_safe, "off the home display by default");
        press(
            &w,
            "Show on the home display: Thank you for the soup when I was ill",
        )
        .await;
        wait_until("the note on the display", || {
            node.read(|j| j.wall(&WallFilter::default())[0].wall_safe)
        })
        .await;
        press(
            &w,
            "Keep off the home display: Thank you for the soup when I was ill",
        )
        .await;
        wait_until("the note kept off the display", || {
            node.read(|j| !j.wall(&WallFilter::default())[0].wall_safe)
        })
        .await;
        wait_shows(&w, "Ana: 1 note this week").await;

        // Dates: plan one for tomorrow evening, tech-free.
        press(&w, "Dates").await;
        press(&w, "Plan a date").await;
        let tomorrow = Local::now().date_naive() + Days::new(1);
        type_into(&w, "What", "Picnic by the river").await;
        type_into(&w, "Day (year-month-day)", &tomorrow.to_string()).await;
        type_into(&w, "Time", "18:30").await;
        type_into(&w, "Where", "River park").await;
        type_into(&w, "Notes", "Bring the blue blanket").await;
        press(&w, "Tech-free").await;
        press(&w, "Save the date").await;
        wait_until("the date in the journal", || {
            node.read(|j| j.upcoming_dates(hearth_core::Timestamp::now()).len() == 1)
        })
        .await;
        let date = node.read(|j| j.dates()).remove(0);
        assert_eq!(date.title, "Picnic by the river");
        assert_eq!(date.place.as_deref(), Some("River park"));
        assert_eq!(date.notes, "Bring the blue blanket");
        assert!(date.tech_free);
        wait_shows(&w, "Edit Picnic by the river").await;

        // The idea deck: add one and mark it.
        type_into(&w, "New date idea", "Stargazing on the hill").await;
        press(&w, "Add date idea").await;
        press(&w, "I'd enjoy this: Stargazing on the hill").await;
        wait_until("the mark in the journal", || {
            node.read(|j| {
                j.ideas()
                    .iter()
                    .any(|i| i.title == "Stargazing on the hill" && i.enjoyed_by.contains(&me))
            })
        })
        .await;

        // Check-in: mood and closeness for today, and the chart appears.
        press(&w, "Check-in").await;
        press(&w, "Mood 4 of 5").await;
        press(&w, "Closeness 5 of 5").await;
        type_into(
            &w,
            "A line about today (optional)",
            "Slow morning, good coffee",
        )
        .await;
        press(&w, "Check in").await;
        wait_until("the check-in in the journal", || {
            node.read(|j| j.checkins(Some(&me), None, None).len() == 1)
        })
        .await;
        let c = node.read(|j| j.checkins(Some(&me), None, None)).remove(0);
        assert_eq!((c.mood, c.closeness), (4, 5));
        assert_eq!(c.note.as_deref(), Some("Slow morning, good coffee"));
        assert_eq!(c.day, Local::now().date_naive());
        wait_until("the trend chart", || {
            !w.global::<CheckinAdapter>().get_chart_empty()
        })
        .await;
        wait_shows(&w, "Mood over the last weeks, from 1 (low) to 5 (high)").await;

        // Talk: the coach speaks up as the draft is typed; the draft stays private.
        press(&w, "Talk").await;
        press(&w, "Talk: \"I\" statements").await;
        type_into(&w, "When I saw or heard", "you never listen to me").await;
        wait_until("a coach hint", || {
            !labels_starting(&w, "Coach hint: ").is_empty()
        })
        .await;
        type_into(
            &w,
            "When I saw or heard",
            "I told you about my day and you looked at your phone",
        )
        .await;
        wait_until("the hint goes away", || {
            labels_starting(&w, "Coach hint: ").is_empty()
        })
        .await;
        type_into(&w, "I felt", "alone").await;
        type_into(&w, "Because I need", "to feel heard").await;
        type_into(
            &w,
            "Would you be willing to",
            "put the phone away at dinner",
        )
        .await;
        press(&w, "Save the I statement").await;
        wait_until("the statement in the journal", || {
            node.read(|j| j.i_statements().len() == 1)
        })
        .await;
        let s = node.read(|j| j.i_statements()).remove(0);
        assert_eq!(s.parts.feeling, "alone");
        assert!(s.shared_at.is_none(), "drafts stay private until shared");
        // One shared at once; the next statement starts as a private draft again.
        press(&w, "Share now").await;
        assert!(is_checked(&w, "Share now"));
        type_into(&w, "I felt", "grateful").await;
        press(&w, "Save the I statement").await;
        wait_until("the shared statement", || {
            node.read(|j| j.i_statements().iter().any(|s| s.shared_at.is_some()))
        })
        .await;
        assert!(
            !is_checked(&w, "Share now"),
            "back to a draft after sharing"
        );

        // The pause books the return.
        press(&w, "Pause for 20 minutes").await;
        wait_until("the pause", || w.global::<TalkAdapter>().get_paused()).await;
        assert!(
            w.global::<TalkAdapter>()
                .get_pause_text()
                .starts_with("Back together at ")
        );
        press(&w, "We're back").await;
        wait_until("the pause ends", || !w.global::<TalkAdapter>().get_paused()).await;

        // Kindness: log one.
        press(&w, "Kindness").await;
        type_into(&w, "What you did", "Warmed up the car before work").await;
        press(&w, "Log a kindness").await;
        wait_until("the kindness in the log", || {
            node.read(|j| j.kindness_log().len() == 1)
        })
        .await;
        press(&w, "Idea bucket: Touch").await;
        press(&w, "I did this: A long hug when they come home").await;
        wait_until("the second kindness", || {
            node.read(|j| j.kindness_log().len() == 2)
        })
        .await;

        // Delete a note and bring it back from Recently deleted.
        press(&w, "Wall").await;
        press(&w, "Delete note: Thank you for the soup when I was ill").await;
        wait_until("the note gone", || {
            node.read(|j| j.wall(&WallFilter::default()).is_empty())
        })
        .await;
        press(&w, "Recently deleted").await;
        press(&w, "Restore: Thank you for the soup when I was ill").await;
        wait_until("the note back", || {
            node.read(|j| j.wall(&WallFilter::default()).len() == 1)
        })
        .await;

        // Close, open again: the journal asks for its passphrase.
        drop(node);
        w.hide().unwrap();
        drop(w);
        app.close().wait();
        let app = open(&dir);
        let w = app.window().clone_strong();
        wait_until("the lock screen", || {
            w.global::<AppAdapter>().get_phase() == Phase::Unlock
        })
        .await;
        type_into(&w, "Passphrase", "kettle on the hob").await;
        press(&w, "Open the journal").await;
        wait_until("a gentle refusal", || {
            shows(&w, "That passphrase didn't open the journal. Try again?")
        })
        .await;
        type_into(&w, "Passphrase", "kettle on the stove").await;
        press(&w, "Open the journal").await;
        wait_until("the journal opens again", || {
            w.global::<AppAdapter>().get_phase() == Phase::Journal
        })
        .await;
        wait_until("the note is still there", || {
            shows(&w, "Thank you for the soup when I was ill")
        })
        .await;
        w.hide().unwrap();
        drop(w);
        app.close().wait();
    });
}
