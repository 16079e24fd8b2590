//! The windows on a real X server with no window manager: the kiosk, as on a kitchen display
//! started straight into X, must cover the screen (1024 x 600 here), not keep its own preferred
//! 800 x 480; the app, while open, carries out `hearth` commands for its profile. Needs `Xvfb`
//! and `xwininfo` (scripts/setup installs them).
#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use hearth_test_kit::cli::{Device, LOOPBACK, wait_until};

/// An X server on a display number of its own choosing, stopped when dropped.
struct Xvfb {
    child: Child,
    display: String,
}

impl Xvfb {
    fn start(width: u32, height: u32) -> Xvfb {
        // `-displayfd 1`: Xvfb picks a free display and writes its number to stdout once it
        // accepts clients.
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-nolisten", "tcp", "-screen", "0"])
            .arg(format!("{width}x{height}x24"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb runs (scripts/setup installs it)");
        let mut out = child.stdout.take().unwrap();
        let mut number = String::new();
        let mut byte = [0u8; 1];
        while out.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
            number.push(char::from(byte[0]));
        }
        assert!(!number.is_empty(), "Xvfb did not start");
        Xvfb {
            child,
            display: format!(":{number}"),
        }
    }

    /// Every top-level window named `name`, as `WIDTHxHEIGHT+X+Y`.
    fn windows(&self, name: &str) -> Vec<String> {
        let out = Command::new("xwininfo")
            .args(["-root", "-tree"])
            .env("DISPLAY", &self.display)
            .output()
            .expect("xwininfo runs (scripts/setup installs it)");
        let tree = String::from_utf8_lossy(&out.stdout).into_owned();
        let quoted = format!("\"{name}\"");
        tree.lines()
            .filter(|l| l.contains(&quoted))
            .filter_map(|l| {
                l.split_whitespace()
                    .find(|w| w.contains('x') && w.contains('+'))
            })
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_kiosk_covers_the_screen_without_a_window_manager() {
    let x = Xvfb::start(1024, 600);
    let display = Device::empty();
    display.ok(&["init", "--display", "--name", "Kitchen"]);
    let mut kiosk = display.cmd(&["kiosk", "--bind", LOOPBACK, "--relay", "off"]);
    kiosk
        .env("DISPLAY", &x.display)
        .env_remove("WAYLAND_DISPLAY")
        .env("SLINT_BACKEND", "winit")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut kiosk = kiosk.spawn().unwrap();
    let mut seen = Vec::new();
    wait_until(
        "the kiosk's window covers the 1024 x 600 screen",
        Duration::from_secs(60),
        || {
            seen = x.windows("Hearth");
            seen.iter().any(|g| g == "1024x600+0+0")
        },
    );
    let _ = kiosk.kill();
    let _ = kiosk.wait();
    assert!(!seen.is_empty());
}

#[test]
fn commands_reach_the_open_app_window() {
    let x = Xvfb::start(1024, 768);
    let ana = Device::person("Ana");
    let mut app = ana.cmd(&["app", "--bind", LOOPBACK, "--relay", "off"]);
    app.env("DISPLAY", &x.display)
        .env_remove("WAYLAND_DISPLAY")
        .env("SLINT_BACKEND", "winit")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut app = app.spawn().unwrap();
    wait_until("the app's window is up", Duration::from_secs(60), || {
        !x.windows("Hearth").is_empty()
    });
    // The window's engine serves the command socket once it has the journal open.
    wait_until(
        "the app serves its command socket",
        Duration::from_secs(60),
        || ana.dir.join("hearth.sock").exists(),
    );
    let note = ana.run(&["note", "Written from the terminal"]);
    assert_eq!(note.code, 0, "{}", note.stderr);
    let wall = ana.run(&["wall"]);
    assert_eq!(wall.code, 0, "{}", wall.stderr);
    assert!(
        wall.stdout.contains("Written from the terminal"),
        "{}",
        wall.stdout
    );
    let _ = app.kill();
    let _ = app.wait();
    // Stored by the app's engine: there after the window is gone.
    let after = ana.run(&["wall"]);
    assert!(
        after.stdout.contains("Written from the terminal"),
        "{}",
        after.stdout
    );
}
