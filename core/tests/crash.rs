//! A write is durable when `append` returns, whatever happens next: a writer process is killed
//! with SIGKILL at seeded random moments (measured in acknowledged writes, not time), and after
//! every kill the profile must open and hold every note the writer reported as written.
//!
//! This test binary is its own writer: run with `HEARTH_CRASH_WRITER_DIR` set, the test
//! `crash_writer_child` appends notes until it is killed. Set `HEARTH_CRASH_SEED` to replay a
//! particular run.
#![cfg(unix)]
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use hearth_core::{Compaction, CompactionPolicy, CreateOptions, DocSlot, Profile, ProfileError};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const DIR_ENV: &str = "HEARTH_CRASH_WRITER_DIR";
const RUN_ENV: &str = "HEARTH_CRASH_WRITER_RUN";
const SEED_ENV: &str = "HEARTH_CRASH_SEED";
const DEFAULT_SEED: u64 = 0x4845_4152_5448;
/// Kills in a normal run; `HEARTH_CRASH_KILLS` sets more for the long run.
const KILLS: usize = 32;

fn kills() -> usize {
    std::env::var("HEARTH_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(KILLS)
}
/// How long one writer may take to report its next note before the test fails.
const STALL: Duration = Duration::from_secs(60);

fn add_note(doc: &mut AutoCommit, id: &str) {
    let notes = match doc.get(ROOT, "notes").unwrap() {
        Some((_, notes)) => notes,
        None => doc.put_object(ROOT, "notes", ObjType::Map).unwrap(),
    };
    doc.put(&notes, id, "a note").unwrap();
}

fn note_ids(doc: Option<AutoCommit>) -> BTreeSet<String> {
    let Some(doc) = doc else {
        return BTreeSet::new();
    };
    match doc.get(ROOT, "notes").unwrap() {
        Some((_, notes)) => doc.keys(&notes).collect(),
        None => BTreeSet::new(),
    }
}

/// Not a test on its own: the writer process. Appends a note per write (every fourth also to the
/// private journal, in the same transaction) and prints `ID <id> <private>` once `append`
/// returned, until it is killed.
#[test]
fn crash_writer_child() {
    let Some(dir) = std::env::var_os(DIR_ENV) else {
        return;
    };
    let run = std::env::var(RUN_ENV).unwrap();
    let mut profile = Profile::open(Path::new(&dir), None).unwrap();
    let store = profile.store_mut();
    // Compact often, so kills land in compactions too.
    store.set_compaction_policy(CompactionPolicy {
        max_incrementals: 6,
        min_bytes: 2048,
        inline_factor: 1,
    });
    let mut shared = store.load(DocSlot::Shared).unwrap().unwrap_or_default();
    let mut private = store.load(DocSlot::Private).unwrap().unwrap_or_default();
    let mut out = std::io::stdout().lock();
    // libtest has printed "test crash_writer_child ... " without a newline.
    writeln!(out).unwrap();
    for i in 0..100_000 {
        let id = format!("{run}-{i}");
        add_note(&mut shared, &id);
        let with_private = i % 4 == 0;
        let infos = if with_private {
            add_note(&mut private, &id);
            store
                .append_batch(&mut [
                    (DocSlot::Shared, &mut shared),
                    (DocSlot::Private, &mut private),
                ])
                .unwrap()
        } else {
            vec![store.append(DocSlot::Shared, &mut shared).unwrap()]
        };
        for info in infos.iter().flatten() {
            if let Compaction::Failed(e) = &info.compaction {
                panic!("compaction failed: {e}");
            }
        }
        writeln!(out, "ID {id} {}", u8::from(with_private)).unwrap();
        out.flush().unwrap();
    }
}

#[test]
fn appends_survive_sigkill_at_random_moments() {
    if std::env::var_os(DIR_ENV).is_some() {
        return;
    }
    let seed = std::env::var(SEED_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(DEFAULT_SEED);
    let mut rng = StdRng::seed_from_u64(seed);
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("profile");
    drop(Profile::create(&dir, None, &CreateOptions::default()).unwrap());

    let mut shared_ids = BTreeSet::new();
    let mut private_ids = BTreeSet::new();
    for round in 0..kills() {
        let kill_after: usize = rng.random_range(1..=25);
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "crash_writer_child",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(DIR_ENV, &dir)
            .env(RUN_ENV, round.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let stderr_text = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some((_, written)) = line.split_once("ID ")
                    && tx.send(written.to_owned()).is_err()
                {
                    break;
                }
            }
        });

        let mut acknowledged = 0;
        let mut killed = false;
        loop {
            match rx.recv_timeout(STALL) {
                Ok(written) => {
                    let (id, with_private) = written.split_once(' ').unwrap();
                    shared_ids.insert(id.to_owned());
                    if with_private == "1" {
                        private_ids.insert(id.to_owned());
                    }
                    acknowledged += 1;
                    if acknowledged == kill_after && !killed {
                        child.kill().unwrap();
                        killed = true;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    let _ = child.kill();
                    panic!("round {round} (seed {seed}): the writer stalled");
                }
            }
        }
        let status = child.wait().unwrap();
        let stderr_text = stderr_text.join().unwrap();
        assert_eq!(
            status.signal(),
            Some(9),
            "round {round} (seed {seed}): the writer ended on its own ({status}):\n{stderr_text}"
        );

        // The lock died with the writer; everything it acknowledged is there.
        let mut profile = match Profile::open(&dir, None) {
            Ok(profile) => profile,
            Err(ProfileError::Locked { .. }) => {
                panic!("round {round}: the lock outlived the killed writer")
            }
            Err(e) => panic!("round {round} (seed {seed}): {e}"),
        };
        let stored_shared = note_ids(profile.store_mut().load(DocSlot::Shared).unwrap());
        let stored_private = note_ids(profile.store_mut().load(DocSlot::Private).unwrap());
        let lost: Vec<_> = shared_ids.difference(&stored_shared).collect();
        assert!(
            lost.is_empty(),
            "round {round} (seed {seed}): lost {lost:?}"
        );
        let lost: Vec<_> = private_ids.difference(&stored_private).collect();
        assert!(
            lost.is_empty(),
            "round {round} (seed {seed}): lost private {lost:?}"
        );
    }
    assert!(shared_ids.len() >= kills(), "{} notes", shared_ids.len());
    let started = Instant::now();
    drop(Profile::open(&dir, None).unwrap());
    assert!(started.elapsed() < STALL);
}
