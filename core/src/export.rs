//! The journal in other forms: typed JSON data, a readable Markdown document, and the date
//! plans as an iCalendar file. Pure functions of the journal, the time and the time zone given.

use std::fmt::Display;

use chrono::TimeZone;

use crate::views::format::{local_span, local_time};
use crate::{
    Appreciation, CheckIn, DatePlan, DateStatus, Device, IStatement, Idea, Journal, KindnessAct,
    ListeningExchange, Partner, PartnerId, Repair, Timestamp, TrashEntry, WallFilter,
};
use icalendar::{Calendar, Component, EventLike, EventStatus, Property};
use serde::Serialize;

/// A partner's name as the exports write it, or a gentle placeholder.
fn name(j: &Journal, id: &PartnerId) -> String {
    j.partner(id)
        .map(|p| crate::display_safe(&p.name).into_owned())
        .unwrap_or_else(|| "someone".to_owned())
}

/// The JSON export's format version.
pub const JSON_FORMAT: u32 = 1;

/// Everything this device holds, as the typed structs of `hearth-core`.
#[derive(Debug, Serialize)]
pub struct JournalExport<'a> {
    format: u32,
    exported_at: Timestamp,
    device: &'a str,
    partners: Vec<Partner>,
    devices: Vec<Device>,
    appreciations: Vec<Appreciation>,
    dates: Vec<DatePlan>,
    ideas: Vec<Idea>,
    kindness: Vec<KindnessAct>,
    checkins: Vec<CheckIn>,
    listening: Vec<ListeningExchange>,
    /// Shared statements and this person's private drafts (`shared_at` is null for a draft).
    i_statements: Vec<IStatement>,
    /// Shared repairs and this person's private ones (`shared_at` is null while private).
    repairs: Vec<Repair>,
    trash: Vec<TrashEntry>,
}

/// The journal as one JSON document.
pub fn json(j: &Journal, device: &str, now: Timestamp) -> Result<String, serde_json::Error> {
    let export = JournalExport {
        format: JSON_FORMAT,
        exported_at: now,
        device,
        partners: j.partners(),
        devices: j.devices(),
        appreciations: j.wall(&WallFilter::default()),
        dates: j.dates(),
        ideas: j.ideas(),
        kindness: j.kindness_log(),
        checkins: j.checkins(None, None, None),
        listening: j.listening_exchanges(),
        i_statements: j.i_statements(),
        repairs: j.repairs(),
        trash: j.trash(),
    };
    let mut text = serde_json::to_string_pretty(&export)?;
    text.push('\n');
    Ok(text)
}

/// Escapes the characters Markdown would read as formatting.
fn md(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        if c == '\n' {
            out.push_str("  \n  ");
        } else {
            out.push(c);
        }
    }
    out
}

fn date_line<Tz: TimeZone>(j: &Journal, d: &DatePlan, tz: &Tz) -> String
where
    Tz::Offset: Display,
{
    let mut line = match d.status {
        DateStatus::Idea => format!("- **{}**", md(&d.title)),
        _ => format!("- **{}**, {}", md(&d.title), local_span(tz, d.start, d.end)),
    };
    if let Some(place) = &d.place {
        line.push_str(&format!(" · {}", md(place)));
    }
    if d.tech_free {
        line.push_str(" · screens away");
    }
    match d.status {
        DateStatus::Done => line.push_str(" · done"),
        DateStatus::Cancelled => line.push_str(" · called off"),
        _ => {}
    }
    line.push_str(&format!(" (planned by {})", md(&name(j, &d.planner))));
    if !d.notes.trim().is_empty() {
        line.push_str(&format!("\n  {}", md(d.notes.trim())));
    }
    for (p, r) in &d.reflections {
        line.push_str(&format!("\n  *{}:* {}", md(&name(j, p)), md(r)));
    }
    line
}

