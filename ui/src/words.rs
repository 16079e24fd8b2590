//! Words the command line and the app share for what the journal's views carry.

/// Says where an item came from when it was not simply written by its author on their own
/// device: left on the home display, or a value another device wrote (the author's own value is
/// what shows; this names the other one so it can be looked at).
pub fn provenance(
    left_on_display: bool,
    foreign: &[hearth_core::Foreign],
    name_of: impl Fn(&hearth_core::PartnerId) -> String,
) -> Vec<String> {
    let mut out = Vec::new();
    if left_on_display {
        out.push("Left on the home display.".to_owned());
    }
    for f in foreign {
        let on = match &f.device {
            Some(d) => format!("on {}", hearth_core::display_safe(d)),
            None => "on a device this journal does not know".to_owned(),
        };
        out.push(match (f.field.as_str(), &f.value) {
            ("author", Some(v)) => format!(
                "Written {on}, in {}'s name.",
                name_of(&hearth_core::PartnerId::from(v.as_str()))
            ),
            (field, Some(v)) => format!(
                "Its {} was changed {on}, to: \u{201c}{}\u{201d} (not shown above).",
                field.replace('_', " "),
                hearth_core::display_safe(v)
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
