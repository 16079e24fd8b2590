//! The worker thread: a tokio runtime that holds the open journal's [`Session`] (its engine).
//! The UI thread sends it [`Command`]s; it answers with plain data through
//! `upgrade_in_event_loop`, and rebuilds the screens whenever the journal changes, here, by a
//! forwarded command or on the partner's device.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hearth_core::intent::Intent;
use hearth_core::keys::{KeySealing, SecretString};
use hearth_core::{Profile, ProfileError};
use hearth_sync::{
    NetConfig, Node, PairCode, PairRefusal, Role, Setup, SyncError, Ticket, init_device,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::clock::Clock;
use super::job_thread::{Closing, JobThread};
use super::session::{Session, SharedNode};
use super::ui::{AppWindow, Phase, Screen};
use super::views::{Limits, Screens};
use super::{devices_adapter, qr, setup_adapter, shell_adapter};

/// Something to do on the UI thread once the worker is done.
pub(crate) type UiFn = Box<dyn FnOnce(&AppWindow) + Send>;

/// What the UI asks of the worker.
pub(crate) enum Command {
    /// First run: set this device up and start a journal.
    Start {
        name: String,
        passphrase: Option<SecretString>,
    },
    /// First run: set this device up and join the partner's journal.
    JoinAtStart {
        name: String,
        ticket: String,
        passphrase: Option<SecretString>,
    },
    /// Open a journal sealed with a passphrase.
    Unlock(SecretString),
    /// Try opening the journal again (it was held by another process).
    Retry,
    /// Change the journal; `then` runs on the UI thread if it worked.
    Write { intent: Intent, then: Option<UiFn> },
    /// Show a pairing ticket for `role`.
    Invite(Role),
    /// Show six digits for `role` instead (for a device on the same network).
    InviteCode(Role),
    /// Stop showing the ticket.
    CancelInvite,
    /// Join another journal with a pasted ticket or six typed digits.
    Join(String),
    /// Show more or less of the long lists.
    Limits(Limits),
    /// A pairing started by [`Command::Invite`] ended.
    Paired(Result<hearth_core::Device, SyncError>),
    /// A join ended; `at_start` when it came from the first-run screen.
    Joined {
        result: Result<hearth_core::Device, SyncError>,
        at_start: bool,
    },
    /// Stop: close connections and let go of the profile.
    Shutdown,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Command::Start { .. } => "Start",
            Command::JoinAtStart { .. } => "JoinAtStart",
            Command::Unlock(_) => "Unlock",
            Command::Retry => "Retry",
            Command::Write { .. } => "Write",
            Command::Invite(_) => "Invite",
            Command::InviteCode(_) => "InviteCode",
            Command::CancelInvite => "CancelInvite",
            Command::Join(_) => "Join",
            Command::Limits(_) => "Limits",
            Command::Paired(_) => "Paired",
            Command::Joined { .. } => "Joined",
            Command::Shutdown => "Shutdown",
        };
        f.write_str(name)
    }
}

/// Where adapters send commands. A preview has none, and its commands go nowhere.
#[derive(Clone, Debug, Default)]
pub(crate) struct Sink(Option<mpsc::UnboundedSender<Command>>);

impl Sink {
    pub(crate) fn send(&self, command: Command) {
        if let Some(tx) = &self.0
            && tx.send(command).is_err()
        {
            tracing::debug!("the worker has stopped; a command was dropped");
        }
    }

    /// Sends a journal change.
    pub(crate) fn write(&self, intent: Intent) {
        self.send(Command::Write { intent, then: None });
    }

    /// Sends a journal change and what to do on screen once it is stored.
    pub(crate) fn write_then(
        &self,
        intent: Intent,
        then: impl FnOnce(&AppWindow) + Send + 'static,
    ) {
        self.send(Command::Write {
            intent,
            then: Some(Box::new(then)),
        });
    }
}

/// How the worker starts.
pub(crate) struct Settings {
    pub(crate) dir: PathBuf,
    pub(crate) passphrase: Option<SecretString>,
    pub(crate) net: NetConfig,
    pub(crate) clock: Clock,
    pub(crate) with_engine: Option<super::EngineTask>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("dir", &self.dir)
            .field("net", &self.net)
            .finish_non_exhaustive()
    }
}

