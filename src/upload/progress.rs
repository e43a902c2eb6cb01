use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use std::collections::BTreeMap;

use crate::identity::{ListType, Reason};
use crate::source::Summary;
use crate::store::JobState;

/// Pause, resume and cancel, from any thread.
#[derive(Debug, Default)]
pub struct Control {
    paused: AtomicBool,
    cancelled: AtomicBool,
    interrupted: AtomicBool,
    wake: Notify,
}

impl Control {
    pub fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
    }

    pub fn resume(&self) {
        self.paused.store(false, Ordering::SeqCst);
        self.wake.notify_waiters();
    }

    /// Stops sending: batches in flight finish and are journaled; the rest stay pending.
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
        self.wake.notify_waiters();
    }

    /// Like cancel, but the job is left `interrupted`, for `resume` (Ctrl-C on the command
    /// line, closing the app).
    pub fn interrupt(&self) {
        self.interrupted.store(true, Ordering::SeqCst);
        self.cancel();
    }

    pub fn is_interrupted(&self) -> bool {
        self.interrupted.load(Ordering::SeqCst)
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }

    pub fn is_paused(&self) -> bool {
        self.paused.load(Ordering::SeqCst)
    }

    /// Returns once not paused (or cancelled).
    pub async fn wait_while_paused(&self) {
        while self.is_paused() && !self.is_cancelled() {
            let woken = self.wake.notified();
            if !self.is_paused() || self.is_cancelled() {
                break;
            }
            let _ = tokio::time::timeout(std::time::Duration::from_millis(500), woken).await;
        }
    }
}

/// A job's live state: every number is measured.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JobProgress {
    pub job_id: i64,
    pub state: JobState,
    /// From the planning pass over the file: data rows read, accepted values, rejected cells
    /// and rows by reason, and repeated identities.
    #[serde(default)]
    pub rows_read: u64,
    #[serde(default)]
    pub valid: u64,
    #[serde(default)]
    pub invalid: BTreeMap<Reason, u64>,
    #[serde(default)]
    pub duplicates: u64,
    /// Unique identities kept out because the home suppresses them.
    #[serde(default)]
    pub suppressed: u64,
    pub batches_total: u64,
    pub batches_acked: u64,
    pub records_total: u64,
    pub records_acked: u64,
    pub retries: u64,
    pub rate_limited: u64,
    pub rate_limit_wait_ms: u64,
    pub records_per_second: f64,
    pub eta_seconds: Option<f64>,
    pub message: Option<String>,
}

impl JobProgress {
    pub fn new(job_id: i64) -> Self {
        JobProgress {
            job_id,
            state: JobState::Running,
            rows_read: 0,
            valid: 0,
            invalid: BTreeMap::new(),
            duplicates: 0,
            suppressed: 0,
            batches_total: 0,
            batches_acked: 0,
            records_total: 0,
            records_acked: 0,
            retries: 0,
            rate_limited: 0,
            rate_limit_wait_ms: 0,
            records_per_second: 0.0,
            eta_seconds: None,
            message: None,
        }
    }
}

/// One list's outcome, as Pinterest reports it after the upload.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ListReport {
    pub list_type: ListType,
    pub name: String,
    pub list_id: Option<String>,
    pub list_status: Option<String>,
    pub audience_id: Option<String>,
    pub audience_status: Option<String>,
    pub audience_size: Option<i64>,
}

/// The end of a job: what was and was not sent.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JobReport {
    pub progress: JobProgress,
    pub lists: Vec<ListReport>,
}

impl JobReport {
    /// What to tell the user when Pinterest marks a list TOO_SMALL, if it marks any.
    pub fn too_small_note(&self) -> Option<&'static str> {
        self.lists
            .iter()
            .any(|l| l.list_status.as_deref() == Some("TOO_SMALL"))
            .then_some(
                "A list under 100 matched Pinterest users is TOO_SMALL and cannot be targeted; \
                 matching can take up to 24 hours.",
            )
    }
}

impl JobProgress {
    /// Takes the file's counts from the planning pass.
    pub fn with_scan(mut self, scan: &Summary) -> Self {
        self.rows_read = scan.rows;
        self.valid = scan.columns.iter().map(|c| c.valid).sum();
        self.duplicates = scan.columns.iter().map(|c| c.duplicates).sum();
        self.suppressed = scan.lists.iter().map(|l| l.suppressed).sum();
        let mut invalid = scan.row_rejects.clone();
        for column in &scan.columns {
            for (reason, n) in &column.invalid {
                *invalid.entry(*reason).or_default() += n;
            }
        }
        self.invalid = invalid;
        self
    }
}
