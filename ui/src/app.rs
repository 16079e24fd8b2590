//! The Slint app: a window for a phone or a desktop, on a profile of this device.
//!
//! - [`run_app`] opens the window on a profile and runs until it is closed.
//! - [`App`] is the same, step by step, for tests: open it, drive it, read its journal.
//! - [`Preview`] shows a journal on the screens without a profile or network (snapshots).
//!
//! Inside, the screens (`ui/*.slint`) talk to Rust only through exported `*Adapter` globals,
//! one adapter module per global here. The worker thread runs tokio and the sync node; it
//! builds each screen's data (`views`, plain Rust) and hands it to the UI thread, which copies
//! it into Slint models. Changes from the partner arrive as node events and rebuild the screens
//! they touch, live.

mod checkin_adapter;
mod clock;
mod dates_adapter;
mod devices_adapter;
mod job_thread;
mod kindness_adapter;
mod kiosk;
mod kiosk_adapter;
mod qr;
mod session;
mod setup_adapter;
mod shell_adapter;
mod talk_adapter;
mod trash_adapter;
use hearth_core::views;
mod wall_adapter;
mod worker;

/// The compiled `.slint` files: the window, its globals and their structs.
#[allow(
    missing_docs,
    missing_debug_implementations,
    unreachable_pub,
    clippy::all,
    clippy::unwrap_used,
    clippy::todo
)]
pub mod ui {
    slint::include_modules!();
}

use std::path::PathBuf;

use anyhow::Context;
use hearth_core::keys::SecretString;
use hearth_core::{Journal, PartnerId, Profile};
use hearth_sync::{NetConfig, Node, PeerStatus};
use slint::{ComponentHandle, Model, ModelRc, VecModel};

pub use clock::Clock;
pub use job_thread::Closing;
pub use kiosk::{Kiosk, KioskPreview, run_kiosk};
use ui::{AppAdapter, AppWindow, Phase, Theme};
use views::{Changed, Colour, Limits, Views};
use worker::{Settings, Sink, WorkerHandle};

/// How to open the app.
pub struct AppOptions {
    /// The profile directory (created on first run).
    pub profile_dir: PathBuf,
    /// The passphrase of a sealed key file, if known; otherwise the app asks.
    pub passphrase: Option<SecretString>,
    /// Network settings of the sync node.
    pub net: NetConfig,
    /// Where "now" comes from.
    pub clock: Clock,
    /// Run alongside the engine once it has started, until the window closes (the command
    /// line serves the profile's command socket with it, so `hearth note ...` works while the
    /// window is open).
    pub with_engine: Option<EngineTask>,
}

/// Work started with the engine and dropped before it closes.
pub type EngineTask = std::sync::Arc<
    dyn Fn(
            std::sync::Arc<hearth_sync::Engine>,
        ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>
        + Send
        + Sync,
>;

impl std::fmt::Debug for AppOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppOptions")
            .field("profile_dir", &self.profile_dir)
            .field("passphrase", &self.passphrase.is_some())
            .field("net", &self.net)
            .field("clock", &self.clock)
            .field("with_engine", &self.with_engine.is_some())
            .finish()
    }
}

impl AppOptions {
    /// The app on `profile_dir` with default network settings and the system clock.
    pub fn new(profile_dir: PathBuf) -> AppOptions {
        AppOptions {
            profile_dir,
            passphrase: None,
            net: NetConfig::default(),
            clock: Clock::System,
            with_engine: None,
        }
    }
}

/// An open app window with its worker.
pub struct App {
    window: AppWindow,
    worker: WorkerHandle,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("worker", &self.worker)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Creates the window and starts the worker on the profile. The window shows the first-run
    /// screen, the lock screen or the journal, as the profile calls for. Call from the thread
    /// that runs the Slint event loop.
    pub fn open(options: AppOptions) -> anyhow::Result<App> {
        let window = AppWindow::new().context("could not create the window")?;
        let worker = WorkerHandle::spawn(
            Settings {
                dir: options.profile_dir,
                passphrase: options.passphrase,
                net: options.net,
                clock: options.clock,
                with_engine: options.with_engine,
            },
            window.as_weak(),
        )?;
        connect(&window, &worker.sink, options.clock);
        Ok(App { window, worker })
    }

    /// The window.
    pub fn window(&self) -> &AppWindow {
        &self.window
    }

    /// The sync node, once the journal is open.
    pub fn node(&self) -> Option<Node> {
        self.worker
            .node
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Closes the journal: stops syncing; the worker lets go of the profile on its own thread
    /// (see [`Closing`]).
    pub fn close(mut self) -> Closing {
        self.worker.close()
    }
}

/// The journal on the screens, without a profile, worker or network: for snapshots and demos.
/// Buttons do nothing.
pub struct Preview {
    window: AppWindow,
}

impl std::fmt::Debug for Preview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Preview").finish_non_exhaustive()
    }
}

impl Preview {
    /// Shows `journal` as `me` sees it at the clock's moment, with `peers` as the devices.
    pub fn new(
        journal: &Journal,
        me: Option<PartnerId>,
        peers: &[PeerStatus],
        clock: Clock,
    ) -> anyhow::Result<Preview> {
        let window = AppWindow::new().context("could not create the window")?;
        connect(&window, &Sink::default(), clock);
        let views = Views::build(journal, me, peers, clock.moment(), Limits::default());
        apply(&window, Changed::between(None, &views));
        shell_adapter::set_phase(&window, Phase::Journal);
        Ok(Preview { window })
    }

    /// The window.
    pub fn window(&self) -> &AppWindow {
        &self.window
    }

