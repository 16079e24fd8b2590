//! Text the host hands in, parsed: moments (RFC 3339) and days (`YYYY-MM-DD`).

use chrono::NaiveDate;
use hearth_core::Timestamp;

use crate::error::HearthError;

/// A moment given as RFC 3339 text, such as "2026-12-04T19:00:00+01:00".
pub(crate) fn moment(text: &str) -> Result<Timestamp, HearthError> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|t| Timestamp::from_millis(t.timestamp_millis()))
        .map_err(|e| {
            HearthError::invalid(format!(
                "\"{text}\" is not a moment in RFC 3339 form, such as 2026-12-04T19:00:00+01:00 \
                 ({e})"
            ))
        })
}

pub(crate) fn optional_moment(text: Option<&str>) -> Result<Option<Timestamp>, HearthError> {
    text.map(moment).transpose()
}

/// A day given as `YYYY-MM-DD`.
pub(crate) fn day(text: &str) -> Result<NaiveDate, HearthError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|e| {
        HearthError::invalid(format!("\"{text}\" is not a day such as 2026-12-04 ({e})"))
    })
}

/// A moment as RFC 3339 text (UTC).
pub(crate) fn text(t: Timestamp) -> String {
    t.to_string()
}
