//! The Hearth engine for a phone app (Kotlin, Swift) or any language UniFFI reaches (Python,
//! which is how this crate is tested): one [`Engine`] object over `hearth_sync::Engine`, with
//! intents, views and events as plain records and every failure a [`HearthError`] with a
//! [`ErrorKind`] and a message.
//!
//! Every call may block the calling thread (a resume waits for its sync burst, a join for its
//! first sync), so a host calls them off its UI thread; nothing needs the caller's thread after
//! a call returns. Events reach the host's [`EventListener`] on a thread of the engine's own.
//! A panic inside becomes a [`HearthError`] of kind [`ErrorKind::Internal`]; the host keeps
//! running.
//!
//! The bindings are generated from the built library with `scripts/bindings LANG OUT`.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod convert;
mod error;
mod events;
mod intent;
mod views;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use hearth_core::Journal;
use hearth_core::keys::KeySealing;
use hearth_sync::{NetConfig, Phase, Relays, Role, Setup, Ticket};

pub use error::{ErrorKind, HearthError};
pub use events::{EngineEvent, EventListener};
pub use intent::{Applied, DateEdit, Intent, NewDatePlan, StatementParts, Visibility};
pub use views::{
    AnswerView, CheckIn, DatePlan, Device, Idea, KindnessAct, Listening, ListeningStep,
    MailboxInfo, Note, Person, QuestionView, Reaction, RepairView, Statement, Trashed,
};

use error::guard;

uniffi::setup_scaffolding!("hearth");

/// How long an invitation's ticket works.
const TICKET_TTL: Duration = Duration::from_secs(10 * 60);
/// How long joining waits for the inviting device and the first sync.
const JOIN_TIMEOUT: Duration = Duration::from_secs(60);
/// How long removing the mailbox waits for it to answer.
const MAILBOX_PATIENCE: Duration = Duration::from_secs(10);

/// How the engine reaches the network.
#[derive(Debug, Clone, uniffi::Record)]
pub struct EngineConfig {
    /// The local address to listen on, such as "0.0.0.0:0" (port 0: the last port this profile
    /// used when it is free).
    pub bind: String,
    /// "off" (the home network and direct addresses only), "default" (iroh's public relays)
    /// or the URL of a relay of one's own.
    pub relays: String,
    /// Find and be found by the couple's devices on the home network.
    pub mdns: bool,
}

impl EngineConfig {
    fn engine(&self) -> Result<hearth_sync::EngineConfig, HearthError> {
        let bind = self.bind.trim().parse().map_err(|_| {
            HearthError::invalid(format!(
                "\"{}\" is not an address to listen on (such as 0.0.0.0:0)",
                self.bind
            ))
        })?;
        let relays: Relays = self.relays.parse()?;
        Ok(hearth_sync::EngineConfig {
            net: NetConfig {
                bind,
                relays,
                mdns: self.mdns,
                ..NetConfig::default()
            },
            ..hearth_sync::EngineConfig::default()
        })
    }
}

/// One open profile: its journal in memory, its sealed store on disk, its network side.
#[derive(Debug, uniffi::Object)]
pub struct Engine {
    inner: hearth_sync::Engine,
    /// Closed at shutdown (or when the object is freed): the event threads end.
    stop: events::Stop,
}

fn profile_dir(path: &str) -> Result<PathBuf, HearthError> {
    if path.trim().is_empty() {
        return Err(HearthError::invalid("no profile directory was given"));
    }
    Ok(PathBuf::from(path))
}

#[uniffi::export]
impl Engine {
    /// Creates a profile in `profile_dir` (a directory the app owns; it must not hold a
    /// profile yet) for a person called `name`, whose first device this is, and starts it.
    #[uniffi::constructor]
    pub fn create(
        profile_dir: String,
        name: String,
        config: EngineConfig,
    ) -> Result<Arc<Engine>, HearthError> {
        guard(|| {
            let dir = self::profile_dir(&profile_dir)?;
            let inner = hearth_sync::Engine::create(
                &dir,
                &name,
                Setup::Person,
                None,
                KeySealing::default(),
                config.engine()?,
            )?;
            Ok(Arc::new(Engine::new(inner)))
        })
    }

    /// Opens the profile in `profile_dir` and starts it: it dials the couple's devices and
    /// syncs with those it reaches.
    #[uniffi::constructor]
    pub fn open(profile_dir: String, config: EngineConfig) -> Result<Arc<Engine>, HearthError> {
        guard(|| {
            let dir = self::profile_dir(&profile_dir)?;
            let inner = hearth_sync::Engine::open(&dir, None, config.engine()?)?;
            Ok(Arc::new(Engine::new(inner)))
        })
    }

    /// This device's endpoint id (what the couple's other devices know it by).
    pub fn endpoint_id(&self) -> Result<String, HearthError> {
        guard(|| Ok(self.engine()?.endpoint_id().to_string()))
    }

