use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use serde::{Deserialize, Serialize};

use crate::context::Core;
use crate::identity::{Digest, ListType};
use crate::pinterest::PinterestError;
use crate::source::{DigestList, Preview, Progress, SourceError, Summary, scan};
use crate::store::{BatchOp, DigestPages, JobList, JobRow, JobState, NewJob, Store, StoreError};

/// Records per request when the user does not say; about 650 kB of digests.
pub const DEFAULT_BATCH_SIZE: usize = 10_000;
/// Pinterest documents no request size limit; peers stay near 1 MB, so batches do too.
const MAX_BATCH_BYTES: usize = 1_000_000;
/// Bytes a digest takes in `records`: 64 hex digits and a comma.
const DIGEST_BYTES: usize = 65;
/// The home's disk per record a job sends: its journal's digest and the ledger's row (about
/// 104 bytes measured by `bench_upload`) with room for SQLite's write-ahead log.
const HOME_BYTES_PER_RECORD: u64 = 140;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Add,
    Remove,
    /// Make the list hold exactly the file: add what is new, remove what this app added before
    /// and the file no longer has.
    Mirror,
}

impl Mode {
    /// "add", "remove", "mirror", as the command line spells them.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Add => "add",
            Mode::Remove => "remove",
            Mode::Mirror => "mirror",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    NewList(String),
    List(String),
    /// A saved sync's lists: the ones its earlier runs made, by list type; a type without one
    /// gets a new list named after `name`, as `NewList` would.
    SyncLists {
        name: String,
        lists: BTreeMap<ListType, KnownList>,
    },
}

/// A list a sync made on an earlier run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownList {
    pub id: String,
    pub name: String,
}

impl Target {
    /// The existing list that identities of `list_type` go to; `None` when the job makes it.
    pub fn existing(&self, list_type: ListType) -> Option<&str> {
        match self {
            Target::NewList(_) => None,
            Target::List(id) => Some(id),
            Target::SyncLists { lists, .. } => lists.get(&list_type).map(|l| l.id.as_str()),
        }
    }

    /// The name and (when it exists) the id of the list for `list_type`, in a file of
    /// `types` list types.
    fn list_for(&self, list_type: ListType, types: usize) -> (String, Option<String>) {
        let new = |name: &str| {
            if types > 1 {
                format!("{name} ({list_type})")
            } else {
                name.to_owned()
            }
        };
        match self {
            Target::NewList(name) => (new(name), None),
            Target::List(id) => (format!("list {id}"), Some(id.clone())),
            Target::SyncLists { name, lists } => match lists.get(&list_type) {
                Some(known) => (known.name.clone(), Some(known.id.clone())),
                None => (new(name), None),
            },
        }
    }
}

/// A job's settings, journaled with it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct JobSpec {
    pub mode: Mode,
    pub target: Target,
    pub create_audience: bool,
    pub batch_size: usize,
    /// The largest share (0 to 1) of what the ledger holds in a list that one job removes
    /// without a confirmation; `None` is `DEFAULT_MAX_REMOVAL_SHARE`, 1 turns the guard off.
    #[serde(default)]
    pub max_removal_share: Option<RemovalShare>,
    /// Why the job's removals wait for a confirmation, when they do: set by the plan, cleared
    /// by `confirm_removals`.
    #[serde(default)]
    pub removals_held: Option<String>,
    /// The fewest people a list may be left with by this job's removals without a
    /// confirmation; `None` is `DEFAULT_FLOOR`, 0 turns the floor off.
    #[serde(default)]
    pub floor: Option<u64>,
}

/// Pinterest stops serving an audience under 100 matched people (TOO_SMALL): removals that
/// would leave a list under this wait for a confirmation.
pub const DEFAULT_FLOOR: u64 = 100;

/// A job that would remove more than this share of a list's people holds its removals: a
/// truncated export must not drain a list unattended.
pub const DEFAULT_MAX_REMOVAL_SHARE: f64 = 0.2;

impl JobSpec {
    pub fn new(mode: Mode, target: Target, create_audience: bool, batch_size: usize) -> Self {
        JobSpec {
            mode,
            target,
            create_audience,
            batch_size,
            max_removal_share: None,
            removals_held: None,
            floor: None,
        }
    }

    fn floor(&self) -> u64 {
        self.floor.unwrap_or(DEFAULT_FLOOR)
    }

