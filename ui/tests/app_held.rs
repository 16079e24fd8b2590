//! A journal another window holds: the lock screen says what holds it and offers to try again,
//! with no passphrase field for a journal that has no passphrase.
#![allow(clippy::unwrap_used)]

mod app_support;

use app_support::*;
use hearth_ui::app::ui::{AppAdapter, Phase, SetupAdapter};
use slint::ComponentHandle;

#[test]
fn a_journal_open_elsewhere_is_named_not_taken_for_a_passphrase() {
    init_with_event_loop();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ana");
    run(async move {
        let first = open(&dir);
        let a = first.window().clone_strong();
        type_into(&a, "Your name", "Ana").await;
        press(&a, "Start our journal").await;
        wait_until("the first window's journal", || {
            a.global::<AppAdapter>().get_phase() == Phase::Journal
        })
        .await;

        let second = open(&dir);
        let b = second.window().clone_strong();
        wait_until("the second window's lock screen", || {
            b.global::<AppAdapter>().get_phase() == Phase::Unlock
        })
        .await;
        let setup = b.global::<SetupAdapter>();
        assert!(!setup.get_needs_passphrase());
        let error = setup.get_error().to_string();
        assert!(error.contains("open in another Hearth window"), "{error}");
        assert!(!shows(&b, "Passphrase"), "no passphrase field");
        assert!(!shows(&b, "This journal is locked with a passphrase."));
        assert!(can_press(&b, "Try opening the journal again"));

        // Once the first window closes, trying again opens it.
        drop(a);
        first.close().wait();
        let mut polls = 0;
        wait_until("the second window opens the journal", || {
            if b.global::<AppAdapter>().get_phase() == Phase::Journal {
                return true;
            }
            polls += 1;
            // About twice a second, as a person pressing the button would.
            if polls % 25 == 0 && !b.global::<SetupAdapter>().get_busy() {
                b.global::<SetupAdapter>().invoke_retry();
            }
            false
        })
        .await;
        drop(b);
        second.close().wait();
    });
}
