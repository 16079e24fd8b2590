//! A device process for the LAN discovery test: runs one profile's node with mDNS on, bound to
//! every interface of its network namespace.
//!
//! `hearth-lan-peer DIR serve SECS`: serve until stdin closes or SECS pass; prints `ready`.
//! `hearth-lan-peer DIR note TEXT SECS`: write a note, then sync until a member device took
//! it (exit 0) or SECS pass (exit 1).

use std::io::BufRead;
use std::time::{Duration, Instant};

use hearth_core::{Profile, Timestamp};
use hearth_sync::{NetConfig, Node};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let code = match run(&args).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    };
    std::process::exit(code);
}

async fn run(args: &[String]) -> Result<i32, Box<dyn std::error::Error>> {
    let dir = args.get(1).ok_or("missing profile directory")?;
    let profile = Profile::open(std::path::Path::new(dir), None)?;
    // HEARTH_LAN_MDNS=off runs the same device without discovery, as a control.
    let mdns = std::env::var("HEARTH_LAN_MDNS").map_or(true, |v| v != "off");
    let config = NetConfig {
        mdns,
        ..NetConfig::default()
    };
    let node = Node::start(profile, config).await?;
    match args.get(2).map(String::as_str) {
        Some("serve") => {
            let secs: u64 = args.get(3).ok_or("missing seconds")?.parse()?;
            node.start_live();
            println!("ready");
            let (tx, rx) = tokio::sync::oneshot::channel();
            std::thread::spawn(move || {
                let _ = std::io::stdin().lock().lines().count();
                let _ = tx.send(());
            });
            let _ = tokio::time::timeout(Duration::from_secs(secs), rx).await;
            node.shutdown().await;
            Ok(0)
        }
        Some("note") => {
            let text = args.get(3).ok_or("missing text")?;
            let secs: u64 = args.get(4).ok_or("missing seconds")?.parse()?;
            let me = node.me().ok_or("this device has no owner")?;
            node.write(|j| j.add_appreciation(&me, text, true, Timestamp::now()))?;
            let end = Instant::now() + Duration::from_secs(secs);
            while Instant::now() < end {
                let report = node.sync_once(Duration::from_secs(5)).await;
                if report.iter().any(|p| p.synced) {
                    println!("synced");
                    node.shutdown().await;
                    return Ok(0);
                }
            }
            node.shutdown().await;
            Ok(1)
        }
        _ => Err("usage: hearth-lan-peer DIR serve SECS | DIR note TEXT SECS".into()),
    }
}
