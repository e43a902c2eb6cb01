use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tokio::task::JoinSet;

use super::heartbeat::Heartbeat;
use super::plan::{JobError, JobSpec};
use super::progress::{Control, JobProgress, JobReport};
use super::send::{
    Outcome, SPLIT_FLOOR, UNKNOWN_OUTCOME_TRIES, outcome_unknown, records, send_batch, too_large,
};
use crate::context::Core;
use crate::identity::ListType;
use crate::pinterest::{Client, ConnectionState, NewCustomerList, PinterestError};
use crate::store::{
    Batch, BatchOp, BatchState, JobList, JobState, Lease, SharedStore, Store, StoreError,
};

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

pub(super) struct Job {
    pub(super) id: i64,
    pub(super) connection: String,
    pub(super) ad: String,
    pub(super) spec: JobSpec,
    /// What the job read, in a word or two (`JobRow::source_name`).
    pub(super) source_name: String,
    pub(super) store: SharedStore,
    pub(super) client: Arc<Client>,
    pub(super) control: Arc<Control>,
    pub(super) progress: watch::Sender<JobProgress>,
    pub(super) started: Instant,
    pub(super) acked_at_start: u64,
    pub(super) lease: Lease,
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
) -> Result<JobReport, JobError> {
    let row = core
        .store
        .call(move |s| s.job(job_id))
        .await?
        .ok_or(JobError::NoSuchJob(job_id))?;
    if row.state == JobState::Completed {
        return Err(JobError::Invalid(format!(
            "job {job_id} is already complete"
        )));
    }
    let spec: JobSpec = crate::store::parsed(job_id, "settings", Some(&row.spec))?
        .ok_or_else(|| JobError::Invalid(format!("job {job_id} has no settings")))?;
    let scan: Option<crate::source::Summary> =
        crate::store::parsed(job_id, "file counts", row.scan.as_deref())?;
    if let Some(scan) = &scan {
        progress.send_modify(|p| *p = p.clone().with_scan(scan));
    }
    let job = Job {
        id: job_id,
        connection: row.connection.clone(),
        ad: row.ad_account_id.clone(),
        spec,
        source_name: row.source_name(),
        store: core.store.clone(),
        client: Arc::new(core.client(&row.connection).await?),
        control,
        progress,
        started: Instant::now(),
        acked_at_start: 0,
        lease: Lease::for_this_process(),
    };
    let lease = job.lease.clone();
    job.journal(move |s| s.take_lease(job_id, &lease)).await?;
    let _beating = job.keep_lease();
    job.run(core).await
}