/// The running worker thread.
#[derive(Debug)]
pub(crate) struct WorkerHandle {
    pub(crate) sink: Sink,
    pub(crate) node: Arc<Mutex<Option<Node>>>,
    thread: JobThread,
}

impl WorkerHandle {
    /// Starts the worker thread for `ui`.
    pub(crate) fn spawn(
        settings: Settings,
        ui: slint::Weak<AppWindow>,
    ) -> anyhow::Result<WorkerHandle> {
        let (tx, rx) = mpsc::unbounded_channel();
        let node = Arc::new(Mutex::new(None));
        let worker = Worker {
            dir: settings.dir,
            net: settings.net,
            clock: settings.clock,
            with_engine: settings.with_engine,
            ui,
            tx: tx.clone(),
            session: None,
            shared: node.clone(),
            screens: Screens::new(),
            limits: Limits::default(),
            invite: None,
            mailbox_shown: String::new(),
        };
        let passphrase = settings.passphrase;
        let thread = JobThread::spawn("hearth-sync", 2, move || worker.run(rx, passphrase))?;
        Ok(WorkerHandle {
            sink: Sink(Some(tx)),
            node,
            thread,
        })
    }

    /// Tells the worker to stop; it lets go of the profile on its own thread.
    pub(crate) fn close(&mut self) -> Closing {
        self.sink.send(Command::Shutdown);
        Closing::new(self.thread.hand_over())
    }
}

impl Drop for WorkerHandle {
    fn drop(&mut self) {
        // Not waited for: the window's thread never joins the worker.
        let _ = self.close();
    }
}

struct Worker {
    dir: PathBuf,
    net: NetConfig,
    clock: Clock,
    with_engine: Option<super::EngineTask>,
    ui: slint::Weak<AppWindow>,
    tx: mpsc::UnboundedSender<Command>,
    /// The open journal, once there is one.
    session: Option<Session>,
    shared: SharedNode,
    screens: Screens,
    limits: Limits,
    invite: Option<JoinHandle<()>>,
    /// The mailbox line the Devices screen shows now.
    mailbox_shown: String,
}

