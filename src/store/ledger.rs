//! The ledger: the digests this app added to each list and has not removed, the only record of
//! a list's members (Pinterest's lists cannot be read back). Read in digest order, a page at a
//! time, so that a mirror's diff runs against a ledger of any size in bounded memory.

use std::collections::VecDeque;

use rusqlite::params;

use super::journal::unpack;
use super::{Store, StoreError};
use crate::identity::{Digest, ListType};

/// Digests per page read.
const PAGE: usize = 10_000;

impl Store {
    /// The digests this app added to a list and has not removed, in digest order.
    pub fn ledger(&self, ad_account_id: &str, list_id: &str) -> Result<Vec<Digest>, StoreError> {
        DigestPages::ledger(self, ad_account_id, list_id).collect()
    }

    /// Up to `limit` of a set's digests after `after`, in digest order.
    fn digest_page(
        &self,
        set: &PagedSet,
        after: Option<&Digest>,
        limit: usize,
    ) -> Result<Vec<Digest>, StoreError> {
        let after: &[u8] = after.map_or(&[], |d| &d.0);
        let mut digests = Vec::new();
        let mut take = |bytes: rusqlite::Result<Vec<u8>>| -> Result<(), StoreError> {
            digests.extend(unpack(&bytes?));
            Ok(())
        };
        match set {
            PagedSet::Ledger {
                ad_account_id,
                list_id,
            } => {
                let mut stmt = self.db.prepare_cached(
                    "SELECT digest FROM ledger
                     WHERE ad_account_id = ?1 AND list_id = ?2 AND digest > ?3
                     ORDER BY digest LIMIT ?4",
                )?;
                for bytes in stmt.query_map(
                    params![ad_account_id, list_id, after, limit as i64],
                    |row| row.get::<_, Vec<u8>>(0),
                )? {
                    take(bytes)?;
                }
            }
            PagedSet::Suppressed(list_type) => {
                // A digest several sources suppress is read once.
                let mut stmt = self.db.prepare_cached(
                    "SELECT DISTINCT digest FROM suppressed
                     WHERE list_type = ?1 AND digest > ?2
                     ORDER BY digest LIMIT ?3",
                )?;
                for bytes in stmt
                    .query_map(params![list_type.as_str(), after, limit as i64], |row| {
                        row.get::<_, Vec<u8>>(0)
                    })?
                {
                    take(bytes)?;
                }
            }
        }
        Ok(digests)
    }
}

/// A set of digests kept in digest order.
enum PagedSet {
    /// What this app put in one list.
    Ledger {
        ad_account_id: String,
        list_id: String,
    },
    /// The home's suppression list for one list type.
    Suppressed(ListType),
}

/// A digest set in digest order, read a page at a time.
pub struct DigestPages<'a> {
    store: &'a Store,
    set: PagedSet,
    page: VecDeque<Digest>,
    last: Option<Digest>,
    done: bool,
}

impl<'a> DigestPages<'a> {
    /// A list's ledger.
    pub fn ledger(store: &'a Store, ad_account_id: &str, list_id: &str) -> DigestPages<'a> {
        Self::of(
            store,
            PagedSet::Ledger {
                ad_account_id: ad_account_id.to_owned(),
                list_id: list_id.to_owned(),
            },
        )
    }

    /// The identities of `list_type` that must never be sent.
    pub fn suppressed(store: &'a Store, list_type: ListType) -> DigestPages<'a> {
        Self::of(store, PagedSet::Suppressed(list_type))
    }

    fn of(store: &'a Store, set: PagedSet) -> DigestPages<'a> {
        DigestPages {
            store,
            set,
            page: VecDeque::new(),
            last: None,
            done: false,
        }
    }
}

impl Iterator for DigestPages<'_> {
    type Item = Result<Digest, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.page.is_empty() && !self.done {
            match self.store.digest_page(&self.set, self.last.as_ref(), PAGE) {
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
