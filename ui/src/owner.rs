//! One owner per profile. While `hearth serve` holds a profile, it listens on a Unix socket in
//! the profile directory (`hearth.sock`, owner-only `0600`, in the owner-only profile
//! directory). Another `hearth` process that finds the profile locked sends its command line
//! there instead of opening the store; the owner runs the same command function against its
//! live engine and streams the output back, so the command prints and exits as if it had run
//! directly.
//!
//! The protocol is JSON lines. The client sends one [`Request`]; the owner answers with
//! [`Frame`]s: `{"out": ...}` and `{"err": ...}` as the command prints, then `{"exit": N}`.
//! When the client goes away (Ctrl-C), the owner stops the command.
//!
//! Any process of the same user can reach the socket, so it does not stand in for the key's
//! passphrase: a command that hands over or changes what a sealed key protects (a backup, an
//! export, setting or removing the passphrase: `Plan::key_proof`) runs only when the request
//! carries the passphrase that opens the key file and that file holds the keys this process
//! runs with. The owner logs a forwarded command by its name only ("note", "pair join"), never
//! its arguments: they hold journal text and tickets.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use hearth_core::Profile;
use hearth_core::keys::{DeviceKeys, SecretString};
use hearth_sync::Engine;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::backend::Backend;
use crate::cli::Cli;
use crate::commands::{self, Ctx};
use crate::io::{Frame, Io, Passphrase};

/// The socket's name in the profile directory.
pub(crate) const SOCKET_FILE: &str = "hearth.sock";
/// The protocol version in every request.
const VERSION: u32 = 2;
/// The longest request line accepted.
const MAX_REQUEST: u64 = 1 << 20;
/// How long a client waits for a starting owner to open its socket.
const CONNECT_PATIENCE: Duration = Duration::from_secs(3);

/// A command handed to the owner.
#[derive(Debug, Serialize, Deserialize)]
struct Request {
    version: u32,
    /// The command line, program name first, exactly as the user typed it.
    argv: Vec<String>,
    /// The client's working directory, for relative paths.
    cwd: PathBuf,
    /// Whether the client's stdout is a terminal.
    stdout_tty: bool,
    /// A passphrase the client collected for the command (backup, passphrase set).
    passphrase: Option<String>,
    /// The passphrase of this device's sealed key file, for the commands that need it
    /// (`Plan::key_proof`).
    #[serde(default)]
    key_passphrase: Option<String>,
}

/// A command's name as clap knows it, subcommands included ("note", "pair join"); never its
/// arguments.
pub(crate) fn command_name(matches: &ArgMatches) -> String {
    let mut words = Vec::new();
    let mut at = matches;
    while let Some((name, sub)) = at.subcommand() {
        words.push(name);
        at = sub;
    }
    words.join(" ")
}

/// Checks that `passphrase` opens the profile's key file and that the file holds the keys this
/// process runs with. A key file without a passphrase needs none (it protects nothing a process
/// of this user could not read), but it too must hold these keys: a file put in its place does
/// not count.
async fn check_key_proof(engine: &Engine, passphrase: Option<String>) -> Result<()> {
    let (path, held) =
        engine.with_profile(|p, _| (p.dir().join(Profile::KEY_FILE), p.keys().clone()));
    // scrypt takes a while: off the runtime's threads, and without holding the profile.
    tokio::task::spawn_blocking(move || {
        let passphrase = passphrase.map(SecretString::from);
        let on_disk = DeviceKeys::read(&path, passphrase.as_ref())?;
        if !same_keys(&on_disk, &held) {
            anyhow::bail!(
                "the key file at {} no longer holds the keys this device runs with; stop `hearth \
                 serve` and open the profile again",
                path.display()
            );
        }
        Ok(())
    })
    .await
    .context("the passphrase check stopped unexpectedly")?
}

