//! The typed items of a journal, as the app and the command line see them.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::ids::{Id, PartnerId, Timestamp};

/// Defines a string-backed enum whose unknown values (from a newer version) are kept, not
/// dropped.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
        #[serde(into = "String", from = "String")]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value written by a newer version of Hearth; kept as it is.
            Other(String),
        }

        impl $name {
            /// The stored text of this value.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(s) => s,
                }
            }

            /// Every value this version knows.
            pub const KNOWN: &'static [&'static str] = &[$($text),+];
        }

        impl From<String> for $name {
            fn from(s: String) -> Self {
                match s.as_str() {
                    $($text => $name::$variant,)+
                    _ => $name::Other(s),
                }
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.as_str().to_owned()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = crate::JournalError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match $name::from(s.to_owned()) {
                    $name::Other(_) => Err(crate::JournalError::OutOfRange {
                        field: stringify!($name),
                        detail: format!("{s:?}; use one of: {}", Self::KNOWN.join(", ")),
                    }),
                    v => Ok(v),
                }
            }
        }
    };
}

/// One of the two people sharing the journal.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Partner {
    /// Their id.
    pub id: PartnerId,
    /// The name they go by.
    pub name: String,
    /// Their colour, as `#rrggbb`, used sparingly on name chips and card edges.
    pub colour: String,
    /// When they were added.
    pub added_at: Timestamp,
}

open_enum! {
    /// What a device is for.
    DeviceKind {
        /// A person's phone or computer.
        Personal => "personal",
        /// The shared display at home.
        Display => "display",
    }
}

/// Who a device belongs to.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceOwner {
    /// One of the partners.
    Partner(PartnerId),
    /// The household (a home display).
    Home,
}

impl DeviceOwner {
    pub(crate) fn decode(s: &str) -> Self {
        if s == "home" {
            DeviceOwner::Home
        } else {
            DeviceOwner::Partner(Id::from(s))
        }
    }
}

/// A paired device.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Device {
    /// The device's iroh endpoint id (its public key).
    pub endpoint_id: String,
    /// The device's age recipient (`age1...`), to seal change files for it.
    pub age_recipient: String,
    /// Who it belongs to.
    pub owner: DeviceOwner,
    /// What it is for.
    pub kind: DeviceKind,
    /// Its name ("Sam's phone").
    pub name: String,
    /// The device that added it, if any.
    pub added_by: Option<String>,
    /// When it was added.
    pub added_at: Timestamp,
    /// When it was revoked; a revoked device may not sync.
    pub revoked_at: Option<Timestamp>,
    /// Where the device last said it listens (`ip:port`), so other members can dial it.
    pub addrs: Vec<String>,
    /// Whether signed statements that count make it a member now.
    pub standing: crate::membership::Standing,
    /// Why it was added (none for an unsigned record).
    pub role: Option<crate::membership::AddRole>,
    /// Its Automerge actor id (hex), as its addition records it.
    pub actor: String,
}

impl Device {
    /// A current member: added by statements that count, and not revoked.
    pub fn is_member(&self) -> bool {
        self.standing == crate::membership::Standing::Member
    }
}

/// What a caller supplies to add a device, and what a membership statement vouches for.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct NewDevice {
    /// The device's iroh endpoint id.
    pub endpoint_id: String,
    /// The device's age recipient.
    pub age_recipient: String,
    /// Who it belongs to.
    pub owner: DeviceOwner,
    /// What it is for.
    pub kind: DeviceKind,
    /// Its name.
    pub name: String,
    /// Its Automerge actor id (hex), so views can tell which device wrote a change.
    pub actor: String,
}

/// A value in an item that a device other than its author's wrote (an old client, a bug, a
/// modified program). Views show the author's own value and carry this so it can be looked at.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Foreign {
    /// Which field ("text", "author", "hurt", ...).
    pub field: String,
    /// The name of the device that wrote it; `None` for a device this journal does not know.
    pub device: Option<String>,
    /// Whose device that is, if a person's.
    pub person: Option<PartnerId>,
    /// What it wrote, if it is text.
    pub value: Option<String>,
}

/// A note of thanks or a love note on the wall.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Appreciation {
    /// Its id.
    pub id: Id,
    /// Who wrote it.
    pub author: PartnerId,
    /// What it says.
    pub text: String,
    /// When it was written.
    pub created: Timestamp,
    /// Whether it may show on the home display.
    pub wall_safe: bool,
    /// Reactions by partner: (partner, reaction).
    pub reactions: Vec<(PartnerId, String)>,
    /// Left on the home display by the person who picked their name.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub left_on_display: bool,
    /// Values in it that a device other than its author's wrote (see [`Foreign`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign: Vec<Foreign>,
}

