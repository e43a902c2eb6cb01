//! All persistence: one SQLite database under the home directory, with versioned migrations,
//! and the secret store for tokens and app secrets.

mod connections;
mod jobs;
mod migrations;
mod secrets;

use std::path::{Path, PathBuf};

pub use connections::{
    Connection, ConnectionUpdate, NewConnection, TokenInfo, validate_ad_account_id,
};
pub use jobs::{
    Batch, BatchOp, BatchState, JobList, JobRow, JobState, JournalCounts, PlannedBatch,
    STALE_AFTER_SECONDS,
};
pub use secrets::{
    FileSecrets, KeyringSecrets, MemorySecrets, SecretError, SecretStore, open_secrets,
};

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
}

fn known_names(known: &[String]) -> String {
    if known.is_empty() {
        "; there are no connections yet (add one with `audience-desk connection add`)".into()
    } else {
        format!("; connections: {}", known.join(", "))
    }
}

/// The database. Not shared between threads: each thread that needs it opens its own handle
/// (SQLite serializes writers; WAL lets readers go on).
pub struct Store {
    db: rusqlite::Connection,
}

impl Store {
    pub fn open(home: &Path) -> Result<Store, StoreError> {
        std::fs::create_dir_all(home).map_err(|source| StoreError::Dir {
            path: home.to_owned(),
            source,
        })?;
        let path = home.join("audience-desk.db");
        let db = rusqlite::Connection::open(&path).map_err(|source| StoreError::Open {
            path: path.clone(),
            source,
        })?;
        Self::prepare(db)
    }

    pub fn open_in_memory() -> Result<Store, StoreError> {
        Self::prepare(rusqlite::Connection::open_in_memory()?)
    }

    fn prepare(mut db: rusqlite::Connection) -> Result<Store, StoreError> {
        db.busy_timeout(std::time::Duration::from_secs(10))?;
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "foreign_keys", "ON")?;
        migrations::apply(&mut db)?;
        Ok(Store { db })
    }

    pub(crate) fn db(&self) -> &rusqlite::Connection {
        &self.db
    }
}