/// Whether two sets of keys are the same, comparing the secret parts in constant time.
fn same_keys(a: &DeviceKeys, b: &DeviceKeys) -> bool {
    let bytes = |k: &DeviceKeys| {
        let mut all = k.endpoint_secret().to_vec();
        all.extend_from_slice(&k.actor_id());
        all.extend_from_slice(k.recipient_string().as_bytes());
        all
    };
    constant_time_eq(&bytes(a), &bytes(b))
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// The socket's path for a profile.
pub(crate) fn socket_path(dir: &Path) -> PathBuf {
    dir.join(SOCKET_FILE)
}

/// Hands a command to the process that owns the profile and relays its output. Returns the
/// command's exit code.
pub(crate) async fn forward(
    dir: &Path,
    pid: Option<u32>,
    argv: Vec<String>,
    passphrase: Option<&Passphrase>,
    key_passphrase: Option<&Passphrase>,
) -> Result<u8> {
    let path = socket_path(dir);
    let started = Instant::now();
    let stream = loop {
        match UnixStream::connect(&path).await {
            Ok(s) => break s,
            Err(_) if started.elapsed() < CONNECT_PATIENCE => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(_) => anyhow::bail!(
                "the profile at {} is in use by another Hearth process{}{} that does not take \
                 commands from others; close it first (`hearth serve` carries out other \
                 commands while it runs, the app does not)",
                dir.display(),
                Profile::holder(dir)
                    .and_then(|h| h.task)
                    .map(|t| format!(", {t}"))
                    .unwrap_or_default(),
                pid.map(|p| format!(" (pid {p})")).unwrap_or_default()
            ),
        }
    };
    let request = Request {
        version: VERSION,
        argv,
        cwd: std::env::current_dir().context("could not read the current directory")?,
        stdout_tty: std::io::IsTerminal::is_terminal(&std::io::stdout()),
        passphrase: passphrase.map(|p| p.text().to_owned()),
        key_passphrase: key_passphrase.map(|p| p.text().to_owned()),
    };
    let (read, mut write) = stream.into_split();
    let mut line = serde_json::to_vec(&request).context("could not encode the command")?;
    line.push(b'\n');
    write
        .write_all(&line)
        .await
        .context("could not hand the command to the running hearth")?;
    let io = Io::direct(false);
    let mut lines = BufReader::new(read).lines();
    while let Some(line) = lines
        .next_line()
        .await
        .context("lost the connection to the running hearth")?
    {
        let frame: Frame = serde_json::from_str(&line)
            .context("the running hearth sent something this version does not understand")?;
        match frame {
            Frame::Out(text) => io.write_out(text),
            Frame::Err(text) => {
                let text = text.strip_suffix('\n').unwrap_or(&text);
                io.note(text);
            }
            Frame::Exit(code) => return Ok(code),
        }
    }
    anyhow::bail!("the running hearth stopped before it finished the command; try it again")
}

/// The listening side, while `hearth serve` runs. The socket file is removed when it drops.
#[derive(Debug)]
pub(crate) struct Owner {
    listener: UnixListener,
    path: PathBuf,
    uid: u32,
}

impl Owner {
    /// Opens the socket in a profile this process holds. A socket file left by an owner that
    /// died is stale (this process has the lock now) and is replaced.
    pub(crate) fn bind(dir: &Path) -> Result<Owner> {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let path = socket_path(dir);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("could not remove the stale {}", path.display()));
            }
        }
        let listener = UnixListener::bind(&path).with_context(|| {
            format!(
                "could not open the command socket {} (a profile path must stay under about 100 \
                 characters for it)",
                path.display()
            )
        })?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("could not restrict {}", path.display()))?;
        let uid = std::fs::metadata(&path)
            .with_context(|| format!("could not read {}", path.display()))?
            .uid();
        Ok(Owner {
            listener,
            path,
            uid,
        })
    }

    /// Accepts commands until `stop` turns true, then ends every command still running.
    pub(crate) async fn run(self, engine: Arc<Engine>, mut stop: watch::Receiver<bool>) {
        let mut tasks = JoinSet::new();
        loop {
            tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        tasks.spawn(handle(stream, Arc::clone(&engine), self.uid));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "could not accept a command");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                _ = stop.changed() => break,
            }
        }
        tasks.shutdown().await;
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

async fn send(write: &mut tokio::net::unix::OwnedWriteHalf, frame: &Frame) -> Result<()> {
    let mut line = serde_json::to_vec(frame)?;
    line.push(b'\n');
    write.write_all(&line).await?;
    Ok(())
}

async fn handle(stream: UnixStream, engine: Arc<Engine>, uid: u32) {
    if let Err(e) = serve_one(stream, engine, uid).await {
        tracing::debug!(error = %e, "a forwarded command ended early");
    }
}

