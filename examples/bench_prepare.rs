//! `cargo run --release --example bench_prepare [ROWS]`
//!
//! Generates two customer files (default 1,000,000 rows each, about 140 MB: email, GAID, IDFA
//! and a free-text column): a plain one, and one shaped like a CRM's export (byte-order mark,
//! CRLF, a quoted free-text field with escaped quotes and commas in every row, some names and
//! domains outside ASCII). On each it runs `prepare` through the library (the code the command
//! runs), then `../shared/bench/python_reference.py`, and prints wall times, identities per
//! second, the ratio and peak memory. `BENCH_RUST_ONLY=1` skips the reference
//! (for profiling).

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

#[path = "support/mod.rs"]
mod support;

use support::{Ours, Style, generate, quiesce, same_output, time_prepare};

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("AUDIENCE_DESK_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let (rows, dir) = support::rows_and_dir(1_000_000, "bench-data")?;
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
    let Ours {
        median: ours,
        runs,
        peak_kib,
        report,
    } = time_prepare(dir, &mut || Ok((file.to_owned(), None)))?;
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
