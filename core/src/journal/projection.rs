//! The wall document: what the home display may show, kept by the partners' devices as a
//! projection of the shared journal.
//!
//! The display boots unattended with its key unsealed on its own disk, and guests stand in front
//! of it, so it holds only this document: wall-safe notes (author, text, time, reactions), date
//! plans that are planned (title, start, end, place, the tech-free flag, who planned them), the
//! partners' names and colours, and the membership statements and addresses it needs to admit
//! the couple's devices. It has the shared journal's shape (the same top-level maps), so the
//! display reads it with the journal's own readers.
//!
//! Every partner's device writes it, from what its copy of the shared journal holds:
//!
//! - **Deterministic.** An item's wall value is a function of the shared item alone, written
//!   field by field only where it differs, with scalar values only. Two devices projecting the
//!   same shared journal at once write the same values, so whichever write Automerge keeps, the
//!   document shows the same thing; a device that merges a wall change looks again at the items
//!   it touched and puts back what its shared journal says, so every device converges on the
//!   projection of the converged shared journal.
//! - **Incremental.** Only the items a change touched (by Automerge's patches, in either
//!   document) are looked at again; the whole journal only on a device's first projection.
//! - **Only what was wall-safe.** A note enters only while it is live and marked wall-safe, a
//!   plan only while planned; an item that stops being either, or is deleted, is removed. The
//!   document's history keeps what it once showed, never what it never showed.
//!
//! A note left on the display is written into the wall document by the display, marked `left`.
//! A partner's device adopts it into the shared journal under the same id, once: an id the
//! shared journal already holds (even in the trash) is never adopted again, and two devices that
//! adopt it at the same moment write the same item, so it appears once. The adopted note names
//! the display it was left on, and is attributed to the person who picked their name there.

use std::collections::{BTreeMap, BTreeSet};

use automerge::{
    ActorId, AutoCommit, ObjId, ObjType, PatchAction, Prop, ROOT, ReadDoc, ScalarValue,
    transaction::{CommitOptions, Transactable},
};

use super::touched::Touched;
use super::{DocKind, Journal};
use crate::doc;
use crate::error::Result;
use crate::ids::{Id, PartnerId};
use crate::model::{Collection, DateStatus, DeviceKind, DeviceOwner};
use crate::text;

/// The sections of the wall document a projection writes.
const PARTNERS: &str = "partners";
const DEVICES: &str = "devices";
const NOTES: &str = "appreciations";
const DATES: &str = "dates";
const TRASH: &str = "trash";

/// The field a display writes on a note left on it, until a partner's device adopts it.
const LEFT: &str = "left";
/// The field of an adopted note naming the display it was left on.
pub(crate) const LEFT_ON: &str = "left_on";

/// What changed since the views and the projection last looked.
#[derive(Debug)]
pub(super) struct Pending {
    /// For the views ([`Journal::touched`]).
    pub(super) touched: Touched,
    /// Items of the shared journal or the wall document to project again.
    scope: Scope,
}

impl Default for Pending {
    fn default() -> Self {
        Pending {
            touched: Touched::everything(),
            scope: Scope {
                all: true,
                keys: BTreeSet::new(),
            },
        }
    }
}

#[derive(Debug, Default)]
struct Scope {
    all: bool,
    /// (section, key): an item of a collection, a partner or a device entry.
    keys: BTreeSet<(String, String)>,
}

impl Scope {
    fn is_empty(&self) -> bool {
        !self.all && self.keys.is_empty()
    }

    fn note(&mut self, patch: &automerge::Patch) {
        let section = |s: &str| [PARTNERS, DEVICES, NOTES, DATES, TRASH].contains(&s);
        match (patch.path.first(), patch.path.get(1)) {
            (Some((_, Prop::Map(top))), Some((_, Prop::Map(key)))) => {
                if section(top) {
                    self.keys.insert((top.clone(), key.clone()));
                }
            }
            (Some((_, Prop::Map(top))), None) => match &patch.action {
                PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                    if section(top) {
                        self.keys.insert((top.clone(), key.clone()));
                    }
                }
                _ => self.all = true,
            },
            (Some(_), _) => self.all = true,
            (None, _) => match &patch.action {
                PatchAction::PutMap { key, .. } | PatchAction::DeleteMap { key } => {
                    if section(key) {
                        self.all = true;
                    }
                }
                _ => self.all = true,
            },
        }
    }
}

