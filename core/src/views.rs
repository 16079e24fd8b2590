//! What each screen shows, built from the journal as plain data (no UI toolkit, no clock of
//! their own: the moment to build for is handed in). The app builds them off its UI thread and
//! copies them into its models; the command line prints from the same views.

pub mod chart;
pub mod checkin;
pub mod dates;
pub mod devices;
pub mod format;
pub mod kindness;
pub mod kiosk;
pub mod questions;
pub mod talk;
pub mod trash;
pub mod wall;

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;

use crate::{Collection, Device, Journal, PartnerId, Timestamp, Touched};

/// A paired device as this device sees it now: its record and how sync with it is going.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeerStatus {
    /// The device record.
    pub device: Device,
    /// Connected right now.
    pub connected: bool,
    /// When a document last matched this device's.
    pub last_sync: Option<Timestamp>,
    /// Is this the local device.
    pub this_device: bool,
}

/// A colour as `0xrrggbb`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Colour(pub u32);

impl Colour {
    /// A warm grey for someone the journal does not know (yet).
    pub const UNKNOWN: Colour = Colour(0x9a8e7f);

    /// Parses `#rrggbb`; anything else is the neutral colour.
    pub fn parse(text: &str) -> Colour {
        text.strip_prefix('#')
            .filter(|h| h.len() == 6)
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .map_or(Colour::UNKNOWN, Colour)
    }
}

/// A person as the screens show them.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct PersonView {
    pub name: String,
    pub colour: Colour,
}

/// Who is who: names and colours by partner id, and which one is this device's person.
#[derive(Clone, Debug, Default)]
pub struct People {
    by_id: HashMap<PartnerId, PersonView>,
    pub me: Option<PartnerId>,
}

impl People {
    pub fn of(journal: &Journal, me: Option<PartnerId>) -> People {
        let by_id = journal
            .partners()
            .into_iter()
            .map(|p| {
                (
                    p.id,
                    PersonView {
                        name: p.name,
                        colour: Colour::parse(&p.colour),
                    },
                )
            })
            .collect();
        People { by_id, me }
    }

    /// The name and colour of `id`, or a gentle stand-in.
    pub fn get(&self, id: &PartnerId) -> PersonView {
        self.by_id.get(id).cloned().unwrap_or_else(|| PersonView {
            name: "Someone".into(),
            colour: Colour::UNKNOWN,
        })
    }

    pub fn is_me(&self, id: &PartnerId) -> bool {
        self.me.as_ref() == Some(id)
    }

    /// The other partner, once they have joined.
    pub fn partner(&self) -> Option<(PartnerId, PersonView)> {
        let mut others: Vec<_> = self
            .by_id
            .iter()
            .filter(|(id, _)| !self.is_me(id))
            .map(|(id, p)| (id.clone(), p.clone()))
            .collect();
        others.sort_by(|a, b| a.0.cmp(&b.0));
        others.into_iter().next()
    }

    /// Both partners, this device's person first.
    pub fn ordered(&self) -> Vec<(PartnerId, PersonView)> {
        let mut all: Vec<_> = self
            .by_id
            .iter()
            .map(|(id, p)| (id.clone(), p.clone()))
            .collect();
        all.sort_by(|a, b| (!self.is_me(&a.0), &a.0).cmp(&(!self.is_me(&b.0), &b.0)));
        all
    }
}

/// The moment the screens are built for, and the local time zone to show it in.
#[derive(Clone, Copy, Debug)]
pub struct Moment {
    pub now: Timestamp,
    pub offset: FixedOffset,
}

impl Moment {
    pub fn local(&self, at: Timestamp) -> Option<DateTime<FixedOffset>> {
        at.to_datetime().map(|t| t.with_timezone(&self.offset))
    }

    /// Who acts at this moment, for an [`Intent`](crate::intent::Intent): `me` now, on
    /// today's local day.
    pub fn here(&self, me: Option<PartnerId>) -> crate::intent::Here {
        crate::intent::Here {
            me,
            now: self.now,
            today: self.today(),
        }
    }

