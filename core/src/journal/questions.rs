//! The open-question deck: questions are ideas of kind `question` (a starter deck ships with the
//! program, and couples add their own), answered apart and opened together.
//!
//! An answer is an item of its own in the shared journal's conversations, sealed with age to
//! the current devices of the person who wrote it: the partner's devices hold it and cannot
//! read it, and no screen shows it, not even on its author's own devices (so a phone picked up
//! by the other person gives nothing away). Once a device sees that both partners have
//! answered, it opens its own person's answer: it writes the text readable next to the sealed
//! copy ([`Journal::reveal_answers`]). An answer can be changed until both have answered; a
//! change that crossed the other's first answer is opened again from its latest sealed copy.
//! Only the author's devices' values count for an answer (see `provenance`).

use std::collections::BTreeMap;
use std::io::{Read, Write};

use automerge::{AutoCommit, ObjId, ObjType, transaction::Transactable};

use super::provenance::Reader;
use super::{DocKind, Journal};
use crate::doc;
use crate::error::{JournalError, Result, Rule};
use crate::ids::{Id, PartnerId, Timestamp};
use crate::model::{Collection, DeviceKind, DeviceOwner, IdeaKind};
use crate::text;

const ANSWER: &str = "answer";
/// When the starter deck's questions are dated (their ids and order come from it).
const STARTER_EPOCH: Timestamp = Timestamp(1_735_689_600_000);
/// The longest sealed answer read back: a whole answer at its longest, sealed to a dozen
/// devices, hex-encoded, with room to spare. Anything longer is not decrypted.
const MAX_SEALED_HEX: usize = 2 * (4 * text::MAX_TEXT + 16 * 1024);

/// The starter deck, one question per line after its theme's heading (`# theme`).
const STARTER: &str = include_str!("starter_questions.txt");

/// A question of the starter deck, as the program ships it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StarterQuestion {
    /// Its id in every journal (the same on every device).
    pub id: Id,
    /// The theme it belongs to.
    pub theme: &'static str,
    /// The question.
    pub text: &'static str,
}

/// The starter deck, in its order (read from the program once).
pub fn starter_deck() -> &'static [StarterQuestion] {
    static DECK: std::sync::LazyLock<Vec<StarterQuestion>> = std::sync::LazyLock::new(|| {
        let mut out = Vec::new();
        let mut theme = "";
        for line in STARTER.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if let Some(t) = line.strip_prefix("# ") {
                theme = t;
                continue;
            }
            let n = out.len();
            let seed = blake3::hash(format!("hearth starter question {n}").as_bytes());
            let mut random = [0u8; 16];
            random.copy_from_slice(&seed.as_bytes()[..16]);
            out.push(StarterQuestion {
                id: Id::generate(starter_time(n), u128::from_le_bytes(random)),
                theme,
                text: line,
            });
        }
        out
    });
    &DECK
}

/// When the `n`th starter question is dated: its id and its place in the deck come from it.
fn starter_time(n: usize) -> Timestamp {
    Timestamp(STARTER_EPOCH.0 + i64::try_from(n).unwrap_or(0))
}

/// One partner's answer to a question, as every device may read it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The answer item's id.
    pub id: Id,
    /// Who answered (the person whose device wrote it).
    pub by: PartnerId,
    /// When it was last written.
    pub at: Timestamp,
    /// The text, once its author's device opened it (both have answered); `None` while sealed.
    pub opened: Option<String>,
    /// When it was opened.
    pub opened_at: Option<Timestamp>,
    /// The sealed copy (age, to its author's devices).
    sealed: Vec<u8>,
    /// Whether `opened` was opened from the sealed copy stored now.
    current: bool,
}

/// A question in the deck and the answers to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Question {
    /// Its id.
    pub id: Id,
    /// The question.
    pub text: String,
    /// Its theme (starter questions); `None` for a couple's own.
    pub theme: Option<String>,
    /// Who added it; `None` for a starter question.
    pub added_by: Option<PartnerId>,
    /// The latest answer of each partner who answered, in partner order.
    pub answers: Vec<Answer>,
}

impl Answer {
    /// The sealed copy as stored (age, to its author's devices at the time).
    pub fn sealed(&self) -> &[u8] {
        &self.sealed
    }
}

impl Question {
    /// `partner`'s answer, if they answered.
    pub fn answer_of(&self, partner: &PartnerId) -> Option<&Answer> {
        self.answers.iter().find(|a| &a.by == partner)
    }

