//! Saved syncs and their run history. A sync's settings, its lists and each run's report are
//! JSON written by `syncs::` (the store keeps them whole); the columns hold what queries and
//! the lease need. Digests and counts only, like the rest of the database.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::connections::name_is_free;
use super::journal::word;
use super::lease::{Lease, Leased};
use super::{Store, StoreError};

/// A saved sync as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SyncRow {
    pub id: i64,
    pub name: String,
    pub connection: String,
    /// `syncs::SyncSettings` as JSON.
    pub settings: String,
    /// The lists its runs made, by list type, as JSON.
    pub lists: String,
    /// Bumped by every edit: a run of an older revision does not make a new one skippable.
    pub revision: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// How a run of a sync ended (or that it is still going).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Running,
    Completed,
    /// The file had not changed since the last completed run: nothing was read or sent.
    Skipped,
    /// The file could not be sent as it is (missing, columns changed, nothing valid).
    Refused,
    Failed,
    /// The process stopped during the run; the next run resumes its job.
    Interrupted,
    Cancelled,
    /// Additions sent; the removals wait for a confirmation.
    Held,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Completed => "completed",
            RunState::Skipped => "skipped",
            RunState::Refused => "refused",
            RunState::Failed => "failed",
            RunState::Interrupted => "interrupted",
            RunState::Cancelled => "cancelled",
            RunState::Held => "held",
        }
    }

    fn parse(text: &str) -> Option<RunState> {
        [
            RunState::Running,
            RunState::Completed,
            RunState::Skipped,
            RunState::Refused,
            RunState::Failed,
            RunState::Interrupted,
            RunState::Cancelled,
            RunState::Held,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// A run that went wrong (the sync's health is failing after it).
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            RunState::Refused | RunState::Failed | RunState::Interrupted
        )
    }
}

/// What a run found of its source file: which file, how big, when it last changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FileSeen {
    pub path: String,
    pub size: i64,
    /// Modification time in milliseconds since the epoch.
    pub modified_ms: i64,
}

/// One run of a sync as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunRow {
    pub id: i64,
    pub sync_id: i64,
    pub job_id: Option<i64>,
    pub revision: i64,
    pub state: RunState,
    pub started_at: i64,
    pub ended_at: Option<i64>,
    pub file: Option<FileSeen>,
    /// SHA-256 of the file's bytes, hex.
    pub file_digest: Option<String>,
    pub message: Option<String>,
    /// `syncs::RunReport` as JSON (shown read, by `syncs::RunView`).
    #[serde(skip_serializing)]
    pub report: Option<String>,
}

const SYNC_COLUMNS: &str = "s.id, s.name, c.name, s.settings, s.lists, s.revision, s.created_at, \
                            s.updated_at";

fn sync_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<SyncRow> {
    Ok(SyncRow {
        id: row.get(0)?,
        name: row.get(1)?,
        connection: row.get(2)?,
        settings: row.get(3)?,
        lists: row.get(4)?,
        revision: row.get(5)?,
        created_at: row.get(6)?,
        updated_at: row.get(7)?,
    })
}

const RUN_COLUMNS: &str = "id, sync_id, job_id, revision, state, started_at, ended_at, file, \
                           file_size, file_modified, file_digest, message, report";

fn run_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<RunRow> {
    let path: Option<String> = row.get(7)?;
    Ok(RunRow {
        id: row.get(0)?,
        sync_id: row.get(1)?,
        job_id: row.get(2)?,
        revision: row.get(3)?,
        state: word(row, 4, RunState::parse)?,
        started_at: row.get(5)?,
        ended_at: row.get(6)?,
        file: match path {
            Some(path) => Some(FileSeen {
                path,
                size: row.get::<_, Option<i64>>(8)?.unwrap_or(0),
                modified_ms: row.get::<_, Option<i64>>(9)?.unwrap_or(0),
            }),
            None => None,
        },
        file_digest: row.get(10)?,
        message: row.get(11)?,
        report: row.get(12)?,
    })
}

/// A sync's name goes into schedule files and command lines: no spaces around it, no control
/// characters in it.
fn valid_sync_name(name: &str) -> Result<(), StoreError> {
    if name.trim().is_empty() || name.trim() != name || name.chars().any(char::is_control) {
        return Err(StoreError::Invalid(
            "a sync needs a name without spaces around it or control characters in it".into(),
        ));
    }
    Ok(())
}

impl Store {
    pub fn add_sync(
        &self,
        name: &str,
        connection: &str,
        settings: &str,
    ) -> Result<SyncRow, StoreError> {
        valid_sync_name(name)?;
        let connection = self.connection(connection)?;
        let now = crate::os::now();
        let inserted = self.db().execute(
            "INSERT INTO syncs (name, connection_id, settings, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?4)",
            params![name, connection.id, settings, now],
        );
        name_is_free(inserted, || StoreError::DuplicateSync(name.to_owned()))?;
        self.sync(name)
    }

