//! `DatesAdapter`: date plans, the editor, reflections and the idea deck.

use hearth_core::intent::Intent;
use hearth_core::{DateChange, DateStatus, Id, IdeaKind, NewDate};
use slint::{ComponentHandle, Model, SharedString};

use super::clock::Clock;
use super::ui::{AppWindow, DateCard, DatesAdapter, IdeaCard, Reflection};
use super::views::dates::{self, DateFields, DateView, DatesView, IdeaView};
use super::worker::Sink;
use super::{colour, model, set_model, shell_adapter};

fn card(d: &DateView) -> DateCard {
    DateCard {
        id: d.id.as_str().into(),
        title: d.title.as_str().into(),
        day: d.fields.day.as_str().into(),
        time: d.fields.time.as_str().into(),
        when: d.when.as_str().into(),
        place: d.place.as_str().into(),
        notes: d.notes.as_str().into(),
        tech_free: d.tech_free,
        planner: d.planner.as_str().into(),
        colour: colour(d.colour),
        countdown: d.countdown.as_str().into(),
        status: d.status.as_str().into(),
        reflections: model(
            d.reflections
                .iter()
                .map(|r| Reflection {
                    name: r.name.as_str().into(),
                    colour: colour(r.colour),
                    text: r.text.as_str().into(),
                })
                .collect(),
        ),
        can_reflect: d.can_reflect,
    }
}

fn idea(i: &IdeaView) -> IdeaCard {
    IdeaCard {
        id: i.id.as_str().into(),
        title: i.title.as_str().into(),
        by: i.by.as_str().into(),
        colour: colour(i.colour),
        i_enjoy: i.i_enjoy,
        matched: i.matched,
    }
}

/// Opens the editor with `fields`; `id` empty for a new date.
fn open_editor(g: &DatesAdapter<'_>, id: &str, f: &DateFields) {
    g.set_edit_id(id.into());
    g.set_edit_title(f.title.as_str().into());
    g.set_edit_day(f.day.as_str().into());
    g.set_edit_time(f.time.as_str().into());
    g.set_edit_place(f.place.as_str().into());
    g.set_edit_notes(f.notes.as_str().into());
    g.set_edit_tech_free(f.tech_free);
    g.set_edit_error(SharedString::new());
    g.set_editing(true);
}

fn optional(text: &SharedString) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

