//! The command line: the same core as the desktop app, with printed results.

mod args;
mod connections;
mod inspect;
mod prepare;
mod progress;
pub mod text;

pub use args::{Cli, Command, ConnectionCommand, FileArgs, SimArgs};

/// Runs one command-line command; `gui` is the binary's to open.
pub fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Gui { .. } => anyhow::bail!("the desktop app is opened by the binary, not here"),
        Command::Inspect { file, json, rows } => inspect::run(&file, json, rows),
        Command::Prepare { file, out } => prepare::run(&file, &out),
        Command::Connection { action } => connections::manage(action),
        Command::Connect { name, timeout } => {
            runtime()?.block_on(connections::connect(&name, timeout))
        }
        Command::Accounts { name, json } => runtime()?.block_on(connections::accounts(&name, json)),
        Command::Lists { name, json } => runtime()?.block_on(connections::lists(&name, json)),
        Command::Sim(args) => runtime()?.block_on(connections::sim(args)),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
