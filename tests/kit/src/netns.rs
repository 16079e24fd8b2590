//! Two hosts on one LAN for tests that need several (mDNS, pairing by code): two network
//! namespaces joined by a veth pair, 10.77.0.1 and 10.77.0.2, multicast on. Needs the rights to
//! create network namespaces (root, as in CI); [`two_hosts`] says why when it cannot.

use std::process::{Command, Stdio};

/// The two namespaces; deleted when dropped.
#[derive(Debug)]
pub struct Namespaces(pub Vec<String>);

impl Namespaces {
    /// `ip netns exec NS program`: a command that runs on host `i` (0 or 1).
    pub fn exec(&self, i: usize, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.0[i]]).arg(program);
        c
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for ns in &self.0 {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

fn ip(args: &[&str]) -> bool {
    Command::new("ip")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Makes the two hosts, or says why it cannot here.
pub fn two_hosts() -> Result<Namespaces, String> {
    // Unique per process and per call: nextest runs tests in processes of their own.
    static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) % 10;
    let tag = (std::process::id() % 10_000) * 10 + call;
    let (a, b) = (format!("hearth-a-{tag}"), format!("hearth-b-{tag}"));
    if !ip(&["netns", "add", &a]) {
        return Err("cannot create network namespaces here (needs root and iproute2)".into());
    }
    let guard = Namespaces(vec![a.clone(), b.clone()]);
    let (va, vb) = (format!("hva{tag}"), format!("hvb{tag}"));
    let steps: Vec<Vec<String>> = vec![
        vec!["netns".into(), "add".into(), b.clone()],
        vec![
            "link".into(),
            "add".into(),
            va.clone(),
            "type".into(),
            "veth".into(),
            "peer".into(),
            "name".into(),
            vb.clone(),
        ],
        vec![
            "link".into(),
            "set".into(),
            va.clone(),
            "netns".into(),
            a.clone(),
        ],
        vec![
            "link".into(),
            "set".into(),
            vb.clone(),
            "netns".into(),
            b.clone(),
        ],
    ];
    for s in &steps {
        let s: Vec<&str> = s.iter().map(String::as_str).collect();
        if !ip(&s) {
            return Err(format!("ip {} failed", s.join(" ")));
        }
    }
    for (ns, dev, addr) in [(&a, &va, "10.77.0.1/24"), (&b, &vb, "10.77.0.2/24")] {
        for cmd in [
            vec!["-n", ns, "link", "set", "lo", "up"],
            vec!["-n", ns, "addr", "add", addr, "dev", dev],
            vec!["-n", ns, "link", "set", dev, "multicast", "on"],
            vec!["-n", ns, "link", "set", dev, "up"],
            vec!["-n", ns, "route", "add", "default", "dev", dev],
            vec!["-n", ns, "route", "add", "224.0.0.0/4", "dev", dev],
        ] {
            if !ip(&cmd) {
                return Err(format!("ip {} failed", cmd.join(" ")));
            }
        }
    }
    Ok(guard)
}
