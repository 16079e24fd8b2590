//! The "I"-statement coach: a pure, local check of a draft for the patterns that tend to start
//! a fight (blame, "you always / you never", attacks on character, sweeping generalisations)
//! with a gentler shape to try instead. No network, no model: a small table of phrasings.
//!
//! ```
//! use hearth_core::coach::{coach, Pattern};
//! let hints = coach("You never listen to me");
//! assert_eq!(hints[0].pattern, Pattern::Absolute);
//! assert_eq!(&"You never listen to me"[hints[0].span.clone()], "You never");
//! assert!(coach("I always feel better after we talk").is_empty());
//! ```

use std::ops::Range;

use serde::Serialize;

/// The kind of pattern the coach noticed.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// "You always", "you never": an absolute about the partner.
    Absolute,
    /// "You're so ...", "you're such a ...": a judgement of who they are.
    Character,
    /// A label: "you're lazy", "you're selfish".
    Label,
    /// "Everyone", "nobody": a sweeping generalisation.
    Generalisation,
    /// "It's your fault", "you make me feel": blame for my feelings.
    Blame,
    /// "You should", "you need to": a demand rather than a request.
    Demand,
}

/// One thing the coach noticed in a draft.
#[derive(Clone, PartialEq, Eq, Debug, Serialize)]
pub struct Hint {
    /// Byte range of the words in the draft.
    pub span: Range<usize>,
    /// What kind of pattern.
    pub pattern: Pattern,
    /// A gentler way to say it.
    pub suggestion: &'static str,
}

/// The shape the coach suggests: observation, feeling, need, request.
pub const SHAPE: &str = "When I saw/heard [what happened], I felt [feeling], because I need [need]. Would you be willing to [request]?";

const ABSOLUTE: &str =
    "Name one moment instead of \"always\" or \"never\": \"Last night, when ..., I felt ...\"";
const CHARACTER: &str =
    "Describe what happened rather than who they are: \"When ... happened, I felt ...\"";
const LABEL: &str =
    "A label invites defence. Say what they did and how it landed: \"When you ..., I felt ...\"";
const GENERAL: &str = "Speak for yourself about this moment: \"I felt ... when ...\"";
const BLAME: &str = "Own the feeling and name the need: \"I felt ... because I need ...\"";
const DEMAND: &str = "Turn it into a request they can say yes to: \"Would you be willing to ...?\"";

const ABSOLUTES: &[&str] = &["always", "never", "constantly", "forever", "ever"];
const INTENSIFIERS: &[&str] = &[
    "so",
    "such",
    "really",
    "just",
    "totally",
    "completely",
    "too",
];
const LABELS: &[&str] = &[
    "lazy",
    "selfish",
    "stupid",
    "useless",
    "careless",
    "inconsiderate",
    "thoughtless",
    "rude",
    "mean",
    "cold",
    "crazy",
    "pathetic",
    "hopeless",
    "immature",
    "childish",
    "controlling",
    "irresponsible",
    "liar",
    "idiot",
    "jerk",
    "narcissist",
    "failure",
    "disaster",
    "mess",
    "unreliable",
    "dramatic",
    "needy",
    "ungrateful",
    "clueless",
    "arrogant",
    "heartless",
];
const GENERALS: &[&[&str]] = &[
    &["everyone"],
    &["everybody"],
    &["nobody"],
    &["no", "one"],
    &["no-one"],
    &["nothing", "ever"],
];