/// The journal as a document to read, print or keep. Private entries appear only in their own
/// section, and only this person's (they live in this device's private journal).
/// The journal as a readable Markdown document, times shown in `tz`.
pub fn markdown<Tz: TimeZone>(
    j: &Journal,
    me: Option<&PartnerId>,
    now: Timestamp,
    tz: &Tz,
) -> String
where
    Tz::Offset: Display,
{
    let mut o: Vec<String> = Vec::new();
    let names: Vec<String> = j.partners().into_iter().map(|p| p.name).collect();
    o.push(format!("# Our journal: {}", md(&names.join(" and "))));
    o.push(String::new());
    o.push(format!("Written out on {}.", local_time(tz, now)));

    o.push(String::new());
    o.push("## The wall".into());
    o.push(String::new());
    let wall = j.wall(&WallFilter::default());
    if wall.is_empty() {
        o.push("No notes yet.".into());
    }
    for a in &wall {
        let mut line = format!(
            "- **{}**, {}: {}",
            md(&name(j, &a.author)),
            local_time(tz, a.created),
            md(&a.text)
        );
        if a.wall_safe {
            line.push_str(" *(on the home display)*");
        }
        let reactions: Vec<String> = a
            .reactions
            .iter()
            .map(|(p, r)| format!("{} {}", md(r), md(&name(j, p))))
            .collect();
        if !reactions.is_empty() {
            line.push_str(&format!("  \n  {}", reactions.join(" · ")));
        }
        o.push(line);
    }

    o.push(String::new());
    o.push("## Dates".into());
    let sections = [
        ("Coming up", j.dates_coming_up(now)),
        ("Before", j.dates_before(now, None)),
        ("Ideas for later", j.date_ideas()),
    ];
    if sections.iter().all(|(_, l)| l.is_empty()) {
        o.push(String::new());
        o.push("No dates planned yet.".into());
    }
    for (title, list) in &sections {
        if list.is_empty() {
            continue;
        }
        o.push(String::new());
        o.push(format!("### {title}"));
        o.push(String::new());
        for d in list {
            o.push(date_line(j, d, tz));
        }
    }

    let ideas = j.ideas();
    if !ideas.is_empty() {
        o.push(String::new());
        o.push("## Idea deck".into());
        o.push(String::new());
        for i in &ideas {
            let who: Vec<String> = i.enjoyed_by.iter().map(|p| name(j, p)).collect();
            let mark = if i.matched {
                " · you both would enjoy it".to_owned()
            } else if who.is_empty() {
                String::new()
            } else {
                format!(" · {} would enjoy it", md(&who.join(", ")))
            };
            o.push(format!("- {} ({}){mark}", md(&i.title), i.kind));
        }
    }

    let kindness = j.kindness_log();
    if !kindness.is_empty() {
        o.push(String::new());
        o.push("## Kindnesses".into());
        o.push(String::new());
        for k in &kindness {
            o.push(format!(
                "- {}, {}: {}",
                md(&name(j, &k.by)),
                local_time(tz, k.when),
                md(&k.what)
            ));
        }
    }

    let checkins = j.checkins(None, None, None);
    if !checkins.is_empty() {
        o.push(String::new());
        o.push("## Check-ins".into());
        o.push(String::new());
        o.push("| Day | Who | Mood | Closeness | Note |".into());
        o.push("| --- | --- | --- | --- | --- |".into());
        for c in &checkins {
            o.push(format!(
                "| {} | {} | {} | {} | {} |",
                c.day,
                md(&name(j, &c.partner)),
                c.mood,
                c.closeness,
                md(c.note.as_deref().unwrap_or(""))
            ));
        }
    }

    let listening = j.listening_exchanges();
    if !listening.is_empty() {
        o.push(String::new());
        o.push("## Listening".into());
        for x in &listening {
            o.push(String::new());
            o.push(format!(
                "- **{}**, {}: {}",
                md(&name(j, &x.speaker)),
                local_time(tz, x.created),
                md(&x.statement)
            ));
            for s in &x.steps {
                let who = md(&name(j, &s.by));
                let text = if s.text.is_empty() {
                    "yes, that's it".to_owned()
                } else {
                    md(&s.text)
                };
                o.push(format!("  - {who} ({}): {text}", s.kind));
            }
        }
    }

    let statements = j.i_statements();
    let repairs = j.repairs();
    let shared_statements: Vec<&IStatement> = statements
        .iter()
        .filter(|s| s.shared_at.is_some())
        .collect();
    let shared_repairs: Vec<&Repair> = repairs.iter().filter(|r| r.shared_at.is_some()).collect();
    if !shared_statements.is_empty() {
        o.push(String::new());
        o.push("## \"I\" statements".into());
        o.push(String::new());
        for s in &shared_statements {
            o.push(format!(
                "- **{}**, {}: {}",
                md(&name(j, &s.author)),
                local_time(tz, s.created),
                md(&s.parts.sentence())
            ));
        }
    }
    if !shared_repairs.is_empty() {
        o.push(String::new());
        o.push("## Repairs".into());
        o.push(String::new());
        for r in &shared_repairs {
            o.push(repair_line(j, r, tz));
        }
    }

    // This person's private journal: drafts and hurts not shared.
    let mine = |author: &PartnerId| me.is_some_and(|m| m == author);
    let private_statements: Vec<&IStatement> = statements
        .iter()
        .filter(|s| s.shared_at.is_none() && mine(&s.author))
        .collect();
    let private_repairs: Vec<&Repair> = repairs
        .iter()
        .filter(|r| r.shared_at.is_none() && mine(&r.author))
        .collect();
    if !private_statements.is_empty() || !private_repairs.is_empty() {
        o.push(String::new());
        o.push("## Private: only in your own journal".into());
        o.push(String::new());
        o.push(
            "> These entries live in your private journal, on your own devices. They have not \
             been shared with your partner."
                .into(),
        );
        if !private_statements.is_empty() {
            o.push(String::new());
            o.push("### \"I\" statement drafts".into());
            o.push(String::new());
            for s in &private_statements {
                o.push(format!(
                    "- {} *(private draft)*: {}",
                    local_time(tz, s.created),
                    md(&s.parts.sentence())
                ));
            }
        }
        if !private_repairs.is_empty() {
            o.push(String::new());
            o.push("### Hurts written down".into());
            o.push(String::new());
            for r in &private_repairs {
                o.push(format!("{} *(private)*", repair_line(j, r, tz)));
            }
        }
    }
    o.push(String::new());
    o.join("\n")
}

