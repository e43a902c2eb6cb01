//! `cargo run --release --example bench_scale [ROWS]` (default 20,000,000)
//!
//! Generates a customer file of ROWS rows (email, GAID, IDFA; repeats and bad values as real
//! exports have) and the same file's first 1,000,000 rows, then runs `prepare` and an upload
//! dry run (the plan of a new list) on each, three times each, every measurement in a process
//! of its own after `sync`, and prints time and peak memory, the ratio of the two median
//! times, and the temporary disk the pass used. Memory for digests is the default budget (`AUDIENCE_DESK_MEMORY_MIB`, 512 MiB).
//! The files are removed at the end unless `BENCH_KEEP=1`.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use audience_desk::context::Core;
use audience_desk::pinterest::Endpoints;
use audience_desk::prepare::prepare;
use audience_desk::source::{MemoryBudget, Preview, PreviewOptions};
use audience_desk::store::{MemorySecrets, NewConnection};
use audience_desk::upload::{DEFAULT_BATCH_SIZE, JobSpec, Mode, Target, plan_upload};

#[path = "support/mod.rs"]
mod support;

use support::{Rng, peak_rss_kib};

const SMALL: u64 = 1_000_000;

fn main() -> anyhow::Result<()> {
    // `AUDIENCE_DESK_LOG=audience_desk=debug` shows the time of each phase of a pass.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("AUDIENCE_DESK_LOG"))
        .with_writer(std::io::stderr)
        .init();
    if let (Ok(step), Ok(file)) = (std::env::var("BENCH_STEP"), std::env::var("BENCH_FILE")) {
        return measure(&step, Path::new(&file));
    }
    let (rows, dir) = support::rows_and_dir(20_000_000, "bench-scale")?;
    let mut seconds = Vec::new();
    for n in [SMALL.min(rows), rows] {
        let file = dir.join(format!("customers-{n}.csv"));
        if !file.exists() {
            eprintln!("generating {} rows", n);
            generate(&file, n)?;
        }
        let size = fs::metadata(&file)?.len();
        println!("\n{n} rows, {:.2} GB", size as f64 / 1e9);
        let mut times = Vec::new();
        for step in ["prepare", "dry-run"] {
            let mut runs = Vec::new();
            for _ in 0..RUNS {
                runs.push(run_step(step, &file)?);
            }
            runs.sort_by(|a, b| a.0.total_cmp(&b.0));
            let (median, line) = &runs[RUNS / 2];
            let all: Vec<String> = runs.iter().map(|(s, _)| format!("{s:.2}")).collect();
            println!("{line} (median of {} s)", all.join(", "));
            times.push(*median);
        }
        seconds.push(times);
    }
    if let [small, large] = &seconds[..] {
        for (i, step) in ["prepare", "dry run"].into_iter().enumerate() {
            println!(
                "{step}: {rows} rows took {:.1}x the time of {SMALL} (goal: at most {}x)",
                large[i] / small[i],
                rows / SMALL * 5 / 4
            );
        }
    }
    if std::env::var_os("BENCH_KEEP").is_none() {
        fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

/// Each step is measured this many times, each in a process of its own; the median counts
/// (this machine's timings wander by 10-20%).
const RUNS: usize = 3;

/// One measurement in a process of its own, after `sync`: a run must not compete with the
/// write-back of the one before. Its seconds and the line it printed.
fn run_step(step: &str, file: &Path) -> anyhow::Result<(f64, String)> {
    Command::new("sync").status()?;
    let out = Command::new(std::env::current_exe()?)
        .env("BENCH_STEP", step)
        .env("BENCH_FILE", file)
        .output()?;
    anyhow::ensure!(
        out.status.success(),
        "{step} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let secs: f64 = line
        .split(" s,")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|t| t.parse().ok())
        .unwrap_or(f64::NAN);
    Ok((secs, line))
}

/// One measurement, in this process: time, peak memory and the scratch space used.
fn measure(step: &str, file: &Path) -> anyhow::Result<()> {
    let work = tempfile::tempdir_in(file.parent().unwrap_or(Path::new(".")))?;
    let started = Instant::now();
    let scratch_peak = ScratchWatch::start(work.path().join("home/tmp"));
    let (identities, unique) = match step {
        "prepare" => {
            let preview = Preview::load(file, &PreviewOptions::default())?;
            let plan = preview.scan_plan(&MemoryBudget::in_home(&work.path().join("home")))?;
            let out = work.path().join("out");
            let report = prepare(&plan, &out, &mut |_| {}, &AtomicBool::new(false))?;
            let lists = &report.summary.lists;
            (
                lists.iter().map(|l| l.valid).sum::<u64>(),
                lists.iter().map(|l| l.unique).sum::<u64>(),
            )
        }
        _ => {
            let home = work.path().join("home");
            let unused = url::Url::parse("http://127.0.0.1:9/")?;
            let core = Core::with(
                &home,
                Endpoints::simulator(&unused, unused.clone()),
                Arc::new(MemorySecrets::default()),
                None,
            )?;
            core.add_connection(
                &NewConnection {
                    name: "Scale".into(),
                    description: String::new(),
                    ad_account_id: "549755885175".into(),
                    app_id: None,
                },
                None,
            )?;
            let preview = Preview::load(file, &PreviewOptions::default())?;
            let spec = JobSpec::new(
                Mode::Add,
                Target::NewList("Scale".into()),
                true,
                DEFAULT_BATCH_SIZE,
            );
            let plan = plan_upload(&core, "Scale", &preview, spec, &mut |_| {})?;
            let lists = &plan.summary.lists;
            (
                lists.iter().map(|l| l.valid).sum::<u64>(),
                plan.lists.iter().map(|l| l.adds as u64).sum::<u64>(),
            )
        }
    };
    let secs = started.elapsed().as_secs_f64();
    let scratch = scratch_peak.stop();
    println!(
        "{step:>8}: {secs:.2} s, peak RSS {:.0} MiB, scratch disk {:.2} GB \
         ({identities} identities, {unique} unique)",
        peak_rss_kib() as f64 / 1024.0,
        scratch as f64 / 1e9
    );
    Ok(())
}

/// Samples the size of the scratch folder while the pass runs, for its peak.
struct ScratchWatch {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl ScratchWatch {
    fn start(dir: PathBuf) -> ScratchWatch {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peak = 0;
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(support::tree_bytes(&dir));
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            peak
        });
        ScratchWatch { stop, thread }
    }

    fn stop(self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().unwrap_or(0)
    }
}

/// Email, GAID and IDFA per row: about 2% repeats of an earlier customer, 1% invalid emails.
fn generate(path: &Path, rows: u64) -> anyhow::Result<()> {
    let mut rng = Rng(0x5CA1E);
    let mut out = BufWriter::with_capacity(1 << 20, File::create(path)?);
    writeln!(out, "email,gaid,idfa")?;
    for i in 0..rows {
        let r = rng.next();
        let n = if r.is_multiple_of(50) && i > 0 {
            rng.next() % i
        } else {
            i
        };
        let email = if r % 100 == 1 {
            "not-an-email".to_owned()
        } else {
            format!("Customer.{n}@Example.com")
        };
        writeln!(out, "{email},{},{}", rng.uuid(n % 2 == 0), rng.uuid(true))?;
    }
    out.flush()?;
    Ok(())
}