/// An error as a sentence for the screen.
pub(crate) fn sentence(error: &dyn std::fmt::Display) -> String {
    let text = error.to_string();
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

fn unlock_error(error: &ProfileError) -> String {
    match error {
        ProfileError::Keys(hearth_core::keys::KeyError::WrongPassphrase { .. }) => {
            "That passphrase didn't open the journal. Try again?".into()
        }
        ProfileError::Locked { pid, .. } => {
            let who = match pid {
                Some(pid) => format!("another Hearth window or process (pid {pid})"),
                None => "another Hearth window or process".to_owned(),
            };
            format!(
                "The journal is open in {who}. Close that window, or stop the background \
                 service (systemctl --user stop hearth), then try again."
            )
        }
        other => sentence(other),
    }
}

/// The next moment the open journal's screens need rebuilding; never without a journal.
async fn changed(session: &mut Option<Session>) {
    match session {
        Some(session) => session.changed(SETTLE).await,
        None => std::future::pending().await,
    }
}

/// How long a burst of events may settle before the screens are rebuilt once.
const SETTLE: Duration = Duration::from_millis(30);

impl Worker {
    fn ui(&self, f: impl FnOnce(&AppWindow) + Send + 'static) {
        if self.ui.upgrade_in_event_loop(move |w| f(&w)).is_err() {
            tracing::debug!("the window is gone; an update was dropped");
        }
    }

    fn notice(&self, text: String) {
        self.ui(move |w| shell_adapter::notice(w, &text));
    }

    async fn run(
        mut self,
        mut rx: mpsc::UnboundedReceiver<Command>,
        passphrase: Option<SecretString>,
    ) {
        self.boot(passphrase).await;
        // Relative times and countdowns move on the minute; nothing else needs a timer.
        let mut tick = self.clock.minutes();
        loop {
            tokio::select! {
                command = rx.recv() => match command {
                    None | Some(Command::Shutdown) => break,
                    Some(command) => self.handle(command).await,
                },
                () = changed(&mut self.session) => self.refresh(),
                _ = tick.tick() => self.refresh(),
            }
        }
        if let Some(task) = self.invite.take() {
            task.abort();
        }
        if let Some(session) = self.session.take() {
            session.close().await;
        }
    }

    async fn boot(&mut self, passphrase: Option<SecretString>) {
        let where_text = format!("The journal lives in {}", self.dir.display());
        self.ui(move |w| setup_adapter::set_where(w, &where_text));
        if !Profile::exists(&self.dir) {
            self.ui(|w| shell_adapter::set_phase(w, Phase::Welcome));
            return;
        }
        match Profile::needs_passphrase(&self.dir) {
            Ok(true) if passphrase.is_none() => {
                self.ui(|w| {
                    setup_adapter::set_needs_passphrase(w, true);
                    shell_adapter::set_phase(w, Phase::Unlock);
                });
            }
            sealed => {
                let sealed = matches!(sealed, Ok(true));
                if let Err(text) = self.open(passphrase).await {
                    // A journal held elsewhere, or damaged, is not a passphrase question: the
                    // screen says only what stands in the way.
                    self.ui(move |w| {
                        setup_adapter::set_needs_passphrase(w, sealed);
                        shell_adapter::set_phase(w, Phase::Unlock);
                        setup_adapter::set_error(w, &text);
                    });
                }
            }
        }
    }

    /// Opens the profile and starts the node.
    async fn open(&mut self, passphrase: Option<SecretString>) -> Result<(), String> {
        let dir = self.dir.clone();
        let profile = tokio::task::spawn_blocking(move || Profile::open(&dir, passphrase.as_ref()))
            .await
            .map_err(|e| sentence(&e))?
            .map_err(|e| unlock_error(&e))?;
        self.start(profile).await?;
        self.ui(|w| shell_adapter::set_phase(w, Phase::Journal));
        Ok(())
    }

    /// Opens the session over the profile.
    async fn start(&mut self, profile: Profile) -> Result<(), String> {
        let session = Session::start(
            profile,
            self.net.clone(),
            self.with_engine.as_ref(),
            Arc::clone(&self.shared),
        )
        .await
        .map_err(|e| sentence(&e))?;
        self.session = Some(session);
        self.refresh();
        Ok(())
    }

    /// The running node, for pairing and the devices' status.
    fn node(&self) -> Option<Node> {
        self.session.as_ref()?.engine().node()
    }

    /// Sets this device up with `name`, unless it already is.
    async fn set_up(
        &mut self,
        name: String,
        passphrase: Option<SecretString>,
    ) -> Result<(), String> {
        if self.session.is_some() {
            return Ok(());
        }
        let dir = self.dir.clone();
        let profile = tokio::task::spawn_blocking(move || {
            init_device(
                &dir,
                &name,
                Setup::Person,
                passphrase.as_ref(),
                KeySealing::default(),
            )
        })
        .await
        .map_err(|e| sentence(&e))?
        .map_err(|e| sentence(&e))?;
        self.start(profile).await
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Start { name, passphrase } => {
                self.ui(|w| setup_adapter::set_busy(w, true));
                match self.set_up(name, passphrase).await {
                    Ok(()) => {
                        self.ui(|w| {
                            setup_adapter::set_busy(w, false);
                            shell_adapter::set_phase(w, Phase::Journal);
                            shell_adapter::set_screen(w, Screen::Devices);
                        });
                        // The next step is pairing the partner: show the code right away.
                        self.invite(Role::Partner, false);
                    }
                    Err(text) => self.ui(move |w| {
                        setup_adapter::set_busy(w, false);
                        setup_adapter::set_error(w, &text);
                    }),
                }
            }
            Command::JoinAtStart {
                name,
                ticket,
                passphrase,
            } => {
                let ticket = match Invitation::parse(&ticket) {
                    Ok(t) => t,
                    Err(e) => {
                        let text = sentence(&e);
                        self.ui(move |w| setup_adapter::set_error(w, &text));
                        return;
                    }
                };
                self.ui(|w| setup_adapter::set_busy(w, true));
                if let Err(text) = self.set_up(name, passphrase).await {
                    self.ui(move |w| {
                        setup_adapter::set_busy(w, false);
                        setup_adapter::set_error(w, &text);
                    });
                    return;
                }
                self.join(ticket, true);
            }
            Command::Retry => {
                self.ui(|w| {
                    setup_adapter::set_busy(w, true);
                    setup_adapter::set_error(w, "");
                });
                self.boot(None).await;
                self.ui(|w| setup_adapter::set_busy(w, false));
            }
            Command::Unlock(passphrase) => {
                self.ui(|w| setup_adapter::set_busy(w, true));
                let result = self.open(Some(passphrase)).await;
                self.ui(move |w| {
                    setup_adapter::set_busy(w, false);
                    if let Err(text) = result {
                        setup_adapter::set_error(w, &text);
                    }
                });
            }
            Command::Write { intent, then } => self.write(intent, then),
            Command::Invite(role) => self.invite(role, false),
            Command::CancelInvite => {
                if let Some(task) = self.invite.take() {
                    task.abort();
                }
                self.ui(devices_adapter::hide_invite);
            }
            Command::InviteCode(role) => self.invite(role, true),
            Command::Join(text) => match Invitation::parse(&text) {
                Ok(ticket) => {
                    self.ui(|w| devices_adapter::set_joining(w, true, "Joining…"));
                    self.join(ticket, false);
                }
                Err(e) => {
                    let text = sentence(&e);
                    self.ui(move |w| devices_adapter::set_joining(w, false, &text));
                }
            },
            Command::Limits(limits) => {
                self.limits = limits;
                self.refresh();
            }
            Command::Paired(result) => {
                self.invite = None;
                match result {
                    Ok(device) => {
                        let text = format!("{} is paired. Welcome!", device.name);
                        self.ui(move |w| {
                            devices_adapter::hide_invite(w);
                            shell_adapter::notice(w, &text);
                        });
                    }
                    Err(SyncError::PairingRefused(PairRefusal::WrongCode)) => self.ui(|w| {
                        devices_adapter::hide_invite(w);
                        shell_adapter::notice(
                            w,
                            "Someone typed a wrong code, so that one is closed. Make a new one \
                             whenever you're ready.",
                        );
                    }),
                    Err(SyncError::TicketExpired) => self.ui(|w| {
                        devices_adapter::hide_invite(w);
                        shell_adapter::notice(
                            w,
                            "The invitation code ran out. Make a new one whenever you're ready.",
                        );
                    }),
                    Err(e) => {
                        let text = sentence(&e);
                        self.ui(move |w| {
                            devices_adapter::hide_invite(w);
                            shell_adapter::notice(w, &text);
                        });
                    }
                }
                self.refresh();
            }
            Command::Joined { result, at_start } => {
                match (result, at_start) {
                    (Ok(device), true) => {
                        let text = format!(
                            "You're in. This device shares a journal with {} now.",
                            device.name
                        );
                        self.ui(move |w| {
                            setup_adapter::set_busy(w, false);
                            shell_adapter::set_phase(w, Phase::Journal);
                            shell_adapter::set_screen(w, Screen::Wall);
                            shell_adapter::notice(w, &text);
                        });
                    }
                    (Ok(device), false) => {
                        let text = format!("Joined. This device syncs with {} now.", device.name);
                        self.ui(move |w| {
                            devices_adapter::set_joining(w, false, "");
                            shell_adapter::notice(w, &text);
                        });
                    }
                    (Err(e), true) => {
                        let text = sentence(&e);
                        self.ui(move |w| {
                            setup_adapter::set_busy(w, false);
                            setup_adapter::set_error(w, &text);
                        });
                    }
                    (Err(e), false) => {
                        let text = sentence(&e);
                        self.ui(move |w| devices_adapter::set_joining(w, false, &text));
                    }
                }
                self.refresh();
            }
            Command::Shutdown => {}
        }
    }

    fn write(&mut self, intent: Intent, then: Option<UiFn>) {
        let Some(engine) = self.session.as_ref().map(Session::engine) else {
            self.notice("The journal isn't open yet.".into());
            return;
        };
        let Some(me) = engine.me() else {
            self.notice("This device doesn't belong to a person, so it can't write here.".into());
            return;
        };
        let here = self.clock.moment().here(Some(me));
        match engine.write(|j| intent.apply(j, &here)) {
            Ok(_) => {
                // Rebuilt at once; the events already waiting (this write's `Written` among
                // them) are covered by this rebuild.
                self.refresh();
                if let Some(session) = self.session.as_mut() {
                    session.settled();
                }
                if let Some(then) = then {
                    self.ui(then);
                }
            }
            Err(e) => self.notice(sentence(&e)),
        }
    }

    /// Opens an invitation for `role`: a ticket with its QR code, or six digits (`by_code`) for
    /// a device on the same network; the screen shows it, and the pairing's end comes back as
    /// [`Command::Paired`].
    fn invite(&mut self, role: Role, by_code: bool) {
        let Some(node) = self.node() else {
            return;
        };
        if let Some(task) = self.invite.take() {
            task.abort();
        }
        let opened = if by_code {
            node.invite_code(role, INVITE_TTL).map(|(code, pairing)| {
                let (shown, intro) = (code.to_string(), code_intro(role));
                let show: UiFn = Box::new(move |w| devices_adapter::show_code(w, &shown, &intro));
                (show, pairing)
            })
        } else {
            node.invite(role, INVITE_TTL).map(|(ticket, pairing)| {
                let text = ticket.to_text();
                let pixels = qr::encode(&text).unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "no QR code for the invitation");
                    qr::Pixels::default()
                });
                let intro = ticket_intro(role);
                let show: UiFn =
                    Box::new(move |w| devices_adapter::show_invite(w, &text, &pixels, &intro));
                (show, pairing)
            })
        };
        let (show, pairing) = match opened {
            Ok(opened) => opened,
            Err(e) => {
                self.notice(sentence(&e));
                return;
            }
        };
        self.ui(show);
        let tx = self.tx.clone();
        self.invite = Some(tokio::spawn(async move {
            let result = pairing.wait().await;
            let _ = tx.send(Command::Paired(result));
        }));
    }

    fn join(&mut self, invitation: Invitation, at_start: bool) {
        let Some(node) = self.node() else {
            return;
        };
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let result = match invitation {
                Invitation::Ticket(ticket) => node.join(&ticket, JOIN_TIMEOUT).await,
                Invitation::Code(code) => node.join_code(code, JOIN_TIMEOUT).await,
            };
            let _ = tx.send(Command::Joined { result, at_start });
        });
    }

    /// Rebuilds the screens a change (or a new minute) concerns and sends the ones that differ.
    fn refresh(&mut self) {
        let Some(engine) = self.session.as_ref().map(Session::engine) else {
            return;
        };
        let moment = self.clock.moment();
        let me = engine.me();
        let peers = engine.peer_status();
        let limits = self.limits;
        let screens = &mut self.screens;
        let changed = engine
            .read_touched(|j, touched| screens.update(j, touched, me, &peers, moment, limits));
        if !changed.is_empty() {
            self.ui(move |w| super::apply(w, changed));
        }
        let mailbox =
            hearth_core::views::devices::mailbox_line(engine.mailbox_status().as_ref(), moment);
        if mailbox != self.mailbox_shown {
            self.mailbox_shown = mailbox.clone();
            self.ui(move |w| devices_adapter::show_mailbox(w, &mailbox));
        }
    }
}