fn repair_line<Tz: TimeZone>(j: &Journal, r: &Repair, tz: &Tz) -> String
where
    Tz::Offset: Display,
{
    let mut line = format!(
        "- **{}**, {}: {}",
        md(&name(j, &r.author)),
        local_time(tz, r.created),
        md(&r.hurt)
    );
    if let Some((at, words)) = &r.acknowledged {
        line.push_str(&format!("\n  - acknowledged {}", local_time(tz, *at)));
        if let Some(w) = words {
            line.push_str(&format!(": {}", md(w)));
        }
    }
    if let Some(at) = r.understood_at {
        line.push_str(&format!("\n  - understood {}", local_time(tz, at)));
    }
    for (p, at) in &r.released {
        line.push_str(&format!(
            "\n  - released by {} {}",
            md(&name(j, p)),
            local_time(tz, *at)
        ));
    }
    line
}

/// The UID of a date's calendar event: stable, so importing again updates it.
pub fn event_uid(date: &DatePlan) -> String {
    format!("{}@hearth", date.id)
}

/// Date plans with a time as an iCalendar file: one VEVENT per date.
pub fn ics(j: &Journal, now: Timestamp) -> String {
    let utc = |t: Timestamp| t.to_datetime().unwrap_or_default();
    let mut cal = Calendar::empty();
    cal.append_property(Property::new("VERSION", "2.0"));
    cal.append_property(Property::new("PRODID", "-//Hearth//Hearth date plans//EN"));
    cal.append_property(Property::new("CALSCALE", "GREGORIAN"));
    cal.name("Hearth dates");
    for d in j.dates() {
        if d.status == DateStatus::Idea {
            continue;
        }
        let mut e = icalendar::Event::new();
        e.uid(&event_uid(&d))
            .summary(&d.title)
            .starts(utc(d.start))
            .ends(utc(d.ends()))
            .timestamp(utc(now))
            .created(utc(d.created))
            .status(match d.status {
                DateStatus::Cancelled => EventStatus::Cancelled,
                _ => EventStatus::Confirmed,
            });
        if let Some(place) = &d.place {
            e.location(place);
        }
        let mut description = Vec::new();
        if !d.notes.trim().is_empty() {
            description.push(d.notes.trim().to_owned());
        }
        if d.tech_free {
            description.push("Screens away for this one.".to_owned());
        }
        description.push(format!("Planned by {} in Hearth.", name(j, &d.planner)));
        e.description(&description.join("\n\n"));
        cal.push(e.done());
    }
    cal.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewDate;

    fn journal() -> (Journal, PartnerId) {
        let mut j = Journal::new(b"export-test-device").unwrap_or_else(|e| panic!("{e}"));
        let t = Timestamp(1_767_225_600_000);
        let ana = j
            .add_partner("Ana", "#c0623b", t)
            .unwrap_or_else(|e| panic!("{e}"));
        j.add_appreciation(&ana, "Thank you for the *soup*", true, t)
            .unwrap_or_else(|e| panic!("{e}"));
        let new = NewDate {
            title: "Picnic, by the river; with cake".into(),
            start: Some(Timestamp(t.0 + 86_400_000)),
            place: Some("River park".into()),
            notes: Some("Bring the blanket\nand the big flask".into()),
            tech_free: true,
            ..Default::default()
        };
        j.plan_date(&ana, &new, t).unwrap_or_else(|e| panic!("{e}"));
        (j, ana)
    }

    #[test]
    fn ics_parses_and_uids_are_stable() {
        let (j, _) = journal();
        let now = Timestamp(1_767_225_600_000);
        let text = ics(&j, now);
        let parsed: Calendar = text.parse().unwrap_or_else(|e| panic!("{e}"));
        let events: Vec<&icalendar::Event> = parsed.events().collect();
        assert_eq!(events.len(), 1);
        let uid = events[0].get_uid().unwrap_or_default().to_owned();
        assert_eq!(uid, format!("{}@hearth", j.dates()[0].id));
        assert_eq!(events[0].get_location(), Some("River park"));
        let again = ics(&j, Timestamp(now.0 + 1000));
        assert!(again.contains(&format!("UID:{uid}")));
    }

    #[test]
    fn markdown_escapes_and_holds_the_wall() {
        let (j, ana) = journal();
        let text = markdown(&j, Some(&ana), Timestamp(1_767_225_600_000), &chrono::Utc);
        assert!(text.contains("Thu 1 Jan 2026, 00:00"), "{text}");
        assert!(text.contains("Thank you for the \\*soup\\*"), "{text}");
        assert!(text.contains("Picnic"));
        assert!(!text.contains("## Private"));
    }
}
