//! Backups: round trips, and every kind of file that is not a good backup.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ROOT};
use hearth_core::backup::{self, BackupError, FORMAT, Manifest};
use hearth_core::keys::SecretString;

/// Cheap scrypt for tests; real backups use age's default of about a second.
const WORK_FACTOR: u8 = 2;

fn manifest() -> Manifest {
    Manifest::new(
        chrono::DateTime::from_timestamp(1_750_000_000, 0).unwrap(),
        "kitchen display",
        vec!["Sam".into(), "Alex".into()],
    )
}

fn doc_bytes(text: &str) -> Vec<u8> {
    let mut doc = AutoCommit::new();
    doc.put(ROOT, "title", text).unwrap();
    doc.save()
}

fn pass() -> SecretString {
    SecretString::from("a long backup passphrase")
}

fn make_backup(private: Option<&[u8]>) -> Vec<u8> {
    backup::write(
        Vec::new(),
        &pass(),
        &manifest(),
        &doc_bytes("shared"),
        private,
        Some(WORK_FACTOR),
    )
    .unwrap()
}

/// An age file sealed with `pass()` holding `plain`.
fn age_with_passphrase(plain: &[u8]) -> Vec<u8> {
    let mut recipient = age::scrypt::Recipient::new(pass());
    recipient.set_work_factor(WORK_FACTOR);
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .unwrap();
    let mut out = Vec::new();
    let mut writer = encryptor.wrap_output(&mut out).unwrap();
    writer.write_all(plain).unwrap();
    writer.finish().unwrap();
    out
}

fn tar_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in members {
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(0o600);
        builder.append_data(&mut header, name, *data).unwrap();
    }
    builder.into_inner().unwrap()
}

#[test]
fn round_trip_with_and_without_the_private_journal() {
    let private = doc_bytes("private");
    let bytes = make_backup(Some(&private));
    let read = backup::read(&bytes[..], &pass()).unwrap();
    assert_eq!(read.manifest, manifest());
    assert_eq!(read.shared, doc_bytes_loaded_equal(&read.shared, "shared"));
    assert_eq!(read.private.as_deref(), Some(&private[..]));

    let bytes = make_backup(None);
    let read = backup::read(&bytes[..], &pass()).unwrap();
    assert_eq!(read.private, None);
}

/// Returns `bytes` after checking they hold the title `text`.
fn doc_bytes_loaded_equal(bytes: &[u8], text: &str) -> Vec<u8> {
    use automerge::ReadDoc;
    let doc = AutoCommit::load(bytes).unwrap();
    let (value, _) = doc.get(ROOT, "title").unwrap().unwrap();
    assert_eq!(value.as_str(), Some(text));
    bytes.to_vec()
}

/// What `age -d backup.age | tar -x` sees: a plain tar of the three members, the manifest JSON
/// first.
#[test]
fn the_plaintext_is_a_plain_tar_of_the_documents() {
    let private = doc_bytes("private");
    let bytes = make_backup(Some(&private));
    let decryptor = age::Decryptor::new(&bytes[..]).unwrap();
    assert!(decryptor.is_scrypt());
    let identity = age::scrypt::Identity::new(pass());
    let mut plain = Vec::new();
    decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .unwrap()
        .read_to_end(&mut plain)
        .unwrap();
    let mut archive = tar::Archive::new(&plain[..]);
    let mut names = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let name = entry.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if name == "manifest.json" {
            let value: serde_json::Value = serde_json::from_slice(&data).unwrap();
            assert_eq!(value["format"], FORMAT);
            assert_eq!(value["device_name"], "kitchen display");
            assert_eq!(value["created"], "2025-06-15T15:06:40Z");
        }
        if name == "private.automerge" {
            assert_eq!(data, private);
        }
        names.push(name);
    }
    assert_eq!(
        names,
        vec!["manifest.json", "journal.automerge", "private.automerge"]
    );
}

#[test]
fn a_wrong_passphrase_is_refused() {
    let bytes = make_backup(None);
    let err = backup::read(&bytes[..], &SecretString::from("not it")).unwrap_err();
    assert!(matches!(err, BackupError::WrongPassphrase), "{err}");
    assert!(err.to_string().contains("wrong passphrase"), "{err}");
}

