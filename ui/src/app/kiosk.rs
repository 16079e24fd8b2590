//! The home display: a full-screen window for a touch screen, fed by its own small worker.
//!
//! The worker holds a [`Session`] (the engine over the profile) like the app's does, but it
//! builds only the kiosk's view (so only wall-safe notes and the next date ever reach the
//! screen), rebuilds it when the journal changes and once a minute on the minute (for the
//! countdown and the clock), and stores notes left on the on-screen keyboard as wall-safe,
//! written by whoever picked their name. A display no one has paired yet shows a digit pad
//! instead, and joins the journal of the phone on the same network that shows those digits.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use hearth_core::keys::SecretString;
use hearth_core::{Id, Journal, Profile};
use hearth_sync::{Engine, Node, PairCode};
use slint::ComponentHandle;
use tokio::sync::mpsc;

use super::AppOptions;
use super::clock::Clock;
use super::job_thread::{Closing, JobThread};
use super::kiosk_adapter;
use super::session::Session;
use super::ui::{KioskWindow, Theme};
use super::views::{self, kiosk::KioskView};
use super::worker::sentence;
use hearth_core::intent::Intent;

/// How long pairing by digits may take, the search on the network included.
const PAIR_TIMEOUT: Duration = Duration::from_secs(60);

enum KioskCommand {
    Note {
        author: String,
        text: String,
    },
    /// Pair with the device on this network showing these digits.
    Pair(String),
    Shutdown,
}

/// Where the kiosk's adapter sends notes. A preview has none.
#[derive(Clone, Debug, Default)]
pub(crate) struct KioskSink(Option<mpsc::UnboundedSender<KioskCommand>>);

impl std::fmt::Debug for KioskCommand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            KioskCommand::Note { .. } => "Note",
            KioskCommand::Pair(_) => "Pair",
            KioskCommand::Shutdown => "Shutdown",
        })
    }
}

impl KioskSink {
    /// Leaves `text` on the wall as the partner with id `author`.
    pub(crate) fn note(&self, author: String, text: String) {
        self.send(KioskCommand::Note { author, text });
    }

    /// Pairs the display with the device on this network that shows `digits`.
    pub(crate) fn pair(&self, digits: String) {
        self.send(KioskCommand::Pair(digits));
    }

    fn send(&self, command: KioskCommand) {
        if let Some(tx) = &self.0
            && tx.send(command).is_err()
        {
            tracing::debug!("the kiosk worker has stopped; a command was dropped");
        }
    }
}

/// An open home display with its worker.
pub struct Kiosk {
    window: KioskWindow,
    sink: KioskSink,
    node: Arc<Mutex<Option<Node>>>,
    thread: JobThread,
}

impl std::fmt::Debug for Kiosk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kiosk").finish_non_exhaustive()
    }
}

impl Kiosk {
    /// Creates the kiosk window and starts its worker on the profile (which must exist: a home
    /// display set up with `hearth init --display` and paired from a phone). Call from the
    /// thread that runs the Slint event loop.
    pub fn open(options: AppOptions) -> anyhow::Result<Kiosk> {
        let window = KioskWindow::new().context("could not create the kiosk window")?;
        let (tx, rx) = mpsc::unbounded_channel();
        let sink = KioskSink(Some(tx));
        kiosk_adapter::connect(&window, &sink);
        let node = Arc::new(Mutex::new(None));
        let worker = Worker {
            dir: options.profile_dir,
            net: options.net,
            clock: options.clock,
            with_engine: options.with_engine,
            ui: window.as_weak(),
            shared: node.clone(),
            last: None,
        };
        let passphrase = options.passphrase;
        let thread = JobThread::spawn("hearth-kiosk", 1, move || worker.run(rx, passphrase))?;
        Ok(Kiosk {
            window,
            sink,
            node,
            thread,
        })
    }

    /// The window.
    pub fn window(&self) -> &KioskWindow {
        &self.window
    }

    /// The sync node, once the journal is open.
    pub fn node(&self) -> Option<Node> {
        self.node.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Stops syncing; the worker lets go of the profile on its own thread (see [`Closing`]).
    pub fn close(mut self) -> Closing {
        self.stop()
    }

    fn stop(&mut self) -> Closing {
        self.sink.send(KioskCommand::Shutdown);
        Closing::new(self.thread.hand_over())
    }
}

impl Drop for Kiosk {
    fn drop(&mut self) {
        // Not waited for: the window's thread never joins the worker.
        let _ = self.stop();
    }
}

/// The home display showing `journal`, without a profile or network: for snapshots.
pub struct KioskPreview {
    window: KioskWindow,
}

impl std::fmt::Debug for KioskPreview {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KioskPreview").finish_non_exhaustive()
    }
}