/// Words that speak well of the partner or of how they make one feel. Next to "you're so",
/// "you make me", "you always" or "everyone" they turn a pattern into a compliment.
const POSITIVE: &[&str] = &[
    "kind",
    "sweet",
    "thoughtful",
    "lovely",
    "wonderful",
    "amazing",
    "generous",
    "patient",
    "caring",
    "gentle",
    "funny",
    "clever",
    "smart",
    "wise",
    "brave",
    "strong",
    "beautiful",
    "gorgeous",
    "handsome",
    "good",
    "great",
    "helpful",
    "supportive",
    "considerate",
    "warm",
    "loving",
    "talented",
    "special",
    "happy",
    "happier",
    "glad",
    "safe",
    "loved",
    "seen",
    "heard",
    "proud",
    "laugh",
    "smile",
    "calm",
    "grateful",
    "thankful",
    "better",
    "best",
    "precious",
    "perfect",
    "incredible",
    "fantastic",
    "awesome",
    "fun",
    "cute",
    "adorable",
    "dear",
    "gem",
    "star",
    "treasure",
    "sweetheart",
    "love",
    "loves",
    "enjoyed",
    "enjoys",
    "adore",
    "adored",
    "adores",
    "liked",
    "cherished",
    "lucky",
    "luckier",
    "relaxed",
    "comfortable",
    "cheer",
    "cheers",
    "hopeful",
    "excited",
    "welcome",
    "delicious",
    "impressed",
];
/// What "you make me ..." blames on the partner when no kind word follows.
const MADE_TO: &[&str] = &[
    "angry",
    "mad",
    "sad",
    "cry",
    "furious",
    "upset",
    "miserable",
    "nervous",
    "anxious",
    "jealous",
    "sick",
    "crazy",
    "scream",
    "wait",
    "late",
    "hate",
    "regret",
    "worry",
    "doubt",
    "lonely",
    "invisible",
    "do",
];
/// What "you never ..." may be followed by to become praise: "you never fail to ...".
const NEVER_KIND: &[&str] = &[
    "fail",
    "fails",
    "forget",
    "forgets",
    "disappoint",
    "disappoints",
];
/// Pronouns that start a clause about someone other than the partner.
const OTHER_SUBJECTS: &[&str] = &[
    "i", "i'm", "im", "i've", "i'd", "we", "we're", "they", "he", "she", "it", "it's",
];
/// Words after which a new clause may begin with "you".
const CLAUSE_STARTS: &[&str] = &[
    "and", "but", "because", "when", "if", "so", "then", "since", "while", "whenever",
];

/// A word of the draft, lowercased, with its byte range and the sentence it is in.
struct Word {
    text: String,
    span: Range<usize>,
    sentence: usize,
}

fn words(text: &str) -> Vec<Word> {
    let mut out = Vec::new();
    let mut start = None;
    let mut sentence = 0;
    let is_word = |c: char| c.is_alphanumeric() || c == '\'' || c == '’' || c == '-';
    for (i, c) in text.char_indices() {
        match (is_word(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push(word(text, s..i, sentence));
                start = None;
            }
            _ => {}
        }
        if matches!(c, '.' | '!' | '?' | ';' | '\n' | '…') {
            sentence += 1;
        }
    }
    if let Some(s) = start {
        out.push(word(text, s..text.len(), sentence));
    }
    out
}

fn word(text: &str, span: Range<usize>, sentence: usize) -> Word {
    let w = text[span.clone()]
        .to_lowercase()
        .replace('’', "'")
        .trim_matches(|c| c == '\'' || c == '-')
        .to_owned();
    Word {
        text: w,
        span,
        sentence,
    }
}

/// The words after `i` in the same sentence, up to (not including) a "but", which turns it.
fn rest_of_clause(w: &[Word], i: usize) -> &[Word] {
    let Some(start) = w.get(i + 1..) else {
        return &[];
    };
    let end = start
        .iter()
        .position(|x| x.sentence != w[i].sentence || x.text == "but")
        .unwrap_or(start.len());
    &start[..end]
}

fn has(clause: &[Word], options: &[&str]) -> bool {
    clause.iter().any(|x| options.contains(&x.text.as_str()))
}

/// Does "you ..." at word `i` start a clause ("You come home late", "and when you ...")?
fn starts_clause(w: &[Word], i: usize) -> bool {
    i == 0 || w[i - 1].sentence != w[i].sentence || CLAUSE_STARTS.contains(&w[i - 1].text.as_str())
}

/// After "you make me" (word `k` is the one after "me"): is it blame ("you make me feel
/// invisible", "you made me wait"), or thanks ("you make me so happy", "you made me tea")?
fn blames(w: &[Word], mut k: usize) -> bool {
    let mut leading = false;
    while let Some(x) = w.get(k) {
        match x.text.as_str() {
            "feel" | "feels" | "so" | "really" | "very" | "too" | "such" | "want" | "to" | "be"
            | "much" | "more" | "totally" | "completely" => leading = true,
            "a" | "an" | "the" => {}
            _ => break,
        }
        k += 1;
    }
    if is(w, k, POSITIVE) {
        return false;
    }
    leading || is(w, k, MADE_TO)
}

