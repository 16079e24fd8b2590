//! How each command runs, decided in one place: whether it needs a profile, whether it opens
//! the network, whether it may open a profile it cannot write, which passphrase it asks for,
//! and whether the process holding the profile may carry it out for another. The match below
//! names every command, so a new one cannot be added without saying how it runs.

use std::net::SocketAddr;

use anyhow::Result;
use hearth_sync::{NetConfig, Relays};

use crate::cli::{
    Command, IStatementCommand, IdeaCommand, KindnessCommand, ListenCommand, MailboxCommand,
    NetArgs, OnOffArg, PairCommand, PassphraseCommand, QuestionCommand, RepairCommand, RestoreArgs,
    TrashCommand,
};

/// What a command works on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Runs<'a> {
    /// Nothing of a profile that exists: the demo, the coach, packaging files, making a profile
    /// (`init`, `restore` into a new one).
    Alone,
    /// The window on this thread (the app or the kiosk), which holds the profile and carries
    /// out other processes' commands for it.
    Window {
        /// The home display's full-screen kiosk, not the app.
        kiosk: bool,
        /// Network flags, if the command gave any.
        net: Option<(&'a NetArgs, bool)>,
    },
    /// `serve`: holds the profile headless.
    Serves,
    /// The journal, offline.
    Offline,
    /// The journal with its network side, for one burst (pairing, sync, change files).
    Online(Net<'a>),
}

/// The network a command opens.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Net<'a> {
    /// Reaches devices: the command's `--bind` and `--relay`.
    Reach(&'a NetArgs),
    /// Carries change files only: binds where asked and never publishes its addresses, so a
    /// short-lived socket does not replace the real ones in the journal.
    Files(Option<SocketAddr>),
}

impl Net<'_> {
    /// The settings for the engine.
    pub(crate) fn config(self) -> Result<NetConfig> {
        match self {
            Net::Reach(a) => net_config(a, false),
            Net::Files(bind) => {
                let mut config = NetConfig {
                    publish_addrs: false,
                    ..NetConfig::default()
                };
                if let Some(bind) = bind {
                    config.bind = bind;
                }
                Ok(config)
            }
        }
    }
}

/// A passphrase a command asks for itself (not the key file's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Asks {
    /// The backup's.
    Backup,
    /// A new one for this device's keys.
    Keys,
}

impl Asks {
    /// What the prompt says it is for.
    pub(crate) fn what(self) -> &'static str {
        match self {
            Asks::Backup => "the backup",
            Asks::Keys => "this device's keys",
        }
    }
}

/// How one command runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Plan<'a> {
    /// What it works on.
    pub(crate) runs: Runs<'a>,
    /// Only reads the profile, so it may open one where nothing can be written (a full disk).
    pub(crate) reads_only: bool,
    /// A passphrase of its own, asked once before it runs here or is handed over.
    pub(crate) asks: Option<Asks>,
    /// Hands over or changes what a sealed key file protects (a backup, an export, the
    /// passphrase, an invitation that could pair one of this person's own devices): the
    /// process holding the profile carries it out only for a client that knows the key's
    /// passphrase.
    pub(crate) key_proof: bool,
    /// Whether the process holding the profile may carry it out for another, and if not why.
    pub(crate) forward: Result<(), &'static str>,
}

impl<'a> Plan<'a> {
    const fn reads(runs: Runs<'a>) -> Plan<'a> {
        Plan {
            runs,
            reads_only: true,
            asks: None,
            key_proof: false,
            forward: Ok(()),
        }
    }

    const fn writes(runs: Runs<'a>) -> Plan<'a> {
        Plan {
            reads_only: false,
            ..Plan::reads(runs)
        }
    }

    const fn asking(self, asks: Asks) -> Plan<'a> {
        Plan {
            asks: Some(asks),
            ..self
        }
    }

    const fn proven(self) -> Plan<'a> {
        Plan {
            key_proof: true,
            ..self
        }
    }

