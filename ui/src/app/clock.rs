//! The app's sense of time. The screens are built for a moment in the local time zone; tests and
//! snapshots fix both so they read the same on every machine.

use chrono::{FixedOffset, Local, Offset};
use hearth_core::Timestamp;

use super::views::Moment;

/// Where the app's "now" comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Clock {
    /// The system clock and time zone.
    #[default]
    System,
    /// A fixed moment, shown at a fixed offset from UTC (in minutes).
    Fixed {
        /// The moment.
        now: Timestamp,
        /// Minutes east of UTC.
        offset_minutes: i32,
    },
}

impl Clock {
    /// The current moment.
    pub(crate) fn moment(&self) -> Moment {
        match *self {
            Clock::System => Moment {
                now: Timestamp::now(),
                offset: Local::now().offset().fix(),
            },
            Clock::Fixed {
                now,
                offset_minutes,
            } => Moment {
                now,
                offset: FixedOffset::east_opt(offset_minutes.saturating_mul(60))
                    .unwrap_or_else(|| Local::now().offset().fix()),
            },
        }
    }
}
