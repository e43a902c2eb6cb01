//! The home's suppression list: digests that must never be sent, by list type, each kept by
//! the source that put it there (a file, an erasure) so removing one source leaves what
//! another still suppresses. Digests only: a raw value is never stored.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError};
use crate::identity::{Digest, ListType};

/// What put identities on the suppression list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionKind {
    /// A file of opt-outs, read like an upload.
    File,
    /// Values typed or given to an erasure.
    Erasure,
}

impl SuppressionKind {
    fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::File => "file",
            SuppressionKind::Erasure => "erasure",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "file" => Some(SuppressionKind::File),
            "erasure" => Some(SuppressionKind::Erasure),
            _ => None,
        }
    }
}

/// One source of suppressed identities, as `suppress list` shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SuppressionSource {
    pub id: i64,
    pub kind: SuppressionKind,
    /// The file it was read from, or "erasure N".
    pub label: String,
    pub reason: String,
    /// Identities it added, by list type.
    pub counts: BTreeMap<ListType, u64>,
    pub added_at: i64,
}

impl Store {
    /// Records a source and its digests, in one transaction: a suppression list is never
    /// half written. Returns the source's id.
    pub fn add_suppression(
        &mut self,
        kind: SuppressionKind,
        label: &str,
        reason: &str,
        digests: &mut dyn Iterator<Item = Result<(ListType, Digest), StoreError>>,
    ) -> Result<i64, StoreError> {
        let tx = self.db.transaction()?;
        tx.execute(
            "INSERT INTO suppression_sources (kind, label, reason, added_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![kind.as_str(), label, reason, crate::os::now()],
        )?;
        let id = tx.last_insert_rowid();
        let mut counts: BTreeMap<ListType, u64> = BTreeMap::new();
        {
            let mut insert = tx.prepare(
                "INSERT OR IGNORE INTO suppressed (list_type, digest, source_id)
                 VALUES (?1, ?2, ?3)",
            )?;
            for entry in digests {
                let (list_type, digest) = entry?;
                *counts.entry(list_type).or_default() +=
                    insert.execute(params![list_type.as_str(), &digest.0[..], id])? as u64;
            }
        }
        let counts =
            serde_json::to_string(&counts).map_err(|e| StoreError::Invalid(e.to_string()))?;
        tx.execute(
            "UPDATE suppression_sources SET counts = ?2 WHERE id = ?1",
            params![id, counts],
        )?;
        mark_changed(&tx)?;
        tx.commit()?;
        Ok(id)
    }