    /// Today, in local time.
    pub fn today(&self) -> NaiveDate {
        self.local(self.now)
            .map(|t| t.date_naive())
            .unwrap_or_default()
    }
}

/// The header and navigation: who is here and how sync is going.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ShellView {
    pub me: PersonView,
    pub partner: Option<PersonView>,
    pub today: String,
    pub sync: devices::SyncView,
}

/// Everything the screens show at one moment.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Views {
    pub shell: ShellView,
    pub wall: wall::WallView,
    pub dates: dates::DatesView,
    pub kindness: kindness::KindnessView,
    pub checkin: checkin::CheckinView,
    pub talk: talk::TalkView,
    pub devices: devices::DevicesView,
    pub trash: trash::TrashView,
}

/// How much of the long lists to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub wall: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { wall: 40 }
    }
}

/// The collections each screen reads, so a change rebuilds only the screens it concerns.
pub mod reads {
    use crate::Collection::{self, *};

    /// The wall: notes (and this week's count of them).
    pub const WALL: &[Collection] = &[Appreciations];
    /// Dates: plans and the idea deck.
    pub const DATES: &[Collection] = &[Dates, Ideas];
    /// Kindness: the log and the deck's kindness ideas.
    pub const KINDNESS: &[Collection] = &[Kindness, Ideas];
    /// Check-in: the check-ins and the week in review (notes, kindness).
    pub const CHECKIN: &[Collection] = &[Checkins, Appreciations, Kindness];
    /// Talk: listening, "I" statements, repairs and the question deck (its questions are
    /// ideas; its answers, conversations).
    pub const TALK: &[Collection] = &[Conversations, Repairs, Ideas];
    /// The home display: wall-safe notes and the next date.
    pub const KIOSK: &[Collection] = &[Appreciations, Dates];
}

impl Views {
    /// Builds every screen from the journal and the devices' state.
    pub fn build(
        journal: &Journal,
        me: Option<PartnerId>,
        peers: &[PeerStatus],
        at: Moment,
        limits: Limits,
    ) -> Views {
        let mut views = Views::default();
        views.rebuild(journal, &Touched::everything(), me, peers, at, limits);
        views
    }

    /// Rebuilds the screens that `touched` concerns; the header and the devices always (they
    /// show the devices' state, which is not in the journal, and read no collection).
    fn rebuild(
        &mut self,
        journal: &Journal,
        touched: &Touched,
        me: Option<PartnerId>,
        peers: &[PeerStatus],
        at: Moment,
        limits: Limits,
    ) {
        let people = People::of(journal, me.clone());
        self.shell = ShellView {
            me: me.as_ref().map(|id| people.get(id)).unwrap_or_default(),
            partner: people.partner().map(|(_, p)| p),
            today: format::long_day(at.today()),
            sync: devices::sync_view(peers, at),
        };
        self.devices = devices::build(peers, &people, at);
        // This week's counts, read once for the two screens that show them.
        let week = if touched.concerns(reads::WALL) || touched.concerns(reads::CHECKIN) {
            journal.week_counts(at.today(), at.now)
        } else {
            Vec::new()
        };
        if touched.concerns(reads::WALL) {
            self.wall = wall::build(journal, &people, at, limits.wall, &week);
        }
        if touched.concerns(reads::DATES) {
            self.dates = dates::build(journal, &people, at);
        }
        if touched.concerns(reads::KINDNESS) {
            self.kindness = kindness::build(journal, &people, at);
        }
        if touched.concerns(reads::CHECKIN) {
            self.checkin = checkin::build(journal, &people, at, &week);
        }
        if touched.concerns(reads::TALK) {
            self.talk = talk::build(journal, &people, at);
        }
        if touched.concerns(&Collection::ALL) {
            self.trash = trash::build(journal, &people, at);
        }
    }
}

