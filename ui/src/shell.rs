//! The shell around the commands: it reads the clock, the environment and the terminal, opens
//! the profile (or hands the command to the process that holds it), and maps the outcome to an
//! exit code: 0 success, 1 failure (`error: ...` on stderr), 2 a usage mistake (clap).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use clap::{CommandFactory, Parser};
use hearth_core::keys::{KeyError, KeySealing};
use hearth_core::{Holder, LOCK_PATIENCE, OpenOptions, Profile, ProfileError, Replica};
use hearth_sync::{Engine, EngineConfig, Setup, SyncError, init_device};
use serde::Serialize;
use tokio::sync::watch;

use crate::backend::Backend;
use crate::cli::{Cli, Command, InitArgs, OnOffArg, ServeArgs};
use crate::commands::{self, Ctx};
use crate::demo;
use crate::io::{self, Io};
use crate::owner::{self, Owner};
use crate::plan::{self, Plan, Runs};
use crate::show;

/// Runs the command line (or, with no command, the app) and returns the exit code.
pub(crate) fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    init_tracing();
    // The window (the app, or the home display's kiosk) runs on this thread: the UI's event
    // loop needs the main thread.
    let window = match cli.command.as_ref().map(Command::plan) {
        None => Some((false, None)),
        Some(Plan {
            runs: Runs::Window { kiosk, net },
            ..
        }) => Some((kiosk, net)),
        Some(_) => None,
    };
    if let Some((kiosk, net)) = window {
        let passphrase = io::passphrase_from_env().map(|p| p.secret());
        let net = match net
            .map(|(net, mdns)| plan::net_config(net, mdns))
            .transpose()
        {
            Ok(net) => net.unwrap_or_default(),
            Err(e) => return failed(&e),
        };
        let serve = serve_commands();
        let outcome = if kiosk {
            hearth_ui::run_kiosk(cli.profile.clone(), passphrase, net, Some(serve))
        } else {
            hearth_ui::run_app(cli.profile.clone(), passphrase, net, Some(serve))
        };
        return match outcome {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => failed(&e),
        };
    }
    let Some(command) = &cli.command else {
        return ExitCode::SUCCESS;
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return ExitCode::from(1);
        }
    };
    let outcome = runtime.block_on(run(&cli, command));
    // Background tasks (a closing connection) must not keep the process alive.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) => failed(&e),
    }
}

/// Prints an error on stderr (names in it may come from peers: made safe for a terminal) and
/// gives the exit code for a failure.
fn failed(e: &anyhow::Error) -> ExitCode {
    eprintln!("error: {}", io::for_terminal(&crate::show::error_chain(e)));
    if let Some(advice) = crate::show::advice(e) {
        eprintln!("hint: {advice}");
    }
    ExitCode::from(1)
}

/// Logs go to stderr, filtered by RUST_LOG. What Hearth logs never holds a command's arguments,
/// a ticket or journal text (a forwarded command is logged by its name only), so even
/// `RUST_LOG=trace` output can be shared when asking for help.
fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("error,hearth=warn,hearth_ui=warn,hearth_sync=warn,hearth_core=warn")
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The profile directory: --profile, HEARTH_PROFILE, or the platform default; made absolute so
/// the owner socket and messages name one place.
fn profile_dir(cli: &Cli) -> Result<PathBuf> {
    let dir = match &cli.profile {
        Some(dir) => dir.clone(),
        None => Profile::default_dir()?,
    };
    std::path::absolute(&dir).with_context(|| format!("could not resolve {}", dir.display()))
}

