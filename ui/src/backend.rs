//! What a command works on: an engine over the profile, opened by this process (offline, or
//! online for the commands that need the network) or the one of the running `hearth serve`
//! (changes reach connected devices at once). Command code is written once against
//! [`Backend`].

use std::sync::Arc;

use anyhow::{Context, Result};
use hearth_core::intent::{Applied, Intent};
use hearth_core::{Id, Journal, JournalError, PartnerId, Profile, Replica};
use hearth_sync::{Engine, EngineConfig, NetConfig, Node, SyncError, endpoint_id_of};

/// The journal a command reads and changes: an [`Engine`], offline (a command that needs no
/// network), online (pairing, sync, change files) or the one a running `hearth serve` holds (a
/// forwarded command).
#[derive(Debug)]
pub(crate) struct Backend {
    engine: Arc<Engine>,
    /// Whether this command opened the engine (and closes it when done).
    owned: bool,
}

impl Backend {
    /// A profile opened here, offline: the engine does not bind.
    pub(crate) fn offline(profile: Profile) -> Result<Backend> {
        let replica = Replica::open(profile).context("could not load the journal")?;
        let engine = Engine::suspended_in(replica, EngineConfig::default())?;
        Ok(Backend {
            engine: Arc::new(engine),
            owned: true,
        })
    }

    /// A profile opened here with its network side (no live connections: a command syncs in
    /// one burst, or pairs, and ends).
    pub(crate) async fn online(profile: Profile, net: NetConfig) -> Result<Backend, SyncError> {
        let replica = Replica::open(profile)?;
        let config = EngineConfig {
            net,
            live: false,
            ..EngineConfig::default()
        };
        Ok(Backend {
            engine: Arc::new(Engine::start_in(replica, config).await?),
            owned: true,
        })
    }

    /// The engine of the process that owns the profile (a forwarded command).
    pub(crate) fn shared(engine: Arc<Engine>) -> Backend {
        Backend {
            engine,
            owned: false,
        }
    }

    /// Closes an engine this command opened: connections closed, a due fold done.
    pub(crate) async fn close(&self) {
        if self.owned
            && let Err(e) = self.engine.close_async().await
        {
            tracing::debug!(error = %e, "the engine did not close cleanly");
        }
    }

    /// The engine underneath.
    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Reads the journal.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Journal) -> T) -> T {
        self.engine.read(f)
    }

    /// Applies a person's change as this device's person, now: on disk when this returns (and,
    /// online, on its way to connected devices). On error nothing is stored.
    pub(crate) fn apply(&mut self, intent: &Intent) -> Result<Applied> {
        self.apply_worded(intent, |e| e)
    }

    /// [`Backend::apply`], with the journal's refusal reworded for this command (a note's
    /// text is "the note" to the person, an appreciation to the journal).
    pub(crate) fn apply_worded(
        &mut self,
        intent: &Intent,
        word: impl FnOnce(JournalError) -> JournalError,
    ) -> Result<Applied> {
        self.engine.apply(intent).map_err(|e| match e {
            SyncError::Store(e) => anyhow::Error::from(e).context("could not save the change"),
            SyncError::Journal(JournalError::DisplayCannot) => anyhow::anyhow!(
                "this is the home display, which belongs to no one; do this from your own device"
            ),
            SyncError::Journal(e) => word(e).into(),
            other => other.into(),
        })
    }

    /// [`Backend::apply`] for an intent that makes an item: its id.
    pub(crate) fn create(&mut self, intent: &Intent) -> Result<Id> {
        created(self.apply(intent)?)
    }

    /// Runs `f` with the profile and the journal together.
    pub(crate) fn with_profile<T>(&mut self, f: impl FnOnce(&mut Profile, &mut Journal) -> T) -> T {
        self.engine.with_profile(f)
    }

    /// The running node, for the commands that need the network.
    pub(crate) fn node(&self) -> Result<Node> {
        self.engine
            .node()
            .context("this command needs the network side of Hearth")
    }

    /// This device's endpoint id.
    pub(crate) fn device_id(&mut self) -> String {
        self.with_profile(|p, _| endpoint_id_of(p.keys().endpoint_secret()))
    }

    /// The partner this device belongs to; `None` on the home display.
    pub(crate) fn me(&mut self) -> Option<PartnerId> {
        self.engine.me()
    }

    /// The partner writing: this device's owner, or on the home display the one named.
    pub(crate) fn author(&mut self, named: Option<&str>) -> Result<PartnerId> {
        if let Some(name) = named {
            let partner = self.read(|j| j.find_partner(name))?;
            if let hearth_core::Acting::Person(owner) = self.read(|j| j.acting())
                && owner != partner.id
            {
                let owner = self.read(|j| crate::show::name(j, &owner));
                anyhow::bail!(
                    "this is {owner}'s device, and what it writes is {owner}'s: --as is for the \
                     home display, where each of you picks your own name"
                );
            }
            return Ok(partner.id);
        }
        self.me().context(
            "this is the home display, which belongs to no one: say who is writing with \
             --as NAME, or write from your own device",
        )
    }

    /// The partner this device belongs to, for steps only a person can take.
    pub(crate) fn person(&mut self) -> Result<PartnerId> {
        self.me().context(
            "this is the home display, which belongs to no one; do this from your own device",
        )
    }
}

/// The new item's id from what applying an intent made.
pub(crate) fn created(applied: Applied) -> Result<Id> {
    match applied {
        Applied::Created(id) => Ok(id),
        other => anyhow::bail!("the change was saved but made no new item ({other:?})"),
    }
}