    fn removal_share(&self) -> f64 {
        self.max_removal_share
            .map_or(DEFAULT_MAX_REMOVAL_SHARE, |s| s.0)
    }
}

/// A share of a list: above 0 and at most 1 (never NaN: it is made by
/// `parse_removal_share`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RemovalShare(pub f64);

impl Eq for RemovalShare {}

/// `--max-removal-share` as typed: a number above 0 and at most 1.
pub fn parse_removal_share(text: &str) -> Result<RemovalShare, String> {
    match text.trim().parse::<f64>() {
        Ok(share) if share > 0.0 && share <= 1.0 => Ok(RemovalShare(share)),
        _ => Err(format!(
            "'{text}' is not a share of a list: write a number above 0 and at most 1 (0.2 is \
             a fifth; 1 turns the guard off)"
        )),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Pinterest(#[from] PinterestError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
    #[error("there is no job {0}")]
    NoSuchJob(i64),
    #[error("the file has no valid identity to send; the preview (or inspect) shows why")]
    NothingValid,
    #[error(
        "list {list} is one list, but the file has {types} identities; map the others to \
         ignore, or send to new lists (one per kind)"
    )]
    OneListManyKinds { list: String, types: String },
    #[error("'{0}' is not a customer list ID (digits only)")]
    NotAListId(String),
    #[error("removing from a new list does nothing; pick the existing list to remove from")]
    RemoveFromNewList,
    #[error(
        "job {0} was taken over by another process while this one was silent; it goes on there"
    )]
    TakenOver(i64),
}

impl crate::remedy::HasRemedy for JobError {
    fn remedy(&self) -> Option<crate::remedy::Remedy> {
        use crate::remedy::Remedy;
        match self {
            JobError::Source(e) => e.remedy(),
            JobError::Pinterest(e) => e.remedy(),
            JobError::Store(e) => e.remedy(),
            JobError::NoSuchJob(_) => Some(Remedy::ListJobs),
            JobError::NothingValid => Some(Remedy::MapColumns),
            JobError::OneListManyKinds { .. } => Some(Remedy::UseNewLists),
            JobError::NotAListId(_) => Some(Remedy::LookUpLists { connection: None }),
            JobError::RemoveFromNewList => Some(Remedy::PickExistingList),
            JobError::Invalid(_) | JobError::TakenOver(_) => None,
        }
    }
}

/// What one list will get.
#[derive(Clone, Debug, Serialize)]
pub struct ListPlan {
    pub list_type: ListType,
    pub name: String,
    /// Set when the target list exists already.
    pub list_id: Option<String>,
    pub adds: usize,
    pub removes: usize,
    pub unchanged: usize,
    /// The file's identities kept out because the home suppresses them (a mirror's removals
    /// of them are counted in `removes` too).
    pub suppressed: usize,
    /// The file's unique digests of this type (in memory, or on disk past the memory budget).
    #[serde(skip)]
    digests: DigestList,
    #[serde(skip)]
    diff: Diff,
    /// Whether the walk reads the suppression list (an add or mirror, when it holds any
    /// identity of this type).
    #[serde(skip)]
    suppressing: bool,
}

/// How a list's file digests become additions and removals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Diff {
    AddAll,
    RemoveAll,
    /// Against the ledger of the existing list: both walked in digest order.
    Mirror,
}

/// Where a digest goes in a diff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Add,
    Remove,
    Unchanged,
    /// In the file, but suppressed: not sent.
    KeptOut,
    /// In the file and in the list, but suppressed: removed.
    Withdrawn,
}

/// Everything an upload would do, computed before anything is sent.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub connection: String,
    pub ad_account_id: String,
    pub file: PathBuf,
    /// For a query's result: the database, as shown (`file` is the result's scratch copy).
    pub query: Option<String>,
    /// The query's result, held while the plan may still read its copy (`create_job`).
    #[serde(skip)]
    pub held: Option<std::sync::Arc<crate::source::QueryResult>>,
    pub spec: JobSpec,
    pub summary: Summary,
    pub lists: Vec<ListPlan>,
    /// Said before sending: lists under 100 identities, a mirror that knows nothing yet.
    pub warnings: Vec<String>,
    /// Disk the job needs in the home (journal and ledger), and what is free there.
    pub home_needed: u64,
    pub home_free: Option<u64>,
}

