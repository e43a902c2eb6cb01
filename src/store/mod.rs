//! All persistence: one SQLite database under the home directory, with versioned migrations,
//! and the secret store for tokens and app secrets.

mod alerts;
mod connections;
mod databases;
mod erasures;
mod follow_up;
mod job_state;
mod journal;
#[cfg(test)]
pub(crate) use journal::tests::sample_row as sample_job_row;
mod lease;
mod ledger;
mod migrations;
mod paths;
mod secret_place;
mod secrets;
mod shared;
mod suppression;
mod syncs;
mod whereabouts;

use std::path::{Path, PathBuf};

pub use alerts::{
    AlertDestinationRow, AlertMessage, AlertState, ClaimedDelivery,
    MAX_ATTEMPTS as ALERT_MAX_ATTEMPTS, SentAlert, StateChange, TroubledJob,
};
pub use connections::{
    Connection, ConnectionUpdate, NewConnection, TokenInfo, validate_ad_account_id,
};
pub use erasures::{BatchAnswer, ErasedIdentity, ErasureRow};
pub use follow_up::{Followed, Reach, Snapshot};
pub use job_state::JobState;
pub use journal::{
    Batch, BatchOp, BatchState, JobList, JobRow, JournalCounts, NewJob, PlannedBatch, parsed,
};
pub use lease::{HEARTBEAT_SECONDS, Lease, STALE_AFTER_SECONDS};
pub use ledger::DigestPages;
pub use secret_place::{OpenedSecrets, SECRETS_FILE, SecretPlace, open as open_secrets};
pub use secrets::{FileSecrets, KeyringSecrets, MemorySecrets, SecretError, SecretStore};
pub use shared::{SharedStore, blocking};
pub use suppression::{SuppressionKind, SuppressionSource};
pub use syncs::{FileSeen, RunRow, RunState, SyncRow};
pub use whereabouts::{HeldIn, Touched};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("cannot create {}: {source}", path.display())]
    Dir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("there is no connection named '{name}'{}", known_names(.known))]
    NoSuchConnection { name: String, known: Vec<String> },
    #[error("a connection named '{0}' already exists; pick another name or edit that one")]
    DuplicateName(String),
    #[error("{0}")]
    Invalid(String),
    #[error(
        "the database {} was written by a newer version of Audience Desk (schema {found}; this \
         version knows up to {known}); install the newer version, or set AUDIENCE_DESK_HOME to \
         another folder",
        path.display()
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(
        "job {job} is being sent by {owner}, last heard from {seconds_ago} s ago; wait for it \
         to end or stop it there (if that process is gone, this job can be resumed {stale_in} \
         s after its last sign of life)"
    )]
    JobBusy {
        job: i64,
        owner: String,
        seconds_ago: i64,
        stale_in: i64,
    },
    #[error("sync '{sync}' is being run by {owner}, last heard from {seconds_ago} s ago")]
    SyncBusy {
        sync: String,
        owner: String,
        seconds_ago: i64,
    },
    #[error("there is no sync named '{name}'{}", known_syncs(.known))]
    NoSuchSync { name: String, known: Vec<String> },
    #[error("a sync named '{0}' already exists; pick another name or edit that one")]
    DuplicateSync(String),
    #[error("there is no job {0}")]
    NoSuchJob(i64),
    #[error("there is no sync {0}")]
    NoSuchSyncId(i64),
    #[error(
        "the connection '{name}' is used by the syncs {syncs}; remove them first, or move them to another connection"
    )]
    ConnectionInUse { name: String, syncs: String },
    #[error("there is no alert named '{name}'{}", known_alerts(.known))]
    NoSuchAlert { name: String, known: Vec<String> },
    #[error("an alert named '{0}' already exists; pick another name, or remove that one")]
    DuplicateAlert(String),
}

fn known_alerts(known: &[String]) -> String {
    if known.is_empty() {
        "; there are no alerts yet".into()
    } else {
        format!("; alerts: {}", crate::display::names(known))
    }
}

fn known_syncs(known: &[String]) -> String {
    if known.is_empty() {
        "; there are no syncs yet".into()
    } else {
        format!("; syncs: {}", crate::display::names(known))
    }
}

fn known_names(known: &[String]) -> String {
    if known.is_empty() {
        "; there are no connections yet".into()
    } else {
        format!("; connections: {}", crate::display::names(known))
    }
}

impl crate::remedy::HasRemedy for StoreError {
    fn remedy(&self) -> Option<crate::remedy::Remedy> {
        use crate::remedy::Remedy;
        match self {
            StoreError::NoSuchConnection { known, .. } if known.is_empty() => {
                Some(Remedy::AddConnection)
            }
            StoreError::NoSuchSync { known, .. } if known.is_empty() => Some(Remedy::AddSync),
            StoreError::NoSuchJob(_) => Some(Remedy::ListJobs),
            StoreError::NoSuchSyncId(_) => Some(Remedy::ListSyncs),
            _ => None,
        }
    }
}

/// The database's file name in the home.
pub const DATABASE_FILE: &str = "audience-desk.db";

/// The database. Not shared between threads: each thread that needs it opens its own handle
/// (SQLite serializes writers; WAL lets readers go on).
pub struct Store {
    db: rusqlite::Connection,
}

impl Store {
    /// Opens (or creates) the database in `home`. Safe with other processes opening the same
    /// home at once: the first set-up is serialized by a lock in the home, and migrations run
    /// in one `BEGIN IMMEDIATE` transaction that re-reads the schema version inside it.
    pub fn open(home: &Path) -> Result<Store, StoreError> {
        let dir_error = |path: &Path| {
            let path = path.to_owned();
            move |source| StoreError::Dir { path, source }
        };
        crate::home::private_dir(home).map_err(dir_error(home))?;
        let path = home.join(DATABASE_FILE);
        let _setup = crate::home::HomeLock::acquire(home, "database").map_err(dir_error(home))?;
        // Created 0600 before SQLite opens it: SQLite gives its -wal and -shm files the
        // database file's mode.
        crate::home::private_file(&path).map_err(dir_error(&path))?;
        let db = rusqlite::Connection::open(&path).map_err(|source| StoreError::Open {
            path: path.clone(),
            source,
        })?;
        let store = Self::prepare(db).map_err(|e| match e {
            StoreError::TooNew { found, known, .. } => StoreError::TooNew {
                path: path.clone(),
                found,
                known,
            },
            other => other,
        })?;
        // Files left by an earlier version, or made by SQLite before the database was 0600.
        for suffix in ["-wal", "-shm"] {
            let mut side = path.clone().into_os_string();
            side.push(suffix);
            crate::home::tighten(Path::new(&side)).map_err(dir_error(Path::new(&side)))?;
        }
        Ok(store)
    }

    pub fn open_in_memory() -> Result<Store, StoreError> {
        Self::prepare(rusqlite::Connection::open_in_memory()?)
    }

    fn prepare(mut db: rusqlite::Connection) -> Result<Store, StoreError> {
        db.busy_timeout(std::time::Duration::from_secs(30))?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "foreign_keys", "ON")?;
        migrations::apply(&mut db)?;
        Ok(Store { db })
    }

    pub(crate) fn db(&self) -> &rusqlite::Connection {
        &self.db
    }
}