open_enum! {
    /// Where a date plan stands.
    DateStatus {
        /// Just an idea for now.
        Idea => "idea",
        /// On the calendar.
        Planned => "planned",
        /// It happened.
        Done => "done",
        /// Called off.
        Cancelled => "cancelled",
    }
}

/// A date plan.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct DatePlan {
    /// Its id.
    pub id: Id,
    /// What it is.
    pub title: String,
    /// When it starts.
    pub start: Timestamp,
    /// When it ends, if set.
    pub end: Option<Timestamp>,
    /// Where.
    pub place: Option<String>,
    /// Shared notes (merged character by character).
    pub notes: String,
    /// Screens away: the home display goes quiet during it.
    pub tech_free: bool,
    /// Who planned it.
    pub planner: PartnerId,
    /// Where it stands.
    pub status: DateStatus,
    /// Each partner's reflection afterwards.
    pub reflections: Vec<(PartnerId, String)>,
    /// When it was created.
    pub created: Timestamp,
}

impl DatePlan {
    /// When the date is over: its end, or two hours after its start.
    pub fn ends(&self) -> Timestamp {
        DatePlan::ends_of(self.start, self.end)
    }

    /// When a date starting at `start` ends: at `end`, or two hours later without one.
    pub(crate) fn ends_of(start: Timestamp, end: Option<Timestamp>) -> Timestamp {
        end.unwrap_or(Timestamp(start.0.saturating_add(2 * 3_600_000)))
    }

    /// Whether this is a tech-free date going on at `now` (the home display stays quiet).
    pub fn quiet_at(&self, now: Timestamp) -> bool {
        self.tech_free && self.start <= now && now < self.ends()
    }
}

/// What a caller supplies to plan a date.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct NewDate {
    /// What it is.
    pub title: String,
    /// When it starts.
    pub start: Option<Timestamp>,
    /// When it ends.
    pub end: Option<Timestamp>,
    /// Where.
    pub place: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Screens away.
    pub tech_free: bool,
}

/// Changes to a date plan: `None` leaves a field as it is.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct DateChange {
    /// A new title.
    pub title: Option<String>,
    /// A new start.
    pub start: Option<Timestamp>,
    /// A new end (`Some(None)` clears it).
    pub end: Option<Option<Timestamp>>,
    /// A new place (`Some(None)` clears it).
    pub place: Option<Option<String>>,
    /// New notes text (merged as a text edit).
    pub notes: Option<String>,
    /// Screens away or not.
    pub tech_free: Option<bool>,
    /// A new status.
    pub status: Option<DateStatus>,
}

open_enum! {
    /// What an idea in the deck is for.
    IdeaKind {
        /// Something to do together.
        Date => "date",
        /// A kindness to do for the other.
        Kindness => "kindness",
        /// An open question to ask each other.
        Question => "question",
    }
}

open_enum! {
    /// Kinds of kindness: a menu to pick from, not a personality test.
    KindnessBucket {
        /// Kind words, notes, compliments.
        Words => "words",
        /// Help with chores and errands.
        Help => "help",
        /// Small gifts and surprises.
        Gifts => "gifts",
        /// Time together, undivided.
        Time => "time",
        /// Hugs, a hand held.
        Touch => "touch",
    }
}

/// An idea in the deck.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Idea {
    /// Its id.
    pub id: Id,
    /// What kind of idea.
    pub kind: IdeaKind,
    /// The idea.
    pub title: String,
    /// For kindness ideas, the bucket.
    pub bucket: Option<KindnessBucket>,
    /// Who added it.
    pub added_by: PartnerId,
    /// When.
    pub created: Timestamp,
    /// The partners who marked "I'd enjoy this".
    pub enjoyed_by: Vec<PartnerId>,
    /// Both partners would enjoy it.
    pub matched: bool,
}

/// An act of kindness done.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct KindnessAct {
    /// Its id.
    pub id: Id,
    /// Who did it.
    pub by: PartnerId,
    /// What they did.
    pub what: String,
    /// When.
    pub when: Timestamp,
    /// Optional bucket, as an idea prompt, never a score.
    pub bucket: Option<KindnessBucket>,
}