    /// Both partners have answered: the answers open (and may no longer change).
    pub fn both_answered(&self) -> bool {
        self.answers.len() >= 2
    }

    /// Both have answered and both answers are open to read.
    pub fn opened(&self) -> bool {
        self.both_answered() && self.answers.iter().all(|a| a.opened.is_some() && a.current)
    }
}

fn hex_of(sealed: &[u8]) -> String {
    crate::keys::hex_encode(sealed)
}

fn fingerprint(sealed: &[u8]) -> String {
    blake3::hash(sealed).to_hex()[..32].to_owned()
}

/// Seals `text` to `recipients` with age.
fn seal(recipients: &[age::x25519::Recipient], text: &str) -> Result<Vec<u8>> {
    let refs: Vec<&dyn age::Recipient> = recipients.iter().map(|r| r as _).collect();
    let sealing = |e: String| JournalError::OutOfRange {
        field: "answer",
        detail: format!("could not be sealed: {e}"),
    };
    let enc =
        age::Encryptor::with_recipients(refs.into_iter()).map_err(|e| sealing(e.to_string()))?;
    let mut out = Vec::new();
    let mut w = enc
        .wrap_output(&mut out)
        .map_err(|e| sealing(e.to_string()))?;
    w.write_all(text.as_bytes())
        .map_err(|e| sealing(e.to_string()))?;
    w.finish().map_err(|e| sealing(e.to_string()))?;
    Ok(out)
}

/// Opens a sealed answer with this device's identity; `None` when it was not sealed to it or is
/// not a sealed answer at all.
fn open(identity: &age::x25519::Identity, sealed: &[u8]) -> Option<String> {
    let dec = age::Decryptor::new(sealed).ok()?;
    let mut r = dec
        .decrypt(std::iter::once(identity as &dyn age::Identity))
        .ok()?;
    let mut out = Vec::new();
    // No more than an answer can hold (in UTF-8, four bytes a character at most).
    let cap = u64::try_from(4 * text::MAX_TEXT + 1).unwrap_or(u64::MAX);
    r.by_ref().take(cap).read_to_end(&mut out).ok()?;
    let text = String::from_utf8(out).ok()?;
    text::long("answer", &text, true).ok()
}

fn read_answer(r: &Reader<'_>, d: &AutoCommit, id: Id, o: &ObjId) -> Option<(Id, Answer)> {
    if doc::string(d, o, "kind")? != ANSWER {
        return None;
    }
    let question = Id::from(doc::string(d, o, "question")?);
    let mut item = r.item(o, PartnerId::from(doc::string(d, o, "by")?));
    let sealed_hex = r.own(o, "sealed", &mut item)?;
    if sealed_hex.len() > MAX_SEALED_HEX {
        return None;
    }
    let sealed = crate::keys::hex_decode_vec(&sealed_hex)?;
    let opened = r.own(o, "opened", &mut item);
    let opened_from = r.own(o, "opened_from", &mut item);
    let current = opened_from.as_deref() == Some(fingerprint(&sealed).as_str());
    Some((
        question,
        Answer {
            id,
            by: item.author,
            at: Timestamp(doc::int(d, o, "at").unwrap_or(0)),
            opened: opened.filter(|_| current),
            opened_at: doc::int(d, o, "opened_at").map(Timestamp),
            sealed,
            current,
        },
    ))
}

impl Journal {
    /// Every answer, by question: the latest of each partner's (two devices of one person
    /// answering at once leave two; the later counts).
    fn answers(&self) -> BTreeMap<Id, Vec<Answer>> {
        let d = &self.shared;
        let mut by_question: BTreeMap<Id, Vec<Answer>> = BTreeMap::new();
        // The conversations that are answers, found by their kind alone: most journals hold
        // none, and then nothing else is read (this runs after every change received).
        let items: Vec<(Id, ObjId)> = self
            .live_items(DocKind::Shared, Collection::Conversations)
            .into_iter()
            .filter(|(_, o)| doc::string(d, o, "kind").as_deref() == Some(ANSWER))
            .collect();
        if items.is_empty() {
            return by_question;
        }
        let r = self.reader(DocKind::Shared);
        for (id, o) in items {
            let Some((q, a)) = read_answer(&r, d, id, &o) else {
                continue;
            };
            let list = by_question.entry(q).or_default();
            match list.iter_mut().find(|x| x.by == a.by) {
                Some(x) if (x.at, &x.id) < (a.at, &a.id) => *x = a,
                Some(_) => {}
                None => list.push(a),
            }
        }
        by_question
    }

