//! `cargo run --release --example bench_prepare [ROWS]`
//!
//! Generates two customer files (default 1,000,000 rows each, about 140 MB: email, GAID, IDFA
//! and a free-text column): a plain one, and one shaped like a CRM's export (byte-order mark,
//! CRLF, a quoted free-text field with escaped quotes and commas in every row, some names and
//! domains outside ASCII). On each it runs `prepare` through the library (the code the command
//! runs), then `../shared/bench/python_reference.py`, and prints wall times, identities per
//! second, the ratio and peak memory. `BENCH_RUST_ONLY=1` skips the reference
//! (for profiling).

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

#[path = "support/mod.rs"]
mod support;

use audience_desk::prepare::prepare;
use audience_desk::source::{MemoryBudget, Preview, PreviewOptions};
use support::{Rng, peak_rss_kib, reset_peak_rss};

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("AUDIENCE_DESK_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let rows: u64 = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    fs::create_dir_all(&dir)?;
    // Each file is measured in a process of its own, so that one's memory does not count in
    // the other's peak: this process runs them one after the other (`BENCH_STYLE` picks one).
    let only = std::env::var("BENCH_STYLE").ok();
    for style in [Style::Plain, Style::Export] {
        let file = dir.join(format!("customers-{rows}{}.csv", style.suffix()));
        if !file.exists() {
            eprintln!("generating {}", file.display());
            generate(&file, rows, style)?;
        }
        match &only {
            Some(name) if name == style.name() => measure(&dir, &file, rows, style)?,
            Some(_) => {}
            None => {
                let status = Command::new(std::env::current_exe()?)
                    .args(std::env::args().skip(1))
                    .env("BENCH_STYLE", style.name())
                    .status()?;
                anyhow::ensure!(status.success(), "the {} run failed", style.name());
            }
        }
    }
    Ok(())
}

/// Our `prepare` three times (the median counts: this machine's timings wander by 10-15%),
/// then the Python reference once, on `file`.
fn measure(dir: &Path, file: &Path, rows: u64, style: Style) -> anyhow::Result<()> {
    let size = fs::metadata(file)?.len();
    println!(
        "\n{}: {} rows, {:.1} MB",
        style.describe(),
        rows,
        size as f64 / 1e6
    );
    let mut runs = Vec::new();
    let mut peak_kib = 0;
    let mut report = None;
    for _ in 0..3 {
        quiesce(&dir.join("out-rust"))?;
        reset_peak_rss();
        let started = Instant::now();
        let preview = Preview::load(file, &PreviewOptions::default())?;
        let plan = preview.scan_plan(&MemoryBudget::in_home(&dir.join("home")))?;
        let out = dir.join("out-rust");
        report = Some(prepare(&plan, &out, &mut |_| {}, &AtomicBool::new(false))?);
        runs.push(started.elapsed().as_secs_f64());
        peak_kib = peak_kib.max(peak_rss_kib());
    }
    runs.sort_by(f64::total_cmp);
    let ours = runs[1];
    // Invariant: the loop above ran three times.
    let report = report.expect("three runs");
    let identities: u64 = report.summary.lists.iter().map(|l| l.valid).sum();
    let unique: u64 = report.summary.lists.iter().map(|l| l.unique).sum();
    let budget_mib = 64.0 + 48.0 * unique as f64 / (1024.0 * 1024.0);
    println!(
        "audience-desk prepare: {ours:.3} s (median of {:.3}, {:.3}, {:.3}), {:.1} M identities/s \
         ({identities} identities, {unique} unique), peak RSS {:.1} MiB (budget {budget_mib:.1} MiB)",
        runs[0],
        runs[1],
        runs[2],
        identities as f64 / ours / 1e6,
        peak_kib as f64 / 1024.0,
    );

    let reference =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/python_reference.py");
    if std::env::var_os("BENCH_RUST_ONLY").is_some() {
        return Ok(());
    }
    if !reference.exists() {
        println!(
            "python reference: skipped ({} not found)",
            reference.display()
        );
        return Ok(());
    }
    quiesce(&dir.join("out-python"))?;
    let started = Instant::now();
    let status = Command::new("python3")
        .arg(&reference)
        .arg(file)
        .arg(dir.join("out-python"))
        .stdout(std::process::Stdio::null())
        .status()?;
    let python = started.elapsed().as_secs_f64();
    anyhow::ensure!(status.success(), "python reference failed: {status}");
    println!("python reference:      {python:.3} s");
    println!("ratio: {:.1}x faster (goal: at least 25x)", python / ours);
    same_output(&dir.join("out-rust"), &dir.join("out-python"))?;
    println!("outputs agree: same digest sets for EMAIL, MAID and IDFA");
    Ok(())
}

