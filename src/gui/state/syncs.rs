//! The Syncs screen, and the "Save as sync" form on the Upload screen.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::syncs::{RunProgress, RunView, SyncOverview};
use crate::upload::{Control, Mode};

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
    /// What each run does: mirror by default, as `sync add`.
    pub mode: Mode,
}

impl Default for SaveSyncForm {
    fn default() -> Self {
        SaveSyncForm {
            name: String::new(),
            schedule: ScheduleChoice::ByHand,
            every: 1,
            unit: PeriodUnit::Hours,
            mode: Mode::Mirror,
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
