use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::source::{Delimiter, MapSpec, PreviewOptions};

/// Audience Desk: customer lists (emails, GAIDs, IDFAs) into Pinterest audiences, with a
/// preview of exactly what is sent. Run with no command to open the desktop app.
#[derive(Debug, Parser)]
#[command(name = "audience-desk", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Open the desktop app on the built-in Pinterest simulator; nothing leaves the machine.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the desktop app (the default when no command is given).
    Gui {
        /// Run on the built-in Pinterest simulator; nothing leaves the machine.
        #[arg(long)]
        demo: bool,
    },
    /// Show how a file's columns are mapped and what each row becomes, then count everything.
    ///
    /// The first screen (format, columns, the first rows as raw -> normalized -> digest ->
    /// status) appears at once; the counts follow after a full pass over the file.
    Inspect {
        #[command(flatten)]
        file: FileArgs,
        /// Print one JSON document instead of text.
        #[arg(long)]
        json: bool,
        /// How many sample rows to print as text.
        #[arg(long, default_value_t = 10, value_name = "N")]
        rows: usize,
    },
    /// Write exactly what an upload would send: DIR/EMAIL.txt, DIR/MAID.txt, DIR/IDFA.txt (one
    /// SHA-256 hex digest per line, deduplicated) and DIR/rejects.csv (row, column, reason).
    Prepare {
        #[command(flatten)]
        file: FileArgs,
        /// Directory for the output files; created when missing.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum HeaderChoice {
    /// Sniff it from the first row.
    Auto,
    /// The first row holds column names.
    Yes,
    /// The first row is data.
    No,
}

/// How to read a customer file.
#[derive(Debug, Args)]
pub struct FileArgs {
    /// The customer file: CSV, TSV, semicolon- or pipe-separated, or one value per line.
    pub file: PathBuf,

    /// Map a column (header name or 1-based number) to email, email_sha256, gaid, idfa or
    /// ignore. Repeat for several columns; unmapped columns keep their detected namespace.
    #[arg(long = "map", value_name = "COLUMN=NAMESPACE")]
    pub map: Vec<MapSpec>,

    /// Whether the first row is a header.
    #[arg(long, value_enum, default_value_t = HeaderChoice::Auto)]
    pub header: HeaderChoice,

    /// Field separator: comma, tab, semicolon, pipe or none (one value per line). Sniffed when
    /// not given.
    #[arg(long, value_parser = parse_delimiter)]
    pub delimiter: Option<Delimiter>,
}

impl FileArgs {
    pub fn preview_options(&self, sample_rows: usize) -> PreviewOptions {
        PreviewOptions {
            header: match self.header {
                HeaderChoice::Auto => None,
                HeaderChoice::Yes => Some(true),
                HeaderChoice::No => Some(false),
            },
            delimiter: self.delimiter,
            mappings: self.map.clone(),
            sample_rows,
        }
    }
}

fn parse_delimiter(text: &str) -> Result<Delimiter, String> {
    Delimiter::parse(text).ok_or_else(|| {
        format!("'{text}' is not a delimiter; use comma, tab, semicolon, pipe or none")
    })
}

impl Command {
    pub fn into_gui(self) -> Result<bool, Command> {
        match self {
            Command::Gui { demo } => Ok(demo),
            other => Err(other),
        }
    }
}