/// Reads the file once and works out every list's additions and removals.
pub fn plan_upload(
    core: &Core,
    connection: &str,
    preview: &Preview,
    spec: JobSpec,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<Plan, JobError> {
    let connection = core.connection(connection)?;
    if spec.batch_size == 0 {
        return Err(JobError::Invalid(
            "the batch size must be at least 1".into(),
        ));
    }
    let scan_plan = preview.scan_plan(&core.memory)?;
    let output = scan(
        &scan_plan,
        &mut |_| {},
        on_progress,
        &AtomicBool::new(false),
    )?;
    let types: Vec<ListType> = output.lists.iter().map(|l| l.list_type).collect();
    if types.is_empty() {
        return Err(JobError::NothingValid);
    }
    if let Target::List(id) = &spec.target {
        if types.len() > 1 {
            return Err(JobError::OneListManyKinds {
                list: id.clone(),
                types: types
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(" and "),
            });
        }
        if !id.bytes().all(|b| b.is_ascii_digit()) || id.is_empty() || id.len() > 18 {
            return Err(JobError::NotAListId(id.clone()));
        }
    }
    if matches!(spec.target, Target::NewList(_)) && spec.mode == Mode::Remove {
        return Err(JobError::RemoveFromNewList);
    }
    let mut lists = Vec::new();
    let mut warnings = Vec::new();
    // A mirror onto an existing list reads its ledger, through a connection of its own (the
    // core's stays free for others meanwhile), a page at a time.
    let mirrors =
        spec.mode == Mode::Mirror && types.iter().any(|t| spec.target.existing(*t).is_some());
    let mut suppressing = BTreeMap::new();
    for list_type in &types {
        let on = spec.mode != Mode::Remove && core.store().suppresses_any(*list_type)?;
        suppressing.insert(*list_type, on);
    }
    let reader = (mirrors || suppressing.values().any(|on| *on))
        .then(|| Store::open(&core.home))
        .transpose()?;
    for mut file in output.lists {
        let list_type = file.list_type;
        let suppressing = suppressing[&list_type];
        let (name, list_id) = spec.target.list_for(list_type, types.len());
        let diff = match (spec.mode, &list_id) {
            (Mode::Add, _) | (Mode::Mirror, None) => Diff::AddAll,
            (Mode::Remove, _) => Diff::RemoveAll,
            (Mode::Mirror, Some(_)) => Diff::Mirror,
        };
        // The walk meets the file, the ledger and the suppression list in digest order.
        if diff == Diff::Mirror || suppressing {
            file.sort();
        }
        let counts = match diff {
            // Every digest goes one way: no need to read them.
            Diff::AddAll if !suppressing => SideCounts {
                adds: file.len(),
                ..SideCounts::default()
            },
            Diff::RemoveAll => SideCounts {
                removes: file.len(),
                ..SideCounts::default()
            },
            _ => {
                let mut counts = SideCounts::default();
                walk(
                    &preview.path,
                    &file,
                    diff,
                    ledger_of(
                        reader.as_ref(),
                        &connection.ad_account_id,
                        list_id.as_deref(),
                    ),
                    suppressed_of(reader.as_ref(), suppressing, list_type),
                    |side, _| {
                        counts.count(side);
                        Ok(())
                    },
                )?;
                counts
            }
        };
        let SideCounts {
            adds,
            removes,
            unchanged,
            suppressed,
        } = counts;
        if let (Diff::Mirror, Some(id)) = (diff, &list_id)
            && removes + unchanged == 0
        {
            warnings.push(format!(
                "this app has not added anything to list {id} yet, so mirror can only add; it \
                 removes only what it added itself"
            ));
        }
        if spec.mode != Mode::Remove && adds + unchanged < 100 {
            warnings.push(format!(
                "{name} would hold {}; Pinterest will not target a list until at least 100 of \
                 them match Pinterest users",
                crate::display::count((adds + unchanged) as u64, "identity", "identities")
            ));
        }
        lists.push(ListPlan {
            list_type,
            name,
            list_id,
            adds,
            removes,
            unchanged,
            suppressed,
            digests: file,
            diff,
            suppressing,
        });
    }
    let mut summary = output.summary;
    for counts in &mut summary.lists {
        counts.suppressed = lists
            .iter()
            .find(|l| l.list_type == counts.list_type)
            .map_or(0, |l| l.suppressed as u64);
    }
    let mut spec = spec;
    spec.removals_held = removal_guard(core, &connection.ad_account_id, &spec, &lists)?;
    let records: usize = lists.iter().map(|l| l.adds + l.removes).sum();
    Ok(Plan {
        home_needed: records as u64 * HOME_BYTES_PER_RECORD,
        home_free: crate::os::free_space(&core.home),
        connection: connection.name,
        ad_account_id: connection.ad_account_id,
        file: preview.path.clone(),
        query: preview.query.clone(),
        held: preview.held.clone(),
        spec,
        summary,
        lists,
        warnings,
    })
}

/// Lets a job whose removals are held send them when it next runs (`resume`).
pub fn confirm_removals(core: &Core, job: i64) -> Result<(), JobError> {
    let row = core.store().job(job)?.ok_or(JobError::NoSuchJob(job))?;
    let mut spec: JobSpec = crate::store::parsed(job, "settings", Some(&row.spec))?
        .ok_or_else(|| JobError::Invalid(format!("job {job} has no settings")))?;
    if spec.removals_held.take().is_none() {
        return Ok(());
    }
    spec.max_removal_share = Some(RemovalShare(1.0));
    spec.floor = Some(0);
    let json = serde_json::to_string(&spec).map_err(|e| JobError::Invalid(e.to_string()))?;
    core.store().set_job_spec(job, &json)?;
    Ok(())
}

/// The sentence that holds a job's removals, when one list would lose more than the guard's
/// share of what this app put in it, or be left with fewer people than the floor.
fn removal_guard(
    core: &Core,
    ad_account_id: &str,
    spec: &JobSpec,
    lists: &[ListPlan],
) -> Result<Option<String>, JobError> {
    let (share, floor) = (spec.removal_share(), spec.floor());
    if share >= 1.0 && floor == 0 {
        return Ok(None);
    }
    let mut held = Vec::new();
    for list in lists.iter().filter(|l| l.removes > 0) {
        let Some(id) = &list.list_id else { continue };
        let holds = match list.diff {
            Diff::Mirror => (list.removes + list.unchanged) as u64,
            _ => core.store().ledger_count(ad_account_id, id)?,
        };
        let left = (holds + list.adds as u64).saturating_sub(list.removes as u64);
        if share < 1.0 && holds > 0 && list.removes as f64 > share * holds as f64 {
            held.push(format!(
                "take out {} of the {} this app put in {} (more than {:.0}%)",
                crate::display::group(list.removes as u64),
                crate::display::count(holds, "person", "people"),
                list.name,
                share * 100.0
            ));
        } else if left < floor {
            held.push(format!(
                "leave {} with {}, under the floor of {} (Pinterest stops serving an audience \
                 under 100 people)",
                list.name,
                crate::display::count(left, "person", "people"),
                crate::display::group(floor)
            ));
        }
    }
    Ok((!held.is_empty()).then(|| {
        format!(
            "the removals are held: they would {}. A cut-short export looks like this, so \
             nothing is removed until you confirm",
            held.join(", and ")
        )
    }))
}

impl Plan {
    /// Records per request: the user's batch size, held under the byte cap.
    pub fn records_per_batch(&self) -> usize {
        self.spec
            .batch_size
            .clamp(1, MAX_BATCH_BYTES / DIGEST_BYTES)
    }

    /// "Disk: about X in the home for the journal and the ledger (Y free)."
    pub fn disk_line(&self) -> String {
        let free = self
            .home_free
            .map(|free| format!(" ({} free)", crate::display::bytes(free)))
            .unwrap_or_default();
        format!(
            "Disk: about {} in the home for the journal and the ledger{free}.",
            crate::display::bytes(self.home_needed)
        )
    }

    pub fn is_empty(&self) -> bool {
        self.lists.iter().all(|l| l.adds == 0 && l.removes == 0)
    }

    /// Journals the job and its batches; nothing is sent yet. Refused when the home's disk
    /// lacks the room the journal and the ledger need.
    pub fn create_job(&self, core: &Core) -> Result<i64, JobError> {
        room_for(
            self.home_needed,
            crate::os::free_space(&core.home),
            &core.home,
        )?;
        let spec =
            serde_json::to_string(&self.spec).map_err(|e| JobError::Invalid(e.to_string()))?;
        let job = JobRow {
            id: 0,
            connection: self.connection.clone(),
            ad_account_id: self.ad_account_id.clone(),
            file: self.file.clone(),
            query: self.query.clone(),
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
        // The ledger and the suppression list are read beside the journal's write
        // transaction, on a connection of their own.
        let reads = self
            .lists
            .iter()
            .any(|l| l.diff == Diff::Mirror || l.suppressing);
        let reader = reads.then(|| Store::open(&core.home)).transpose()?;
        let mut store = core.store.lock();
        let mut new = store.begin_job(&job, &lists)?;
        let size = self.records_per_batch();
        for list in &self.lists {
            let mut batches = Batches {
                new: &mut new,
                list_type: list.list_type,
                size,
                // The first batch of a new list creates it.
                create: list.list_id.is_none(),
                adds: Vec::with_capacity(size),
                removes: Vec::new(),
            };
            walk(
                &self.file,
                &list.digests,
                list.diff,
                ledger_of(
                    reader.as_ref(),
                    &self.ad_account_id,
                    list.list_id.as_deref(),
                ),
                suppressed_of(reader.as_ref(), list.suppressing, list.list_type),
                |side, digest| batches.push(side, digest),
            )?;
            batches.finish()?;
        }
        Ok(new.commit()?)
    }
}

/// Refuses a job the home's disk has no room for, with what to do.
fn room_for(needed: u64, free: Option<u64>, home: &Path) -> Result<(), JobError> {
    match free {
        Some(free) if free < needed => Err(JobError::Invalid(format!(
            "the job needs about {} of disk in {} for its journal and the ledger, and only {} \
             is free there; free some space, or set AUDIENCE_DESK_HOME to a disk with room",
            crate::display::bytes(needed),
            home.display(),
            crate::display::bytes(free)
        ))),
        _ => Ok(()),
    }
}

/// A list's batches, written to the journal as they fill.
struct Batches<'a, 'j> {
    new: &'a mut NewJob<'j>,
    list_type: ListType,
    size: usize,
    create: bool,
    adds: Vec<Digest>,
    removes: Vec<Digest>,
}

impl Batches<'_, '_> {
    fn push(&mut self, side: Side, digest: Digest) -> Result<(), JobError> {
        match side {
            Side::Add => self.adds.push(digest),
            Side::Remove | Side::Withdrawn => self.removes.push(digest),
            Side::Unchanged | Side::KeptOut => {}
        }
        if self.adds.len() >= self.size {
            self.flush_adds()?;
        }
        if self.removes.len() >= self.size {
            self.flush_removes()?;
        }
        Ok(())
    }

    fn flush_adds(&mut self) -> Result<(), JobError> {
        let op = if std::mem::take(&mut self.create) {
            BatchOp::Create
        } else {
            BatchOp::Add
        };
        self.new.add_batch(self.list_type, op, &self.adds)?;
        self.adds.clear();
        Ok(())
    }

    fn flush_removes(&mut self) -> Result<(), JobError> {
        self.new
            .add_batch(self.list_type, BatchOp::Remove, &self.removes)?;
        self.removes.clear();
        Ok(())
    }

    fn finish(mut self) -> Result<(), JobError> {
        if !self.adds.is_empty() {
            self.flush_adds()?;
        }
        if !self.removes.is_empty() {
            self.flush_removes()?;
        }
        Ok(())
    }
}

/// The ledger of the existing list a mirror diffs against (nothing for a new list, or when
/// no mirror needs one).
fn ledger_of<'a>(
    store: Option<&'a Store>,
    ad_account_id: &str,
    list_id: Option<&str>,
) -> impl Iterator<Item = Result<Digest, StoreError>> + 'a {
    store
        .zip(list_id)
        .map(|(store, id)| DigestPages::ledger(store, ad_account_id, id))
        .into_iter()
        .flatten()
}