/// The screens as last built, kept between changes: a change rebuilds only the screens it
/// concerns, and a new minute (relative times, countdowns, today) all of them.
#[derive(Debug, Default)]
pub struct Screens {
    shown: Option<Views>,
    /// What the shown views were built for: the person, the limits and the minute.
    built_for: Option<(Option<PartnerId>, Limits, i64)>,
}

impl Screens {
    /// Nothing built yet.
    pub fn new() -> Screens {
        Screens::default()
    }

    /// The views as last built.
    pub fn views(&self) -> Option<&Views> {
        self.shown.as_ref()
    }

    /// Brings the screens up to date with `touched` (what changed in the journal since the last
    /// update, see [`Journal::touched`]), the devices' state and the moment, and returns the
    /// screens that now differ from what was shown.
    pub fn update(
        &mut self,
        journal: &Journal,
        touched: &Touched,
        me: Option<PartnerId>,
        peers: &[PeerStatus],
        at: Moment,
        limits: Limits,
    ) -> Changed {
        let minute = at.now.0.div_euclid(60_000);
        let everything = Touched::everything();
        let touched = match (&self.shown, &self.built_for) {
            (Some(_), Some((m, l, built))) if *m == me && *built == minute => {
                if *l == limits {
                    touched.clone()
                } else {
                    let mut t = touched.clone();
                    t.merge(&Touched::of(reads::WALL));
                    t
                }
            }
            _ => everything,
        };
        let old = self.shown.clone();
        let mut views = self.shown.take().unwrap_or_default();
        views.rebuild(journal, &touched, me.clone(), peers, at, limits);
        let changed = Changed::between(old.as_ref(), &views);
        self.shown = Some(views);
        self.built_for = Some((me, limits, minute));
        changed
    }
}

/// Only the parts of `new` that differ from `old`: the screens whose models need rebuilding.
#[derive(Debug, Default)]
pub struct Changed {
    pub shell: Option<ShellView>,
    pub wall: Option<wall::WallView>,
    pub dates: Option<dates::DatesView>,
    pub kindness: Option<kindness::KindnessView>,
    pub checkin: Option<checkin::CheckinView>,
    pub talk: Option<talk::TalkView>,
    pub devices: Option<devices::DevicesView>,
    pub trash: Option<trash::TrashView>,
}

