//! The devices the scenarios run on.
//!
//! A [`Template`] is a pair of profiles made once per journal size and copied for every run:
//!
//! - A ("Ana's phone") holds the generated journal, sealed in its store as one snapshot per
//!   document, with both devices' records in it.
//! - B ("Ana's laptop") is the same person's second device, paired while the journal was new:
//!   its store holds the journal's first changes (schema, the two partners) and the two device
//!   records, nothing more. So B pulls the whole journal, both documents, from A.
//!
//! Both profiles are made the way `hearth_sync::init_device` makes one (`Profile::create`, then
//! the device's record in the journal); only the journal itself comes from the generator. The
//! generator writes under its own actor id; the device records are A's changes, made on the
//! journal's first state, exactly as a pairing at the start would have left them.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use hearth_core::generator::ten_year_journal;
use hearth_core::{
    CreateOptions, DeviceKind, DeviceOwner, DocKind, DocSlot, Journal, NewDevice, PartnerId,
    Profile, Timestamp,
};
use hearth_sync::{FrameHook, HookAction, NetConfig, Node, endpoint_id_of};

use super::stats;

/// The generator's actor id: its changes belong to no device.
const GENERATOR_ACTOR: &[u8] = b"hearth-bench-gen";

/// Both documents of a journal as `save()` bytes.
#[derive(Debug, Clone)]
pub(crate) struct Docs {
    pub(crate) shared: Vec<u8>,
    pub(crate) private: Vec<u8>,
}

impl Docs {
    fn of(journal: &mut Journal) -> Docs {
        let (shared, private) = journal.docs_mut();
        Docs {
            shared: shared.save(),
            private: private.save(),
        }
    }

    pub(crate) fn get(&self, kind: DocKind) -> &[u8] {
        match kind {
            DocKind::Shared => &self.shared,
            DocKind::Private => &self.private,
            // The benchmarks' floors measure the two journal documents.
            DocKind::Wall => &[],
        }
    }
}

/// Two paired profiles, A with the journal and B without it (see the module docs).
#[derive(Debug)]
pub(crate) struct Template {
    pub(crate) a_dir: PathBuf,
    pub(crate) b_dir: PathBuf,
    /// The partner both devices belong to (the journal's first partner).
    pub(crate) partner: PartnerId,
    /// What A's store holds.
    pub(crate) a_docs: Docs,
    /// What B's store holds.
    pub(crate) b_docs: Docs,
    /// How long generating the journal took.
    pub(crate) generate_ms: f64,
    /// The time of the journal's last item: "now" for its screens.
    pub(crate) end: Timestamp,
}

/// Templates by size, and fresh directories, under one temporary directory removed at the end.
#[derive(Debug)]
pub(crate) struct Fixtures {
    root: tempfile::TempDir,
    seed: u64,
    templates: HashMap<usize, Arc<Template>>,
    next: u64,
}

impl Fixtures {
    pub(crate) fn new(tmp: Option<&Path>, seed: u64) -> Result<Fixtures> {
        let mut builder = tempfile::Builder::new();
        builder.prefix("hearth-bench-");
        let root = match tmp {
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                builder.tempdir_in(dir)
            }
            None => builder.tempdir(),
        }
        .context("creating a temporary directory")?;
        Ok(Fixtures {
            root,
            seed,
            templates: HashMap::new(),
            next: 0,
        })
    }

    /// A new directory path under the root (not created).
    pub(crate) fn fresh(&mut self, what: &str) -> PathBuf {
        self.next += 1;
        self.root.path().join(format!("{what}-{}", self.next))
    }

    /// The template for a journal of `items` items, made on first use.
    pub(crate) fn template(&mut self, items: usize) -> Result<Arc<Template>> {
        if let Some(t) = self.templates.get(&items) {
            return Ok(t.clone());
        }
        let dir = self.fresh(&format!("template-{items}"));
        let t = Arc::new(
            build_template(&dir, items, self.seed)
                .with_context(|| format!("preparing a journal of {items} items"))?,
        );
        self.templates.insert(items, t.clone());
        Ok(t)
    }

    /// A copy of a template profile in a fresh directory.
    pub(crate) fn copy_profile(&mut self, from: &Path) -> Result<PathBuf> {
        let to = self.fresh("profile");
        copy_profile(from, &to)?;
        Ok(to)
    }
}

fn device(profile: &Profile, owner: &PartnerId, name: &str) -> NewDevice {
    NewDevice {
        endpoint_id: endpoint_id_of(profile.keys().endpoint_secret()),
        age_recipient: profile.keys().recipient_string(),
        owner: DeviceOwner::Partner(owner.clone()),
        kind: DeviceKind::Personal,
        name: name.to_owned(),
        actor: hearth_core::keys::hex(&profile.keys().actor_id()),
    }
}

