//! An erasure's receipt: what was asked (digests only, never a value), each list it reached
//! with every batch's answer and Pinterest's request id, and what is still pending. Written in
//! the home as `erasures/<id>.json`, private like every file there.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::PrivacyError;
use crate::context::Core;
use crate::display::rfc3339;
use crate::identity::ListType;
use crate::store::{ErasedIdentity, JobState};

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Receipt {
    pub erasure: i64,
    /// When it was asked for, and when this receipt was written (RFC 3339, UTC).
    pub requested_at: String,
    pub written_at: String,
    /// Every list reached, and the suppression in place: nothing is pending.
    pub complete: bool,
    pub identities: Vec<ErasedIdentity>,
    /// The suppression source that keeps these people out of every later run.
    pub suppression_source: Option<i64>,
    pub lists: Vec<ErasedList>,
    /// One sentence per list not yet reached, saying why.
    pub pending: Vec<String>,
}

/// One list the erasure removed people from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ErasedList {
    pub connection: String,
    pub ad_account_id: String,
    pub list_id: Option<String>,
    pub list_name: String,
    pub list_type: ListType,
    pub job: i64,
    pub state: JobState,
    pub batches: Vec<ReceiptBatch>,
}

/// One request and Pinterest's answer to it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReceiptBatch {
    pub operation: &'static str,
    pub records: u64,
    /// "acked" once Pinterest accepted it.
    pub state: String,
    pub request_id: Option<String>,
    pub attempts: u64,
    pub answered_at: Option<String>,
}

/// Where an erasure's receipt is kept.
pub fn receipt_path(core: &Core, erasure: i64) -> PathBuf {
    core.home.join("erasures").join(format!("{erasure}.json"))
}

/// An erasure's receipt from the journal as it stands; `notes` says why a job was not sent
/// in this run (a connection to log in again).
pub fn receipt(
    core: &Core,
    erasure: i64,
    notes: &BTreeMap<i64, String>,
) -> Result<Receipt, PrivacyError> {
    let store = core.store();
    let row = store
        .erasure(erasure)?
        .ok_or(PrivacyError::NoSuchErasure(erasure))?;
    let mut lists = Vec::new();
    let mut pending = Vec::new();
    for job in &row.jobs {
        let Some(job_row) = store.job(*job)? else {
            continue;
        };
        let batches = store
            .batch_answers(*job)?
            .into_iter()
            .map(|b| ReceiptBatch {
                answered_at: (b.state == "acked").then(|| rfc3339(b.at)),
                operation: b.operation,
                records: b.records,
                state: b.state,
                request_id: b.request_id,
                attempts: b.attempts,
            })
            .collect();
        for list in store.job_lists(*job)? {
            if job_row.state != JobState::Completed {
                let why = notes
                    .get(job)
                    .cloned()
                    .or_else(|| job_row.message.clone())
                    .unwrap_or_else(|| format!("not sent yet ({})", job_row.state.label()));
                pending.push(format!(
                    "'{}' (list {}, connection '{}'): {why}",
                    list.list_name,
                    list.list_id.as_deref().unwrap_or("?"),
                    job_row.connection
                ));
            }
            lists.push(ErasedList {
                connection: job_row.connection.clone(),
                ad_account_id: job_row.ad_account_id.clone(),
                list_id: list.list_id,
                list_name: list.list_name,
                list_type: list.list_type,
                job: *job,
                state: job_row.state,
                batches: Vec::clone(&batches),
            });
        }
    }
    Ok(Receipt {
        erasure,
        requested_at: rfc3339(row.created_at),
        written_at: rfc3339(crate::os::now()),
        complete: pending.is_empty() && row.source_id.is_some(),
        identities: row.identities,
        suppression_source: row.source_id,
        lists,
        pending,
    })
}

/// The latest erasures' receipts as the journal has them now, newest first.
pub fn recent_erasures(core: &Core, limit: usize) -> Result<Vec<Receipt>, PrivacyError> {
    let ids: Vec<i64> = core
        .store()
        .erasures()?
        .into_iter()
        .take(limit)
        .map(|e| e.id)
        .collect();
    ids.into_iter()
        .map(|id| receipt(core, id, &BTreeMap::new()))
        .collect()
}

/// Writes the receipt (replacing an earlier one whole) and returns its path.
pub(super) fn write_receipt(core: &Core, receipt: &Receipt) -> Result<PathBuf, PrivacyError> {
    let path = receipt_path(core, receipt.erasure);
    let failed = |source| PrivacyError::Write {
        path: path.clone(),
        source,
    };
    let json = serde_json::to_vec_pretty(receipt).map_err(|e| failed(e.into()))?;
    if let Some(dir) = path.parent() {
        crate::home::private_dir(dir).map_err(failed)?;
    }
    crate::home::write_private(&path, &json).map_err(failed)?;
    Ok(path)
}