    /// A ticket that lets one device join, as `role`: "partner" (the other person's first
    /// device), "me" (another device of this person) or "display" (the home display). Pairing
    /// completes in the background: an [`EngineEvent::Paired`] says so (or
    /// [`EngineEvent::PairingFailed`] why not), and [`Engine::devices`] lists the device.
    pub fn invite(&self, role: String) -> Result<String, HearthError> {
        guard(|| {
            let role: Role = role.trim().parse()?;
            let ticket = self.engine()?.invite(role, TICKET_TTL)?;
            Ok(ticket.to_text())
        })
    }

    /// Joins the journal of the device that made `ticket`; returns once paired and first
    /// synced.
    pub fn join(&self, ticket: String) -> Result<(), HearthError> {
        guard(|| {
            let ticket = Ticket::parse(ticket.trim())?;
            self.engine()?.join(&ticket, JOIN_TIMEOUT)?;
            Ok(())
        })
    }

    /// Like [`Engine::invite`], with six digits to show instead of a ticket (no spaces, such
    /// as "305118"; show them as "305 118"). The joining device must be on the same network:
    /// the invitation is announced there over mDNS. One wrong attempt closes it
    /// ([`EngineEvent::PairingFailed`] says so); a code lives at most 10 minutes.
    pub fn invite_code(&self, role: String) -> Result<String, HearthError> {
        guard(|| {
            let role: Role = role.trim().parse()?;
            let code = self.engine()?.invite_code(role, TICKET_TTL)?;
            Ok(code.digits())
        })
    }

    /// Joins the journal of the device on this network that shows `code` (six digits; spaces
    /// are ignored); returns once paired and first synced.
    pub fn join_code(&self, code: String) -> Result<(), HearthError> {
        guard(|| {
            let code: hearth_sync::PairCode = code.parse()?;
            self.engine()?.join_code(code, JOIN_TIMEOUT)?;
            Ok(())
        })
    }

    /// Makes a change as this device's person: any [`Intent`].
    pub fn apply(&self, intent: Intent) -> Result<Applied, HearthError> {
        guard(|| {
            let intent = intent.into_core()?;
            Ok(self.engine()?.apply(&intent)?.into())
        })
    }

    /// Leaves a note of thanks on the wall; `wall_safe`: the home display may show it. Returns
    /// the note's id.
    pub fn add_note(&self, text: String, wall_safe: bool) -> Result<String, HearthError> {
        self.created(Intent::AddNote { text, wall_safe })
    }

    /// Plans a date starting at `when_rfc3339` (such as "2026-12-04T19:00:00+01:00"). Returns
    /// its id.
    pub fn plan_date(&self, title: String, when_rfc3339: String) -> Result<String, HearthError> {
        self.created(Intent::PlanDate {
            plan: NewDatePlan {
                title,
                start: Some(when_rfc3339),
                end: None,
                place: None,
                notes: None,
                tech_free: false,
            },
        })
    }

    /// Checks in for today: mood and closeness, each 1 to 5.
    pub fn check_in(&self, mood: u8, closeness: u8) -> Result<(), HearthError> {
        self.apply(Intent::CheckIn {
            mood,
            closeness,
            note: None,
            day: None,
        })
        .map(|_| ())
    }

    /// The wall: every note of thanks, newest first.
    pub fn wall(&self) -> Result<Vec<Note>, HearthError> {
        self.view(views::wall)
    }

    /// Every date plan, soonest first (ideas for later included, without a start).
    pub fn dates(&self) -> Result<Vec<DatePlan>, HearthError> {
        self.view(views::dates)
    }

    /// The idea deck.
    pub fn ideas(&self) -> Result<Vec<Idea>, HearthError> {
        self.view(views::ideas)
    }

    /// Kindnesses logged, newest first.
    pub fn kindness(&self) -> Result<Vec<KindnessAct>, HearthError> {
        self.view(views::kindness)
    }

    /// Check-ins of the last `days` days, both people's, newest first.
    pub fn check_ins(&self, days: u32) -> Result<Vec<CheckIn>, HearthError> {
        self.view(|j| views::check_ins(j, days))
    }

    /// Listening exchanges, newest first.
    pub fn listening(&self) -> Result<Vec<Listening>, HearthError> {
        self.view(views::listening)
    }

    /// "I" statements: this person's drafts and everything shared.
    pub fn statements(&self) -> Result<Vec<Statement>, HearthError> {
        self.view(views::statements)
    }

    /// Repairs: this person's private hurts and everything shared.
    pub fn repairs(&self) -> Result<Vec<RepairView>, HearthError> {
        self.view(views::repairs)
    }

    /// The open-question deck: the starter questions and the couple's own, with who has
    /// answered (an answer's words only once both have).
    pub fn questions(&self) -> Result<Vec<QuestionView>, HearthError> {
        self.view(views::questions)
    }

