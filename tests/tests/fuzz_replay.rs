//! Replays every saved fuzz crasher and corpus file (under `fuzz/`) through the fuzz targets'
//! entry points, plus valid seeds built here and deterministic mutations of them (cuts and
//! flipped bytes). Each must end in a clean result or error, never a panic.
//!
//! `HEARTH_WRITE_FUZZ_SEEDS=1` also writes the seeds into `fuzz/corpus/<target>/`.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use hearth_core::keys::SecretString;
use hearth_core::{DocKind, Journal, Timestamp};
use hearth_sync::{Role, Ticket};
use hearth_tests::fuzzing::TARGETS;

fn fuzz_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("fuzz")
}

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let now = Timestamp(1_767_225_600_000);
    let mut a = Journal::new(b"seed-a").unwrap().with_seed(1);
    let ana = a.add_partner("Ana", "#c0623b", now).unwrap();
    a.add_appreciation(&ana, "Thank you for the soup", true, now)
        .unwrap();
    match target {
        "ticket" => {
            let t = Ticket {
                endpoint: iroh::SecretKey::from_bytes(&[3; 32]).public(),
                addrs: vec!["127.0.0.1:4433".parse().unwrap()],
                relay: None,
                secret: [5; 16],
                expires: now,
                role: Role::Partner,
            };
            vec![t.to_text().into_bytes()]
        }
        "frames" => {
            // What a peer holding `a` sends to an empty journal, as frames.
            let mut b = Journal::new(b"seed-b").unwrap();
            let (mut sa, mut sb) = (automerge::sync::State::new(), automerge::sync::State::new());
            use automerge::sync::SyncDoc;
            let mut stream = Vec::new();
            for _ in 0..6 {
                if let Some(m) = a
                    .doc_mut(DocKind::Shared)
                    .sync()
                    .generate_sync_message(&mut sa)
                {
                    let body = m.encode();
                    stream.extend_from_slice(&(body.len() as u32).to_be_bytes());
                    stream.extend_from_slice(&body);
                    let m = automerge::sync::Message::decode(&stream[stream.len() - body.len()..])
                        .unwrap();
                    b.doc_mut(DocKind::Shared)
                        .sync()
                        .receive_sync_message(&mut sb, m)
                        .unwrap();
                }
                if let Some(m) = b
                    .doc_mut(DocKind::Shared)
                    .sync()
                    .generate_sync_message(&mut sb)
                {
                    a.doc_mut(DocKind::Shared)
                        .sync()
                        .receive_sync_message(&mut sa, m)
                        .unwrap();
                }
            }
            vec![stream]
        }
        "backup" => {
            let manifest =
                hearth_core::backup::Manifest::new(chrono::Utc::now(), "seed", vec!["Ana".into()]);
            let shared = a.doc_mut(DocKind::Shared).save();
            let pass = SecretString::from("fuzz passphrase".to_owned());
            vec![
                hearth_core::backup::write(Vec::new(), &pass, &manifest, &shared, None, Some(2))
                    .unwrap(),
            ]
        }
        "change_file" => {
            let mut plain =
                b"hearth-changes 1\n{\"from\":\"seed\",\"created\":0,\"changes\":1}\n".to_vec();
            plain.extend(a.doc_mut(DocKind::Shared).save());
            vec![plain]
        }
        _ => Vec::new(),
    }
}

fn mutations(seed: &[u8]) -> Vec<Vec<u8>> {
    let mut out = vec![seed.to_vec(), Vec::new()];
    for cut in [1, 4, 9, 17, seed.len() / 2, seed.len().saturating_sub(1)] {
        out.push(seed[..cut.min(seed.len())].to_vec());
    }
    let mut state = 0x9e37_79b9_u32;
    for _ in 0..24 {
        let mut m = seed.to_vec();
        if m.is_empty() {
            break;
        }
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let i = state as usize % m.len();
        m[i] ^= 1 << (state % 8);
        out.push(m);
    }
    out
}

#[test]
fn every_saved_input_and_mutated_seed_ends_cleanly() {
    let write = std::env::var("HEARTH_WRITE_FUZZ_SEEDS").is_ok_and(|v| v == "1");
    let mut runs = 0;
    for (name, target) in TARGETS {
        for seed in seeds(name) {
            if write {
                let dir = fuzz_dir().join("corpus").join(name);
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(dir.join("seed"), &seed).unwrap();
            }
            for input in mutations(&seed) {
                target(&input);
                runs += 1;
            }
        }
        for kind in ["corpus", "artifacts"] {
            let dir = fuzz_dir().join(kind).join(name);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let data = std::fs::read(entry.path()).unwrap();
                target(&data);
                runs += 1;
            }
        }
    }
    println!("replayed {runs} inputs");
    assert!(runs > 100);
}
