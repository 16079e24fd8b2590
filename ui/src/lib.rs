//! # hearth-ui
//!
//! Hearth on a screen: the Slint app for a phone or a desktop window ([`app`]). The `hearth`
//! binary opens it when run with no command, and carries the command line besides.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod app;

pub use app::{run_app, run_kiosk};
