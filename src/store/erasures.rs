//! Erasures: the people to take out of every list (as digests), the suppression source that
//! keeps them out, and the jobs that remove them; with what Pinterest answered each batch,
//! for the receipt.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::journal::{BatchOp, word};
use super::{Store, StoreError};
use crate::identity::{Digest, ListType};

/// One person (one identity) an erasure takes out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasedIdentity {
    pub list_type: ListType,
    /// The SHA-256 Pinterest was sent, hex.
    pub digest: String,
}

impl ErasedIdentity {
    pub fn digest(&self) -> Option<Digest> {
        Digest::from_hex(&self.digest)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErasureRow {
    pub id: i64,
    pub created_at: i64,
    pub identities: Vec<ErasedIdentity>,
    /// The removal jobs, one per list that held any of them.
    pub jobs: Vec<i64>,
    /// The suppression source that keeps them out of later runs, once added.
    pub source_id: Option<i64>,
}

/// What Pinterest made of one batch of a job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BatchAnswer {
    pub operation: &'static str,
    pub records: u64,
    /// "acked" once Pinterest accepted it; "pending" or "sending" before.
    pub state: String,
    pub request_id: Option<String>,
    pub attempts: u64,
    pub at: i64,
}

impl Store {
    /// Records an erasure's people; its suppression and jobs follow (`set_erasure_source`,
    /// `add_erasure_job`), each in its own step, so a resumed erasure finishes what is missing.
    pub fn begin_erasure(&self, identities: &[ErasedIdentity]) -> Result<i64, StoreError> {
        let json =
            serde_json::to_string(identities).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.db.execute(
            "INSERT INTO erasures (created_at, identities) VALUES (?1, ?2)",
            params![crate::os::now(), json],
        )?;
        Ok(self.db.last_insert_rowid())
    }

    pub fn set_erasure_source(&self, erasure: i64, source: i64) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE erasures SET source_id = ?2 WHERE id = ?1",
            params![erasure, source],
        )?;
        Ok(())
    }

    pub fn add_erasure_job(&self, erasure: i64, job: i64) -> Result<(), StoreError> {
        let Some(mut row) = self.erasure(erasure)? else {
            return Err(StoreError::Invalid(format!(
                "there is no erasure {erasure}"
            )));
        };
        row.jobs.push(job);
        let jobs =
            serde_json::to_string(&row.jobs).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.db.execute(
            "UPDATE erasures SET jobs = ?2 WHERE id = ?1",
            params![erasure, jobs],
        )?;
        Ok(())
    }

    pub fn erasure(&self, id: i64) -> Result<Option<ErasureRow>, StoreError> {
        Ok(self
            .db
            .query_row(
                "SELECT id, created_at, identities, jobs, source_id FROM erasures WHERE id = ?1",
                [id],
                erasure_row,
            )
            .optional()?)
    }

    /// Every erasure, newest first.
    pub fn erasures(&self) -> Result<Vec<ErasureRow>, StoreError> {
        let mut stmt = self.db.prepare(
            "SELECT id, created_at, identities, jobs, source_id FROM erasures ORDER BY id DESC",
        )?;
        let rows = stmt.query_map([], erasure_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A job's batches in order, with Pinterest's answers.
    pub fn batch_answers(&self, job: i64) -> Result<Vec<BatchAnswer>, StoreError> {
        let mut stmt = self.db.prepare(
            "SELECT operation, records, state, request_id, attempts, updated_at
             FROM batches WHERE job_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([job], |row| {
            Ok(BatchAnswer {
                operation: word(row, 0, BatchOp::parse)?.as_str(),
                records: row.get::<_, i64>(1)?.max(0) as u64,
                state: row.get(2)?,
                request_id: row.get(3)?,
                attempts: row.get::<_, i64>(4)?.max(0) as u64,
                at: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn erasure_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ErasureRow> {
    let json = |index: usize| -> rusqlite::Result<String> { row.get(index) };
    let bad = |index: usize, e: serde_json::Error| {
        rusqlite::Error::FromSqlConversionFailure(index, rusqlite::types::Type::Text, e.into())
    };
    Ok(ErasureRow {
        id: row.get(0)?,
        created_at: row.get(1)?,
        identities: serde_json::from_str(&json(2)?).map_err(|e| bad(2, e))?,
        jobs: serde_json::from_str(&json(3)?).map_err(|e| bad(3, e))?,
        source_id: row.get(4)?,
    })
}
