//! Kindness: a menu of ideas in five buckets (a menu, not a personality test) and a log of what
//! was done. Nothing is scored.

use crate::{IdeaKind, Journal, KindnessBucket};

use super::{Colour, Moment, People, format};

#[derive(Clone, Debug, PartialEq, Default)]
pub struct KindIdeaView {
    /// The idea's id, or `suggested:...` for one of the built-in suggestions.
    pub id: String,
    pub title: String,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct BucketView {
    pub key: String,
    pub name: String,
    pub blurb: String,
    pub ideas: Vec<KindIdeaView>,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct ActView {
    pub id: String,
    pub by: String,
    pub colour: Colour,
    pub what: String,
    pub when: String,
    pub bucket: String,
    pub mine: bool,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct KindnessView {
    pub buckets: Vec<BucketView>,
    pub log: Vec<ActView>,
    pub week: String,
}

const LOG: usize = 30;

/// The display name of a bucket.
pub fn bucket_name(bucket: &KindnessBucket) -> String {
    crate::words::kindness_bucket(bucket).map_or_else(|| bucket.to_string(), |k| k.name.to_owned())
}

pub fn build(journal: &Journal, people: &People, at: Moment) -> KindnessView {
    let ideas: Vec<_> = journal
        .ideas()
        .into_iter()
        .filter(|i| i.kind == IdeaKind::Kindness)
        .collect();
    let buckets = crate::words::KINDNESS_BUCKETS
        .iter()
        .map(|k| {
            let (bucket, name, blurb, starters) = (&k.bucket, k.name, k.about, &k.starters);
            let mut list: Vec<KindIdeaView> = ideas
                .iter()
                .filter(|i| i.bucket.as_ref() == Some(bucket))
                .rev()
                .take(12)
                .map(|i| KindIdeaView {
                    id: i.id.to_string(),
                    title: i.title.clone(),
                })
                .collect();
            for (n, s) in starters.iter().enumerate() {
                if list.len() < 12 && !list.iter().any(|i| i.title == *s) {
                    list.push(KindIdeaView {
                        id: format!("suggested:{bucket}:{n}"),
                        title: (*s).to_owned(),
                    });
                }
            }
            BucketView {
                key: bucket.to_string(),
                name: (*name).to_owned(),
                blurb: (*blurb).to_owned(),
                ideas: list,
            }
        })
        .collect();
    let log = journal.kindness_acts(None, None, Some(LOG));
    let this_week = journal
        .kindness_acts(Some(at.now.plus_days(-7)), Some(at.now), None)
        .len();
    let week = match this_week {
        0 => String::new(),
        n => format!(
            "{} logged this week between you.",
            format::count(n, "kindness", "kindnesses")
        ),
    };
    KindnessView {
        buckets,
        log: log
            .iter()
            .map(|a| {
                let by = people.get(&a.by);
                ActView {
                    id: a.id.to_string(),
                    by: by.name,
                    colour: by.colour,
                    what: a.what.clone(),
                    when: format::written(a.when, at),
                    bucket: a.bucket.as_ref().map(bucket_name).unwrap_or_default(),
                    mine: people.is_me(&a.by),
                }
            })
            .collect(),
        week,
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn buckets_have_ideas_and_the_log_is_newest_first() {
        let (mut j, ana, ben) = couple();
        j.add_idea(
            &ana,
            &IdeaKind::Kindness,
            "Warm the towels",
            Some(&KindnessBucket::Help),
            at_hours(-10),
        )
        .unwrap();
        j.log_kindness(&ben, "Made breakfast", at_hours(-30), None, at_hours(-30))
            .unwrap();
        j.log_kindness(
            &ana,
            "Left a note",
            at_hours(-2),
            Some(&KindnessBucket::Words),
            at_hours(-2),
        )
        .unwrap();
        let v = build(&j, &People::of(&j, Some(ana)), moment());
        assert_eq!(v.buckets.len(), 5);
        let help = &v.buckets[1];
        assert_eq!(help.name, "Help");
        assert_eq!(help.ideas[0].title, "Warm the towels");
        assert_eq!(help.ideas[1].id, "suggested:help:0");
        assert_eq!(v.log[0].what, "Left a note");
        assert_eq!(v.log[0].bucket, "Words");
        assert!(v.log[0].mine);
        assert_eq!(v.week, "2 kindnesses logged this week between you.");
    }
}
