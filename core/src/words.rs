//! Words the command line and the app share for what the journal's views carry.

use crate::KindnessBucket;

/// Says where an item came from when it was not simply written by its author on their own
/// device: left on the home display, or a value another device wrote (the author's own value is
/// what shows; this names the other one so it can be looked at).
pub fn provenance(
    left_on_display: bool,
    foreign: &[crate::Foreign],
    name_of: impl Fn(&crate::PartnerId) -> String,
) -> Vec<String> {
    let mut out = Vec::new();
    if left_on_display {
        out.push("Left on the home display.".to_owned());
    }
    for f in foreign {
        let on = match &f.device {
            Some(d) => format!("on {}", crate::display_safe(d)),
            None => "on a device this journal does not know".to_owned(),
        };
        out.push(match (f.field.as_str(), &f.value) {
            ("author", Some(v)) => format!(
                "Written {on}, in {}'s name.",
                name_of(&crate::PartnerId::from(v.as_str()))
            ),
            (field, Some(v)) => format!(
                "Its {} was changed {on}, to: \u{201c}{}\u{201d} (not shown above).",
                field.replace('_', " "),
                crate::display_safe(v)
            ),
            (field, None) => format!("Its {} was changed {on}.", field.replace('_', " ")),
        });
    }
    out
}

/// Date ideas for a new deck, until the couple has their own: small, cheap, and mostly at home
/// or nearby.
pub const DATE_IDEAS: &[&str] = &[
    "Cook something neither of you has made before",
    "A walk to watch the sun go down",
    "Breakfast in bed on a slow Sunday",
    "Pick a film for each other, no vetoes",
    "Picnic on the living room floor",
    "Visit the market and cook what you find",
    "A board game night with a small prize",
    "Go back to where you had your first date",
    "Look at old photos together",
    "Try a class together: pottery, dancing, climbing",
];

/// A bucket of small kindnesses: its name, a line about it and a few ideas to start from.
#[derive(Debug)]
pub struct KindnessKind {
    /// The bucket.
    pub bucket: KindnessBucket,
    /// Its name on screen.
    pub name: &'static str,
    /// What it holds, in a line.
    pub about: &'static str,
    /// Ideas to start from while the deck has none of its own.
    pub starters: [&'static str; 3],
}

/// The five buckets, a menu to pick from (not a test), in the order they are shown.
pub const KINDNESS_BUCKETS: [KindnessKind; 5] = [
    KindnessKind {
        bucket: KindnessBucket::Words,
        name: "Words",
        about: "Saying it out loud, or on paper.",
        starters: [
            "Leave a note where they'll find it",
            "Tell them one thing you admire about them",
            "Send a message in the middle of the day",
        ],
    },
    KindnessKind {
        bucket: KindnessBucket::Help,
        name: "Help",
        about: "Taking something off their plate.",
        starters: [
            "Do the chore they like least",
            "Handle an errand they've been putting off",
            "Make their morning easier",
        ],
    },
    KindnessKind {
        bucket: KindnessBucket::Gifts,
        name: "Gifts",
        about: "Small things that say \"I thought of you\".",
        starters: [
            "Bring home their favourite snack",
            "Pick a flower on the way back",
            "Find something small that fits an inside joke",
        ],
    },
    KindnessKind {
        bucket: KindnessBucket::Time,
        name: "Time",
        about: "Undivided attention, phones away.",
        starters: [
            "A walk together after dinner",
            "Ask about their day and just listen",
            "Cook something together",
        ],
    },
    KindnessKind {
        bucket: KindnessBucket::Touch,
        name: "Touch",
        about: "Closeness without words.",
        starters: [
            "A long hug when they come home",
            "Hold hands on a walk",
            "A shoulder rub at the end of the day",
        ],
    },
];

/// A bucket's words; `None` for a bucket this version does not know.
pub fn kindness_bucket(bucket: &KindnessBucket) -> Option<&'static KindnessKind> {
    KINDNESS_BUCKETS.iter().find(|k| &k.bucket == bucket)
}
