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
    /// The sync being edited, if any.
    pub edit: Option<SyncEditForm>,
    pub save: SaveSyncForm,
    /// What saving the last "Save as sync" said.
    pub save_result: Option<Result<String, String>>,
}

/// A saved sync being edited in the window: every setting, as fields.
#[derive(Clone, Debug, PartialEq)]
pub struct SyncEditForm {
    /// The sync's name when the edit began.
    pub editing: String,
    pub name: String,
    pub connection: String,
    /// The file; for a folder sync, the folder, with `pattern`; for a query, the database's
    /// address, with `query`.
    pub path: String,
    pub pattern: Option<String>,
    pub query: Option<String>,
    pub columns: Vec<crate::syncs::SavedColumn>,
    pub new_list: bool,
    /// The new lists' name, or the existing list's ID.
    pub list: String,
    pub mode: Mode,
    pub create_audience: bool,
    /// The fewest people a run's removals may leave in a list without a confirmation (0: no
    /// floor).
    pub floor: u64,
    pub schedule: ScheduleChoice,
    pub every: u32,
    pub unit: PeriodUnit,
    /// What the last save said when it was refused.
    pub error: Option<String>,
}

impl SyncEditForm {
    pub fn of(name: &str, connection: &str, settings: &crate::syncs::SyncSettings) -> Self {
        use crate::syncs::{Schedule, Source, SyncTarget};
        let (path, pattern, query) = match &settings.source {
            Source::File(path) => (path.display().to_string(), None, None),
            Source::Folder { dir, pattern } => {
                (dir.display().to_string(), Some(pattern.clone()), None)
            }
            Source::Query(query) => (query.database.clone(), None, Some(query.sql.clone())),
        };
        let (new_list, list) = match &settings.target {
            SyncTarget::NewList(name) => (true, name.clone()),
            SyncTarget::List(id) => (false, id.clone()),
        };
        let (schedule, every, unit) = match settings.schedule {
            Schedule::Manual => (ScheduleChoice::ByHand, 1, PeriodUnit::Hours),
            Schedule::OnChange => (ScheduleChoice::OnChange, 1, PeriodUnit::Hours),
            Schedule::Every { seconds } => {
                let unit = PeriodUnit::ALL
                    .into_iter()
                    .rev()
                    .find(|u| seconds % u.seconds() == 0)
                    .unwrap_or(PeriodUnit::Minutes);
                let every = (seconds / unit.seconds()).clamp(1, u64::from(u32::MAX));
                (ScheduleChoice::Every, every as u32, unit)
            }
        };
        SyncEditForm {
            editing: name.to_owned(),
            name: name.to_owned(),
            connection: connection.to_owned(),
            path,
            pattern,
            query,
            columns: settings.columns.clone(),
            new_list,
            list,
            mode: settings.mode,
            create_audience: settings.create_audience,
            floor: settings.floor.unwrap_or(crate::upload::DEFAULT_FLOOR),
            schedule,
            every,
            unit,
            error: None,
        }
    }

    /// The settings as edited, on top of the saved ones (how the file is read stays).
    pub fn settings(&self, saved: &crate::syncs::SyncSettings) -> crate::syncs::SyncSettings {
        use crate::syncs::{Schedule, Source, SyncTarget};
        let path = std::path::PathBuf::from(self.path.trim());
        crate::syncs::SyncSettings {
            source: match (&self.query, &self.pattern) {
                (Some(sql), _) => Source::Query(crate::source::Query {
                    database: self.path.trim().to_owned(),
                    sql: sql.trim().to_owned(),
                }),
                (None, Some(pattern)) => Source::Folder {
                    dir: path,
                    pattern: pattern.trim().to_owned(),
                },
                (None, None) => Source::File(path),
            },
            columns: self.columns.clone(),
            target: match self.new_list {
                true => SyncTarget::NewList(self.list.trim().to_owned()),
                false => SyncTarget::List(self.list.trim().to_owned()),
            },
            mode: self.mode,
            create_audience: self.create_audience,
            max_removal_share: saved.max_removal_share,
            // The default stays unset, so a later change of the default reaches the sync.
            floor: Some(self.floor).filter(|f| *f != crate::upload::DEFAULT_FLOOR),
            schedule: match self.schedule {
                ScheduleChoice::ByHand => Schedule::Manual,
                ScheduleChoice::OnChange => Schedule::OnChange,
                ScheduleChoice::Every => Schedule::Every {
                    seconds: u64::from(self.every) * self.unit.seconds(),
                },
            },
            ..saved.clone()
        }
    }
}