impl Changed {
    pub fn between(old: Option<&Views>, new: &Views) -> Changed {
        fn pick<T: PartialEq + Clone>(old: Option<&T>, new: &T) -> Option<T> {
            (old != Some(new)).then(|| new.clone())
        }
        Changed {
            shell: pick(old.map(|o| &o.shell), &new.shell),
            wall: pick(old.map(|o| &o.wall), &new.wall),
            dates: pick(old.map(|o| &o.dates), &new.dates),
            kindness: pick(old.map(|o| &o.kindness), &new.kindness),
            checkin: pick(old.map(|o| &o.checkin), &new.checkin),
            talk: pick(old.map(|o| &o.talk), &new.talk),
            devices: pick(old.map(|o| &o.devices), &new.devices),
            trash: pick(old.map(|o| &o.trash), &new.trash),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.shell.is_none()
            && self.wall.is_none()
            && self.dates.is_none()
            && self.kindness.is_none()
            && self.checkin.is_none()
            && self.talk.is_none()
            && self.devices.is_none()
            && self.trash.is_none()
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! A small couple's journal for the view tests.
    use super::*;

    pub(crate) const NOW: i64 = 1_764_547_200_000; // 2025-12-01 00:00 UTC

    pub(crate) fn at_hours(h: i64) -> Timestamp {
        Timestamp(NOW + h * 3_600_000)
    }

    pub(crate) fn moment() -> Moment {
        Moment {
            now: Timestamp(NOW),
            offset: FixedOffset::east_opt(0).unwrap(),
        }
    }

    pub(crate) fn couple() -> (Journal, PartnerId, PartnerId) {
        let mut j = Journal::new(b"fixture-device-1").unwrap();
        let ana = j.add_partner("Ana", "#c0623b", at_hours(-24 * 60)).unwrap();
        let ben = j.add_partner("Ben", "#3b7fc0", at_hours(-24 * 60)).unwrap();
        (j, ana, ben)
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;

    #[test]
    fn colours_parse_or_fall_back() {
        assert_eq!(Colour::parse("#c0623b"), Colour(0xc0623b));
        assert_eq!(Colour::parse("tomato"), Colour::UNKNOWN);
    }

    #[test]
    fn only_changed_screens_are_sent() {
        let (mut j, ana, _) = couple();
        let first = Views::build(&j, Some(ana.clone()), &[], moment(), Limits::default());
        assert!(!Changed::between(None, &first).is_empty());
        assert!(Changed::between(Some(&first), &first).is_empty());
        j.add_appreciation(&ana, "Thank you for the tea", true, at_hours(-1))
            .unwrap();
        let second = Views::build(&j, Some(ana), &[], moment(), Limits::default());
        let changed = Changed::between(Some(&first), &second);
        assert!(changed.wall.is_some());
        assert!(changed.dates.is_none());
        assert!(changed.devices.is_none());
    }

    #[test]
    fn a_change_rebuilds_only_the_screens_it_concerns() {
        let (mut j, ana, _) = couple();
        let mut screens = Screens::new();
        let at = moment();
        let limits = Limits::default();
        let first = j.touched();
        assert!(
            !screens
                .update(&j, &first, Some(ana.clone()), &[], at, limits)
                .is_empty()
        );

        // A note: the wall and the check-in's week review are rebuilt, nothing else.
        j.add_appreciation(&ana, "Thank you for the tea", true, at_hours(-1))
            .unwrap();
        let touched = j.touched();
        let changed = screens.update(&j, &touched, Some(ana.clone()), &[], at, limits);
        assert!(changed.wall.is_some());
        assert!(changed.checkin.is_some(), "the week in review counts notes");
        assert!(changed.dates.is_none() && changed.talk.is_none() && changed.kindness.is_none());

        // A date planned but reported as touching only the wall: the dates screen is not
        // rebuilt (it would show the plan if it were).
        let plan = crate::NewDate {
            title: "Picnic".into(),
            start: Some(at_hours(24)),
            ..Default::default()
        };
        j.plan_date(&ana, &plan, at_hours(-1)).unwrap();
        j.touched();
        let wall_only = Touched::of(reads::WALL);
        screens.update(&j, &wall_only, Some(ana.clone()), &[], at, limits);
        let shown = screens.views().unwrap();
        assert!(shown.dates.upcoming.is_empty(), "not rebuilt");
        let fresh = Views::build(&j, Some(ana.clone()), &[], at, limits);
        assert_eq!(fresh.dates.upcoming.len(), 1);

        // Nothing changed: nothing is sent.
        let none = screens.update(&j, &Touched::default(), Some(ana.clone()), &[], at, limits);
        assert!(none.is_empty());

        // A new minute rebuilds every screen (times and countdowns move).
        let later = Moment {
            now: Timestamp(at.now.0 + 60_000),
            ..at
        };
        let changed = screens.update(&j, &Touched::default(), Some(ana), &[], later, limits);
        assert!(changed.dates.is_some());
        assert_eq!(screens.views().unwrap().dates.upcoming.len(), 1);
    }

    #[test]
    fn people_put_me_first() {
        let (j, ana, ben) = couple();
        let people = People::of(&j, Some(ben.clone()));
        let ordered: Vec<_> = people.ordered().into_iter().map(|(id, _)| id).collect();
        assert_eq!(ordered, vec![ben, ana]);
        assert_eq!(people.partner().map(|(_, p)| p.name), Some("Ana".into()));
    }
}