/// The suppression list of `list_type`, when the walk reads it.
fn suppressed_of<'a>(
    store: Option<&'a Store>,
    suppressing: bool,
    list_type: ListType,
) -> impl Iterator<Item = Result<Digest, StoreError>> + 'a {
    store
        .filter(|_| suppressing)
        .map(|store| DigestPages::suppressed(store, list_type))
        .into_iter()
        .flatten()
}

/// How many of a list's digests went each way.
#[derive(Clone, Copy, Debug, Default)]
struct SideCounts {
    adds: usize,
    removes: usize,
    unchanged: usize,
    suppressed: usize,
}

impl SideCounts {
    fn count(&mut self, side: Side) {
        match side {
            Side::Add => self.adds += 1,
            Side::Remove => self.removes += 1,
            Side::Unchanged => self.unchanged += 1,
            Side::KeptOut => self.suppressed += 1,
            Side::Withdrawn => {
                self.removes += 1;
                self.suppressed += 1;
            }
        }
    }
}

/// The suppression list, asked about digests in increasing order: each question reads it
/// only as far as that digest.
struct Suppressed<I> {
    digests: I,
    next: Option<Digest>,
}

impl<I: Iterator<Item = Result<Digest, StoreError>>> Suppressed<I> {
    fn new(mut digests: I) -> Result<Self, StoreError> {
        let next = digests.next().transpose()?;
        Ok(Suppressed { digests, next })
    }

