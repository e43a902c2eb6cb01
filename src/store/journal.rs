//! A job being journaled: its row and lists first, then its batches one at a time as the
//! plan produces them, all in one transaction.

use rusqlite::params;

use super::StoreError;
use super::jobs::{BatchOp, pack};
use crate::identity::{Digest, ListType};

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
