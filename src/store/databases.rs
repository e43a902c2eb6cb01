//! The databases whose password this home keeps in its secret store, by address (the
//! passwords themselves are only in the secret store): so that moving the secrets moves
//! them too, and the window can say which addresses it knows.

use rusqlite::OptionalExtension;

use super::{Store, StoreError};

const KEY: &str = "database_passwords";

impl Store {
    /// Addresses of the databases with a password kept, in order.
    pub fn databases_with_password(&self) -> Result<Vec<String>, StoreError> {
        read(&self.db)
    }

    /// Notes that a password is kept (or no longer kept) for `address`; one immediate
    /// transaction, so two processes noting at once both count.
    pub fn note_database_password(&mut self, address: &str, kept: bool) -> Result<(), StoreError> {
        let tx = self
            .db
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut addresses = read(&tx)?;
        addresses.retain(|a| a != address);
        if kept {
            addresses.push(address.to_owned());
            addresses.sort();
        }
        tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [KEY, &serde_json::to_string(&addresses).unwrap_or_default()],
        )?;
        tx.commit()?;
        Ok(())
    }
}

fn read(db: &rusqlite::Connection) -> Result<Vec<String>, StoreError> {
    let value: Option<String> = db
        .query_row("SELECT value FROM meta WHERE key = ?1", [KEY], |r| r.get(0))
        .optional()?;
    Ok(value
        .and_then(|v| serde_json::from_str(&v).ok())
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_noted_once_and_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        assert!(store.databases_with_password().unwrap().is_empty());
        store
            .note_database_password("postgres://crm@db/shop", true)
            .unwrap();
        store
            .note_database_password("postgres://crm@db/shop", true)
            .unwrap();
        store
            .note_database_password("postgres://a@db/x", true)
            .unwrap();
        assert_eq!(
            store.databases_with_password().unwrap(),
            ["postgres://a@db/x", "postgres://crm@db/shop"]
        );
        store
            .note_database_password("postgres://crm@db/shop", false)
            .unwrap();
        assert_eq!(
            store.databases_with_password().unwrap(),
            ["postgres://a@db/x"]
        );
    }
}
