use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

mod model;
mod update;

use crate::app_core::ConnectionOverview;
use crate::app_core::{AdAccountLists, JobOverview};
use crate::source::{Preview, Progress, RowIndex, SampleRow, Summary};
use crate::upload::{Control, JobProgress, Mode, Plan};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum View {
    #[default]
    Upload,
    Connection,
    Audiences,
    Jobs,
}

impl View {
    /// The views the keyboard cycles through (Ctrl+1..4), in toolbar order.
    pub const ALL: [View; 4] = [View::Upload, View::Jobs, View::Audiences, View::Connection];

    pub fn title(self) -> &'static str {
        match self {
            View::Upload => "Upload",
            View::Jobs => "Jobs",
            View::Audiences => "Audiences",
            View::Connection => "Connection",
        }
    }
}

/// Where an upload goes, as the user set it; remembered between sessions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UploadForm {
    pub connection: Option<String>,
    pub new_list: bool,
    pub list_name: String,
    /// The existing list picked from the ad account's lists.
    pub list_id: Option<String>,
    pub mode: Mode,
    pub create_audience: bool,
}

impl Default for UploadForm {
    fn default() -> Self {
        UploadForm {
            connection: None,
            new_list: true,
            list_name: String::new(),
            list_id: None,
            mode: Mode::Add,
            create_audience: true,
        }
    }
}

/// The dry run or the planning pass before a start.
#[derive(Default)]
pub enum PlanState {
    #[default]
    Idle,
    Planning {
        progress: Progress,
        /// Starts the job once planned; a dry run stops at the plan.
        start: bool,
    },
    Ready(Box<Plan>),
    Failed(String),
}

/// A job this app runs now: its live progress and the handle that pauses or stops it.
pub struct LiveJob {
    /// What the runner last published; reading it is a borrow, not a wait.
    pub progress: tokio::sync::watch::Receiver<JobProgress>,
    pub control: Arc<Control>,
    pub started: std::time::Instant,
}

#[derive(Default)]
pub struct JobsState {
    pub entries: Vec<JobOverview>,
    pub live: BTreeMap<i64, LiveJob>,
    /// Records per second of the jobs run in this session, sampled about once a second:
    /// (seconds since the job started here, rate).
    pub throughput: BTreeMap<i64, Vec<[f64; 2]>>,
    pub selected: Option<i64>,
}

/// One connection's ad account lists and audiences, as last fetched.
#[derive(Clone, Debug)]
pub enum ListsState {
    Loading,
    Loaded(AdAccountLists),
    Failed(String),
}

/// The connection settings being edited; `editing` names the stored one, if any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectionForm {
    pub editing: Option<String>,
    pub name: String,
    pub description: String,
    pub ad_account_id: String,
    pub app_id: String,
    pub app_secret: String,
    pub error: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub enum ConnectState {
    #[default]
    Idle,
    Waiting(String),
    Done {
        name: String,
        summary: String,
    },
    Failed {
        name: String,
        error: String,
    },
}

/// Everything the views draw. Changed only by the app, from actions and task events.
#[derive(Default)]
pub struct State {
    pub view: View,
    pub connections: Vec<ConnectionOverview>,
    pub selected: Option<String>,
    pub form: ConnectionForm,
    pub confirm_delete: bool,
    pub connect: ConnectState,
    /// Lists and audiences by connection name: the upload form and the Audiences screen read
    /// the same entry, and showing one never fetches another's.
    pub lists: BTreeMap<String, ListsState>,
    /// Set when local state could not be opened; the connection screens say so.
    pub core_error: Option<String>,
    pub file: FileState,
    /// A message for the user that is not tied to one screen, shown until dismissed.
    pub notice: Option<Notice>,
    pub demo: bool,
    pub upload: UploadForm,
    pub plan: PlanState,
    pub jobs: JobsState,
}

pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

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

impl State {
    pub fn loaded(&self) -> Option<&Loaded> {
        match &self.file {
            FileState::Loaded(loaded) => Some(loaded),
            _ => None,
        }
    }

    pub fn loaded_mut(&mut self) -> Option<&mut Loaded> {
        match &mut self.file {
            FileState::Loaded(loaded) => Some(loaded),
            _ => None,
        }
    }
}
