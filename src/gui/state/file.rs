//! The customer file open in the preview, its full pass and the pages of rows read.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::source::{Preview, Progress, RowIndex, SampleRow, Summary};

#[derive(Default)]
pub enum FileState {
    #[default]
    Empty,
    Loading(PathBuf),
    Failed {
        path: PathBuf,
        error: String,
    },
    Loaded(Box<Loaded>),
}

pub struct Loaded {
    pub preview: Preview,
    pub scan: ScanState,
    /// Counts every restart of the full pass; events from older passes are ignored.
    pub generation: u64,
    /// Where the rows start, from the last full pass: the table then scrolls the whole file.
    pub index: Option<Arc<RowIndex>>,
    /// Pages of `PAGE_ROWS` rows read for the table, by page number; a few are kept.
    pub pages: BTreeMap<u64, Vec<SampleRow>>,
    pub loading_pages: BTreeSet<u64>,
}

/// Rows the table reads at once when scrolled past the preview's first rows.
pub const PAGE_ROWS: u64 = 256;
/// Pages kept in memory: the ones on screen and around them.
pub const PAGES_KEPT: usize = 32;

impl Loaded {
    pub fn new(preview: Preview) -> Self {
        Loaded {
            preview,
            scan: ScanState::Cancelled,
            generation: 0,
            index: None,
            pages: BTreeMap::new(),
            loading_pages: BTreeSet::new(),
        }
    }

    /// Keeps a page read for the table, dropping the one farthest from it beyond the limit.
    pub fn keep_page(&mut self, page: u64, rows: Vec<SampleRow>) {
        self.loading_pages.remove(&page);
        self.pages.insert(page, rows);
        while self.pages.len() > PAGES_KEPT {
            let farthest = self.pages.keys().copied().max_by_key(|p| p.abs_diff(page));
            match farthest {
                Some(p) => self.pages.remove(&p),
                None => break,
            };
        }
    }
}

pub enum ScanState {
    /// The mapping has no identity column; the message says how to map one.
    NoIdentity(String),
    Running {
        progress: Progress,
        cancel: Arc<AtomicBool>,
    },
    Done(Box<Summary>),
    Failed(String),
    Cancelled,
}

/// What a typed path is for, when the system's file dialog cannot open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathPurpose {
    Open,
    SaveRejects,
}

/// The path field offered instead of a file dialog the desktop cannot show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathPrompt {
    pub purpose: PathPurpose,
    pub text: String,
    /// Why the dialog could not open.
    pub why: String,
}