    /// Answers a question privately, sealed to this person's own devices (or changes the
    /// answer until both have answered). Returns the answer's id.
    pub fn answer_question(&self, id: String, text: String) -> Result<String, HearthError> {
        self.created(Intent::AnswerQuestion { id, text })
    }

    /// What is in the trash, and until when.
    pub fn trash(&self) -> Result<Vec<Trashed>, HearthError> {
        self.view(views::trash)
    }

    /// The journal's people; `me` marks this device's.
    pub fn people(&self) -> Result<Vec<Person>, HearthError> {
        guard(|| {
            let engine = self.engine()?;
            let me = engine.me();
            Ok(engine.read(|j| views::people(j, me.as_ref())))
        })
    }

    /// Sets up the mailbox whose setup ticket is `ticket` (printed by `hearth mailbox serve`):
    /// the couple is registered with it and every device of the journal learns it by syncing.
    /// From then on the engine hands changes in about a second after writes, on
    /// [`Engine::suspend`], and fetches on [`Engine::resume`], without being asked.
    pub fn mailbox_add(&self, ticket: String) -> Result<(), HearthError> {
        guard(|| {
            let ticket = hearth_sync::MailboxTicket::parse(ticket.trim())?;
            self.engine()?.mailbox_add(&ticket, JOIN_TIMEOUT)?;
            Ok(())
        })
    }

    /// The couple's mailbox as this device knows it; `None` when none is set up. Works while
    /// suspended.
    pub fn mailbox_status(&self) -> Result<Option<MailboxInfo>, HearthError> {
        guard(|| Ok(self.engine()?.mailbox_status().map(views::mailbox)))
    }

    /// Stops using the mailbox (it is asked to forget what it holds for the couple); whether
    /// the mailbox could be told.
    pub fn mailbox_remove(&self) -> Result<bool, HearthError> {
        guard(|| Ok(self.engine()?.mailbox_remove(MAILBOX_PATIENCE)?))
    }

    /// Every device of the journal, with whether it is connected and when it last synced.
    pub fn devices(&self) -> Result<Vec<Device>, HearthError> {
        guard(|| {
            let engine = self.engine()?;
            let statuses = engine.peer_status();
            Ok(engine.read(|j| views::devices(j, &statuses)))
        })
    }

    /// Delivers the engine's events to `listener`, on a thread of the engine's own, until the
    /// engine is gone. Several listeners may be set.
    pub fn set_listener(&self, listener: Arc<dyn EventListener>) -> Result<(), HearthError> {
        guard(|| events::deliver(self.engine()?, &self.stop, listener))
    }

    /// The app goes to the background: stores what is pending, closes every connection and
    /// stops every timer. Until [`Engine::resume`] nothing wakes and nothing is sent; reads and
    /// writes still work (writes go out at the resume).
    pub fn suspend(&self) -> Result<(), HearthError> {
        guard(|| Ok(self.engine()?.suspend()?))
    }

    /// The app is back: reconnects and runs one sync burst with every device it reaches.
    /// Returns how many changes the burst brought.
    pub fn resume(&self) -> Result<u64, HearthError> {
        guard(|| {
            let resumed = self.engine()?.resume()?;
            Ok(u64::try_from(resumed.received).unwrap_or(u64::MAX))
        })
    }

    /// The network changed (another Wi-Fi, mobile data): Android does not tell native code, so
    /// the app calls this from its connectivity callback.
    pub fn network_changed(&self) -> Result<(), HearthError> {
        guard(|| Ok(self.engine()?.network_changed()?))
    }

    /// Stops the engine (bounded, about a second at most); every later call fails with
    /// [`ErrorKind::Closed`]. The profile is let go when the object is freed.
    pub fn shutdown(&self) -> Result<(), HearthError> {
        guard(|| {
            self.stop.close();
            Ok(self.inner.close()?)
        })
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.stop.close();
    }
}

impl Engine {
    fn new(inner: hearth_sync::Engine) -> Engine {
        Engine {
            inner,
            stop: events::Stop::default(),
        }
    }

    /// The engine, unless it was shut down.
    fn engine(&self) -> Result<&hearth_sync::Engine, HearthError> {
        match self.inner.phase() {
            Phase::Closed => Err(hearth_sync::SyncError::Closed.into()),
            _ => Ok(&self.inner),
        }
    }

    /// Reads one view of the journal.
    fn view<T>(&self, build: impl FnOnce(&Journal) -> T) -> Result<T, HearthError> {
        guard(|| Ok(self.engine()?.read(build)))
    }

    fn created(&self, intent: Intent) -> Result<String, HearthError> {
        match self.apply(intent)?.id {
            Some(id) => Ok(id),
            None => Err(HearthError::internal("the change made nothing new")),
        }
    }
}
