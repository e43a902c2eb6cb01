//! `cargo run --release --example bench_upload`
//!
//! Uploads to the built-in simulator on loopback, end to end through the same code the
//! `upload` command runs, and prints the figures:
//! 1. limits off: 1,000,000 identities in batches of 10,000 (goal: at most 10 s);
//! 2. the simulator limited to 600 calls a minute, batches of 1,000, the app's limiter set to
//!    the same 600 (goal: at least 90% of the limit, 9,000 records/s, with no 429).
//!
//! `BENCH_UPLOAD_SECONDS` sets how long the limited run lasts (default 75; a minute or more
//! shows the sustained rate, past the first burst).

use std::sync::Arc;
use std::time::{Duration, Instant};

use audience_desk::context::Core;
use audience_desk::demo::follow_login as browser;
use audience_desk::sim::{Faults, OWNED_AD_ACCOUNT, SimHandle};
use audience_desk::source::{Preview, PreviewOptions};
use audience_desk::store::{JobState, NewConnection};
use audience_desk::upload::{Control, JobProgress, JobSpec, Mode, Target, plan_upload, run_job};
use tokio::sync::watch;

#[path = "support/mod.rs"]
mod support;

async fn setup(
    dir: &std::path::Path,
    faults: Faults,
    writes_per_minute: u32,
) -> anyhow::Result<(SimHandle, Core)> {
    let home = dir.join(format!("home-{}", writes_per_minute));
    let connection = NewConnection {
        name: "Bench".into(),
        ad_account_id: OWNED_AD_ACCOUNT.into(),
        ..Default::default()
    };
    let (sim, mut core) = audience_desk::demo::simulated(&home, faults, connection).await?;
    core.limits.writes_per_minute = writes_per_minute;
    core.limits.reads_per_minute = writes_per_minute.max(1000);
    core.connect("Bench", browser, Duration::from_secs(10))
        .await?;
    Ok((sim, core))
}

fn write_file(path: &std::path::Path, rows: u32) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "email")?;
    for i in 0..rows {
        writeln!(out, "customer{i}@example.com")?;
    }
    Ok(())
}

async fn upload(
    core: &Core,
    file: &std::path::Path,
    batch_size: usize,
    control: Arc<Control>,
) -> anyhow::Result<(f64, f64, JobProgress)> {
    let started = Instant::now();
    let preview = Preview::load(file, &PreviewOptions::default())?;
    let spec = JobSpec::new(
        Mode::Add,
        Target::NewList(format!("bench {batch_size}")),
        true,
        batch_size,
    );
    let plan = plan_upload(core, "Bench", &preview, spec, &mut |_| {})?;
    let job = plan.create_job(core)?;
    let planned = started.elapsed().as_secs_f64();
    let (sender, _receiver) = watch::channel(JobProgress::new(job));
    let sending = Instant::now();
    let report = run_job(core, job, control, sender).await?;
    Ok((planned, sending.elapsed().as_secs_f64(), report.progress))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;

    let (sim, core) = setup(dir.path(), Faults::default(), 1_000_000).await?;
    let file = dir.path().join("million.csv");
    write_file(&file, 1_000_000)?;
    let started = Instant::now();
    let (planned, sending, progress) = upload(&core, &file, 10_000, Arc::default()).await?;
    let total = started.elapsed().as_secs_f64();
    let members: usize = sim.lists().iter().map(|l| l.members.len()).sum();
    println!(
        "limits off: {} identities in {total:.2} s end to end (read+plan {planned:.2} s, send {sending:.2} s), \
         {:.0} records/s; {} batches; simulator holds {members}; state {} (goal: at most 10 s)",
        progress.records_acked,
        progress.records_acked as f64 / total,
        progress.batches_acked,
        progress.state.label()
    );
    let home = dir.path().join("home-1000000");
    let bytes = support::tree_bytes(&home);
    let wal = std::fs::metadata(home.join("audience-desk.db-wal")).map_or(0, |m| m.len());
    println!(
        "home after it: {:.1} MB for {} identities journaled and in the ledger = {:.0} bytes per \
         identity (goal: at most about 100), {:.1} MB of it the write-ahead log",
        bytes as f64 / 1e6,
        progress.records_acked,
        bytes as f64 / progress.records_acked.max(1) as f64,
        wal as f64 / 1e6
    );
    drop(sim);

    let seconds: u64 = std::env::var("BENCH_UPLOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(75);
    let limited = Faults {
        rate_limit_per_minute: Some(600),
        ..Faults::default()
    };
    let (sim, core) = setup(dir.path(), limited, 600).await?;
    let file = dir.path().join("limited.csv");
    write_file(&file, 2_000_000)?;
    let control = Arc::new(Control::default());
    let stopper = {
        let control = control.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(seconds)).await;
            control.cancel();
        })
    };
    let (_, sending, progress) = upload(&core, &file, 1_000, control).await?;
    stopper.abort();
    let rate = progress.records_acked as f64 / sending;
    let too_many = sim.log().iter().filter(|e| e.status == 429).count();
    let members: usize = sim.lists().iter().map(|l| l.members.len()).sum();
    println!(
        "limited to 600 calls/min, batches of 1,000: {} records acknowledged in {sending:.1} s = {rate:.0} records/s \
         ({:.1}% of the 10,000/s limit; goal at least 90%); 429 answers: {too_many}; simulator holds {members} \
         (acknowledged {}); state {}",
        progress.records_acked,
        rate / 100.0,
        progress.records_acked,
        if progress.state == JobState::Cancelled {
            "stopped after the run time"
        } else {
            progress.state.label()
        }
    );
    Ok(())
}
