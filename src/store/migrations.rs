//! Schema versions. Each entry runs once, in order; `PRAGMA user_version` records how many ran.
//! Never edit a released entry: add a new one.

use std::path::PathBuf;

use rusqlite::TransactionBehavior;

use super::StoreError;

const MIGRATIONS: &[&str] = &[
    // 1: connections and what is known of their tokens (the tokens live in the secret store).
    "CREATE TABLE connections (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        ad_account_id TEXT NOT NULL,
        app_id TEXT,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE tokens (
        connection_id INTEGER PRIMARY KEY REFERENCES connections(id) ON DELETE CASCADE,
        access_expires_at INTEGER NOT NULL,
        refresh_expires_at INTEGER NOT NULL,
        scope TEXT NOT NULL,
        connected_at INTEGER NOT NULL,
        last_refresh_at INTEGER,
        reconnect_reason TEXT
    );",
    // 2: upload jobs, their batch journal, and the ledger of what this app added to each list.
    "CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        connection TEXT NOT NULL,
        ad_account_id TEXT NOT NULL,
        file TEXT NOT NULL,
        spec TEXT NOT NULL,
        state TEXT NOT NULL,
        message TEXT,
        summary TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        heartbeat_at INTEGER
    );
    CREATE TABLE job_lists (
        job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        list_type TEXT NOT NULL,
        list_name TEXT NOT NULL,
        list_id TEXT,
        audience_id TEXT,
        PRIMARY KEY (job_id, list_type)
    );
    CREATE TABLE batches (
        id INTEGER PRIMARY KEY,
        job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        list_type TEXT NOT NULL,
        operation TEXT NOT NULL,
        state TEXT NOT NULL,
        records INTEGER NOT NULL,
        digests BLOB NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX batches_by_job ON batches (job_id, state);
    CREATE TABLE ledger (
        ad_account_id TEXT NOT NULL,
        list_id TEXT NOT NULL,
        digest BLOB NOT NULL,
        PRIMARY KEY (ad_account_id, list_id, digest)
    ) WITHOUT ROWID;",
    // 3: what the file held (rows, invalid by reason, duplicates), kept with the job.
    "ALTER TABLE jobs ADD COLUMN scan TEXT;",
    // 4: the lease of the process running a job (a token only it knows, and who it is for
    // the user), renewed by its heartbeat.
    "ALTER TABLE jobs ADD COLUMN lease TEXT;
     ALTER TABLE jobs ADD COLUMN owner TEXT;",
    // 5: facts about the home itself; `home_id` scopes its secrets in the system keyring,
    // which every home of the user shares.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
     INSERT INTO meta (key, value) VALUES ('home_id', lower(hex(randomblob(8))));",
    // 6: saved syncs (settings as JSON, the lists their runs made, a lease like a job's) and
    // each run's history.
    "CREATE TABLE syncs (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        connection_id INTEGER NOT NULL REFERENCES connections(id),
        settings TEXT NOT NULL,
        lists TEXT NOT NULL DEFAULT '{}',
        revision INTEGER NOT NULL DEFAULT 1,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        lease TEXT,
        owner TEXT,
        heartbeat_at INTEGER
    );
    CREATE TABLE sync_runs (
        id INTEGER PRIMARY KEY,
        sync_id INTEGER NOT NULL REFERENCES syncs(id) ON DELETE CASCADE,
        job_id INTEGER REFERENCES jobs(id) ON DELETE SET NULL,
        revision INTEGER NOT NULL,
        state TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        file TEXT,
        file_size INTEGER,
        file_modified INTEGER,
        file_digest TEXT,
        message TEXT,
        report TEXT
    );
    CREATE INDEX sync_runs_by_sync ON sync_runs (sync_id, id);",
    // 7: the lists (and their audiences) followed after a job, and what each look at them
    // found: status, size and Pinterest's counters over time; the audiences this app made.
    "CREATE TABLE followed (
        ad_account_id TEXT NOT NULL,
        list_id TEXT NOT NULL,
        audience_id TEXT,
        connection TEXT NOT NULL,
        since INTEGER NOT NULL,
        made_by_app INTEGER NOT NULL DEFAULT 0,
        last_status TEXT,
        PRIMARY KEY (ad_account_id, list_id)
    ) WITHOUT ROWID;
    CREATE TABLE snapshots (
        id INTEGER PRIMARY KEY,
        ad_account_id TEXT NOT NULL,
        list_id TEXT NOT NULL,
        audience_id TEXT,
        taken_at INTEGER NOT NULL,
        list_status TEXT,
        uploaded INTEGER,
        removed INTEGER,
        audience_status TEXT,
        size INTEGER
    );
    CREATE INDEX snapshots_by_list ON snapshots (ad_account_id, list_id, taken_at);
    CREATE TABLE made_audiences (
        ad_account_id TEXT NOT NULL,
        audience_id TEXT NOT NULL,
        made_at INTEGER NOT NULL,
        PRIMARY KEY (ad_account_id, audience_id)
    ) WITHOUT ROWID;",
    "ALTER TABLE tokens ADD COLUMN login_user TEXT;",
    "CREATE TABLE reach (
        ad_account_id TEXT NOT NULL,
        audience_id TEXT NOT NULL,
        taken_at INTEGER NOT NULL,
        lower INTEGER NOT NULL,
        upper INTEGER NOT NULL,
        PRIMARY KEY (ad_account_id, audience_id)
    ) WITHOUT ROWID;
    ALTER TABLE snapshots ADD COLUMN reach_lower INTEGER;
    ALTER TABLE snapshots ADD COLUMN reach_upper INTEGER;",
    // 10: alerts: where they go, each subject's last reported state, and the messages with
    // one delivery per destination (claimed before sending, retried with backoff).
    "CREATE TABLE alert_destinations (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        settings TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE alert_states (
        subject TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        changed_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE alert_messages (
        id INTEGER PRIMARY KEY,
        subject TEXT NOT NULL,
        event TEXT NOT NULL,
        state TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE alert_deliveries (
        message_id INTEGER NOT NULL REFERENCES alert_messages(id) ON DELETE CASCADE,
        destination_id INTEGER NOT NULL REFERENCES alert_destinations(id) ON DELETE CASCADE,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        claimed_until INTEGER,
        delivered_at INTEGER,
        last_error TEXT,
        PRIMARY KEY (message_id, destination_id)
    ) WITHOUT ROWID;
    CREATE INDEX alert_deliveries_due ON alert_deliveries (delivered_at, next_at);",
    // 11: the home's suppression list (digests only, by the source that put them there),
    // erasures and the jobs that carry them out, and Pinterest's request id for each batch.
    "CREATE TABLE suppression_sources (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL,
        label TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        counts TEXT NOT NULL DEFAULT '{}',
        added_at INTEGER NOT NULL
    );
    CREATE TABLE suppressed (
        list_type TEXT NOT NULL,
        digest BLOB NOT NULL,
        source_id INTEGER NOT NULL REFERENCES suppression_sources(id) ON DELETE CASCADE,
        PRIMARY KEY (list_type, digest, source_id)
    ) WITHOUT ROWID;
    CREATE INDEX suppressed_by_source ON suppressed (source_id);
    CREATE TABLE erasures (
        id INTEGER PRIMARY KEY,
        created_at INTEGER NOT NULL,
        identities TEXT NOT NULL,
        jobs TEXT NOT NULL DEFAULT '[]',
        source_id INTEGER REFERENCES suppression_sources(id) ON DELETE SET NULL
    );
    ALTER TABLE batches ADD COLUMN request_id TEXT;",
    // 12: a job read from a database query: the query's database as shown (its file is
    // then the result's scratch copy, which says nothing to the user).
    "ALTER TABLE jobs ADD COLUMN query TEXT;",
];

