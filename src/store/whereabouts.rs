//! Where one person's digest is, by the app's own records: the lists whose ledger holds it,
//! and every acknowledged batch that added or removed it. Digests only: the value itself is
//! never stored or asked for here.

use rusqlite::params;
use serde::Serialize;

use super::journal::{BatchOp, word};
use super::{Store, StoreError};
use crate::identity::{Digest, ListType};

/// A list that holds the digest now, as far as this app knows (its ledger).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct HeldIn {
    pub connection: String,
    pub ad_account_id: String,
    pub list_id: String,
    pub list_name: String,
    pub audience_id: Option<String>,
}

/// An acknowledged batch that carried the digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Touched {
    pub job_id: i64,
    /// The saved sync whose run made the job, if one did.
    pub sync: Option<String>,
    pub connection: String,
    pub list_name: String,
    pub list_id: Option<String>,
    /// "added" or "removed".
    pub change: &'static str,
    /// When Pinterest acknowledged it.
    pub at: i64,
}

impl Store {
    /// The lists of `list_type` whose ledger holds `digest`, each once.
    pub fn lists_holding(
        &self,
        list_type: ListType,
        digest: &Digest,
    ) -> Result<Vec<HeldIn>, StoreError> {
        // Each list this app wrote to, then one lookup by its primary key: no scan of the
        // ledger, whatever its size. Oldest job first: the one that made a list named it (a
        // later job given only its id calls it "list ID").
        let mut lists = self.db().prepare(
            "SELECT j.connection, j.ad_account_id, l.list_id, l.list_name, l.audience_id
             FROM job_lists l JOIN jobs j ON j.id = l.job_id
             WHERE l.list_type = ?1 AND l.list_id IS NOT NULL
             ORDER BY l.job_id",
        )?;
        let candidates = lists.query_map([list_type.as_str()], |row| {
            Ok(HeldIn {
                connection: row.get(0)?,
                ad_account_id: row.get(1)?,
                list_id: row.get(2)?,
                list_name: row.get(3)?,
                audience_id: row.get(4)?,
            })
        })?;
        let mut found: Vec<HeldIn> = Vec::new();
        let mut holds = self.db().prepare_cached(
            "SELECT COUNT(*) FROM ledger WHERE ad_account_id = ?1 AND list_id = ?2 AND digest = ?3",
        )?;
        for candidate in candidates {
            let candidate = candidate?;
            let seen = found.iter().any(|f| {
                f.ad_account_id == candidate.ad_account_id && f.list_id == candidate.list_id
            });
            if seen {
                continue;
            }
            let n: i64 = holds.query_row(
                params![candidate.ad_account_id, candidate.list_id, &digest.0[..]],
                |r| r.get(0),
            )?;
            if n > 0 {
                found.push(candidate);
            }
        }
        Ok(found)
    }

    /// Every acknowledged batch of `list_type` that carried `digest`, oldest first. Reads every
    /// such batch's digests once (a batch's are in digest order, so each is a binary search).
    pub fn batches_touching(
        &self,
        list_type: ListType,
        digest: &Digest,
    ) -> Result<Vec<Touched>, StoreError> {
        let mut stmt = self.db().prepare(
            "SELECT b.job_id, b.operation, b.updated_at, b.digests, j.connection,
                    COALESCE((SELECT n.list_name FROM job_lists n WHERE n.list_id = l.list_id
                              ORDER BY n.job_id LIMIT 1), l.list_name),
                    l.list_id,
                    (SELECT s.name FROM sync_runs r JOIN syncs s ON s.id = r.sync_id
                     WHERE r.job_id = b.job_id LIMIT 1)
             FROM batches b JOIN jobs j ON j.id = b.job_id
             LEFT JOIN job_lists l ON l.job_id = b.job_id AND l.list_type = b.list_type
             WHERE b.list_type = ?1 AND b.state = 'acked'
             ORDER BY b.updated_at, b.id",
        )?;
        let mut rows = stmt.query([list_type.as_str()])?;
        let mut found = Vec::new();
        while let Some(row) = rows.next()? {
            let packed = row.get_ref(3)?.as_blob().map_err(rusqlite::Error::from)?;
            if !holds(packed, digest) {
                continue;
            }
            let op = word(row, 1, BatchOp::parse)?;
            found.push(Touched {
                job_id: row.get(0)?,
                sync: row.get(7)?,
                connection: row.get(4)?,
                list_name: row.get::<_, Option<String>>(5)?.unwrap_or_default(),
                list_id: row.get(6)?,
                change: match op {
                    BatchOp::Remove => "removed",
                    BatchOp::Create | BatchOp::Add => "added",
                },
                at: row.get(2)?,
            });
        }
        Ok(found)
    }
}

/// Whether packed 32-byte digests hold `digest`: by binary search when they are in order (as
/// the plan writes them), else by a walk.
fn holds(packed: &[u8], digest: &Digest) -> bool {
    let chunks: Vec<&[u8]> = packed.chunks_exact(32).collect();
    if chunks.windows(2).all(|w| w[0] <= w[1]) {
        chunks.binary_search(&&digest.0[..]).is_ok()
    } else {
        chunks.contains(&&digest.0[..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_is_found_in_sorted_and_unsorted_batches() {
        let d = |b: u8| Digest([b; 32]);
        let sorted: Vec<u8> = [d(1), d(3), d(9)].iter().flat_map(|x| x.0).collect();
        assert!(holds(&sorted, &d(3)));
        assert!(!holds(&sorted, &d(4)));
        let unsorted: Vec<u8> = [d(9), d(1), d(3)].iter().flat_map(|x| x.0).collect();
        assert!(holds(&unsorted, &d(1)));
        assert!(!holds(&unsorted, &d(2)));
    }
}
