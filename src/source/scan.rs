//! The full streaming pass: one thread parses, the others normalize and hash, and the caller's
//! thread merges results in file order. Memory is bounded by the chunks in flight plus the
//! digests held, 33 bytes each, up to the memory budget (past it they go to disk: `digests`).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex};
use std::thread;

use super::browse::RowIndex;
use super::counts::{ColumnCounts, ListCounts, Progress, Reject, Summary};
use super::digests::{Buckets, DigestList, Entry};
use super::digests::{MemoryBudget, Spills};
use super::format::{field, is_blank};
use super::open::open_stream;
use super::records::{RecordReader, Span};
use super::spares::Spares;
use super::{Column, Format, SourceError};
use crate::identity::{Namespace, Normalizer, Reason};

const CHUNK_ROWS: usize = 4096;
const CHUNK_BYTES: usize = 1 << 20;

/// What to read and how: built from a preview once its mapping is settled.
#[derive(Clone, Debug)]
pub struct ScanPlan {
    pub path: PathBuf,
    pub format: Format,
    /// Fields every row must have; others are reported as ragged.
    pub width: usize,
    /// The identity columns, in file order (namespace is never `ignore`).
    pub columns: Vec<Column>,
    /// Memory for the pass's digests, and where they go past it.
    pub memory: MemoryBudget,
}

pub struct ScanOutput {
    pub summary: Summary,
    /// One list per list type that has at least one accepted identity.
    pub lists: Vec<DigestList>,
    /// Where the data rows start, for reading any of them again without a full pass.
    pub index: RowIndex,
}

/// Reads the whole file once. Rejects reach `on_reject` in file order; `on_progress` is called
/// after every chunk; setting `cancel` stops the pass with `SourceError::Cancelled`.
pub fn scan(
    plan: &ScanPlan,
    on_reject: &mut dyn FnMut(&Reject),
    on_progress: &mut dyn FnMut(Progress),
    cancel: &AtomicBool,
) -> Result<ScanOutput, SourceError> {
    if plan.columns.len() > 255 {
        return Err(SourceError::TooManyColumns(plan.columns.len()));
    }
    // The bytes read are the text's (an archive's expanded copy), and so is the total.
    let total_bytes = super::open::open_file(&plan.path)?
        .len()
        .map_err(|e| SourceError::io(&plan.path, e))?;
    let (stream, consumed) = open_stream(&plan.path, plan.format.encoding)?;
    let workers = thread::available_parallelism().map_or(2, |n| n.get());
    let namespaces: Vec<Namespace> = plan.columns.iter().map(|c| c.namespace).collect();

    let started = std::time::Instant::now();
    let mut merge = Merge::new(plan);
    let (spare_chunks, spare_entries) = (Spares::default(), Spares::default());
    let (spare_chunks, spare_entries) = (&spare_chunks, &spare_entries);
    let index = thread::scope(|scope| {
        let (work_tx, work_rx) = mpsc::sync_channel::<Chunk>(workers * 2);
        // Bounded too: while the merge spills to disk, the workers wait instead of
        // piling results up in memory.
        let (done_tx, done_rx) = mpsc::sync_channel::<Result<Done, SourceError>>(workers * 16);
        let work_rx = Arc::new(Mutex::new(work_rx));
        for _ in 0..workers {
            let (work_rx, done_tx, namespaces) = (work_rx.clone(), done_tx.clone(), &namespaces);
            let spares = (spare_chunks, spare_entries);
            scope.spawn(move || hash_chunks(namespaces, &work_rx, &done_tx, spares));
        }
        drop(work_rx);
        let reader_done = done_tx.clone();
        drop(done_tx);
        let reader = scope.spawn(move || {
            match read_chunks(plan, stream, &consumed, &work_tx, spare_chunks, cancel) {
                Ok(index) => index,
                Err(e) => {
                    let _ = reader_done.send(Err(e));
                    RowIndex::default()
                }
            }
        });
        merge.run(
            done_rx,
            total_bytes,
            spare_entries,
            on_reject,
            on_progress,
            cancel,
        )?;
        // Invariant: the reader only returns values; a panic there is a bug to surface.
        Ok::<_, SourceError>(reader.join().expect("the reader thread panicked"))
    })?;
    let read_secs = started.elapsed().as_secs_f64();
    let mut output = merge.finish()?;
    output.index = index;
    tracing::debug!(
        read_secs,
        dedupe_secs = started.elapsed().as_secs_f64() - read_secs,
        rows = output.summary.rows,
        "scan finished"
    );
    Ok(output)
}