#[test]
fn a_truncated_backup_is_refused() {
    let bytes = make_backup(Some(&doc_bytes("private")));
    for cut in [
        bytes.len() - 1,
        bytes.len() - 17,
        bytes.len() / 2,
        bytes.len() / 4,
        200,
        40,
    ] {
        let err = backup::read(&bytes[..cut], &pass()).unwrap_err();
        assert!(
            matches!(err, BackupError::Truncated { .. }),
            "cut at {cut}: {err}"
        );
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}

#[test]
fn an_altered_backup_is_refused() {
    let bytes = make_backup(None);
    for offset in [bytes.len() - 10, bytes.len() / 2 + 50] {
        let mut altered = bytes.clone();
        altered[offset] ^= 0x20;
        let err = backup::read(&altered[..], &pass()).unwrap_err();
        assert!(
            matches!(err, BackupError::Truncated { .. }),
            "flip at {offset}: {err}"
        );
    }
}

#[test]
fn random_bytes_and_empty_files_are_not_age_files() {
    let random: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for input in [&random[..], b"", b"hello", b"age-encr"] {
        let err = backup::read(input, &pass()).unwrap_err();
        assert!(matches!(err, BackupError::NotAgeFile), "{err}");
    }
}

#[test]
fn an_age_file_sealed_to_a_key_is_not_a_backup() {
    let identity = age::x25519::Identity::generate();
    let bytes = age::encrypt(&identity.to_public(), b"whatever").unwrap();
    let err = backup::read(&bytes[..], &pass()).unwrap_err();
    assert!(matches!(err, BackupError::NotPassphraseSealed), "{err}");
}

#[test]
fn age_files_that_are_not_hearth_backups_are_refused() {
    let manifest_json = serde_json::to_vec(&manifest()).unwrap();
    let journal = doc_bytes("shared");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("plain text", b"just some text, not a tar".to_vec()),
        ("empty", Vec::new()),
        ("no manifest", tar_of(&[("journal.automerge", &journal)])),
        ("no journal", tar_of(&[("manifest.json", &manifest_json)])),
        (
            "manifest not JSON",
            tar_of(&[("manifest.json", b"{"), ("journal.automerge", &journal)]),
        ),
        (
            "manifest without fields",
            tar_of(&[
                ("manifest.json", br#"{"format":1}"#),
                ("journal.automerge", &journal),
            ]),
        ),
        (
            "photos",
            tar_of(&[("holiday.jpg", b"\xff\xd8\xff"), ("notes.txt", b"hi")]),
        ),
    ];
    for (what, plain) in cases {
        let err = backup::read(&age_with_passphrase(&plain)[..], &pass()).unwrap_err();
        assert!(
            matches!(err, BackupError::NotHearthBackup { .. }),
            "{what}: {err}"
        );
        assert!(err.to_string().contains("not a Hearth backup"), "{err}");
    }
}

#[test]
fn a_backup_from_a_newer_hearth_asks_for_an_upgrade() {
    let mut value = serde_json::to_value(manifest()).unwrap();
    value["format"] = serde_json::json!(FORMAT + 1);
    value["renamed_everything"] = serde_json::json!(true);
    let manifest_json = serde_json::to_vec(&value).unwrap();
    // Its members may have other names; the format is checked first.
    let plain = tar_of(&[("manifest.json", &manifest_json), ("journal.v2", b"x")]);
    let err = backup::read(&age_with_passphrase(&plain)[..], &pass()).unwrap_err();
    assert!(
        matches!(err, BackupError::NewerFormat { found: 2 }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade Hearth"), "{err}");
}

#[test]
fn a_journal_that_does_not_load_is_refused() {
    let bytes = backup::write(
        Vec::new(),
        &pass(),
        &manifest(),
        b"definitely not automerge",
        None,
        Some(WORK_FACTOR),
    )
    .unwrap();
    let err = backup::read(&bytes[..], &pass()).unwrap_err();
    assert!(
        matches!(
            err,
            BackupError::InvalidJournal {
                name: "journal.automerge",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn newer_manifest_fields_survive_a_read() {
    let mut manifest = manifest();
    manifest
        .extra
        .insert("photos".into(), serde_json::json!({"count": 3}));
    let bytes = backup::write(
        Vec::new(),
        &pass(),
        &manifest,
        &doc_bytes("shared"),
        None,
        Some(WORK_FACTOR),
    )
    .unwrap();
    assert_eq!(
        backup::read(&bytes[..], &pass()).unwrap().manifest,
        manifest
    );
}

#[test]
fn an_out_of_range_work_factor_is_an_error() {
    let err = backup::write(
        Vec::new(),
        &pass(),
        &manifest(),
        &doc_bytes("x"),
        None,
        Some(0),
    )
    .unwrap_err();
    assert!(matches!(err, BackupError::InvalidWorkFactor(0)), "{err}");
}
