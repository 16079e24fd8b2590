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

    /// A tick on every minute of this clock (the first at the next whole minute), for what
    /// shows the time: relative times, countdowns, the kiosk's clock. Missed ticks are not
    /// made up.
    pub(crate) fn minutes(&self) -> tokio::time::Interval {
        let to_next = 60_000 - self.moment().now.0.rem_euclid(60_000);
        let first = tokio::time::Instant::now()
            + std::time::Duration::from_millis(u64::try_from(to_next).unwrap_or(60_000));
        let mut tick = tokio::time::interval_at(first, std::time::Duration::from_secs(60));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick
    }
}