/// The benchmark's two files: the generator's own, and one shaped like a CRM's export.
#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    /// A byte-order mark, CRLF line ends, a quoted free-text field with escaped quotes and
    /// commas in every row, and a tenth of the domains and names outside ASCII.
    Export,
}

impl Style {
    fn name(self) -> &'static str {
        match self {
            Style::Plain => "plain",
            Style::Export => "export",
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            Style::Plain => "",
            Style::Export => "-export",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Style::Plain => "plain file",
            Style::Export => "CRM export (BOM, CRLF, quoted free text, non-ASCII domains)",
        }
    }
}

/// Both tools must produce the same sets (ours sorted, Python's in set order).
fn same_output(ours: &Path, python: &Path) -> anyhow::Result<()> {
    for name in ["EMAIL.txt", "MAID.txt", "IDFA.txt"] {
        let read = |p: PathBuf| -> anyhow::Result<Vec<String>> {
            let mut lines: Vec<String> = fs::read_to_string(p)?.lines().map(String::from).collect();
            lines.sort_unstable();
            Ok(lines)
        };
        anyhow::ensure!(
            read(ours.join(name))? == read(python.join(name))?,
            "{name} differs from the Python reference"
        );
    }
    Ok(())
}

fn generate(path: &Path, rows: u64, style: Style) -> anyhow::Result<()> {
    const FIRST: [&str; 8] = [
        "Jane", "john", "MARIA", "li", "Ahmed", "olga", "Sam", "noor",
    ];
    const DOMAINS: [&str; 6] = [
        "example.com",
        "Mail.example.org",
        "shop.example.net",
        "EXAMPLE.CO.UK",
        "corp.example.io",
        "example.de",
    ];
    const NOTES: [&str; 4] = [
        "newsletter signup, spring campaign",
        "vip customer; prefers email",
        "\"quoted, with comma\" note",
        "returned order 2024-11, follow up",
    ];
    const FOREIGN: [&str; 4] = [
        "münchen.example.de",
        "exämple.com",
        "café.example.fr",
        "Ωmega.gr",
    ];
    let export = style == Style::Export;
    let end = if export { "\r\n" } else { "\n" };
    let mut rng = Rng(0x5EED);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    if export {
        out.write_all("\u{feff}".as_bytes())?;
    }
    write!(out, "Email Address,gaid,idfa,notes{end}")?;
    for i in 0..rows {
        let r = rng.next();
        // About 2% repeats of an earlier customer, 1% invalid emails, 1% empty GAIDs.
        let n = if r.is_multiple_of(50) && i > 0 {
            rng.next() % i
        } else {
            i
        };
        let domain = if export && n % 10 == 7 {
            FOREIGN[(n / 10 % 4) as usize]
        } else {
            DOMAINS[(n % 6) as usize]
        };
        let first = if export && n % 10 == 3 {
            "JOSÉ"
        } else {
            FIRST[(n % 8) as usize]
        };
        let email = match r % 100 {
            1 => "not-an-email".to_owned(),
            _ => format!(
                " {first}.{n}{}@{domain} ",
                if n % 3 == 0 { "+news" } else { "" },
            ),
        };
        let gaid = if r % 100 == 2 {
            String::new()
        } else {
            rng.uuid(n % 2 == 0)
        };
        let idfa = rng.uuid(n % 3 != 0);
        let note = if export {
            format!("\"row {i}, \"\"quoted, text\"\" from the CRM\"")
        } else {
            let note = NOTES[(r % 4) as usize];
            if note.contains(',') && !note.starts_with('"') {
                format!("\"{note}\"")
            } else if note.starts_with('"') {
                format!("\"{}\"", note.replace('"', "\"\""))
            } else {
                note.to_owned()
            }
        };
        write!(out, "{email},{gaid},{idfa},{note}{end}")?;
    }
    out.flush()?;
    Ok(())
}

/// Every timed run starts alike: no earlier output to unlink, and no earlier run's 195 MB
/// still being written back to disk underneath it.
fn quiesce(out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        fs::remove_dir_all(out)?;
    }
    Command::new("sync").status()?;
    Ok(())
}