/// Does "you are" / "you're" / "youre" start at word `i`? Returns how many words it takes.
fn you_are(w: &[Word], i: usize) -> Option<usize> {
    match w.get(i)?.text.as_str() {
        "you're" | "youre" => Some(1),
        "you" if w.get(i + 1).is_some_and(|n| n.text == "are") => Some(2),
        _ => None,
    }
}

fn is(w: &[Word], i: usize, options: &[&str]) -> bool {
    w.get(i).is_some_and(|x| options.contains(&x.text.as_str()))
}

/// Is the clause before "and" at word `i` about the partner: does its sentence's last subject
/// before `i` read "you" at the start of a clause?
fn speaks_of_you(w: &[Word], i: usize) -> bool {
    for k in (0..i).rev() {
        if w[k].sentence != w[i].sentence {
            return false;
        }
        let t = w[k].text.as_str();
        if matches!(t, "you" | "you're" | "youre") {
            return starts_clause(w, k);
        }
        if OTHER_SUBJECTS.contains(&t) {
            return false;
        }
    }
    false
}

/// "Everyone at the party loved your cake", "no one makes me laugh like you": a sweeping word
/// in praise of the partner, left alone. Words `from..=to` are the sweeping word.
fn sweeping_praise(w: &[Word], from: usize, to: usize) -> bool {
    let clause = rest_of_clause(w, to);
    match w[from].text.as_str() {
        "everyone" | "everybody" => has(clause, POSITIVE) && !has(clause, LABELS),
        "nobody" | "no" | "no-one" => {
            has(clause, &["better", "luckier", "happier"])
                || clause
                    .windows(2)
                    .any(|p| p[0].text == "like" && p[1].text == "you")
        }
        _ => false,
    }
}

