//! Two partners write in their own journals while apart, then merge: nothing is lost, and both
//! end with the same wall, the same dates and the same check-ins.
//!
//! Run with `cargo run -p hearth-examples --example two_journals`.

use anyhow::Result;
use chrono::{Duration, Utc};
use hearth_core::{DocKind, Journal, NewDate, Timestamp, WallFilter};

fn main() -> Result<()> {
    let now = Timestamp::now();
    let today = Utc::now().date_naive();

    // Ana starts the journal on her phone; Ben starts his on his own.
    let mut ana_phone = Journal::new(b"ana-phone-actor!")?;
    let ana = ana_phone.add_partner("Ana", "#c0623b", now)?;
    let mut ben_phone = Journal::new(b"ben-phone-actor!")?;
    let ben = ben_phone.add_partner("Ben", "#3b7fc0", now)?;

    // Apart: each writes without a connection.
    ana_phone.add_appreciation(&ana, "Thank you for the coffee this morning", true, now)?;
    ana_phone.check_in(&ana, today, 4, 4, Some("Good day"), now)?;
    let picnic = NewDate {
        title: "Picnic by the river".into(),
        start: Some(Timestamp::from(Utc::now() + Duration::days(3))),
        place: Some("River park".into()),
        tech_free: true,
        ..Default::default()
    };
    ana_phone.plan_date(&ana, &picnic, now)?;
    ben_phone.add_appreciation(&ben, "I loved our walk on Sunday", false, now)?;
    ben_phone.check_in(&ben, today, 3, 5, None, now)?;

    println!("Apart:");
    print_side_by_side(&ana_phone, &ben_phone, now);

    // Together again: the documents merge both ways.
    ana_phone.merge(&mut ben_phone, false)?;
    ben_phone.merge(&mut ana_phone, false)?;

    println!("\nMerged:");
    print_side_by_side(&ana_phone, &ben_phone, now);
    let same = ana_phone.heads(DocKind::Shared) == ben_phone.heads(DocKind::Shared);
    println!(
        "\nBoth journals identical: {}",
        if same { "yes" } else { "NO" }
    );
    anyhow::ensure!(same, "the journals did not converge");
    Ok(())
}

fn lines(j: &Journal, now: Timestamp) -> Vec<String> {
    let name =
        |id: &hearth_core::PartnerId| j.partner(id).map(|p| p.name).unwrap_or_else(|| "?".into());
    let mut out = vec![format!(
        "partners: {}",
        j.partners()
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )];
    for a in j.wall(&WallFilter::default()) {
        out.push(format!("note  {}: {}", name(&a.author), a.text));
    }
    for d in j.upcoming_dates(now) {
        out.push(format!("date  {} ({})", d.title, d.start));
    }
    for c in j.checkins(None, None, None) {
        out.push(format!(
            "check {} mood {} closeness {}",
            name(&c.partner),
            c.mood,
            c.closeness
        ));
    }
    out
}

fn print_side_by_side(a: &Journal, b: &Journal, now: Timestamp) {
    let (left, right) = (lines(a, now), lines(b, now));
    println!("  {:<58} | Ben's phone", "Ana's phone");
    for i in 0..left.len().max(right.len()) {
        let l = left.get(i).map(String::as_str).unwrap_or("");
        let r = right.get(i).map(String::as_str).unwrap_or("");
        println!("  {l:<58.58} | {r:.58}");
    }
}