impl KioskPreview {
    /// Shows `journal` on the display at the clock's moment.
    pub fn new(journal: &Journal, clock: Clock) -> anyhow::Result<KioskPreview> {
        let window = KioskWindow::new().context("could not create the kiosk window")?;
        kiosk_adapter::connect(&window, &KioskSink::default());
        kiosk_adapter::apply(&window, &KioskView::build(journal, clock.moment()));
        Ok(KioskPreview { window })
    }

    /// The window.
    pub fn window(&self) -> &KioskWindow {
        &self.window
    }
}

/// Runs the home display full screen on the profile in `profile_dir` (the platform's default
/// profile when `None`) until the window closes.
pub fn run_kiosk(
    profile_dir: Option<PathBuf>,
    passphrase: Option<SecretString>,
    net: hearth_sync::NetConfig,
    with_engine: Option<super::EngineTask>,
) -> anyhow::Result<()> {
    let dir = match profile_dir {
        Some(dir) => dir,
        None => Profile::default_dir().context("could not find where to keep the journal")?,
    };
    if !Profile::exists(&dir) {
        anyhow::bail!(
            "there is no Hearth profile at {}; set the display up with `hearth init --display`, then pair it from a phone (with a ticket, or with six digits on its screen)",
            dir.display()
        );
    }
    let kiosk = Kiosk::open(AppOptions {
        passphrase,
        net,
        with_engine,
        ..AppOptions::new(dir)
    })?;
    // The lamp-lit colours after dark.
    let hour = chrono::Timelike::hour(&chrono::Local::now());
    kiosk
        .window()
        .global::<Theme>()
        .set_dark(!(7..20).contains(&hour));
    kiosk.window().window().set_fullscreen(true);
    cover_the_screen(kiosk.window());
    kiosk.window().run().context("the kiosk could not run")?;
    // The window is gone; the process waits for the profile to be let go before it ends.
    kiosk.close().wait();
    Ok(())
}

/// Sizes and places the kiosk's window over the whole screen it is on. Full screen is a request
/// to the window manager, and on an X server without one (a kitchen display started straight
/// into X) nobody acts on it; this does the same itself. Under LinuxKMS there is no winit window
/// and the backend already draws on the whole screen.
fn cover_the_screen(window: &KioskWindow) {
    use slint::winit_030::WinitWindowAccessor;
    let weak = window.as_weak();
    let spawned = slint::spawn_local(async move {
        let Some(kiosk) = weak.upgrade() else {
            return;
        };
        let winit = kiosk.window().winit_window().await;
        drop(kiosk);
        let Ok(w) = winit else {
            return;
        };
        let Some(screen) = w
            .current_monitor()
            .or_else(|| w.primary_monitor())
            .or_else(|| w.available_monitors().next())
        else {
            tracing::debug!("no screen to cover: the window keeps its size");
            return;
        };
        let (size, at) = (screen.size(), screen.position());
        tracing::debug!(
            width = size.width,
            height = size.height,
            x = at.x,
            y = at.y,
            "covering the screen"
        );
        w.set_outer_position(at);
        // The size arrives with the next resize event when the window system grants it.
        let _granted_now = w.request_inner_size(size);
    });
    if let Err(e) = spawned {
        tracing::debug!(error = %e, "could not size the kiosk to the screen");
    }
}

struct Worker {
    dir: PathBuf,
    net: hearth_sync::NetConfig,
    clock: Clock,
    with_engine: Option<super::EngineTask>,
    ui: slint::Weak<KioskWindow>,
    shared: Arc<Mutex<Option<Node>>>,
    last: Option<KioskView>,
}

impl Worker {
    fn ui(&self, f: impl FnOnce(&KioskWindow) + Send + 'static) {
        if self.ui.upgrade_in_event_loop(move |w| f(&w)).is_err() {
            tracing::debug!("the kiosk window is gone; an update was dropped");
        }
    }

