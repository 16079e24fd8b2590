//! Where a command's output goes: straight to this process's stdout and stderr, or, when a
//! running owner carries the command out for another process, into a stream back to it.
//! Commands write through [`Io`] and never know which.
//!
//! Much of what commands print was written on another device (names, notes, titles), so
//! nothing reaches a terminal raw: lines for people keep their line breaks and tabs and lose
//! every other control character and bidi override ([`for_terminal`]); JSON escapes them
//! (losslessly); text printed as it is (an export to stdout) is cleaned only when it goes to a
//! terminal, so a pipe or a file gets the exact data.

use std::borrow::Cow;
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

    /// Prints a line on stdout, made safe for a terminal ([`for_terminal`]).
    pub(crate) fn line(&self, text: impl AsRef<str>) {
        let mut text = for_terminal(text.as_ref()).into_owned();
        text.push('\n');
        self.put_out(text);
    }

    /// Prints text on stdout as it is when stdout is a pipe or a file (data such as an export),
    /// made safe ([`for_terminal`]) when it is a terminal.
    pub(crate) fn write_out(&self, text: String) {
        let text = if self.tty {
            match for_terminal(&text) {
                Cow::Borrowed(_) => text,
                Cow::Owned(safe) => safe,
            }
        } else {
            text
        };
        self.put_out(text);
    }

    fn put_out(&self, text: String) {
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

    /// Prints a line on stderr: hints, progress words, warnings; made safe for a terminal
    /// ([`for_terminal`]).
    pub(crate) fn note(&self, text: impl AsRef<str>) {
        let mut text = for_terminal(text.as_ref()).into_owned();
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
        let mut text =
            json_escaped(serde_json::to_string_pretty(value).context("could not write JSON")?);
        text.push('\n');
        self.put_out(text);
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
        let mut text = json_escaped(serde_json::to_string(value).context("could not write JSON")?);
        text.push('\n');
        self.put_out(text);
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

/// Text for people made safe to print: line breaks and tabs stay, every other control
/// character (escape sequences, carriage returns, C1 controls) and every bidi embedding,
/// override and isolate becomes U+FFFD (see [`hearth_core::display_safe`]).
pub(crate) fn for_terminal(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut changed = false;
    for piece in text.split_inclusive(['\n', '\t']) {
        let (body, end) = match piece.strip_suffix(['\n', '\t']) {
            Some(body) => piece.split_at(body.len()),
            None => (piece, ""),
        };
        let safe = hearth_core::display_safe(body);
        changed |= matches!(safe, Cow::Owned(_));
        out.push_str(&safe);
        out.push_str(end);
    }
    if changed {
        Cow::Owned(out)
    } else {
        Cow::Borrowed(text)
    }
}

/// JSON text from serde_json with the characters [`for_terminal`] would replace written as
/// `\uXXXX` escapes instead: the same JSON value, nothing raw on a terminal. serde_json escapes
/// C0 controls itself; DEL, C1 controls and bidi controls it leaves raw, and they can only stand
/// inside strings, where an escape means the same character.
fn json_escaped(text: String) -> String {
    if matches!(for_terminal(&text), Cow::Borrowed(_)) {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut buf = [0u8; 4];
    for c in text.chars() {
        let steers = c != '\n'
            && matches!(
                hearth_core::display_safe(c.encode_utf8(&mut buf)),
                Cow::Owned(_)
            );
        if steers {
            // Every such character is in the Basic Multilingual Plane: one escape each.
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
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

/// Whether [`PASSPHRASE_ENV`] is set but holds nothing (an empty passphrase is never used, so
/// this is told apart from a variable that is not set at all).
pub(crate) fn passphrase_env_is_empty() -> bool {
    std::env::var_os(PASSPHRASE_ENV).is_some_and(|p| p.is_empty())
}

/// What to tell someone whose [`PASSPHRASE_ENV`] is set but empty, when a passphrase for
/// `what` is needed and no terminal can ask for it.
pub(crate) fn empty_env_message(what: &str) -> String {
    format!(
        "this needs a passphrase for {what}, and {PASSPHRASE_ENV} is set but empty; put the \
         passphrase in it, or unset it and run this in a terminal to be asked"
    )
}

/// A passphrase from [`PASSPHRASE_ENV`] or, on a terminal, typed in (twice when `new`).
pub(crate) fn ask_passphrase(what: &str, new: bool) -> Result<Passphrase> {
    if let Some(p) = passphrase_from_env() {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        if passphrase_env_is_empty() {
            anyhow::bail!(empty_env_message(what));
        }
        anyhow::bail!(
            "this needs a passphrase for {what}: set {PASSPHRASE_ENV}, or run this in a terminal \
             to be asked for it"
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_breaks_and_lose_escapes() {
        assert!(matches!(for_terminal("a\tb\nc é"), Cow::Borrowed(_)));
        assert_eq!(
            for_terminal("\u{1b}[31mAna\u{202e}\n\tnext\r\n"),
            "\u{fffd}[31mAna\u{fffd}\n\tnext\u{fffd}\n"
        );
    }

    #[test]
    fn json_stays_the_same_value_without_raw_controls() {
        let value = serde_json::json!({"name": "\u{1b}[31mA\u{202e}B\u{9b}\u{7f}\n"});
        for text in [
            serde_json::to_string(&value).unwrap(),
            serde_json::to_string_pretty(&value).unwrap(),
        ] {
            let escaped = json_escaped(text);
            assert!(
                !escaped.chars().any(
                    |c| c != '\n' && hearth_core::display_safe(&c.to_string()) != c.to_string()
                ),
                "{escaped:?}"
            );
            let back: serde_json::Value = serde_json::from_str(&escaped).unwrap();
            assert_eq!(back, value);
        }
    }
}
