//! What a full pass measures: rows, each identity column's counts by outcome, each list
//! type's unique identities, and the rejects it reports (line and column, never content).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::identity::{ListType, Namespace, Reason};

/// A rejected cell or row. Carries the line and column only, never the cell's content.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reject {
    /// Line of the file where the row starts (1-based, the header is line 1).
    pub line: u64,
    /// Index into the plan's columns; `None` when the whole row was rejected.
    pub column: Option<usize>,
    pub reason: Reason,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Progress {
    pub bytes_read: u64,
    pub total_bytes: u64,
    pub rows: u64,
}

/// Measured counts for one identity column.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnCounts {
    pub name: String,
    pub namespace: Option<Namespace>,
    /// Accepted values, duplicates included.
    pub valid: u64,
    pub empty: u64,
    pub invalid: BTreeMap<Reason, u64>,
    /// Accepted values whose digest already came earlier in the file, in any column of the
    /// same list type.
    pub duplicates: u64,
}

impl ColumnCounts {
    pub fn invalid_total(&self) -> u64 {
        self.invalid.values().sum()
    }
}

/// Counts for one customer list type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListCounts {
    pub list_type: ListType,
    pub valid: u64,
    pub unique: u64,
    pub duplicates: u64,
    /// Unique identities kept out because the home's suppression list holds them: set by an
    /// upload's plan, not by the reader.
    #[serde(default)]
    pub suppressed: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Data rows read, header excluded.
    pub rows: u64,
    pub bytes: u64,
    /// Rows rejected whole, by reason.
    pub row_rejects: BTreeMap<Reason, u64>,
    pub columns: Vec<ColumnCounts>,
    pub lists: Vec<ListCounts>,
}
