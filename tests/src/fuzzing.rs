//! The entry points of the fuzz targets (`fuzz/`), shared with the replay test that runs every
//! saved crasher and corpus file on each test run. Each takes arbitrary bytes and must return
//! without panicking: bad input is an error, never a crash.

use std::cell::RefCell;

use automerge::AutoCommit;

use hearth_core::keys::SecretString;
use hearth_core::{DocKind, Journal};
use hearth_sync::{Ticket, apply_sync_message, open_change_file, read_frame};

thread_local! {
    static RUNTIME: Option<tokio::runtime::Runtime> =
        tokio::runtime::Builder::new_current_thread().build().ok();
    static IDENTITY: RefCell<age::x25519::Identity> = RefCell::new(age::x25519::Identity::generate());
    /// A new journal's two documents, made once: building them is most of the cost of a small
    /// input, and every input starts from a copy.
    static NEW_JOURNAL: Option<(AutoCommit, AutoCommit)> = Journal::new(b"fuzz-template")
        .ok()
        .map(|mut j| {
            let (shared, private) = j.docs_mut();
            (shared.clone(), private.clone())
        });
}

/// A new, empty journal (a copy of the template) for one input.
fn new_journal(actor: &[u8]) -> Option<Journal> {
    NEW_JOURNAL.with(|docs| {
        let (shared, private) = docs.as_ref()?;
        Journal::from_docs(shared.clone(), Some(private.clone()), actor).ok()
    })
}

/// The pairing ticket parser.
pub fn ticket(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(t) = Ticket::parse(&text) {
        // Whatever parses must print and parse back to the same ticket.
        assert_eq!(Ticket::parse(&t.to_text()).ok(), Some(t));
    }
}

/// The frame decoder and the sync message decoder, applied to a journal: the input is a stream
/// of length-prefixed frames as a peer would send them.
pub fn frames(data: &[u8]) {
    let Some(mut journal) = new_journal(b"fuzz-replica") else {
        return;
    };
    let mut state = automerge::sync::State::new();
    let mut input = data;
    RUNTIME.with(|rt| {
        let Some(rt) = rt else { return };
        rt.block_on(async {
            for _ in 0..64 {
                match read_frame(&mut input, 1 << 20).await {
                    Ok(body) => {
                        let _ =
                            apply_sync_message(&mut journal, DocKind::Shared, &mut state, &body);
                    }
                    Err(_) => break,
                }
            }
        });
    });
    // Whatever was accepted left a journal that still reads.
    let _ = journal.wall(&Default::default());
    let _ = journal.dates();
}

/// Backup restore: reading a backup file with a passphrase.
pub fn backup(data: &[u8]) {
    let _ = hearth_core::backup::read(data, &SecretString::from("fuzz passphrase".to_owned()));
}

/// Change-file import: the input is used both as a sealed file and as the plaintext of one
/// (sealed here to this process's key), then applied to a journal.
pub fn change_file(data: &[u8]) {
    IDENTITY.with(|id| {
        let id = id.borrow();
        let _ = open_change_file(&id, data);
        let Ok(enc) = age::Encryptor::with_recipients(std::iter::once(
            &id.to_public() as &dyn age::Recipient
        )) else {
            return;
        };
        let mut sealed = Vec::new();
        let Ok(mut w) = enc.wrap_output(&mut sealed) else {
            return;
        };
        if std::io::Write::write_all(&mut w, data).is_err() || w.finish().is_err() {
            return;
        }
        if let Ok(file) = open_change_file(&id, &sealed)
            && let Some(mut journal) = new_journal(b"fuzz-import")
        {
            if !file.changes.is_empty() {
                let _ = journal.apply(DocKind::Shared, &file.changes);
            }
            let _ = journal.wall(&Default::default());
        }
    });
}

/// A fuzz target's entry point.
pub type Target = fn(&[u8]);

/// Every target by name, as used by the replay test.
pub const TARGETS: &[(&str, Target)] = &[
    ("ticket", ticket),
    ("frames", frames),
    ("backup", backup),
    ("change_file", change_file),
];