/// Rows of one chunk, with the text of their identity cells packed into one buffer.
struct Chunk {
    seq: u64,
    bytes_read: u64,
    /// Where the text after this chunk's rows starts.
    text_end: u64,
    rows: Vec<Row>,
    text: Vec<u8>,
    /// End offset in `text` of each identity cell of each accepted row, row-major.
    ends: Vec<u32>,
}

struct Row {
    line: u64,
    problem: Option<Reason>,
}

impl Chunk {
    fn new(seq: u64) -> Self {
        Chunk {
            seq,
            bytes_read: 0,
            text_end: 0,
            rows: Vec::with_capacity(CHUNK_ROWS),
            text: Vec::with_capacity(CHUNK_BYTES / 4),
            ends: Vec::new(),
        }
    }

    /// A chunk given back by a worker, emptied for the chunk `seq`: its buffers keep their
    /// room.
    fn reuse(mut self, seq: u64) -> Self {
        self.seq = seq;
        self.rows.clear();
        self.text.clear();
        self.ends.clear();
        self
    }

    fn is_full(&self) -> bool {
        self.rows.len() >= CHUNK_ROWS || self.text.len() >= CHUNK_BYTES
    }
}

fn read_chunks(
    plan: &ScanPlan,
    stream: Box<dyn std::io::Read + Send>,
    consumed: &AtomicU64,
    work: &SyncSender<Chunk>,
    spares: &Spares<Chunk>,
    cancel: &AtomicBool,
) -> Result<RowIndex, SourceError> {
    let mut index = RowIndex::new(plan.format.encoding);
    let mut reader = RecordReader::new(stream, plan.format.delimiter.byte());
    let mut record = csv::ByteRecord::new();
    let mut header_pending = plan.format.has_header;
    let mut chunk = Chunk::new(0);
    while let Some(span) = reader
        .read(&mut record)
        .map_err(|e| SourceError::io(&plan.path, e))?
    {
        let Span { line, offset, .. } = span;
        if is_blank(&record) || std::mem::take(&mut header_pending) {
            continue;
        }
        let problem = span
            .problem
            .or((record.len() != plan.width).then_some(Reason::RaggedRow));
        if problem.is_none() {
            check_utf8(plan, &record, line)?;
        }
        index.note(offset, line);
        if problem.is_none() {
            for column in &plan.columns {
                chunk.text.extend_from_slice(field(&record, column.index));
                // Invariant: a chunk is sent once its text passes 1 MiB, and every line is
                // bounded to 1 MiB, so offsets stay far below u32::MAX.
                chunk.ends.push(chunk.text.len() as u32);
            }
        }
        chunk.rows.push(Row { line, problem });
        if chunk.is_full() {
            chunk.text_end = reader.position();
            let seq = chunk.seq + 1;
            let next = spares
                .take()
                .map_or_else(|| Chunk::new(seq), |c| c.reuse(seq));
            if !send_chunk(std::mem::replace(&mut chunk, next), consumed, work, cancel)? {
                return Ok(index);
            }
        }
    }
    chunk.text_end = reader.position();
    send_chunk(chunk, consumed, work, cancel)?;
    Ok(index)
}