/// A daily check-in.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct CheckIn {
    /// Its id: the partner and the day.
    pub id: Id,
    /// Who checked in.
    pub partner: PartnerId,
    /// The local day it is for.
    pub day: NaiveDate,
    /// Mood, 1-5.
    pub mood: u8,
    /// Closeness, 1-5.
    pub closeness: u8,
    /// An optional one-line note.
    pub note: Option<String>,
    /// When it was written.
    pub at: Timestamp,
}

open_enum! {
    /// The steps of a listening exchange after the statement.
    StepKind {
        /// The listener's reflection of what they heard.
        Reflection => "reflection",
        /// The speaker: "yes, that's it".
        Confirmed => "confirmed",
        /// The speaker's correction.
        Correction => "correction",
    }
}

/// One step of a listening exchange.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ListeningStep {
    /// What kind of step.
    pub kind: StepKind,
    /// Who took it.
    pub by: PartnerId,
    /// What they wrote (empty for a confirmation).
    pub text: String,
    /// When.
    pub at: Timestamp,
}

/// Where a listening exchange stands.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListeningState {
    /// The listener has not reflected yet (or not since the last correction).
    AwaitingReflection,
    /// The speaker has not confirmed or corrected the last reflection.
    AwaitingConfirmation,
    /// The speaker said "yes, that's it".
    Understood,
}

/// A listening exchange: the speaker writes, the listener reflects, the speaker confirms or
/// corrects.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ListeningExchange {
    /// Its id.
    pub id: Id,
    /// Who spoke.
    pub speaker: PartnerId,
    /// What they said.
    pub statement: String,
    /// When.
    pub created: Timestamp,
    /// The steps since, in order.
    pub steps: Vec<ListeningStep>,
    /// Where it stands.
    pub state: ListeningState,
    /// Values in it that a device other than its author's wrote (see [`Foreign`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign: Vec<Foreign>,
}

/// The four parts of an "I" statement.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct IStatementParts {
    /// What happened, as a camera would see it.
    pub observation: String,
    /// How I felt.
    pub feeling: String,
    /// What I need.
    pub need: String,
    /// What I ask for.
    pub request: String,
}

impl IStatementParts {
    /// The statement as one sentence: "When ..., I felt ..., because I need .... Would you be
    /// willing to ...?" Each part is written the way a person fills in the form, so words that
    /// repeat the template ("when", "I felt", "because I need", "would you be willing to") are
    /// not said twice, a part that brings its own clause ("Last night, when ...") or its own
    /// question ("Could you ...?") keeps it, and end punctuation inside a part is dropped.
    pub fn sentence(&self) -> String {
        let observation = clean(&self.observation);
        let feeling = strip_lead(
            clean(&self.feeling),
            &[
                "i felt ", "i feel ", "i was ", "i am ", "i'm ", "felt ", "feeling ",
            ],
        );
        let need = strip_lead(
            clean(&self.need),
            &[
                "because i need ",
                "because i needed ",
                "i need ",
                "i needed ",
                "because ",
            ],
        );
        let request = strip_lead(clean(&self.request), &["would you be willing to "]);
        let mut out = String::new();
        if !observation.is_empty() {
            let lower = observation.to_lowercase();
            if lower.starts_with("when ") || lower.contains(" when ") {
                out.push_str(&capitalise(observation));
            } else {
                out.push_str("When ");
                out.push_str(&mid_sentence(observation));
            }
            out.push_str(", ");
            out.push_str("I felt ");
        } else {
            out.push_str("I felt ");
        }
        out.push_str(&mid_sentence(feeling));
        if !need.is_empty() {
            out.push_str(", because I need ");
            out.push_str(&mid_sentence(need));
        }
        out.push('.');
        if !request.is_empty() {
            let lower = request.to_lowercase();
            let own_question = [
                "could you ",
                "can you ",
                "would you ",
                "will you ",
                "please ",
            ]
            .iter()
            .any(|q| lower.starts_with(q));
            out.push(' ');
            if own_question {
                out.push_str(&capitalise(request));
            } else {
                out.push_str("Would you be willing to ");
                out.push_str(&mid_sentence(request));
            }
            out.push('?');
        }
        out
    }
}

/// A part without surrounding space or end punctuation.
fn clean(s: &str) -> &str {
    s.trim()
        .trim_end_matches(['.', '!', '?', ',', ';', ':'])
        .trim_end()
}

