//! Upload jobs: a plan of batches journaled in SQLite before anything is sent, then sent with
//! bounded concurrency through the token's rate limiter, each batch journaled before and after
//! its call so a crash loses nothing and a resume repeats at most the batches in flight.

mod finish;
mod heartbeat;
mod plan;
mod progress;
mod runner;
mod send;

pub(crate) use heartbeat::Heartbeat;
pub use plan::{
    DEFAULT_BATCH_SIZE, DEFAULT_FLOOR, DEFAULT_MAX_REMOVAL_SHARE, JobError, JobSpec, KnownList,
    ListPlan, Mode, Plan, RemovalShare, Target, confirm_removals, parse_removal_share, plan_upload,
};
pub use progress::{Control, JobProgress, JobReport, ListReport};
pub use runner::run_job;