/// False when the pass is over (cancelled or the consumers are gone).
fn send_chunk(
    mut chunk: Chunk,
    consumed: &AtomicU64,
    work: &SyncSender<Chunk>,
    cancel: &AtomicBool,
) -> Result<bool, SourceError> {
    if cancel.load(Ordering::Relaxed) {
        return Err(SourceError::Cancelled);
    }
    chunk.bytes_read = consumed.load(Ordering::Relaxed);
    Ok(work.send(chunk).is_ok())
}

fn check_utf8(plan: &ScanPlan, record: &csv::ByteRecord, line: u64) -> Result<(), SourceError> {
    match first_bad_byte(record) {
        None => Ok(()),
        Some((field, byte)) => Err(SourceError::NotUtf8 {
            path: plan.path.clone(),
            line,
            field,
            byte,
        }),
    }
}

/// The first field (1-based) that is not UTF-8 on its own, and its first bad byte. Every field
/// must be valid by itself: the record's bytes can be valid as a whole while a delimiter splits
/// a character (`\xC3,\xA9`), leaving each half invalid. With the whole valid, a field is valid
/// exactly when it does not start with a continuation byte, which is cheap to check.
pub(crate) fn first_bad_byte(record: &csv::ByteRecord) -> Option<(usize, u8)> {
    let continues = |f: &[u8]| f.first().is_some_and(|&b| b & 0xC0 == 0x80);
    if std::str::from_utf8(record.as_slice()).is_ok() && !record.iter().any(continues) {
        return None;
    }
    record.iter().enumerate().find_map(|(i, f)| {
        std::str::from_utf8(f)
            .err()
            .map(|e| (i + 1, f[e.valid_up_to()]))
    })
}

/// What a worker made of one chunk.
struct Done {
    seq: u64,
    bytes_read: u64,
    text_end: u64,
    rows: u64,
    rejects: Vec<Reject>,
    tallies: Vec<Tally>,
    entries: [Vec<Entry>; 3],
}

#[derive(Clone, Default)]
struct Tally {
    valid: u64,
    empty: u64,
    invalid: [u64; Reason::ALL.len()],
}

fn hash_chunks(
    namespaces: &[Namespace],
    work: &Mutex<Receiver<Chunk>>,
    done: &SyncSender<Result<Done, SourceError>>,
    (spare_chunks, spare_entries): (&Spares<Chunk>, &Spares<[Vec<Entry>; 3]>),
) {
    let mut normalizer = Normalizer::new();
    loop {
        // Invariant: no code panics while holding this lock (it only receives).
        let next = work.lock().expect("work queue lock").recv();
        let Ok(chunk) = next else { return };
        let entries = spare_entries.take().unwrap_or_default();
        let hashed = hash_chunk(namespaces, &mut normalizer, &chunk, entries);
        spare_chunks.give(chunk);
        if done.send(Ok(hashed)).is_err() {
            return;
        }
    }
}

/// `entries` are empty buffers for the chunk's digests, one per list type.
fn hash_chunk(
    namespaces: &[Namespace],
    normalizer: &mut Normalizer,
    chunk: &Chunk,
    entries: [Vec<Entry>; 3],
) -> Done {
    let mut out = Done {
        seq: chunk.seq,
        bytes_read: chunk.bytes_read,
        text_end: chunk.text_end,
        rows: chunk.rows.len() as u64,
        rejects: Vec::new(),
        tallies: vec![Tally::default(); namespaces.len()],
        entries,
    };
    for namespace in namespaces {
        if let Some(list_type) = namespace.list_type() {
            out.entries[list_type.index()].reserve(chunk.rows.len());
        }
    }
    let mut cells = chunk.ends.iter();
    let mut start = 0usize;
    for row in &chunk.rows {
        if let Some(reason) = row.problem {
            out.rejects.push(Reject {
                line: row.line,
                column: None,
                reason,
            });
            continue;
        }
        for (column, &namespace) in namespaces.iter().enumerate() {
            // Invariant: the reader pushed one end per identity column of every accepted row.
            let end = *cells.next().expect("one end per identity cell") as usize;
            let raw = &chunk.text[start..end];
            start = end;
            // Invariant: the reader refused the file unless every record was valid UTF-8.
            let raw = std::str::from_utf8(raw).expect("validated by the reader");
            let tally = &mut out.tallies[column];
            // Hashed apart from the check, not through `Normalizer::digest`: its
            // `Result<Option<Digest>>` is laid out a byte off, and copying the digest out of it
            // stalled on every cell.
            match normalizer.apply(namespace, raw) {
                Ok(None) => tally.empty += 1,
                Ok(Some(normalized)) => {
                    tally.valid += 1;
                    let digest = normalized.digest();
                    let mut entry: Entry = [0u8; 33];
                    entry[..32].copy_from_slice(&digest.0);
                    entry[32] = column as u8;
                    if let Some(list_type) = namespace.list_type() {
                        out.entries[list_type.index()].push(entry);
                    }
                }
                Err(reason) => {
                    tally.invalid[reason as usize] += 1;
                    out.rejects.push(Reject {
                        line: row.line,
                        column: Some(column),
                        reason,
                    });
                }
            }
        }
    }
    out
}

