//! Helpers for the app's headless tests: the testing backend with real pixels, a way to run
//! test steps inside the event loop, and finding elements by their accessible labels.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, unreachable_pub)]

use std::future::Future;
use std::path::Path;
use std::time::{Duration, Instant};

use hearth_sync::NetConfig;
use hearth_ui::app::ui::AppWindow;
use hearth_ui::app::{App, AppOptions};
use i_slint_backend_testing::{
    AccessibleRole, ElementHandle, ElementRoot, TestingBackend, TestingBackendOptions,
};
use slint::ComponentHandle;

/// The testing backend with an event loop, the system clock and the software renderer. Once
/// per process.
pub fn init_with_event_loop() {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: false,
        threading: true,
        renderer_name: Some("software".into()),
    })))
    .expect("the testing backend is set up once per process");
}

/// The testing backend without an event loop, rendering real pixels (for snapshots).
pub fn init_for_snapshots() {
    slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
        mock_time: true,
        threading: false,
        renderer_name: Some("software".into()),
    })))
    .expect("the testing backend is set up once per thread");
}

/// Runs `steps` inside the Slint event loop until they finish.
pub fn run(steps: impl Future<Output = ()> + 'static) {
    slint::spawn_local(async move {
        steps.await;
        slint::quit_event_loop().unwrap();
    })
    .unwrap();
    slint::run_event_loop().unwrap();
}

/// An app on `dir`, on loopback only.
pub fn open(dir: &Path) -> App {
    let app = App::open(AppOptions {
        net: NetConfig::loopback(),
        ..AppOptions::new(dir.to_owned())
    })
    .unwrap();
    app.window().show().unwrap();
    app
}

/// An app on `dir` at `width` x `height`, through its first run as Ana (a new journal, the
/// partner's invitation closed), ready on the wall.
pub async fn start_alone(dir: &Path, width: f32, height: f32) -> (App, AppWindow) {
    let app = open(dir);
    let w = app.window().clone_strong();
    resize(&w, width, height);
    type_into(&w, "Your name", "Ana").await;
    press(&w, "Start our journal").await;
    wait_until("the journal opens", || {
        w.global::<hearth_ui::app::ui::AppAdapter>().get_phase()
            == hearth_ui::app::ui::Phase::Journal
    })
    .await;
    press(&w, "Close the invitation").await;
    (app, w)
}

pub fn resize(w: &AppWindow, width: f32, height: f32) {
    w.window().set_size(slint::LogicalSize::new(width, height));
}

/// Waits without blocking the event loop.
pub async fn sleep(d: Duration) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    slint::Timer::single_shot(d, move || {
        let _ = tx.send(());
    });
    let _ = rx.await;
}

/// Waits until `cond` holds, failing after a generous deadline.
pub async fn wait_until(what: &str, cond: impl FnMut() -> bool) {
    hearth_test_kit::wait_until_with(what, Duration::from_secs(60), cond, sleep).await;
}

fn all(w: &AppWindow, label: &str) -> Vec<ElementHandle> {
    ElementHandle::find_by_accessible_label(w, label).collect()
}

fn interactive(e: &ElementHandle) -> bool {
    matches!(
        e.accessible_role(),
        Some(
            AccessibleRole::Button
                | AccessibleRole::Tab
                | AccessibleRole::Checkbox
                | AccessibleRole::RadioButton
        )
    )
}

/// Whether something labelled `label` is on screen (a control or a text).
pub fn shows(w: &AppWindow, label: &str) -> bool {
    !all(w, label).is_empty()
}

/// Whether the switch labelled `label` is on.
pub fn is_checked(w: &AppWindow, label: &str) -> bool {
    all(w, label)
        .iter()
        .any(|e| e.accessible_checked() == Some(true))
}

/// Whether a control labelled `label` is there and enabled.
pub fn can_press(w: &AppWindow, label: &str) -> bool {
    all(w, label)
        .iter()
        .any(|e| interactive(e) && e.accessible_enabled() != Some(false))
}

/// Finds an element labelled `label` that passes `keep`, scrolling the page to bring it into
/// view (elements scrolled out of sight cannot be found), waiting until it appears.
async fn find(w: &AppWindow, label: &str, keep: fn(&ElementHandle) -> bool) -> ElementHandle {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut step = 0;
    loop {
        if let Some(e) = all(w, label).into_iter().find(keep) {
            return e;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for something labelled {label:?}"
        );
        // From the top, then down a little at a time; positive deltas scroll up.
        let root = w.root_element();
        if step == 0 {
            root.scroll(0., 100_000.);
        } else {
            root.scroll(0., -160.);
        }
        step = (step + 1) % 30;
        sleep(Duration::from_millis(15)).await;
    }
}

fn enabled_control(e: &ElementHandle) -> bool {
    interactive(e) && e.accessible_enabled() != Some(false)
}

fn text_input(e: &ElementHandle) -> bool {
    e.accessible_role() == Some(AccessibleRole::TextInput)
}

/// Waits until something labelled `label` shows, scrolling to it.
pub async fn wait_shows(w: &AppWindow, label: &str) {
    find(w, label, |_| true).await;
}

