//! `TrashAdapter`: recently deleted items, and restoring them.

use hearth_core::Id;
use hearth_core::intent::Intent;
use slint::ComponentHandle;

use super::ui::{AppWindow, TrashAdapter, TrashRow};
use super::views::trash::TrashView;
use super::worker::Sink;
use super::{set_model, shell_adapter};

pub(crate) fn connect(window: &AppWindow, sink: &Sink) {
    let s = sink.clone();
    window.global::<TrashAdapter>().on_restore(move |id| {
        let id = Id::from(id.as_str());
        s.write_then(Intent::Restore { id }, |w| {
            shell_adapter::notice(w, "Restored. It's back where it was.")
        });
    });
}

pub(crate) fn apply(window: &AppWindow, view: &TrashView) {
    let g = window.global::<TrashAdapter>();
    set_model!(
        &g,
        get_items,
        set_items,
        view.items
            .iter()
            .map(|t| TrashRow {
                id: t.id.as_str().into(),
                what: t.what.as_str().into(),
                preview: t.preview.as_str().into(),
                when: t.when.as_str().into(),
                left: t.left.as_str().into(),
            })
            .collect()
    );
}