/// Collects workers' results in file order.
struct Merge {
    utf16: bool,
    summary: Summary,
    tallies: Vec<Tally>,
    entries: [Buckets; 3],
    budget: MemoryBudget,
    /// Digests held in `entries`.
    held: usize,
    spills: Spills,
    pending: BTreeMap<u64, Done>,
    next_seq: u64,
}

impl Merge {
    fn new(plan: &ScanPlan) -> Self {
        Merge {
            utf16: matches!(
                plan.format.encoding,
                super::TextEncoding::Utf16Le | super::TextEncoding::Utf16Be
            ),
            summary: Summary {
                columns: plan
                    .columns
                    .iter()
                    .map(|c| ColumnCounts {
                        name: c.name.clone(),
                        namespace: Some(c.namespace),
                        ..ColumnCounts::default()
                    })
                    .collect(),
                ..Summary::default()
            },
            tallies: vec![Tally::default(); plan.columns.len()],
            entries: Default::default(),
            budget: plan.memory.clone(),
            held: 0,
            spills: Spills::default(),
            pending: BTreeMap::new(),
            next_seq: 0,
        }
    }

    fn run(
        &mut self,
        done: Receiver<Result<Done, SourceError>>,
        total_bytes: u64,
        spares: &Spares<[Vec<Entry>; 3]>,
        on_reject: &mut dyn FnMut(&Reject),
        on_progress: &mut dyn FnMut(Progress),
        cancel: &AtomicBool,
    ) -> Result<(), SourceError> {
        for result in done {
            if cancel.load(Ordering::Relaxed) {
                return Err(SourceError::Cancelled);
            }
            let result = result?;
            self.pending.insert(result.seq, result);
            while let Some(next) = self.pending.remove(&self.next_seq) {
                self.next_seq += 1;
                let mut entries = self.absorb(next, total_bytes, on_reject)?;
                entries.iter_mut().for_each(Vec::clear);
                spares.give(entries);
                on_progress(Progress {
                    bytes_read: self.summary.bytes,
                    total_bytes,
                    rows: self.summary.rows,
                });
            }
        }
        self.summary.bytes = total_bytes;
        on_progress(Progress {
            bytes_read: total_bytes,
            total_bytes,
            rows: self.summary.rows,
        });
        Ok(())
    }

