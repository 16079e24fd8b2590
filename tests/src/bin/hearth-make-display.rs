//! Makes a home-display profile holding a generated journal of a given size, for measuring the
//! kiosk: `hearth-make-display DIR ITEMS`.

use hearth_core::keys::KeySealing;
use hearth_core::{DocKind, Replica};
use hearth_sync::{Setup, init_device};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).ok_or("usage: hearth-make-display DIR ITEMS")?;
    let items: usize = args
        .get(2)
        .ok_or("usage: hearth-make-display DIR ITEMS")?
        .parse()?;
    let mut generated = hearth_core::generator::ten_year_journal(7, items, b"generator-device")?;
    // A display holds the wall document the partners' devices project from the journal.
    generated.journal.project_wall()?;
    let bytes = generated.journal.doc_mut(DocKind::Wall).save();
    let profile = init_device(
        std::path::Path::new(dir),
        "Kitchen",
        Setup::Display,
        None,
        KeySealing::default(),
    )?;
    let mut replica = Replica::open(profile)?;
    replica.absorb(DocKind::Wall, &bytes)?;
    println!("made {dir} with {} items", generated.items);
    Ok(())
}