impl Job {
    /// The journal, reached off the runtime's workers.
    pub(super) async fn journal<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        self.store.call(work).await
    }

    async fn set_state(&self, state: JobState, message: Option<String>) -> Result<(), JobError> {
        let (id, lease, text) = (self.id, self.lease.clone(), message.clone());
        let held = self
            .journal(move |s| s.set_job_state(id, &lease, state, text.as_deref()))
            .await?;
        if !held {
            return Err(self.lease_lost());
        }
        self.publish(|p| {
            p.state = state;
            p.message = message;
        })
        .await
    }

    fn lease_lost(&self) -> JobError {
        self.control.interrupt();
        JobError::TakenOver(self.id)
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
    async fn publish(&self, change: impl FnOnce(&mut JobProgress)) -> Result<(), JobError> {
        let id = self.id;
        let counts = self.journal(move |s| s.journal_counts(id)).await?;
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

    async fn run(mut self, core: &Core) -> Result<JobReport, JobError> {
        let id = self.id;
        let acked = self
            .journal(move |s| s.journal_counts(id))
            .await?
            .records_acked;
        self.acked_at_start = acked;
        self.set_state(JobState::Running, None).await?;
        let outcome = self.send_everything(core).await;
        let counts = self.journal(move |s| s.journal_counts(id)).await?;
        let unsent = counts.records - counts.records_acked;
        let (_, held) = self.journal(move |s| s.unsent_records(id)).await?;
        // Held removals are all that is left: the job waits for a confirmation.
        let held = match (&outcome, &self.spec.removals_held) {
            (Ok(()), Some(why)) if held > 0 && held == unsent && !self.control.is_cancelled() => {
                Some(format!(
                    "{}; {} wait{} for your confirmation",
                    why,
                    crate::display::count(held, "removal", "removals"),
                    if held == 1 { "s" } else { "" }
                ))
            }
            _ => None,
        };
        // The journal decides: complete only when no batch is left unacknowledged, so a path
        // that dropped a batch fails the job (resumably) instead of calling it complete.
        let outcome = match outcome {
            Ok(()) if held.is_some() => Ok(()),
            Ok(()) if counts.batches_acked < counts.batches && !self.control.is_cancelled() => {
                Err(JobError::Invalid(format!(
                    "{} ({}) not acknowledged; resume the job to send them",
                    crate::display::count(
                        counts.batches - counts.batches_acked,
                        "batch was",
                        "batches were"
                    ),
                    crate::display::count(unsent, "record", "records")
                )))
            }
            other => other,
        };
        let (mut state, mut message) = match &outcome {
            Ok(()) if held.is_some() && !self.control.is_interrupted() => (JobState::Held, held),
            Ok(()) if self.control.is_interrupted() => (
                JobState::Interrupted,
                Some(format!(
                    "interrupted; resume job {} to continue where it stopped",
                    self.id
                )),
            ),
            Ok(()) if counts.batches_acked == counts.batches => (JobState::Completed, None),
            Ok(()) => (
                JobState::Cancelled,
                Some(format!(
                    "cancelled: {} of {} records were sent and acknowledged; {} were not sent",
                    crate::display::group(counts.records_acked),
                    crate::display::group(counts.records),
                    crate::display::group(unsent),
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
                    self.list_reports(None).await?
                }
            },
            _ => self.list_reports(None).await?,
        };
        self.set_state(state, message).await?;
        self.follow_lists().await?;
        let report = JobReport {
            progress: self.progress.borrow().clone(),
            lists,
        };
        if let Ok(json) = serde_json::to_string(&report) {
            self.journal(move |s| s.set_job_summary(id, &json)).await?;
        }
        outcome.map(|()| report)
    }

    /// Every list the job touched is followed from now on, while Pinterest matches it.
    async fn follow_lists(&self) -> Result<(), JobError> {
        let (id, ad, connection) = (self.id, self.ad.clone(), self.connection.clone());
        let target = self.spec.target.clone();
        self.journal(move |store| {
            for list in store.job_lists(id)? {
                let Some(list_id) = &list.list_id else {
                    continue;
                };
                let made = list.audience_id.is_some() && target.existing(list.list_type).is_none();
                store.follow(&ad, list_id, list.audience_id.as_deref(), &connection, made)?;
            }
            Ok(())
        })
        .await?;
        Ok(())
    }

    pub(super) async fn job_lists(&self) -> Result<Vec<JobList>, JobError> {
        let id = self.id;
        Ok(self.journal(move |s| s.job_lists(id)).await?)
    }

    /// Creates the lists that do not exist yet, then sends every open batch.
    async fn send_everything(&self, core: &Core) -> Result<(), JobError> {
        let mut list_ids: HashMap<ListType, String> = HashMap::new();
        for list in self.job_lists().await? {
            if let Some(id) = list.list_id {
                list_ids.insert(list.list_type, id);
            }
        }
        let job = self.id;
        let mut queue: VecDeque<Batch> = self.journal(move |s| s.open_batches(job)).await?.into();
        if self.spec.removals_held.is_some() {
            queue.retain(|batch| batch.op != BatchOp::Remove);
        }
        // Each list's CREATE goes first and alone: the other batches need its id.
        while let Some(position) = queue.iter().position(|b| b.op == BatchOp::Create) {
            if self.control.is_cancelled() {
                return Ok(());
            }
            let Some(batch) = queue.remove(position) else {
                break;
            };
            let batch = self.with_digests(batch).await?;
            let list = self.job_list(batch.list_type).await?;
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
                    let added = batch.id;
                    self.journal(move |s| s.make_batch_add(added)).await?;
                    queue.push_front(Batch {
                        op: BatchOp::Add,
                        ..batch
                    });
                }
                Created::Split => {
                    // Split: the halves go back in front, the CREATE half first.
                    let whole = batch.clone();
                    let halves = self.journal(move |s| s.split_batch(job, &whole)).await?;
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
    async fn with_digests(&self, mut batch: Batch) -> Result<Batch, JobError> {
        if batch.digests.is_empty() {
            let id = batch.id;
            batch.digests = self.journal(move |s| s.batch_digests(id)).await?;
        }
        Ok(batch)
    }

    async fn job_list(&self, list_type: ListType) -> Result<JobList, JobError> {
        self.job_lists()
            .await?
            .into_iter()
            .find(|l| l.list_type == list_type)
            .ok_or_else(|| JobError::Invalid(format!("job {} has no {list_type} list", self.id)))
    }

    /// After a CREATE whose outcome is unknown (a crash, a timeout, a server error), the list
    /// may exist: find it by name instead of making a twin.
    async fn find_list(&self, batch: &Batch, list: &JobList) -> Result<Option<String>, JobError> {
        let existing = self.client.customer_lists(&self.ad).await?;
        let found = existing
            .into_iter()
            .find(|l| l.name.as_deref() == Some(list.list_name.as_str()))
            .map(|l| l.id);
        if let Some(list_id) = found.clone() {
            let (job, list_type) = (self.id, batch.list_type);
            self.journal(move |s| s.set_job_list(job, list_type, Some(&list_id), None))
                .await?;
        }
        Ok(found)
    }

    async fn create_list(
        &self,
        core: &Core,
        batch: &Batch,
        list: &JobList,
    ) -> Result<Created, JobError> {
        let mut unknown = 0;
        loop {
            let id = batch.id;
            self.journal(move |s| s.mark_batch(id, BatchState::Sending))
                .await?;
            let request = NewCustomerList {
                name: list.list_name.clone(),
                records: records(&batch.digests),
                list_type: batch.list_type,
            };
            match self.client.create_customer_list(&self.ad, &request).await {
                Ok(answered) => {
                    let created = answered.value;
                    let (job, ad, list_id) = (self.id, self.ad.clone(), created.id.clone());
                    let (acked, request_id) = (batch.clone(), answered.request_id);
                    self.journal(move |s| {
                        s.set_job_list(job, acked.list_type, Some(&list_id), None)?;
                        s.ack_batch(&acked, &ad, &list_id, request_id.as_deref())
                    })
                    .await?;
                    self.publish(|_| {}).await?;
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
                    self.journal(move |s| s.mark_batch(id, BatchState::Pending))
                        .await?;
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
    ) -> Result<(), JobError> {
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
                    let reason = self.connection_message(core).await;
                    self.wait_for_reconnect(core, reason).await?;
                    reconnect = false;
                    continue;
                }
                if self.control.is_paused() {
                    self.set_state(JobState::Paused, None).await?;
                    self.control.wait_while_paused().await;
                    if !self.control.is_cancelled() {
                        self.set_state(JobState::Running, None).await?;
                    }
                    continue;
                }
            }
            let holding = stopping || reconnect || self.control.is_paused();
            while !holding && running.len() < CONCURRENCY {
                let Some(batch) = queue.pop_front() else {
                    break;
                };
                let batch = self.with_digests(batch).await?;
                let Some(list_id) = list_ids.get(&batch.list_type).cloned() else {
                    return Err(JobError::Invalid(format!(
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
                    let outcome = joined.map_err(|e| JobError::Invalid(format!("a batch task failed: {e}")))?;
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
                    self.publish(|_| {}).await?;
                }
                // Wakes the loop to notice a pause or cancel while nothing lands, and keeps the
                // throughput and time left current.
                _ = tick.tick() => self.publish(|_| {}).await?,
            }
        }
        match failure {
            Some(error) => Err(error.into()),
            None => Ok(()),
        }
    }

    async fn connection_message(&self, core: &Core) -> String {
        core.connection_status(&self.connection)
            .await
            .ok()
            .and_then(|s| s.message)
            .unwrap_or_else(|| "Pinterest refused the login".into())
    }

    /// Waits, without sending, until the user has connected again (or cancels).
    async fn wait_for_reconnect(&self, core: &Core, reason: String) -> Result<(), JobError> {
        self.set_state(
            JobState::WaitingForReconnect,
            Some(format!(
                "waiting for '{}' to log in to Pinterest again ({reason}); the job continues \
                 where it stopped",
                self.connection
            )),
        )
        .await?;
        loop {
            if self.control.is_cancelled() {
                return Ok(());
            }
            let state = core.connection_status(&self.connection).await?.state;
            if state == ConnectionState::Connected {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        self.set_state(JobState::Running, None).await
    }
}
