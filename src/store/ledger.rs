//! The ledger: the digests this app added to each list and has not removed, the only record of
//! a list's members (Pinterest's lists cannot be read back). Read in digest order, a page at a
//! time, so that a mirror's diff runs against a ledger of any size in bounded memory.

use std::collections::VecDeque;

use rusqlite::params;

use super::journal::unpack;
use super::{Store, StoreError};
use crate::identity::Digest;

/// Digests per page read.
const PAGE: usize = 10_000;

impl Store {
    /// The digests this app added to a list and has not removed, in digest order.
    pub fn ledger(&self, ad_account_id: &str, list_id: &str) -> Result<Vec<Digest>, StoreError> {
        LedgerPages::new(self, ad_account_id, list_id).collect()
    }

    /// Up to `limit` of a list's ledger digests after `after`, in digest order.
    fn ledger_page(
        &self,
        ad_account_id: &str,
        list_id: &str,
        after: Option<&Digest>,
        limit: usize,
    ) -> Result<Vec<Digest>, StoreError> {
        let after: &[u8] = after.map_or(&[], |d| &d.0);
        let mut stmt = self.db.prepare_cached(
            "SELECT digest FROM ledger
             WHERE ad_account_id = ?1 AND list_id = ?2 AND digest > ?3
             ORDER BY digest LIMIT ?4",
        )?;
        let rows = stmt.query_map(
            params![ad_account_id, list_id, after, limit as i64],
            |row| row.get::<_, Vec<u8>>(0),
        )?;
        let mut digests = Vec::new();
        for bytes in rows {
            digests.extend(unpack(&bytes?));
        }
        Ok(digests)
    }
}

/// A list's ledger in digest order, read a page at a time.
pub struct LedgerPages<'a> {
    store: &'a Store,
    ad_account_id: String,
    list_id: String,
    page: VecDeque<Digest>,
    last: Option<Digest>,
    done: bool,
}

impl<'a> LedgerPages<'a> {
    pub fn new(store: &'a Store, ad_account_id: &str, list_id: &str) -> LedgerPages<'a> {
        LedgerPages {
            store,
            ad_account_id: ad_account_id.to_owned(),
            list_id: list_id.to_owned(),
            page: VecDeque::new(),
            last: None,
            done: false,
        }
    }
}

impl Iterator for LedgerPages<'_> {
    type Item = Result<Digest, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.page.is_empty() && !self.done {
            let page = self.store.ledger_page(
                &self.ad_account_id,
                &self.list_id,
                self.last.as_ref(),
                PAGE,
            );
            match page {
                Ok(page) => {
                    self.done = page.len() < PAGE;
                    self.last = page.last().copied().or(self.last);
                    self.page = page.into();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        self.page.pop_front().map(Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_walk_the_whole_ledger_in_digest_order() {
        let mut store = Store::open_in_memory().unwrap();
        let digests: Vec<Digest> = (0..(PAGE as u32 * 2 + 7))
            .map(|i| crate::identity::sha256(&i.to_string()))
            .collect();
        {
            let tx = store.db.transaction().unwrap();
            for d in &digests {
                tx.execute(
                    "INSERT INTO ledger (ad_account_id, list_id, digest) VALUES ('1', 'L', ?1)",
                    [&d.0[..]],
                )
                .unwrap();
            }
            tx.commit().unwrap();
        }
        let read: Vec<Digest> = store.ledger("1", "L").unwrap();
        let mut expected = digests;
        expected.sort();
        assert_eq!(read, expected);
        assert!(store.ledger("1", "other").unwrap().is_empty());
    }
}
