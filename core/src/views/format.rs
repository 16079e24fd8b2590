//! Times and counts in plain, friendly words.

use crate::Timestamp;
use chrono::{Datelike, NaiveDate, TimeZone, Timelike};

use super::Moment;

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;

/// "Monday 1 December".
pub fn long_day(day: NaiveDate) -> String {
    day.format("%A %-d %B").to_string()
}

/// When something was written: "today 08:12", "yesterday 21:40", "Tue 25 Nov", "3 Mar 2024".
pub fn written(at: Timestamp, moment: Moment) -> String {
    let (Some(t), today) = (moment.local(at), moment.today()) else {
        return String::new();
    };
    let day = t.date_naive();
    let time = format!("{:02}:{:02}", t.hour(), t.minute());
    if day == today {
        format!("today {time}")
    } else if today.pred_opt() == Some(day) {
        format!("yesterday {time}")
    } else if (today - day).num_days().abs() < 180 {
        t.format("%a %-d %b").to_string()
    } else {
        t.format("%-d %b %Y").to_string()
    }
}

/// When a date happens: "Sat 6 Dec, 19:30" (with the year when it is not this year's).
pub fn when(at: Timestamp, moment: Moment) -> String {
    let Some(t) = moment.local(at) else {
        return String::new();
    };
    if t.year() == moment.today().year() {
        t.format("%a %-d %b, %H:%M").to_string()
    } else {
        t.format("%a %-d %b %Y, %H:%M").to_string()
    }
}

/// How long until `at`: "in 3 days", "tomorrow", "in 5 hours", "happening now".
pub fn countdown(at: Timestamp, moment: Moment) -> String {
    let ms = at.0 - moment.now.0;
    if ms <= 0 {
        return "happening now".into();
    }
    let days_apart = match (moment.local(at), moment.today()) {
        (Some(t), today) => (t.date_naive() - today).num_days(),
        _ => ms / DAY,
    };
    match days_apart {
        0 if ms < HOUR => format!("in {} min", (ms / MINUTE).max(1)),
        0 if ms < 2 * HOUR => "in an hour".into(),
        0 => format!("in {} hours", ms / HOUR),
        1 => "tomorrow".into(),
        n if n < 14 => format!("in {n} days"),
        n if n < 60 => format!("in {} weeks", n / 7),
        n => format!("in {} months", n / 30),
    }
}

/// How long ago: "just now", "5 min ago", "2 hours ago", "3 days ago".
pub fn ago(at: Timestamp, moment: Moment) -> String {
    let ms = (moment.now.0 - at.0).max(0);
    match ms {
        ms if ms < MINUTE => "just now".into(),
        ms if ms < HOUR => format!("{} min ago", ms / MINUTE),
        ms if ms < 2 * HOUR => "an hour ago".into(),
        ms if ms < DAY => format!("{} hours ago", ms / HOUR),
        ms if ms < 2 * DAY => "yesterday".into(),
        ms => format!("{} days ago", ms / DAY),
    }
}

/// "1 note", "3 notes".
pub fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// Text cut to `max` characters with an ellipsis.
pub fn short(text: &str, max: usize) -> String {
    let one_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        one_line
    } else {
        let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
        format!("{}…", cut.trim_end())
    }
}

/// A moment in `tz` the way lists and exports write it: `Fri 12 Jun 2026, 19:30`.
pub fn local_time<Tz: TimeZone>(tz: &Tz, t: Timestamp) -> String
where
    Tz::Offset: std::fmt::Display,
{
    match tz.timestamp_millis_opt(t.millis()).single() {
        Some(local) => local.format("%a %-d %b %Y, %H:%M").to_string(),
        None => t.to_string(),
    }
}

/// When a date is on, in `tz`: [`local_time`] of its start, with its end when it has one (`to
/// 22:00` the same day, the whole time on another day).
pub fn local_span<Tz: TimeZone>(tz: &Tz, start: Timestamp, end: Option<Timestamp>) -> String
where
    Tz::Offset: std::fmt::Display,
{
    let from = local_time(tz, start);
    let Some(end) = end else {
        return from;
    };
    let day = tz
        .timestamp_millis_opt(start.millis())
        .single()
        .map(|l| l.date_naive());
    match (day, tz.timestamp_millis_opt(end.millis()).single()) {
        (Some(d), Some(e)) if e.date_naive() == d => format!("{from} to {}", e.format("%H:%M")),
        _ => format!("{from} to {}", local_time(tz, end)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn written_reads_naturally() {
        let m = moment();
        assert_eq!(written(at_hours(-1), m), "yesterday 23:00");
        assert_eq!(written(at_hours(5), m), "today 05:00");
        assert_eq!(written(at_hours(-24 * 5), m), "Wed 26 Nov");
        assert_eq!(written(at_hours(-24 * 400), m), "27 Oct 2024");
    }

    #[test]
    fn countdowns_are_gentle() {
        let m = moment();
        assert_eq!(countdown(at_hours(-1), m), "happening now");
        assert_eq!(countdown(Timestamp(NOW + 20 * MINUTE), m), "in 20 min");
        assert_eq!(countdown(at_hours(5), m), "in 5 hours");
        assert_eq!(countdown(at_hours(30), m), "tomorrow");
        assert_eq!(countdown(at_hours(24 * 3 + 19), m), "in 3 days");
        assert_eq!(countdown(at_hours(24 * 21), m), "in 3 weeks");
    }

    #[test]
    fn ago_and_counts() {
        let m = moment();
        assert_eq!(ago(Timestamp(NOW - 5 * MINUTE), m), "5 min ago");
        assert_eq!(ago(at_hours(-30), m), "yesterday");
        assert_eq!(count(1, "note", "notes"), "1 note");
        assert_eq!(count(0, "note", "notes"), "0 notes");
        assert_eq!(short("a  long\nline of text", 9), "a long l…");
    }
}
