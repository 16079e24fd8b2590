//! Where a command's output goes: straight to this process's stdout and stderr, or, when a
//! running owner carries the command out for another process, into a stream back to it.
//! Commands write through [`Io`] and never know which.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use anyhow::{Context, Result};
use hearth_core::keys::SecretString;
use serde::Serialize;
use tokio::sync::mpsc::UnboundedSender;

/// One piece of output on its way to the process that asked for the command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Frame {
    /// Text for stdout.
    Out(String),
    /// Text for stderr.
    Err(String),
    /// The command ended with this exit code.
    Exit(u8),
}

#[derive(Debug)]
enum Sink {
    Direct,
    Stream(UnboundedSender<Frame>),
}

/// A command's output channel and how it should look.
#[derive(Debug)]
pub(crate) struct Io {
    /// Print one JSON document instead of text.
    pub(crate) json: bool,
    /// stdout is a terminal (QR codes, progress).
    pub(crate) tty: bool,
    sink: Sink,
}

impl Io {
    /// Output of this process.
    pub(crate) fn direct(json: bool) -> Io {
        Io {
            json,
            tty: std::io::stdout().is_terminal(),
            sink: Sink::Direct,
        }
    }

    /// Output streamed to another process; `tty` says whether its stdout is a terminal.
    pub(crate) fn stream(tx: UnboundedSender<Frame>, json: bool, tty: bool) -> Io {
        Io {
            json,
            tty,
            sink: Sink::Stream(tx),
        }
    }

    /// Prints a line on stdout.
    pub(crate) fn line(&self, text: impl AsRef<str>) {
        let mut text = text.as_ref().to_owned();
        text.push('\n');
        self.write_out(text);
    }

    /// Prints text on stdout as it is.
    pub(crate) fn write_out(&self, text: String) {
        match &self.sink {
            Sink::Direct => {
                let mut out = std::io::stdout().lock();
                // A closed pipe (`hearth wall | head`) is not an error worth a panic.
                let _ = out.write_all(text.as_bytes());
                let _ = out.flush();
            }
            Sink::Stream(tx) => {
                let _ = tx.send(Frame::Out(text));
            }
        }
    }

    /// Prints a line on stderr: hints, progress words, warnings.
    pub(crate) fn note(&self, text: impl AsRef<str>) {
        let mut text = text.as_ref().to_owned();
        text.push('\n');
        match &self.sink {
            Sink::Direct => {
                let mut err = std::io::stderr().lock();
                let _ = err.write_all(text.as_bytes());
                let _ = err.flush();
            }
            Sink::Stream(tx) => {
                let _ = tx.send(Frame::Err(text));
            }
        }
    }

    /// Prints a value as one pretty JSON document on stdout.
    pub(crate) fn emit_json<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let text = serde_json::to_string_pretty(value).context("could not write JSON")?;
        self.line(text);
        Ok(())
    }

    /// What a command did: `value` as JSON with --json, else the `human` line.
    pub(crate) fn report<T: Serialize + ?Sized>(&self, value: &T, human: &str) -> Result<()> {
        if self.json {
            self.emit_json(value)
        } else {
            self.line(human);
            Ok(())
        }
    }

    /// Prints a value as JSON on one line (for streaming commands).
    pub(crate) fn emit_json_line<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        let text = serde_json::to_string(value).context("could not write JSON")?;
        self.line(text);
        Ok(())
    }

    /// A spinner on the terminal for long work; nothing when stderr is not a terminal, with
    /// --json, or when the output goes to another process.
    pub(crate) fn spinner(&self, message: &str) -> Spinner {
        let show =
            matches!(self.sink, Sink::Direct) && !self.json && std::io::stderr().is_terminal();
        if !show {
            return Spinner(None);
        }
        let bar = indicatif::ProgressBar::new_spinner().with_message(message.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        Spinner(Some(bar))
    }
}

/// A running spinner; it disappears when dropped.
#[derive(Debug)]
pub(crate) struct Spinner(Option<indicatif::ProgressBar>);

impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Test-only knob: the scrypt work factor (log2 N) for backups and sealed key files. Lower is
/// faster and weaker; only tests should set it.
pub(crate) const WORK_FACTOR_ENV: &str = "HEARTH_SCRYPT_WORK_FACTOR";

/// The scrypt work factor asked for through [`WORK_FACTOR_ENV`], if any.
pub(crate) fn work_factor() -> Result<Option<u8>> {
    match std::env::var(WORK_FACTOR_ENV) {
        Ok(v) => v
            .trim()
            .parse::<u8>()
            .map(Some)
            .with_context(|| format!("{WORK_FACTOR_ENV} must be a number from 1 to 63")),
        Err(_) => Ok(None),
    }
}

/// The variable a passphrase is read from before anyone is asked.
pub(crate) const PASSPHRASE_ENV: &str = "HEARTH_PASSPHRASE";

/// A passphrase typed in or read from the environment, kept as text so it can be handed to a
/// running owner; `Debug` never shows it.
#[derive(Clone)]
pub(crate) struct Passphrase(String);

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(..)")
    }
}

impl Passphrase {
    /// From text received over the owner socket.
    pub(crate) fn new(text: String) -> Passphrase {
        Passphrase(text)
    }

    /// The text, to hand to the owner.
    pub(crate) fn text(&self) -> &str {
        &self.0
    }

    /// As the secret type the core crate takes.
    pub(crate) fn secret(&self) -> SecretString {
        SecretString::from(self.0.clone())
    }
}

/// The passphrase from [`PASSPHRASE_ENV`], if set.
pub(crate) fn passphrase_from_env() -> Option<Passphrase> {
    std::env::var(PASSPHRASE_ENV)
        .ok()
        .filter(|p| !p.is_empty())
        .map(Passphrase)
}

/// A passphrase from [`PASSPHRASE_ENV`] or, on a terminal, typed in (twice when `new`).
pub(crate) fn ask_passphrase(what: &str, new: bool) -> Result<Passphrase> {
    if let Some(p) = passphrase_from_env() {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "{what} needs a passphrase: set {PASSPHRASE_ENV}, or run this in a terminal to be \
             asked for it"
        );
    }
    let first = rpassword::prompt_password(format!("Passphrase for {what}: "))
        .context("could not read the passphrase from the terminal")?;
    if first.is_empty() {
        anyhow::bail!("the passphrase is empty; choose one you will remember");
    }
    if new {
        let again = rpassword::prompt_password("The same passphrase again: ")
            .context("could not read the passphrase from the terminal")?;
        if again != first {
            anyhow::bail!("the two passphrases differ; nothing was changed, try again");
        }
    }
    Ok(Passphrase(first))
}
