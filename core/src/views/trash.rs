//! Recently deleted: what can still be restored, and for how long.

use crate::Journal;

use super::{Moment, People, format};

#[derive(Clone, Debug, PartialEq, Default)]
pub struct TrashItemView {
    pub id: String,
    pub what: String,
    pub preview: String,
    pub when: String,
    pub left: String,
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct TrashView {
    pub items: Vec<TrashItemView>,
}

pub fn build(journal: &Journal, people: &People, at: Moment) -> TrashView {
    let items = journal
        .trash()
        .into_iter()
        .filter(|t| t.purge_after > at.now)
        .map(|t| {
            // Whole days begun, so a note deleted just now has the 30 days its notice promised.
            let day = 24 * 3_600_000;
            let days = (t.purge_after.0 - at.now.0 + day - 1) / day;
            let noun = t.collection.noun();
            let mut what = noun[..1].to_uppercase();
            what.push_str(&noun[1..]);
            TrashItemView {
                id: t.id.to_string(),
                what,
                preview: format::short(&t.preview, 80),
                when: format!(
                    "deleted by {} {}",
                    people.get(&t.deleted_by).name,
                    format::written(t.deleted_at, at)
                ),
                left: match days {
                    ..=1 => "goes for good within a day".into(),
                    n => format!("{n} days left"),
                },
            }
        })
        .collect();
    TrashView { items }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn deleted_items_wait_thirty_days() {
        let (mut j, ana, _) = couple();
        let id = j
            .add_appreciation(&ana, "Thanks for the flowers", false, at_hours(-50))
            .unwrap();
        j.delete(&id, &ana, at_hours(-48)).unwrap();
        let v = build(&j, &People::of(&j, Some(ana.clone())), moment());
        assert_eq!(v.items.len(), 1);
        assert_eq!(v.items[0].what, "Appreciation");
        assert_eq!(v.items[0].preview, "Thanks for the flowers");
        assert_eq!(v.items[0].left, "28 days left");
        assert!(v.items[0].when.starts_with("deleted by Ana"));

        // Just deleted: the 30 days the notice says, not 29.
        let now = j
            .add_appreciation(&ana, "Thanks for the tea", false, at_hours(-1))
            .unwrap();
        j.delete(&now, &ana, at_hours(0)).unwrap();
        let v = build(&j, &People::of(&j, Some(ana)), moment());
        let left: Vec<_> = v.items.iter().map(|i| i.left.as_str()).collect();
        assert!(left.contains(&"30 days left"), "{left:?}");
    }
}
