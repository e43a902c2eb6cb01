//! The Jobs screen: the jobs listed, and the ones this window runs now.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::overview::JobOverview;
use crate::upload::{Control, JobProgress};

/// A job this app runs now: its live progress and the handle that pauses or stops it.
pub struct LiveJob {
    /// What the runner last published; reading it is a borrow, not a wait.
    pub progress: tokio::sync::watch::Receiver<JobProgress>,
    pub control: Arc<Control>,
    pub started: std::time::Instant,
}

#[derive(Default)]
pub struct JobsState {
    pub entries: Vec<JobOverview>,
    pub live: BTreeMap<i64, LiveJob>,
    /// Records per second of the jobs run in this session, sampled about once a second:
    /// (seconds since the job started here, rate).
    pub throughput: BTreeMap<i64, Vec<[f64; 2]>>,
    pub selected: Option<i64>,
}
