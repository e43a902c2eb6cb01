//! The upload journal: jobs, each batch's state before and after its call, the lists and
//! audiences a job made, and the ledger of digests this app added to each list. Digests and
//! counts only: no identity in plain text is ever stored.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::job_state::JobState;
use super::lease::Lease;
use super::{Store, StoreError};
use crate::identity::{Digest, ListType};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BatchOp {
    /// The list's creation, carrying its first records.
    Create,
    Add,
    Remove,
}

impl BatchOp {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            BatchOp::Create => "CREATE",
            BatchOp::Add => "ADD",
            BatchOp::Remove => "REMOVE",
        }
    }

    pub(super) fn parse(text: &str) -> Option<BatchOp> {
        Some(match text {
            "CREATE" => BatchOp::Create,
            "ADD" => BatchOp::Add,
            "REMOVE" => BatchOp::Remove,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum BatchState {
    Pending,
    /// Journaled just before the call: after a crash, its outcome is unknown and it is sent
    /// again (membership updates are idempotent).
    Sending,
    Acked,
    /// Replaced by two halves after Pinterest refused it as too large.
    Split,
}

impl BatchState {
    fn as_str(self) -> &'static str {
        match self {
            BatchState::Pending => "pending",
            BatchState::Sending => "sending",
            BatchState::Acked => "acked",
            BatchState::Split => "split",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Batch {
    pub id: i64,
    pub list_type: ListType,
    pub op: BatchOp,
    pub state: BatchState,
    pub digests: Vec<Digest>,
}

#[derive(Clone, Debug, Serialize)]
pub struct JobRow {
    pub id: i64,
    pub connection: String,
    pub ad_account_id: String,
    /// The file as the OS names it, kept byte for byte (a name that is not UTF-8 included).
    #[serde(serialize_with = "super::paths::lossy")]
    pub file: std::path::PathBuf,
    /// For a job read from a query: the database, as shown (no password); `file` is then the
    /// result's scratch copy.
    pub query: Option<String>,
    /// The job's settings as JSON (`upload::JobSpec`).
    pub spec: String,
    pub state: JobState,
    pub message: Option<String>,
    pub summary: Option<String>,
    /// The file's counts from the planning pass, as JSON (`source::Summary`).
    pub scan: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl JobRow {
    /// What the job read, as shown: its file, or the query on a database.
    pub fn source(&self) -> String {
        crate::display::source(&self.file, self.query.as_deref())
    }

    /// What the job read, in a word or two: the file's name (a local path says more about this
    /// machine than an audience's description or a list's line needs), or "a database query".
    pub fn source_name(&self) -> String {
        if self.query.is_some() {
            return "a database query".into();
        }
        self.file
            .file_name()
            .map_or_else(|| "a file".to_owned(), |n| n.to_string_lossy().into_owned())
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct JobList {
    pub list_type: ListType,
    pub list_name: String,
    pub list_id: Option<String>,
    pub audience_id: Option<String>,
}

/// Counts of a job's batches and records by state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct JournalCounts {
    pub batches: u64,
    pub batches_acked: u64,
    pub records: u64,
    pub records_acked: u64,
}

fn list_type(text: &str) -> Option<ListType> {
    ListType::ALL.into_iter().find(|t| t.as_str() == text)
}

/// Reads a text column that holds one of a fixed set of words. A word this version does not
/// know is an error, never a default: a `REMOVE` read as an `ADD` would send the opposite of
/// what was planned.
pub(super) fn word<T>(
    row: &rusqlite::Row<'_>,
    index: usize,
    parse: fn(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    let text: String = row.get(index)?;
    parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            index,
            rusqlite::types::Type::Text,
            format!("'{text}' is not a value this version of Audience Desk knows").into(),
        )
    })
}

pub(super) fn pack(digests: &[Digest]) -> Vec<u8> {
    digests.iter().flat_map(|d| d.0).collect()
}

pub(super) fn unpack(bytes: &[u8]) -> Vec<Digest> {
    bytes
        .chunks_exact(32)
        .map(|c| {
            let mut d = [0u8; 32];
            d.copy_from_slice(c);
            Digest(d)
        })
        .collect()
}

/// A job's batches as planned: list type, operation, digests.
pub type PlannedBatch = (ListType, BatchOp, Vec<Digest>);

impl Store {
    /// Records a job and its whole batch plan in one transaction.
    pub fn create_job(
        &mut self,
        job: &JobRow,
        lists: &[JobList],
        batches: &[PlannedBatch],
    ) -> Result<i64, StoreError> {
        let mut new = self.begin_job(job, lists)?;
        for (list_type, op, digests) in batches {
            new.add_batch(*list_type, *op, digests)?;
        }
        new.commit()
    }

    /// Starts recording a job: the job and its lists now, its batches one at a time, all of
    /// it visible only on `commit` (a job is journaled whole or not at all).
    pub fn begin_job(&mut self, job: &JobRow, lists: &[JobList]) -> Result<NewJob<'_>, StoreError> {
        let now = crate::os::now();
        let tx = self.db.transaction()?;
        tx.execute(
            "INSERT INTO jobs (connection, ad_account_id, file, query, spec, state, scan,
                               created_at, updated_at, heartbeat_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?8)",
            params![
                job.connection,
                job.ad_account_id,
                super::paths::to_sql(&job.file),
                job.query,
                job.spec,
                JobState::Running.as_str(),
                job.scan,
                now
            ],
        )?;
        let id = tx.last_insert_rowid();
        for list in lists {
            tx.execute(
                "INSERT INTO job_lists (job_id, list_type, list_name, list_id, audience_id)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    id,
                    list.list_type.as_str(),
                    list.list_name,
                    list.list_id,
                    list.audience_id
                ],
            )?;
        }
        Ok(NewJob::new(tx, id, now))
    }

    pub fn job(&self, id: i64) -> Result<Option<JobRow>, StoreError> {
        Ok(self
            .db
            .query_row(
                &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1"),
                [id],
                job_row,
            )
            .optional()?)
    }

    /// Recent jobs first. A job still marked running whose heartbeat stopped more than
    /// `stale_after` seconds ago (`STALE_AFTER_SECONDS` for a runner's own beat) is reported
    /// as interrupted.
    pub fn jobs(&self, limit: usize, stale_after: i64) -> Result<Vec<JobRow>, StoreError> {
        let mut stmt = self.db.prepare(&format!(
            "SELECT {JOB_COLUMNS}, heartbeat_at, lease FROM jobs ORDER BY id DESC LIMIT ?1"
        ))?;
        let now = crate::os::now();
        let rows = stmt.query_map([limit as i64], |row| {
            let mut job = job_row(row)?;
            let heartbeat: Option<i64> = row.get(12)?;
            let lease: Option<String> = row.get(13)?;
            let stale = heartbeat.is_none_or(|h| now - h > stale_after)
                || lease.as_deref().is_some_and(Lease::holder_gone);
            if job.state.is_live() && stale {
                job.state = JobState::Interrupted;
            }
            Ok(job)
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Sets a job's state as the holder of `lease`; a state that ends the run gives the lease
    /// up. `false` (and nothing written) when the lease is no longer this runner's.
    pub fn set_job_state(
        &self,
        id: i64,
        lease: &Lease,
        state: JobState,
        message: Option<&str>,
    ) -> Result<bool, StoreError> {
        let changed = self.db.execute(
            "UPDATE jobs SET state = ?3, message = ?4, updated_at = ?5, heartbeat_at = ?5,
                             lease = CASE WHEN ?6 THEN lease END,
                             owner = CASE WHEN ?6 THEN owner END
             WHERE id = ?1 AND lease = ?2",
            params![
                id,
                lease.token,
                state.as_str(),
                message,
                crate::os::now(),
                state.is_live()
            ],
        )?;
        Ok(changed == 1)
    }

    /// Replaces a job's settings (a confirmation of its held removals).
    pub fn set_job_spec(&self, id: i64, spec: &str) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE jobs SET spec = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, spec, crate::os::now()],
        )?;
        Ok(())
    }

    /// Records in the job's batches not yet acknowledged, and how many of them are removals.
    pub fn unsent_records(&self, id: i64) -> Result<(u64, u64), StoreError> {
        Ok(self.db.query_row(
            "SELECT COALESCE(SUM(records), 0),
                    COALESCE(SUM(CASE WHEN operation = 'REMOVE' THEN records ELSE 0 END), 0)
             FROM batches WHERE job_id = ?1 AND state IN ('pending', 'sending')",
            [id],
            |row| Ok((row.get::<_, i64>(0)? as u64, row.get::<_, i64>(1)? as u64)),
        )?)
    }

    pub fn set_job_summary(&self, id: i64, summary: &str) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE jobs SET summary = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, summary, crate::os::now()],
        )?;
        Ok(())
    }

    /// The kind of identity a list holds, when a job of this app made or filled it (Pinterest
    /// does not say).
    pub fn list_type_of(&self, list_id: &str) -> Result<Option<ListType>, StoreError> {
        Ok(self
            .db
            .query_row(
                "SELECT list_type FROM job_lists WHERE list_id = ?1 LIMIT 1",
                [list_id],
                |row| word(row, 0, list_type),
            )
            .optional()?)
    }

    pub fn job_lists(&self, id: i64) -> Result<Vec<JobList>, StoreError> {
        let mut stmt = self.db.prepare(
            "SELECT list_type, list_name, list_id, audience_id FROM job_lists
             WHERE job_id = ?1 ORDER BY list_type",
        )?;
        let rows = stmt.query_map([id], |row| {
            Ok(JobList {
                list_type: word(row, 0, list_type)?,
                list_name: row.get(1)?,
                list_id: row.get(2)?,
                audience_id: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn set_job_list(
        &self,
        id: i64,
        list_type: ListType,
        list_id: Option<&str>,
        audience_id: Option<&str>,
    ) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE job_lists SET list_id = COALESCE(?3, list_id),
                                  audience_id = COALESCE(?4, audience_id)
             WHERE job_id = ?1 AND list_type = ?2",
            params![id, list_type.as_str(), list_id, audience_id],
        )?;
        Ok(())
    }

    /// The batches of a job still to send, in order, without their digests (a journal can
    /// hold millions): `batch_digests` reads a batch's when it is sent.
    pub fn open_batches(&self, id: i64) -> Result<Vec<Batch>, StoreError> {
        let mut stmt = self.db.prepare(
            "SELECT id, list_type, operation, state FROM batches
             WHERE job_id = ?1 AND state IN ('pending', 'sending') ORDER BY id",
        )?;
        let rows = stmt.query_map([id], |row| {
            let state: String = row.get(3)?;
            Ok(Batch {
                id: row.get(0)?,
                list_type: word(row, 1, list_type)?,
                op: word(row, 2, BatchOp::parse)?,
                state: if state == "sending" {
                    BatchState::Sending
                } else {
                    BatchState::Pending
                },
                digests: Vec::new(),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A batch's digests.
    pub fn batch_digests(&self, batch: i64) -> Result<Vec<Digest>, StoreError> {
        let bytes: Vec<u8> = self.db.query_row(
            "SELECT digests FROM batches WHERE id = ?1",
            [batch],
            |row| row.get(0),
        )?;
        Ok(unpack(&bytes))
    }

    pub fn mark_batch(&self, batch: i64, state: BatchState) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE batches SET state = ?2, attempts = attempts + (?2 = 'sending'),
                                updated_at = ?3 WHERE id = ?1",
            params![batch, state.as_str(), crate::os::now()],
        )?;
        Ok(())
    }

    /// A CREATE batch whose list turned out to exist already is sent as an ADD.
    pub fn make_batch_add(&self, batch: i64) -> Result<(), StoreError> {
        self.db.execute(
            "UPDATE batches SET operation = 'ADD' WHERE id = ?1",
            [batch],
        )?;
        Ok(())
    }

    /// Acknowledges a batch and updates the ledger in the same transaction, so the ledger
    /// never disagrees with the journal.
    pub fn ack_batch(
        &mut self,
        batch: &Batch,
        ad_account_id: &str,
        list_id: &str,
        request_id: Option<&str>,
    ) -> Result<(), StoreError> {
        let tx = self.db.transaction()?;
        tx.execute(
            "UPDATE batches SET state = 'acked', updated_at = ?2, request_id = ?3 WHERE id = ?1",
            params![batch.id, crate::os::now(), request_id],
        )?;
        {
            let sql = match batch.op {
                BatchOp::Remove => {
                    "DELETE FROM ledger WHERE ad_account_id = ?1 AND list_id = ?2 AND digest = ?3"
                }
                _ => {
                    "INSERT OR IGNORE INTO ledger (ad_account_id, list_id, digest)
                      VALUES (?1, ?2, ?3)"
                }
            };
            let mut stmt = tx.prepare(sql)?;
            for digest in &batch.digests {
                stmt.execute(params![ad_account_id, list_id, &digest.0[..]])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Replaces a batch the API refused as too large with its two halves, and returns them.
    pub fn split_batch(&mut self, job: i64, batch: &Batch) -> Result<Vec<Batch>, StoreError> {
        let (first, second) = batch.digests.split_at(batch.digests.len() / 2);
        // The first half keeps the operation, so a CREATE still opens its list.
        let rest = match batch.op {
            BatchOp::Remove => BatchOp::Remove,
            _ => BatchOp::Add,
        };
        let now = crate::os::now();
        let tx = self.db.transaction()?;
        tx.execute(
            "UPDATE batches SET state = 'split', updated_at = ?2 WHERE id = ?1",
            params![batch.id, now],
        )?;
        let mut halves = Vec::new();
        for (op, half) in [(batch.op, first), (rest, second)] {
            tx.execute(
                "INSERT INTO batches (job_id, list_type, operation, state, records, digests,
                                      updated_at)
                 VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6)",
                params![
                    job,
                    batch.list_type.as_str(),
                    op.as_str(),
                    half.len() as i64,
                    pack(half),
                    now
                ],
            )?;
            halves.push(Batch {
                id: tx.last_insert_rowid(),
                list_type: batch.list_type,
                op,
                state: BatchState::Pending,
                digests: half.to_vec(),
            });
        }
        tx.commit()?;
        Ok(halves)
    }

    pub fn journal_counts(&self, id: i64) -> Result<JournalCounts, StoreError> {
        Ok(self.db.query_row(
            "SELECT COUNT(*), COALESCE(SUM(state = 'acked'), 0), COALESCE(SUM(records), 0),
                    COALESCE(SUM(CASE WHEN state = 'acked' THEN records ELSE 0 END), 0)
             FROM batches WHERE job_id = ?1 AND state != 'split'",
            [id],
            |row| {
                Ok(JournalCounts {
                    batches: row.get::<_, i64>(0)? as u64,
                    batches_acked: row.get::<_, i64>(1)? as u64,
                    records: row.get::<_, i64>(2)? as u64,
                    records_acked: row.get::<_, i64>(3)? as u64,
                })
            },
        )?)
    }
}

const JOB_COLUMNS: &str = "id, connection, ad_account_id, file, spec, state, message, summary, \
                           created_at, updated_at, scan, query";

fn job_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<JobRow> {
    Ok(JobRow {
        id: row.get(0)?,
        connection: row.get(1)?,
        ad_account_id: row.get(2)?,
        file: super::paths::from_sql(row.get_ref(3)?),
        spec: row.get(4)?,
        state: word(row, 5, JobState::parse)?,
        message: row.get(6)?,
        summary: row.get(7)?,
        created_at: row.get(8)?,
        updated_at: row.get(9)?,
        scan: row.get(10)?,
        query: row.get(11)?,
    })
}

/// A job being journaled (see `Store::begin_job`).
pub struct NewJob<'a> {
    tx: rusqlite::Transaction<'a>,
    id: i64,
    now: i64,
}

impl<'a> NewJob<'a> {
    pub(super) fn new(tx: rusqlite::Transaction<'a>, id: i64, now: i64) -> NewJob<'a> {
        NewJob { tx, id, now }
    }

    pub fn add_batch(
        &mut self,
        list_type: ListType,
        op: BatchOp,
        digests: &[Digest],
    ) -> Result<(), StoreError> {
        let mut insert = self.tx.prepare_cached(
            "INSERT INTO batches (job_id, list_type, operation, state, records, digests,
                                  updated_at)
             VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6)",
        )?;
        insert.execute(params![
            self.id,
            list_type.as_str(),
            op.as_str(),
            digests.len() as i64,
            pack(digests),
            self.now
        ])?;
        Ok(())
    }

    pub fn commit(self) -> Result<i64, StoreError> {
        self.tx.commit()?;
        Ok(self.id)
    }
}

/// A job's saved JSON record, typed.
pub fn parsed<T: serde::de::DeserializeOwned>(
    job: i64,
    what: &str,
    text: Option<&str>,
) -> Result<Option<T>, StoreError> {
    text.map(|text| {
        serde_json::from_str(text).map_err(|e| {
            StoreError::Invalid(format!(
                "the saved {what} of job {job} cannot be read by this version ({e})"
            ))
        })
    })
    .transpose()
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A job's row as a new job has it, for tests.
    pub(crate) fn sample_row() -> JobRow {
        JobRow {
            id: 0,
            connection: "EU".into(),
            ad_account_id: "1".into(),
            file: "a.csv".into(),
            query: None,
            spec: "{}".into(),
            state: JobState::Running,
            message: None,
            summary: None,
            scan: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    /// A job of one REMOVE batch, for the store's tests.
    pub(in crate::store) fn job(store: &mut Store) -> i64 {
        let row = sample_row();
        let lists = [JobList {
            list_type: ListType::Email,
            list_name: "L".into(),
            list_id: None,
            audience_id: None,
        }];
        let batches = [(ListType::Email, BatchOp::Remove, vec![Digest([7; 32])])];
        store.create_job(&row, &lists, &batches).unwrap()
    }

    #[test]
    fn open_batches_leave_their_digests_in_the_journal_until_asked() {
        let mut store = Store::open_in_memory().unwrap();
        let id = job(&mut store);
        let open = store.open_batches(id).unwrap();
        assert!(open[0].digests.is_empty());
        assert!(!store.batch_digests(open[0].id).unwrap().is_empty());
    }

    #[test]
    fn a_word_this_version_does_not_know_is_an_error_not_a_default() {
        let mut store = Store::open_in_memory().unwrap();
        let id = job(&mut store);
        assert_eq!(store.open_batches(id).unwrap()[0].op, BatchOp::Remove);
        store
            .db()
            .execute("UPDATE batches SET operation = 'REPLACE'", [])
            .unwrap();
        let error = store.open_batches(id).unwrap_err().to_string();
        assert!(error.contains("'REPLACE' is not a value"), "{error}");
        store
            .db()
            .execute("UPDATE jobs SET state = 'archived'", [])
            .unwrap();
        assert!(store.job(id).is_err());
    }
}
