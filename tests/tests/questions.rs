//! The open-question deck between real devices on loopback: an answer is sealed to its author's
//! own devices until both partners have answered, then each person's device opens its own.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use hearth_core::{DocKind, Id, JournalError, PartnerId, Rule, Timestamp};
use hearth_sync::{Role, Setup};
use hearth_test_kit::{TestDevice, pair};

async fn sync(d: &TestDevice) {
    let report = d.node().sync_once(Duration::from_secs(4)).await;
    assert!(report.iter().any(|p| p.synced), "{report:?}");
}

fn me(d: &TestDevice) -> PartnerId {
    d.node().me().unwrap()
}

fn answer(d: &TestDevice, q: &Id, text: &str) -> Result<Id, hearth_sync::SyncError> {
    let who = me(d);
    d.node()
        .write(|j| j.answer_question(q, &who, text, Timestamp::now()))
}

/// Whether `text` is anywhere in the device's shared journal, uncompressed (every value and
/// every change it holds, old ones too).
fn holds(d: &TestDevice, text: &str) -> bool {
    let bytes = d
        .node()
        .with_profile(|_, j| j.doc_mut(DocKind::Shared).save_nocompress());
    bytes.windows(text.len()).any(|w| w == text.as_bytes())
}

fn opened(d: &TestDevice, q: &Id, by: &PartnerId) -> Option<String> {
    d.node().read(|j| {
        j.question(q)
            .unwrap()
            .answer_of(by)
            .and_then(|a| a.opened.clone())
    })
}

