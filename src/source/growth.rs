//! A packed file's expanded copy while it is still being written: the expansion runs on a
//! thread of its own and readers follow it, waiting at the end of what is written until more
//! comes or the copy ends. So a gzipped export is hashed while it is still being inflated,
//! and a workbook's rows while later ones are still written out.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// How far an expansion got, and how it ended.
#[derive(Default)]
pub(crate) struct Growth {
    state: Mutex<Grown>,
    changed: Condvar,
    /// The expected size of the whole copy (0: not known yet), for progress.
    estimate: AtomicU64,
    /// Set when nobody needs the copy any more: the expansion stops.
    abandoned: AtomicBool,
}

#[derive(Default)]
struct Grown {
    written: u64,
    /// `Some` once the copy is whole (`Ok`) or given up (why, for the user).
    end: Option<Result<(), Failed>>,
}

/// Why an expansion was given up: the problem of a `SourceError::Packed`, or another
/// sentence; carried to readers inside an `io::Error`.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{problem}")]
pub(crate) struct Failed {
    pub problem: String,
    /// Whether `problem` is about the packed file itself (a bomb, a damaged archive).
    pub packed: bool,
}

impl Growth {
    pub(crate) fn set_estimate(&self, bytes: u64) {
        self.estimate.store(bytes, Ordering::Relaxed);
    }

    pub(crate) fn abandon(&self) {
        self.abandoned.store(true, Ordering::Relaxed);
    }

    fn advance(&self, bytes: u64) {
        // Invariant for the locks of this type: nothing panics while they are held.
        let mut state = self.state.lock().expect("expansion state");
        state.written += bytes;
        self.changed.notify_all();
    }

    pub(crate) fn finish(&self, end: Result<(), Failed>) {
        let mut state = self.state.lock().expect("expansion state");
        state.end = Some(end);
        self.changed.notify_all();
    }

    pub(crate) fn failed(&self) -> bool {
        let state = self.state.lock().expect("expansion state");
        matches!(state.end, Some(Err(_)))
    }

    /// The whole copy's size once it is whole.
    pub(crate) fn finished_len(&self) -> Option<u64> {
        let state = self.state.lock().expect("expansion state");
        matches!(state.end, Some(Ok(()))).then_some(state.written)
    }

    /// The copy's size: exact once whole, else the larger of the estimate and what is
    /// written so far.
    pub(crate) fn len(&self) -> u64 {
        let state = self.state.lock().expect("expansion state");
        match state.end {
            Some(Ok(())) => state.written,
            _ => state.written.max(self.estimate.load(Ordering::Relaxed)),
        }
    }

    /// Waits until more than `at` bytes are written (true) or the copy ended there (false);
    /// the expansion's failure, once the reader reaches it.
    fn wait_past(&self, at: u64) -> io::Result<bool> {
        let mut state = self.state.lock().expect("expansion state");
        loop {
            if state.written > at {
                return Ok(true);
            }
            match &state.end {
                Some(Ok(())) => return Ok(false),
                Some(Err(failed)) => return Err(io::Error::other(failed.clone())),
                None => state = self.changed.wait(state).expect("expansion state"),
            }
        }
    }
}

/// The expansion's output: counts what reaches the file, and stops once abandoned.
pub(crate) struct GrowingWriter {
    pub file: File,
    pub growth: Arc<Growth>,
}

impl Write for GrowingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.growth.abandoned.load(Ordering::Relaxed) {
            return Err(io::Error::other("the expanded copy is no longer needed"));
        }
        let n = self.file.write(buf)?;
        self.growth.advance(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// A customer file as its readers open it: the file itself, or a packed file's expanded
/// copy, which may still be growing.
pub(crate) struct SourceFile {
    file: File,
    growth: Option<Arc<Growth>>,
    at: u64,
}

impl SourceFile {
    pub(crate) fn plain(file: File) -> Self {
        SourceFile {
            file,
            growth: None,
            at: 0,
        }
    }

    pub(crate) fn growing(file: File, growth: Arc<Growth>) -> Self {
        SourceFile {
            file,
            growth: Some(growth),
            at: 0,
        }
    }

    /// Its size; for a copy still growing, what it is expected to be.
    pub(crate) fn len(&self) -> io::Result<u64> {
        match &self.growth {
            Some(growth) => Ok(growth.len()),
            None => Ok(self.file.metadata()?.len()),
        }
    }

    /// Its size when known to be whole.
    pub(crate) fn whole_len(&self) -> io::Result<Option<u64>> {
        match &self.growth {
            Some(growth) => Ok(growth.finished_len()),
            None => Ok(Some(self.file.metadata()?.len())),
        }
    }
}

impl Read for SourceFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = self.file.read(buf)?;
            self.at += n as u64;
            let Some(growth) = &self.growth else {
                return Ok(n);
            };
            if n > 0 || buf.is_empty() || !growth.wait_past(self.at)? {
                return Ok(n);
            }
        }
    }
}

impl Seek for SourceFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.at = self.file.seek(to)?;
        Ok(self.at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_follows_the_copy_as_it_grows_and_hears_how_it_ended() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("copy.csv");
        let growth = Arc::new(Growth::default());
        let mut writer = GrowingWriter {
            file: File::create(&path).unwrap(),
            growth: growth.clone(),
        };
        let mut reader = SourceFile::growing(File::open(&path).unwrap(), growth.clone());
        let feeding = std::thread::spawn(move || {
            for i in 0..50 {
                writer.write_all(format!("row {i}\n").as_bytes()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            writer.growth.finish(Ok(()));
        });
        let mut text = String::new();
        reader.read_to_string(&mut text).unwrap();
        feeding.join().unwrap();
        assert_eq!(text.lines().count(), 50);
        assert_eq!(growth.finished_len(), Some(text.len() as u64));

        let failing = Arc::new(Growth::default());
        let mut reader = SourceFile::growing(File::open(&path).unwrap(), failing.clone());
        failing.advance(4);
        failing.finish(Err(Failed {
            problem: "the gzip file is damaged".into(),
            packed: true,
        }));
        let mut bytes = Vec::new();
        let error = reader.read_to_end(&mut bytes).unwrap_err();
        assert!(error.to_string().contains("damaged"), "{error}");
    }
}
