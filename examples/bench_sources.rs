//! `cargo run --release --example bench_sources [ROWS]`
//!
//! The sources customer lists come from, measured through the library's `prepare` (the code
//! the command runs), each case in a process of its own so that its peak memory is its own:
//!
//! - `export`: a CRM's export (byte-order mark, CRLF, a quoted free-text field with escaped
//!   quotes in every row, non-ASCII domains) against `../shared/bench/python_reference.py`
//!   (goal: at least 30x);
//! - `gzip`: the plain file and the same file gzipped (goal: the .csv.gz within 1.3x the time
//!   of the .csv);
//! - `workbook`: the plain file's rows as an .xlsx workbook (shared strings, as Excel writes
//!   them) against openpyxl + hashlib (`examples/support/openpyxl_reference.py`; goal: at least
//!   20x). A sheet holds at most 1,048,576 rows, so this case is capped there;
//! - `postgres`: the plain file's rows in a table of a PostgreSQL server of the benchmark's own
//!   (Debian's `postgresql`, `initdb` in a scratch folder, a private port), read by
//!   `--database`/`--query` from the query to the digest files (goal: at least 500,000 rows/s).
//!
//! Every case prints its peak memory (goal: at most 1 GiB, at 20,000,000 rows too:
//! `bench_sources 20000000`). `BENCH_CASES=gzip,postgres` picks cases.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

#[path = "support/mod.rs"]
mod support;

#[allow(dead_code)]
#[path = "../tests/common/postgres.rs"]
mod postgres;

use audience_desk::source::{Query, run_query};
use support::{Ours, Style, generate, quiesce, same_output, time_prepare};

const CASES: [&str; 4] = ["export", "gzip", "workbook", "postgres"];
/// The most data rows a sheet holds (1,048,576 rows less the header).
const SHEET_ROWS: u64 = 1_048_575;

fn main() -> anyhow::Result<()> {
    let (rows, dir) = support::rows_and_dir(1_000_000, "bench-data")?;
    if let Ok(case) = std::env::var("BENCH_CASE") {
        return run_case(&case, &dir, rows);
    }
    let picked = std::env::var("BENCH_CASES").unwrap_or_else(|_| CASES.join(","));
    for case in picked.split(',') {
        anyhow::ensure!(
            CASES.contains(&case),
            "no case {case}: {}",
            CASES.join(", ")
        );
        let status = Command::new(std::env::current_exe()?)
            .args(std::env::args().skip(1))
            .env("BENCH_CASE", case)
            .status()?;
        anyhow::ensure!(status.success(), "the {case} case failed");
    }
    Ok(())
}

fn run_case(case: &str, dir: &Path, rows: u64) -> anyhow::Result<()> {
    match case {
        "export" => export(dir, rows),
        "gzip" => gzip(dir, rows),
        "workbook" => workbook(dir, rows.min(SHEET_ROWS)),
        "postgres" => postgres(dir, rows),
        _ => anyhow::bail!("no case {case}"),
    }
}

/// A generated file of `rows` rows in `style`, made once.
fn customers(dir: &Path, rows: u64, style: Style) -> anyhow::Result<PathBuf> {
    let file = dir.join(format!("customers-{rows}{}.csv", style.suffix()));
    if !file.exists() {
        eprintln!("generating {}", file.display());
        generate(&file, rows, style)?;
    }
    Ok(file)
}

fn export(dir: &Path, rows: u64) -> anyhow::Result<()> {
    let file = customers(dir, rows, Style::Export)?;
    heading(&file, rows, Style::Export.describe())?;
    let reference =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench/python_reference.py");
    against_python(dir, &file, rows, &reference, "csv + hashlib", 30)
}

/// Ours on `file`, then the Python `reference` on it: the times, the ratio against the goal,
/// and that both wrote the same digests.
fn against_python(
    dir: &Path,
    file: &Path,
    rows: u64,
    reference: &Path,
    what: &str,
    goal: u32,
) -> anyhow::Result<()> {
    let ours = time_prepare(dir, &mut || Ok((file.to_owned(), None)))?;
    print_ours("audience-desk prepare", &ours, rows);
    let python = reference_time(dir, Command::new("python3").arg(reference).arg(file))?;
    println!("python reference ({what}): {python:.3} s");
    println!(
        "ratio: {:.1}x faster (goal: at least {goal}x)",
        python / ours.median
    );
    agree(dir)
}

fn gzip(dir: &Path, rows: u64) -> anyhow::Result<()> {
    let file = customers(dir, rows, Style::Plain)?;
    let packed = dir.join(format!("customers-{rows}.csv.gz"));
    if !packed.exists() {
        eprintln!("compressing {}", file.display());
        let mut out = flate2::write::GzEncoder::new(
            BufWriter::new(File::create(&packed)?),
            flate2::Compression::default(),
        );
        std::io::copy(&mut File::open(&file)?, &mut out)?;
        out.finish()?.flush()?;
    }
    heading(&file, rows, "plain file")?;
    let plain = time_prepare(dir, &mut || Ok((file.clone(), None)))?;
    print_ours("audience-desk prepare, .csv", &plain, rows);
    println!(
        "the same gzipped: {:.1} MB",
        fs::metadata(&packed)?.len() as f64 / 1e6
    );
    let gzipped = time_prepare(dir, &mut || Ok((packed.clone(), None)))?;
    print_ours("audience-desk prepare, .csv.gz", &gzipped, rows);
    println!(
        "ratio: the .csv.gz took {:.2}x the time of the .csv (goal: at most 1.3x)",
        gzipped.median / plain.median
    );
    Ok(())
}

