use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

mod model;
mod update;

use crate::app_core::ConnectionOverview;
use crate::app_core::{AdAccountLists, JobOverview};
use crate::pinterest::{AdAccount, SharedAudienceAccount};
use crate::source::{Preview, Progress, RowIndex, SampleRow, Summary};
use crate::store::Snapshot;
use crate::syncs::{RunProgress, RunView, SyncOverview};
use crate::upload::{Control, JobProgress, Mode, Plan};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum View {
    #[default]
    Upload,
    Connection,
    Audiences,
    Jobs,
    Syncs,
}

impl View {
    /// The views the keyboard cycles through (Ctrl+1..5), in toolbar order.
    pub const ALL: [View; 5] = [
        View::Upload,
        View::Jobs,
        View::Syncs,
        View::Audiences,
        View::Connection,
    ];

    pub fn title(self) -> &'static str {
        match self {
            View::Upload => "Upload",
            View::Jobs => "Jobs",
            View::Audiences => "Audiences",
            View::Connection => "Connection",
            View::Syncs => "Syncs",
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

/// How often a sync saved from the Upload screen runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScheduleChoice {
    #[default]
    ByHand,
    Every,
    OnChange,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeriodUnit {
    Minutes,
    #[default]
    Hours,
    Days,
}

impl PeriodUnit {
    pub const ALL: [PeriodUnit; 3] = [PeriodUnit::Minutes, PeriodUnit::Hours, PeriodUnit::Days];

    pub fn label(self) -> &'static str {
        match self {
            PeriodUnit::Minutes => "minutes",
            PeriodUnit::Hours => "hours",
            PeriodUnit::Days => "days",
        }
    }

    pub fn seconds(self) -> u64 {
        match self {
            PeriodUnit::Minutes => 60,
            PeriodUnit::Hours => 3600,
            PeriodUnit::Days => 86_400,
        }
    }
}

/// "Save as sync" on the Upload screen: the upload's settings, a name and a schedule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SaveSyncForm {
    pub name: String,
    pub schedule: ScheduleChoice,
    pub every: u32,
    pub unit: PeriodUnit,
}

impl Default for SaveSyncForm {
    fn default() -> Self {
        SaveSyncForm {
            name: String::new(),
            schedule: ScheduleChoice::ByHand,
            every: 1,
            unit: PeriodUnit::Hours,
        }
    }
}

/// A run this window started (Run now): its progress and the handle that stops it.
pub struct LiveRun {
    pub progress: tokio::sync::watch::Receiver<RunProgress>,
    pub control: Arc<Control>,
}

#[derive(Default)]
pub struct SyncsState {
    pub entries: Vec<SyncOverview>,
    pub selected: Option<String>,
    /// The selected sync's runs, oldest first, as last read.
    pub history: Option<(String, Vec<RunView>)>,
    pub live: BTreeMap<String, LiveRun>,
    pub confirm_remove: bool,
    pub save: SaveSyncForm,
    /// What saving the last "Save as sync" said.
    pub save_result: Option<Result<String, String>>,
}

/// A lookalike being set up on the Audiences screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookalikeForm {
    pub name: String,
    pub country: String,
    pub percent: u64,
}

/// What the Audiences screen has open about the selected audience.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AudienceDialog {
    #[default]
    None,
    Lookalike(LookalikeForm),
    /// The ad accounts picked to share with (or revoke from).
    Share(BTreeSet<String>),
    Remove,
}

#[derive(Default)]
pub struct AudiencesState {
    /// The audience picked in the table, by id.
    pub selected: Option<String>,
    pub dialog: AudienceDialog,
    /// What the app saw of the selected audience's list over time, by list id.
    pub history: Option<(String, Vec<Snapshot>)>,
    /// Who the selected audience is shared with, by audience id.
    pub shared: Option<(String, Result<Vec<SharedAudienceAccount>, String>)>,
    /// Work under way for the dialog (making a lookalike, sharing, removing).
    pub busy: bool,
    /// What the last of that work said.
    pub said: Option<Result<String, String>>,
}

/// The ad accounts a connection's login reaches, as last fetched.
#[derive(Clone, Debug)]
pub enum AccountsState {
    Loading,
    Loaded(Vec<AdAccount>),
    Failed(String),
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
    pub syncs: SyncsState,
    pub audiences: AudiencesState,
    /// The ad accounts each connection's login reaches (the share picker, the account picker).
    pub accounts: BTreeMap<String, AccountsState>,
    /// Masks raw and normalized values in the preview (for screen sharing); remembered.
    pub hide_identities: bool,
    /// The redirect URI to register on the Pinterest app, and where secrets are kept: what
    /// the connection form tells a newcomer.
    pub redirect_uri: String,
    pub secret_place: String,
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
