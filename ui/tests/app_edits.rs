//! Rewriting what one wrote, in the app: a kindness and an idea in place, a hurt while it is a
//! private draft, and a draft thrown away. Each step is checked in the journal.
#![allow(clippy::unwrap_used)]

mod app_support;

use app_support::*;
use hearth_core::IdeaKind;

#[test]
fn kindness_ideas_and_drafts_are_rewritten_in_place() {
    init_with_event_loop();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ana");
    run(async move {
        let (app, w) = start_alone(&dir, 1280., 800.).await;
        let node = app.node().unwrap();

        press(&w, "Kindness").await;
        type_into(&w, "What you did", "Made tea").await;
        press(&w, "Log a kindness").await;
        press(&w, "Edit kindness: Made tea").await;
        type_into(&w, "Edit: Made tea", "Made tea and toast").await;
        press(&w, "Save: Edit: Made tea").await;
        wait_until("the kindness is rewritten", || {
            node.read(|j| {
                j.kindness_log()
                    .iter()
                    .any(|k| k.what == "Made tea and toast")
            })
        })
        .await;
        assert_eq!(node.read(|j| j.kindness_log().len()), 1);

        press(&w, "Dates").await;
        type_into(&w, "New date idea", "Stargazing").await;
        press(&w, "Add date idea").await;
        press(&w, "Edit idea: Stargazing").await;
        type_into(&w, "Edit: Stargazing", "Stargazing on the hill").await;
        press(&w, "Save: Edit: Stargazing").await;
        wait_until("the idea is reworded", || {
            node.read(|j| {
                j.ideas()
                    .iter()
                    .any(|i| i.kind == IdeaKind::Date && i.title == "Stargazing on the hill")
            })
        })
        .await;

        press(&w, "Talk").await;
        press(&w, "Talk: Repair").await;
        type_into(&w, "The hurt", "You were late").await;
        press(&w, "Write it down").await;
        press(&w, "Edit the hurt: You were late").await;
        type_into(&w, "Edit: You were late", "I waited and felt forgotten").await;
        press(&w, "Save: Edit: You were late").await;
        wait_until("the draft is rewritten", || {
            node.read(|j| {
                j.repairs()
                    .iter()
                    .any(|r| r.hurt == "I waited and felt forgotten")
            })
        })
        .await;
        press(&w, "Delete the draft: I waited and felt forgotten").await;
        wait_until("the draft is gone", || {
            node.read(|j| j.repairs().is_empty())
        })
        .await;

        // An "I" statement draft goes back into the composer, part by part, and is rewritten
        // (not written a second time).
        press(&w, "Talk: \"I\" statements").await;
        type_into(&w, "I felt", "alone").await;
        press(&w, "Save the I statement").await;
        wait_until("the draft", || node.read(|j| j.i_statements().len() == 1)).await;
        let sentence = node.read(|j| j.i_statements()[0].parts.sentence());
        press(&w, &format!("Edit the draft: {sentence}")).await;
        assert_eq!(value_of(&w, "I felt"), "alone");
        type_into(&w, "I felt", "lonely").await;
        press(&w, "Save the I statement").await;
        wait_until("the draft is rewritten", || {
            node.read(|j| {
                let all = j.i_statements();
                all.len() == 1 && all[0].parts.feeling == "lonely" && all[0].shared_at.is_none()
            })
        })
        .await;
        drop(w);
        app.close().wait();
    });
}
