//! The `hearth` binary: the app window when run with no command (the `hearth_ui` library), and
//! the command line. See `shell` for how a command runs, `cli` for every command, `commands`
//! for what they do, and `owner` for how a running `hearth serve` carries out commands for other
//! processes.

#![cfg_attr(test, allow(clippy::unwrap_used))]

mod backend;
mod cli;
mod commands;
mod demo;
mod io;
mod owner;
mod plan;
mod qr;
mod shell;
mod show;

fn main() -> std::process::ExitCode {
    shell::main()
}
