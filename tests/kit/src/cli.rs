//! Real `hearth` processes on temporary profiles, loopback only (`--bind 127.0.0.1:0`, relays
//! off). The binary is the one Cargo built next to the running test (`HEARTH_BIN` overrides).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Loopback only, any free port.
pub const LOOPBACK: &str = "127.0.0.1:0";

/// A device under test: a temporary profile directory.
#[derive(Debug)]
pub struct Device {
    /// Where its profile is (or will be).
    pub dir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Device {
    /// A directory for a profile that does not exist yet.
    pub fn empty() -> Device {
        let tmp = tempfile::tempdir().unwrap();
        Device {
            dir: tmp.path().join("profile"),
            _tmp: tmp,
        }
    }

    /// A new person's device.
    pub fn person(name: &str) -> Device {
        let d = Device::empty();
        d.ok(&["init", "--name", name]);
        d
    }

    /// A scratch path next to the profile.
    pub fn file(&self, name: &str) -> PathBuf {
        self._tmp.path().join(name)
    }

    /// `hearth --profile DIR ...`, with a clean environment.
    pub fn cmd(&self, args: &[&str]) -> Command {
        self.prepare(Command::new(hearth_bin()), args)
    }

    /// [`Device::cmd`] run on host `host` of two network namespaces.
    pub fn cmd_in(&self, hosts: &crate::netns::Namespaces, host: usize, args: &[&str]) -> Command {
        self.prepare(hosts.exec(host, hearth_bin()), args)
    }

    fn prepare(&self, mut c: Command, args: &[&str]) -> Command {
        c.arg("--profile").arg(&self.dir).args(args);
        c.env_remove("HEARTH_PROFILE")
            .env_remove("HEARTH_PASSPHRASE")
            .env_remove("RUST_LOG")
            // Backups and sealed keys: a cheap scrypt for tests.
            .env("HEARTH_SCRYPT_WORK_FACTOR", "10")
            .stdin(Stdio::null());
        c
    }

    /// Runs a command to the end.
    pub fn run(&self, args: &[&str]) -> Out {
        run(self.cmd(args))
    }

    /// Runs a command that must succeed; returns its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_eq!(
            out.code, 0,
            "hearth {args:?} failed:\nstdout: {}\nstderr: {}",
            out.stdout, out.stderr
        );
        out.stdout
    }

    /// `hearth --json ARGS`, parsed.
    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let text = self.ok(&all);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{args:?}: {e}\n{text}"))
    }

    /// The wall as JSON text (to compare before and after).
    pub fn wall(&self) -> String {
        self.ok(&["--json", "wall"])
    }

    /// The texts on the wall, newest first.
    pub fn wall_texts(&self) -> Vec<String> {
        self.json(&["wall"])
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["text"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Starts `hearth serve` on loopback and waits until it is ready.
    pub fn serve(&self) -> Serve {
        self.serve_with(|_| {})
    }

    /// Like [`Device::serve`], with the command adjusted first (its environment, where its
    /// stderr goes).
    pub fn serve_with(&self, adjust: impl FnOnce(&mut Command)) -> Serve {
        let mut c = self.cmd(&["--json", "serve", "--bind", LOOPBACK]);
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        adjust(&mut c);
        let mut child = c.spawn().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let v: serde_json::Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("serve did not start ({e}): {line:?}"));
        assert!(v["serving"]["endpoint_id"].is_string(), "{line}");
        Serve {
            child,
            _stdout: stdout,
        }
    }
}

/// A finished command.
#[derive(Debug)]
pub struct Out {
    /// The exit code (-1 if a signal ended it).
    pub code: i32,
    /// What it printed.
    pub stdout: String,
    /// What it said on stderr.
    pub stderr: String,
}

/// Runs `c` to the end.
pub fn run(mut c: Command) -> Out {
    let out = c.output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A running `hearth serve`; killed if the test ends without stopping it.
#[derive(Debug)]
pub struct Serve {
    child: Child,
    _stdout: BufReader<ChildStdout>,
}

impl Serve {
    /// Kills the process with SIGKILL, as a crash or a pulled plug would, and reaps it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for the process to end.
    pub fn stop(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits until `check` holds, checking every 100 ms (a check may start a process); fails the
/// test at `deadline`.
pub fn wait_until(what: &str, deadline: Duration, check: impl FnMut() -> bool) {
    crate::wait::poll_blocking(what, deadline, Duration::from_millis(100), check);
}

/// A running `hearth pair invite`: the process, the rest of its output, and the ticket it
/// printed first.
pub fn invite(inviter: &Device, role: &str) -> (Child, BufReader<ChildStdout>, String) {
    let mut invite = inviter
        .cmd(&[
            "pair",
            "invite",
            "--for",
            role,
            "--timeout",
            "60",
            "--bind",
            LOOPBACK,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(invite.stdout.take().unwrap());
    let mut ticket = String::new();
    stdout.read_line(&mut ticket).unwrap();
    let ticket = ticket.trim().to_owned();
    assert!(ticket.starts_with("HEARTH2"), "not a ticket: {ticket:?}");
    (invite, stdout, ticket)
}

/// Runs a command with `HEARTH_PASSPHRASE` set (backups, restores).
pub fn with_passphrase(d: &Device, args: &[&str], passphrase: &str) -> Out {
    let mut c = d.cmd(args);
    c.env("HEARTH_PASSPHRASE", passphrase);
    run(c)
}

/// Pairs `joiner` with `inviter` through `pair invite` / `pair join` processes.
pub fn pair(inviter: &Device, joiner: &Device, role: &str) {
    let (mut invite, mut stdout, ticket) = self::invite(inviter, role);
    let joined = joiner.run(&["pair", "join", &ticket, "--bind", LOOPBACK]);
    assert_eq!(joined.code, 0, "join failed: {}", joined.stderr);
    let status = invite.wait().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).unwrap();
    assert!(status.success(), "invite failed; stdout: {rest}");
    assert!(rest.contains("Paired with"), "{rest}");
}

/// The profile's socket path, while an owner serves it.
pub fn socket(dir: &Path) -> PathBuf {
    dir.join("hearth.sock")
}

/// The `hearth` binary under test: `HEARTH_BIN`, or the one in the target directory the running
/// test was built into (a test runs from `target/<profile>/deps/`).
pub fn hearth_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("HEARTH_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().unwrap();
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("a test runs from target/<profile>/deps");
    let bin = dir.join(format!("hearth{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "no hearth binary at {}", bin.display());
    bin
}
