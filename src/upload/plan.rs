use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use crate::app_core::Core;
use crate::identity::{Digest, ListType};
use crate::pinterest::PinterestError;
use crate::source::{Preview, Progress, SourceError, Summary, scan};
use crate::store::{BatchOp, JobList, JobRow, JobState, PlannedBatch, StoreError};

/// Records per request when the user does not say; about 650 kB of digests.
pub const DEFAULT_BATCH_SIZE: usize = 10_000;
/// Pinterest documents no request size limit; peers stay near 1 MB, so batches do too.
const MAX_BATCH_BYTES: usize = 1_000_000;
/// Bytes a digest takes in `records`: 64 hex digits and a comma.
const DIGEST_BYTES: usize = 65;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Add,
    Remove,
    /// Make the list hold exactly the file: add what is new, remove what this app added before
    /// and the file no longer has.
    Mirror,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    NewList(String),
    List(String),
}

/// A job's settings, journaled with it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobSpec {
    pub mode: Mode,
    pub target: Target,
    pub create_audience: bool,
    pub batch_size: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Pinterest(#[from] PinterestError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
    #[error("there is no job {0}; `audience-desk jobs` lists them")]
    NoSuchJob(i64),
    #[error(
        "job {0} was taken over by another process while this one was silent; it goes on there"
    )]
    TakenOver(i64),
}

/// What one list will get.
#[derive(Clone, Debug, Serialize)]
pub struct ListPlan {
    pub list_type: ListType,
    pub name: String,
    /// Set when the target list exists already.
    pub list_id: Option<String>,
    #[serde(skip)]
    pub to_add: Vec<Digest>,
    #[serde(skip)]
    pub to_remove: Vec<Digest>,
    pub adds: usize,
    pub removes: usize,
    pub unchanged: usize,
}

/// Everything an upload would do, computed before anything is sent.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub connection: String,
    pub ad_account_id: String,
    pub file: PathBuf,
    pub spec: JobSpec,
    pub summary: Summary,
    pub lists: Vec<ListPlan>,
    /// Said before sending: lists under 100 identities, a mirror that knows nothing yet.
    pub warnings: Vec<String>,
}

