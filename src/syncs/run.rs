//! One run of a saved sync: find its file, skip it when nothing changed, check its columns,
//! plan and send it as an ordinary upload job, and keep the run's history.

use std::sync::Arc;

use tokio::sync::watch;

use super::report::{RunReport, planned_report, with_job};
use super::settings::{SyncSettings, SyncTarget};
use super::source_file;
use crate::context::Core;
use crate::pinterest::ConnectionState;
use crate::source::{Preview, PreviewOptions, Progress};
use crate::store::{FileSeen, JobState, Lease, RunRow, RunState, StoreError, SyncRow};
use crate::upload::{
    Control, Heartbeat, JobError, JobProgress, JobSpec, KnownList, Plan, Target, plan_upload,
    run_job,
};

/// What a run is doing, for whoever watches it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RunProgress {
    pub phase: Phase,
    /// The planning pass over the file.
    pub scan: Progress,
    /// The job, once there is one.
    pub job: Option<JobProgress>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Phase {
    #[default]
    Checking,
    Reading,
    Sending,
}

/// How a run ended.
#[derive(Clone, Debug)]
pub struct RunOutcome {
    pub run: i64,
    pub state: RunState,
    pub job: Option<i64>,
    pub message: Option<String>,
    pub report: Option<RunReport>,
}

/// How a run's body ended, before it is written down.
struct Ended {
    state: RunState,
    message: Option<String>,
    report: Option<RunReport>,
}

impl Ended {
    fn refused(message: String) -> Ended {
        Ended {
            state: RunState::Refused,
            message: Some(message),
            report: None,
        }
    }
}

/// Why a run starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trigger {
    /// Asked for: it runs.
    Now,
    /// Asked for, with the removals a guard would hold (or holds from the last run)
    /// confirmed by the user.
    NowConfirmingRemovals,
    /// A watcher found it due when its newest run was `newest_run`: it runs only if no other
    /// process has run it since, so two watchers never both act on one change.
    Due { newest_run: Option<i64> },
}

/// Runs the sync `name` once. Refused (`StoreError::SyncBusy`) while another process runs it;
/// `None` when a due run was already made by another process. Otherwise the run is recorded,
/// whatever happens to it, and its outcome returned.
pub async fn run_sync(
    core: Arc<Core>,
    name: &str,
    control: Arc<Control>,
    progress: watch::Sender<RunProgress>,
    trigger: Trigger,
) -> Result<Option<RunOutcome>, JobError> {
    let sync = {
        let name = name.to_owned();
        core.store.call(move |s| s.sync(&name)).await?
    };
    let settings = super::parse_settings(&sync)?;
    let lease = Lease::for_this_process();
    let (id, revision) = (sync.id, sync.revision);
    let due = {
        let lease = lease.clone();
        core.store
            .call(move |store| {
                store.take_sync_lease(id, &lease)?;
                if let Trigger::Due { newest_run } = trigger {
                    let newest = store.sync_runs(id, 1)?.pop().map(|r| r.id);
                    if newest != newest_run {
                        store.release_sync_lease(id, &lease)?;
                        return Ok(false);
                    }
                }
                Ok::<_, StoreError>(true)
            })
            .await?
    };
    if !due {
        return Ok(None);
    }
    let _beating = {
        let (id, lease) = (sync.id, lease.clone());
        Heartbeat::start(
            core.store.clone(),
            format!("sync '{}'", sync.name),
            move |store| store.renew_sync_lease(id, &lease),
            || {},
        )
    };
    let run = core.store.call(move |s| s.begin_run(id, revision)).await?;
    tracing::info!(sync = %sync.name, run, "sync run started");
    let run_body = Run {
        core: &core,
        sync: &sync,
        settings: &settings,
        id: run,
        control,
        progress,
        confirmed: trigger == Trigger::NowConfirmingRemovals,
    };
    let (ended, job) = match run_body.go().await {
        Ok(done) => done,
        Err((e, job)) => (
            Ended {
                state: RunState::Failed,
                message: Some(e.to_string()),
                report: None,
            },
            job,
        ),
    };
    let report = ended
        .report
        .as_ref()
        .and_then(|r| serde_json::to_string(r).ok());
    {
        let (state, message) = (ended.state, ended.message.clone());
        core.store
            .call(move |store| {
                store.end_run(run, state, message.as_deref(), report.as_deref())?;
                store.release_sync_lease(id, &lease)
            })
            .await?;
    }
    tracing::info!(sync = %sync.name, run, state = ended.state.as_str(), "sync run ended");
    Ok(Some(RunOutcome {
        run,
        state: ended.state,
        job,
        message: ended.message,
        report: ended.report,
    }))
}

