//! Provenance at read time: who wrote what an item shows.
//!
//! Every device writes with one Automerge actor id, recorded in its signed addition (see
//! [`crate::membership`]). When a view reads an item, its author comes from the device that
//! created it, and each field only its author writes (a note's text, an "I" statement's parts, a
//! hurt, a listening statement) comes from a change whose actor is one of the author's devices.
//! A value another device wrote (an old client, a bug, a modified program) is not shown as the
//! author's: the view keeps the author's last own value and names the device that wrote the
//! other one ([`Foreign`]), so it can be looked at.
//!
//! Automerge changes are not signed: a device that lies about its actor id can write under
//! another device's actor. What this protects against is a member's device writing in the other
//! person's name, by mistake or on purpose, with its own actor id, and an outsider's changes
//! (unknown actors); such writes are named instead of passing for the author's.
//!
//! A journal without a pinned founder (a generated or pre-membership journal) has nobody to
//! judge against, and is read as written.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use automerge::{ActorId, AutoCommit, ChangeHash, ObjId, ObjType, ReadDoc, Value};

use crate::ids::PartnerId;
use crate::membership::Membership;
use crate::model::{DeviceKind, DeviceOwner, Foreign};

/// How far back through other devices' overwrites the author's own value is looked for.
const MAX_HOPS: usize = 64;

/// Who wrote with an actor id.
#[derive(Clone, Debug)]
struct Writer {
    person: Option<PartnerId>,
    display: bool,
    name: String,
}

/// Actor ids of the journal's devices, from the signed membership.
#[derive(Debug, Default)]
pub(crate) struct ActorBook {
    by_actor: HashMap<ActorId, Writer>,
    /// The endpoint ids of the journal's home displays.
    displays: std::collections::HashSet<String>,
}

impl ActorBook {
    /// The devices of the membership, and this device as the person it acts as when the
    /// membership does not name it yet (a restored device waiting to be admitted trusts its
    /// own writes).
    pub(crate) fn with_this_device(m: &Membership, this: Option<(ActorId, PartnerId)>) -> Self {
        let mut book = ActorBook::new(m);
        if let Some((actor, person)) = this {
            book.by_actor.entry(actor).or_insert(Writer {
                person: Some(person),
                display: false,
                name: "this device".into(),
            });
        }
        book
    }

    pub(crate) fn new(m: &Membership) -> Self {
        let mut by_actor = HashMap::new();
        let mut displays = std::collections::HashSet::new();
        for d in m.devices().values() {
            if d.entry.owner == DeviceOwner::Home || d.entry.kind == DeviceKind::Display {
                displays.insert(d.entry.endpoint_id.clone());
            }
            let Some(bytes) = crate::keys::hex_decode_vec(&d.entry.actor) else {
                continue;
            };
            if bytes.is_empty() {
                continue;
            }
            let (person, display) = match (&d.entry.owner, &d.entry.kind) {
                (DeviceOwner::Partner(p), DeviceKind::Personal) => (Some(p.clone()), false),
                (DeviceOwner::Partner(p), _) => (Some(p.clone()), true),
                (DeviceOwner::Home, _) => (None, true),
            };
            by_actor.insert(
                ActorId::from(bytes),
                Writer {
                    person,
                    display,
                    name: d.entry.name.clone(),
                },
            );
        }
        ActorBook { by_actor, displays }
    }
}

/// What the history lookups remember between views: a copy of the document's history and the
/// values already found, keyed by the foreign op they replace.
#[derive(Default)]
pub(crate) struct Memo {
    history: Option<History>,
    found: HashMap<(ObjId, String, ObjId), Option<String>>,
}

struct History {
    doc: AutoCommit,
    /// (actor, first op, op count, deps) of every change.
    changes: Vec<(ActorId, u64, u64, Vec<ChangeHash>)>,
}

