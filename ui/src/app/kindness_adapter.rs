//! `KindnessAdapter`: the idea buckets and the log of kindnesses.

use hearth_core::intent::Intent;
use hearth_core::{Id, IdeaKind, KindnessBucket};
use slint::{ComponentHandle, Model};

use super::ui::{Act, AppWindow, Bucket, KindIdea, KindnessAdapter};
use super::views::kindness::KindnessView;
use super::worker::Sink;
use super::{colour, model, set_model, shell_adapter};

fn bucket(key: &str) -> Option<KindnessBucket> {
    key.parse().ok()
}

pub(crate) fn connect(window: &AppWindow, sink: &Sink) {
    let g = window.global::<KindnessAdapter>();
    let s = sink.clone();
    g.on_log_act(move |what, key| {
        let what = what.trim().to_owned();
        let b = bucket(&key);
        s.write_then(
            Intent::LogKindness {
                what,
                when: None,
                bucket: b,
            },
            |w| shell_adapter::notice(w, "Kept in the log."),
        );
    });
    let s = sink.clone();
    g.on_add_idea(move |title, key| {
        let title = title.trim().to_owned();
        let b = bucket(&key);
        s.write(Intent::AddIdea {
            kind: IdeaKind::Kindness,
            title,
            bucket: b,
            enjoy: false,
        });
    });
    let s = sink.clone();
    let weak = window.as_weak();
    g.on_did_idea(move |id| {
        let Some(w) = weak.upgrade() else { return };
        let found = w
            .global::<KindnessAdapter>()
            .get_buckets()
            .iter()
            .find_map(|b| {
                b.ideas
                    .iter()
                    .find(|i| i.id == id)
                    .map(|i| (i.title.to_string(), bucket(&b.key)))
            });
        if let Some((what, b)) = found {
            s.write_then(
                Intent::LogKindness {
                    what,
                    when: None,
                    bucket: b,
                },
                |w| shell_adapter::notice(w, "Kept in the log."),
            );
        }
    });
    let s = sink.clone();
    g.on_edit_act(move |id, what| {
        let id = Id::from(id.as_str());
        let what = what.trim().to_owned();
        s.write(Intent::EditText { id, text: what });
    });
    let s = sink.clone();
    g.on_delete_act(move |id| {
        let id = Id::from(id.as_str());
        s.write_then(Intent::Delete { id }, |w| {
            shell_adapter::notice(w, shell_adapter::DELETED)
        });
    });
}

pub(crate) fn apply(window: &AppWindow, view: &KindnessView) {
    let g = window.global::<KindnessAdapter>();
    set_model!(
        &g,
        get_buckets,
        set_buckets,
        view.buckets
            .iter()
            .map(|b| Bucket {
                key: b.key.as_str().into(),
                name: b.name.as_str().into(),
                blurb: b.blurb.as_str().into(),
                ideas: model(
                    b.ideas
                        .iter()
                        .map(|i| KindIdea {
                            id: i.id.as_str().into(),
                            title: i.title.as_str().into(),
                        })
                        .collect(),
                ),
            })
            .collect()
    );
    set_model!(
        &g,
        get_log,
        set_log,
        view.log
            .iter()
            .map(|a| Act {
                id: a.id.as_str().into(),
                by: a.by.as_str().into(),
                colour: colour(a.colour),
                what: a.what.as_str().into(),
                when: a.when.as_str().into(),
                bucket: a.bucket.as_str().into(),
                mine: a.mine,
            })
            .collect()
    );
    g.set_week_text(view.week.as_str().into());
}