/// Brings the schema up to date. The version is read inside an immediate (write-locked)
/// transaction, so of several processes opening a fresh home at once exactly one migrates and
/// the others see its work; a schema newer than this version knows is refused, not used.
pub fn apply(db: &mut rusqlite::Connection) -> Result<(), StoreError> {
    let known = MIGRATIONS.len() as i64;
    let version = |db: &rusqlite::Connection| -> rusqlite::Result<i64> {
        db.pragma_query_value(None, "user_version", |r| r.get(0))
    };
    if version(db)? == known {
        return Ok(());
    }
    let tx = db.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let done = version(&tx)?;
    if done > known {
        return Err(StoreError::TooNew {
            path: PathBuf::new(),
            found: done,
            known,
        });
    }
    for sql in MIGRATIONS.iter().skip(done.max(0) as usize) {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", known)?;
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_run_once() {
        let mut db = rusqlite::Connection::open_in_memory().unwrap();
        super::apply(&mut db).unwrap();
        super::apply(&mut db).unwrap();
        let version: i64 = db
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version as usize, super::MIGRATIONS.len());
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let mut db = rusqlite::Connection::open_in_memory().unwrap();
        super::apply(&mut db).unwrap();
        db.pragma_update(None, "user_version", super::MIGRATIONS.len() as i64 + 1)
            .unwrap();
        let error = super::apply(&mut db).unwrap_err();
        assert!(matches!(error, super::StoreError::TooNew { .. }), "{error}");
    }
}