/// What one projection did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WallProjection {
    /// Notes left on the display that were adopted into the shared journal.
    pub adopted: usize,
    /// Whether the wall document changed.
    pub changed: bool,
}

/// What the wall document says, read the same way from the document or computed from the
/// shared journal: two devices agree when these are equal.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WallContents {
    /// Partner id -> (name, colour).
    pub partners: BTreeMap<String, (String, String)>,
    /// Membership statement keys and device address entries -> their value, as text.
    pub devices: BTreeMap<String, String>,
    /// Note id -> its fields.
    pub notes: BTreeMap<String, WallNote>,
    /// Plan id -> its fields.
    pub dates: BTreeMap<String, WallDate>,
}

/// A note as the wall holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WallNote {
    /// Who wrote it (a partner id).
    pub author: String,
    /// Its text.
    pub text: String,
    /// When, in milliseconds.
    pub created: i64,
    /// Partner id -> reaction.
    pub reactions: BTreeMap<String, String>,
}

/// A date plan as the wall holds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WallDate {
    /// Its title.
    pub title: String,
    /// Its start, in milliseconds.
    pub start: i64,
    /// Its end, if it has one.
    pub end: Option<i64>,
    /// Where.
    pub place: Option<String>,
    /// Screens away.
    pub tech_free: bool,
    /// Who planned it (a partner id).
    pub planner: String,
    /// When it was planned.
    pub created: i64,
}

fn str_value(s: &str) -> Option<ScalarValue> {
    Some(ScalarValue::Str(s.into()))
}

impl WallNote {
    fn write(&self, d: &mut AutoCommit, o: &ObjId) -> Result<bool> {
        let mut changed = false;
        changed |= doc::put_scalar(d, o, "author", str_value(&self.author))?;
        changed |= doc::put_scalar(d, o, "text", str_value(&self.text))?;
        changed |= doc::put_scalar(d, o, "created", Some(ScalarValue::Int(self.created)))?;
        changed |= doc::put_scalar(d, o, "wall_safe", Some(ScalarValue::Boolean(true)))?;
        changed |= doc::put_scalar(d, o, LEFT, None)?;
        let r = match doc::obj(d, o, "reactions") {
            Some(r) => r,
            None => {
                changed = true;
                d.put_object(o, "reactions", ObjType::Map)?
            }
        };
        for k in doc::keys(d, &r) {
            if !self.reactions.contains_key(&k) {
                d.delete(&r, k.as_str())?;
                changed = true;
            }
        }
        for (k, v) in &self.reactions {
            changed |= doc::put_scalar(d, &r, k, str_value(v))?;
        }
        Ok(changed)
    }

    fn read(d: &AutoCommit, o: &ObjId) -> Option<WallNote> {
        let reactions = doc::obj(d, o, "reactions")
            .map(|r| {
                doc::keys(d, &r)
                    .into_iter()
                    .filter_map(|k| doc::string(d, &r, &k).map(|v| (k, v)))
                    .collect()
            })
            .unwrap_or_default();
        Some(WallNote {
            author: doc::string(d, o, "author")?,
            text: doc::string(d, o, "text")?,
            created: doc::int(d, o, "created")?,
            reactions,
        })
    }
}

impl WallDate {
    fn write(&self, d: &mut AutoCommit, o: &ObjId) -> Result<bool> {
        let mut changed = false;
        changed |= doc::put_scalar(d, o, "title", str_value(&self.title))?;
        changed |= doc::put_scalar(d, o, "start", Some(ScalarValue::Int(self.start)))?;
        changed |= doc::put_scalar(d, o, "end", self.end.map(ScalarValue::Int))?;
        changed |= doc::put_scalar(d, o, "place", self.place.as_deref().and_then(str_value))?;
        changed |= doc::put_scalar(
            d,
            o,
            "tech_free",
            Some(ScalarValue::Boolean(self.tech_free)),
        )?;
        changed |= doc::put_scalar(d, o, "status", str_value(DateStatus::Planned.as_str()))?;
        changed |= doc::put_scalar(d, o, "planner", str_value(&self.planner))?;
        changed |= doc::put_scalar(d, o, "created", Some(ScalarValue::Int(self.created)))?;
        Ok(changed)
    }

