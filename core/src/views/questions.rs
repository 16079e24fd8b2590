//! Questions: tonight's open question, the ones waiting on someone, and the archive of answered
//! pairs side by side. No answer shows until both have answered, not even one's own (a phone
//! picked up by the other person gives nothing away); no streaks, no counts of who answered more.

use chrono::NaiveDate;

use crate::{Journal, Question};

use super::{Colour, Moment, People, format};

/// A question still open, as the screen and the command line show it.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct QuestionCard {
    pub id: String,
    pub text: String,
    pub theme: String,
    /// Where it stands, in a sentence.
    pub status: String,
    /// This person has answered (and may still change it).
    pub answered: bool,
    /// This person may answer (or change the answer) now.
    pub can_answer: bool,
}

/// One partner's opened answer.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct OpenAnswer {
    pub name: String,
    pub colour: Colour,
    pub text: String,
    pub when: String,
}

/// A question both have answered, with both answers.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct AnsweredPair {
    pub id: String,
    pub text: String,
    pub answers: Vec<OpenAnswer>,
    /// Both answered, and an answer waits for its author's device to open it.
    pub opening: bool,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct QuestionsView {
    /// One question at a time.
    pub tonight: Option<QuestionCard>,
    /// Questions someone has answered and the other not yet (tonight's aside).
    pub waiting: Vec<QuestionCard>,
    /// Answered pairs, the latest first.
    pub archive: Vec<AnsweredPair>,
    /// How many questions the deck holds.
    pub deck: usize,
}

/// Days since 1970 of a local day: tonight's question is the same all day on both devices.
pub fn day_number(day: NaiveDate) -> i64 {
    NaiveDate::from_ymd_opt(1970, 1, 1).map_or(0, |epoch| (day - epoch).num_days())
}

fn card(q: &Question, people: &People, at: Moment) -> QuestionCard {
    let me = people.me.clone();
    let partner = people
        .partner()
        .map_or_else(|| "your partner".to_owned(), |(_, p)| p.name);
    let mine = me.as_ref().and_then(|m| q.answer_of(m));
    let theirs = q.answers.iter().find(|a| Some(&a.by) != me.as_ref());
    let status = match (mine, theirs, q.both_answered()) {
        (_, _, true) => "Both have answered; the answers open as your devices sync.".to_owned(),
        (Some(a), None, _) => format!(
            "You answered {}. It opens when {partner} answers too; until then you can change it.",
            format::written(a.at, at)
        ),
        (None, Some(_), _) => {
            format!("{partner} has answered. Answer too, and you'll both see both answers.")
        }
        _ => format!(
            "Answer it on your own. {partner} sees your answer only after answering too, and \
             you see theirs."
        ),
    };
    QuestionCard {
        id: q.id.to_string(),
        text: q.text.clone(),
        theme: q.theme.clone().unwrap_or_else(|| "your own".into()),
        status,
        answered: mine.is_some(),
        can_answer: me.is_some() && !q.both_answered(),
    }
}

fn pair(q: &Question, people: &People, at: Moment) -> AnsweredPair {
    AnsweredPair {
        id: q.id.to_string(),
        text: q.text.clone(),
        answers: q
            .answers
            .iter()
            .map(|a| {
                let p = people.get(&a.by);
                OpenAnswer {
                    name: p.name,
                    colour: p.colour,
                    text: a
                        .opened
                        .clone()
                        .unwrap_or_else(|| "(opens when this device syncs with theirs)".into()),
                    when: format::written(a.at, at),
                }
            })
            .collect(),
        opening: !q.opened(),
    }
}

pub fn build(journal: &Journal, people: &People, at: Moment) -> QuestionsView {
    let all = journal.questions();
    let tonight = Journal::tonight(&all, day_number(at.today()));
    let waiting = all
        .iter()
        .filter(|q| !q.both_answered() && !q.answers.is_empty())
        .filter(|q| tonight.as_ref().is_none_or(|t| t.id != q.id))
        .map(|q| card(q, people, at))
        .collect();
    let mut archive: Vec<(crate::Timestamp, AnsweredPair)> = all
        .iter()
        .filter(|q| q.both_answered())
        .map(|q| {
            let last = q
                .answers
                .iter()
                .map(|a| a.at)
                .max()
                .unwrap_or(crate::Timestamp(0));
            (last, pair(q, people, at))
        })
        .collect();
    archive.sort_by_key(|a| std::cmp::Reverse(a.0));
    QuestionsView {
        tonight: tonight.map(|q| card(q, people, at)),
        waiting,
        archive: archive.into_iter().map(|(_, p)| p).collect(),
        deck: all.len(),
    }
}