/// `s` without the first of `leads` it starts with (ignoring case).
fn strip_lead<'a>(s: &'a str, leads: &[&str]) -> &'a str {
    let lower = s.to_lowercase();
    for lead in leads {
        if lower.starts_with(lead) && s.is_char_boundary(lead.len()) {
            return s[lead.len()..].trim_start();
        }
    }
    s
}

/// Words people capitalise only because a form field looks like the start of a sentence.
const SENTENCE_STARTS: &[&str] = &[
    "a",
    "after",
    "all",
    "alone",
    "an",
    "angry",
    "anxious",
    "at",
    "be",
    "before",
    "close",
    "closeness",
    "confused",
    "disappointed",
    "during",
    "every",
    "for",
    "frustrated",
    "get",
    "grateful",
    "happy",
    "have",
    "heard",
    "help",
    "hurt",
    "ignored",
    "in",
    "it",
    "last",
    "lonely",
    "loved",
    "make",
    "me",
    "more",
    "my",
    "nervous",
    "on",
    "our",
    "overwhelmed",
    "put",
    "relieved",
    "rest",
    "sad",
    "safe",
    "scared",
    "some",
    "space",
    "support",
    "take",
    "that",
    "the",
    "this",
    "time",
    "tired",
    "to",
    "today",
    "tonight",
    "unseen",
    "upset",
    "us",
    "we",
    "what",
    "worried",
    "yesterday",
    "you",
    "your",
];

/// `s` as it reads inside a sentence: a first word capitalised only because it began the
/// field ("You", "Tired") is lowered; names, "I" and anything else keep their capitals.
fn mid_sentence(s: &str) -> String {
    let first_word: String = s.chars().take_while(|c| c.is_alphabetic()).collect();
    let lowered = first_word.to_lowercase();
    if first_word != lowered && SENTENCE_STARTS.contains(&lowered.as_str()) {
        let mut out = lowered;
        out.push_str(&s[first_word.len()..]);
        return out;
    }
    s.to_owned()
}

/// `s` with its first letter in capitals.
fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An "I" statement.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct IStatement {
    /// Its id.
    pub id: Id,
    /// Who wrote it.
    pub author: PartnerId,
    /// Its parts.
    pub parts: IStatementParts,
    /// When written.
    pub created: Timestamp,
    /// When it was shared with the partner; `None` while it is a private draft.
    pub shared_at: Option<Timestamp>,
    /// Values in it that a device other than its author's wrote (see [`Foreign`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign: Vec<Foreign>,
}

/// A repair: a hurt named, acknowledged, understood and released, each step dated.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Repair {
    /// Its id.
    pub id: Id,
    /// The partner who was hurt and wrote it.
    pub author: PartnerId,
    /// The hurt, in their words.
    pub hurt: String,
    /// When written.
    pub created: Timestamp,
    /// When it was shared; `None` while private.
    pub shared_at: Option<Timestamp>,
    /// When the other partner acknowledged it, and what they said.
    pub acknowledged: Option<(Timestamp, Option<String>)>,
    /// When the author marked the other's side understood.
    pub understood_at: Option<Timestamp>,
    /// When each partner marked it released.
    pub released: Vec<(PartnerId, Timestamp)>,
    /// Values in it that a device other than its author's wrote (see [`Foreign`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub foreign: Vec<Foreign>,
}

/// Whether an item stays with its author or goes to the couple.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Only in the author's private journal, on their own devices.
    Private,
    /// In the shared journal.
    Shared,
}

/// Which collection an item lives in.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Collection {
    /// Appreciations.
    Appreciations,
    /// Date plans.
    Dates,
    /// The idea deck.
    Ideas,
    /// Kindness acts.
    Kindness,
    /// Check-ins.
    Checkins,
    /// Listening exchanges and "I" statements.
    Conversations,
    /// Repairs.
    Repairs,
}

impl Collection {
    /// Every collection.
    pub const ALL: [Collection; 7] = [
        Collection::Appreciations,
        Collection::Dates,
        Collection::Ideas,
        Collection::Kindness,
        Collection::Checkins,
        Collection::Conversations,
        Collection::Repairs,
    ];