impl History {
    fn of(doc: &AutoCommit) -> History {
        let mut doc = doc.clone();
        // The changes' metadata only: their ops are not decoded.
        let changes = doc
            .get_changes_meta(&[])
            .into_iter()
            .map(|c| {
                (
                    c.actor.into_owned(),
                    c.start_op,
                    (c.max_op + 1).saturating_sub(c.start_op),
                    c.deps,
                )
            })
            .collect();
        History { doc, changes }
    }

    fn deps_of(&self, actor: &ActorId, counter: u64) -> Option<&[ChangeHash]> {
        self.changes
            .iter()
            .find(|(a, start, len, _)| a == actor && *start <= counter && counter < start + len)
            .map(|(_, _, _, deps)| deps.as_slice())
    }
}

fn actor_of(id: &ObjId) -> Option<&ActorId> {
    match id {
        ObjId::Id(_, actor, _) => Some(actor),
        ObjId::Root => None,
    }
}

/// Reads items of one document with their provenance.
pub(crate) struct Reader<'a> {
    doc: &'a AutoCommit,
    /// `None`: nobody to judge against; everything is read as written.
    book: Option<Arc<ActorBook>>,
    memo: &'a Mutex<Memo>,
}

/// Who may write an item's author-only fields.
pub(crate) struct Item {
    /// The author the view shows.
    pub author: PartnerId,
    /// Created on a home display, in the name of the person who picked theirs.
    pub left_on_display: bool,
    /// Values written by devices other than the author's.
    pub foreign: Vec<Foreign>,
    created_on_display: bool,
    /// The partner's device that adopted a note left on a display (see `projection`): it wrote
    /// the note's fields as the display gave them.
    adopter: Option<ActorId>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(
        doc: &'a AutoCommit,
        book: Option<Arc<ActorBook>>,
        memo: &'a Mutex<Memo>,
    ) -> Self {
        Reader { doc, book, memo }
    }

