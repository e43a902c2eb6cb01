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
    /// Which rows the table shows.
    pub shown: RowsShown,
    /// The rows with a problem and the rows with a repeat, once a pass has found them.
    pub found: Found,
    /// The problem "Next problem" went to last, by its place among the problems.
    pub problem_at: Option<usize>,
    /// A table row to bring into view on the next frame.
    pub scroll_to: Option<usize>,
    /// The query whose result this is (its file is kept while it is open), or none for a
    /// file.
    pub from_query: Option<(crate::source::Query, Arc<crate::source::QueryResult>)>,
}

/// Which rows the preview's table shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RowsShown {
    #[default]
    All,
    /// Rows refused whole or with a refused value.
    Problems,
    /// Rows with a value that came earlier in the file.
    Duplicates,
}

/// The rows a pass over the file found, by data row number.
#[derive(Debug, Default)]
pub enum Found {
    #[default]
    NotYet,
    Finding,
    Rows(Box<crate::source::NotableRows>),
    Failed(String),
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
            shown: RowsShown::All,
            found: Found::NotYet,
            problem_at: None,
            scroll_to: None,
            from_query: None,
        }
    }

    /// The file row a table row stands for, and how many rows the table has.
    pub fn shown_rows(&self, all: u64) -> (u64, Option<&[u64]>) {
        match (self.shown, &self.found) {
            (RowsShown::All, _) | (_, Found::NotYet | Found::Finding | Found::Failed(_)) => {
                (all, None)
            }
            (RowsShown::Problems, Found::Rows(rows)) => {
                (rows.problems.len() as u64, Some(&rows.problems))
            }
            (RowsShown::Duplicates, Found::Rows(rows)) => {
                (rows.duplicates.len() as u64, Some(&rows.duplicates))
            }
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

/// "Open query...": a database's address, the query, and a password to keep (never shown).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QueryForm {
    pub database: String,
    pub sql: String,
    /// Typed to be kept in the home's secret store; cleared once kept.
    pub password: String,
    pub status: QueryStatus,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum QueryStatus {
    #[default]
    Idle,
    Testing,
    /// What the test read: "152 rows of 2 columns (email, note)".
    Tested(String),
    Opening,
    Failed(String),
}

impl QueryForm {
    pub fn busy(&self) -> bool {
        matches!(self.status, QueryStatus::Testing | QueryStatus::Opening)
    }

    pub fn query(&self) -> crate::source::Query {
        crate::source::Query {
            database: self.database.trim().to_owned(),
            sql: self.sql.clone(),
        }
    }
}
