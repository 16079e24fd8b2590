//! Talk: listening exchanges, "I" statements and repairs. Hard things start private; sharing
//! is an explicit act.

use automerge::{ObjId, ObjType, transaction::Transactable};

use super::provenance::Reader;
use super::{DocKind, Journal};
use crate::doc;
use crate::error::{JournalError, Result, Rule};
use crate::ids::{Id, PartnerId, Timestamp};
use crate::model::{
    Collection, IStatement, IStatementParts, ListeningExchange, ListeningState, ListeningStep,
    Repair, StepKind, Visibility,
};
use crate::text;

const LISTENING: &str = "listening";
const I_STATEMENT: &str = "i_statement";
pub(super) const PARTS: [&str; 4] = ["observation", "feeling", "need", "request"];

fn read_listening(r: &Reader<'_>, id: Id, o: &ObjId) -> Option<ListeningExchange> {
    let d = r.doc();
    if doc::string(d, o, "kind")? != LISTENING {
        return None;
    }
    let mut steps: Vec<(String, ListeningStep)> = doc::obj(d, o, "steps")
        .map(|s| {
            doc::keys(d, &s)
                .into_iter()
                .filter_map(|k| {
                    let st = doc::obj(d, &s, &k)?;
                    Some((
                        k,
                        ListeningStep {
                            kind: StepKind::from(doc::string(d, &st, "kind")?),
                            by: Id::from(doc::string(d, &st, "by")?),
                            text: doc::string(d, &st, "text").unwrap_or_default(),
                            at: Timestamp(doc::int(d, &st, "at").unwrap_or(0)),
                        },
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    steps.sort_by(|a, b| (a.1.at, &a.0).cmp(&(b.1.at, &b.0)));
    let steps: Vec<ListeningStep> = steps.into_iter().map(|(_, s)| s).collect();
    let state = listening_state(&steps);
    let mut item = r.item(o, Id::from(doc::string(d, o, "speaker")?));
    let statement = r.own(o, "statement", &mut item)?;
    Some(ListeningExchange {
        speaker: item.author,
        statement,
        created: Timestamp(doc::int(d, o, "created").unwrap_or(0)),
        steps,
        state,
        id,
        foreign: item.foreign,
    })
}

fn listening_state(steps: &[ListeningStep]) -> ListeningState {
    match steps
        .iter()
        .rev()
        .find(|s| !matches!(s.kind, StepKind::Other(_)))
    {
        None => ListeningState::AwaitingReflection,
        Some(s) => match s.kind {
            StepKind::Reflection => ListeningState::AwaitingConfirmation,
            StepKind::Confirmed => ListeningState::Understood,
            _ => ListeningState::AwaitingReflection,
        },
    }
}

fn read_statement(r: &Reader<'_>, id: Id, o: &ObjId) -> Option<IStatement> {
    let d = r.doc();
    if doc::string(d, o, "kind")? != I_STATEMENT {
        return None;
    }
    let mut item = r.item(o, Id::from(doc::string(d, o, "author")?));
    let mut part = |k| r.own(o, k, &mut item).unwrap_or_default();
    let parts = IStatementParts {
        observation: part("observation"),
        feeling: part("feeling"),
        need: part("need"),
        request: part("request"),
    };
    Some(IStatement {
        author: item.author,
        parts,
        created: Timestamp(doc::int(d, o, "created").unwrap_or(0)),
        shared_at: doc::int(d, o, "shared_at").map(Timestamp),
        id,
        foreign: item.foreign,
    })
}

fn read_repair(r: &Reader<'_>, id: Id, o: &ObjId) -> Option<Repair> {
    let d = r.doc();
    let released = doc::obj(d, o, "released")
        .map(|r| {
            doc::keys(d, &r)
                .into_iter()
                .filter_map(|k| doc::int(d, &r, &k).map(|t| (Id::from(k), Timestamp(t))))
                .collect()
        })
        .unwrap_or_default();
    let mut item = r.item(o, Id::from(doc::string(d, o, "author")?));
    let hurt = r.own(o, "hurt", &mut item)?;
    Some(Repair {
        author: item.author,
        hurt,
        created: Timestamp(doc::int(d, o, "created").unwrap_or(0)),
        shared_at: doc::int(d, o, "shared_at").map(Timestamp),
        acknowledged: doc::int(d, o, "acknowledged_at")
            .map(|t| (Timestamp(t), doc::string(d, o, "acknowledgement"))),
        understood_at: doc::int(d, o, "understood_at").map(Timestamp),
        released,
        id,
        foreign: item.foreign,
    })
}

impl Journal {
    /// Starts a listening exchange: the speaker's statement, shared with the partner.
    pub fn start_listening(
        &mut self,
        speaker: &PartnerId,
        statement: &str,
        now: Timestamp,
    ) -> Result<Id> {
        let statement = text::long("statement", statement, true)?;
        self.require_partner(speaker)?;
        self.require_acting(speaker, false)?;
        now.check("time")?;
        let id = self.new_id(now);
        self.write(now, |j| {
            let coll = j.coll(DocKind::Shared, Collection::Conversations)?;
            let d = &mut j.shared;
            let o = d.put_object(&coll, id.as_str(), ObjType::Map)?;
            d.put(&o, "kind", LISTENING)?;
            d.put(&o, "speaker", speaker.as_str())?;
            d.put(&o, "statement", statement.as_str())?;
            d.put(&o, "created", now.0)?;
            d.put_object(&o, "steps", ObjType::Map)?;
            Ok(id)
        })
    }

    fn listening_step(
        &mut self,
        id: &Id,
        by: &PartnerId,
        kind: StepKind,
        text: &str,
        now: Timestamp,
    ) -> Result<()> {
        self.require_partner(by)?;
        self.require_acting(by, false)?;
        now.check("time")?;
        let x = self.listening_exchange(id)?;
        let speaker = &x.speaker == by;
        match (&kind, x.state) {
            (StepKind::Reflection, _) if speaker => {
                return Err(JournalError::NotAllowed(Rule::ListenerReflects));
            }
            (StepKind::Reflection, ListeningState::AwaitingReflection) => {}
            (StepKind::Reflection, _) => {
                return Err(JournalError::NotAllowed(Rule::AwaitingConfirmation));
            }
            (_, _) if !speaker => {
                return Err(JournalError::NotAllowed(Rule::SpeakerConfirms));
            }
            (_, ListeningState::AwaitingConfirmation) => {}
            (_, _) => {
                return Err(JournalError::NotAllowed(Rule::NothingToConfirm));
            }
        }
        let step_id = self.new_id(now);
        let (doc_kind, o) = self.live(Collection::Conversations, id)?;
        self.write(now, |j| {
            let d = j.doc_mut(doc_kind);
            let steps = doc::ensure_map(d, &o, "steps")?;
            let s = d.put_object(&steps, step_id.as_str(), ObjType::Map)?;
            d.put(&s, "kind", kind.as_str())?;
            d.put(&s, "by", by.as_str())?;
            if !text.is_empty() {
                d.put(&s, "text", text)?;
            }
            d.put(&s, "at", now.0)?;
            Ok(())
        })
    }

    /// The listener reflects back, in their own words, what they heard.
    pub fn reflect(
        &mut self,
        id: &Id,
        listener: &PartnerId,
        reflection: &str,
        now: Timestamp,
    ) -> Result<()> {
        let reflection = text::long("reflection", reflection, true)?;
        self.listening_step(id, listener, StepKind::Reflection, &reflection, now)
    }

    /// The speaker: "yes, that's it".
    pub fn confirm_reflection(
        &mut self,
        id: &Id,
        speaker: &PartnerId,
        now: Timestamp,
    ) -> Result<()> {
        self.listening_step(id, speaker, StepKind::Confirmed, "", now)
    }

    /// The speaker corrects the reflection; the listener reflects again.
    pub fn correct_reflection(
        &mut self,
        id: &Id,
        speaker: &PartnerId,
        correction: &str,
        now: Timestamp,
    ) -> Result<()> {
        let correction = text::long("correction", correction, true)?;
        self.listening_step(id, speaker, StepKind::Correction, &correction, now)
    }

    /// One listening exchange.
    pub fn listening_exchange(&self, id: &Id) -> Result<ListeningExchange> {
        let (kind, o) = self.live(Collection::Conversations, id)?;
        read_listening(&self.reader(kind), id.clone(), &o).ok_or_else(|| JournalError::NotFound {
            kind: "listening exchange",
            id: id.to_string(),
        })
    }

    /// Listening exchanges, newest first.
    pub fn listening_exchanges(&self) -> Vec<ListeningExchange> {
        self.recent_listening(None)
    }

    /// The newest listening exchanges, at most `limit`.
    pub fn recent_listening(&self, limit: Option<usize>) -> Vec<ListeningExchange> {
        let r = self.reader(DocKind::Shared);
        self.newest_of(
            DocKind::Shared,
            Collection::Conversations,
            Some(LISTENING),
            limit,
            |id, o| read_listening(&r, id, &o),
        )
    }

    /// Writes an "I" statement: a private draft, or shared at once.
    pub fn write_i_statement(
        &mut self,
        author: &PartnerId,
        parts: &IStatementParts,
        visibility: Visibility,
        now: Timestamp,
    ) -> Result<Id> {
        let values = checked_parts(parts)?;
        self.require_partner(author)?;
        self.require_acting(author, false)?;
        now.check("time")?;
        let id = self.new_id(now);
        let kind = DocKind::from(visibility);
        self.write(now, |j| {
            let coll = j.coll(kind, Collection::Conversations)?;
            let d = j.doc_mut(kind);
            let o = d.put_object(&coll, id.as_str(), ObjType::Map)?;
            d.put(&o, "kind", I_STATEMENT)?;
            d.put(&o, "author", author.as_str())?;
            for (k, v) in PARTS.iter().zip(&values) {
                d.put(&o, *k, v.as_str())?;
            }
            d.put(&o, "created", now.0)?;
            if visibility == Visibility::Shared {
                d.put(&o, "shared_at", now.0)?;
            }
            Ok(id)
        })
    }

    /// "I" statements: shared ones and this person's private drafts, newest first.
    pub fn i_statements(&self) -> Vec<IStatement> {
        self.recent_i_statements(None)
    }

    /// The newest "I" statements, shared and this person's private ones, at most `limit`.
    pub fn recent_i_statements(&self, limit: Option<usize>) -> Vec<IStatement> {
        let mut out: Vec<IStatement> = DocKind::ALL
            .into_iter()
            .flat_map(|kind| {
                let r = self.reader(kind);
                // A shared draft shows once: as the shared copy.
                self.newest_of(
                    kind,
                    Collection::Conversations,
                    Some(I_STATEMENT),
                    limit,
                    |id, o| {
                        read_statement(&r, id, &o)
                            .filter(|s| kind == DocKind::Shared || s.shared_at.is_none())
                    },
                )
            })
            .collect();
        out.sort_by(|a, b| (b.created, &b.id).cmp(&(a.created, &a.id)));
        out.truncate(limit.unwrap_or(usize::MAX));
        out
    }

    /// Writes down a hurt, by the partner who was hurt. Private unless shared.
    pub fn write_hurt(
        &mut self,
        author: &PartnerId,
        hurt: &str,
        visibility: Visibility,
        now: Timestamp,
    ) -> Result<Id> {
        let hurt = text::long("hurt", hurt, true)?;
        self.require_partner(author)?;
        self.require_acting(author, false)?;
        now.check("time")?;
        let id = self.new_id(now);
        let kind = DocKind::from(visibility);
        self.write(now, |j| {
            let coll = j.coll(kind, Collection::Repairs)?;
            let d = j.doc_mut(kind);
            let o = d.put_object(&coll, id.as_str(), ObjType::Map)?;
            d.put(&o, "author", author.as_str())?;
            d.put(&o, "hurt", hurt.as_str())?;
            d.put(&o, "created", now.0)?;
            d.put_object(&o, "released", ObjType::Map)?;
            if visibility == Visibility::Shared {
                d.put(&o, "shared_at", now.0)?;
            }
            Ok(id)
        })
    }

    fn shared_repair(&self, id: &Id) -> Result<(Repair, ObjId)> {
        let (kind, o) = self.live(Collection::Repairs, id)?;
        if kind != DocKind::Shared {
            return Err(JournalError::NotAllowed(Rule::HurtStillPrivate));
        }
        let r = read_repair(&self.reader(DocKind::Shared), id.clone(), &o).ok_or_else(|| {
            JournalError::NotFound {
                kind: "repair",
                id: id.to_string(),
            }
        })?;
        Ok((r, o))
    }

    /// The other partner acknowledges the hurt, optionally in their own words.
    pub fn acknowledge_hurt(
        &mut self,
        id: &Id,
        by: &PartnerId,
        words: Option<&str>,
        now: Timestamp,
    ) -> Result<()> {
        let words = text::optional_long("acknowledgement", words)?;
        self.require_partner(by)?;
        self.require_acting(by, false)?;
        now.check("time")?;
        let (r, o) = self.shared_repair(id)?;
        if &r.author == by {
            return Err(JournalError::NotAllowed(Rule::CauserAcknowledges));
        }
        if r.acknowledged.is_some() {
            return Err(JournalError::NotAllowed(Rule::AlreadyAcknowledged));
        }
        self.write(now, |j| {
            j.shared.put(&o, "acknowledged_at", now.0)?;
            j.shared.put(&o, "acknowledged_by", by.as_str())?;
            doc::put_opt_str(&mut j.shared, &o, "acknowledgement", words.as_deref())
        })
    }

    /// The hurt partner marks the other's side understood (after the acknowledgement).
    pub fn mark_understood(&mut self, id: &Id, by: &PartnerId, now: Timestamp) -> Result<()> {
        self.require_acting(by, false)?;
        now.check("time")?;
        let (r, o) = self.shared_repair(id)?;
        if &r.author != by {
            return Err(JournalError::NotAllowed(Rule::HurtMarksUnderstood));
        }
        if r.acknowledged.is_none() {
            return Err(JournalError::NotAllowed(Rule::AwaitingAcknowledgement));
        }
        if r.understood_at.is_some() {
            return Err(JournalError::NotAllowed(Rule::AlreadyUnderstood));
        }
        self.write(now, |j| {
            j.shared.put(&o, "understood_at", now.0)?;
            Ok(())
        })
    }

    /// The hurt partner lets the resentment go: a shared hurt once the other's side is marked
    /// understood, a private one whenever its author is ready. Releasing is not forgetting: the
    /// repair stays, with every step dated.
    pub fn release_hurt(&mut self, id: &Id, by: &PartnerId, now: Timestamp) -> Result<()> {
        self.require_partner(by)?;
        self.require_acting(by, false)?;
        now.check("time")?;
        let (kind, o) = self.live(Collection::Repairs, id)?;
        let r = read_repair(&self.reader(kind), id.clone(), &o).ok_or_else(|| {
            JournalError::NotFound {
                kind: "repair",
                id: id.to_string(),
            }
        })?;
        if kind == DocKind::Private && &r.author != by {
            return Err(JournalError::NotFound {
                kind: "repair",
                id: id.to_string(),
            });
        }
        if &r.author != by {
            return Err(JournalError::NotAllowed(Rule::HurtLetsGo));
        }
        if kind == DocKind::Shared && r.understood_at.is_none() {
            return Err(JournalError::NotAllowed(Rule::ReleasedTooSoon));
        }
        if r.released.iter().any(|(p, _)| p == by) {
            return Err(JournalError::NotAllowed(Rule::AlreadyReleased));
        }
        self.write(now, |j| {
            let d = j.doc_mut(kind);
            let rel = doc::ensure_map(d, &o, "released")?;
            d.put(&rel, by.as_str(), now.0)?;
            Ok(())
        })
    }

    /// One repair.
    pub fn repair(&self, id: &Id) -> Result<Repair> {
        let (kind, o) = self.live(Collection::Repairs, id)?;
        read_repair(&self.reader(kind), id.clone(), &o).ok_or_else(|| JournalError::NotFound {
            kind: "repair",
            id: id.to_string(),
        })
    }

    /// Repairs: shared ones and this person's private ones, newest first.
    pub fn repairs(&self) -> Vec<Repair> {
        self.recent_repairs(None)
    }

    /// The newest repairs, shared and this person's private drafts, at most `limit`.
    pub fn recent_repairs(&self, limit: Option<usize>) -> Vec<Repair> {
        let mut out: Vec<Repair> = DocKind::ALL
            .into_iter()
            .flat_map(|kind| {
                let r = self.reader(kind);
                self.newest_of(kind, Collection::Repairs, None, limit, |id, o| {
                    read_repair(&r, id, &o)
                        .filter(|x| kind == DocKind::Shared || x.shared_at.is_none())
                })
            })
            .collect();
        out.sort_by(|a, b| (b.created, &b.id).cmp(&(a.created, &a.id)));
        out.truncate(limit.unwrap_or(usize::MAX));
        out
    }

    /// The newest items of a conversation collection (of one `kind` when given), by their
    /// creation time, at most `limit`.
    fn newest_of<T>(
        &self,
        doc_kind: DocKind,
        c: Collection,
        kind: Option<&str>,
        limit: Option<usize>,
        take: impl FnMut(Id, ObjId) -> Option<T>,
    ) -> Vec<T> {
        let d = self.doc(doc_kind);
        self.newest_first(
            doc_kind,
            c,
            (None, None),
            limit,
            |o| {
                if let Some(k) = kind
                    && doc::string(d, o, "kind").as_deref() != Some(k)
                {
                    return None;
                }
                Some(Timestamp(doc::int(d, o, "created").unwrap_or(0)))
            },
            take,
        )
    }

    /// Shares a private item (an "I" statement or a hurt) with the partner: it is copied into
    /// the shared journal under the same id, and the private copy is kept, marked shared.
    pub fn share(&mut self, id: &Id, now: Timestamp) -> Result<()> {
        now.check("time")?;
        let (coll, o) = [Collection::Conversations, Collection::Repairs]
            .into_iter()
            .find_map(|c| self.item(DocKind::Private, c, id).map(|o| (c, o)))
            .ok_or_else(|| JournalError::NotFound {
                kind: "private item",
                id: id.to_string(),
            })?;
        if self.is_trashed(DocKind::Private, id) {
            return Err(JournalError::InTrash {
                kind: coll.noun(),
                id: id.to_string(),
            });
        }
        if let Some(author) = doc::string(&self.private, &o, "author") {
            self.require_author(&crate::ids::Id::from(author), "share this")?;
        }
        if doc::int(&self.private, &o, "shared_at").is_some()
            || self.item(DocKind::Shared, coll, id).is_some()
        {
            return Err(JournalError::NotAllowed(Rule::AlreadyShared));
        }
        let fields: Vec<(String, String)> = doc::keys(&self.private, &o)
            .into_iter()
            .filter_map(|k| doc::string(&self.private, &o, &k).map(|v| (k, v)))
            .collect();
        let ints: Vec<(String, i64)> = doc::keys(&self.private, &o)
            .into_iter()
            .filter_map(|k| doc::int(&self.private, &o, &k).map(|v| (k, v)))
            .collect();
        let released: Vec<(String, i64)> = doc::obj(&self.private, &o, "released")
            .map(|r| {
                doc::keys(&self.private, &r)
                    .into_iter()
                    .filter_map(|k| doc::int(&self.private, &r, &k).map(|v| (k, v)))
                    .collect()
            })
            .unwrap_or_default();
        self.write(now, |j| {
            let target = j.coll(DocKind::Shared, coll)?;
            let d = &mut j.shared;
            let n = d.put_object(&target, id.as_str(), ObjType::Map)?;
            for (k, v) in &fields {
                d.put(&n, k.as_str(), v.as_str())?;
            }
            for (k, v) in &ints {
                d.put(&n, k.as_str(), *v)?;
            }
            if coll == Collection::Repairs {
                let rel = d.put_object(&n, "released", ObjType::Map)?;
                for (k, v) in &released {
                    d.put(&rel, k.as_str(), *v)?;
                }
            }
            d.put(&n, "shared_at", now.0)?;
            j.private.put(&o, "shared_at", now.0)?;
            Ok(())
        })
    }
}

/// The parts of an "I" statement as they are stored, in the order of [`PARTS`]: each checked,
/// the feeling required.
pub(super) fn checked_parts(parts: &IStatementParts) -> Result<[String; 4]> {
    Ok([
        text::long("observation", &parts.observation, false)?,
        text::long("feeling", &parts.feeling, true)?,
        text::long("need", &parts.need, false)?,
        text::long("request", &parts.request, false)?,
    ])
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;

    #[test]
    fn listening_exchange_flow() {
        let (mut a, mut b, ana, ben) = couple();
        let id = a
            .start_listening(&ana, "I felt alone at the party", at(1))
            .unwrap();
        sync(&mut a, &mut b);
        assert!(
            b.confirm_reflection(&id, &ana, at(2)).is_err(),
            "nothing to confirm yet"
        );
        assert!(
            a.reflect(&id, &ana, "me", at(2)).is_err(),
            "the speaker does not reflect"
        );
        b.reflect(&id, &ben, "You felt left on your own", at(2))
            .unwrap();
        assert!(b.reflect(&id, &ben, "again", at(2)).is_err());
        sync(&mut a, &mut b);
        assert!(
            a.confirm_reflection(&id, &ben, at(3)).is_err(),
            "only the speaker confirms"
        );
        a.correct_reflection(&id, &ana, "More that I didn't know anyone", at(3))
            .unwrap();
        sync(&mut a, &mut b);
        assert_eq!(
            b.listening_exchange(&id).unwrap().state,
            ListeningState::AwaitingReflection
        );
        b.reflect(&id, &ben, "You didn't know anyone and I left you", at(4))
            .unwrap();
        sync(&mut a, &mut b);
        a.confirm_reflection(&id, &ana, at(5)).unwrap();
        let x = a.listening_exchange(&id).unwrap();
        assert_eq!(x.state, ListeningState::Understood);
        assert_eq!(x.steps.len(), 4);
        assert_eq!(a.listening_exchanges().len(), 1);
    }

    #[test]
    fn i_statement_draft_then_share() {
        let (mut a, mut b, ana, _) = couple();
        let parts = IStatementParts {
            observation: "When the dishes sat until morning".into(),
            feeling: "I felt tired".into(),
            need: "I need us to share the evening jobs".into(),
            request: "Could we take turns?".into(),
        };
        let id = a
            .write_i_statement(&ana, &parts, Visibility::Private, at(1))
            .unwrap();
        sync(&mut a, &mut b);
        assert_eq!(a.i_statements().len(), 1);
        assert!(b.i_statements().is_empty(), "a draft stays private");
        a.share(&id, at(2)).unwrap();
        assert!(a.share(&id, at(3)).is_err());
        sync(&mut a, &mut b);
        let shared = b.i_statements();
        assert_eq!(shared.len(), 1);
        assert_eq!(shared[0].parts, parts);
        assert_eq!(shared[0].shared_at, Some(at(2)));
        assert_eq!(
            a.i_statements().len(),
            1,
            "shown once on the author's device"
        );
        let empty = IStatementParts::default();
        assert!(
            a.write_i_statement(&ana, &empty, Visibility::Shared, at(1))
                .is_err()
        );
    }

    #[test]
    fn repair_steps_in_order() {
        let (mut a, mut b, ana, ben) = couple();
        let id = a
            .write_hurt(
                &ana,
                "You laughed when I tripped",
                Visibility::Private,
                at(1),
            )
            .unwrap();
        assert!(matches!(
            b.acknowledge_hurt(&id, &ben, None, at(2)),
            Err(JournalError::NotFound { .. })
        ));
        assert!(
            a.acknowledge_hurt(&id, &ben, None, at(2)).is_err(),
            "private: share first"
        );
        a.share(&id, at(2)).unwrap();
        sync(&mut a, &mut b);
        assert!(
            b.mark_understood(&id, &ana, at(3)).is_err(),
            "acknowledge first"
        );
        assert!(
            b.acknowledge_hurt(&id, &ana, None, at(3)).is_err(),
            "not by the author"
        );
        b.acknowledge_hurt(
            &id,
            &ben,
            Some("I was nervous and laughed; I'm sorry"),
            at(3),
        )
        .unwrap();
        sync(&mut a, &mut b);
        assert!(a.mark_understood(&id, &ben, at(4)).is_err());
        assert!(
            a.release_hurt(&id, &ana, at(4)).is_err(),
            "a shared hurt is let go only once understood"
        );
        a.mark_understood(&id, &ana, at(4)).unwrap();
        assert!(
            b.release_hurt(&id, &ben, at(5)).is_err(),
            "only the partner who was hurt lets it go"
        );
        a.release_hurt(&id, &ana, at(5)).unwrap();
        assert!(a.release_hurt(&id, &ana, at(6)).is_err());
        sync(&mut a, &mut b);
        let r = a.repair(&id).unwrap();
        assert_eq!(r.shared_at, Some(at(2)));
        assert_eq!(r.acknowledged.as_ref().unwrap().0, at(3));
        assert_eq!(r.understood_at, Some(at(4)));
        assert_eq!(r.released.len(), 1);
        assert_eq!(a.repairs().len(), 1);
        assert!(matches!(
            a.delete(&id, &ana, at(7)),
            Err(JournalError::NotAllowed(Rule::SharedRepairKept))
        ));
    }
}
