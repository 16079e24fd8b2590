//! `WallAdapter`: the notes, the composer, hearts and the wall-safe switch.

use hearth_core::Id;
use hearth_core::intent::Intent;
use slint::{ComponentHandle, Model};

use super::ui::{AppWindow, Note, Reaction, WallAdapter, WeekCount};
use super::views::Limits;
use super::views::wall::{HEART, NoteView, WallView};
use super::worker::{Command, Sink};
use super::{colour, model, set_model, shell_adapter};

pub(crate) fn note(n: &NoteView) -> Note {
    Note {
        id: n.id.as_str().into(),
        author: n.author.as_str().into(),
        colour: colour(n.colour),
        text: n.text.as_str().into(),
        when: n.when.as_str().into(),
        wall_safe: n.wall_safe,
        mine: n.mine,
        reactions: model(
            n.reactions
                .iter()
                .map(|r| Reaction {
                    name: r.name.as_str().into(),
                    colour: colour(r.colour),
                    text: r.text.as_str().into(),
                })
                .collect(),
        ),
        i_reacted: n.i_reacted,
        origin: n.origin.as_str().into(),
    }
}

pub(crate) fn connect(window: &AppWindow, sink: &Sink) {
    let g = window.global::<WallAdapter>();
    let s = sink.clone();
    g.on_add_note(move |text, wall_safe| {
        let text = tidy(&text);
        s.write(Intent::AddNote {
            text,
            wall_safe,
            author: None,
        });
    });
    let s = sink.clone();
    g.on_react(move |id, on| {
        let id = Id::from(id.as_str());
        s.write(Intent::React {
            id,
            reaction: on.then(|| HEART.to_owned()),
        });
    });
    let s = sink.clone();
    g.on_set_wall_safe(move |id, safe| {
        let id = Id::from(id.as_str());
        s.write(Intent::SetWallSafe {
            id,
            wall_safe: safe,
        });
    });
    let s = sink.clone();
    g.on_delete_note(move |id| {
        let id = Id::from(id.as_str());
        s.write_then(Intent::Delete { id }, |w| {
            shell_adapter::notice(w, shell_adapter::DELETED)
        });
    });
    let s = sink.clone();
    let weak = window.as_weak();
    g.on_show_more(move || {
        let shown = weak
            .upgrade()
            .map_or(0, |w| w.global::<WallAdapter>().get_notes().row_count());
        s.send(Command::Limits(Limits {
            wall: shown + Limits::default().wall,
        }));
    });
}

pub(crate) fn apply(window: &AppWindow, view: &WallView) {
    let g = window.global::<WallAdapter>();
    set_model!(
        &g,
        get_notes,
        set_notes,
        view.notes.iter().map(note).collect()
    );
    set_model!(
        &g,
        get_week,
        set_week,
        view.week
            .iter()
            .map(|w| WeekCount {
                name: w.name.as_str().into(),
                colour: colour(w.colour),
                text: w.text.as_str().into(),
            })
            .collect()
    );
    g.set_has_more(view.has_more);
}

/// The words the note field starts with.
const PROMPT: &str = "Thank you for";

/// A note as typed after the field's "Thank you for ": no space around it and single spaces
/// where the prompt and the typing met (or a finger pressed twice); line breaks stay. A whole
/// thank-you typed after the prompt ("Thank you for Thank you for the walk", "Thank you for
/// thanks for the tea") keeps only what was typed.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c == ' ' && out.ends_with(' ') {
            continue;
        }
        out.push(c);
    }
    if let Some(rest) = out.strip_prefix(PROMPT).map(str::trim_start) {
        let typed = rest.to_lowercase();
        if typed.starts_with("thank you") || typed.starts_with("thanks") {
            return rest.to_owned();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::tidy;

    #[test]
    fn the_prompt_and_the_typing_meet_with_one_space() {
        assert_eq!(tidy("Thank you for  the soup "), "Thank you for the soup");
        assert_eq!(tidy("  Thank you for   dinner"), "Thank you for dinner");
        assert_eq!(tidy("Thanks.\n\nAgain"), "Thanks.\n\nAgain");
        assert_eq!(tidy("   "), "");
    }

    #[test]
    fn a_whole_thank_you_typed_after_the_prompt_is_not_doubled() {
        assert_eq!(
            tidy("Thank you for Thank you for the walk"),
            "Thank you for the walk"
        );
        assert_eq!(
            tidy("Thank you for thanks for the tea!"),
            "thanks for the tea!"
        );
        assert_eq!(
            tidy("Thank you for thanking my mother"),
            "Thank you for thanking my mother"
        );
        assert_eq!(tidy("Thank you for"), "Thank you for");
    }
}
