//! What a run did, as its history keeps it: the plan's counts for the file and each list,
//! and what the job then sent.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::identity::{ListType, Reason};
use crate::upload::{JobProgress, JobReport, Plan};

/// What one run did, kept with it (as JSON) in the history.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub rows: u64,
    pub valid: u64,
    pub duplicates: u64,
    /// Identities kept out because the home suppresses them.
    #[serde(default)]
    pub suppressed: u64,
    /// Rejected cells and rows, by reason.
    pub rejected: BTreeMap<Reason, u64>,
    pub lists: Vec<RunList>,
    /// Records acknowledged by Pinterest in this run, of those planned.
    pub records_sent: u64,
    pub records_planned: u64,
    pub retries: u64,
    pub rate_limited: u64,
    pub rate_limit_wait_ms: u64,
}

/// One list's share of a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunList {
    pub list_type: ListType,
    pub name: String,
    pub list_id: Option<String>,
    pub added: u64,
    pub removed: u64,
    pub unchanged: u64,
    #[serde(default)]
    pub suppressed: u64,
}

/// The plan's counts: the file's and each list's.
pub(super) fn planned_report(plan: &Plan) -> RunReport {
    let counts = JobProgress::new(0).with_scan(&plan.summary);
    RunReport {
        rows: counts.rows_read,
        valid: counts.valid,
        duplicates: counts.duplicates,
        suppressed: counts.suppressed,
        rejected: counts.invalid,
        lists: plan
            .lists
            .iter()
            .map(|l| RunList {
                list_type: l.list_type,
                name: l.name.clone(),
                list_id: l.list_id.clone(),
                added: l.adds as u64,
                removed: l.removes as u64,
                unchanged: l.unchanged as u64,
                suppressed: l.suppressed as u64,
            })
            .collect(),
        records_planned: plan.lists.iter().map(|l| (l.adds + l.removes) as u64).sum(),
        ..RunReport::default()
    }
}

/// The plan's counts with what the job did: records acknowledged, retries, waits, and the
/// ids of the lists it made.
pub(super) fn with_job(mut report: RunReport, job: &JobReport) -> RunReport {
    let p = &job.progress;
    if report.rows == 0 {
        // A resumed job whose first run left no report: the job kept the file's counts.
        report.rows = p.rows_read;
        report.valid = p.valid;
        report.duplicates = p.duplicates;
        report.suppressed = p.suppressed;
        report.rejected = p.invalid.clone();
    }
    report.records_sent = p.records_acked;
    report.records_planned = p.records_total;
    report.retries = p.retries;
    report.rate_limited = p.rate_limited;
    report.rate_limit_wait_ms = p.rate_limit_wait_ms;
    for list in &mut report.lists {
        if let Some(made) = job.lists.iter().find(|l| l.list_type == list.list_type) {
            list.list_id = made.list_id.clone();
            list.name = made.name.clone();
        }
    }
    report
}