async fn couple() -> (TestDevice, TestDevice, Id) {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    pair(&ana, &ben, Role::Partner).await;
    let q = ana.node().read(|j| j.questions()[3].id.clone());
    (ana, ben, q)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_stays_sealed_on_the_partners_device_until_both_answered() {
    let (ana, ben, q) = couple().await;
    let (a, b) = (me(&ana), me(&ben));
    let secret = "ana-private-7f3a: the kitchen in the rain";
    answer(&ana, &q, secret).unwrap();
    sync(&ana).await;
    // Ben's device holds Ana's sealed answer and cannot read it; nor does any screen show it
    // on Ana's own device.
    assert!(
        !holds(&ben, secret),
        "Ben's journal holds Ana's words before he answered"
    );
    assert!(
        !holds(&ana, secret),
        "not even Ana's own journal holds them readable"
    );
    let on_ben = ben.node().read(|j| j.question(&q).unwrap());
    assert!(on_ben.answer_of(&a).is_some_and(|x| x.opened.is_none()));

    let his = "ben-private-91c2: the bike ride home";
    answer(&ben, &q, his).unwrap();
    sync(&ben).await;
    // Ana's device saw both and opened hers; Ben's opened his when he answered.
    sync(&ana).await;
    for d in [&ana, &ben] {
        assert_eq!(opened(d, &q, &a).as_deref(), Some(secret));
        assert_eq!(opened(d, &q, &b).as_deref(), Some(his));
        assert!(d.node().read(|j| j.question(&q).unwrap().opened()));
    }
    assert!(holds(&ben, secret), "opened to the couple");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_answers_open_on_both_sides() {
    let (ana, ben, q) = couple().await;
    let (a, b) = (me(&ana), me(&ben));
    answer(&ana, &q, "Ana's, written at the same moment").unwrap();
    answer(&ben, &q, "Ben's, written at the same moment").unwrap();
    sync(&ana).await;
    sync(&ben).await;
    sync(&ana).await;
    for d in [&ana, &ben] {
        assert_eq!(
            opened(d, &q, &a).as_deref(),
            Some("Ana's, written at the same moment")
        );
        assert_eq!(
            opened(d, &q, &b).as_deref(),
            Some("Ben's, written at the same moment")
        );
    }
    assert_eq!(ana.heads(DocKind::Shared), ben.heads(DocKind::Shared));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_changes_until_both_answered_then_stays() {
    let (ana, ben, q) = couple().await;
    let a = me(&ana);
    answer(&ana, &q, "First thought").unwrap();
    answer(&ana, &q, "Second thought, better").unwrap();
    let answers = ana.node().read(|j| j.question(&q).unwrap().answers.len());
    assert_eq!(answers, 1, "a change replaces the answer");
    sync(&ana).await;
    answer(&ben, &q, "Mine").unwrap();
    sync(&ben).await;
    sync(&ana).await;
    assert_eq!(
        opened(&ana, &q, &a).as_deref(),
        Some("Second thought, better")
    );
    let late = answer(&ana, &q, "Third thought").unwrap_err();
    assert!(
        matches!(
            late,
            hearth_sync::SyncError::Journal(JournalError::NotAllowed(Rule::AnswersOpen))
        ),
        "{late}"
    );
    assert_eq!(
        opened(&ben, &q, &a).as_deref(),
        Some("Second thought, better")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_that_crossed_the_partners_answer_opens_as_the_latest() {
    let (ana, ben, q) = couple().await;
    let a = me(&ana);
    answer(&ana, &q, "Before").unwrap();
    sync(&ana).await;
    // Ben answers while Ana, not yet knowing, changes hers.
    answer(&ben, &q, "His").unwrap();
    answer(&ana, &q, "After").unwrap();
    sync(&ana).await;
    sync(&ben).await;
    sync(&ana).await;
    for d in [&ana, &ben] {
        assert_eq!(opened(d, &q, &a).as_deref(), Some("After"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_device_of_the_person_opens_their_answer() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let mut phone = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    pair(&ana, &phone, Role::Me).await;
    pair(&ana, &ben, Role::Partner).await;
    sync(&phone).await;
    let a = me(&ana);
    let q = ana.node().read(|j| j.questions()[0].id.clone());
    // Ana answers on her phone, which then goes quiet.
    answer(&phone, &q, "From the phone").unwrap();
    sync(&phone).await;
    phone.stop().await;
    // Ben answers; Ana's other device sees both and opens her answer, sealed to it too.
    answer(&ben, &q, "From Ben").unwrap();
    sync(&ben).await;
    assert_eq!(opened(&ana, &q, &a).as_deref(), Some("From the phone"));
    sync(&ana).await;
    assert_eq!(opened(&ben, &q, &a).as_deref(), Some("From the phone"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_after_a_revocation_are_not_sealed_to_the_revoked_device() {
    let ana = TestDevice::new("Ana", Setup::Person).await;
    let old = TestDevice::new("Ana", Setup::Person).await;
    let ben = TestDevice::new("Ben", Setup::Person).await;
    pair(&ana, &old, Role::Me).await;
    pair(&ana, &ben, Role::Partner).await;
    let a = me(&ana);
    let old_id = old.node().id().to_string();
    let old_key = old
        .node()
        .with_profile(|p, _| p.keys().age_identity().clone());
    ana.node()
        .write(|j| j.revoke_device(&old_id, Timestamp::now()))
        .unwrap();
    let q = ana.node().read(|j| j.questions()[1].id.clone());
    answer(&ana, &q, "Not for the lost phone").unwrap();
    let sealed = ana.node().read(|j| {
        j.question(&q)
            .unwrap()
            .answer_of(&a)
            .unwrap()
            .sealed()
            .to_vec()
    });
    let dec = age::Decryptor::new(&sealed[..]).unwrap();
    assert!(
        dec.decrypt(std::iter::once(&old_key as &dyn age::Identity))
            .is_err(),
        "the revoked device's key opens an answer sealed after its revocation"
    );
    let own = ana
        .node()
        .with_profile(|p, _| p.keys().age_identity().clone());
    let dec = age::Decryptor::new(&sealed[..]).unwrap();
    assert!(
        dec.decrypt(std::iter::once(&own as &dyn age::Identity))
            .is_ok()
    );
    // And the answer opens as usual once Ben answers.
    answer(&ben, &q, "Ben's").unwrap();
    sync(&ben).await;
    assert_eq!(
        opened(&ana, &q, &a).as_deref(),
        Some("Not for the lost phone")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_answers_are_refused_and_change_nothing() {
    let (ana, _ben, q) = couple().await;
    let before = ana.heads(DocKind::Shared);
    for bad in ["", "   "] {
        assert!(answer(&ana, &q, bad).is_err());
    }
    assert!(answer(&ana, &Id::from("01NOSUCHQUESTION"), "hi").is_err());
    assert!(answer(&ana, &q, &"x".repeat(hearth_core::MAX_TEXT + 1)).is_err());
    assert_eq!(ana.heads(DocKind::Shared), before);
}
