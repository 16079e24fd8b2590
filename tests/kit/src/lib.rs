//! What every crate's tests share: devices on loopback, pairing them, waiting with deadlines
//! instead of sleeps, journal assertions, real `hearth` processes on temporary profiles
//! ([`cli`]) and two hosts on one LAN ([`netns`]). Tests only: every helper fails the test (panics) rather than returning errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod cli;
mod device;
mod files;
pub mod netns;
mod wait;

pub use device::{TestDevice, assert_converged, pair, wall_texts};
pub use files::{contains, files_under};
pub use wait::{wait_until, wait_until_blocking, wait_until_with};