struct Run<'a> {
    core: &'a Arc<Core>,
    sync: &'a SyncRow,
    settings: &'a SyncSettings,
    id: i64,
    control: Arc<Control>,
    progress: watch::Sender<RunProgress>,
    /// The user confirmed removals the guard would hold.
    confirmed: bool,
}

type Failed = (JobError, Option<i64>);

impl Run<'_> {
    /// Work that waits on the database or the disk, run off the runtime's workers.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Core) -> T + Send + 'static,
    ) -> T {
        let core = self.core.clone();
        crate::store::blocking(move || work(&core)).await
    }

    async fn go(&self) -> Result<(Ended, Option<i64>), Failed> {
        let fail = |e: JobError| (e, None);
        // Nothing is read, and no job made, for a connection that cannot send.
        let status = self
            .core
            .connection_status(&self.sync.connection)
            .await
            .map_err(|e| fail(e.into()))?;
        if matches!(
            status.state,
            ConnectionState::NotConnected | ConnectionState::ReconnectRequired
        ) {
            return Ok((
                Ended {
                    state: RunState::Failed,
                    message: Some(format!(
                        "the connection '{}' must log in to Pinterest first{}",
                        self.sync.connection,
                        status.message.map(|m| format!("; {m}")).unwrap_or_default()
                    )),
                    report: None,
                },
                None,
            ));
        }
        // A query runs here, off the runtime's workers.
        let source = self.settings.source.clone();
        let (path, seen) = match crate::store::blocking(move || source_file::current(&source)).await
        {
            Ok(found) => found,
            Err(message) => return Ok((Ended::refused(message), None)),
        };
        // A file written a moment ago may still be growing: wait until it is still (whatever
        // the schedule; a watcher has waited already). A query's result is whole already.
        let seen = if matches!(self.settings.source, super::Source::Query(_)) {
            seen
        } else {
            match source_file::settled(&path, seen, super::DEFAULT_SETTLE).await {
                Ok(seen) => seen,
                Err(message) => return Ok((Ended::refused(message), None)),
            }
        };
        let digest = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || source_file::content_digest(&path))
                .await
                .map_err(|e| fail(JobError::Invalid(e.to_string())))?
        };
        let digest = match digest {
            Ok(digest) => digest,
            Err(e) => {
                return Ok((
                    Ended::refused(format!("cannot read {}: {e}", path.display())),
                    None,
                ));
            }
        };
        {
            let (id, seen, digest) = (self.id, seen.clone(), digest.clone());
            self.blocking(move |core| core.store().set_run_file(id, &seen, Some(&digest)))
                .await
                .map_err(|e| fail(e.into()))?;
        }
        let previous = self.previous_run().await.map_err(fail)?;
        if let Some(job) = self
            .resumable(previous.as_ref(), &digest)
            .await
            .map_err(fail)?
        {
            if self.confirmed {
                self.blocking(move |core| crate::upload::confirm_removals(core, job))
                    .await
                    .map_err(fail)?;
            }
            return self.send(job, None).await;
        }
        let suppression_changed = self
            .blocking(|core| core.store().suppression_changed_at())
            .await
            .map_err(|e| fail(e.into()))?;
        if let Some(previous) = &previous
            && matches!(previous.state, RunState::Completed | RunState::Skipped)
            && previous.revision == self.sync.revision
            && previous.file_digest.as_deref() == Some(digest.as_str())
            // The suppression list changed since: who may be sent changed.
            && suppression_changed.is_none_or(|at| at < previous.started_at)
        {
            return Ok((
                Ended {
                    state: RunState::Skipped,
                    message: Some(format!(
                        "{} has not changed since run {}; nothing was sent",
                        path.display(),
                        previous.id
                    )),
                    report: None,
                },
                None,
            ));
        }
        self.supersede(previous.as_ref()).await.map_err(fail)?;
        let mut preview = match Preview::load(
            &path,
            &PreviewOptions {
                header: Some(self.settings.header),
                delimiter: Some(self.settings.delimiter),
                mappings: Vec::new(),
                sample_rows: 0,
                part: self.settings.part.clone(),
            },
        ) {
            Ok(preview) => preview,
            Err(e) => return Ok((Ended::refused(e.to_string()), None)),
        };
        if let super::Source::Query(query) = &self.settings.source {
            preview.query = Some(query.shown());
        }
        let note = match self.settings.apply_columns(&mut preview) {
            Ok(note) => note,
            Err(refusal) => return Ok((Ended::refused(refusal), None)),
        };
        let plan = self.plan(preview).await.map_err(fail)?;
        // Read while it changed: what was read may be half of it. Nothing is sent.
        if source_file::look(&path).ok().as_ref() != Some(&seen) {
            return Ok((
                Ended::refused(format!(
                    "{} changed while it was read; nothing was sent (the next run reads it \
                     again)",
                    path.display()
                )),
                None,
            ));
        }
        let planned = planned_report(&plan);
        if plan.is_empty() {
            return Ok((
                Ended {
                    state: RunState::Completed,
                    message: Some(join_notes(
                        note,
                        "the lists already match the file; nothing to send",
                    )),
                    report: Some(planned),
                },
                None,
            ));
        }
        let job = self
            .blocking(move |core| plan.create_job(core))
            .await
            .map_err(fail)?;
        self.send(job, Some((planned, note))).await
    }

    /// The newest run that read a file (the ones refused before that, or still running,
    /// say nothing of what the lists hold).
    async fn previous_run(&self) -> Result<Option<RunRow>, JobError> {
        let sync = self.sync.id;
        let read = [
            RunState::Completed,
            RunState::Skipped,
            RunState::Failed,
            RunState::Interrupted,
            RunState::Cancelled,
        ];
        Ok(self
            .blocking(move |core| core.store().last_run(sync, &read))
            .await?)
    }

    /// The previous run's job, when it stopped short and this run would send the very same
    /// thing: same file content, same settings. Resuming it sends only what is left.
    async fn resumable(
        &self,
        previous: Option<&RunRow>,
        digest: &str,
    ) -> Result<Option<i64>, JobError> {
        let Some(previous) = previous else {
            return Ok(None);
        };
        let (Some(job), Some(seen)) = (previous.job_id, &previous.file_digest) else {
            return Ok(None);
        };
        if seen != digest || previous.revision != self.sync.revision {
            return Ok(None);
        }
        let state = self
            .blocking(move |core| core.store().job(job))
            .await?
            .map(|j| j.state);
        Ok(state
            .filter(|s| s.is_unfinished() && *s != JobState::Cancelled)
            .map(|_| job))
    }

    /// A job left unfinished by an earlier run whose file or settings were different: this
    /// run's plan replaces it (it reads what the lists hold from the ledger), so the old one
    /// is cancelled, never to be resumed with stale content.
    async fn supersede(&self, previous: Option<&RunRow>) -> Result<(), JobError> {
        let Some(job) = previous.and_then(|p| p.job_id) else {
            return Ok(());
        };
        let why = format!(
            "superseded by run {} of sync '{}', which sends the file as it is now",
            self.id, self.sync.name
        );
        self.blocking(move |core| {
            let mut store = core.store();
            let Some(row) = store.job(job)? else {
                return Ok(());
            };
            if !row.state.is_unfinished() || row.state == JobState::Cancelled {
                return Ok(());
            }
            let lease = Lease::for_this_process();
            store.take_lease(job, &lease)?;
            store.set_job_state(job, &lease, JobState::Cancelled, Some(&why))?;
            Ok(())
        })
        .await
    }

    /// Reads the file for the plan on a blocking thread, reporting progress.
    async fn plan(&self, preview: Preview) -> Result<Plan, JobError> {
        self.progress.send_modify(|p| p.phase = Phase::Reading);
        let spec = JobSpec {
            max_removal_share: match self.confirmed {
                true => Some(crate::upload::RemovalShare(1.0)),
                false => self.settings.max_removal_share,
            },
            floor: match self.confirmed {
                true => Some(0),
                false => self.settings.floor,
            },
            ..JobSpec::new(
                self.settings.mode,
                self.target()?,
                self.settings.create_audience,
                self.settings.batch_size,
            )
        };
        let (core, connection, progress) = (
            self.core.clone(),
            self.sync.connection.clone(),
            self.progress.clone(),
        );
        crate::store::blocking(move || {
            plan_upload(&core, &connection, &preview, spec, &mut |scan| {
                progress.send_modify(|p| p.scan = scan);
            })
        })
        .await
    }

    fn target(&self) -> Result<Target, JobError> {
        Ok(match &self.settings.target {
            SyncTarget::List(id) => Target::List(id.clone()),
            SyncTarget::NewList(name) => Target::SyncLists {
                name: name.clone(),
                lists: super::parse_lists(self.sync)?,
            },
        })
    }

    /// Runs the job, keeps the lists it made, and reports.
    async fn send(
        &self,
        job: i64,
        planned: Option<(RunReport, Option<String>)>,
    ) -> Result<(Ended, Option<i64>), Failed> {
        let planned_json = planned
            .as_ref()
            .and_then(|(report, _)| serde_json::to_string(report).ok());
        let run = self.id;
        self.blocking(move |core| core.store().set_run_job(run, job, planned_json.as_deref()))
            .await
            .map_err(|e| (e.into(), Some(job)))?;
        self.progress.send_modify(|p| p.phase = Phase::Sending);
        let (sender, mut receiver) = watch::channel(JobProgress::new(job));
        let forward = {
            let progress = self.progress.clone();
            tokio::spawn(async move {
                while receiver.changed().await.is_ok() {
                    let job = receiver.borrow().clone();
                    progress.send_modify(|p| p.job = Some(job));
                }
            })
        };
        let result = run_job(self.core, job, self.control.clone(), sender).await;
        let _ = forward.await;
        self.keep_lists(job).await.map_err(|e| (e, Some(job)))?;
        let (planned, note) = match planned {
            Some((planned, note)) => (planned, note),
            // A resumed job: what it planned is in its journal.
            None => (
                self.resumed_report(job).await.map_err(|e| (e, Some(job)))?,
                None,
            ),
        };
        let report = match result {
            Ok(report) => report,
            Err(e) => return Err((e, Some(job))),
        };
        let state = match report.progress.state {
            JobState::Completed => RunState::Completed,
            JobState::Cancelled => RunState::Cancelled,
            JobState::Interrupted => RunState::Interrupted,
            JobState::Held => RunState::Held,
            _ => RunState::Failed,
        };
        let message = match (note, report.progress.message.clone()) {
            (Some(note), Some(m)) => Some(format!("{m}; {note}")),
            (note, m) => m.or(note),
        };
        Ok((
            Ended {
                state,
                message,
                report: Some(with_job(planned, &report)),
            },
            Some(job),
        ))
    }

    /// The report of a resumed job, from what its first run recorded.
    async fn resumed_report(&self, job: i64) -> Result<RunReport, JobError> {
        let sync = self.sync.id;
        let runs = self
            .blocking(move |core| core.store().sync_runs(sync, 1000))
            .await?;
        let earlier = runs
            .iter()
            .rev()
            .find(|r| r.job_id == Some(job) && r.id != self.id && r.report.is_some());
        Ok(earlier
            .and_then(|r| r.report.as_deref())
            .and_then(|r| serde_json::from_str(r).ok())
            .unwrap_or_default())
    }

    /// The lists a job made become the sync's own, so its next runs update them.
    async fn keep_lists(&self, job: i64) -> Result<(), JobError> {
        if !matches!(self.settings.target, SyncTarget::NewList(_)) {
            return Ok(());
        }
        let mut lists = super::parse_lists(self.sync)?;
        let sync = self.sync.id;
        self.blocking(move |core| {
            let store = core.store();
            for list in store.job_lists(job)? {
                if let Some(id) = list.list_id {
                    lists.insert(
                        list.list_type,
                        KnownList {
                            id,
                            name: list.list_name,
                        },
                    );
                }
            }
            let json =
                serde_json::to_string(&lists).map_err(|e| JobError::Invalid(e.to_string()))?;
            store.set_sync_lists(sync, &json)?;
            Ok(())
        })
        .await
    }
}

fn join_notes(note: Option<String>, text: &str) -> String {
    match note {
        Some(note) => format!("{text}; {note}"),
        None => text.to_owned(),
    }
}

/// What a run found of its file, for the history (no content, only where and how big).
pub fn describe_file(file: &FileSeen) -> String {
    format!(
        "{} ({})",
        file.path,
        crate::display::bytes(file.size.max(0) as u64)
    )
}