/// Presses the control labelled `label`, waiting for it to appear and be enabled.
pub async fn press(w: &AppWindow, label: &str) {
    find(w, label, enabled_control)
        .await
        .invoke_accessible_default_action();
    sleep(Duration::from_millis(10)).await;
}

/// Presses the control labelled `label` that is on screen now (no event loop to wait on: the
/// snapshots).
pub fn press_now(w: &AppWindow, label: &str) {
    all(w, label)
        .into_iter()
        .find(enabled_control)
        .unwrap_or_else(|| panic!("nothing to press labelled {label:?}"))
        .invoke_accessible_default_action();
}

fn field(w: &AppWindow, label: &str) -> Option<ElementHandle> {
    all(w, label).into_iter().find(text_input)
}

/// Types `text` into the field labelled `label` (replacing what was there).
pub async fn type_into(w: &AppWindow, label: &str, text: &str) {
    find(w, label, text_input).await.set_accessible_value(text);
    sleep(Duration::from_millis(10)).await;
}

/// Clicks into the field labelled `label`, as a person would before typing (a press and a
/// release at its middle, on the real clock).
pub async fn click_into(w: &AppWindow, label: &str) {
    use slint::platform::{PointerEventButton, WindowEvent};
    let e = find(w, label, text_input).await;
    let (at, size) = (e.absolute_position(), e.size());
    let position = slint::LogicalPosition::new(at.x + size.width / 2., at.y + size.height / 2.);
    let button = PointerEventButton::Left;
    w.window()
        .dispatch_event(WindowEvent::PointerMoved { position });
    w.window()
        .dispatch_event(WindowEvent::PointerPressed { position, button });
    w.window()
        .dispatch_event(WindowEvent::PointerReleased { position, button });
    sleep(Duration::from_millis(10)).await;
}

/// Types `text` key by key into whatever has the focus, then Enter when `enter` is set.
pub async fn type_keys(w: &AppWindow, text: &str, enter: bool) {
    use slint::platform::{Key, WindowEvent};
    let mut keys: Vec<slint::SharedString> = text.chars().map(|c| c.to_string().into()).collect();
    if enter {
        keys.push(Key::Return.into());
    }
    for key in keys {
        w.window()
            .dispatch_event(WindowEvent::KeyPressed { text: key.clone() });
        w.window()
            .dispatch_event(WindowEvent::KeyReleased { text: key });
    }
    sleep(Duration::from_millis(10)).await;
}

/// Where the element labelled `label` is in the window and how big, once it shows.
pub async fn place_of(w: &AppWindow, label: &str) -> (slint::LogicalPosition, slint::LogicalSize) {
    let e = find(w, label, |_| true).await;
    (e.absolute_position(), e.size())
}

/// The element labelled `label` without scrolling to it, if it is there.
pub fn element(w: &AppWindow, label: &str) -> Option<ElementHandle> {
    all(w, label).into_iter().next()
}

/// What the field labelled `label` holds.
pub fn value_of(w: &AppWindow, label: &str) -> String {
    field(w, label)
        .and_then(|e| e.accessible_value())
        .map(|v| v.to_string())
        .unwrap_or_default()
}

/// Labels of everything on screen whose label starts with `prefix`.
pub fn labels_starting(w: &AppWindow, prefix: &str) -> Vec<String> {
    let prefix = prefix.to_owned();
    w.root_element()
        .query_descendants()
        .match_predicate(move |e| {
            e.accessible_label()
                .is_some_and(|l| l.starts_with(prefix.as_str()))
        })
        .find_all()
        .into_iter()
        .filter_map(|e| e.accessible_label().map(|l| l.to_string()))
        .collect()
}

/// Compares a window's pixels with the reference `name`.png, or writes it when asked to.
#[allow(dead_code)]
pub fn check_snapshot(w: &impl slint::ComponentHandle, name: &str, failures: &mut Vec<String>) {
    let shot = w.window().take_snapshot().unwrap();
    let (width, height) = (shot.width(), shot.height());
    let actual = image::RgbaImage::from_raw(width, height, shot.as_bytes().to_vec()).unwrap();
    let path = snapshot_dir().join(format!("{name}.png"));
    if std::env::var_os("HEARTH_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(snapshot_dir()).unwrap();
        actual.save(&path).unwrap();
        return;
    }
    let Ok(expected) = image::open(&path) else {
        failures.push(format!("{name}: no reference at {}", path.display()));
        return;
    };
    let expected = expected.to_rgba8();
    let differing = if expected.dimensions() == actual.dimensions() {
        expected
            .pixels()
            .zip(actual.pixels())
            .filter(|(a, b)| a.0.iter().zip(b.0.iter()).any(|(x, y)| x.abs_diff(*y) > 24))
            .count()
    } else {
        usize::MAX
    };
    // Allow a little anti-aliasing drift, no more.
    let allowed = (width * height) as usize / 200;
    if differing > allowed {
        let out = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("snapshots");
        std::fs::create_dir_all(&out).unwrap();
        let actual_path = out.join(format!("{name}.png"));
        actual.save(&actual_path).unwrap();
        failures.push(format!(
            "{name}: {differing} pixels differ (allowed {allowed}); see {}",
            actual_path.display()
        ));
    }
}

fn snapshot_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}
