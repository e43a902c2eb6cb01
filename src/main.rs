use std::process::ExitCode;

use clap::Parser;

use audience_desk::cli::{self, Cli};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AUDIENCE_DESK_LOG")
                // The platform verifier logs a refused certificate as an error of its own;
                // the query's failure already says it, with what to do.
                .unwrap_or_else(|_| {
                    tracing_subscriber::EnvFilter::new("warn,rustls_platform_verifier=off")
                }),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Cli::parse();
    let result = match args.command {
        None => audience_desk::gui::run(args.demo),
        Some(command) => match command.gui_demo() {
            Some(demo) => audience_desk::gui::run(demo || args.demo),
            None => cli::run(command),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line, causes joined, as the command-line contract asks; then what to run.
            let fix = cli::remedy_of(&error)
                .map(|command| format!("; to fix it: {command}"))
                .unwrap_or_default();
            let error = format!("{}{fix}", cli::text::one_line(&error));
            eprintln!(
                "audience-desk: {}",
                audience_desk::display::printable(&error)
            );
            ExitCode::FAILURE
        }
    }
}