fn create_profile(dir: &Path, name: &str) -> Result<Profile> {
    let options = CreateOptions {
        device_name: name.to_owned(),
        kind: DeviceKind::Personal,
        ..Default::default()
    };
    Profile::create(dir, None, &options).with_context(|| format!("creating {}", dir.display()))
}

fn restore(profile: &mut Profile, docs: &Docs) -> Result<()> {
    let store = profile.store_mut();
    store
        .restore_snapshot(DocSlot::Shared, &docs.shared)
        .context("storing the shared journal")?;
    store
        .restore_snapshot(DocSlot::Private, &docs.private)
        .context("storing the private journal")?;
    Ok(())
}

fn build_template(dir: &Path, items: usize, seed: u64) -> Result<Template> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let (a_dir, b_dir) = (dir.join("a"), dir.join("b"));
    let mut a = create_profile(&a_dir, "Ana's phone")?;
    let mut b = create_profile(&b_dir, "Ana's laptop")?;

    // The journal's first changes: the schema and the two partners (the same changes the full
    // generated journal starts with, since the generator is seeded).
    let mut start = ten_year_journal(seed, 0, GENERATOR_ACTOR)?;
    let partner = start.partners[0].clone();
    let first = Docs::of(&mut start.journal);

    // A founds the journal and admits B as another of Ana's devices, as pairing does; that is
    // all B holds. Both pin A as the founder and each other as their own devices.
    let mut journal = Journal::load(&first.shared, Some(&first.private), &a.keys().actor_id())?;
    journal.set_identity(&a.keys().endpoint_secret());
    let now = Timestamp::now();
    let a_id = endpoint_id_of(a.keys().endpoint_secret());
    let b_id = endpoint_id_of(b.keys().endpoint_secret());
    journal.found(&device(&a, &partner, "Ana's phone"), now)?;
    journal.admit_device(
        hearth_core::membership::AddRole::Me,
        &device(&b, &partner, "Ana's laptop"),
        now,
    )?;
    for (p, other) in [(&mut a, &b_id), (&mut b, &a_id)] {
        p.store_mut().set_trust(hearth_core::Trust {
            root: Some(a_id.clone()),
            own: [other.clone()].into(),
        })?;
    }
    let b_docs = Docs::of(&mut journal);
    restore(&mut b, &b_docs)?;

    // Then the journal grows on A.
    let started = Instant::now();
    let mut full = ten_year_journal(seed, items, GENERATOR_ACTOR)?;
    let generate_ms = stats::ms(started.elapsed());
    journal.merge(&mut full.journal, true)?;
    ensure!(
        journal.partners().len() == 2,
        "the generated journal does not start with the same partners"
    );
    let a_docs = Docs::of(&mut journal);
    restore(&mut a, &a_docs)?;
    Ok(Template {
        a_dir,
        b_dir,
        partner,
        a_docs,
        b_docs,
        generate_ms,
        end: full.end,
    })
}

/// Copies a closed profile (its key, settings and store; not its lock).
pub(crate) fn copy_profile(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to).with_context(|| format!("creating {}", to.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("restricting {}", to.display()))?;
    }
    for name in [Profile::KEY_FILE, Profile::CONFIG_FILE, Profile::STORE_FILE] {
        std::fs::copy(from.join(name), to.join(name))
            .with_context(|| format!("copying {} from {}", name, from.display()))?;
    }
    Ok(())
}

/// Counts every outgoing sync frame: its body plus the 4-byte length prefix.
#[derive(Debug, Default)]
pub(crate) struct FrameCounter {
    bytes: AtomicU64,
    frames: AtomicU64,
    /// When the largest frame so far was handed to the stream, and its size.
    largest: Mutex<Option<(Instant, usize)>>,
}

impl FrameCounter {
    /// (bytes, frames) so far.
    pub(crate) fn totals(&self) -> (u64, u64) {
        (
            self.bytes.load(Ordering::SeqCst),
            self.frames.load(Ordering::SeqCst),
        )
    }

    /// When the largest frame so far was sent.
    pub(crate) fn largest_sent_at(&self) -> Option<Instant> {
        self.largest
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map(|(at, _)| at)
    }
}