    fn read(d: &AutoCommit, o: &ObjId) -> Option<WallDate> {
        Some(WallDate {
            title: doc::string(d, o, "title")?,
            start: doc::int(d, o, "start")?,
            end: doc::int(d, o, "end"),
            place: doc::string(d, o, "place"),
            tech_free: doc::boolean(d, o, "tech_free").unwrap_or(false),
            planner: doc::string(d, o, "planner")?,
            created: doc::int(d, o, "created").unwrap_or(0),
        })
    }
}

/// A device entry's value as text: a statement's bytes in hex, a device's addresses.
fn device_value(d: &AutoCommit, devices: &ObjId, key: &str) -> Option<String> {
    if key.starts_with(crate::membership::KEY_PREFIX) {
        doc::bytes(d, devices, key).map(|b| crate::keys::hex_encode(&b))
    } else {
        doc::obj(d, devices, key).and_then(|o| doc::string(d, &o, "addrs"))
    }
}

fn section_keys(d: &AutoCommit, section: &str) -> Vec<String> {
    doc::obj(d, &ROOT, section)
        .map(|o| doc::keys(d, &o))
        .unwrap_or_default()
}

fn actor_of(id: &ObjId) -> Option<&ActorId> {
    match id {
        ObjId::Id(_, actor, _) => Some(actor),
        ObjId::Root => None,
    }
}

impl Journal {
    /// Hands what changed in every document since the last look to the views and the
    /// projection. A document not watched yet starts being watched; the first look says
    /// everything.
    pub(super) fn drain_changes(&mut self) {
        let home = self.home;
        let Journal {
            shared,
            private,
            wall,
            pending,
            ..
        } = self;
        let mut docs: Vec<(&mut AutoCommit, bool, bool)> =
            vec![(shared, true, !home), (private, true, false)];
        if !home {
            docs.push((wall, false, true));
        }
        for (doc, views, project) in docs {
            if doc.diff_cursor().is_empty() {
                doc.update_diff_cursor();
                if views {
                    pending.touched = Touched::everything();
                }
                if project {
                    pending.scope.all = true;
                }
                continue;
            }
            for patch in doc.diff_incremental() {
                if views {
                    pending.touched.note_patch(&patch);
                }
                if project {
                    pending.scope.note(&patch);
                }
            }
        }
    }

    /// Starts watching the documents just loaded from the store, where the wall document was
    /// stored with the shared journal it was projected from: nothing is projected again until a
    /// change touches it (unless `behind`: the store held no wall document).
    pub fn watch_loaded(&mut self, behind: bool) {
        self.drain_changes();
        self.pending.scope = Scope {
            all: behind && !self.home,
            keys: BTreeSet::new(),
        };
    }

