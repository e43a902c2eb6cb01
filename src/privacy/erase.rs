//! Erasure: a person taken out of every list this app put them in, on every connection, and
//! kept out of every later run. The steps are recorded one at a time (the people, then their
//! suppression, then one removal job per list), so an erasure cut short is finished by
//! carrying it out again: what is missing is added, unfinished jobs resume where they stopped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use tokio::sync::watch;

use super::PrivacyError;
use super::receipt::{Receipt, receipt, write_receipt};
use crate::context::Core;
use crate::identity::{Digest, ListType};
use crate::pinterest::ConnectionState;
use crate::source::{Preview, Progress, scan};
use crate::store::{
    BatchOp, ErasedIdentity, HeldIn, JobList, JobRow, JobState, StoreError, SuppressionKind,
};
use crate::upload::{
    Control, DEFAULT_BATCH_SIZE, JobProgress, JobSpec, Mode, RemovalShare, Target, run_job,
};

/// The most people one erasure takes: its receipt lists each.
pub const MAX_ERASED: usize = 100_000;

/// The identities of a file (mapped like an upload's), for an erasure.
pub fn identities_in_file(
    core: &Core,
    preview: &Preview,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<Vec<ErasedIdentity>, PrivacyError> {
    let plan = preview.scan_plan(&core.memory)?;
    let output = scan(&plan, &mut |_| {}, on_progress, &AtomicBool::new(false))?;
    let mut identities = Vec::new();
    for list in &output.lists {
        for digest in list.digests() {
            let digest = digest.map_err(|e| crate::source::SourceError::io(&preview.path, e))?;
            identities.push(ErasedIdentity {
                list_type: list.list_type,
                digest: digest.to_hex(),
            });
            if identities.len() > MAX_ERASED {
                return Err(PrivacyError::Invalid(format!(
                    "{} holds more than {} people; one erasure takes at most that many, so \
                     split the file",
                    preview.path.display(),
                    crate::display::group(MAX_ERASED as u64)
                )));
            }
        }
    }
    Ok(identities)
}

/// Records an erasure of `identities` and its first steps (their suppression, the removal
/// jobs); nothing is sent yet. Returns its id.
pub fn start_erasure(core: &Core, identities: &[ErasedIdentity]) -> Result<i64, PrivacyError> {
    let unique: BTreeSet<_> = identities
        .iter()
        .map(|i| (i.list_type, i.digest.clone()))
        .collect();
    if unique.is_empty() {
        return Err(PrivacyError::Invalid(
            "there is no one to erase: name a value or a file".into(),
        ));
    }
    let identities: Vec<ErasedIdentity> = unique
        .into_iter()
        .map(|(list_type, digest)| ErasedIdentity { list_type, digest })
        .collect();
    if identities.iter().any(|i| i.digest().is_none()) {
        return Err(PrivacyError::Invalid(
            "an identity to erase is not a SHA-256 digest".into(),
        ));
    }
    let id = core.store().begin_erasure(&identities)?;
    prepare(core, id)?;
    Ok(id)
}

/// Sends an erasure's removals (what an earlier run left unfinished, or all of them) and
/// writes its receipt, before sending and again after. A connection that needs a reconnect
/// leaves its lists pending, with why, and the others go on.
pub async fn carry_out(
    core: &Arc<Core>,
    erasure: i64,
    control: Arc<Control>,
) -> Result<(Receipt, PathBuf), PrivacyError> {
    let jobs = off_workers(core, move |core| {
        let jobs = prepare(core, erasure)?;
        write_receipt(core, &receipt(core, erasure, &BTreeMap::new())?)?;
        Ok::<_, PrivacyError>(jobs)
    })
    .await?;
    let mut notes = BTreeMap::new();
    for job in jobs {
        let Some(row) = off_workers(core, move |core| core.store().job(job)).await? else {
            continue;
        };
        if row.state == JobState::Completed {
            continue;
        }
        if control.is_cancelled() {
            notes.insert(job, "stopped before it was sent".to_owned());
            continue;
        }
        match core.connection_status(&row.connection).await {
            Ok(status)
                if matches!(
                    status.state,
                    ConnectionState::Connected | ConnectionState::Refreshing
                ) => {}
            Ok(status) => {
                notes.insert(
                    job,
                    format!(
                        "connection '{}' needs to log in to Pinterest again ({}); nothing was \
                         sent to this list",
                        row.connection,
                        status.message.as_deref().unwrap_or(status.state.label())
                    ),
                );
                continue;
            }
            Err(e) => {
                notes.insert(job, e.to_string());
                continue;
            }
        }
        if let Some(note) = run_until_reconnect(core, job, &row.connection, &control).await {
            notes.insert(job, note);
        }
    }
    off_workers(core, move |core| {
        let receipt = receipt(core, erasure, &notes)?;
        let path = write_receipt(core, &receipt)?;
        Ok((receipt, path))
    })
    .await
}

/// Runs `work` with the core on the blocking pool: the store is never locked on a runtime
/// worker.
async fn off_workers<T: Send + 'static>(
    core: &Arc<Core>,
    work: impl FnOnce(&Core) -> T + Send + 'static,
) -> T {
    let core = core.clone();
    crate::store::blocking(move || work(&core)).await
}

