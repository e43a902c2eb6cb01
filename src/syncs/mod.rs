//! Saved syncs: a file or folder kept mirrored into customer lists, by hand, on a schedule or
//! on change. A run is an ordinary upload job (journal, ledger, resume) tagged with its sync;
//! every run, skipped and refused ones included, is kept in the history.

mod hints;
mod rejects;
mod report;
mod run;
mod settings;
mod source_file;
mod watch;

use std::collections::BTreeMap;

use serde::Serialize;

pub use hints::schedule_hints;
pub use rejects::write_run_rejects;
pub use report::{RunList, RunReport};
pub use run::{Phase, RunOutcome, RunProgress, Trigger, describe_file, run_sync};
pub use settings::{MIN_PERIOD, SavedColumn, Schedule, Source, SyncSettings, SyncTarget};
pub use source_file::{content_digest, current as current_file};
pub use watch::{DEFAULT_SETTLE, WatchEvent, Watcher, due, next_due};

use crate::context::Core;
use crate::identity::ListType;
use crate::pinterest::ConnectionState;
use crate::store::{JobState, RunRow, RunState, StoreError, SyncRow};
use crate::upload::{JobError, KnownList};

/// How a sync is doing, for the list of syncs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    NeverRun,
    Running,
    Ok,
    Failing,
    WaitingForReconnect,
    /// The last run holds removals until they are confirmed.
    NeedsConfirmation,
}

impl Health {
    pub fn label(self) -> &'static str {
        match self {
            Health::NeverRun => "not run yet",
            Health::Running => "running",
            Health::Ok => "ok",
            Health::Failing => "failing",
            Health::WaitingForReconnect => "waiting for reconnect",
            Health::NeedsConfirmation => "needs confirmation",
        }
    }
}

/// A sync with what the faces show of it.
#[derive(Clone, Debug, Serialize)]
pub struct SyncOverview {
    #[serde(flatten)]
    pub row: SyncRow,
    /// `None` when the stored settings cannot be read (`problem` says why).
    pub settings: Option<SyncSettings>,
    pub problem: Option<String>,
    /// The newest run, whatever its state.
    pub last: Option<RunRow>,
    pub health: Health,
    /// For a periodic sync: when it is next due (seconds since the epoch).
    pub next_due: Option<i64>,
}

impl SyncOverview {
    pub fn newest_run(&self) -> Option<i64> {
        self.last.as_ref().map(|r| r.id)
    }

    /// "every hour", "on change", "by hand"; or why the settings cannot be read.
    pub fn schedule_label(&self) -> String {
        self.settings
            .as_ref()
            .map_or_else(|| "unreadable".into(), |s| s.schedule.describe())
    }
}

/// A run with its report read.
#[derive(Clone, Debug, Serialize)]
pub struct RunView {
    #[serde(flatten)]
    pub row: RunRow,
    pub report: Option<RunReport>,
}

pub(crate) fn parse_settings(sync: &SyncRow) -> Result<SyncSettings, JobError> {
    serde_json::from_str(&sync.settings).map_err(|e| {
        JobError::Invalid(format!(
            "the settings of sync '{}' cannot be read ({e}); remove it and add it again",
            sync.name
        ))
    })
}

pub(crate) fn parse_lists(sync: &SyncRow) -> Result<BTreeMap<ListType, KnownList>, JobError> {
    serde_json::from_str(&sync.lists).map_err(|e| {
        JobError::Invalid(format!(
            "the lists of sync '{}' cannot be read ({e})",
            sync.name
        ))
    })
}

fn to_json(settings: &SyncSettings) -> Result<String, JobError> {
    serde_json::to_string(settings).map_err(|e| JobError::Invalid(e.to_string()))
}

pub fn add(
    core: &Core,
    name: &str,
    connection: &str,
    settings: &SyncSettings,
) -> Result<SyncRow, JobError> {
    settings.validate().map_err(JobError::Invalid)?;
    Ok(core
        .store()
        .add_sync(name, connection, &to_json(settings)?)?)
}

/// Saves a sync's new name, connection and settings. Pointing it at an existing list
/// forgets the lists its runs made.
pub fn edit(
    core: &Core,
    name: &str,
    new_name: &str,
    connection: &str,
    settings: &SyncSettings,
) -> Result<SyncRow, JobError> {
    settings.validate().map_err(JobError::Invalid)?;
    let store = core.store();
    let sync = store.sync(name)?;
    store.update_sync(sync.id, new_name, connection, &to_json(settings)?)?;
    if matches!(settings.target, SyncTarget::List(_)) {
        store.set_sync_lists(sync.id, "{}")?;
    }
    Ok(store.sync(new_name)?)
}

pub fn remove(core: &Core, name: &str) -> Result<SyncRow, StoreError> {
    core.store().remove_sync(name)
}

pub fn overview_of(core: &Core, name: &str) -> Result<SyncOverview, StoreError> {
    let row = core.store().sync(name)?;
    overview_row(core, row)
}

/// Every sync, by name, with its newest run and health.
pub fn list(core: &Core) -> Result<Vec<SyncOverview>, StoreError> {
    let rows = core.store().syncs()?;
    rows.into_iter()
        .map(|row| overview_row(core, row))
        .collect()
}

fn overview_row(core: &Core, row: SyncRow) -> Result<SyncOverview, StoreError> {
    let (settings, problem) = match parse_settings(&row) {
        Ok(settings) => (Some(settings), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let (last, waiting) = {
        let store = core.store();
        let last = store.sync_runs(row.id, 1)?.pop();
        let job_state = match last.as_ref().and_then(|r| r.job_id) {
            Some(job) => store.job(job)?.map(|j| j.state),
            None => None,
        };
        (last, job_state == Some(JobState::WaitingForReconnect))
    };
    let reconnect = core.status(&row.connection).is_ok_and(|s| {
        matches!(
            s.state,
            ConnectionState::ReconnectRequired | ConnectionState::NotConnected
        )
    });
    let health = match last.as_ref().map(|r| r.state) {
        _ if waiting || reconnect => Health::WaitingForReconnect,
        None => Health::NeverRun,
        Some(RunState::Running) => Health::Running,
        Some(RunState::Completed | RunState::Skipped) => Health::Ok,
        Some(RunState::Held) => Health::NeedsConfirmation,
        Some(_) => Health::Failing,
    };
    let next_due = settings
        .as_ref()
        .and_then(|s| next_due(s.schedule, last.as_ref(), crate::os::now()));
    Ok(SyncOverview {
        row,
        settings,
        problem,
        last,
        health,
        next_due,
    })
}

/// A sync's runs, oldest first (the newest `limit`), with their reports read.
pub fn history(core: &Core, name: &str, limit: usize) -> Result<Vec<RunView>, StoreError> {
    let store = core.store();
    let sync = store.sync(name)?;
    Ok(store
        .sync_runs(sync.id, limit)?
        .into_iter()
        .map(|row| RunView {
            report: row
                .report
                .as_deref()
                .and_then(|r| serde_json::from_str(r).ok()),
            row,
        })
        .collect())
}