    /// Brings the wall document up to date with the shared journal: adopts the notes left on
    /// the display, then projects every item the changes since the last projection touched.
    /// Nothing on a home display. The caller stores what changed.
    pub fn project_wall(&mut self) -> Result<WallProjection> {
        // A display keeps no projection of its own, even one that still holds the journal.
        if self.home || matches!(self.acting(), super::Acting::Display) {
            return Ok(WallProjection::default());
        }
        self.drain_changes();
        if self.pending.scope.is_empty() {
            return Ok(WallProjection::default());
        }
        let scope = std::mem::take(&mut self.pending.scope);
        let keys_of = |j: &Journal, section: &str| -> BTreeSet<String> {
            if scope.all {
                let mut keys: BTreeSet<String> =
                    section_keys(&j.shared, section).into_iter().collect();
                keys.extend(section_keys(&j.wall, section));
                keys
            } else {
                let mut keys: BTreeSet<String> = scope
                    .keys
                    .iter()
                    .filter(|(s, _)| s == section)
                    .map(|(_, k)| k.clone())
                    .collect();
                if section == NOTES || section == DATES {
                    keys.extend(
                        scope
                            .keys
                            .iter()
                            .filter(|(s, _)| s == TRASH)
                            .map(|(_, k)| k.clone()),
                    );
                }
                keys
            }
        };
        let notes = keys_of(self, NOTES);
        let adopted = self.adopt_left(&notes)?;
        let mut changed = false;
        let wall_map = |j: &mut Journal, section: &'static str| -> Result<ObjId> {
            match doc::obj(&j.wall, &ROOT, section) {
                Some(o) => Ok(o),
                None => Ok(j.wall.put_object(ROOT, section, ObjType::Map)?),
            }
        };
        // Partners.
        let partners = wall_map(self, PARTNERS)?;
        for key in keys_of(self, PARTNERS) {
            let target = self.partner_target(&key);
            changed |=
                self.put_item(&partners, &key, target.as_ref(), |d, o, (name, colour)| {
                    let mut c = doc::put_scalar(d, o, "name", str_value(name))?;
                    c |= doc::put_scalar(d, o, "colour", str_value(colour))?;
                    Ok(c)
                })?;
        }
        // Devices: statements are copied as they are (they are self-authenticating), addresses
        // as the one field a device entry has.
        let devices = wall_map(self, DEVICES)?;
        for key in keys_of(self, DEVICES) {
            let shared_devices = doc::obj(&self.shared, &ROOT, DEVICES);
            if key.starts_with(crate::membership::KEY_PREFIX) {
                let value = shared_devices
                    .and_then(|o| doc::bytes(&self.shared, &o, &key))
                    .map(ScalarValue::Bytes);
                changed |= doc::put_scalar(&mut self.wall, &devices, &key, value)?;
            } else {
                let addrs = shared_devices
                    .and_then(|o| doc::obj(&self.shared, &o, &key))
                    .and_then(|o| doc::string(&self.shared, &o, "addrs"));
                changed |= self.put_item(&devices, &key, addrs.as_ref(), |d, o, addrs| {
                    doc::put_scalar(d, o, "addrs", str_value(addrs))
                })?;
            }
        }
        // Notes.
        let wall_notes = wall_map(self, NOTES)?;
        for key in notes {
            let target = self.note_target(&key);
            changed |=
                self.put_item(&wall_notes, &key, target.as_ref(), |d, o, n| n.write(d, o))?;
        }
        // Plans.
        let wall_dates = wall_map(self, DATES)?;
        for key in keys_of(self, DATES) {
            let target = self.date_target(&key);
            changed |=
                self.put_item(&wall_dates, &key, target.as_ref(), |d, o, p| p.write(d, o))?;
        }
        if changed {
            self.wall.commit_with(CommitOptions::default().with_time(0));
        }
        // What this projection wrote is its own: only the views hear of it.
        self.drain_changes();
        self.pending.scope = Scope::default();
        if changed || adopted > 0 {
            self.may_change();
        }
        Ok(WallProjection { adopted, changed })
    }

    /// Makes the wall entry `key` of `section` hold `target` (`None`: no entry), writing only
    /// what differs; a new entry is a map. Whether anything was written.
    fn put_item<T>(
        &mut self,
        section: &ObjId,
        key: &str,
        target: Option<&T>,
        write: impl FnOnce(&mut AutoCommit, &ObjId, &T) -> Result<bool>,
    ) -> Result<bool> {
        let existing = doc::obj(&self.wall, section, key);
        match (existing, target) {
            (None, None) => {
                if self.wall.get(section, key)?.is_some() {
                    self.wall.delete(section, key)?;
                    return Ok(true);
                }
                Ok(false)
            }
            (Some(_), None) => {
                self.wall.delete(section, key)?;
                Ok(true)
            }
            (Some(o), Some(t)) => write(&mut self.wall, &o, t),
            (None, Some(t)) => {
                let o = self.wall.put_object(section, key, ObjType::Map)?;
                write(&mut self.wall, &o, t)?;
                Ok(true)
            }
        }
    }

    fn partner_target(&self, key: &str) -> Option<(String, String)> {
        let d = &self.shared;
        let o = doc::obj(d, &doc::obj(d, &ROOT, PARTNERS)?, key)?;
        Some((doc::string(d, &o, "name")?, doc::string(d, &o, "colour")?))
    }

    /// A note's wall value: its checked reading, while it is live and wall-safe.
    fn note_target(&self, key: &str) -> Option<WallNote> {
        let id = Id::from(key.to_owned());
        let o = self.item(DocKind::Shared, Collection::Appreciations, &id)?;
        if self.is_trashed(DocKind::Shared, &id)
            || !doc::boolean(&self.shared, &o, "wall_safe").unwrap_or(false)
        {
            return None;
        }
        let a = super::wall::read(&self.reader(DocKind::Shared), id, &o)?;
        Some(WallNote {
            author: a.author.to_string(),
            text: a.text,
            created: a.created.0,
            reactions: a
                .reactions
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
        })
    }

    /// A plan's wall value, while it is live and planned.
    fn date_target(&self, key: &str) -> Option<WallDate> {
        let id = Id::from(key.to_owned());
        let o = self.item(DocKind::Shared, Collection::Dates, &id)?;
        if self.is_trashed(DocKind::Shared, &id) {
            return None;
        }
        let status = doc::string(&self.shared, &o, "status")
            .map(DateStatus::from)
            .unwrap_or(DateStatus::Planned);
        if status != DateStatus::Planned {
            return None;
        }
        WallDate::read(&self.shared, &o)
    }

    /// The actor ids of the journal's home displays, with their endpoint ids.
    fn display_actors(&self) -> BTreeMap<ActorId, String> {
        self.membership()
            .devices()
            .values()
            .filter(|d| d.entry.kind == DeviceKind::Display || d.entry.owner == DeviceOwner::Home)
            .filter_map(|d| {
                let bytes = crate::keys::hex_decode_vec(&d.entry.actor)?;
                (!bytes.is_empty()).then(|| (ActorId::from(bytes), d.entry.endpoint_id.clone()))
            })
            .collect()
    }

    /// Adopts into the shared journal the notes among `keys` that a display left on the wall
    /// and the shared journal has never held. How many.
    fn adopt_left(&mut self, keys: &BTreeSet<String>) -> Result<usize> {
        let Some(wall_notes) = doc::obj(&self.wall, &ROOT, NOTES) else {
            return Ok(0);
        };
        let candidates: Vec<(String, ObjId)> = keys
            .iter()
            .filter_map(|k| doc::obj(&self.wall, &wall_notes, k).map(|o| (k.clone(), o)))
            .filter(|(_, o)| doc::boolean(&self.wall, o, LEFT) == Some(true))
            .collect();
        if candidates.is_empty() {
            return Ok(0);
        }
        let displays = self.display_actors();
        let mut taken = Vec::new();
        for (key, o) in candidates {
            let Some(display) = actor_of(&o).and_then(|a| displays.get(a)) else {
                continue;
            };
            let id = Id::from(key.clone());
            if self
                .item(DocKind::Shared, Collection::Appreciations, &id)
                .is_some()
            {
                continue;
            }
            let Some(note) = WallNote::read(&self.wall, &o) else {
                continue;
            };
            let author = PartnerId::from(note.author.clone());
            let Ok(text) = text::long("appreciation", &note.text, true) else {
                continue;
            };
            if self.require_partner(&author).is_err() || note.created <= 0 {
                continue;
            }
            taken.push((key, author, text, note.created, display.clone()));
        }
        if taken.is_empty() {
            return Ok(0);
        }
        let coll = self.coll(DocKind::Shared, Collection::Appreciations)?;
        let n = taken.len();
        for (key, author, text, created, display) in taken {
            let d = &mut self.shared;
            let o = d.put_object(&coll, key.as_str(), ObjType::Map)?;
            d.put(&o, "author", author.as_str())?;
            d.put(&o, "text", text.as_str())?;
            d.put(&o, "created", created)?;
            d.put(&o, "wall_safe", true)?;
            d.put(&o, LEFT_ON, display.as_str())?;
            d.put_object(&o, "reactions", ObjType::Map)?;
        }
        self.shared
            .commit_with(CommitOptions::default().with_time(0));
        Ok(n)
    }

    /// Marks a note just written on a home display as left there, for a partner's device to
    /// adopt (see [`Journal::project_wall`]).
    pub(super) fn mark_left(&mut self, o: &ObjId) -> Result<()> {
        if self.home {
            self.shared.put(o, LEFT, true)?;
        }
        Ok(())
    }

    /// What the wall document holds (on a display, what it shows).
    pub fn wall_contents(&self) -> WallContents {
        let d = self.doc(DocKind::Wall);
        let mut out = WallContents::default();
        if let Some(p) = doc::obj(d, &ROOT, PARTNERS) {
            for k in doc::keys(d, &p) {
                if let Some(o) = doc::obj(d, &p, &k)
                    && let (Some(name), Some(colour)) =
                        (doc::string(d, &o, "name"), doc::string(d, &o, "colour"))
                {
                    out.partners.insert(k, (name, colour));
                }
            }
        }
        if let Some(devs) = doc::obj(d, &ROOT, DEVICES) {
            for k in doc::keys(d, &devs) {
                if let Some(v) = device_value(d, &devs, &k) {
                    out.devices.insert(k, v);
                }
            }
        }
        if let Some(n) = doc::obj(d, &ROOT, NOTES) {
            for k in doc::keys(d, &n) {
                if let Some(note) = doc::obj(d, &n, &k).and_then(|o| WallNote::read(d, &o)) {
                    out.notes.insert(k, note);
                }
            }
        }
        if let Some(p) = doc::obj(d, &ROOT, DATES) {
            for k in doc::keys(d, &p) {
                if let Some(date) = doc::obj(d, &p, &k).and_then(|o| WallDate::read(d, &o)) {
                    out.dates.insert(k, date);
                }
            }
        }
        out
    }

    /// What the wall document should hold, computed from this device's shared journal (a
    /// partner's device): equal to [`Journal::wall_contents`] once the projection has run.
    pub fn wall_projection(&self) -> WallContents {
        let d = &self.shared;
        let mut out = WallContents::default();
        for k in section_keys(d, PARTNERS) {
            if let Some(p) = self.partner_target(&k) {
                out.partners.insert(k, p);
            }
        }
        if let Some(devs) = doc::obj(d, &ROOT, DEVICES) {
            for k in doc::keys(d, &devs) {
                if let Some(v) = device_value(d, &devs, &k) {
                    out.devices.insert(k, v);
                }
            }
        }
        for k in section_keys(d, NOTES) {
            if let Some(n) = self.note_target(&k) {
                out.notes.insert(k, n);
            }
        }
        for k in section_keys(d, DATES) {
            if let Some(p) = self.date_target(&k) {
                out.dates.insert(k, p);
            }
        }
        out
    }

    /// How many partners the wall document names (on a display that still holds the shared
    /// journal: whether a partner's device gave it the wall yet).
    pub fn wall_people(&self) -> usize {
        section_keys(self.doc(DocKind::Wall), PARTNERS).len()
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use crate::Timestamp;

    fn sync_wall(a: &mut Journal, b: &mut Journal) {
        let mut other = b.doc_mut(DocKind::Wall).fork();
        a.doc_mut(DocKind::Wall).merge(&mut other).unwrap();
        let mut other = a.doc_mut(DocKind::Wall).fork();
        b.doc_mut(DocKind::Wall).merge(&mut other).unwrap();
    }

    #[test]
    fn only_live_wall_safe_notes_and_planned_dates_enter_the_wall() {
        let (mut a, _b, ana, _ben) = couple();
        let safe = a
            .add_appreciation(&ana, "Thanks for the soup", true, at(1))
            .unwrap();
        a.add_appreciation(&ana, "Never for the kitchen", false, at(2))
            .unwrap();
        a.project_wall().unwrap();
        let wall = a.wall_contents();
        assert_eq!(wall.notes.len(), 1);
        assert_eq!(wall.notes[safe.as_str()].text, "Thanks for the soup");
        assert_eq!(wall.partners.len(), 2);
        let save = String::from_utf8_lossy(&a.doc_mut(DocKind::Wall).save_nocompress()).to_string();
        assert!(!save.contains("Never for the kitchen"));

        a.set_wall_safe(&safe, false, at(3)).unwrap();
        a.project_wall().unwrap();
        assert!(a.wall_contents().notes.is_empty());
        assert_eq!(a.wall_contents(), a.wall_projection());
    }

    #[test]
    fn two_devices_projecting_at_once_converge_on_the_projection() {
        let (mut a, mut b, ana, ben) = couple();
        let n = a
            .add_appreciation(&ana, "Lovely walk", true, at(1))
            .unwrap();
        sync(&mut a, &mut b);
        a.project_wall().unwrap();
        b.project_wall().unwrap();
        // Both change the wall at once.
        a.edit_appreciation(&n, "Lovely long walk", at(2)).unwrap();
        b.react(&n, &ben, Some("❤"), at(2)).unwrap();
        b.add_appreciation(&ben, "Thanks for dinner", true, at(3))
            .unwrap();
        a.project_wall().unwrap();
        b.project_wall().unwrap();
        sync_wall(&mut a, &mut b);
        sync(&mut a, &mut b);
        a.project_wall().unwrap();
        b.project_wall().unwrap();
        sync_wall(&mut a, &mut b);
        assert_eq!(a.wall_contents(), b.wall_contents());
        assert_eq!(a.wall_contents(), a.wall_projection());
        assert_eq!(b.wall_contents(), b.wall_projection());
        assert_eq!(a.wall_contents().notes[n.as_str()].text, "Lovely long walk");
        let _ = Timestamp(0);
    }
}
