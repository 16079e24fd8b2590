//! `serve` on the network: a port in use is named, a host name is accepted for `--bind`, and
//! SIGTERM stops it promptly even while a paired device is off.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

use hearth_test_kit::cli::Device;

#[test]
fn a_port_in_use_is_named() {
    let ana = Device::person("Ana");
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = ana.run(&["serve", "--bind", &addr]);
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stderr.contains(&addr), "{}", out.stderr);
    assert!(out.stderr.contains("already in use"), "{}", out.stderr);
    assert!(!out.stderr.contains("Failed to bind"), "{}", out.stderr);
}

#[test]
fn bind_takes_a_host_name() {
    let ana = Device::person("Ana");
    let mut serve = ana
        .cmd(&["--json", "serve", "--bind", "localhost:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(serve.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = serve.kill();
    let _ = serve.wait();
    let v: serde_json::Value = serde_json::from_str(&line)
        .unwrap_or_else(|e| panic!("serve did not start ({e}): {line:?}"));
    let addrs = v["serving"]["addrs"].as_array().unwrap();
    assert!(
        addrs
            .iter()
            .all(|a| a.as_str().unwrap().starts_with("127.0.0.1:")),
        "{line}"
    );
}

#[test]
fn sigterm_stops_serve_promptly_while_a_paired_device_is_off() {
    let ana = Device::person("Ana");
    let ben = Device::person("Ben");
    hearth_test_kit::cli::pair(&ana, &ben, "partner");
    // Ben is off: Ana's serve keeps trying to reach him when the signal comes.
    let serve = ana.serve();
    std::thread::sleep(Duration::from_millis(300));
    let started = Instant::now();
    let status = serve.stop();
    let took = started.elapsed();
    assert!(status.success(), "{status:?}");
    // Closing the endpoint waits three probe timeouts for the connection Ben never answered;
    // with QUIC's default assumed round trip that was 3 s, with Hearth's (sync/src/net.rs)
    // about 0.5 s. The bound leaves room for a slow machine.
    assert!(took < Duration::from_secs(2), "took {took:?} to stop");
}
