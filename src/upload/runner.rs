use std::collections::{HashMap, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;

use super::heartbeat::Heartbeat;
use super::plan::{JobSpec, SyncError};
use super::progress::{Control, JobProgress, JobReport, ListReport};
use super::send::{
    Outcome, SPLIT_FLOOR, UNKNOWN_OUTCOME_TRIES, outcome_unknown, records, send_batch, too_large,
};
use crate::app_core::Core;
use crate::identity::ListType;
use crate::pinterest::{Client, ConnectionState, NewAudience, NewCustomerList, PinterestError};
use crate::store::{Batch, BatchOp, BatchState, JobList, JobState, Lease, Store};

/// Batches in flight at once; the rate limiter paces them.
const CONCURRENCY: usize = 4;

enum Created {
    New(String),
    /// Found by name after an unknown outcome.
    Adopted(String),
    /// Refused as too large: split it.
    Split,
    /// Cancelled or interrupted while waiting for a reconnect: the batch stays pending.
    Stopped,
}

struct Job {
    id: i64,
    connection: String,
    ad: String,
    spec: JobSpec,
    file: String,
    store: Arc<Mutex<Store>>,
    client: Arc<Client>,
    control: Arc<Control>,
    progress: watch::Sender<JobProgress>,
    started: Instant,
    acked_at_start: u64,
    lease: Lease,
}

/// Runs (or resumes) a journaled job until it completes, fails, is cancelled or interrupted.
/// Progress is published on `progress`; the final report is also saved with the job.
///
/// The runner first takes the job's lease: a job another live process is running is refused
/// with who runs it. The lease is renewed every few seconds through every phase; a runner that
/// finds it taken over (it fell silent long enough for another process to resume the job)
/// stops sending and leaves the job to that process.
pub async fn run_job(
    core: &Core,
    job_id: i64,
    control: Arc<Control>,
    progress: watch::Sender<JobProgress>,
) -> Result<JobReport, SyncError> {
    let row = core
        .store
        .lock()
        .expect("store lock")
        .job(job_id)?
        .ok_or(SyncError::NoSuchJob(job_id))?;
    if row.state == JobState::Completed {
        return Err(SyncError::Invalid(format!(
            "job {job_id} is already complete"
        )));
    }
    let spec: JobSpec = crate::app_core::parsed(job_id, "settings", Some(&row.spec))?
        .ok_or_else(|| SyncError::Invalid(format!("job {job_id} has no settings")))?;
    let scan: Option<crate::source::Summary> =
        crate::app_core::parsed(job_id, "file counts", row.scan.as_deref())?;
    if let Some(scan) = &scan {
        progress.send_modify(|p| *p = p.clone().with_scan(scan));
    }
    let job = Job {
        id: job_id,
        connection: row.connection.clone(),
        ad: row.ad_account_id.clone(),
        spec,
        file: row.file.clone(),
        store: core.store.clone(),
        client: Arc::new(core.client(&row.connection)?),
        control,
        progress,
        started: Instant::now(),
        acked_at_start: 0,
        lease: Lease::for_this_process(),
    };
    job.store().take_lease(job_id, &job.lease)?;
    let _beating = job.keep_lease();
    job.run(core).await
}

impl Job {
    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        // Invariant: store calls do not panic while holding the lock.
        self.store.lock().expect("store lock")
    }

    fn set_state(&self, state: JobState, message: Option<String>) -> Result<(), SyncError> {
        let held = self
            .store()
            .set_job_state(self.id, &self.lease, state, message.as_deref())?;
        if !held {
            return Err(self.lease_lost());
        }
        self.publish(|p| {
            p.state = state;
            p.message = message;
        })
    }

    fn lease_lost(&self) -> SyncError {
        self.control.interrupt();
        SyncError::TakenOver(self.id)
    }

    /// Renews the lease in the background for as long as the run lasts, whatever it is doing
    /// (creating lists, waiting, finishing). A lease found taken over stops the run.
    fn keep_lease(&self) -> Heartbeat {
        let (id, lease, control) = (self.id, self.lease.clone(), self.control.clone());
        Heartbeat::start(
            self.store.clone(),
            format!("job {id}"),
            move |store| store.renew_lease(id, &lease),
            move || control.interrupt(),
        )
    }

    /// Refreshes the measured counts and sends them to whoever watches.
    fn publish(&self, change: impl FnOnce(&mut JobProgress)) -> Result<(), SyncError> {
        let counts = self.store().journal_counts(self.id)?;
        let stats = &self.client.stats;
        let elapsed = self.started.elapsed().as_secs_f64().max(1e-3);
        let this_run = counts.records_acked.saturating_sub(self.acked_at_start);
        self.progress.send_modify(|p| {
            p.batches_total = counts.batches;
            p.batches_acked = counts.batches_acked;
            p.records_total = counts.records;
            p.records_acked = counts.records_acked;
            p.retries = stats.retries.load(Ordering::Relaxed);
            p.rate_limited = stats.rate_limited.load(Ordering::Relaxed);
            p.rate_limit_wait_ms = stats.rate_limit_wait_ms.load(Ordering::Relaxed);
            p.records_per_second = this_run as f64 / elapsed;
            p.eta_seconds = (p.records_per_second > 0.0).then(|| {
                counts.records.saturating_sub(counts.records_acked) as f64 / p.records_per_second
            });
            change(p);
        });
        Ok(())
    }

    async fn run(mut self, core: &Core) -> Result<JobReport, SyncError> {
        let acked = self.store().journal_counts(self.id)?.records_acked;
        self.acked_at_start = acked;
        self.set_state(JobState::Running, None)?;
        let outcome = self.send_everything(core).await;
        let counts = self.store().journal_counts(self.id)?;
        let unsent = counts.records - counts.records_acked;
        // The journal decides: complete only when no batch is left unacknowledged, so a path
        // that dropped a batch fails the job (resumably) instead of calling it complete.
        let outcome = match outcome {
            Ok(()) if counts.batches_acked < counts.batches && !self.control.is_cancelled() => {
                Err(SyncError::Invalid(format!(
                    "{} batches ({unsent} records) were not acknowledged; resume the job to \
                     send them",
                    counts.batches - counts.batches_acked
                )))
            }
            other => other,
        };
        let (mut state, mut message) = match &outcome {
            Ok(()) if self.control.is_interrupted() => (
                JobState::Interrupted,
                Some(format!(
                    "interrupted; continue with `audience-desk resume {}`",
                    self.id
                )),
            ),
            Ok(()) if counts.batches_acked == counts.batches => (JobState::Completed, None),
            Ok(()) => (
                JobState::Cancelled,
                Some(format!(
                    "cancelled: {} of {} records were sent and acknowledged; {unsent} were not \
                     sent",
                    counts.records_acked, counts.records,
                )),
            ),
            Err(e) => (JobState::Failed, Some(e.to_string())),
        };
        let lists = match state {
            JobState::Completed => match self.finish_lists().await {
                Ok(lists) => lists,
                Err(e) => {
                    state = JobState::Failed;
                    message = Some(format!("all records were sent, but {e}; resume to retry"));
                    self.list_reports(None)?
                }
            },
            _ => self.list_reports(None)?,
        };
        self.set_state(state, message)?;
        self.follow_lists()?;
        let report = JobReport {
            progress: self.progress.borrow().clone(),
            lists,
        };
        if let Ok(json) = serde_json::to_string(&report) {
            self.store().set_job_summary(self.id, &json)?;
        }
        outcome.map(|()| report)
    }

    /// Every list the job touched is followed from now on, while Pinterest matches it.
    fn follow_lists(&self) -> Result<(), SyncError> {
        let store = self.store();
        for list in store.job_lists(self.id)? {
            let Some(list_id) = &list.list_id else {
                continue;
            };
            let made =
                list.audience_id.is_some() && self.spec.target.existing(list.list_type).is_none();
            store.follow(
                &self.ad,
                list_id,
                list.audience_id.as_deref(),
                &self.connection,
                made,
            )?;
        }
        Ok(())
    }

    /// Creates the lists that do not exist yet, then sends every open batch.
    async fn send_everything(&self, core: &Core) -> Result<(), SyncError> {
        let mut list_ids: HashMap<ListType, String> = HashMap::new();
        let lists = self.store().job_lists(self.id)?;
        for list in lists {
            if let Some(id) = list.list_id {
                list_ids.insert(list.list_type, id);
            }
        }
        let mut queue: VecDeque<Batch> = self.store().open_batches(self.id)?.into();
        // Each list's CREATE goes first and alone: the other batches need its id.
        while let Some(position) = queue.iter().position(|b| b.op == BatchOp::Create) {
            if self.control.is_cancelled() {
                return Ok(());
            }
            let Some(batch) = queue.remove(position) else {
                break;
            };
            let batch = self.with_digests(batch)?;
            let list = self.job_list(batch.list_type)?;
            let adopted = match batch.state {
                BatchState::Sending => self.find_list(&batch, &list).await?,
                _ => None,
            };
            let outcome = match adopted {
                Some(id) => Created::Adopted(id),
                None => self.create_list(core, &batch, &list).await?,
            };
            match outcome {
                Created::New(id) => {
                    list_ids.insert(batch.list_type, id);
                }
                // The list exists but whether it holds this batch is unknown: send it as an
                // ADD, which is harmless if it does.
                Created::Adopted(id) => {
                    list_ids.insert(batch.list_type, id);
                    self.store().make_batch_add(batch.id)?;
                    queue.push_front(Batch {
                        op: BatchOp::Add,
                        ..batch
                    });
                }
                Created::Split => {
                    // Split: the halves go back in front, the CREATE half first.
                    let halves = self.store().split_batch(self.id, &batch)?;
                    for half in halves.into_iter().rev() {
                        queue.push_front(half);
                    }
                }
                Created::Stopped => return Ok(()),
            }
        }
        self.send_updates(core, queue, &list_ids).await
    }

    /// The batch with its digests, read from the journal when the queue holds only its place
    /// (the queue of a large job would not fit in memory otherwise). Every journaled batch
    /// holds at least one digest.
    fn with_digests(&self, mut batch: Batch) -> Result<Batch, SyncError> {
        if batch.digests.is_empty() {
            batch.digests = self.store().batch_digests(batch.id)?;
        }
        Ok(batch)
    }

    fn job_list(&self, list_type: ListType) -> Result<JobList, SyncError> {
        self.store()
            .job_lists(self.id)?
            .into_iter()
            .find(|l| l.list_type == list_type)
            .ok_or_else(|| SyncError::Invalid(format!("job {} has no {list_type} list", self.id)))
    }

    /// After a CREATE whose outcome is unknown (a crash, a timeout, a server error), the list
    /// may exist: find it by name instead of making a twin.
    async fn find_list(&self, batch: &Batch, list: &JobList) -> Result<Option<String>, SyncError> {
        let existing = self.client.customer_lists(&self.ad).await?;
        let found = existing
            .into_iter()
            .find(|l| l.name.as_deref() == Some(list.list_name.as_str()))
            .map(|l| l.id);
        if let Some(id) = &found {
            self.store()
                .set_job_list(self.id, batch.list_type, Some(id), None)?;
        }
        Ok(found)
    }

    async fn create_list(
        &self,
        core: &Core,
        batch: &Batch,
        list: &JobList,
    ) -> Result<Created, SyncError> {
        let mut unknown = 0;
        loop {
            self.store().mark_batch(batch.id, BatchState::Sending)?;
            let request = NewCustomerList {
                name: list.list_name.clone(),
                records: records(&batch.digests),
                list_type: batch.list_type,
            };
            match self.client.create_customer_list(&self.ad, &request).await {
                Ok(created) => {
                    let mut store = self.store();
                    store.set_job_list(self.id, batch.list_type, Some(&created.id), None)?;
                    store.ack_batch(batch, &self.ad, &created.id)?;
                    drop(store);
                    self.publish(|_| {})?;
                    return Ok(Created::New(created.id));
                }
                Err(e) if too_large(&e) && batch.digests.len() > SPLIT_FLOOR => {
                    return Ok(Created::Split);
                }
                Err(e) if outcome_unknown(&e) && unknown < UNKNOWN_OUTCOME_TRIES => {
                    unknown += 1;
                    tracing::warn!(
                        job = self.id,
                        "list creation outcome unknown, checking: {e}"
                    );
                    tokio::time::sleep(Duration::from_millis(200 * unknown)).await;
                    if let Some(id) = self.find_list(batch, list).await? {
                        return Ok(Created::Adopted(id));
                    }
                }
                Err(PinterestError::ReconnectRequired { reason, .. }) => {
                    self.store().mark_batch(batch.id, BatchState::Pending)?;
                    self.wait_for_reconnect(core, reason).await?;
                    if self.control.is_cancelled() {
                        return Ok(Created::Stopped);
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Sends the membership updates, `CONCURRENCY` at a time. Every outcome is handled the same
    /// way whatever else is going on: a batch that is not acknowledged goes back in the queue
    /// (split ones as their halves), so it is sent later or left pending in the journal.
    /// Sending holds while a reconnect is needed, a batch failed, or the job is paused or
    /// cancelled; the batches in flight land first.
    async fn send_updates(
        &self,
        core: &Core,
        mut queue: VecDeque<Batch>,
        list_ids: &HashMap<ListType, String>,
    ) -> Result<(), SyncError> {
        let mut running: JoinSet<Outcome> = JoinSet::new();
        let mut failure: Option<PinterestError> = None;
        let mut reconnect = false;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            let stopping = self.control.is_cancelled() || failure.is_some();
            if running.is_empty() {
                if stopping || queue.is_empty() {
                    break;
                }
                if reconnect {
                    let reason = self.connection_message(core);
                    self.wait_for_reconnect(core, reason).await?;
                    reconnect = false;
                    continue;
                }
                if self.control.is_paused() {
                    self.set_state(JobState::Paused, None)?;
                    self.control.wait_while_paused().await;
                    if !self.control.is_cancelled() {
                        self.set_state(JobState::Running, None)?;
                    }
                    continue;
                }
            }
            let holding = stopping || reconnect || self.control.is_paused();
            while !holding && running.len() < CONCURRENCY {
                let Some(batch) = queue.pop_front() else {
                    break;
                };
                let batch = self.with_digests(batch)?;
                let Some(list_id) = list_ids.get(&batch.list_type).cloned() else {
                    return Err(SyncError::Invalid(format!(
                        "job {} has no {} list to send to",
                        self.id, batch.list_type
                    )));
                };
                running.spawn(send_batch(
                    self.client.clone(),
                    self.store.clone(),
                    self.id,
                    self.ad.clone(),
                    list_id,
                    batch,
                ));
            }
            tokio::select! {
                Some(joined) = running.join_next() => {
                    let outcome = joined.map_err(|e| SyncError::Invalid(format!("a batch task failed: {e}")))?;
                    match outcome {
                        Outcome::Acked => {}
                        Outcome::Split(halves) => {
                            for half in halves.into_iter().rev() {
                                queue.push_front(half);
                            }
                        }
                        Outcome::Reconnect(batch) => {
                            queue.push_front(batch);
                            reconnect = true;
                        }
                        Outcome::Failed(batch, error) => {
                            queue.push_front(batch);
                            failure.get_or_insert(error);
                        }
                    }
                    self.publish(|_| {})?;
                }
                // Wakes the loop to notice a pause or cancel while nothing lands, and keeps the
                // throughput and time left current.
                _ = tick.tick() => self.publish(|_| {})?,
            }
        }
        match failure {
            Some(error) => Err(error.into()),
            None => Ok(()),
        }
    }

    fn connection_message(&self, core: &Core) -> String {
        core.status(&self.connection)
            .ok()
            .and_then(|s| s.message)
            .unwrap_or_else(|| "Pinterest refused the login".into())
    }

    /// Waits, without sending, until the user has connected again (or cancels).
    async fn wait_for_reconnect(&self, core: &Core, reason: String) -> Result<(), SyncError> {
        self.set_state(
            JobState::WaitingForReconnect,
            Some(format!(
                "waiting for reconnect: {reason}. Run `audience-desk connect {}` (or Reconnect \
                 in the app); the job continues where it stopped",
                self.connection
            )),
        )?;
        loop {
            if self.control.is_cancelled() {
                return Ok(());
            }
            let state = core.status(&self.connection)?.state;
            if state == ConnectionState::Connected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        self.set_state(JobState::Running, None)
    }

    /// Wraps new lists in audiences, then asks Pinterest for every list's status.
    async fn finish_lists(&self) -> Result<Vec<ListReport>, SyncError> {
        if self.spec.create_audience {
            // Bound first: a lock guard in a `for` head would live through the loop.
            let lists = self.store().job_lists(self.id)?;
            for list in lists {
                // Only the lists this job made get an audience; existing ones have theirs.
                let (Some(list_id), None, None) = (
                    &list.list_id,
                    &list.audience_id,
                    self.spec.target.existing(list.list_type),
                ) else {
                    continue;
                };
                let id = self.create_audience(&list.list_name, list_id).await?;
                self.store()
                    .set_job_list(self.id, list.list_type, None, Some(&id))?;
            }
        }
        let mut statuses = HashMap::new();
        let lists = self.store().job_lists(self.id)?;
        for list in lists {
            let list_status = match &list.list_id {
                Some(id) => self
                    .client
                    .customer_list(&self.ad, id)
                    .await
                    .ok()
                    .and_then(|l| l.status),
                None => None,
            };
            let audience = match &list.audience_id {
                Some(id) => self.client.audience(&self.ad, id).await.ok(),
                None => None,
            };
            statuses.insert(list.list_type, (list_status, audience));
        }
        self.list_reports(Some(statuses))
    }

    /// Wraps a list in a CUSTOMER_LIST audience, unless one with that name and list exists
    /// (after a crash or an answer that was lost).
    async fn create_audience(&self, name: &str, list_id: &str) -> Result<String, SyncError> {
        let mut unknown = 0;
        loop {
            let existing = self.client.audiences(&self.ad).await?;
            let found = existing.into_iter().find(|a| {
                a.name.as_deref() == Some(name)
                    && a.rule.as_ref().and_then(|r| r.customer_list_id.as_deref()) == Some(list_id)
            });
            if let Some(audience) = found {
                return Ok(audience.id);
            }
            // The file's name only: a local path says more about this machine than Pinterest needs.
            let file_name = std::path::Path::new(&self.file)
                .file_name()
                .map_or_else(|| "a file".to_owned(), |n| n.to_string_lossy().into_owned());
            let description = Some(format!("Uploaded by Audience Desk from {file_name}"));
            let request = NewAudience::for_customer_list(name, list_id, description);
            match self.client.create_audience(&self.ad, &request).await {
                Ok(audience) => return Ok(audience.id),
                Err(e) if outcome_unknown(&e) && unknown < UNKNOWN_OUTCOME_TRIES => {
                    unknown += 1;
                    tokio::time::sleep(Duration::from_millis(200 * unknown)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    #[allow(clippy::type_complexity)]
    fn list_reports(
        &self,
        statuses: Option<HashMap<ListType, (Option<String>, Option<crate::pinterest::Audience>)>>,
    ) -> Result<Vec<ListReport>, SyncError> {
        let mut statuses = statuses.unwrap_or_default();
        Ok(self
            .store()
            .job_lists(self.id)?
            .into_iter()
            .map(|list| {
                let (list_status, audience) = statuses.remove(&list.list_type).unwrap_or_default();
                ListReport {
                    list_type: list.list_type,
                    name: list.list_name,
                    list_id: list.list_id,
                    list_status,
                    audience_id: list.audience_id,
                    audience_status: audience.as_ref().and_then(|a| a.status.clone()),
                    audience_size: audience.and_then(|a| a.size),
                }
            })
            .collect())
    }
}