async fn run(cli: &Cli, command: &Command) -> Result<u8> {
    let io = Io::direct(cli.json);
    let cwd = std::env::current_dir().context("could not read the current directory")?;
    let plan = command.plan();
    if let Runs::Alone = plan.runs {
        match command {
            Command::Demo => return demo::run(&io).await.map(|()| 0),
            Command::PackageFiles(a) => return package_files(&a.dir).map(|()| 0),
            Command::Coach(a) => return commands::coach(&io, a).map(|()| 0),
            Command::Mailbox(crate::cli::MailboxCommand::Serve(a)) => {
                return commands::mailbox_serve(a, &io, &cwd, interrupted())
                    .await
                    .map(|()| 0);
            }
            Command::Init(a) => return init(&profile_dir(cli)?, a, &io).map(|()| 0),
            Command::Restore(a) => {
                return commands::restore_new(&profile_dir(cli)?, a, &io, &cwd).map(|()| 0);
            }
            _ => anyhow::bail!("this command needs a profile"),
        }
    }
    let dir = profile_dir(cli)?;
    let options = open_options(&plan);
    // Opening may wait for another process to let go of the profile: off the runtime's threads.
    let profile = match tokio::task::block_in_place(|| open(&dir, &options, &io)) {
        Ok(profile) => profile,
        Err(Opened::Locked(pid)) => return forward(&dir, pid, &plan).await,
        Err(Opened::Failed(e)) => return Err(e),
    };
    tell_permission_fixes(&profile, &io);
    let passphrase = command_passphrase(&plan)?;
    let backend = match plan.runs {
        Runs::Serves => {
            let Command::Serve(a) = command else {
                anyhow::bail!("only `serve` serves");
            };
            return serve(profile, a, &io).await.map(|()| 0);
        }
        Runs::Online(net) => Backend::online(profile, net.config()?)
            .await
            .map_err(networking)?,
        Runs::Offline | Runs::Alone | Runs::Window { .. } => Backend::offline(profile)?,
    };
    let mut ctx = Ctx {
        backend,
        io,
        cwd,
        passphrase,
        served: false,
    };
    let outcome = tokio::select! {
        r = commands::run(command, &mut ctx) => r,
        _ = interrupted() => Err(anyhow!("interrupted; what was done so far is saved")),
    };
    ctx.backend.close().await;
    outcome.map(|()| 0)
}

/// While the app or the kiosk has the profile open, other `hearth` commands for it are carried
/// out by the window's engine, as `hearth serve` does: the command socket is served until the
/// window closes.
fn serve_commands() -> hearth_ui::app::EngineTask {
    Arc::new(|engine: Arc<Engine>| {
        Box::pin(async move {
            let dir = engine.with_profile(|p, _| p.dir().to_owned());
            let owner = match Owner::bind(&dir) {
                Ok(owner) => owner,
                Err(e) => {
                    tracing::warn!(error = %e, "other commands cannot reach this window");
                    return;
                }
            };
            // Never stopped from here: the window's worker drops this task when it closes.
            let (_stop, stop) = watch::channel(false);
            owner.run(engine, stop).await;
        })
    })
}

/// The passphrase a command needs (a backup's, or one to seal this device's keys), asked once
/// here whether the command runs in this process or is handed to the one holding the profile.
fn command_passphrase(plan: &Plan<'_>) -> Result<Option<io::Passphrase>> {
    plan.asks
        .map(|asks| io::ask_passphrase(asks.what(), true))
        .transpose()
}

/// Hands the command to the process that holds the profile. A command that hands over or
/// changes what a sealed key protects ([`Plan::key_proof`]) goes with the key's passphrase,
/// which the owner checks against the key file: holding the socket is not enough.
async fn forward(dir: &Path, pid: Option<u32>, plan: &Plan<'_>) -> Result<u8> {
    if let Err(why) = plan.forward {
        let task = Profile::holder(dir)
            .and_then(|h| h.task)
            .unwrap_or_else(|| "another Hearth process".to_owned());
        anyhow::bail!(
            "{why} (the profile at {} is held by {task}{})",
            dir.display(),
            pid.map(|p| format!(", pid {p}")).unwrap_or_default()
        );
    }
    // Asked first, as when this process opens the profile itself. A key file that cannot be
    // read is left to the owner to report.
    let key_passphrase = if plan.key_proof && Profile::needs_passphrase(dir).unwrap_or(false) {
        Some(io::ask_passphrase("this device's keys", false).context(
            "the running hearth carries out this command only with this device's passphrase",
        )?)
    } else {
        None
    };
    let passphrase = command_passphrase(plan)?;
    let argv = std::env::args_os()
        .map(|a| {
            a.into_string().map_err(|_| {
                anyhow!("arguments must be valid UTF-8 to hand them to the running hearth")
            })
        })
        .collect::<Result<Vec<String>>>()?;
    owner::forward(dir, pid, argv, passphrase.as_ref(), key_passphrase.as_ref()).await
}

enum Opened {
    Locked(Option<u32>),
    Failed(anyhow::Error),
}

/// How a command opens the profile. A command that runs once waits a few seconds for another
/// such command to finish ([`hearth_core::LOCK_PATIENCE`]); `serve` waits as long as one runs
/// (a service manager starts it whenever it likes); one that only reads opens even where the
/// lock file cannot be written (a full disk).
fn open_options(plan: &Plan<'_>) -> OpenOptions {
    let name = Cli::command()
        .try_get_matches_from(std::env::args_os())
        .map(|m| owner::command_name(&m))
        .unwrap_or_default();
    let serve = matches!(plan.runs, Runs::Serves);
    OpenOptions {
        task: if name.is_empty() {
            "hearth".to_owned()
        } else {
            format!("hearth {name}")
        },
        stays: serve,
        patience: if serve { None } else { Some(LOCK_PATIENCE) },
        read_only: plan.reads_only,
    }
}