async fn serve_one(stream: UnixStream, engine: Arc<Engine>, uid: u32) -> Result<()> {
    let peer = stream.peer_cred().context("could not tell who connected")?;
    let (read, mut write) = stream.into_split();
    if peer.uid() != uid {
        send(
            &mut write,
            &Frame::Err("error: this profile belongs to another user\n".into()),
        )
        .await?;
        return send(&mut write, &Frame::Exit(1)).await;
    }
    let mut reader = BufReader::new(read.take(MAX_REQUEST));
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    let mut read = reader.into_inner().into_inner();
    let request: Request = match serde_json::from_str(&line) {
        Ok(r) => r,
        Err(e) => {
            send(
                &mut write,
                &Frame::Err(format!(
                    "error: unreadable command ({e}); is this the same version of hearth?\n"
                )),
            )
            .await?;
            return send(&mut write, &Frame::Exit(1)).await;
        }
    };
    if request.version != VERSION {
        send(
            &mut write,
            &Frame::Err(
                "error: the running hearth is a different version; use the same hearth binary\n"
                    .into(),
            ),
        )
        .await?;
        return send(&mut write, &Frame::Exit(1)).await;
    }
    // As `Cli::try_parse_from`, keeping the matches to name the command.
    let parsed = Cli::command()
        .try_get_matches_from(&request.argv)
        .and_then(|mut matches| {
            // Named first: reading the matches into `Cli` takes the subcommands out.
            let name = command_name(&matches);
            let cli = Cli::from_arg_matches_mut(&mut matches)
                .map_err(|e| e.format(&mut Cli::command()))?;
            Ok((cli, name))
        });
    let (cli, name) = match parsed {
        Ok(parsed) => parsed,
        Err(e) => {
            send(&mut write, &Frame::Err(e.render().to_string())).await?;
            let code = u8::try_from(e.exit_code()).unwrap_or(2);
            return send(&mut write, &Frame::Exit(code)).await;
        }
    };
    let Some(command) = cli.command else {
        send(
            &mut write,
            &Frame::Err(
                "error: the app opens on its own device, not through `hearth serve`\n".into(),
            ),
        )
        .await?;
        return send(&mut write, &Frame::Exit(1)).await;
    };
    let plan = command.plan();
    if let Err(why) = plan.forward {
        send(&mut write, &Frame::Err(format!("error: {why}\n"))).await?;
        return send(&mut write, &Frame::Exit(1)).await;
    }
    // The name only: the arguments hold journal text, private drafts and tickets.
    tracing::debug!(command = %name, "running a forwarded command");
    if plan.key_proof
        && let Err(e) = check_key_proof(&engine, request.key_passphrase).await
    {
        tracing::debug!(command = %name, "refused a forwarded command: no valid passphrase");
        let e = e.context(format!(
            "the running hearth carries out `{name}` only with this device's passphrase; nothing \
             was changed"
        ));
        send(&mut write, &Frame::Err(format!("error: {e:#}\n"))).await?;
        return send(&mut write, &Frame::Exit(1)).await;
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let mut ctx = Ctx {
        backend: Backend::shared(engine),
        io: Io::stream(tx, cli.json, request.stdout_tty),
        cwd: request.cwd,
        passphrase: request.passphrase.map(Passphrase::new),
        served: true,
    };
    let mut task = tokio::spawn(async move {
        match commands::run(&command, &mut ctx).await {
            Ok(()) => 0u8,
            Err(e) => {
                ctx.io.note(format!("error: {e:#}"));
                1
            }
        }
    });
    let mut probe = [0u8; 64];
    loop {
        tokio::select! {
            frame = rx.recv() => match frame {
                Some(frame) => send(&mut write, &frame).await?,
                None => break,
            },
            n = read.read(&mut probe) => {
                if matches!(n, Ok(0) | Err(_)) {
                    // The client went away (Ctrl-C): stop the command.
                    task.abort();
                    return Ok(());
                }
            }
        }
    }
    let code = (&mut task).await.unwrap_or(1);
    send(&mut write, &Frame::Exit(code)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(argv: &[&str]) -> String {
        command_name(&Cli::command().try_get_matches_from(argv).unwrap())
    }

    #[test]
    fn commands_are_named_without_their_arguments() {
        assert_eq!(
            name(&["hearth", "--profile", "/p", "note", "SECRET words"]),
            "note"
        );
        assert_eq!(
            name(&["hearth", "pair", "join", "HEARTH2ABCDEF", "--timeout", "5"]),
            "pair join"
        );
        assert_eq!(
            name(&[
                "hearth",
                "--json",
                "istatement",
                "write",
                "--feeling",
                "SECRET"
            ]),
            "i-statement write"
        );
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(constant_time_eq(b"same bytes", b"same bytes"));
        assert!(!constant_time_eq(b"same bytes", b"same byteS"));
        assert!(!constant_time_eq(b"short", b"longer"));
        assert!(constant_time_eq(b"", b""));
    }
}