    /// Every source, oldest first.
    pub fn suppression_sources(&self) -> Result<Vec<SuppressionSource>, StoreError> {
        let mut stmt = self.db.prepare(
            "SELECT id, kind, label, reason, counts, added_at FROM suppression_sources ORDER BY id",
        )?;
        let rows = stmt.query_map([], |row| {
            let counts: String = row.get(4)?;
            Ok(SuppressionSource {
                id: row.get(0)?,
                kind: super::journal::word(row, 1, SuppressionKind::parse)?,
                label: row.get(2)?,
                reason: row.get(3)?,
                counts: serde_json::from_str(&counts).unwrap_or_default(),
                added_at: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Distinct suppressed identities of each list type (a digest several sources hold counts
    /// once).
    pub fn suppressed_counts(&self) -> Result<BTreeMap<ListType, u64>, StoreError> {
        let mut counts = BTreeMap::new();
        let mut stmt = self
            .db
            .prepare_cached("SELECT COUNT(DISTINCT digest) FROM suppressed WHERE list_type = ?1")?;
        for list_type in ListType::ALL {
            let n: i64 = stmt.query_row([list_type.as_str()], |r| r.get(0))?;
            if n > 0 {
                counts.insert(list_type, n as u64);
            }
        }
        Ok(counts)
    }

    /// Whether any identity of `list_type` is suppressed: a plan sorts and walks the
    /// suppression list only then.
    pub fn suppresses_any(&self, list_type: ListType) -> Result<bool, StoreError> {
        Ok(self
            .db
            .prepare_cached("SELECT 1 FROM suppressed WHERE list_type = ?1 LIMIT 1")?
            .query_row([list_type.as_str()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Whether `digest` is suppressed.
    pub fn is_suppressed(&self, list_type: ListType, digest: &Digest) -> Result<bool, StoreError> {
        Ok(self
            .db
            .prepare_cached(
                "SELECT 1 FROM suppressed WHERE list_type = ?1 AND digest = ?2 LIMIT 1",
            )?
            .query_row(params![list_type.as_str(), &digest.0[..]], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Removes a source and what only it suppressed. Refused for an unknown id, naming the
    /// known ones.
    pub fn remove_suppression(&self, id: i64) -> Result<SuppressionSource, StoreError> {
        let sources = self.suppression_sources()?;
        let Some(source) = sources.iter().find(|s| s.id == id).cloned() else {
            let known: Vec<String> = sources.iter().map(|s| s.id.to_string()).collect();
            return Err(StoreError::Invalid(if known.is_empty() {
                format!("there is no suppression source {id}; the suppression list is empty")
            } else {
                format!(
                    "there is no suppression source {id}; the sources are {}",
                    known.join(", ")
                )
            }));
        };
        let tx = self.db.unchecked_transaction()?;
        tx.execute("DELETE FROM suppression_sources WHERE id = ?1", [id])?;
        mark_changed(&tx)?;
        tx.commit()?;
        Ok(source)
    }

    /// When the suppression list last changed: a sync whose file has not changed since its
    /// last run runs again after it.
    pub fn suppression_changed_at(&self) -> Result<Option<i64>, StoreError> {
        let value: Option<String> = self
            .db
            .query_row(
                "SELECT value FROM meta WHERE key = 'suppression_changed_at'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(value.and_then(|v| v.parse().ok()))
    }
}

fn mark_changed(db: &rusqlite::Connection) -> Result<(), StoreError> {
    db.execute(
        "INSERT INTO meta (key, value) VALUES ('suppression_changed_at', ?1)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [crate::os::now().to_string()],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::sha256;

    fn add(store: &mut Store, label: &str, values: &[&str]) -> i64 {
        let mut digests = values
            .iter()
            .map(|v| Ok((ListType::Email, sha256(v))))
            .collect::<Vec<_>>()
            .into_iter();
        store
            .add_suppression(SuppressionKind::File, label, "", &mut digests)
            .unwrap()
    }

    #[test]
    fn a_digest_two_sources_hold_stays_until_both_go() {
        let mut store = Store::open_in_memory().unwrap();
        let first = add(&mut store, "a.csv", &["a", "b"]);
        let second = add(&mut store, "b.csv", &["b", "c"]);
        assert_eq!(store.suppressed_counts().unwrap()[&ListType::Email], 3);
        let sources = store.suppression_sources().unwrap();
        assert_eq!(sources[1].counts[&ListType::Email], 2);
        store.remove_suppression(first).unwrap();
        assert!(!store.is_suppressed(ListType::Email, &sha256("a")).unwrap());
        assert!(store.is_suppressed(ListType::Email, &sha256("b")).unwrap());
        assert!(!store.suppresses_any(ListType::Maid).unwrap());
        let read: Vec<Digest> = super::super::DigestPages::suppressed(&store, ListType::Email)
            .collect::<Result<_, _>>()
            .unwrap();
        let mut expected = vec![sha256("b"), sha256("c")];
        expected.sort();
        assert_eq!(read, expected);
        store.remove_suppression(second).unwrap();
        assert!(store.suppressed_counts().unwrap().is_empty());
        let said = store.remove_suppression(second).unwrap_err().to_string();
        assert!(said.contains("suppression list is empty"), "{said}");
    }
}