/// Says once, on stderr, which permissions were narrowed when the profile was opened.
fn tell_permission_fixes(profile: &Profile, io: &Io) {
    for fix in profile.permission_fixes() {
        let what = if fix.path == profile.dir() {
            format!("the profile directory {}", fix.path.display())
        } else {
            fix.path.display().to_string()
        };
        match fix.now {
            Some(now) => io.note(format!(
                "note: {what} could be read by other users (mode {:04o}); it is now owner-only \
                 ({now:04o})",
                fix.was
            )),
            None => io.note(format!(
                "warning: {what} can be read by other users (mode {:04o}) and its mode could not \
                 be changed; make it owner-only (chmod go-rwx)",
                fix.was
            )),
        }
    }
}

/// Opens the profile, asking for the key file's passphrase on a terminal when it is sealed and
/// HEARTH_PASSPHRASE is not set.
fn open(dir: &Path, options: &OpenOptions, out: &Io) -> Result<Profile, Opened> {
    let from_env = io::passphrase_from_env().map(|p| p.secret());
    let failed = |e: ProfileError| match e {
        ProfileError::Locked { pid, .. } => Opened::Locked(pid),
        e @ ProfileError::Busy { .. } => Opened::Failed(anyhow!(
            "{e}; nothing was changed, try again once it has finished"
        )),
        e @ ProfileError::Store(hearth_core::StoreError::Damaged { .. }) => {
            Opened::Failed(anyhow!(
                "{e}. The way out: put your latest backup in its place with `hearth restore \
                 BACKUP --replace` (the damaged profile is kept beside it, untouched), or \
                 restore it into a new directory with `hearth --profile NEWDIR restore BACKUP`; \
                 then pair again from one of your devices"
            ))
        }
        other => Opened::Failed(anyhow!(other)),
    };
    let waiting = |holder: &Holder| {
        // Only `serve` waits without end, so only it says so; a command waits a few seconds.
        if options.patience.is_none() {
            out.note(format!(
                "Waiting for {}{} to finish with this profile...",
                holder.task.as_deref().unwrap_or("another Hearth process"),
                holder
                    .pid
                    .map(|p| format!(" (pid {p})"))
                    .unwrap_or_default()
            ));
        }
    };
    let open = |passphrase: Option<&hearth_core::keys::SecretString>| {
        Profile::open_with(dir, passphrase, options, waiting)
    };
    match open(from_env.as_ref()) {
        Ok(p) => Ok(p),
        Err(ProfileError::Keys(KeyError::PassphraseRequired { .. }))
            if std::io::IsTerminal::is_terminal(&std::io::stdin()) =>
        {
            let typed = io::ask_passphrase("this device's keys", false)
                .map_err(Opened::Failed)?
                .secret();
            open(Some(&typed)).map_err(failed)
        }
        Err(ProfileError::Keys(KeyError::PassphraseRequired { .. }))
            if io::passphrase_env_is_empty() =>
        {
            Err(Opened::Failed(anyhow!(io::empty_env_message(
                "this device's keys"
            ))))
        }
        Err(e) => Err(failed(e)),
    }
}