/// Reads the file once and works out every list's additions and removals.
pub fn plan_upload(
    core: &Core,
    connection: &str,
    preview: &Preview,
    spec: JobSpec,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<Plan, SyncError> {
    let connection = core.connection(connection)?;
    if spec.batch_size == 0 {
        return Err(SyncError::Invalid(
            "the batch size must be at least 1".into(),
        ));
    }
    let scan_plan = preview.scan_plan()?;
    let output = scan(
        &scan_plan,
        &mut |_| {},
        on_progress,
        &AtomicBool::new(false),
    )?;
    let types: Vec<ListType> = output.lists.iter().map(|l| l.list_type).collect();
    if types.is_empty() {
        return Err(SyncError::Invalid(
            "the file has no valid identity to send; `audience-desk inspect FILE` shows why".into(),
        ));
    }
    if let Target::List(id) = &spec.target {
        if types.len() > 1 {
            return Err(SyncError::Invalid(format!(
                "--list {id} is one list, but the file has {} identities; map the others to \
                 ignore, or use --new-list to make one list per type",
                types
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(" and ")
            )));
        }
        if !id.bytes().all(|b| b.is_ascii_digit()) || id.is_empty() || id.len() > 18 {
            return Err(SyncError::Invalid(format!(
                "'{id}' is not a customer list ID (digits only); `audience-desk lists NAME` shows them"
            )));
        }
    }
    if matches!(spec.target, Target::NewList(_)) && spec.mode == Mode::Remove {
        return Err(SyncError::Invalid(
            "removing from a new list does nothing; name the list with --list ID".into(),
        ));
    }
    let mut lists = Vec::new();
    let mut warnings = Vec::new();
    for list in &output.lists {
        let file: Vec<Digest> = list
            .digests()
            .collect::<std::io::Result<_>>()
            .map_err(|e| SourceError::io(&preview.path, e))?;
        let (name, list_id) = match &spec.target {
            Target::NewList(name) if types.len() > 1 => {
                (format!("{name} ({})", list.list_type), None)
            }
            Target::NewList(name) => (name.clone(), None),
            Target::List(id) => (format!("list {id}"), Some(id.clone())),
        };
        let (to_add, to_remove, unchanged) = match (spec.mode, &list_id) {
            (Mode::Add, _) | (Mode::Mirror, None) => (file, Vec::new(), 0),
            (Mode::Remove, _) => (Vec::new(), file, 0),
            (Mode::Mirror, Some(id)) => {
                let ledger: HashSet<Digest> = core
                    .store
                    .lock()
                    .expect("store lock")
                    .ledger(&connection.ad_account_id, id)?
                    .into_iter()
                    .collect();
                if ledger.is_empty() {
                    warnings.push(format!(
                        "this app has not added anything to list {id} yet, so mirror can only \
                         add; it removes only what it added itself"
                    ));
                }
                let in_file: HashSet<Digest> = file.iter().copied().collect();
                let to_add: Vec<Digest> =
                    file.into_iter().filter(|d| !ledger.contains(d)).collect();
                let to_remove: Vec<Digest> = ledger
                    .iter()
                    .filter(|d| !in_file.contains(d))
                    .copied()
                    .collect();
                let unchanged = in_file.len() - to_add.len();
                (to_add, to_remove, unchanged)
            }
        };
        if spec.mode != Mode::Remove && to_add.len() + unchanged < 100 {
            warnings.push(format!(
                "{name} would hold {} identities; Pinterest will not target a list until at \
                 least 100 of them match Pinterest users",
                to_add.len() + unchanged
            ));
        }
        lists.push(ListPlan {
            list_type: list.list_type,
            name,
            list_id,
            adds: to_add.len(),
            removes: to_remove.len(),
            unchanged,
            to_add,
            to_remove,
        });
    }
    Ok(Plan {
        connection: connection.name,
        ad_account_id: connection.ad_account_id,
        file: preview.path.clone(),
        spec,
        summary: output.summary,
        lists,
        warnings,
    })
}

impl Plan {
    /// Records per request: the user's batch size, held under the byte cap.
    pub fn records_per_batch(&self) -> usize {
        self.spec
            .batch_size
            .clamp(1, MAX_BATCH_BYTES / DIGEST_BYTES)
    }

    fn batches(&self) -> Vec<PlannedBatch> {
        let size = self.records_per_batch();
        let mut batches = Vec::new();
        for list in &self.lists {
            for (i, chunk) in list.to_add.chunks(size).enumerate() {
                let op = if i == 0 && list.list_id.is_none() {
                    BatchOp::Create
                } else {
                    BatchOp::Add
                };
                batches.push((list.list_type, op, chunk.to_vec()));
            }
            for chunk in list.to_remove.chunks(size) {
                batches.push((list.list_type, BatchOp::Remove, chunk.to_vec()));
            }
        }
        batches
    }

    pub fn is_empty(&self) -> bool {
        self.lists.iter().all(|l| l.adds == 0 && l.removes == 0)
    }

    /// Journals the job and its batches; nothing is sent yet.
    pub fn create_job(&self, core: &Core) -> Result<i64, SyncError> {
        let spec =
            serde_json::to_string(&self.spec).map_err(|e| SyncError::Invalid(e.to_string()))?;
        let job = JobRow {
            id: 0,
            connection: self.connection.clone(),
            ad_account_id: self.ad_account_id.clone(),
            file: self.file.display().to_string(),
            spec,
            state: JobState::Running,
            message: None,
            summary: None,
            scan: serde_json::to_string(&self.summary).ok(),
            created_at: 0,
            updated_at: 0,
        };
        let lists: Vec<JobList> = self
            .lists
            .iter()
            .map(|l| JobList {
                list_type: l.list_type,
                list_name: l.name.clone(),
                list_id: l.list_id.clone(),
                audience_id: None,
            })
            .collect();
        let id =
            core.store
                .lock()
                .expect("store lock")
                .create_job(&job, &lists, &self.batches())?;
        Ok(id)
    }
}
