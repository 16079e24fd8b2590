//! What the host shows, as plain records read from the journal: people by name, moments as
//! RFC 3339 text.

use hearth_core::views::{PeerStatus, People};
use hearth_core::{DeviceOwner, Journal, ListeningState, PartnerId, WallFilter};

use crate::convert::text;

/// A note of thanks on the wall.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Note {
    /// Its id.
    pub id: String,
    /// What it says.
    pub text: String,
    /// Who wrote it, by name.
    pub author: String,
    /// Who wrote it, by the journal's id for the person.
    pub author_id: String,
    /// The home display may show it.
    pub wall_safe: bool,
    /// When it was written (RFC 3339).
    pub created: String,
    /// Reactions to it.
    pub reactions: Vec<Reaction>,
    /// It was left on the home display.
    pub left_on_display: bool,
}

/// One person's reaction to a note.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Reaction {
    /// Who, by name.
    pub by: String,
    /// The reaction, such as a heart.
    pub reaction: String,
}

/// A date plan.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct DatePlan {
    /// Its id.
    pub id: String,
    /// What it is.
    pub title: String,
    /// When it starts (RFC 3339).
    pub when: String,
    /// When it ends (RFC 3339).
    pub end: Option<String>,
    /// Where.
    pub place: Option<String>,
    /// Notes.
    pub notes: String,
    /// Screens away.
    pub tech_free: bool,
    /// "idea", "planned", "done" or "cancelled".
    pub status: String,
    /// Who planned it, by name.
    pub planner: String,
}

/// An idea in the deck.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Idea {
    /// Its id.
    pub id: String,
    /// "date", "kindness" or "question".
    pub kind: String,
    /// What it is.
    pub title: String,
    /// For a kindness: which kind.
    pub bucket: Option<String>,
    /// Who added it, by name.
    pub added_by: String,
    /// Who would enjoy it, by name.
    pub enjoyed_by: Vec<String>,
    /// Both would.
    pub matched: bool,
}

/// A kindness done.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KindnessAct {
    /// Its id.
    pub id: String,
    /// Who did it, by name.
    pub by: String,
    /// What was done.
    pub what: String,
    /// When (RFC 3339).
    pub when: String,
    /// Which kind.
    pub bucket: Option<String>,
}

/// One person's check-in for one day.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CheckIn {
    /// Its id.
    pub id: String,
    /// Whose, by name.
    pub person: String,
    /// The day (`YYYY-MM-DD`).
    pub day: String,
    /// Mood, 1 to 5.
    pub mood: u8,
    /// Closeness, 1 to 5.
    pub closeness: u8,
    /// A line about the day.
    pub note: Option<String>,
}

/// One of the journal's people.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Person {
    /// The journal's id for them.
    pub id: String,
    /// Their name.
    pub name: String,
    /// Their colour, `#rrggbb`.
    pub colour: String,
    /// This device's person.
    pub me: bool,
}

/// A device of the journal.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Device {
    /// Its endpoint id.
    pub endpoint_id: String,
    /// Its name.
    pub name: String,
    /// Whose: a person's name, or none for the home display.
    pub person: Option<String>,
    /// "personal" or "display".
    pub kind: String,
    /// A current member (admitted by a statement that counts, not revoked).
    pub member: bool,
    /// Revoked.
    pub revoked: bool,
    /// Connected right now.
    pub connected: bool,
    /// When a document last matched this device's (RFC 3339).
    pub last_sync: Option<String>,
    /// This device.
    pub this_device: bool,
}

fn name(people: &People, id: &PartnerId) -> String {
    people.get(id).name
}

pub(crate) fn wall(j: &Journal) -> Vec<Note> {
    let people = People::of(j, None);
    j.wall(&WallFilter::default())
        .into_iter()
        .map(|n| Note {
            author: name(&people, &n.author),
            author_id: n.author.to_string(),
            reactions: n
                .reactions
                .iter()
                .map(|(by, reaction)| Reaction {
                    by: name(&people, by),
                    reaction: reaction.clone(),
                })
                .collect(),
            id: n.id.to_string(),
            text: n.text,
            wall_safe: n.wall_safe,
            created: text(n.created),
            left_on_display: n.left_on_display,
        })
        .collect()
}

pub(crate) fn dates(j: &Journal) -> Vec<DatePlan> {
    let people = People::of(j, None);
    j.dates()
        .into_iter()
        .map(|d| DatePlan {
            planner: name(&people, &d.planner),
            id: d.id.to_string(),
            title: d.title,
            when: text(d.start),
            end: d.end.map(text),
            place: d.place,
            notes: d.notes,
            tech_free: d.tech_free,
            status: d.status.as_str().to_owned(),
        })
        .collect()
}