/// What a person pastes or types to join: a ticket, or six digits shown on the same network.
pub(crate) enum Invitation {
    Ticket(Ticket),
    Code(PairCode),
}

impl Invitation {
    /// Six digits (spaces and dashes aside) are a code; anything else must be a ticket.
    pub(crate) fn parse(text: &str) -> Result<Invitation, SyncError> {
        let text = text.trim();
        let digits_only = !text.is_empty()
            && text
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-'));
        if digits_only {
            return text.parse().map(Invitation::Code);
        }
        Ticket::parse(text).map(Invitation::Ticket)
    }
}

/// How to use a ticket shown for `role`.
pub(crate) fn ticket_intro(role: Role) -> String {
    format!(
        "Open Hearth on {} and scan this code, or paste the text below. It works once, for the \
         next {} minutes.",
        super::who_joins(role),
        INVITE_TTL.as_secs() / 60
    )
}

/// How to use six digits shown for `role`.
pub(crate) fn code_intro(role: Role) -> String {
    format!(
        "On {}, open Hearth, choose to join, and type these six digits. Both devices need to be \
         on the same home network. The code works once, for the next {} minutes, and one wrong \
         try closes it.",
        super::who_joins(role),
        INVITE_TTL.as_secs() / 60
    )
}

/// How long an invitation code works.
const INVITE_TTL: Duration = Duration::from_secs(10 * 60);
/// How long joining may take before giving up.
const JOIN_TIMEOUT: Duration = Duration::from_secs(60);