    pub fn syncs(&self) -> Result<Vec<SyncRow>, StoreError> {
        let mut stmt = self.db().prepare(&format!(
            "SELECT {SYNC_COLUMNS} FROM syncs s JOIN connections c ON c.id = s.connection_id
             ORDER BY s.name"
        ))?;
        let rows = stmt.query_map([], sync_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn sync(&self, name: &str) -> Result<SyncRow, StoreError> {
        let found = self
            .db()
            .query_row(
                &format!(
                    "SELECT {SYNC_COLUMNS} FROM syncs s JOIN connections c ON c.id = \
                     s.connection_id WHERE s.name = ?1"
                ),
                [name],
                sync_row,
            )
            .optional()?;
        found.ok_or_else(|| StoreError::NoSuchSync {
            name: name.to_owned(),
            known: self
                .syncs()
                .map(|s| s.into_iter().map(|s| s.name).collect())
                .unwrap_or_default(),
        })
    }

    /// Writes a sync's new name, connection and settings; its revision goes up.
    pub fn update_sync(
        &self,
        id: i64,
        name: &str,
        connection: &str,
        settings: &str,
    ) -> Result<(), StoreError> {
        valid_sync_name(name)?;
        let connection = self.connection(connection)?;
        let updated = self.db().execute(
            "UPDATE syncs SET name = ?2, connection_id = ?3, settings = ?4,
                              revision = revision + 1, updated_at = ?5
             WHERE id = ?1",
            params![id, name, connection.id, settings, crate::os::now()],
        );
        name_is_free(updated, || StoreError::DuplicateSync(name.to_owned()))
    }

    /// Keeps the lists a run made, so that later runs update them.
    pub fn set_sync_lists(&self, id: i64, lists: &str) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE syncs SET lists = ?2 WHERE id = ?1",
            params![id, lists],
        )?;
        Ok(())
    }

    /// Removes a sync and its history (its jobs stay in the journal).
    pub fn remove_sync(&self, name: &str) -> Result<SyncRow, StoreError> {
        let sync = self.sync(name)?;
        self.db()
            .execute("DELETE FROM syncs WHERE id = ?1", [sync.id])?;
        Ok(sync)
    }

    /// The names of the syncs that go through a connection.
    pub fn syncs_of_connection(&self, connection_id: i64) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .db()
            .prepare("SELECT name FROM syncs WHERE connection_id = ?1 ORDER BY name")?;
        let rows = stmt.query_map([connection_id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Takes the right to run a sync: refused while another live process runs it.
    pub fn take_sync_lease(&mut self, id: i64, lease: &Lease) -> Result<(), StoreError> {
        self.take(Leased::Sync, id, lease)
    }

    pub fn renew_sync_lease(&self, id: i64, lease: &Lease) -> Result<bool, StoreError> {
        self.renew(Leased::Sync, id, lease)
    }

    /// Gives a sync's lease back (when it is still this runner's).
    pub fn release_sync_lease(&self, id: i64, lease: &Lease) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE syncs SET lease = NULL, owner = NULL WHERE id = ?1 AND lease = ?2",
            params![id, lease.token],
        )?;
        Ok(())
    }

    /// Records the start of a run; a run left `running` by a process that is gone is marked
    /// interrupted first (the caller holds the sync's lease, so no other run is live).
    pub fn begin_run(&self, sync_id: i64, revision: i64) -> Result<i64, StoreError> {
        self.db().execute(
            "UPDATE sync_runs SET state = 'interrupted', ended_at = ?2,
                    message = 'the process running it stopped; the next run resumes its job'
             WHERE sync_id = ?1 AND state = 'running'",
            params![sync_id, crate::os::now()],
        )?;
        self.db().execute(
            "INSERT INTO sync_runs (sync_id, revision, state, started_at)
             VALUES (?1, ?2, 'running', ?3)",
            params![sync_id, revision, crate::os::now()],
        )?;
        Ok(self.db().last_insert_rowid())
    }