    /// The key of the collection's map in the document.
    pub fn key(self) -> &'static str {
        match self {
            Collection::Appreciations => "appreciations",
            Collection::Dates => "dates",
            Collection::Ideas => "ideas",
            Collection::Kindness => "kindness",
            Collection::Checkins => "checkins",
            Collection::Conversations => "conversations",
            Collection::Repairs => "repairs",
        }
    }

    pub(crate) fn from_key(key: &str) -> Option<Self> {
        Collection::ALL.into_iter().find(|c| c.key() == key)
    }

    /// A singular noun for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Collection::Appreciations => "appreciation",
            Collection::Dates => "date plan",
            Collection::Ideas => "idea",
            Collection::Kindness => "kindness",
            Collection::Checkins => "check-in",
            Collection::Conversations => "conversation",
            Collection::Repairs => "repair",
        }
    }
}

/// An item that holds what was searched for ([`Journal::search`](crate::Journal::search)).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Found {
    /// Where it lives.
    pub collection: Collection,
    /// The item's id.
    pub id: Id,
    /// Who wrote the text that matched.
    pub who: PartnerId,
    /// When the item was written (a date plan: when it starts).
    pub when: Timestamp,
    /// The text that matched, whole.
    pub text: String,
}

/// An item in the trash.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct TrashEntry {
    /// The item's id.
    pub id: Id,
    /// Where it lives.
    pub collection: Collection,
    /// Which journal it is in.
    pub visibility: Visibility,
    /// A short preview of it.
    pub preview: String,
    /// When it was deleted.
    pub deleted_at: Timestamp,
    /// Who deleted it.
    pub deleted_by: PartnerId,
    /// When it goes for good.
    pub purge_after: Timestamp,
}

/// Which appreciations to show on the wall.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct WallFilter {
    /// Only this partner's notes.
    pub author: Option<PartnerId>,
    /// Only notes marked safe for the home display.
    pub wall_safe_only: bool,
    /// At most this many.
    pub limit: Option<usize>,
    /// Only notes written after this moment.
    pub after: Option<Timestamp>,
    /// Only notes written at or before this moment.
    pub until: Option<Timestamp>,
}

/// One partner's week, gently counted.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct PartnerWeek {
    /// Who.
    pub partner: PartnerId,
    /// Their name.
    pub name: String,
    /// Appreciations they wrote in the last seven days.
    pub appreciations: usize,
    /// Kindnesses they logged in the last seven days.
    pub kindnesses: usize,
    /// Their check-ins over the last seven days, oldest first.
    pub checkins: Vec<CheckIn>,
}

/// The week in review: opens with the week's appreciations.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct WeekSummary {
    /// The first day of the seven.
    pub from: NaiveDate,
    /// The last day (today).
    pub to: NaiveDate,
    /// This week's appreciations, newest first.
    pub appreciations: Vec<Appreciation>,
    /// Per partner.
    pub partners: Vec<PartnerWeek>,
}

#[cfg(test)]
mod tests {
    use super::IStatementParts;

    fn parts(o: &str, f: &str, n: &str, r: &str) -> IStatementParts {
        IStatementParts {
            observation: o.into(),
            feeling: f.into(),
            need: n.into(),
            request: r.into(),
        }
    }

    #[test]
    fn an_i_statement_reads_as_one_sentence_whatever_the_parts_start_with() {
        let cases = [
            (
                parts("my haircut went unnoticed", "unseen", "", ""),
                "When my haircut went unnoticed, I felt unseen.",
            ),
            (
                parts(
                    "Last night, when I was telling you about my day",
                    "alone",
                    "to feel heard",
                    "put the phone away at dinner?",
                ),
                "Last night, when I was telling you about my day, I felt alone, because I \
                 need to feel heard. Would you be willing to put the phone away at dinner?",
            ),
            (
                parts(
                    "When the dishes waited till morning.",
                    "I felt Tired",
                    "Because I need us to share the evening",
                    "Could you do them with me?",
                ),
                "When the dishes waited till morning, I felt tired, because I need us to share \
                 the evening. Could you do them with me?",
            ),
            (
                parts("", "I feel worried", "I need to know you are safe", ""),
                "I felt worried, because I need to know you are safe.",
            ),
            (
                parts(
                    "You came home late",
                    "lonely",
                    "",
                    "Would you be willing to text me?",
                ),
                "When you came home late, I felt lonely. Would you be willing to text me?",
            ),
            (
                parts("Sam's mother called", "Hurt", "", ""),
                "When Sam's mother called, I felt hurt.",
            ),
        ];
        for (p, want) in cases {
            assert_eq!(p.sentence(), want, "{p:?}");
        }
    }
}
