//! The command line: the same core as the desktop app, with printed results.

mod args;
mod inspect;
mod prepare;
mod progress;
pub mod text;

pub use args::{Cli, Command, FileArgs};

/// Runs one command-line command; `gui` is the binary's to open.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Gui { .. } => anyhow::bail!("the desktop app is opened by the binary, not here"),
        Command::Inspect { file, json, rows } => inspect::run(&file, json, rows),
        Command::Prepare { file, out } => prepare::run(&file, &out),
    }
}