    fn holds(&mut self, digest: &Digest) -> Result<bool, StoreError> {
        while let Some(next) = self.next {
            if next >= *digest {
                return Ok(next == *digest);
            }
            self.next = self.digests.next().transpose()?;
        }
        Ok(false)
    }
}

/// Sends each of a list's digests to `on` with where it goes. A mirror walks the file's
/// digests and the ledger's together, both in digest order: only in the file is an addition,
/// only in the ledger a removal, in both unchanged. A digest of the file the suppression list
/// holds is kept out (or, when the list holds it, removed); the file is then in digest order
/// too. Memory stays bounded whatever the sizes.
fn walk(
    path: &Path,
    file: &DigestList,
    diff: Diff,
    mut ledger: impl Iterator<Item = Result<Digest, StoreError>>,
    suppressed: impl Iterator<Item = Result<Digest, StoreError>>,
    mut on: impl FnMut(Side, Digest) -> Result<(), JobError>,
) -> Result<(), JobError> {
    let mut suppressed = Suppressed::new(suppressed)?;
    let mut digests = file.digests();
    let mut next_in_file = || -> Result<Option<Digest>, JobError> {
        Ok(digests
            .next()
            .transpose()
            .map_err(|e| SourceError::io(path, e))?)
    };
    match diff {
        Diff::RemoveAll => {
            while let Some(digest) = next_in_file()? {
                on(Side::Remove, digest)?;
            }
        }
        Diff::AddAll => {
            while let Some(digest) = next_in_file()? {
                let side = if suppressed.holds(&digest)? {
                    Side::KeptOut
                } else {
                    Side::Add
                };
                on(side, digest)?;
            }
        }
        Diff::Mirror => {
            let (mut ours, mut theirs) = (next_in_file()?, ledger.next().transpose()?);
            loop {
                let (side, digest) = match (ours, theirs) {
                    (None, None) => break,
                    (Some(a), None) => (Side::Add, a),
                    (None, Some(b)) => (Side::Remove, b),
                    (Some(a), Some(b)) => match a.cmp(&b) {
                        std::cmp::Ordering::Less => (Side::Add, a),
                        std::cmp::Ordering::Greater => (Side::Remove, b),
                        std::cmp::Ordering::Equal => (Side::Unchanged, a),
                    },
                };
                // Only the file's digests are asked about, and those come in order.
                let side = match side {
                    Side::Add if suppressed.holds(&digest)? => Side::KeptOut,
                    Side::Unchanged if suppressed.holds(&digest)? => Side::Withdrawn,
                    side => side,
                };
                on(side, digest)?;
                if side != Side::Remove {
                    ours = next_in_file()?;
                }
                if matches!(side, Side::Remove | Side::Unchanged | Side::Withdrawn) {
                    theirs = ledger.next().transpose()?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_home_without_room_refuses_the_job_and_says_what_to_do() {
        let home = Path::new("/home/ann/.local/share/audience-desk");
        assert!(room_for(1_000, Some(1_000), home).is_ok());
        assert!(
            room_for(1_000, None, home).is_ok(),
            "unknown free space does not block"
        );
        let said = room_for(14_000_000, Some(2_000_000), home)
            .unwrap_err()
            .to_string();
        assert!(
            said.contains("13.4 MiB") && said.contains("1.9 MiB"),
            "{said}"
        );
        assert!(said.contains("AUDIENCE_DESK_HOME"), "{said}");
    }
}