impl FrameHook for FrameCounter {
    fn outgoing(&self, body: &mut Vec<u8>) -> HookAction {
        let len = u64::try_from(body.len()).unwrap_or(u64::MAX);
        self.bytes
            .fetch_add(len.saturating_add(4), Ordering::SeqCst);
        self.frames.fetch_add(1, Ordering::SeqCst);
        let mut largest = self.largest.lock().unwrap_or_else(|e| e.into_inner());
        if largest.is_none_or(|(_, size)| body.len() > size) {
            *largest = Some((Instant::now(), body.len()));
        }
        HookAction::Send
    }
}

/// A and B running on loopback, each with a frame counter.
#[derive(Debug)]
pub(crate) struct Pair {
    pub(crate) a: Node,
    pub(crate) b: Node,
    pub(crate) a_frames: Arc<FrameCounter>,
    pub(crate) b_frames: Arc<FrameCounter>,
}

impl Pair {
    /// Starts copies of a template's two profiles, A first; B is told where A listens.
    pub(crate) async fn start(fx: &mut Fixtures, t: &Template) -> Result<Pair> {
        let a_dir = fx.copy_profile(&t.a_dir)?;
        let b_dir = fx.copy_profile(&t.b_dir)?;
        let a_frames = Arc::new(FrameCounter::default());
        let b_frames = Arc::new(FrameCounter::default());
        let config = |hook: &Arc<FrameCounter>| {
            let mut c = NetConfig::loopback();
            c.frame_hook = Some(hook.clone() as Arc<dyn FrameHook>);
            c
        };
        let a_profile = Profile::open(&a_dir, None).context("opening A")?;
        let a = Node::start(a_profile, config(&a_frames))
            .await
            .context("starting A")?;
        let a_addrs = listening_addrs(&a);
        ensure!(!a_addrs.is_empty(), "A has no loopback address");
        let mut b_profile = Profile::open(&b_dir, None).context("opening B")?;
        b_profile
            .store_mut()
            .put_peer_addrs(&a.id().to_string(), a_addrs)
            .context("telling B where A listens")?;
        let b = Node::start(b_profile, config(&b_frames))
            .await
            .context("starting B")?;
        Ok(Pair {
            a,
            b,
            a_frames,
            b_frames,
        })
    }

    /// Bytes and frames both nodes have sent so far.
    pub(crate) fn frames(&self) -> (u64, u64) {
        let (ab, af) = self.a_frames.totals();
        let (bb, bf) = self.b_frames.totals();
        (ab + bb, af + bf)
    }

    /// Whether B holds the same documents as A.
    pub(crate) fn in_step(&self) -> bool {
        let heads =
            |n: &Node| n.with_profile(|_, j| (j.heads(DocKind::Shared), j.heads(DocKind::Private)));
        heads(&self.a) == heads(&self.b)
    }

    /// Waits until B holds the same documents as A (and is connected to it, if `connected`).
    pub(crate) async fn wait_in_step(&self, connected: bool, limit: Duration) -> Result<()> {
        let end = Instant::now() + limit;
        loop {
            if self.in_step() && (!connected || self.b.is_connected(&self.a.id())) {
                return Ok(());
            }
            if Instant::now() > end {
                let heads = |n: &Node, kind| n.with_profile(|_, j| j.heads(kind));
                let same = |kind| heads(&self.a, kind) == heads(&self.b, kind);
                bail!(
                    "A and B did not reach the same journal within {} s (B connected to A: {}, \
                     A connected to B: {}, same shared heads: {}, same private heads: {})",
                    limit.as_secs(),
                    self.b.is_connected(&self.a.id()),
                    self.a.is_connected(&self.b.id()),
                    same(DocKind::Shared),
                    same(DocKind::Private),
                );
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops both nodes and waits until their profiles are released.
    pub(crate) async fn stop(self) {
        stop(self.b).await;
        stop(self.a).await;
    }
}

async fn stop(node: Node) {
    if node.release(Duration::from_secs(10)).await.is_err() {
        eprintln!("warning: a node kept its profile after shutdown; leaving it");
    }
}

/// Where a node listens, as addresses another device can dial (not the unspecified ones).
pub(crate) fn listening_addrs(node: &Node) -> Vec<String> {
    node.bound_sockets()
        .iter()
        .filter(|s| !s.ip().is_unspecified())
        .map(|s| s.to_string())
        .collect()
}

/// A realistic note of thanks, different for each `i`.
pub(crate) fn note_text(i: usize) -> String {
    const THANKS: [&str; 6] = [
        "Thank you for making coffee before I woke up",
        "Thanks for listening to me go on about work",
        "I loved how you laughed at dinner tonight",
        "Thank you for picking up the groceries in the rain",
        "You were so patient with my mother today",
        "Thanks for the note in my coat pocket",
    ];
    format!(
        "{} (#{i}). It made the whole day easier.",
        THANKS[i % THANKS.len()]
    )
}
