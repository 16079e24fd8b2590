//! What a command works on: the profile opened by this process (no network), or the running
//! node of `hearth serve` (changes reach connected devices at once). Command code is written
//! once against [`Backend`].

use anyhow::{Context, Result};
use hearth_core::{Compaction, Journal, JournalError, PartnerId, Profile, Replica, ReplicaError};
use hearth_sync::{Node, endpoint_id_of};

/// A profile opened by this process, with its journal in memory.
#[derive(Debug)]
pub(crate) struct Local {
    replica: Replica,
}

impl Local {
    /// Loads the journal of an open profile.
    pub(crate) fn open(profile: Profile) -> Result<Local> {
        let replica = Replica::open(profile).context("could not load the journal")?;
        Ok(Local { replica })
    }

    /// Reads the journal.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Journal) -> T) -> T {
        f(self.replica.journal())
    }

    /// Changes the journal and stores the change; on error nothing is stored. A command runs
    /// once and exits, so a fold of the store's chunks that fell due is done right after (the
    /// change is already durable; a failed fold is only worth a warning).
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Journal) -> Result<T, JournalError>,
    ) -> Result<T> {
        let (out, commit) = self.replica.write(f).map_err(|e| match e {
            ReplicaError::Journal(e) => anyhow::Error::from(e),
            ReplicaError::Profile(e) => anyhow::Error::from(e),
            ReplicaError::Store(e) => anyhow::Error::from(e).context("could not save the change"),
        })?;
        if commit.fold_due() {
            match self.replica.fold_due() {
                Ok(outcomes) => {
                    for outcome in outcomes {
                        if let Compaction::Failed(e) = outcome {
                            tracing::warn!(error = %e, "folding the store's chunks failed");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not fold the store's chunks"),
            }
        }
        Ok(out)
    }

    /// Gives the profile back (to start a node on it).
    pub(crate) fn into_profile(self) -> Profile {
        self.replica.into_profile()
    }
}

/// The journal a command reads and changes.
#[derive(Debug)]
pub(crate) enum Backend {
    /// Opened here, offline (boxed: a profile is large, a node handle small).
    Local(Box<Local>),
    /// A running node (this process's, or the one serving the profile).
    Live(Node),
}

impl Backend {
    /// A profile opened here, offline.
    pub(crate) fn local(profile: Profile) -> Result<Backend> {
        Ok(Backend::Local(Box::new(Local::open(profile)?)))
    }

    /// Reads the journal.
    pub(crate) fn read<T>(&self, f: impl FnOnce(&Journal) -> T) -> T {
        match self {
            Backend::Local(l) => l.read(f),
            Backend::Live(n) => n.read(f),
        }
    }

    /// Changes the journal; the change is on disk when this returns (and, live, on its way to
    /// connected devices). On error nothing is stored.
    pub(crate) fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Journal) -> Result<T, JournalError>,
    ) -> Result<T> {
        match self {
            Backend::Local(l) => l.write(f),
            Backend::Live(n) => Ok(n.write(f)?),
        }
    }

    /// Runs `f` with the profile and the journal together.
    pub(crate) fn with_profile<T>(&mut self, f: impl FnOnce(&mut Profile, &mut Journal) -> T) -> T {
        match self {
            Backend::Local(l) => {
                let (profile, journal) = l.replica.parts_mut();
                f(profile, journal)
            }
            Backend::Live(n) => n.with_profile(f),
        }
    }

    /// The running node, for the commands that need the network.
    pub(crate) fn node(&self) -> Result<&Node> {
        match self {
            Backend::Live(n) => Ok(n),
            Backend::Local(_) => anyhow::bail!("this command needs the network side of Hearth"),
        }
    }

    /// This device's endpoint id.
    pub(crate) fn device_id(&mut self) -> String {
        self.with_profile(|p, _| endpoint_id_of(p.keys().endpoint_secret()))
    }

    /// The partner this device belongs to; `None` on the home display.
    pub(crate) fn me(&mut self) -> Option<PartnerId> {
        match self.read(|j| j.acting()) {
            hearth_core::Acting::Person(p) => Some(p),
            _ => None,
        }
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
