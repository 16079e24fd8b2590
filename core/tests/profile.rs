//! Profiles: creation, keys and passphrases, the lock, settings, restore and merge.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use hearth_core::backup::{self, Backup, BackupError, Manifest};
use hearth_core::keys::{KeyError, KeySealing, SecretString};
use hearth_core::{
    CreateOptions, DeviceKind, DocSlot, Profile, ProfileConfig, ProfileError, StoreError,
};

/// Cheap scrypt for tests; real profiles use age's default of about a second.
const WORK_FACTOR: u8 = 2;

fn options() -> CreateOptions {
    CreateOptions {
        device_name: "Sam's laptop".into(),
        kind: DeviceKind::Personal,
        sealing: KeySealing::with_work_factor(WORK_FACTOR),
    }
}

fn add_note(doc: &mut AutoCommit, id: &str) {
    let notes = match doc.get(ROOT, "notes").unwrap() {
        Some((_, notes)) => notes,
        None => doc.put_object(ROOT, "notes", ObjType::Map).unwrap(),
    };
    doc.put(&notes, id, "text").unwrap();
}

fn note_ids(doc: &AutoCommit) -> Vec<String> {
    match doc.get(ROOT, "notes").unwrap() {
        Some((_, notes)) => doc.keys(&notes).collect(),
        None => Vec::new(),
    }
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Entries of `dir`'s parent other than `dir`: leftovers of a failed build would show here.
fn siblings(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path != dir)
        .collect()
}

#[test]
fn create_then_open_keeps_keys_and_settings() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("profile");
    let created = Profile::create(&dir, None, &options()).unwrap();
    let (secret, recipient, actor) = (
        created.keys().endpoint_secret(),
        created.keys().recipient_string(),
        created.keys().actor_id(),
    );
    assert!(recipient.starts_with("age1"));
    assert_eq!(created.config().device_name, "Sam's laptop");
    assert_eq!(created.config().kind, DeviceKind::Personal);
    drop(created);

    let opened = Profile::open(&dir, None).unwrap();
    assert_eq!(opened.keys().endpoint_secret(), secret);
    assert_eq!(opened.keys().recipient_string(), recipient);
    assert_eq!(opened.keys().actor_id(), actor);
    assert_eq!(opened.dir(), dir);
    assert!(!Profile::needs_passphrase(&dir).unwrap());
    assert!(siblings(&dir).is_empty(), "{:?}", siblings(&dir));
}

#[cfg(unix)]
#[test]
fn profile_files_are_private() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("profile");
    let profile = Profile::create(&dir, None, &options()).unwrap();
    assert_eq!(mode(&dir), 0o700);
    for file in [
        Profile::KEY_FILE,
        Profile::CONFIG_FILE,
        Profile::STORE_FILE,
        Profile::LOCK_FILE,
    ] {
        assert_eq!(mode(&dir.join(file)), 0o600, "{file}");
    }
    // Resealing keeps the key file private.
    let pass = SecretString::from("correct horse");
    profile
        .set_passphrase(Some(&pass), KeySealing::with_work_factor(WORK_FACTOR))
        .unwrap();
    assert_eq!(mode(&dir.join(Profile::KEY_FILE)), 0o600);
}

