//! What a package installs beside the binary, generated from the command-line definition so
//! that it never drifts from it: the man pages and the shell completions.

use std::io::Write;

use clap::CommandFactory;

use super::args::{Cli, GenerateCommand};

pub fn run(what: GenerateCommand) -> anyhow::Result<()> {
    match what {
        GenerateCommand::Man { dir } => {
            std::fs::create_dir_all(&dir)?;
            clap_mangen::generate_to(Cli::command(), &dir)?;
            Ok(())
        }
        GenerateCommand::Completions { shell } => {
            let mut out = std::io::stdout().lock();
            clap_complete::generate(shell, &mut Cli::command(), "audience-desk", &mut out);
            out.flush()?;
            Ok(())
        }
    }
}
