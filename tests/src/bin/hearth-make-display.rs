//! Makes a home-display profile holding a generated journal of a given size, for measuring the
//! kiosk: `hearth-make-display DIR ITEMS`.

use hearth_core::keys::KeySealing;
use hearth_core::{DocKind, DocSlot};
use hearth_sync::{Setup, init_device, load_journal};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).ok_or("usage: hearth-make-display DIR ITEMS")?;
    let items: usize = args
        .get(2)
        .ok_or("usage: hearth-make-display DIR ITEMS")?
        .parse()?;
    let mut generated = hearth_core::generator::ten_year_journal(7, items, b"generator-device")?;
    let bytes = generated.journal.doc_mut(DocKind::Shared).save();
    let mut profile = init_device(
        std::path::Path::new(dir),
        "Kitchen",
        Setup::Display,
        None,
        KeySealing::default(),
    )?;
    let mut journal = load_journal(&mut profile)?;
    journal.apply(DocKind::Shared, &bytes)?;
    let (shared, private) = journal.docs_mut();
    profile
        .store_mut()
        .append_batch(&mut [(DocSlot::Shared, shared), (DocSlot::Private, private)])?;
    println!("made {dir} with {} items", generated.items);
    Ok(())
}
