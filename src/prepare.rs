//! The dry run of an upload: write exactly the digests that would be sent, one file per list
//! type, and a rejects report that names rows and reasons but never cell contents.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use crate::identity::ListType;
use crate::source::{DigestList, Progress, Reject, ScanPlan, SourceError, Summary, scan};

#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
    #[error("{0}")]
    UnsafeFolder(String),
}

#[derive(Clone, Debug, Serialize)]
pub struct PreparedFile {
    pub list_type: ListType,
    pub path: PathBuf,
    pub digests: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct PrepareReport {
    pub summary: Summary,
    pub files: Vec<PreparedFile>,
    pub rejects_path: PathBuf,
    pub rejects: u64,
}

/// The file a list type's digests go to.
pub fn digest_file_name(list_type: ListType) -> String {
    format!("{}.txt", list_type.as_str())
}

/// Runs the full pass and writes `out/EMAIL.txt`, `out/MAID.txt`, `out/IDFA.txt` (only the
/// types present; stale ones from an earlier run are removed) and `out/rejects.csv`. Files are
/// written under fresh random names (0600, never through a planted link) and renamed, so a
/// failed run leaves no half-written output; what a killed run left is cleared by the next. A
/// folder others could swap files in is refused.
pub fn prepare(
    plan: &ScanPlan,
    out: &Path,
    on_progress: &mut dyn FnMut(Progress),
    cancel: &AtomicBool,
) -> Result<PrepareReport, PrepareError> {
    let write_err = |path: &Path| {
        let path = path.to_owned();
        move |source| PrepareError::Write { path, source }
    };
    fs::create_dir_all(out).map_err(write_err(out))?;
    crate::home::check_output_dir(out).map_err(PrepareError::UnsafeFolder)?;
    let outputs: Vec<String> = ListType::ALL
        .into_iter()
        .map(digest_file_name)
        .chain([REJECTS.to_owned()])
        .collect();
    crate::home::clear_partials(out, &outputs);
    let rejects_path = out.join(REJECTS);
    let mut rejects = RejectsWriter::create(&rejects_path, plan)?;
    let scanned = scan(plan, &mut |r| rejects.write(r), on_progress, cancel);
    let rejects_file = rejects.finish()?;
    let output = scanned?;
    let started = std::time::Instant::now();
    let written_types: Vec<ListType> = output.lists.iter().map(|l| l.list_type).collect();
    // One writer per list type: the files are large and independent. Each writer drops its
    // list when done, so that a spilled list's partitions are removed while others write.
    let files = std::thread::scope(|scope| {
        let writers: Vec<_> = output
            .lists
            .into_iter()
            .map(|list| scope.spawn(move || write_digests(out, &list)))
            .collect();
        writers
            .into_iter()
            // Invariant: writing digests does not panic; a panic here is a bug to surface.
            .map(|w| w.join().expect("digest writer thread"))
            .collect::<Result<Vec<_>, _>>()
    })?;
    for list_type in ListType::ALL {
        if !written_types.contains(&list_type) {
            let stale = out.join(digest_file_name(list_type));
            if stale.exists() {
                fs::remove_file(&stale).map_err(write_err(&stale))?;
            }
        }
    }
    let rejects_count = rejects_file.count;
    crate::home::persist(rejects_file.file, &rejects_path).map_err(write_err(&rejects_path))?;
    tracing::debug!(
        write_secs = started.elapsed().as_secs_f64(),
        "digest files written"
    );
    Ok(PrepareReport {
        summary: output.summary,
        files,
        rejects_path,
        rejects: rejects_count,
    })
}

const REJECTS: &str = "rejects.csv";

/// Runs the full pass and writes only the rejects report, to `target`: the GUI's export.
pub fn write_rejects(
    plan: &ScanPlan,
    target: &Path,
    cancel: &AtomicBool,
) -> Result<u64, PrepareError> {
    let mut rejects = RejectsWriter::create(target, plan)?;
    let scanned = scan(plan, &mut |r| rejects.write(r), &mut |_| {}, cancel);
    let written = rejects.finish();
    scanned?;
    let written = written?;
    let count = written.count;
    crate::home::persist(written.file, target).map_err(|source| PrepareError::Write {
        path: target.to_owned(),
        source,
    })?;
    Ok(count)
}

/// One lowercase hex digest and a line feed.
const LINE: usize = 65;

fn write_digests(out: &Path, list: &DigestList) -> Result<PreparedFile, PrepareError> {
    let path = out.join(digest_file_name(list.list_type));
    let written = (|| {
        let file = crate::home::fresh_beside(&path)?;
        reserve(file.as_file(), (list.len() * LINE) as u64)?;
        write_list(file.as_file(), list)?;
        crate::home::persist(file, &path)
    })();
    written.map_err(|source| PrepareError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(PreparedFile {
        list_type: list.list_type,
        path,
        digests: list.len() as u64,
    })
}

/// Writes a list's digests, in blocks of whole lines. Each line's line feed is in the block
/// from the start; only the digits are written per digest. One thread per file: the list
/// types are written in parallel already, and two writers of one file only wait on each
/// other for its lock.
fn write_list(mut file: &File, list: &DigestList) -> io::Result<()> {
    const LINES_PER_BLOCK: usize = 4096;
    let mut block = vec![b'\n'; LINE * LINES_PER_BLOCK];
    let mut used = 0;
    list.try_for_each(|digest| {
        // Invariant: `used` is a multiple of LINE below the block's length, so a whole line
        // of 65 bytes follows it.
        let digits = block[used..]
            .first_chunk_mut::<64>()
            .expect("a whole line left in the block");
        digest.write_hex(digits);
        used += LINE;
        if used == block.len() {
            file.write_all(&block)?;
            used = 0;
        }
        Ok(())
    })?;
    file.write_all(&block[..used])
}

/// Gives the file its final length, with its blocks allocated up front where the system can:
/// filling a sparse file makes the file system reserve blocks page by page as it is written,
/// a third of the cost of writing it.
#[cfg(target_os = "linux")]
fn reserve(file: &File, len: u64) -> io::Result<()> {
    use rustix::fs::{FallocateFlags, fallocate};
    use rustix::io::Errno;
    match fallocate(file, FallocateFlags::empty(), 0, len) {
        // Some file systems (network shares, FAT) cannot allocate ahead.
        Err(Errno::OPNOTSUPP) => file.set_len(len),
        // A disk without room says so here, before anything is written.
        other => other.map_err(io::Error::from),
    }
}

#[cfg(not(target_os = "linux"))]
fn reserve(file: &File, len: u64) -> io::Result<()> {
    file.set_len(len)
}

/// Streams rejects as `row,column,reason`; remembers the first write error for `finish`.
struct RejectsWriter {
    /// Where the report goes once whole.
    path: PathBuf,
    writer: csv::Writer<BufWriter<tempfile::NamedTempFile>>,
    columns: Vec<String>,
    count: u64,
    error: Option<csv::Error>,
}

impl RejectsWriter {
    fn create(path: &Path, plan: &ScanPlan) -> Result<Self, PrepareError> {
        let file = crate::home::fresh_beside(path).map_err(|source| PrepareError::Write {
            path: path.to_owned(),
            source,
        })?;
        let mut rejects = RejectsWriter {
            path: path.to_owned(),
            writer: csv::Writer::from_writer(BufWriter::new(file)),
            columns: plan.columns.iter().map(|c| c.name.clone()).collect(),
            count: 0,
            error: None,
        };
        rejects.record(["row", "column", "reason"]);
        Ok(rejects)
    }

    fn write(&mut self, reject: &Reject) {
        self.count += 1;
        let column = reject
            .column
            .and_then(|c| self.columns.get(c))
            .map_or("", String::as_str)
            .to_owned();
        self.record([
            reject.line.to_string().as_str(),
            &column,
            reject.reason.as_str(),
        ]);
    }

    fn record(&mut self, fields: [&str; 3]) {
        if self.error.is_none()
            && let Err(e) = self.writer.write_record(fields)
        {
            self.error = Some(e);
        }
    }

    /// The whole report, not yet in its place (see `home::persist`), and how many rows.
    fn finish(mut self) -> Result<WrittenRejects, PrepareError> {
        let path = self.path;
        let failed = |source| PrepareError::Write {
            path: path.clone(),
            source,
        };
        if let Some(e) = self.error.take() {
            return Err(failed(io::Error::other(e.to_string())));
        }
        let file = self
            .writer
            .into_inner()
            .map_err(|e| failed(io::Error::other(e.to_string())))?
            .into_inner()
            .map_err(|e| failed(e.into_error()))?;
        Ok(WrittenRejects {
            file,
            count: self.count,
        })
    }
}

struct WrittenRejects {
    file: tempfile::NamedTempFile,
    count: u64,
}
