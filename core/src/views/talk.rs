//! Talk: listening exchanges, "I" statements with the coach's hints, and repairs.

use crate::coach;
use crate::{IStatementParts, Journal, ListeningState, StepKind};

use super::{Colour, Moment, People, format};

#[derive(Clone, Debug, PartialEq, Default)]
pub struct StepView {
    pub name: String,
    pub colour: Colour,
    pub kind: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ExchangeView {
    pub id: String,
    pub speaker: String,
    pub colour: Colour,
    pub statement: String,
    pub when: String,
    pub steps: Vec<StepView>,
    pub state: String,
    pub can_reflect: bool,
    pub can_answer: bool,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct StatementView {
    pub id: String,
    pub author: String,
    pub colour: Colour,
    pub text: String,
    pub when: String,
    pub shared: bool,
    pub mine: bool,
    /// The parts as written, for rewriting one's own draft.
    pub parts: crate::IStatementParts,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct RepairView {
    pub id: String,
    pub author: String,
    pub colour: Colour,
    pub hurt: String,
    pub when: String,
    pub shared: bool,
    pub steps: Vec<StepView>,
    pub can_share: bool,
    pub can_acknowledge: bool,
    pub can_understand: bool,
    pub can_release: bool,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct TalkView {
    pub exchanges: Vec<ExchangeView>,
    pub statements: Vec<StatementView>,
    pub repairs: Vec<RepairView>,
    pub questions: super::questions::QuestionsView,
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct HintView {
    pub part: String,
    pub words: String,
    pub suggestion: String,
}

const LIST: usize = 20;

/// The coach's hints for a draft, part by part.
pub fn hints(parts: &IStatementParts) -> Vec<HintView> {
    let named = [
        ("When I saw or heard", &parts.observation),
        ("I felt", &parts.feeling),
        ("Because I need", &parts.need),
        ("Would you be willing to", &parts.request),
    ];
    named
        .into_iter()
        .flat_map(|(part, text)| {
            coach::coach(text).into_iter().map(move |h| HintView {
                part: part.to_owned(),
                words: text.get(h.span.clone()).unwrap_or_default().to_owned(),
                suggestion: h.suggestion.to_owned(),
            })
        })
        .collect()
}

pub fn build(journal: &Journal, people: &People, at: Moment) -> TalkView {
    let exchanges = journal
        .recent_listening(Some(LIST))
        .into_iter()
        .map(|x| {
            let speaker = people.get(&x.speaker);
            let i_speak = people.is_me(&x.speaker);
            let listener = people
                .partner()
                .filter(|_| i_speak)
                .map(|(_, p)| p.name)
                .unwrap_or_else(|| "your partner".into());
            let state = match (x.state, i_speak) {
                (ListeningState::AwaitingReflection, true) => {
                    format!("Waiting for {listener} to reflect it back")
                }
                (ListeningState::AwaitingReflection, false) => {
                    "Your turn: say back what you heard, in your own words".into()
                }
                (ListeningState::AwaitingConfirmation, true) => "Is that what you meant?".into(),
                (ListeningState::AwaitingConfirmation, false) => {
                    format!("Waiting for {} to say if that's it", speaker.name)
                }
                (ListeningState::Understood, _) => "Heard and understood ✓".into(),
            };
            ExchangeView {
                id: x.id.to_string(),
                colour: speaker.colour,
                statement: x.statement.clone(),
                when: format::written(x.created, at),
                steps: x
                    .steps
                    .iter()
                    .map(|s| {
                        let p = people.get(&s.by);
                        StepView {
                            name: p.name,
                            colour: p.colour,
                            kind: match s.kind {
                                StepKind::Reflection => "heard".into(),
                                StepKind::Confirmed => "yes, that's it".into(),
                                StepKind::Correction => "not quite".into(),
                                StepKind::Other(ref k) => k.clone(),
                            },
                            text: s.text.clone(),
                        }
                    })
                    .collect(),
                state,
                can_reflect: x.state == ListeningState::AwaitingReflection
                    && !i_speak
                    && people.me.is_some(),
                can_answer: x.state == ListeningState::AwaitingConfirmation && i_speak,
                speaker: speaker.name,
            }
        })
        .collect();

    let statements = journal
        .recent_i_statements(Some(LIST))
        .into_iter()
        .map(|s| {
            let author = people.get(&s.author);
            StatementView {
                id: s.id.to_string(),
                author: author.name,
                colour: author.colour,
                text: s.parts.sentence(),
                when: format::written(s.created, at),
                shared: s.shared_at.is_some(),
                mine: people.is_me(&s.author),
                parts: s.parts,
            }
        })
        .collect();

    let repairs = journal
        .recent_repairs(Some(LIST))
        .into_iter()
        .map(|r| {
            let author = people.get(&r.author);
            let mine = people.is_me(&r.author);
            let shared = r.shared_at.is_some();
            // The one who acknowledges is the partner who did not write the hurt.
            let acknowledger = people
                .ordered()
                .into_iter()
                .find(|(id, _)| *id != r.author)
                .map_or_else(|| people.get(&r.author), |(_, p)| p);
            let mut steps = Vec::new();
            if let Some((when, words)) = &r.acknowledged {
                steps.push(StepView {
                    name: acknowledger.name.clone(),
                    colour: acknowledger.colour,
                    kind: format!("acknowledged, {}", format::written(*when, at)),
                    text: words.clone().unwrap_or_default(),
                });
            }
            if let Some(when) = r.understood_at {
                steps.push(StepView {
                    name: author.name.clone(),
                    colour: author.colour,
                    kind: format!("feels understood, {}", format::written(when, at)),
                    text: String::new(),
                });
            }
            for (who, when) in &r.released {
                let p = people.get(who);
                steps.push(StepView {
                    name: p.name,
                    colour: p.colour,
                    kind: format!("let it go, {}", format::written(*when, at)),
                    text: String::new(),
                });
            }
            let i_released = r.released.iter().any(|(who, _)| people.is_me(who));
            RepairView {
                id: r.id.to_string(),
                colour: author.colour,
                hurt: r.hurt.clone(),
                when: format::written(r.created, at),
                shared,
                steps,
                can_share: mine && !shared,
                can_acknowledge: shared && !mine && r.acknowledged.is_none() && people.me.is_some(),
                can_understand: mine && r.acknowledged.is_some() && r.understood_at.is_none(),
                can_release: people.me.is_some() && !i_released && (mine || shared),
                author: author.name,
            }
        })
        .collect();

    TalkView {
        exchanges,
        statements,
        repairs,
        questions: super::questions::build(journal, people, at),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;
    use crate::Visibility;

    #[test]
    fn the_coach_speaks_up_as_you_type() {
        let parts = IStatementParts {
            observation: "you never listen to me".into(),
            feeling: "alone".into(),
            ..IStatementParts::default()
        };
        let h = hints(&parts);
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].part, "When I saw or heard");
        assert_eq!(h[0].words, "you never");
        assert!(h[0].suggestion.contains("one moment"));
        assert!(hints(&IStatementParts::default()).is_empty());
    }

    #[test]
    fn statements_read_as_one_sentence() {
        let parts = IStatementParts {
            observation: "the dishes waited till morning".into(),
            feeling: "tired".into(),
            need: "rest".into(),
            request: "do them before bed?".into(),
        };
        assert_eq!(
            parts.sentence(),
            "When the dishes waited till morning, I felt tired, because I need rest. Would you be willing to do them before bed?"
        );
    }

    #[test]
    fn whose_turn_it_is() {
        let (mut j, ana, ben) = couple();
        let x = j
            .start_listening(&ana, "I miss our evenings", at_hours(-3))
            .unwrap();
        let hurt = j
            .write_hurt(
                &ben,
                "The comment at dinner stung",
                Visibility::Shared,
                at_hours(-2),
            )
            .unwrap();
        let anas = build(&j, &People::of(&j, Some(ana.clone())), moment());
        let bens = build(&j, &People::of(&j, Some(ben.clone())), moment());
        assert!(!anas.exchanges[0].can_reflect);
        assert!(bens.exchanges[0].can_reflect);
        assert_eq!(
            anas.exchanges[0].state,
            "Waiting for Ben to reflect it back"
        );
        assert!(anas.repairs[0].can_acknowledge);
        assert!(!bens.repairs[0].can_acknowledge);

        j.reflect(&x, &ben, "You miss our time together", at_hours(-1))
            .unwrap();
        j.acknowledge_hurt(&hurt, &ana, Some("I'm sorry"), at_hours(-1))
            .unwrap();
        let anas = build(&j, &People::of(&j, Some(ana)), moment());
        let bens = build(&j, &People::of(&j, Some(ben)), moment());
        assert!(anas.exchanges[0].can_answer);
        assert_eq!(anas.exchanges[0].steps[0].kind, "heard");
        assert!(bens.repairs[0].can_understand);
        assert_eq!(bens.repairs[0].steps[0].name, "Ana");
        assert_eq!(anas.repairs[0].steps[0].name, "Ana");
    }
}

/// How long a pause lasts: long enough for a racing heart to settle.
pub const PAUSE: std::time::Duration = std::time::Duration::from_secs(20 * 60);

/// What the pause card says while the break runs.
pub fn pause_text(remaining: std::time::Duration, back_at: &str) -> String {
    let minutes = remaining.as_secs().div_ceil(60);
    format!(
        "Back together at {back_at}, {} from now. Breathe, walk, make tea.",
        format::count(
            usize::try_from(minutes).unwrap_or(usize::MAX),
            "minute",
            "minutes"
        )
    )
}

#[cfg(test)]
mod pause_tests {
    use super::*;

    #[test]
    fn the_pause_counts_down_in_minutes() {
        assert_eq!(
            pause_text(PAUSE, "21:40"),
            "Back together at 21:40, 20 minutes from now. Breathe, walk, make tea."
        );
        assert!(pause_text(std::time::Duration::from_secs(30), "21:40").contains("1 minute from"));
    }
}