    /// The deck's questions with their answers: the couple's own and the starter deck (loaded
    /// or not), oldest first.
    pub fn questions(&self) -> Vec<Question> {
        let order: Vec<PartnerId> = self.partners().into_iter().map(|p| p.id).collect();
        let mut answers = self.answers();
        let mut out: Vec<Question> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let starter = starter_deck();
        let themes: std::collections::HashMap<&Id, &str> =
            starter.iter().map(|s| (&s.id, s.theme)).collect();
        for idea in self.ideas() {
            if idea.kind != IdeaKind::Question {
                continue;
            }
            seen.insert(idea.id.clone());
            let theme = themes.get(&idea.id).map(|t| (*t).to_owned());
            out.push(Question {
                answers: answers.remove(&idea.id).unwrap_or_default(),
                added_by: theme.is_none().then_some(idea.added_by),
                theme,
                text: idea.title,
                id: idea.id,
            });
        }
        for s in starter {
            if seen.contains(&s.id) || self.is_trashed(DocKind::Shared, &s.id) {
                continue;
            }
            out.push(Question {
                answers: answers.remove(&s.id).unwrap_or_default(),
                id: s.id.clone(),
                text: s.text.to_owned(),
                theme: Some(s.theme.to_owned()),
                added_by: None,
            });
        }
        for q in &mut out {
            q.answers
                .sort_by_key(|a| order.iter().position(|p| p == &a.by));
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// One question of the deck.
    pub fn question(&self, id: &Id) -> Result<Question> {
        self.questions()
            .into_iter()
            .find(|q| &q.id == id)
            .ok_or_else(|| JournalError::NotFound {
                kind: "question",
                id: id.to_string(),
            })
    }

    /// Adds a question of the couple's own to the deck.
    pub fn add_question(&mut self, by: &PartnerId, text: &str, now: Timestamp) -> Result<Id> {
        self.add_idea(by, &IdeaKind::Question, text, None, now)
    }

    /// Writes the starter deck's questions the journal lacks into it (each once, under the same
    /// id on every device, so two devices loading it at once agree).
    fn load_starter_deck(&mut self, by: &PartnerId, now: Timestamp) -> Result<()> {
        let missing: Vec<(usize, &StarterQuestion)> = starter_deck()
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                self.item(DocKind::Shared, Collection::Ideas, &s.id)
                    .is_none()
            })
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        self.write(now, |j| {
            for (n, s) in missing {
                j.put_idea(
                    &s.id,
                    &IdeaKind::Question,
                    s.text,
                    None,
                    by,
                    starter_time(n),
                )?;
            }
            Ok(())
        })
    }

    /// The age recipients of `person`'s current devices: whom their answers are sealed to.
    fn own_recipients(&self, person: &PartnerId) -> Vec<age::x25519::Recipient> {
        self.devices()
            .into_iter()
            .filter(|d| {
                d.is_member()
                    && d.kind == DeviceKind::Personal
                    && d.owner == DeviceOwner::Partner(person.clone())
            })
            .filter_map(|d| d.age_recipient.parse().ok())
            .collect()
    }

    /// Answers (or changes the answer to) a question as `by`, sealed to `by`'s own devices.
    /// Refused once both have answered. Loads the starter deck on first use.
    pub fn answer_question(
        &mut self,
        question: &Id,
        by: &PartnerId,
        answer: &str,
        now: Timestamp,
    ) -> Result<Id> {
        let answer = text::long("answer", answer, true)?;
        self.require_partner(by)?;
        self.require_acting(by, false)?;
        now.check("time")?;
        let q = self.question(question)?;
        if q.both_answered() {
            return Err(JournalError::NotAllowed(Rule::AnswersOpen));
        }
        let recipients = self.own_recipients(by);
        if recipients.is_empty() {
            return Err(JournalError::NotAllowed(Rule::NoDeviceToSealTo));
        }
        let sealed = seal(&recipients, &answer)?;
        let existing = q.answer_of(by).map(|a| a.id.clone());
        self.batch(now, |j| {
            j.load_starter_deck(by, now)?;
            let coll = j.coll(DocKind::Shared, Collection::Conversations)?;
            let (id, o) = match existing
                .and_then(|id| doc::obj(&j.shared, &coll, id.as_str()).map(|o| (id, o)))
            {
                Some(found) => found,
                None => {
                    let id = j.new_id(now);
                    let d = &mut j.shared;
                    let o = d.put_object(&coll, id.as_str(), ObjType::Map)?;
                    d.put(&o, "kind", ANSWER)?;
                    d.put(&o, "question", question.as_str())?;
                    d.put(&o, "by", by.as_str())?;
                    (id, o)
                }
            };
            let d = &mut j.shared;
            d.put(&o, "sealed", hex_of(&sealed))?;
            d.put(&o, "at", now.0)?;
            d.delete(&o, "opened")?;
            d.delete(&o, "opened_from")?;
            j.answered = true;
            Ok(id)
        })
    }