    fn absorb(
        &mut self,
        done: Done,
        total_bytes: u64,
        on_reject: &mut dyn FnMut(&Reject),
    ) -> Result<[Vec<Entry>; 3], SourceError> {
        if self.next_seq == 1 {
            self.reserve_for(&done, total_bytes);
        }
        self.summary.rows += done.rows;
        self.summary.bytes = done.bytes_read;
        for reject in &done.rejects {
            if reject.column.is_none() {
                *self.summary.row_rejects.entry(reject.reason).or_default() += 1;
            }
            on_reject(reject);
        }
        for (total, part) in self.tallies.iter_mut().zip(&done.tallies) {
            total.valid += part.valid;
            total.empty += part.empty;
            for (t, p) in total.invalid.iter_mut().zip(part.invalid) {
                *t += p;
            }
        }
        for (all, part) in self.entries.iter_mut().zip(&done.entries) {
            all.extend(part);
            self.held += part.len();
        }
        if self.held > self.budget.entries() {
            if !self.spills.any_at_all() {
                let (root, read) = (&self.budget.scratch_root, self.summary.bytes);
                let needed = super::digests::scratch_needed(self.held, read, total_bytes);
                super::digests::check_room(root, needed, super::digests::free_near(root))?;
            }
            self.spill_all()?;
        }
        Ok(done.entries)
    }

    /// Past the budget: every list type's digests are appended to its partitions on disk.
    fn spill_all(&mut self) -> Result<(), SourceError> {
        let started = std::time::Instant::now();
        self.spills
            .spill(&self.budget, &mut self.entries)
            .map_err(|e| SourceError::io(&self.budget.scratch_root, e))?;
        self.held = 0;
        tracing::debug!(secs = started.elapsed().as_secs_f64(), "spilled");
        Ok(())
    }

    /// Sizes the buckets for the whole file from its first chunk, so that they are not copied
    /// again and again as they grow. Generous by a tenth; a file that changes shape only
    /// grows them as usual.
    fn reserve_for(&mut self, first: &Done, total_bytes: u64) {
        // UTF-16 text is about half its file's bytes.
        let text_bytes = if self.utf16 {
            total_bytes / 2
        } else {
            total_bytes
        };
        let share = (first.text_end.max(1) as f64 / text_bytes.max(1) as f64).min(1.0);
        // Never more than the budget, shared by the list types the file has, with room for
        // buckets a little fuller than the mean: past it they are spilled and filled again.
        let types = first
            .entries
            .iter()
            .filter(|e| !e.is_empty())
            .count()
            .max(1);
        let most = self.budget.entries() / types / 256 * 9 / 8;
        for (buckets, part) in self.entries.iter_mut().zip(&first.entries) {
            let expected = (part.len() as f64 / share * 1.1 / 256.0) as usize;
            for bucket in &mut buckets.0 {
                bucket.reserve(expected.min(most));
            }
        }
    }

    /// Drops duplicate digests of each list type and counts them against the column where the
    /// identity came again: in memory (each list type in a thread of its own), or, once the
    /// pass has spilled, by reading each partition on disk with its last stretch in memory.
    fn finish(mut self) -> Result<ScanOutput, SourceError> {
        for (counts, tally) in self.summary.columns.iter_mut().zip(&self.tallies) {
            counts.valid = tally.valid;
            counts.empty = tally.empty;
            counts.invalid = Reason::ALL
                .into_iter()
                .zip(tally.invalid)
                .filter(|&(_, n)| n > 0)
                .collect();
        }
        let columns = self.summary.columns.len();
        let deduped = if self.spills.any_at_all() {
            let root = self.budget.scratch_root.clone();
            std::mem::take(&mut self.spills)
                .count_all(columns, std::mem::take(&mut self.entries))
                .map_err(|e| SourceError::io(&root, e))?
        } else {
            super::digests::dedupe_in_memory(std::mem::take(&mut self.entries), columns)
        };
        let mut lists = Vec::new();
        for (list, duplicates) in deduped {
            for (counts, n) in self.summary.columns.iter_mut().zip(&duplicates) {
                counts.duplicates += n;
            }
            let duplicates: u64 = duplicates.iter().sum();
            let unique = list.len() as u64;
            self.summary.lists.push(ListCounts {
                list_type: list.list_type,
                valid: unique + duplicates,
                unique,
                duplicates,
                suppressed: 0,
            });
            lists.push(list);
        }
        Ok(ScanOutput {
            summary: self.summary,
            lists,
            index: RowIndex::default(),
        })
    }
}