pub(crate) fn ideas(j: &Journal) -> Vec<Idea> {
    let people = People::of(j, None);
    j.ideas()
        .into_iter()
        .map(|i| Idea {
            added_by: name(&people, &i.added_by),
            enjoyed_by: i.enjoyed_by.iter().map(|p| name(&people, p)).collect(),
            id: i.id.to_string(),
            kind: i.kind.as_str().to_owned(),
            title: i.title,
            bucket: i.bucket.map(|b| b.as_str().to_owned()),
            matched: i.matched,
        })
        .collect()
}

pub(crate) fn kindness(j: &Journal) -> Vec<KindnessAct> {
    let people = People::of(j, None);
    j.kindness_log()
        .into_iter()
        .map(|k| KindnessAct {
            by: name(&people, &k.by),
            id: k.id.to_string(),
            what: k.what,
            when: text(k.when),
            bucket: k.bucket.map(|b| b.as_str().to_owned()),
        })
        .collect()
}

pub(crate) fn check_ins(j: &Journal, days: u32) -> Vec<CheckIn> {
    let people = People::of(j, None);
    let today = chrono::Local::now().date_naive();
    let from = today - chrono::Days::new(u64::from(days.saturating_sub(1)));
    let mut all = j.checkins(None, Some(from), Some(today));
    all.sort_by(|a, b| b.day.cmp(&a.day).then(b.at.cmp(&a.at)));
    all.into_iter()
        .map(|c| CheckIn {
            person: name(&people, &c.partner),
            id: c.id.to_string(),
            day: c.day.format("%Y-%m-%d").to_string(),
            mood: c.mood,
            closeness: c.closeness,
            note: c.note,
        })
        .collect()
}

pub(crate) fn people(j: &Journal, me: Option<&PartnerId>) -> Vec<Person> {
    j.partners()
        .into_iter()
        .map(|p| Person {
            me: me == Some(&p.id),
            id: p.id.to_string(),
            name: p.name,
            colour: p.colour,
        })
        .collect()
}

pub(crate) fn devices(j: &Journal, statuses: &[PeerStatus]) -> Vec<Device> {
    let people = People::of(j, None);
    statuses
        .iter()
        .map(|s| {
            let d = &s.device;
            Device {
                endpoint_id: d.endpoint_id.clone(),
                name: d.name.clone(),
                person: match &d.owner {
                    DeviceOwner::Partner(p) => Some(name(&people, p)),
                    DeviceOwner::Home => None,
                },
                kind: d.kind.as_str().to_owned(),
                member: d.is_member(),
                revoked: d.revoked_at.is_some(),
                connected: s.connected,
                last_sync: s.last_sync.map(text),
                this_device: s.this_device,
            }
        })
        .collect()
}

/// A listening exchange: the speaker's words, what the listener heard, where it stands.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Listening {
    /// Its id.
    pub id: String,
    /// Who spoke, by name.
    pub speaker: String,
    /// What they said.
    pub statement: String,
    /// When (RFC 3339).
    pub created: String,
    /// Every step after the statement, in order.
    pub steps: Vec<ListeningStep>,
    /// "awaiting_reflection", "awaiting_confirmation" or "understood".
    pub state: String,
}

/// One step of a listening exchange.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ListeningStep {
    /// "reflection", "confirmed" or "correction".
    pub kind: String,
    /// Who, by name.
    pub by: String,
    /// What they wrote (empty for a confirmation).
    pub text: String,
    /// When (RFC 3339).
    pub at: String,
}

/// An "I" statement.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Statement {
    /// Its id.
    pub id: String,
    /// Who wrote it, by name.
    pub author: String,
    /// The statement as one sentence.
    pub sentence: String,
    /// Shared with the partner (else a private draft).
    pub shared: bool,
    /// When it was written (RFC 3339).
    pub created: String,
}

/// A repair: a hurt written down and the steps that mend it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RepairView {
    /// Its id.
    pub id: String,
    /// Who was hurt, by name.
    pub author: String,
    /// What hurt.
    pub hurt: String,
    /// Shared with the partner (else private).
    pub shared: bool,
    /// The partner acknowledged it.
    pub acknowledged: bool,
    /// Their words with the acknowledgement.
    pub acknowledgement: Option<String>,
    /// The one hurt marked the acknowledgement understood.
    pub understood: bool,
    /// Who has let it go, by name.
    pub released_by: Vec<String>,
}

/// A question of the deck and who has answered it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QuestionView {
    /// Its id.
    pub id: String,
    /// The question.
    pub text: String,
    /// Its theme, for a question of the starter deck.
    pub theme: Option<String>,
    /// One entry per partner who answered, in partner order.
    pub answers: Vec<AnswerView>,
    /// Both have answered: the answers open (and no longer change).
    pub both_answered: bool,
}