fn workbook(dir: &Path, rows: u64) -> anyhow::Result<()> {
    let file = customers(dir, rows, Style::Plain)?;
    let book = dir.join(format!("customers-{rows}.xlsx"));
    if !book.exists() {
        eprintln!("writing {}", book.display());
        write_workbook(&file, &book)?;
    }
    heading(&book, rows, "workbook (.xlsx, shared strings)")?;
    let reference =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/support/openpyxl_reference.py");
    against_python(
        dir,
        &book,
        rows,
        &reference,
        "openpyxl read-only + hashlib",
        20,
    )
}

fn postgres(dir: &Path, rows: u64) -> anyhow::Result<()> {
    let file = customers(dir, rows, Style::Plain)?;
    let Some(server) = postgres::Postgres::start() else {
        println!("postgres: skipped (no PostgreSQL server installed)");
        return Ok(());
    };
    eprintln!("loading {} rows into PostgreSQL", rows);
    server.sql(
        "CREATE TABLE customers (email text, gaid text, idfa text, notes text);
         GRANT SELECT ON customers TO reader",
    );
    server.copy_in("customers", &file);
    server.sql("VACUUM ANALYZE customers");
    // SAFETY: set before any other thread of this process reads the environment.
    unsafe { std::env::set_var("PGPASSWORD", postgres::READER_PASSWORD) };
    let query = Query {
        database: server.url(),
        sql: "SELECT email AS \"Email Address\", gaid, idfa, notes FROM customers".into(),
    };
    println!(
        "\nPostgreSQL {} (local, TCP): {rows} rows",
        server_version()
    );
    let ours = time_prepare(dir, &mut || {
        let result = run_query(&query)?;
        Ok((result.csv.clone(), Some(result)))
    })?;
    print_ours("audience-desk prepare --database --query", &ours, rows);
    println!(
        "rows/s, query to digest files: {:.0} (goal: at least 500000)",
        rows as f64 / ours.median
    );
    Ok(())
}

fn server_version() -> String {
    fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .max()
        .unwrap_or_default()
}

fn heading(file: &Path, rows: u64, what: &str) -> anyhow::Result<()> {
    println!(
        "\n{what}: {rows} rows, {:.1} MB",
        fs::metadata(file)?.len() as f64 / 1e6
    );
    Ok(())
}

fn print_ours(what: &str, ours: &Ours, rows: u64) {
    let identities: u64 = ours.report.summary.lists.iter().map(|l| l.valid).sum();
    println!(
        "{what}: {:.3} s (median of {:.3}, {:.3}, {:.3}), {:.0} rows/s, {identities} identities, \
         peak RSS {:.1} MiB (goal: at most 1024 MiB)",
        ours.median,
        ours.runs[0],
        ours.runs[1],
        ours.runs[2],
        rows as f64 / ours.median,
        ours.peak_kib as f64 / 1024.0,
    );
}

/// The reference's time, writing to `out-python` (`BENCH_RUST_ONLY=1`: not run, for
/// profiling; the ratio then reads as infinite).
fn reference_time(dir: &Path, command: &mut Command) -> anyhow::Result<f64> {
    if std::env::var_os("BENCH_RUST_ONLY").is_some() {
        return Ok(f64::INFINITY);
    }
    quiesce(&dir.join("out-python"))?;
    let started = Instant::now();
    let status = command
        .arg(dir.join("out-python"))
        .stdout(std::process::Stdio::null())
        .status()?;
    anyhow::ensure!(status.success(), "the reference failed: {status}");
    Ok(started.elapsed().as_secs_f64())
}

fn agree(dir: &Path) -> anyhow::Result<()> {
    if std::env::var_os("BENCH_RUST_ONLY").is_some() {
        return Ok(());
    }
    same_output(&dir.join("out-rust"), &dir.join("out-python"))?;
    println!("outputs agree: same digest sets for EMAIL, MAID and IDFA");
    Ok(())
}

/// The CSV's rows as the first sheet of an .xlsx, every cell a shared string as Excel
/// writes text.
fn write_workbook(csv_file: &Path, book: &Path) -> anyhow::Result<()> {
    use zip::write::SimpleFileOptions;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(csv_file)?;
    let mut strings: Vec<String> = Vec::new();
    let mut sheet = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<worksheet \
         xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>",
    );
    for (r, record) in reader.records().enumerate() {
        let record = record?;
        sheet.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, cell) in record.iter().enumerate() {
            let column = (b'A' + c as u8) as char;
            sheet.push_str(&format!(
                "<c r=\"{column}{}\" t=\"s\"><v>{}</v></c>",
                r + 1,
                strings.len()
            ));
            strings.push(escape(cell));
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let mut shared = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<sst \
         xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"{0}\" \
         uniqueCount=\"{0}\">",
        strings.len()
    );
    for s in &strings {
        shared.push_str("<si><t xml:space=\"preserve\">");
        shared.push_str(s);
        shared.push_str("</t></si>");
    }
    shared.push_str("</sst>");
    let mut zip = zip::ZipWriter::new(BufWriter::new(File::create(book)?));
    let options = SimpleFileOptions::default().large_file(true);
    for (name, body) in [
        ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
        ("_rels/.rels", RELS.to_owned()),
        ("xl/workbook.xml", WORKBOOK.to_owned()),
        ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.to_owned()),
        ("xl/sharedStrings.xml", shared),
        ("xl/worksheets/sheet1.xml", sheet),
    ] {
        zip.start_file(name, options)?;
        zip.write_all(body.as_bytes())?;
    }
    zip.finish()?.flush()?;
    Ok(())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/><Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/><Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/></Types>";
const RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
const WORKBOOK: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"Customers\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
const WORKBOOK_RELS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>";

/// For the shared PostgreSQL helper: the benchmark has no CI to fail, so it says and goes on.
fn skip(why: &str) {
    eprintln!("skipped: {why}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(54329)
}