#[test]
fn passphrase_sealing_round_trip_and_errors() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("profile");
    let pass = SecretString::from("correct horse battery staple");
    let created = Profile::create(&dir, Some(&pass), &options()).unwrap();
    let secret = created.keys().endpoint_secret();
    drop(created);

    let key_file = dir.join(Profile::KEY_FILE);
    let sealed = std::fs::read(&key_file).unwrap();
    assert!(sealed.starts_with(b"age-encryption.org/v1"));
    assert!(Profile::needs_passphrase(&dir).unwrap());

    let err = Profile::open(&dir, None).unwrap_err();
    assert!(
        matches!(err, ProfileError::Keys(KeyError::PassphraseRequired { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("HEARTH_PASSPHRASE"), "{err}");

    let wrong = SecretString::from("wrong horse");
    let err = Profile::open(&dir, Some(&wrong)).unwrap_err();
    assert!(
        matches!(err, ProfileError::Keys(KeyError::WrongPassphrase { .. })),
        "{err}"
    );
    let message = err.to_string();
    assert!(message.contains("wrong passphrase"), "{message}");
    assert!(
        message.contains(&key_file.display().to_string()),
        "{message}"
    );
    assert!(
        std::fs::read(&key_file).unwrap() == sealed,
        "key file changed"
    );

    let opened = Profile::open(&dir, Some(&pass)).unwrap();
    assert_eq!(opened.keys().endpoint_secret(), secret);

    // Change the passphrase, then remove it.
    let new = SecretString::from("a new one");
    opened
        .set_passphrase(Some(&new), KeySealing::with_work_factor(WORK_FACTOR))
        .unwrap();
    drop(opened);
    assert!(matches!(
        Profile::open(&dir, Some(&pass)),
        Err(ProfileError::Keys(KeyError::WrongPassphrase { .. }))
    ));
    let opened = Profile::open(&dir, Some(&new)).unwrap();
    opened.set_passphrase(None, KeySealing::default()).unwrap();
    drop(opened);
    let opened = Profile::open(&dir, None).unwrap();
    assert_eq!(opened.keys().endpoint_secret(), secret);
    assert!(siblings(&dir).is_empty(), "{:?}", siblings(&dir));
}

#[test]
fn a_damaged_key_file_is_reported() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("profile");
    drop(Profile::create(&dir, None, &options()).unwrap());
    let key_file = dir.join(Profile::KEY_FILE);
    let text = std::fs::read_to_string(&key_file).unwrap();
    std::fs::write(&key_file, &text[..text.len() / 2]).unwrap();
    let err = Profile::open(&dir, None).unwrap_err();
    assert!(
        matches!(err, ProfileError::Keys(KeyError::Damaged { .. })),
        "{err}"
    );
    assert!(err.to_string().contains("hearth restore"), "{err}");

    // A sealed key file cut short.
    let pass = SecretString::from("pw");
    let dir = root.path().join("sealed");
    drop(Profile::create(&dir, Some(&pass), &options()).unwrap());
    let key_file = dir.join(Profile::KEY_FILE);
    let bytes = std::fs::read(&key_file).unwrap();
    std::fs::write(&key_file, &bytes[..bytes.len() - 20]).unwrap();
    let err = Profile::open(&dir, Some(&pass)).unwrap_err();
    assert!(
        matches!(err, ProfileError::Keys(KeyError::Damaged { .. })),
        "{err}"
    );
}

#[test]
fn create_refuses_an_existing_profile_or_a_busy_directory() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("profile");
    let first = Profile::create(&dir, None, &options()).unwrap();
    let secret = first.keys().endpoint_secret();
    drop(first);
    let err = Profile::create(&dir, None, &options()).unwrap_err();
    assert!(matches!(err, ProfileError::AlreadyExists { .. }), "{err}");
    assert_eq!(
        Profile::open(&dir, None).unwrap().keys().endpoint_secret(),
        secret
    );

    let busy = root.path().join("busy");
    std::fs::create_dir(&busy).unwrap();
    std::fs::write(busy.join("holiday.jpg"), b"x").unwrap();
    let err = Profile::create(&busy, None, &options()).unwrap_err();
    assert!(matches!(err, ProfileError::NotEmpty { .. }), "{err}");

    // An existing empty directory is fine.
    let empty = root.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    drop(Profile::create(&empty, None, &options()).unwrap());
    assert!(Profile::exists(&empty));

    let missing = root.path().join("missing");
    assert!(matches!(
        Profile::open(&missing, None),
        Err(ProfileError::NotFound { .. })
    ));
}

#[test]
fn a_second_open_in_the_same_process_is_locked_out() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("profile");
    let first = Profile::create(&dir, None, &options()).unwrap();
    let err = Profile::open(&dir, None).unwrap_err();
    match &err {
        ProfileError::Locked { path, pid } => {
            assert_eq!(path, &dir);
            assert_eq!(*pid, Some(std::process::id()));
        }
        other => panic!("expected Locked, got {other}"),
    }
    assert!(
        err.to_string()
            .contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    drop(first);
    drop(Profile::open(&dir, None).unwrap());
}

const LOCK_HOLDER_ENV: &str = "HEARTH_TEST_LOCK_HOLDER_DIR";

/// Not a test on its own: run by `a_second_open_from_another_process_is_locked_out` in a child
/// process, it holds the profile open until its stdin closes.
#[test]
fn lock_holder_child() {
    let Some(dir) = std::env::var_os(LOCK_HOLDER_ENV) else {
        return;
    };
    let profile = Profile::open(Path::new(&dir), None).unwrap();
    println!("HOLDING {}", std::process::id());
    let mut line = String::new();
    while std::io::stdin().read_line(&mut line).unwrap() > 0 {}
    drop(profile);
}