    /// What a run found of its file, as soon as it knows.
    pub fn set_run_file(
        &self,
        run: i64,
        file: &FileSeen,
        digest: Option<&str>,
    ) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE sync_runs SET file = ?2, file_size = ?3, file_modified = ?4, file_digest = ?5
             WHERE id = ?1",
            params![run, file.path, file.size, file.modified_ms, digest],
        )?;
        Ok(())
    }

    /// The job a run sends through, and what it planned (kept even if the run fails).
    pub fn set_run_job(&self, run: i64, job: i64, report: Option<&str>) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE sync_runs SET job_id = ?2, report = COALESCE(?3, report) WHERE id = ?1",
            params![run, job, report],
        )?;
        Ok(())
    }

    pub fn end_run(
        &self,
        run: i64,
        state: RunState,
        message: Option<&str>,
        report: Option<&str>,
    ) -> Result<(), StoreError> {
        self.db().execute(
            "UPDATE sync_runs SET state = ?2, message = ?3, report = COALESCE(?4, report),
                    ended_at = ?5
             WHERE id = ?1",
            params![run, state.as_str(), message, report, crate::os::now()],
        )?;
        Ok(())
    }

    /// A sync's runs, oldest first; `limit` keeps the newest ones.
    pub fn sync_runs(&self, sync_id: i64, limit: usize) -> Result<Vec<RunRow>, StoreError> {
        let mut stmt = self.db().prepare(&format!(
            "SELECT * FROM (SELECT {RUN_COLUMNS} FROM sync_runs WHERE sync_id = ?1
                            ORDER BY id DESC LIMIT ?2)
             ORDER BY id"
        ))?;
        let rows = stmt.query_map(params![sync_id, limit as i64], run_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The name of the sync whose run made job `job`.
    pub fn sync_of_job(&self, job: i64) -> Result<Option<String>, StoreError> {
        Ok(self
            .db()
            .query_row(
                "SELECT s.name FROM sync_runs r JOIN syncs s ON s.id = r.sync_id
                 WHERE r.job_id = ?1 LIMIT 1",
                [job],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The newest run in one of `states`.
    pub fn last_run(
        &self,
        sync_id: i64,
        states: &[RunState],
    ) -> Result<Option<RunRow>, StoreError> {
        let wanted: Vec<String> = states.iter().map(|s| format!("'{}'", s.as_str())).collect();
        Ok(self
            .db()
            .query_row(
                &format!(
                    "SELECT {RUN_COLUMNS} FROM sync_runs WHERE sync_id = ?1 AND state IN ({})
                     ORDER BY id DESC LIMIT 1",
                    wanted.join(", ")
                ),
                [sync_id],
                run_row,
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewConnection;

    fn store_with_connection() -> Store {
        let store = Store::open_in_memory().unwrap();
        store
            .add_connection(&NewConnection {
                name: "main".into(),
                description: String::new(),
                ad_account_id: "549755885175".into(),
                app_id: None,
            })
            .unwrap();
        store
    }

    #[test]
    fn a_sync_keeps_its_runs_newest_last_and_an_edit_bumps_its_revision() {
        let store = store_with_connection();
        let sync = store.add_sync("spring", "main", "{}").unwrap();
        assert_eq!((sync.connection.as_str(), sync.revision), ("main", 1));
        assert!(matches!(
            store.add_sync("spring", "main", "{}"),
            Err(StoreError::DuplicateSync(_))
        ));
        let first = store.begin_run(sync.id, 1).unwrap();
        store
            .end_run(first, RunState::Completed, None, Some("{\"rows\":3}"))
            .unwrap();
        let second = store.begin_run(sync.id, 1).unwrap();
        // A third run while the second is still marked running: the second was abandoned.
        let third = store.begin_run(sync.id, 1).unwrap();
        let runs = store.sync_runs(sync.id, 10).unwrap();
        let ids: Vec<i64> = runs.iter().map(|r| r.id).collect();
        assert_eq!(ids, [first, second, third]);
        assert_eq!(runs[1].state, RunState::Interrupted);
        assert_eq!(runs[0].report.as_deref(), Some("{\"rows\":3}"));
        let last = store.last_run(sync.id, &[RunState::Completed]).unwrap();
        assert_eq!(last.map(|r| r.id), Some(first));
        assert_eq!(store.sync_runs(sync.id, 1).unwrap()[0].id, third);
        store
            .update_sync(sync.id, "spring", "main", "{\"a\":1}")
            .unwrap();
        assert_eq!(store.sync("spring").unwrap().revision, 2);
        for bad in [" spring", "spr\ning", ""] {
            assert!(store.add_sync(bad, "main", "{}").is_err(), "{bad:?}");
            assert!(
                store.update_sync(sync.id, bad, "main", "{}").is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_connection_with_syncs_names_them() {
        let store = store_with_connection();
        store.add_sync("b", "main", "{}").unwrap();
        store.add_sync("a", "main", "{}").unwrap();
        let id = store.connection("main").unwrap().id;
        assert_eq!(store.syncs_of_connection(id).unwrap(), ["a", "b"]);
        let missing = store.sync("c").unwrap_err().to_string();
        assert!(missing.contains("syncs: a, b"), "{missing}");
    }

    #[test]
    fn a_sync_lease_is_refused_while_held_and_free_once_released() {
        let mut store = store_with_connection();
        let sync = store.add_sync("spring", "main", "{}").unwrap();
        let first = Lease {
            token: format!("{}:{}:1", crate::os::host_name(), std::process::id()),
            owner: "the watcher".into(),
        };
        let second = Lease {
            token: "elsewhere:1:2".into(),
            owner: "the app".into(),
        };
        store.take_sync_lease(sync.id, &first).unwrap();
        let refused = store.take_sync_lease(sync.id, &second).unwrap_err();
        assert!(refused.to_string().contains("the watcher"), "{refused}");
        assert!(store.renew_sync_lease(sync.id, &first).unwrap());
        store.release_sync_lease(sync.id, &first).unwrap();
        store.take_sync_lease(sync.id, &second).unwrap();
        assert!(!store.renew_sync_lease(sync.id, &first).unwrap());
    }
}