/// Runs one removal job; a login Pinterest stops taking midway stops it (the job would wait
/// for a reconnect) and leaves it pending, so the erasure's other lists go on. Returns why it
/// did not complete, when it did not.
async fn run_until_reconnect(
    core: &Core,
    job: i64,
    connection: &str,
    outer: &Arc<Control>,
) -> Option<String> {
    let control = Arc::new(Control::default());
    let (progress, mut seen) = watch::channel(JobProgress::new(job));
    let watcher = {
        let (control, outer) = (control.clone(), outer.clone());
        tokio::spawn(async move {
            loop {
                if outer.is_cancelled() {
                    control.interrupt();
                    return false;
                }
                if seen.borrow().state == JobState::WaitingForReconnect {
                    control.interrupt();
                    return true;
                }
                let _ = tokio::time::timeout(std::time::Duration::from_millis(200), seen.changed())
                    .await;
            }
        })
    };
    let ran = run_job(core, job, control, progress).await;
    let reconnect = if watcher.is_finished() {
        watcher.await.unwrap_or(false)
    } else {
        watcher.abort();
        false
    };
    if reconnect {
        return Some(format!(
            "connection '{connection}' needs to log in to Pinterest again; what was not sent \
             to this list waits"
        ));
    }
    match ran {
        Ok(report) if report.progress.state == JobState::Completed => None,
        Ok(report) => Some(
            report
                .progress
                .message
                .unwrap_or_else(|| report.progress.state.label().to_owned()),
        ),
        Err(e) => Some(e.to_string()),
    }
}

/// Adds what an erasure is missing: its suppression, and a removal job for every list that
/// holds any of its people and has no unfinished job of this erasure. Returns its jobs.
fn prepare(core: &Core, erasure: i64) -> Result<Vec<i64>, PrivacyError> {
    let row = core
        .store()
        .erasure(erasure)?
        .ok_or(PrivacyError::NoSuchErasure(erasure))?;
    let people: Vec<(ListType, Digest)> = row
        .identities
        .iter()
        .filter_map(|i| i.digest().map(|d| (i.list_type, d)))
        .collect();
    if row.source_id.is_none() {
        let mut digests = people.iter().map(|p| Ok::<_, StoreError>(*p));
        let source = core.store.lock().add_suppression(
            SuppressionKind::Erasure,
            &format!("erasure {erasure}"),
            "erased",
            &mut digests,
        )?;
        core.store().set_erasure_source(erasure, source)?;
    }
    let mut holding: BTreeMap<(String, String), (HeldIn, ListType, Vec<Digest>)> = BTreeMap::new();
    for (list_type, digest) in &people {
        for held in core.store().lists_holding(*list_type, digest)? {
            holding
                .entry((held.ad_account_id.clone(), held.list_id.clone()))
                .or_insert_with(|| (held, *list_type, Vec::new()))
                .2
                .push(*digest);
        }
    }
    let mut open = BTreeSet::new();
    for job in &row.jobs {
        let store = core.store();
        let Some(unfinished) = store.job(*job)?.filter(|j| j.state != JobState::Completed) else {
            continue;
        };
        for list in store.job_lists(*job)? {
            let key = (
                unfinished.ad_account_id.clone(),
                list.list_id.unwrap_or_default(),
            );
            open.insert(key);
        }
    }
    let mut jobs = row.jobs.clone();
    for (key, (held, list_type, mut digests)) in holding {
        if open.contains(&key) {
            continue;
        }
        digests.sort();
        let job = removal_job(core, erasure, &held, list_type, &digests)?;
        core.store().add_erasure_job(erasure, job)?;
        jobs.push(job);
    }
    Ok(jobs)
}

/// Journals the removal of `digests` from one list: no guard or floor holds it (an erasure
/// is owed whatever the list's size).
fn removal_job(
    core: &Core,
    erasure: i64,
    list: &HeldIn,
    list_type: ListType,
    digests: &[Digest],
) -> Result<i64, PrivacyError> {
    let mut spec = JobSpec::new(
        Mode::Remove,
        Target::List(list.list_id.clone()),
        false,
        DEFAULT_BATCH_SIZE,
    );
    spec.max_removal_share = Some(RemovalShare(1.0));
    spec.floor = Some(0);
    let spec = serde_json::to_string(&spec).map_err(|e| PrivacyError::Invalid(e.to_string()))?;
    let row = JobRow {
        id: 0,
        connection: list.connection.clone(),
        ad_account_id: list.ad_account_id.clone(),
        file: PathBuf::from(format!("erasure {erasure}")),
        query: None,
        spec,
        state: JobState::Running,
        message: None,
        summary: None,
        scan: None,
        created_at: 0,
        updated_at: 0,
    };
    let lists = [JobList {
        list_type,
        list_name: list.list_name.clone(),
        list_id: Some(list.list_id.clone()),
        audience_id: list.audience_id.clone(),
    }];
    let batches: Vec<_> = digests
        .chunks(DEFAULT_BATCH_SIZE)
        .map(|chunk| (list_type, BatchOp::Remove, chunk.to_vec()))
        .collect();
    Ok(core.store.lock().create_job(&row, &lists, &batches)?)
}