    const fn here_only(self, why: &'static str) -> Plan<'a> {
        Plan {
            forward: Err(why),
            ..self
        }
    }
}

impl Command {
    /// How this command runs.
    pub(crate) fn plan(&self) -> Plan<'_> {
        use Runs::{Alone, Offline, Online, Serves};
        let reads = || Plan::reads(Offline);
        let writes = || Plan::writes(Offline);
        match self {
            Command::Init(_) => {
                Plan::writes(Alone).here_only("init makes a new profile; this one exists already")
            }
            Command::Restore(RestoreArgs { merge: false, .. }) => Plan::writes(Alone).here_only(
                "a backup can be restored into this profile only while nothing else has it \
                 open; stop `hearth serve` (or the app) first",
            ),
            Command::Restore(_) => writes().here_only(
                "a backup can be restored into this profile only while nothing else has it \
                 open; stop `hearth serve` (or the app) first",
            ),
            Command::Coach(_) | Command::Demo | Command::PackageFiles(_) => Plan::reads(Alone),
            Command::App(a) => Plan::writes(Runs::Window {
                kiosk: false,
                net: Some((&a.net, a.mdns == OnOffArg::On)),
            }),
            Command::Kiosk(a) => Plan::writes(Runs::Window {
                kiosk: true,
                net: Some((&a.net, a.mdns == OnOffArg::On)),
            }),
            Command::Serve(_) => {
                Plan::writes(Serves).here_only("this profile is already being served")
            }
            Command::Pair(PairCommand::Invite(a)) => {
                Plan::writes(Online(Net::Reach(&a.net))).proven()
            }
            Command::Pair(PairCommand::Join(a)) => Plan::writes(Online(Net::Reach(&a.net))),
            Command::Sync(a) => Plan::writes(Online(Net::Reach(&a.net))),
            Command::Mailbox(MailboxCommand::Serve(_)) => Plan::reads(Alone),
            Command::Mailbox(MailboxCommand::Add(a)) => Plan::writes(Online(Net::Reach(&a.net))),
            Command::Mailbox(MailboxCommand::Remove(a)) => Plan::writes(Online(Net::Reach(&a.net))),
            Command::Mailbox(MailboxCommand::Status) => reads(),
            Command::ExportChanges(a) => Plan::writes(Online(Net::Files(a.bind))),
            Command::Import(a) => Plan::writes(Online(Net::Files(a.bind))),
            Command::Backup(_) => reads().asking(Asks::Backup).proven(),
            Command::Export(_) => reads().proven(),
            Command::Passphrase(PassphraseCommand::Set) => writes().asking(Asks::Keys).proven(),
            Command::Passphrase(_) => writes().proven(),
            Command::Wall(_)
            | Command::Dates(_)
            | Command::Ideas(_)
            | Command::Idea(IdeaCommand::List(_))
            | Command::Kindness(KindnessCommand::List | KindnessCommand::Buckets)
            | Command::Checkins(_)
            | Command::Week
            | Command::Listen(ListenCommand::List)
            | Command::Question(QuestionCommand::Next | QuestionCommand::List(_))
            | Command::IStatement(IStatementCommand::List)
            | Command::Repair(RepairCommand::List)
            | Command::Trash(TrashCommand::List)
            | Command::Devices
            | Command::Search(_)
            | Command::Status => reads(),
            Command::Note(_)
            | Command::React(_)
            | Command::WallSafe(_)
            | Command::Date(_)
            | Command::Idea(_)
            | Command::Kindness(_)
            | Command::Checkin(_)
            | Command::Listen(_)
            | Command::Question(_)
            | Command::IStatement(_)
            | Command::Repair(_)
            | Command::Edit(_)
            | Command::Delete(_)
            | Command::Trash(_)
            | Command::Revoke(_) => writes(),
        }
    }
}

/// The engine's network settings from a command's flags.
pub(crate) fn net_config(a: &NetArgs, mdns: bool) -> Result<NetConfig> {
    let relays: Relays = a.relay.parse()?;
    let mut config = NetConfig {
        relays,
        mdns,
        ..NetConfig::default()
    };
    if let Some(bind) = a.bind {
        config.bind = bind;
    }
    Ok(config)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::Cli;

    fn plan_of(args: &[&str]) -> (bool, Option<Asks>, bool, bool, &'static str) {
        let cli = Cli::try_parse_from(std::iter::once("hearth").chain(args.iter().copied()))
            .expect("the test's command line parses");
        let command = cli.command.expect("a command");
        let plan = command.plan();
        let runs = match plan.runs {
            Runs::Alone => "alone",
            Runs::Window { .. } => "window",
            Runs::Serves => "serves",
            Runs::Offline => "offline",
            Runs::Online(_) => "online",
        };
        (
            plan.reads_only,
            plan.asks,
            plan.key_proof,
            plan.forward.is_ok(),
            runs,
        )
    }

    #[test]
    fn every_kind_of_command_has_its_plan() {
        assert_eq!(plan_of(&["wall"]), (true, None, false, true, "offline"));
        assert_eq!(
            plan_of(&["note", "hi"]),
            (false, None, false, true, "offline")
        );
        assert_eq!(
            plan_of(&["backup", "--out", "b.age"]),
            (true, Some(Asks::Backup), true, true, "offline")
        );
        assert_eq!(
            plan_of(&["passphrase", "set"]),
            (false, Some(Asks::Keys), true, true, "offline")
        );
        assert_eq!(
            plan_of(&["pair", "invite"]),
            (false, None, true, true, "online")
        );
        assert_eq!(plan_of(&["sync"]), (false, None, false, true, "online"));
        assert_eq!(plan_of(&["serve"]), (false, None, false, false, "serves"));
        assert_eq!(
            plan_of(&["init", "--name", "Ana"]),
            (false, None, false, false, "alone")
        );
        assert_eq!(plan_of(&["demo"]), (true, None, false, true, "alone"));
        assert_eq!(plan_of(&["kiosk"]).4, "window");
    }

    #[test]
    fn change_files_never_publish_a_short_lived_address() {
        let config = Net::Files(None).config().unwrap();
        assert!(!config.publish_addrs);
        assert!(NetConfig::default().publish_addrs);
    }
}