/// One partner's answer: the words only once both have answered and their author's device
/// opened it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AnswerView {
    /// Who answered, by name.
    pub by: String,
    /// When it was last written (RFC 3339).
    pub at: String,
    /// The words, once opened; `None` while sealed.
    pub text: Option<String>,
}

/// An item in the trash.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Trashed {
    /// Its id.
    pub id: String,
    /// Which collection it came from ("appreciations", "dates", ...).
    pub collection: String,
    /// The start of its text.
    pub preview: String,
    /// When it went in (RFC 3339).
    pub deleted_at: String,
    /// When it is removed for good (RFC 3339).
    pub purge_after: String,
}

pub(crate) fn listening(j: &Journal) -> Vec<Listening> {
    let people = People::of(j, None);
    j.listening_exchanges()
        .into_iter()
        .map(|x| Listening {
            speaker: name(&people, &x.speaker),
            steps: x
                .steps
                .iter()
                .map(|s| ListeningStep {
                    kind: s.kind.as_str().to_owned(),
                    by: name(&people, &s.by),
                    text: s.text.clone(),
                    at: text(s.at),
                })
                .collect(),
            state: match x.state {
                ListeningState::AwaitingReflection => "awaiting_reflection",
                ListeningState::AwaitingConfirmation => "awaiting_confirmation",
                ListeningState::Understood => "understood",
            }
            .to_owned(),
            id: x.id.to_string(),
            statement: x.statement,
            created: text(x.created),
        })
        .collect()
}

pub(crate) fn statements(j: &Journal) -> Vec<Statement> {
    let people = People::of(j, None);
    j.i_statements()
        .into_iter()
        .map(|s| Statement {
            author: name(&people, &s.author),
            sentence: s.parts.sentence(),
            shared: s.shared_at.is_some(),
            id: s.id.to_string(),
            created: text(s.created),
        })
        .collect()
}

pub(crate) fn repairs(j: &Journal) -> Vec<RepairView> {
    let people = People::of(j, None);
    j.repairs()
        .into_iter()
        .map(|r| RepairView {
            author: name(&people, &r.author),
            shared: r.shared_at.is_some(),
            acknowledged: r.acknowledged.is_some(),
            acknowledgement: r.acknowledged.and_then(|(_, words)| words),
            understood: r.understood_at.is_some(),
            released_by: r.released.iter().map(|(p, _)| name(&people, p)).collect(),
            id: r.id.to_string(),
            hurt: r.hurt,
        })
        .collect()
}

pub(crate) fn questions(j: &Journal) -> Vec<QuestionView> {
    let people = People::of(j, None);
    j.questions()
        .into_iter()
        .map(|q| QuestionView {
            both_answered: q.both_answered(),
            answers: q
                .answers
                .iter()
                .map(|a| AnswerView {
                    by: name(&people, &a.by),
                    at: text(a.at),
                    text: a.opened.clone(),
                })
                .collect(),
            id: q.id.to_string(),
            text: q.text,
            theme: q.theme,
        })
        .collect()
}

pub(crate) fn trash(j: &Journal) -> Vec<Trashed> {
    j.trash()
        .into_iter()
        .map(|t| Trashed {
            id: t.id.to_string(),
            collection: t.collection.key().to_owned(),
            preview: t.preview,
            deleted_at: text(t.deleted_at),
            purge_after: text(t.purge_after),
        })
        .collect()
}

/// The couple's mailbox as this device knows it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct MailboxInfo {
    /// The mailbox's endpoint id.
    pub endpoint_id: String,
    /// Where it listens (`ip:port`).
    pub addresses: Vec<String>,
    /// When this device last reached it (RFC 3339).
    pub last_reached: Option<String>,
    /// When this device last handed changes in.
    pub last_sent: Option<String>,
    /// When it last fetched changes.
    pub last_fetched: Option<String>,
    /// Changes here not handed in yet.
    pub pending: u64,
    /// Changes for this device made up to this moment were dropped from the mailbox before it
    /// fetched them, and no direct sync happened since: the app should ask for one.
    pub dropped_before: Option<String>,
    /// What went wrong the last time, if it did.
    pub last_error: Option<String>,
}

pub(crate) fn mailbox(s: hearth_sync::MailboxStatus) -> MailboxInfo {
    MailboxInfo {
        endpoint_id: s.mailbox.endpoint_id,
        addresses: s.mailbox.addrs,
        last_reached: s.last_reached.map(text),
        last_sent: s.last_sent.map(text),
        last_fetched: s.last_fetched.map(text),
        pending: s.pending as u64,
        dropped_before: s.dropped_before.map(text),
        last_error: s.last_error,
    }
}