    /// Shows a pairing invitation with `ticket_text` (and its QR code) on the Devices screen.
    pub fn show_invite(&self, ticket_text: &str) -> anyhow::Result<()> {
        let pixels = qr::encode(ticket_text)?;
        devices_adapter::show_invite(
            &self.window,
            ticket_text,
            &pixels,
            &worker::ticket_intro(hearth_sync::Role::Partner),
        );
        Ok(())
    }

    /// Shows a pairing invitation by six digits (`code`, such as "305 118") on the Devices
    /// screen.
    pub fn show_code(&self, code: &str) {
        devices_adapter::show_code(
            &self.window,
            code,
            &worker::code_intro(hearth_sync::Role::Partner),
        );
    }
}

/// Opens the app window on the profile in `profile_dir` (the platform's default profile when
/// `None`) and runs until the window is closed. `passphrase` opens a sealed key file; without
/// it the app asks. On first run the window offers to start a journal or join one.
pub fn run_app(
    profile_dir: Option<PathBuf>,
    passphrase: Option<SecretString>,
    net: NetConfig,
    with_engine: Option<EngineTask>,
) -> anyhow::Result<()> {
    let dir = match profile_dir {
        Some(dir) => dir,
        None => Profile::default_dir().context("could not find where to keep the journal")?,
    };
    let app = App::open(AppOptions {
        passphrase,
        net,
        with_engine,
        ..AppOptions::new(dir)
    })?;
    // Evening colours after dark.
    let hour = chrono::Timelike::hour(&chrono::Local::now());
    app.window()
        .global::<Theme>()
        .set_dark(!(7..20).contains(&hour));
    app.window().run().context("the window could not run")?;
    // The window is gone; the process waits for the profile to be let go before it ends.
    app.close().wait();
    Ok(())
}

/// Wires every adapter's callbacks to the worker.
fn connect(window: &AppWindow, sink: &Sink, clock: Clock) {
    setup_adapter::connect(window, sink);
    wall_adapter::connect(window, sink);
    dates_adapter::connect(window, sink, clock);
    kindness_adapter::connect(window, sink);
    checkin_adapter::connect(window, sink);
    talk_adapter::connect(window, sink, clock);
    devices_adapter::connect(window, sink);
    trash_adapter::connect(window, sink);
    window.global::<AppAdapter>().set_phase(Phase::Loading);
}

/// Copies the screens that changed into their models.
fn apply(window: &AppWindow, changed: Changed) {
    if let Some(v) = changed.shell {
        shell_adapter::apply(window, &v);
    }
    if let Some(v) = changed.wall {
        wall_adapter::apply(window, &v);
    }
    if let Some(v) = changed.dates {
        dates_adapter::apply(window, &v);
    }
    if let Some(v) = changed.kindness {
        kindness_adapter::apply(window, &v);
    }
    if let Some(v) = changed.checkin {
        checkin_adapter::apply(window, &v);
    }
    if let Some(v) = changed.talk {
        talk_adapter::apply(window, &v);
    }
    if let Some(v) = changed.devices {
        devices_adapter::apply(window, &v);
    }
    if let Some(v) = changed.trash {
        trash_adapter::apply(window, &v);
    }
}

/// Clears a message `after` a while, unless another one replaced it meanwhile (the app's and the
/// kiosk's notices).
fn clear_later<C: slint::ComponentHandle + 'static>(
    window: &C,
    shown: &str,
    after: std::time::Duration,
    current: impl Fn(&C) -> slint::SharedString + 'static,
    clear: impl Fn(&C) + 'static,
) {
    let weak = window.as_weak();
    let shown = shown.to_owned();
    slint::Timer::single_shot(after, move || {
        if let Some(w) = weak.upgrade()
            && current(&w) == shown.as_str()
        {
            clear(&w);
        }
    });
}

/// A Slint colour.
fn colour(c: Colour) -> slint::Color {
    let [_, r, g, b] = c.0.to_be_bytes();
    slint::Color::from_rgb_u8(r, g, b)
}

/// A fresh model of `items`.
fn model<T: Clone + 'static>(items: Vec<T>) -> ModelRc<T> {
    ModelRc::new(VecModel::from(items))
}

/// Updates `current` to hold `items` row by row, so rows that did not change keep their
/// elements (and whatever is being typed in them). Returns a new model when `current` is not
/// one this app made.
fn update<T: Clone + PartialEq + 'static>(
    current: &ModelRc<T>,
    items: Vec<T>,
) -> Option<ModelRc<T>> {
    let Some(vec) = current.as_any().downcast_ref::<VecModel<T>>() else {
        return Some(model(items));
    };
    let len = items.len();
    for (i, item) in items.into_iter().enumerate() {
        if i < vec.row_count() {
            if vec.row_data(i).as_ref() != Some(&item) {
                vec.set_row_data(i, item);
            }
        } else {
            vec.push(item);
        }
    }
    while vec.row_count() > len {
        vec.remove(vec.row_count() - 1);
    }
    None
}

/// Sets a model property from `items`, updating in place where it can.
macro_rules! set_model {
    ($global:expr, $get:ident, $set:ident, $items:expr) => {{
        let global = $global;
        if let Some(fresh) = $crate::app::update(&global.$get(), $items) {
            global.$set(fresh);
        }
    }};
}
pub(crate) use set_model;

/// Whose device an invitation for `role` waits for, as the screens and the terminal say it.
pub fn who_joins(role: hearth_sync::Role) -> &'static str {
    match role {
        hearth_sync::Role::Partner => "your partner's device",
        hearth_sync::Role::Me => "your other device",
        hearth_sync::Role::Display => "the home display",
    }
}
