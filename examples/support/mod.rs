//! What the benchmarks share: a deterministic generator of identities and the process's peak
//! memory.
#![allow(dead_code)]

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// SplitMix64: a deterministic generator, so every run reads the same file.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn uuid(&mut self, upper: bool) -> String {
        let (a, b) = (self.next(), self.next());
        let s = format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xffff,
            b >> 48,
            b & 0xffff_ffff_ffff
        );
        if upper { s.to_uppercase() } else { s }
    }
}

/// The rows asked for (the first argument, else `default`) and the benchmark's data folder,
/// `target/FOLDER`, made.
pub fn rows_and_dir(default: u64, folder: &str) -> anyhow::Result<(u64, PathBuf)> {
    let rows = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(default);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join(folder);
    fs::create_dir_all(&dir)?;
    Ok((rows, dir))
}

/// Linux: writing 5 to clear_refs resets the peak RSS, so the figure covers `prepare` only.
pub fn reset_peak_rss() {
    let _ = fs::write("/proc/self/clear_refs", "5");
}

pub fn peak_rss_kib() -> u64 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Bytes of every file under `dir`.
pub fn tree_bytes(dir: &std::path::Path) -> u64 {
    fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => tree_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// The benchmark's two files: the generator's own, and one shaped like a CRM's export.
#[derive(Clone, Copy, PartialEq)]
pub enum Style {
    Plain,
    /// A byte-order mark, CRLF line ends, a quoted free-text field with escaped quotes and
    /// commas in every row, and a tenth of the domains and names outside ASCII.
    Export,
}

impl Style {
    pub fn name(self) -> &'static str {
        match self {
            Style::Plain => "plain",
            Style::Export => "export",
        }
    }

    pub fn suffix(self) -> &'static str {
        match self {
            Style::Plain => "",
            Style::Export => "-export",
        }
    }

    pub fn describe(self) -> &'static str {
        match self {
            Style::Plain => "plain file",
            Style::Export => "CRM export (BOM, CRLF, quoted free text, non-ASCII domains)",
        }
    }
}

/// Both tools must produce the same sets (ours sorted, Python's in set order).
pub fn same_output(ours: &Path, python: &Path) -> anyhow::Result<()> {
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

pub fn generate(path: &Path, rows: u64, style: Style) -> anyhow::Result<()> {
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
pub fn quiesce(out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        fs::remove_dir_all(out)?;
    }
    Command::new("sync").status()?;
    Ok(())
}

/// Our `prepare` three times on what `source` gives (a file's path; for a query, the path of
/// its result, the query run inside the timing), each after `quiesce`; the median counts.
pub struct Ours {
    pub median: f64,
    pub runs: Vec<f64>,
    pub peak_kib: u64,
    pub report: audience_desk::prepare::PrepareReport,
}

pub fn time_prepare(
    dir: &Path,
    source: &mut dyn FnMut()
        -> anyhow::Result<(PathBuf, Option<audience_desk::source::QueryResult>)>,
) -> anyhow::Result<Ours> {
    use audience_desk::source::{MemoryBudget, Preview, PreviewOptions};
    let mut runs = Vec::new();
    let mut peak_kib = 0;
    let mut report = None;
    let out = dir.join("out-rust");
    for _ in 0..3 {
        quiesce(&out)?;
        audience_desk::source::forget_expanded();
        reset_peak_rss();
        let started = std::time::Instant::now();
        let (file, _kept) = source()?;
        let preview = Preview::load(&file, &PreviewOptions::default())?;
        let plan = preview.scan_plan(&MemoryBudget::in_home(&dir.join("home")))?;
        report = Some(audience_desk::prepare::prepare(
            &plan,
            &out,
            &mut |_| {},
            &std::sync::atomic::AtomicBool::new(false),
        )?);
        runs.push(started.elapsed().as_secs_f64());
        peak_kib = peak_kib.max(peak_rss_kib());
    }
    let mut sorted = runs.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(Ours {
        median: sorted[1],
        runs,
        // Invariant: the loop above ran three times.
        report: report.expect("three runs"),
        peak_kib,
    })
}