#[test]
fn a_second_open_from_another_process_is_locked_out() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("profile");
    drop(Profile::create(&dir, None, &options()).unwrap());

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "lock_holder_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(LOCK_HOLDER_ENV, &dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // libtest may print "test lock_holder_child ... " on the same line.
            if let Some((_, pid)) = line.split_once("HOLDING ")
                && tx.send(pid.trim().to_owned()).is_err()
            {
                break;
            }
        }
    });
    let holding = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the child did not open the profile within 30 s");
    assert_eq!(holding, child.id().to_string());

    let err = Profile::open(&dir, None).unwrap_err();
    match &err {
        ProfileError::Locked { pid, .. } => assert_eq!(*pid, Some(child.id())),
        other => panic!("expected Locked, got {other}"),
    }
    assert!(
        err.to_string().contains(&format!("pid {}", child.id())),
        "{err}"
    );

    drop(child.stdin.take());
    assert!(child.wait().unwrap().success());
    drop(Profile::open(&dir, None).unwrap());
}

#[test]
fn settings_keep_unknown_fields_and_refuse_newer_formats() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("profile");
    drop(Profile::create(&dir, None, &options()).unwrap());
    let config_file = dir.join(Profile::CONFIG_FILE);
    let mut value: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&config_file).unwrap()).unwrap();
    value["from_the_future"] = serde_json::json!({"relay": "https://relay.example"});
    std::fs::write(&config_file, serde_json::to_vec(&value).unwrap()).unwrap();

    let mut profile = Profile::open(&dir, None).unwrap();
    profile
        .update_config(|config| {
            config.listen_port = Some(41234);
            config.kind = DeviceKind::Display;
        })
        .unwrap();
    drop(profile);
    let config = ProfileConfig::read(&config_file).unwrap();
    assert_eq!(config.listen_port, Some(41234));
    assert_eq!(config.kind, DeviceKind::Display);
    assert_eq!(
        config.extra["from_the_future"]["relay"],
        "https://relay.example"
    );

    value["format"] = serde_json::json!(99);
    std::fs::write(&config_file, serde_json::to_vec(&value).unwrap()).unwrap();
    let err = Profile::open(&dir, None).unwrap_err();
    assert!(matches!(err, ProfileError::NewerFormat { .. }), "{err}");
    assert!(err.to_string().contains("upgrade"), "{err}");
}

#[test]
fn default_dir_is_named_for_hearth() {
    if let Ok(dir) = Profile::default_dir() {
        assert!(
            dir.to_string_lossy().to_lowercase().contains("hearth"),
            "{}",
            dir.display()
        );
    }
}

/// A profile with notes in both journals, and a backup of it.
fn profile_with_backup(root: &Path, name: &str) -> (Profile, Vec<u8>, SecretString) {
    let dir = root.join(name);
    let mut profile = Profile::create(&dir, None, &options()).unwrap();
    let mut shared = AutoCommit::new();
    let mut private = AutoCommit::new();
    for i in 0..5 {
        add_note(&mut shared, &format!("{name}-shared-{i}"));
        add_note(&mut private, &format!("{name}-private-{i}"));
        profile
            .store_mut()
            .append_batch(&mut [
                (DocSlot::Shared, &mut shared),
                (DocSlot::Private, &mut private),
            ])
            .unwrap();
    }
    let pass = SecretString::from("backup pass");
    let manifest = Manifest::new(
        chrono::DateTime::UNIX_EPOCH,
        "Sam's laptop",
        vec!["Sam".into(), "Alex".into()],
    );
    let bytes = profile
        .write_backup(Vec::new(), &pass, &manifest, Some(WORK_FACTOR))
        .unwrap();
    (profile, bytes, pass)
}

#[test]
fn restore_builds_a_new_profile_from_a_backup() {
    let root = tempfile::tempdir().unwrap();
    let (mut original, bytes, pass) = profile_with_backup(root.path(), "a");
    let backup = backup::read(&bytes[..], &pass).unwrap();
    assert_eq!(backup.manifest.partner_names, vec!["Sam", "Alex"]);

    let target = root.path().join("restored");
    let key_pass = SecretString::from("new device pass");
    let mut restored = Profile::restore(&target, &backup, Some(&key_pass), &options()).unwrap();
    // A new device: new keys.
    assert_ne!(
        restored.keys().endpoint_secret(),
        original.keys().endpoint_secret()
    );
    for slot in [DocSlot::Shared, DocSlot::Private] {
        let mut want = original.store_mut().load(slot).unwrap().unwrap();
        let mut got = restored.store_mut().load(slot).unwrap().unwrap();
        assert_eq!(got.get_heads(), want.get_heads(), "{slot}");
        assert_eq!(note_ids(&got).len(), 5);
    }
    drop(restored);
    assert!(Profile::needs_passphrase(&target).unwrap());
    drop(Profile::open(&target, Some(&key_pass)).unwrap());

    // Restoring over an existing profile is refused and changes nothing.
    let before = std::fs::read(target.join(Profile::STORE_FILE)).unwrap();
    let err = Profile::restore(&target, &backup, None, &options()).unwrap_err();
    assert!(matches!(err, ProfileError::AlreadyExists { .. }), "{err}");
    assert!(std::fs::read(target.join(Profile::STORE_FILE)).unwrap() == before);
}