    /// Whether an answer was written here since the last call (then both may be known now, and
    /// this person's may be due to open).
    pub fn take_answered(&mut self) -> bool {
        std::mem::take(&mut self.answered)
    }

    /// Opens `me`'s answers that are due: both partners have answered, and `me`'s answer is
    /// sealed (or was opened from an older sealed copy). `identity` is this device's; answers
    /// not sealed to it are left for another of `me`'s devices. Returns how many it opened.
    ///
    /// No clock is read: an answer opens at the moment the later of the two was written.
    pub fn reveal_answers(
        &mut self,
        me: &PartnerId,
        identity: &age::x25519::Identity,
    ) -> Result<usize> {
        let due: Vec<(Id, String, String, Timestamp)> = self
            .questions()
            .into_iter()
            .filter(|q| q.both_answered())
            .filter_map(|q| {
                let a = q.answer_of(me)?;
                if a.current && a.opened.is_some() {
                    return None;
                }
                let text = open(identity, &a.sealed)?;
                let both = q.answers.iter().map(|x| x.at).max().unwrap_or(a.at);
                Some((a.id.clone(), text, fingerprint(&a.sealed), both))
            })
            .collect();
        let Some(now) = due.iter().map(|d| d.3).max() else {
            return Ok(0);
        };
        let n = due.len();
        self.write(now, |j| {
            let coll = j.coll(DocKind::Shared, Collection::Conversations)?;
            let d = &mut j.shared;
            for (id, text, from, at) in due {
                let Some(o) = doc::obj(d, &coll, id.as_str()) else {
                    continue;
                };
                d.put(&o, "opened", text.as_str())?;
                d.put(&o, "opened_from", from.as_str())?;
                d.put(&o, "opened_at", at.0)?;
            }
            Ok(n)
        })
    }

    /// Whether the shared journal's changes since `heads` write an answer (its sealed copy):
    /// only then can a received change make an answer due to open. Costs what those changes
    /// hold, not what the journal holds.
    pub fn brings_answers(&mut self, heads: &[automerge::ChangeHash]) -> bool {
        self.shared.get_changes(heads).iter().any(|c| {
            c.decode().operations.iter().any(
                |op| matches!(&op.key, automerge::legacy::Key::Map(k) if k.as_str() == "sealed"),
            )
        })
    }

    /// Whether this device has answers of `me`'s to open.
    pub fn answers_due(&self, me: &PartnerId) -> bool {
        self.answers().values().any(|list| {
            list.len() >= 2
                && list
                    .iter()
                    .any(|a| &a.by == me && !(a.current && a.opened.is_some()))
        })
    }

    /// Tonight's question on `day` (days since 1970) among `questions` (as
    /// [`Journal::questions`] reads them), the same on both partners' devices: the one someone
    /// has answered and the other not yet (the earliest answered, if several), until both have;
    /// else one neither has answered, chosen by the day; `None` when every question has answers.
    pub fn tonight(questions: &[Question], day: i64) -> Option<&Question> {
        if let Some(q) = questions
            .iter()
            .filter(|q| !q.both_answered() && !q.answers.is_empty())
            .min_by_key(|q| (q.answers.iter().map(|a| a.at).min(), q.id.clone()))
        {
            return Some(q);
        }
        let fresh: Vec<&Question> = questions.iter().filter(|q| q.answers.is_empty()).collect();
        let n = i64::try_from(fresh.len()).ok().filter(|n| *n > 0)?;
        let at = usize::try_from(day.rem_euclid(n)).ok()?;
        fresh.get(at).copied()
    }
}