pub(crate) fn connect(window: &AppWindow, sink: &Sink, clock: Clock) {
    let g = window.global::<DatesAdapter>();

    let weak = window.as_weak();
    g.on_new_date(move || {
        if let Some(w) = weak.upgrade() {
            open_editor(
                &w.global::<DatesAdapter>(),
                "",
                &dates::new_fields(clock.moment()),
            );
        }
    });

    let weak = window.as_weak();
    g.on_edit_date(move |id| {
        let Some(w) = weak.upgrade() else { return };
        let g = w.global::<DatesAdapter>();
        let found = g
            .get_upcoming()
            .iter()
            .chain(g.get_later().iter())
            .find(|d| d.id == id);
        if let Some(d) = found {
            let fields = DateFields {
                title: d.title.to_string(),
                day: d.day.to_string(),
                time: d.time.to_string(),
                place: d.place.to_string(),
                notes: d.notes.to_string(),
                tech_free: d.tech_free,
            };
            open_editor(&g, &id, &fields);
        }
    });

    let weak = window.as_weak();
    g.on_plan_idea(move |id| {
        let Some(w) = weak.upgrade() else { return };
        let g = w.global::<DatesAdapter>();
        let title = g
            .get_matches()
            .iter()
            .chain(g.get_ideas().iter())
            .find(|i| i.id == id)
            .map(|i| i.title.to_string())
            .unwrap_or_default();
        let fields = DateFields {
            title,
            ..dates::new_fields(clock.moment())
        };
        open_editor(&g, "", &fields);
    });

    let s = sink.clone();
    let weak = window.as_weak();
    g.on_save_date(move || {
        let Some(w) = weak.upgrade() else { return };
        let g = w.global::<DatesAdapter>();
        let start = match dates::parse_when(&g.get_edit_day(), &g.get_edit_time(), clock.moment()) {
            Ok(t) => t,
            Err(text) => {
                g.set_edit_error(text.into());
                return;
            }
        };
        let id = g.get_edit_id().to_string();
        let title = g.get_edit_title().trim().to_owned();
        let place = optional(&g.get_edit_place());
        let notes = g.get_edit_notes().to_string();
        let tech_free = g.get_edit_tech_free();
        let close = |w: &AppWindow| {
            let g = w.global::<DatesAdapter>();
            g.set_editing(false);
            g.set_edit_error(SharedString::new());
        };
        if id.is_empty() {
            s.write_then(
                Intent::PlanDate(NewDate {
                    title,
                    start: Some(start),
                    end: None,
                    place,
                    notes: (!notes.trim().is_empty()).then_some(notes),
                    tech_free,
                }),
                close,
            );
        } else {
            // An idea for later given a day becomes a plan.
            let was_idea = g.get_later().iter().any(|d| d.id == id.as_str());
            let id = Id::from(id);
            s.write_then(
                Intent::UpdateDate {
                    id,
                    change: DateChange {
                        title: Some(title),
                        start: Some(start),
                        place: Some(place),
                        notes: Some(notes),
                        tech_free: Some(tech_free),
                        status: was_idea.then_some(DateStatus::Planned),
                        ..DateChange::default()
                    },
                },
                close,
            );
        }
    });

    let status = |sink: &Sink, status: DateStatus, words: &'static str| {
        let s = sink.clone();
        move |id: SharedString| {
            let id = Id::from(id.as_str());
            let status = status.clone();
            s.write_then(
                Intent::UpdateDate {
                    id,
                    change: DateChange {
                        status: Some(status),
                        ..DateChange::default()
                    },
                },
                move |w| shell_adapter::notice(w, words),
            );
        }
    };
    g.on_mark_done(status(
        sink,
        DateStatus::Done,
        "Marked as done. There's room for a reflection under Looking back.",
    ));
    g.on_call_off(status(
        sink,
        DateStatus::Cancelled,
        "Called off. Maybe another time.",
    ));

    let s = sink.clone();
    g.on_delete_date(move |id| {
        let id = Id::from(id.as_str());
        s.write(Intent::Delete { id });
    });

    let s = sink.clone();
    g.on_reflect(move |id, text| {
        let id = Id::from(id.as_str());
        let text = text.trim().to_owned();
        s.write(Intent::ReflectOnDate { id, text });
    });

    let s = sink.clone();
    let weak = window.as_weak();
    g.on_mark_idea(move |id, enjoy| {
        if id.starts_with(dates::SUGGESTED) {
            // A suggestion joins the deck, marked, so the partner can mark it too.
            let Some(w) = weak.upgrade() else { return };
            let Some(title) = w
                .global::<DatesAdapter>()
                .get_ideas()
                .iter()
                .find(|i| i.id == id)
                .map(|i| i.title.to_string())
            else {
                return;
            };
            s.write(Intent::AddIdea {
                kind: IdeaKind::Date,
                title,
                bucket: None,
                enjoy,
            });
            return;
        }
        let id = Id::from(id.as_str());
        s.write(Intent::MarkIdea { id, enjoy });
    });

    let s = sink.clone();
    g.on_edit_idea(move |id, title| {
        let id = Id::from(id.as_str());
        let title = title.trim().to_owned();
        s.write(Intent::EditText { id, text: title });
    });
    let s = sink.clone();
    g.on_add_idea(move |title| {
        let title = title.trim().to_owned();
        s.write(Intent::AddIdea {
            kind: IdeaKind::Date,
            title,
            bucket: None,
            enjoy: false,
        });
    });
}

pub(crate) fn apply(window: &AppWindow, view: &DatesView) {
    let g = window.global::<DatesAdapter>();
    g.set_next_title(view.next_title.as_str().into());
    g.set_next_countdown(view.next_countdown.as_str().into());
    set_model!(
        &g,
        get_upcoming,
        set_upcoming,
        view.upcoming.iter().map(card).collect()
    );
    set_model!(
        &g,
        get_later,
        set_later,
        view.later.iter().map(card).collect()
    );
    set_model!(&g, get_past, set_past, view.past.iter().map(card).collect());
    set_model!(
        &g,
        get_ideas,
        set_ideas,
        view.ideas.iter().map(idea).collect()
    );
    set_model!(
        &g,
        get_matches,
        set_matches,
        view.matches.iter().map(idea).collect()
    );
}