/// Checks a draft and returns what it noticed, in order of position. An empty result means
/// nothing stood out.
pub fn coach(draft: &str) -> Vec<Hint> {
    let w = words(draft);
    let mut hints: Vec<Hint> = Vec::new();
    let mut push = |from: usize, to: usize, pattern, suggestion| {
        let span = w[from].span.start..w[to].span.end;
        if !hints
            .iter()
            .any(|h: &Hint| h.span.start < span.end && span.start < h.span.end)
        {
            hints.push(Hint {
                span,
                pattern,
                suggestion,
            });
        }
    };
    let mut i = 0;
    while i < w.len() {
        let t = w[i].text.as_str();
        // "you always", "you never", "you're always", "you are never", "you don't ever"
        if t == "you" || t == "you're" || t == "youre" {
            let mut j = i + 1;
            if t == "you"
                && is(
                    &w,
                    j,
                    &[
                        "are", "were", "do", "don't", "dont", "did", "didn't", "won't", "can't",
                    ],
                )
            {
                j += 1;
            }
            if is(&w, j, ABSOLUTES) && !(w[j].text == "ever" && j == i + 1) {
                // "You always make me laugh", "you never fail to cheer me up": praise.
                let clause = rest_of_clause(&w, j);
                let kind = match w[j].text.as_str() {
                    "never" => is(&w, j + 1, NEVER_KIND),
                    "ever" => false,
                    _ => has(clause, POSITIVE) && !has(clause, LABELS),
                };
                if !kind {
                    push(i, j, Pattern::Absolute, ABSOLUTE);
                }
                i = j + 1;
                continue;
            }
        }
        // "You always come home late and never call": the same "you" goes on.
        if matches!(t, "and" | "or" | "but")
            && is(&w, i + 1, &["always", "never", "constantly"])
            && speaks_of_you(&w, i)
            && !(w[i + 1].text == "never" && is(&w, i + 2, NEVER_KIND))
        {
            // The absolute and the verb it sweeps over: "never call".
            let end = if w.get(i + 2).is_some_and(|x| x.sentence == w[i].sentence) {
                i + 2
            } else {
                i + 1
            };
            push(i + 1, end, Pattern::Absolute, ABSOLUTE);
            i = end + 1;
            continue;
        }
        if let Some(n) = you_are(&w, i) {
            let j = i + n;
            // "you're so ...", "you are such a ..."
            if is(&w, j, &["so", "such"]) && w.get(j + 1).is_some() {
                let mut end = j + 1;
                while is(&w, end, &["so", "very", "really"]) && w.get(end + 1).is_some() {
                    end += 1;
                }
                if is(&w, end, &["a", "an"]) && w.get(end + 1).is_some() {
                    end += 1;
                }
                // "You're so kind", "you are such a good listener": thanks, not judgement.
                if !is(&w, end, POSITIVE) {
                    push(i, end, Pattern::Character, CHARACTER);
                }
                i = end + 1;
                continue;
            }
            // "you're lazy", "you are a selfish ...", "you're just useless"
            let mut k = j;
            while is(&w, k, &["a", "an", "the", "being"]) || is(&w, k, INTENSIFIERS) {
                k += 1;
            }
            if is(&w, k, LABELS) {
                push(i, k, Pattern::Label, LABEL);
                i = k + 1;
                continue;
            }
        }
        if matches!(t, "your" | "you") && is(&w, i + 1, &["fault"]) {
            push(i, i + 1, Pattern::Blame, BLAME);
            i += 2;
            continue;
        }
        if t == "because" && is(&w, i + 1, &["of"]) && is(&w, i + 2, &["you"]) {
            push(i, i + 2, Pattern::Blame, BLAME);
            i += 3;
            continue;
        }
        if t == "you" && is(&w, i + 1, &["make", "made", "makes"]) && is(&w, i + 2, &["me"]) {
            if blames(&w, i + 3) {
                push(i, i + 2, Pattern::Blame, BLAME);
            }
            i += 3;
            continue;
        }
        if t == "you" && is(&w, i + 1, &["should", "must"])
            || t == "you" && is(&w, i + 1, &["need", "have", "better"]) && is(&w, i + 2, &["to"])
        {
            let end = if is(&w, i + 1, &["should", "must"]) {
                i + 1
            } else {
                i + 2
            };
            push(i, end, Pattern::Demand, DEMAND);
            i = end + 1;
            continue;
        }
        if let Some(g) = GENERALS
            .iter()
            .find(|g| g.iter().enumerate().all(|(k, part)| is(&w, i + k, &[part])))
        {
            let last = i + g.len() - 1;
            if !sweeping_praise(&w, i, last) {
                push(i, last, Pattern::Generalisation, GENERAL);
            }
            i += g.len();
            continue;
        }
        i += 1;
    }
    hints.sort_by_key(|h| h.span.start);
    hints
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (draft, expected patterns in order, expected flagged text of the first hint)
    const TABLE: &[(&str, &[Pattern], &str)] = &[
        (
            "You always leave the dishes",
            &[Pattern::Absolute],
            "You always",
        ),
        ("you never listen to me", &[Pattern::Absolute], "you never"),
        (
            "You don't ever call when you're late",
            &[Pattern::Absolute],
            "You don't ever",
        ),
        (
            "You are never on time",
            &[Pattern::Absolute],
            "You are never",
        ),
        (
            "You’re always on your phone",
            &[Pattern::Absolute],
            "You’re always",
        ),
        (
            "You're so selfish",
            &[Pattern::Character],
            "You're so selfish",
        ),
        (
            "you are such a child",
            &[Pattern::Character],
            "you are such a child",
        ),
        (
            "You're lazy and you know it",
            &[Pattern::Label],
            "You're lazy",
        ),
        ("You are a liar", &[Pattern::Label], "You are a liar"),
        (
            "you're just inconsiderate",
            &[Pattern::Label],
            "you're just inconsiderate",
        ),
        (
            "Everyone thinks you're rude",
            &[Pattern::Generalisation, Pattern::Label],
            "Everyone",
        ),
        (
            "Nobody in this house helps",
            &[Pattern::Generalisation],
            "Nobody",
        ),
        (
            "No one cares what I think",
            &[Pattern::Generalisation],
            "No one",
        ),
        (
            "It's your fault we were late",
            &[Pattern::Blame],
            "your fault",
        ),
        (
            "You make me feel invisible",
            &[Pattern::Blame],
            "You make me",
        ),
        (
            "We missed the film because of you",
            &[Pattern::Blame],
            "because of you",
        ),
        (
            "You should know how I feel",
            &[Pattern::Demand],
            "You should",
        ),
        (
            "You need to call your mother",
            &[Pattern::Demand],
            "You need to",
        ),
        (
            "You never help and you're so cold",
            &[Pattern::Absolute, Pattern::Character],
            "You never",
        ),
        (
            "You always come home late and never call",
            &[Pattern::Absolute, Pattern::Absolute],
            "You always",
        ),
        (
            "You come home late and never call",
            &[Pattern::Absolute],
            "never call",
        ),
        (
            "You're always late and never sorry",
            &[Pattern::Absolute, Pattern::Absolute],
            "You're always",
        ),
        ("You make me so angry", &[Pattern::Blame], "You make me"),
        (
            "You made me wait an hour in the rain",
            &[Pattern::Blame],
            "You made me",
        ),
        (
            "You never make me laugh anymore",
            &[Pattern::Absolute],
            "You never",
        ),
        (
            "Everyone at the party saw how rude you were",
            &[Pattern::Generalisation],
            "Everyone",
        ),
        (
            "You're so dramatic",
            &[Pattern::Character],
            "You're so dramatic",
        ),
        (
            "You're so kind to everyone but me",
            &[Pattern::Generalisation],
            "everyone",
        ),
    ];

    /// Drafts the coach must leave alone.
    const CLEAN: &[&str] = &[
        "I always feel better after we talk",
        "I never want to lose what we have",
        "When the dishes stayed in the sink last night, I felt tired.",
        "I feel lonely when we eat in front of the TV. Would you be willing to eat at the table on Sundays?",
        "Thank you for always making me laugh",
        "I'd love it if you ever wanted to dance with me",
        "You are wonderful",
        "You made dinner and I felt so cared for",
        "Are you so tired tonight? I could cook",
        "You're so kind, thank you",
        "You make me so happy",
        "Everyone at the party loved your cake",
        "You are such a good listener",
        "You're so, so thoughtful with my parents",
        "You always make me laugh when I need it most",
        "You never fail to cheer me up after a long day",
        "You never forget to kiss me goodbye",
        "You made me a cup of tea this morning and it made my day",
        "You make me feel safe",
        "You make me want to be a better person",
        "Everybody says how lucky I am to have you",
        "Nobody makes me laugh like you do",
        "No one could ask for a better partner",
        "You are so patient with the kids",
        "Thank you for the flowers and always being there",
        "You're such a gem. Everyone adored the speech you gave",
        "",
        "   ",
    ];

    #[test]
    fn flags_the_table() {
        for (draft, patterns, first) in TABLE {
            let hints = coach(draft);
            let got: Vec<Pattern> = hints.iter().map(|h| h.pattern).collect();
            assert_eq!(&got, patterns, "draft: {draft:?}");
            assert_eq!(&&draft[hints[0].span.clone()], first, "draft: {draft:?}");
            assert!(hints.iter().all(|h| !h.suggestion.is_empty()));
        }
    }

    #[test]
    fn leaves_gentle_drafts_alone() {
        for draft in CLEAN {
            assert!(
                coach(draft).is_empty(),
                "flagged {draft:?}: {:?}",
                coach(draft)
            );
        }
    }

    #[test]
    fn a_second_absolute_about_the_same_you_is_flagged_with_its_verb() {
        let draft = "You always come home late and never call";
        let hints = coach(draft);
        assert_eq!(hints.len(), 2, "{hints:?}");
        assert_eq!(&draft[hints[1].span.clone()], "never call");
    }

    #[test]
    fn spans_are_valid_on_any_text() {
        for draft in [
            "ÿou always",
            "YOU ALWAYS!!",
            "you’re SO…",
            "é you never é",
            "you",
        ] {
            for h in coach(draft) {
                assert!(draft.get(h.span.clone()).is_some());
            }
        }
    }
}
