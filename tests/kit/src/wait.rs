//! Waiting for a condition with a deadline: the test fails, naming what it waited for, when
//! the deadline passes. One loop, three ways to pause between checks (a tokio timer, a plain
//! thread, or whatever the caller's event loop offers).

use std::future::Future;
use std::time::{Duration, Instant};

/// How often a condition is checked.
const EVERY: Duration = Duration::from_millis(5);

/// Waits until `cond` holds, checking every few milliseconds and pausing with `nap` in
/// between (an event loop's timer, say); fails the test at `deadline`.
pub async fn wait_until_with<F: Future<Output = ()>>(
    what: &str,
    deadline: Duration,
    mut cond: impl FnMut() -> bool,
    mut nap: impl FnMut(Duration) -> F,
) {
    let end = Instant::now() + deadline;
    while !cond() {
        assert!(Instant::now() < end, "timed out waiting for: {what}");
        nap(EVERY).await;
    }
}

/// Waits on the tokio runtime until `cond` holds; fails the test at `deadline`.
pub async fn wait_until(what: &str, deadline: Duration, cond: impl FnMut() -> bool) {
    wait_until_with(what, deadline, cond, tokio::time::sleep).await;
}

/// Waits on this thread until `cond` holds; fails the test at `deadline`.
pub fn wait_until_blocking(what: &str, deadline: Duration, cond: impl FnMut() -> bool) {
    poll_blocking(what, deadline, EVERY, cond);
}

/// Checks `cond` on this thread every `every` until it holds; fails the test at `deadline`.
pub(crate) fn poll_blocking(
    what: &str,
    deadline: Duration,
    every: Duration,
    mut cond: impl FnMut() -> bool,
) {
    let end = Instant::now() + deadline;
    while !cond() {
        assert!(Instant::now() < end, "timed out waiting for: {what}");
        std::thread::sleep(every);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_condition_that_holds_returns_at_once() {
        let mut checks = 0;
        wait_until_blocking("the second check", Duration::from_secs(5), || {
            checks += 1;
            checks == 2
        });
        assert_eq!(checks, 2);
    }

    #[test]
    #[should_panic(expected = "timed out waiting for: never")]
    fn the_deadline_names_what_was_awaited() {
        wait_until_blocking("never", Duration::from_millis(20), || false);
    }
}
