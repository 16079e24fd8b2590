//! `mailbox`: store and forward through a mailbox process on loopback.
//!
//! - A note from A to B through the mailbox, A and B never connected (each pauses the other):
//!   A's write, A's exchange (seal and hand in), then B's exchange (list, fetch, open, check,
//!   apply, acknowledge), until the note is in B's store. The floor: the direct live path for
//!   the same notes in the same run (A and B connected, from the write until B stored it).
//! - Bytes the mailbox stores per note against the note's Automerge change itself.
//! - One mailbox serving many couples of four devices each: uploads per second from 16 clients
//!   at once, and how long a device's fetch (list and get) takes, p50 and p99; the store's size
//!   and the process's memory after every bundle was taken and collected. The devices are raw
//!   protocol clients (64 iroh endpoints, each one device of many couples), since 4 000 full
//!   nodes do not fit one process; their bundles are sealed-size random bytes.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use hearth_core::{DocKind, Timestamp};
use hearth_sync::{MAILBOX_ALPN, MailboxConfig, MailboxServer, read_frame};

use super::fixture::{Fixtures, Pair, note_text};
use super::{Goal, Options, Row, ScenarioReport, live, stats};

const T: Duration = Duration::from_secs(60);

pub(crate) async fn run(fx: &mut Fixtures, opts: &Options) -> Result<ScenarioReport> {
    let mut sc = ScenarioReport::default();
    let items = opts.live_sizes.first().copied().unwrap_or(opts.items);
    let t = fx.template(items)?;
    let pair = Pair::start(fx, &t).await?;
    let out = couple_notes(fx, &pair, &t, opts, &mut sc, items).await;
    pair.stop().await;
    out?;
    let couples = if opts.quick { 20 } else { 1_000 };
    many_couples(fx, couples, &mut sc).await?;
    Ok(sc)
}

async fn couple_notes(
    fx: &mut Fixtures,
    pair: &Pair,
    t: &super::fixture::Template,
    opts: &Options,
    sc: &mut ScenarioReport,
    items: usize,
) -> Result<()> {
    let pulled = pair.b.sync_once(Duration::from_secs(600)).await;
    ensure!(
        pulled.iter().all(|p| p.synced),
        "the first sync: {pulled:?}"
    );
    let server = MailboxServer::start(&fx.fresh("mailbox"), MailboxConfig::loopback()).await?;
    let ticket = server.setup_ticket().context("no setup ticket")?;
    pair.a.mailbox_add(&ticket, T).await?;
    // B learns the mailbox from A.
    let synced = pair.b.sync_once(T).await;
    ensure!(
        synced.iter().all(|p| p.synced),
        "the second sync: {synced:?}"
    );
    // B has everything already: its first exchange takes the first bundle and hands in its own.
    pair.b.mailbox_exchange(T).await?;
    pair.a.mailbox_exchange(T).await?;
    pair.a.pause_peer(pair.b.id());
    pair.b.pause_peer(pair.a.id());
    let notes = opts.live_notes.max(2);
    let (mut total, mut write, mut hand_in, mut fetch, mut apply) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut stored, mut change) = (0u64, 0u64);
    for i in 0..notes {
        let text = format!("{} (by mailbox)", note_text(i));
        let before = pair.a.with_profile(|_, j| j.heads(DocKind::Shared));
        let started = Instant::now();
        let id = pair
            .a
            .write(|j| j.add_appreciation(&t.partner, &text, true, Timestamp::now()))?;
        let written = started.elapsed();
        let sent = pair.a.mailbox_exchange(T).await?;
        let handed = started.elapsed();
        let got = pair.b.mailbox_exchange(T).await?;
        let done = started.elapsed();
        if !pair.b.read(|j| j.appreciation(&id).is_ok()) {
            bail!("note {i} did not reach B through the mailbox: {got:?}");
        }
        total.push(stats::ms(done));
        write.push(stats::ms(written));
        hand_in.push(stats::ms(handed - written));
        fetch.push(stats::ms(done - handed - got.applying));
        apply.push(stats::ms(got.applying));
        stored += sent.sent_bytes;
        change += pair.a.with_profile(|_, j| {
            j.doc_mut(DocKind::Shared)
                .get_changes(&before)
                .iter()
                .map(|c| c.raw_bytes().len() as u64)
                .sum::<u64>()
        });
    }
    pair.a.resume_peer(pair.b.id());
    pair.b.resume_peer(pair.a.id());
    let db = redb::Database::create(fx.fresh("commits").with_extension("redb"))?;
    let direct = live::live_notes(pair, t, notes, &db).await?;
    server.shutdown().await;
    sc.row(Row::new(
        format!("note through the mailbox p50 ({items} items)"),
        "ms",
        stats::percentile(&total, 50.0),
        stats::percentile(&direct.latencies, 50.0),
        Goal::TimesPlusMs(1.0, 25.0),
    ));
    sc.row(Row::new(
        format!("note through the mailbox p99 ({items} items)"),
        "ms",
        stats::percentile(&total, 99.0),
        stats::percentile(&direct.latencies, 99.0),
        Goal::TimesPlusMs(1.0, 50.0),
    ));
    let n = notes as f64;
    sc.row(Row::new(
        "bytes the mailbox stores per note",
        "B",
        stored as f64 / n,
        change as f64 / n,
        Goal::PlusBytes(1024.0),
    ));
    for (name, v) in [
        ("write", &write),
        ("hand_in", &hand_in),
        ("fetch", &fetch),
        ("open_check_apply", &apply),
    ] {
        sc.extra(format!("{name}_p50_ms"), stats::percentile(v, 50.0));
    }
    Ok(())
}

