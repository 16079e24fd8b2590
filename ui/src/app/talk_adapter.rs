//! `TalkAdapter`: listening exchanges, the "I"-statement composer and its coach, repairs, and
//! the twenty-minute pause.

use hearth_core::intent::Intent;
use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use hearth_core::{IStatementParts, Id, Visibility};
use slint::{ComponentHandle, Timer, TimerMode};

use super::clock::Clock;
use super::ui::{
    AnsweredRow, AppWindow, Exchange, Hint, OpenAnswerRow, QuestionRow, RepairCard, Statement,
    Step, TalkAdapter,
};
use super::views::questions::{QuestionCard, QuestionsView};
use super::views::talk::{self, PAUSE, StepView, TalkView};
use super::worker::Sink;
use super::{colour, model, set_model, shell_adapter};

fn steps(steps: &[StepView]) -> slint::ModelRc<Step> {
    model(
        steps
            .iter()
            .map(|s| Step {
                name: s.name.as_str().into(),
                colour: colour(s.colour),
                kind: s.kind.as_str().into(),
                text: s.text.as_str().into(),
            })
            .collect(),
    )
}

fn visibility(share: bool) -> Visibility {
    if share {
        Visibility::Shared
    } else {
        Visibility::Private
    }
}

pub(crate) fn connect(window: &AppWindow, sink: &Sink, clock: Clock) {
    let g = window.global::<TalkAdapter>();
    g.set_shape(hearth_core::coach::SHAPE.into());

    let s = sink.clone();
    g.on_start_listening(move |text| {
        let text = text.trim().to_owned();
        s.write(Intent::StartListening { statement: text });
    });
    let s = sink.clone();
    g.on_reflect(move |id, text| {
        let id = Id::from(id.as_str());
        let text = text.trim().to_owned();
        s.write(Intent::Reflect { id, text });
    });
    let s = sink.clone();
    g.on_confirm(move |id| {
        let id = Id::from(id.as_str());
        s.write(Intent::ConfirmReflection { id });
    });
    let s = sink.clone();
    g.on_correct(move |id, text| {
        let id = Id::from(id.as_str());
        let text = text.trim().to_owned();
        s.write(Intent::CorrectReflection { id, text });
    });

    // The coach runs here, as you type: it is pure and quick.
    let weak = window.as_weak();
    g.on_draft_changed(move |observation, feeling, need, request| {
        let Some(w) = weak.upgrade() else { return };
        let parts = IStatementParts {
            observation: observation.into(),
            feeling: feeling.into(),
            need: need.into(),
            request: request.into(),
        };
        let hints = talk::hints(&parts)
            .into_iter()
            .map(|h| Hint {
                part: h.part.into(),
                words: h.words.into(),
                suggestion: h.suggestion.into(),
            })
            .collect();
        set_model!(&w.global::<TalkAdapter>(), get_hints, set_hints, hints);
    });
    let s = sink.clone();
    g.on_save_statement(move |editing, observation, feeling, need, request, share| {
        let parts = IStatementParts {
            observation: observation.trim().into(),
            feeling: feeling.trim().into(),
            need: need.trim().into(),
            request: request.trim().into(),
        };
        // A draft being rewritten keeps its id; sharing it then is one change with the rewrite.
        let editing = (!editing.is_empty()).then(|| Id::from(editing.as_str()));
        let intent = match editing {
            Some(id) => Intent::EditIStatement { id, parts, share },
            None => Intent::WriteIStatement {
                parts,
                visibility: visibility(share),
            },
        };
        s.write_then(intent, move |w| {
            shell_adapter::notice(
                w,
                if share {
                    "Shared."
                } else {
                    "Kept as a private draft. Share it when it feels right."
                },
            );
        });
    });
    let share = |sink: &Sink| {
        let s = sink.clone();
        move |id: slint::SharedString| {
            let id = Id::from(id.as_str());
            s.write(Intent::Share { id });
        }
    };
    g.on_share_statement(share(sink));
    g.on_share_hurt(share(sink));
    let s = sink.clone();
    g.on_edit_hurt(move |id, hurt| {
        let id = Id::from(id.as_str());
        let hurt = hurt.trim().to_owned();
        s.write(Intent::EditText { id, text: hurt });
    });
    let s = sink.clone();
    g.on_delete_draft(move |id| {
        let id = Id::from(id.as_str());
        s.write_then(Intent::Delete { id }, |w| {
            shell_adapter::notice(w, shell_adapter::DELETED)
        });
    });
    let s = sink.clone();
    g.on_write_hurt(move |hurt, share| {
        let hurt = hurt.trim().to_owned();
        s.write(Intent::WriteHurt {
            text: hurt,
            visibility: visibility(share),
        });
    });
    let s = sink.clone();
    g.on_answer_question(move |id, answer| {
        let id = Id::from(id.as_str());
        let text = answer.trim().to_owned();
        s.write_then(Intent::AnswerQuestion { id, text }, |w| {
            shell_adapter::notice(
                w,
                "Sealed. Nobody sees it until you have both answered; you can change it until then.",
            );
        });
    });
    let s = sink.clone();
    g.on_add_question(move |text| {
        let text = text.trim().to_owned();
        s.write_then(Intent::AddQuestion { text }, |w| {
            shell_adapter::notice(w, "Added to the deck.");
        });
    });
    let s = sink.clone();
    g.on_acknowledge(move |id, words| {
        let id = Id::from(id.as_str());
        let words = words.trim().to_owned();
        s.write(Intent::AcknowledgeHurt {
            id,
            words: (!words.is_empty()).then_some(words),
        });
    });
    let s = sink.clone();
    g.on_understood(move |id| {
        let id = Id::from(id.as_str());
        s.write(Intent::MarkUnderstood { id });
    });
    let s = sink.clone();
    g.on_release(move |id| {
        let id = Id::from(id.as_str());
        s.write(Intent::ReleaseHurt { id });
    });

    // The pause: a timer on the UI thread, nothing written to the journal.
    let timer = Rc::new(Timer::default());
    let ends = Rc::new(Cell::new(None::<Instant>));
    let weak = window.as_weak();
    let (t, e) = (timer.clone(), ends.clone());
    g.on_start_pause(move || {
        let Some(w) = weak.upgrade() else { return };
        let moment = clock.moment();
        let back = moment
            .local(hearth_core::Timestamp(
                moment.now.0 + i64::try_from(PAUSE.as_millis()).unwrap_or(0),
            ))
            .map(|t| t.format("%H:%M").to_string())
            .unwrap_or_default();
        e.set(Some(Instant::now() + PAUSE));
        let g = w.global::<TalkAdapter>();
        g.set_paused(true);
        g.set_pause_text(talk::pause_text(PAUSE, &back).into());
        let weak = weak.clone();
        let e = e.clone();
        t.start(TimerMode::Repeated, Duration::from_secs(1), move || {
            let (Some(w), Some(end)) = (weak.upgrade(), e.get()) else {
                return;
            };
            let g = w.global::<TalkAdapter>();
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                g.set_paused(false);
                e.set(None);
                shell_adapter::notice(
                    &w,
                    "Twenty minutes have passed. Come back to it when you both feel ready, within a day if you can.",
                );
            } else {
                g.set_pause_text(talk::pause_text(left, &back).into());
            }
        });
    });
    let weak = window.as_weak();
    g.on_end_pause(move || {
        timer.stop();
        ends.set(None);
        if let Some(w) = weak.upgrade() {
            w.global::<TalkAdapter>().set_paused(false);
        }
    });
}