/// A node that did not start, in words: a failed bind names the address and says why itself.
fn networking(e: SyncError) -> anyhow::Error {
    match e {
        e @ SyncError::Bind { .. } => anyhow!(e),
        other => anyhow!(other).context("could not start networking"),
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn interrupted() {
    use tokio::signal::unix::{SignalKind, signal};
    let term = async {
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

#[derive(Debug, Serialize)]
struct InitOut<'a> {
    profile: &'a Path,
    device_name: &'a str,
    endpoint_id: String,
    partner: Option<hearth_core::Partner>,
    display: bool,
}

fn init(dir: &Path, a: &InitArgs, io: &Io) -> Result<()> {
    let passphrase = if a.passphrase {
        Some(io::ask_passphrase("this device's keys", true)?.secret())
    } else {
        None
    };
    let sealing = KeySealing {
        work_factor: io::work_factor()?,
    };
    let setup = if a.display {
        Setup::Display
    } else {
        Setup::Person
    };
    let profile = init_device(dir, &a.name, setup, passphrase.as_ref(), sealing)
        .with_context(|| format!("could not set up {}", dir.display()))?;
    let mut backend = Backend::offline(profile)?;
    let me = backend.me();
    let partner = me.and_then(|p| backend.read(|j| j.partner(&p)));
    let device_name = backend.with_profile(|p, _| p.config().device_name.clone());
    if io.json {
        return io.emit_json(&InitOut {
            profile: dir,
            device_name: &device_name,
            endpoint_id: backend.device_id(),
            partner,
            display: a.display,
        });
    }
    let device_name = show::safe(&device_name);
    match &partner {
        Some(p) => io.line(format!(
            "Welcome, {}. This device (\"{device_name}\") is ready; its journal lives in {}.",
            show::safe(&p.name),
            dir.display()
        )),
        None => io.line(format!(
            "\"{device_name}\" is set up as the home display; its journal lives in {}.",
            dir.display()
        )),
    }
    io.line(if a.display {
        "Next: on a partner's device run `hearth pair invite --for display`, then here \
         `hearth pair join TICKET`."
    } else {
        "Next: run `hearth pair invite` here and `hearth pair join TICKET` on your partner's \
         device, or leave your first note: hearth note \"...\""
    });
    Ok(())
}

#[derive(Debug, Serialize)]
struct Serving<'a> {
    serving: ServingInfo<'a>,
}

#[derive(Debug, Serialize)]
struct ServingInfo<'a> {
    profile: &'a Path,
    endpoint_id: String,
    addrs: Vec<std::net::SocketAddr>,
    socket: PathBuf,
}

/// `hearth serve`: the profile's owner until a signal ends it.
async fn serve(profile: Profile, a: &ServeArgs, io: &Io) -> Result<()> {
    let dir = profile.dir().to_owned();
    // Open the socket first: commands sent while the node starts wait in its queue.
    let owner = Owner::bind(&dir)?;
    let net = plan::net_config(&a.net, a.mdns == OnOffArg::On)?;
    let replica = Replica::open(profile).context("could not load the journal")?;
    let config = EngineConfig {
        net,
        live: true,
        ..EngineConfig::default()
    };
    let engine = Arc::new(
        Engine::start_in(replica, config)
            .await
            .map_err(networking)?,
    );
    let node = engine.node().context("the network side did not start")?;
    let addrs = node.bound_sockets();
    if io.json {
        io.emit_json_line(&Serving {
            serving: ServingInfo {
                profile: &dir,
                endpoint_id: node.id().to_string(),
                addrs: addrs.clone(),
                socket: owner::socket_path(&dir),
            },
        })?;
    } else {
        let (name, others) = node.read(|j| {
            let me = node.id().to_string();
            // Device names come from the journal, which peers write: made safe to print.
            let name = j
                .device(&me)
                .map(|d| show::safe(&d.name).into_owned())
                .unwrap_or_default();
            let others: Vec<String> = j
                .devices()
                .into_iter()
                .filter(|d| d.endpoint_id != me && d.is_member())
                .map(|d| show::safe(&d.name).into_owned())
                .collect();
            (name, others)
        });
        let listening: Vec<String> = addrs.iter().map(|a| a.to_string()).collect();
        io.line(format!(
            "Serving \"{name}\" on {}. {}",
            listening.join(", "),
            if others.is_empty() {
                "No other device is paired yet.".to_owned()
            } else {
                format!("Keeping in sync with {}.", others.join(", "))
            }
        ));
        io.line("Other hearth commands for this profile are carried out here. Stop with Ctrl-C.");
    }
    let (stop_tx, stop_rx) = watch::channel(false);
    drop(node);
    let accepting = tokio::spawn(owner.run(Arc::clone(&engine), stop_rx));
    interrupted().await;
    let _ = stop_tx.send(true);
    let _ = accepting.await;
    // Give the profile back in order (store closed, then the lock released) once the node's
    // tasks have let go; the lock goes with the process in any case.
    if let Err(e) = engine.close_async().await {
        tracing::debug!(error = %e, "the node still had tasks running at exit");
    }
    if !io.json {
        io.note(format!("Stopped serving {}.", dir.display()));
    }
    Ok(())
}

/// The manual pages (one per command, from the same definitions `--help` prints) and the bash,
/// zsh and fish completions, for the packages.
fn package_files(dir: &Path) -> Result<()> {
    let man = dir.join("man");
    let completions = dir.join("completions");
    for d in [&man, &completions] {
        std::fs::create_dir_all(d).with_context(|| format!("could not create {}", d.display()))?;
    }
    let cmd = Cli::command();
    clap_mangen::generate_to(cmd.clone(), &man)
        .with_context(|| format!("could not write the manual pages into {}", man.display()))?;
    for shell in [
        clap_complete::Shell::Bash,
        clap_complete::Shell::Zsh,
        clap_complete::Shell::Fish,
    ] {
        clap_complete::generate_to(shell, &mut cmd.clone(), "hearth", &completions).with_context(
            || {
                format!(
                    "could not write the {shell} completions into {}",
                    completions.display()
                )
            },
        )?;
    }
    Ok(())
}
