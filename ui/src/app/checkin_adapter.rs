//! `CheckinAdapter`: today's check-in, the trend chart and the weekly review.

use hearth_core::intent::Intent;
use slint::ComponentHandle;

use super::ui::{AppWindow, ChartDot, ChartLine, CheckinAdapter, ReviewPerson};
use super::views::checkin::{CheckinView, LineView};
use super::worker::Sink;
use super::{colour, model, set_model, wall_adapter};

fn lines(lines: &[LineView]) -> Vec<ChartLine> {
    lines
        .iter()
        .map(|l| ChartLine {
            name: l.name.as_str().into(),
            colour: colour(l.colour),
            commands: l.line.commands.as_str().into(),
            dots: model(
                l.line
                    .dots
                    .iter()
                    .map(|&(x, y)| ChartDot { x, y })
                    .collect(),
            ),
        })
        .collect()
}

pub(crate) fn connect(window: &AppWindow, sink: &Sink) {
    let s = sink.clone();
    window
        .global::<CheckinAdapter>()
        .on_check_in(move |mood, closeness, note| {
            let (Ok(mood), Ok(closeness)) = (u8::try_from(mood), u8::try_from(closeness)) else {
                return;
            };
            let note = note.trim().to_owned();
            s.write(Intent::CheckIn {
                mood,
                closeness,
                note: (!note.is_empty()).then_some(note),
                day: None,
            });
        });
}

pub(crate) fn apply(window: &AppWindow, view: &CheckinView) {
    let g = window.global::<CheckinAdapter>();
    g.set_done_today(view.done_today);
    g.set_mood(i32::from(view.mood));
    g.set_closeness(i32::from(view.closeness));
    g.set_note(view.note.as_str().into());
    set_model!(&g, get_mood_lines, set_mood_lines, lines(&view.mood_lines));
    set_model!(
        &g,
        get_closeness_lines,
        set_closeness_lines,
        lines(&view.closeness_lines)
    );
    g.set_chart_from(view.chart_from.as_str().into());
    g.set_chart_to(view.chart_to.as_str().into());
    g.set_chart_empty(view.chart_empty);
    g.set_review_range(view.review_range.as_str().into());
    set_model!(
        &g,
        get_review_notes,
        set_review_notes,
        view.review_notes.iter().map(wall_adapter::note).collect()
    );
    set_model!(
        &g,
        get_review_people,
        set_review_people,
        view.review_people
            .iter()
            .map(|p| ReviewPerson {
                name: p.name.as_str().into(),
                colour: colour(p.colour),
                text: p.text.as_str().into(),
            })
            .collect()
    );
}