/// A raw protocol client: one iroh endpoint, one connection to the mailbox.
struct Client {
    ep: iroh::Endpoint,
    conn: iroh::endpoint::Connection,
}

impl Client {
    async fn new(server: &MailboxServer) -> Result<Client> {
        let ep = iroh::Endpoint::builder(iroh::endpoint::presets::Minimal)
            .relay_mode(iroh::RelayMode::Disabled)
            .clear_ip_transports()
            .bind_addr(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))?
            .bind()
            .await?;
        let conn = ep.connect(server.addr(), MAILBOX_ALPN).await?;
        Ok(Client { ep, conn })
    }

    fn id(&self) -> String {
        self.ep.id().to_string()
    }

    /// One request (and a body); the reply and the bundle that follows it, if any.
    async fn ask(
        &self,
        request: serde_json::Value,
        body: Option<&[u8]>,
    ) -> Result<(serde_json::Value, Option<Vec<u8>>)> {
        let (mut send, mut recv) = self.conn.open_bi().await?;
        let head = serde_json::to_vec(&request)?;
        for part in std::iter::once(head.as_slice()).chain(body) {
            send.write_all(&(part.len() as u32).to_be_bytes()).await?;
            send.write_all(part).await?;
        }
        send.finish()?;
        let reply: serde_json::Value =
            serde_json::from_slice(&read_frame(&mut recv, 1 << 20).await?)?;
        let bundle = if reply["reply"] == "bundle" {
            Some(read_frame(&mut recv, 64 << 20).await?)
        } else {
            None
        };
        Ok((reply, bundle))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

async fn many_couples(fx: &mut Fixtures, couples: usize, sc: &mut ScenarioReport) -> Result<()> {
    let dir = fx.fresh("mailbox-many");
    let server = MailboxServer::start(&dir, MailboxConfig::loopback()).await?;
    let rss_before = rss_kib();
    let mut clients = Vec::new();
    for _ in 0..64 {
        clients.push(Client::new(&server).await?);
    }
    let ids: Vec<String> = clients.iter().map(Client::id).collect();
    // Couple k: devices k, k+1, k+2, k+3 of the pool.
    let members = |k: usize| -> Vec<usize> { (0..4).map(|d| (k * 4 + d) % ids.len()).collect() };
    let couple_id = |k: usize| format!("{k:032x}");
    let started = Instant::now();
    for k in 0..couples {
        let secret = server.setup_ticket().context("no ticket")?.secret;
        let m = members(k);
        let list: Vec<&String> = m.iter().map(|&d| &ids[d]).collect();
        let (reply, _) = clients[m[0]]
            .ask(
                serde_json::json!({"op": "register", "secret": hex(&secret),
                    "couple": couple_id(k), "members": list}),
                None,
            )
            .await?;
        ensure!(reply["reply"] == "done", "register {k}: {reply}");
        // The next ticket is made as the reply goes out.
        let end = Instant::now() + T;
        while server.setup_ticket().map(|t| t.secret) == Some(secret) {
            ensure!(Instant::now() < end, "no next ticket");
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    sc.extra(
        "register_per_s",
        couples as f64 / started.elapsed().as_secs_f64(),
    );
    // Uploads: one bundle per couple from its first device, 16 at a time.
    let bundle = vec![0x42u8; 1500];
    let started = Instant::now();
    let clients = std::sync::Arc::new(clients);
    let mut k = 0;
    while k < couples {
        let mut batch = tokio::task::JoinSet::new();
        for k in k..(k + 16).min(couples) {
            let clients = clients.clone();
            let m = members(k);
            let to: Vec<String> = m[1..].iter().map(|&d| clients[d].id()).collect();
            let body = bundle.clone();
            let couple = couple_id(k);
            batch.spawn(async move {
                clients[m[0]]
                    .ask(
                        serde_json::json!({"op": "put", "couple": couple,
                            "recipients": to, "len": body.len()}),
                        Some(&body),
                    )
                    .await
            });
        }
        while let Some(r) = batch.join_next().await {
            let (reply, _) = r??;
            ensure!(reply["reply"] == "stored", "upload: {reply}");
        }
        k += 16;
    }
    let uploads = couples as f64 / started.elapsed().as_secs_f64();
    let usage = server.usage().await?;
    let disk_full = dir_size(&dir);
    // Fetches: every recipient lists, gets and acknowledges its bundle.
    let mut fetch = Vec::new();
    for k in 0..couples {
        for &d in &members(k)[1..] {
            let c = &clients[d];
            let started = Instant::now();
            let (listing, _) = c
                .ask(
                    serde_json::json!({"op": "list", "couple": couple_id(k), "after": 0}),
                    None,
                )
                .await?;
            let seq = listing["bundles"][0]["seq"]
                .as_u64()
                .with_context(|| format!("nothing listed: {listing}"))?;
            let (_, body) = c
                .ask(
                    serde_json::json!({"op": "get", "couple": couple_id(k), "seq": seq}),
                    None,
                )
                .await?;
            fetch.push(stats::ms(started.elapsed()));
            ensure!(
                body.as_deref() == Some(bundle.as_slice()),
                "a bundle changed"
            );
            let (ack, _) = c
                .ask(
                    serde_json::json!({"op": "ack", "couple": couple_id(k), "seqs": [seq],
                        "dropped_seen": false}),
                    None,
                )
                .await?;
            ensure!(ack["reply"] == "done", "ack: {ack}");
        }
    }
    server.collect_garbage(Timestamp::now()).await?;
    let after = server.usage().await?;
    ensure!(
        after.bundles == 0,
        "bundles left after every ack: {after:?}"
    );
    let disk_after = dir_size(&dir);
    let rss_after = rss_kib();
    sc.extra("couples", couples as f64);
    sc.extra("devices", (couples * 4) as f64);
    sc.extra("uploads_per_s", uploads);
    sc.extra("fetch_p50_ms", stats::percentile(&fetch, 50.0));
    sc.extra("fetch_p99_ms", stats::percentile(&fetch, 99.0));
    sc.extra("bundle_bytes_waiting_at_peak", usage.bytes as f64);
    sc.extra("store_mib_at_peak", disk_full as f64 / (1024.0 * 1024.0));
    sc.extra("store_mib_after_gc", disk_after as f64 / (1024.0 * 1024.0));
    sc.extra(
        "process_rss_growth_mib",
        (rss_after.saturating_sub(rss_before)) as f64 / 1024.0,
    );
    // Against one bare redb commit of a bundle's size, per upload.
    let probe = redb::Database::create(fx.fresh("probe").with_extension("redb"))?;
    let mut commits = Vec::new();
    for i in 0..50u64 {
        let started = Instant::now();
        let txn = probe.begin_write()?;
        txn.open_table(live::PROBE_TABLE)?
            .insert(i, bundle.as_slice())?;
        txn.commit()?;
        commits.push(stats::ms(started.elapsed()));
    }
    let commit = stats::median(&commits).max(1e-6);
    sc.row(Row::new(
        format!("upload per bundle, 16 at once ({couples} couples of 4)"),
        "ms",
        1000.0 / uploads,
        commit,
        Goal::Times(4.0),
    ));
    for c in std::sync::Arc::try_unwrap(clients).map_err(|_| anyhow::anyhow!("clients held"))? {
        c.conn.close(0u32.into(), b"done");
        c.ep.close().await;
    }
    server.shutdown().await;
    Ok(())
}

fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// The process's resident memory, in KiB (0 where `/proc` is missing).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}