fn question_row(q: &QuestionCard) -> QuestionRow {
    QuestionRow {
        id: q.id.as_str().into(),
        text: q.text.as_str().into(),
        theme: q.theme.as_str().into(),
        status: q.status.as_str().into(),
        answered: q.answered,
        can_answer: q.can_answer,
    }
}

/// The question deck's part of the Talk screen.
fn apply_questions(g: &TalkAdapter<'_>, v: &QuestionsView) {
    g.set_has_tonight(v.tonight.is_some());
    g.set_tonight(v.tonight.as_ref().map(question_row).unwrap_or_default());
    set_model!(
        g,
        get_waiting,
        set_waiting,
        v.waiting.iter().map(question_row).collect()
    );
    set_model!(
        g,
        get_archive,
        set_archive,
        v.archive
            .iter()
            .map(|p| AnsweredRow {
                id: p.id.as_str().into(),
                text: p.text.as_str().into(),
                answers: model(
                    p.answers
                        .iter()
                        .map(|a| OpenAnswerRow {
                            name: a.name.as_str().into(),
                            colour: colour(a.colour),
                            text: a.text.as_str().into(),
                            when: a.when.as_str().into(),
                        })
                        .collect(),
                ),
            })
            .collect()
    );
}

pub(crate) fn apply(window: &AppWindow, view: &TalkView) {
    let g = window.global::<TalkAdapter>();
    apply_questions(&g, &view.questions);
    set_model!(
        &g,
        get_exchanges,
        set_exchanges,
        view.exchanges
            .iter()
            .map(|x| Exchange {
                id: x.id.as_str().into(),
                speaker: x.speaker.as_str().into(),
                colour: colour(x.colour),
                statement: x.statement.as_str().into(),
                when: x.when.as_str().into(),
                steps: steps(&x.steps),
                state: x.state.as_str().into(),
                can_reflect: x.can_reflect,
                can_answer: x.can_answer,
            })
            .collect()
    );
    set_model!(
        &g,
        get_statements,
        set_statements,
        view.statements
            .iter()
            .map(|s| Statement {
                id: s.id.as_str().into(),
                author: s.author.as_str().into(),
                colour: colour(s.colour),
                text: s.text.as_str().into(),
                when: s.when.as_str().into(),
                shared: s.shared,
                mine: s.mine,
                observation: s.parts.observation.as_str().into(),
                feeling: s.parts.feeling.as_str().into(),
                need: s.parts.need.as_str().into(),
                request: s.parts.request.as_str().into(),
            })
            .collect()
    );
    set_model!(
        &g,
        get_repairs,
        set_repairs,
        view.repairs
            .iter()
            .map(|r| RepairCard {
                id: r.id.as_str().into(),
                author: r.author.as_str().into(),
                colour: colour(r.colour),
                hurt: r.hurt.as_str().into(),
                when: r.when.as_str().into(),
                shared: r.shared,
                steps: steps(&r.steps),
                can_share: r.can_share,
                can_acknowledge: r.can_acknowledge,
                can_understand: r.can_understand,
                can_release: r.can_release,
            })
            .collect()
    );
}