    pub(crate) fn doc(&self) -> &'a AutoCommit {
        self.doc
    }

    fn foreign(&self, field: &str, actor: Option<&ActorId>, value: Option<String>) -> Foreign {
        let w = actor.and_then(|a| self.book.as_ref()?.by_actor.get(a));
        Foreign {
            field: field.to_owned(),
            device: w.map(|w| w.name.clone()),
            person: w.and_then(|w| w.person.clone()),
            value,
        }
    }

    /// The author of the item at `o`, whose stored author field says `claimed`: the person whose
    /// device created it, or, for an item created on a home display, the person named.
    pub(crate) fn item(&self, o: &ObjId, claimed: PartnerId) -> Item {
        let mut item = Item {
            author: claimed.clone(),
            left_on_display: false,
            foreign: Vec::new(),
            created_on_display: false,
            adopter: None,
        };
        let Some(book) = &self.book else {
            return item;
        };
        let creator = actor_of(o);
        // A note left on a display and adopted into the shared journal by a partner's device:
        // in the name the display gave it, left on a display the journal names.
        let left_on = crate::doc::string(self.doc, o, super::projection::LEFT_ON);
        if let (Some(left_on), Some(actor)) = (left_on, creator)
            && book.displays.contains(&left_on)
            && book
                .by_actor
                .get(actor)
                .is_some_and(|w| w.person.is_some() && !w.display)
        {
            item.left_on_display = true;
            item.adopter = Some(actor.clone());
            return item;
        }
        match creator.and_then(|a| book.by_actor.get(a)) {
            Some(Writer { display: true, .. }) => {
                item.left_on_display = true;
                item.created_on_display = true;
                // Only a display writes the name on a note left on it.
                let (value, foreign) = self.field_by(o, "author", &|a| {
                    book.by_actor.get(a).is_some_and(|w| w.display)
                });
                if let Some(f) = foreign {
                    item.foreign.push(f);
                }
                if let Some(v) = value {
                    item.author = PartnerId::from(v);
                }
            }
            Some(Writer {
                person: Some(p),
                name,
                ..
            }) => {
                if *p != claimed {
                    item.foreign.push(Foreign {
                        field: "author".into(),
                        device: Some(name.clone()),
                        person: Some(p.clone()),
                        value: Some(claimed.to_string()),
                    });
                    item.author = p.clone();
                }
            }
            _ => item
                .foreign
                .push(self.foreign("author", creator, Some(claimed.to_string()))),
        }
        item
    }

    /// A field only `item`'s author writes: the author's own latest value, and the device that
    /// wrote the value stored now if it is not one of the author's.
    pub(crate) fn own(&self, o: &ObjId, key: &str, item: &mut Item) -> Option<String> {
        let Some(book) = self.book.clone() else {
            return crate::doc::string(self.doc, o, key);
        };
        let author = item.author.clone();
        let display_too = item.created_on_display;
        let adopter = item.adopter.clone();
        let (value, foreign) = self.field_by(o, key, &|a| {
            adopter.as_ref() == Some(a)
                || book.by_actor.get(a).is_some_and(|w| {
                    w.person.as_ref() == Some(&author) || (display_too && w.display)
                })
        });
        if let Some(f) = foreign {
            item.foreign.push(f);
        }
        value
    }

    fn field_by(
        &self,
        o: &ObjId,
        key: &str,
        own: &dyn Fn(&ActorId) -> bool,
    ) -> (Option<String>, Option<Foreign>) {
        let values = self.doc.get_all(o, key).unwrap_or_default();
        let Some((winner, winner_id)) = values.last() else {
            return (None, None);
        };
        let is_own = |id: &ObjId| actor_of(id).is_some_and(own);
        if is_own(winner_id) {
            return (string_of(self.doc, winner, winner_id, None), None);
        }
        let shown = string_of(self.doc, winner, winner_id, None);
        let foreign = Some(self.foreign(key, actor_of(winner_id), shown.clone()));
        // A concurrent value of the author's own.
        if let Some((v, id)) = values.iter().rev().find(|(_, id)| is_own(id)) {
            return (string_of(self.doc, v, id, None), foreign);
        }
        // The author's last own value; if they never wrote one (the item came whole from another
        // device), what is there, named.
        match self.before(o, key, winner_id, own) {
            Some(v) => (Some(v), foreign),
            None => (shown, foreign),
        }
    }

    /// The author's own value that `foreign` (and any other device's values before it)
    /// replaced, looked up in the history.
    fn before(
        &self,
        o: &ObjId,
        key: &str,
        foreign: &ObjId,
        own: &dyn Fn(&ActorId) -> bool,
    ) -> Option<String> {
        let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
        let memo_key = (o.clone(), key.to_owned(), foreign.clone());
        if let Some(v) = memo.found.get(&memo_key) {
            return v.clone();
        }
        let known = |m: &Memo| {
            m.history.as_ref().is_some_and(|h| {
                let ObjId::Id(counter, actor, _) = foreign else {
                    return false;
                };
                h.deps_of(actor, *counter).is_some()
            })
        };
        if !known(&memo) {
            memo.history = Some(History::of(self.doc));
        }
        let found = memo.history.as_ref().and_then(|h| {
            let mut cur = foreign.clone();
            for _ in 0..MAX_HOPS {
                let ObjId::Id(counter, actor, _) = &cur else {
                    return None;
                };
                let deps = h.deps_of(actor, *counter)?;
                let values = h.doc.get_all_at(o, key, deps).ok()?;
                if let Some((v, id)) = values
                    .iter()
                    .rev()
                    .find(|(_, id)| actor_of(id).is_some_and(own))
                {
                    return string_of(&h.doc, v, id, Some(deps));
                }
                cur = values.last()?.1.clone();
            }
            None
        });
        memo.found.insert(memo_key, found.clone());
        found
    }
}

fn string_of(
    doc: &AutoCommit,
    v: &Value<'_>,
    id: &ObjId,
    heads: Option<&[ChangeHash]>,
) -> Option<String> {
    match v {
        Value::Scalar(s) => match s.as_ref() {
            automerge::ScalarValue::Str(s) => Some(s.to_string()),
            _ => None,
        },
        Value::Object(ObjType::Text) => match heads {
            Some(h) => doc.text_at(id, h).ok(),
            None => doc.text(id).ok(),
        },
        Value::Object(_) => None,
    }
}