    async fn run(
        mut self,
        mut rx: mpsc::UnboundedReceiver<KioskCommand>,
        passphrase: Option<SecretString>,
    ) {
        let mut session = match self.open(passphrase).await {
            Ok(session) => session,
            Err(e) => {
                let text = sentence(&format!("{e:#}"));
                self.ui(move |w| kiosk_adapter::notice(w, &text));
                // Keep the window up with the message until it is closed.
                while let Some(KioskCommand::Note { .. } | KioskCommand::Pair(_)) = rx.recv().await
                {
                }
                return;
            }
        };
        self.refresh(session.engine(), true);
        // On the minute, so the clock and the countdown change when they should.
        let mut tick = self.clock.minutes();
        loop {
            tokio::select! {
                command = rx.recv() => match command {
                    None | Some(KioskCommand::Shutdown) => break,
                    Some(KioskCommand::Note { author, text }) => {
                        self.note(session.engine(), &author, &text);
                        // The note's own `Written` event: its rebuild is done.
                        session.settled();
                    }
                    Some(KioskCommand::Pair(digits)) => self.pair(session.engine(), &digits),
                },
                () = session.changed(Duration::from_millis(50)) => {
                    self.refresh(session.engine(), false);
                }
                _ = tick.tick() => self.refresh(session.engine(), true),
            }
        }
        session.close().await;
    }

    async fn open(&mut self, passphrase: Option<SecretString>) -> anyhow::Result<Session> {
        let dir = self.dir.clone();
        let profile = tokio::task::spawn_blocking(move || Profile::open(&dir, passphrase.as_ref()))
            .await
            .context("could not open the journal")??;
        Session::start(
            profile,
            self.net.clone(),
            self.with_engine.as_ref(),
            Arc::clone(&self.shared),
        )
        .await
        .context("could not start networking")
    }

    fn note(&mut self, engine: &Engine, author: &str, text: &str) {
        self.ui(|w| kiosk_adapter::set_busy(w, true));
        let author = Id::from(author);
        let name = engine.read(|j| j.partner(&author).map(|p| p.name));
        let here = self.clock.moment().here(engine.me());
        let note = Intent::AddNote {
            text: text.to_owned(),
            wall_safe: true,
            author: Some(author.clone()),
        };
        match engine.write(|j| note.apply(j, &here)) {
            Ok(_) => {
                self.refresh(engine, false);
                let thanks = match name {
                    Some(name) => format!("Thank you, {name}. Your note is on the wall."),
                    None => "Your note is on the wall.".to_owned(),
                };
                self.ui(move |w| kiosk_adapter::note_left(w, &thanks));
            }
            Err(e) => {
                let text = sentence(&e);
                self.ui(move |w| {
                    kiosk_adapter::set_busy(w, false);
                    kiosk_adapter::notice(w, &text);
                });
            }
        }
    }

    /// Joins by the digits typed on the pad, in the background; the wall replaces the pad once
    /// the journal arrives (its change rebuilds the view).
    fn pair(&mut self, engine: &Engine, digits: &str) {
        let code: PairCode = match digits.parse() {
            Ok(code) => code,
            Err(e) => {
                let text = sentence(&e);
                self.ui(move |w| kiosk_adapter::set_pairing(w, false, &text));
                return;
            }
        };
        let Some(node) = engine.node() else {
            self.ui(|w| {
                kiosk_adapter::set_pairing(
                    w,
                    false,
                    "The display is offline; try again in a moment.",
                )
            });
            return;
        };
        self.ui(|w| kiosk_adapter::set_pairing(w, true, ""));
        let ui = self.ui.clone();
        tokio::spawn(async move {
            let joined = node.join_code(code, PAIR_TIMEOUT).await;
            if ui
                .upgrade_in_event_loop(move |w| match joined {
                    // The wall replaces the pad; the line under it says so.
                    Ok(device) => {
                        kiosk_adapter::set_pairing(&w, false, "");
                        let text = format!(
                            "Paired with {}. Notes marked for the wall show here.",
                            device.name
                        );
                        kiosk_adapter::notice(&w, &text);
                    }
                    Err(e) => kiosk_adapter::set_pairing(&w, false, &sentence(&e)),
                })
                .is_err()
            {
                tracing::debug!("the kiosk window is gone; a pairing result was dropped");
            }
        });
    }

    /// Rebuilds the display's view when a change concerns what it shows, or at a new minute.
    fn refresh(&mut self, engine: &Engine, minute: bool) {
        let moment = self.clock.moment();
        let rebuilt = engine.read_touched(|j, touched| {
            (minute || self.last.is_none() || touched.concerns(views::reads::KIOSK))
                .then(|| KioskView::build(j, moment))
        });
        let Some(view) = rebuilt else {
            return;
        };
        if self.last.as_ref() != Some(&view) {
            self.last = Some(view.clone());
            self.ui(move |w| kiosk_adapter::apply(w, &view));
        }
    }
}