#[test]
fn a_failed_restore_leaves_nothing_behind() {
    let root = tempfile::tempdir().unwrap();
    let (_original, bytes, pass) = profile_with_backup(root.path(), "a");
    let good = backup::read(&bytes[..], &pass).unwrap();
    let bad = Backup {
        private: Some(b"not a document".to_vec()),
        ..good
    };
    let target = root.path().join("restored");
    let err = Profile::restore(&target, &bad, None, &options()).unwrap_err();
    assert!(
        matches!(
            err,
            ProfileError::Backup(BackupError::InvalidJournal { .. })
        ),
        "{err}"
    );
    assert!(!target.exists());
    let leftovers: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .filter(|name| name != "a")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn merging_a_backup_keeps_both_sides() {
    let root = tempfile::tempdir().unwrap();
    let (mut a, bytes, pass) = profile_with_backup(root.path(), "a");
    let (mut b, _, _) = profile_with_backup(root.path(), "b");
    let heads =
        |profile: &mut Profile, slot| profile.store_mut().load(slot).unwrap().unwrap().get_heads();
    let before: Vec<_> = [DocSlot::Shared, DocSlot::Private]
        .iter()
        .map(|slot| (heads(&mut a, *slot), heads(&mut b, *slot)))
        .collect();
    let backup = backup::read(&bytes[..], &pass).unwrap();
    b.merge_backup(&backup).unwrap();
    // Merging twice adds nothing new.
    b.merge_backup(&backup).unwrap();
    let dir = b.dir().to_owned();
    drop(b);
    let mut b = Profile::open(&dir, None).unwrap();
    for (slot, (a_heads, b_heads)) in [DocSlot::Shared, DocSlot::Private].into_iter().zip(before) {
        let mut doc = b.store_mut().load(slot).unwrap().unwrap();
        let both: Vec<_> = a_heads.iter().chain(&b_heads).copied().collect();
        assert!(doc.get_missing_deps(&both).is_empty(), "{slot}");
        let mut merged = doc.get_heads();
        let mut want = both;
        merged.sort();
        want.sort();
        assert_eq!(merged, want, "{slot}");
    }
}

#[test]
fn a_damaged_store_in_a_profile_names_the_way_out() {
    let root = tempfile::tempdir().unwrap();
    let (profile, _, _) = profile_with_backup(root.path(), "a");
    let dir = profile.dir().to_owned();
    drop(profile);
    let store = dir.join(Profile::STORE_FILE);
    let bytes = std::fs::read(&store).unwrap();
    std::fs::write(&store, &bytes[..bytes.len() / 3]).unwrap();
    let err = Profile::open(&dir, None).unwrap_err();
    assert!(
        matches!(err, ProfileError::Store(StoreError::Damaged { .. })),
        "{err}"
    );
    // Where, and what happened, in plain words: the way out is the caller's to word (the
    // command line names `hearth restore --replace`).
    let message = err.to_string();
    assert!(message.contains(&store.display().to_string()), "{message}");
    assert!(message.contains("damaged"), "{message}");
    let said = message.replace(&store.display().to_string(), "");
    for jargon in ["redb", "database", "table", "hearth restore"] {
        assert!(!said.contains(jargon), "{jargon:?} in {message}");
    }

    // Moving it aside takes the profile whole and leaves the place free.
    let aside = root.path().join("a.replaced");
    Profile::move_aside(&dir, &aside, "test").unwrap();
    assert!(!dir.exists());
    assert!(aside.join(Profile::STORE_FILE).exists());
}

/// A service's state directory, made empty and private for the profile by the package, whose
/// parent the service's user may not write: the profile is built inside it.
#[cfg(unix)]
#[test]
fn an_empty_state_directory_receives_the_profile_in_place() {
    use std::os::unix::fs::PermissionsExt;
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("hearth");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let before = std::fs::metadata(&dir).unwrap();
    let created = Profile::create(&dir, None, &options()).unwrap();
    let secret = created.keys().endpoint_secret();
    drop(created);
    // The same directory (not a new one renamed over it), nothing left beside or inside.
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(&dir).unwrap().ino(), before.ino());
    assert!(siblings(&dir).is_empty(), "{:?}", siblings(&dir));
    let mut inside: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    inside.sort();
    assert!(inside.iter().all(|n| !n.contains("creating")), "{inside:?}");
    assert_eq!(
        Profile::open(&dir, None).unwrap().keys().endpoint_secret(),
        secret
    );
    assert_eq!(mode(&dir), 0o700);
}
