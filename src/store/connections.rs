use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError};

/// A saved Pinterest connection: which ad account, through which app.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Connection {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub ad_account_id: String,
    /// The Pinterest app's ID when stored with the connection; otherwise `PINTEREST_APP_ID`.
    pub app_id: Option<String>,
    pub created_at: i64,
}

#[derive(Clone, Debug, Default)]
pub struct NewConnection {
    pub name: String,
    pub description: String,
    pub ad_account_id: String,
    pub app_id: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct ConnectionUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub ad_account_id: Option<String>,
    pub app_id: Option<Option<String>>,
}

/// What is known of a connection's tokens. The tokens themselves are in the secret store.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenInfo {
    pub access_expires_at: i64,
    pub refresh_expires_at: i64,
    pub scope: String,
    pub connected_at: i64,
    pub last_refresh_at: Option<i64>,
    /// Set when Pinterest refused the refresh token: the user must connect again.
    pub reconnect_reason: Option<String>,
    /// The Pinterest user who logged in (their username), when known.
    pub login_user: Option<String>,
}

/// Pinterest ad account IDs are digits only, at most 18 of them.
pub fn validate_ad_account_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        Err("the Ad Account ID is empty; copy it from Ads Manager (digits only)".into())
    } else if !id.bytes().all(|b| b.is_ascii_digit()) {
        Err(format!(
            "the Ad Account ID '{id}' must be digits only (as in Ads Manager's URL)"
        ))
    } else if id.len() > 18 {
        Err(format!(
            "the Ad Account ID '{id}' has {} digits; Pinterest's have at most 18",
            id.len()
        ))
    } else {
        Ok(())
    }
}

fn validate_name(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        Err("a connection needs a name".into())
    } else if name.trim() != name {
        Err("a connection name cannot start or end with spaces".into())
    } else if name.chars().any(char::is_control) {
        // It is printed in terminals, notices and commands to paste.
        Err("a connection name cannot hold control characters (tabs, line breaks, escapes)".into())
    } else {
        Ok(())
    }
}

/// A write that broke the unique-name constraint means the name is taken.
pub(super) fn name_is_free(
    written: rusqlite::Result<usize>,
    taken: impl FnOnce() -> StoreError,
) -> Result<(), StoreError> {
    match written {
        Err(rusqlite::Error::SqliteFailure(e, _))
            if e.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Err(taken())
        }
        other => other.map(drop).map_err(StoreError::from),
    }
}

fn row_to_connection(row: &rusqlite::Row<'_>) -> rusqlite::Result<Connection> {
    Ok(Connection {
        id: row.get(0)?,
        name: row.get(1)?,
        description: row.get(2)?,
        ad_account_id: row.get(3)?,
        app_id: row.get(4)?,
        created_at: row.get(5)?,
    })
}

const COLUMNS: &str = "id, name, description, ad_account_id, app_id, created_at";

impl Store {
    pub fn add_connection(&self, new: &NewConnection) -> Result<Connection, StoreError> {
        validate_name(&new.name).map_err(StoreError::Invalid)?;
        validate_ad_account_id(&new.ad_account_id).map_err(StoreError::Invalid)?;
        let inserted = self.db().execute(
            "INSERT INTO connections (name, description, ad_account_id, app_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                new.name,
                new.description,
                new.ad_account_id,
                new.app_id,
                crate::os::now()
            ],
        );
        name_is_free(inserted, || StoreError::DuplicateName(new.name.clone()))?;
        self.connection(&new.name)
    }

    pub fn connections(&self) -> Result<Vec<Connection>, StoreError> {
        let mut stmt = self
            .db()
            .prepare(&format!("SELECT {COLUMNS} FROM connections ORDER BY name"))?;
        let rows = stmt.query_map([], row_to_connection)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn connection(&self, name: &str) -> Result<Connection, StoreError> {
        let found = self
            .db()
            .query_row(
                &format!("SELECT {COLUMNS} FROM connections WHERE name = ?1"),
                [name],
                row_to_connection,
            )
            .optional()?;
        match found {
            Some(connection) => Ok(connection),
            None => Err(StoreError::NoSuchConnection {
                name: name.to_owned(),
                known: self.connections()?.into_iter().map(|c| c.name).collect(),
            }),
        }
    }

    pub fn update_connection(
        &self,
        name: &str,
        update: &ConnectionUpdate,
    ) -> Result<Connection, StoreError> {
        let mut current = self.connection(name)?;
        if let Some(new_name) = &update.name {
            validate_name(new_name).map_err(StoreError::Invalid)?;
            current.name = new_name.clone();
        }
        if let Some(description) = &update.description {
            current.description = description.clone();
        }
        if let Some(id) = &update.ad_account_id {
            validate_ad_account_id(id).map_err(StoreError::Invalid)?;
            current.ad_account_id = id.clone();
        }
        if let Some(app_id) = &update.app_id {
            current.app_id = app_id.clone();
        }
        let updated = self.db().execute(
            "UPDATE connections SET name = ?1, description = ?2, ad_account_id = ?3, app_id = ?4
             WHERE id = ?5",
            params![
                current.name,
                current.description,
                current.ad_account_id,
                current.app_id,
                current.id
            ],
        );
        name_is_free(updated, || StoreError::DuplicateName(current.name.clone()))?;
        Ok(current)
    }

    /// Removes the connection and what is known of its tokens; the caller removes its secrets.
    pub fn remove_connection(&self, name: &str) -> Result<Connection, StoreError> {
        let connection = self.connection(name)?;
        let syncs = self.syncs_of_connection(connection.id)?;
        if !syncs.is_empty() {
            return Err(StoreError::ConnectionInUse {
                name: name.to_owned(),
                syncs: crate::display::names(&syncs),
            });
        }
        self.db()
            .execute("DELETE FROM connections WHERE id = ?1", [connection.id])?;
        Ok(connection)
    }

    /// This home's own identifier, made once when its database was created.
    pub fn home_id(&self) -> Result<String, StoreError> {
        Ok(self
            .db()
            .query_row("SELECT value FROM meta WHERE key = 'home_id'", [], |row| {
                row.get(0)
            })?)
    }

    /// Whether any connection has logged in: its tokens are somewhere.
    pub fn has_logins(&self) -> Result<bool, StoreError> {
        Ok(self
            .db()
            .query_row("SELECT EXISTS (SELECT 1 FROM tokens)", [], |row| row.get(0))?)
    }

    pub fn token_info(&self, connection_id: i64) -> Result<Option<TokenInfo>, StoreError> {
        Ok(self
            .db()
            .query_row(
                "SELECT access_expires_at, refresh_expires_at, scope, connected_at,
                        last_refresh_at, reconnect_reason, login_user
                 FROM tokens WHERE connection_id = ?1",
                [connection_id],
                |row| {
                    Ok(TokenInfo {
                        access_expires_at: row.get(0)?,
                        refresh_expires_at: row.get(1)?,
                        scope: row.get(2)?,
                        connected_at: row.get(3)?,
                        last_refresh_at: row.get(4)?,
                        reconnect_reason: row.get(5)?,
                        login_user: row.get(6)?,
                    })
                },
            )
            .optional()?)
    }

    pub fn save_token_info(&self, connection_id: i64, info: &TokenInfo) -> Result<(), StoreError> {
        self.db().execute(
            "INSERT INTO tokens (connection_id, access_expires_at, refresh_expires_at, scope,
                                 connected_at, last_refresh_at, reconnect_reason, login_user)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT (connection_id) DO UPDATE SET
                access_expires_at = excluded.access_expires_at,
                refresh_expires_at = excluded.refresh_expires_at,
                scope = excluded.scope,
                connected_at = excluded.connected_at,
                last_refresh_at = excluded.last_refresh_at,
                reconnect_reason = excluded.reconnect_reason,
                login_user = excluded.login_user",
            params![
                connection_id,
                info.access_expires_at,
                info.refresh_expires_at,
                info.scope,
                info.connected_at,
                info.last_refresh_at,
                info.reconnect_reason,
                info.login_user
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(name: &str, id: &str) -> NewConnection {
        NewConnection {
            name: name.into(),
            ad_account_id: id.into(),
            ..Default::default()
        }
    }

    #[test]
    fn add_list_edit_remove() {
        let store = Store::open_in_memory().unwrap();
        store.add_connection(&new("EU", "549755885175")).unwrap();
        store.add_connection(&new("US", "1")).unwrap();
        assert!(matches!(
            store.add_connection(&new("EU", "2")),
            Err(StoreError::DuplicateName(_))
        ));
        let names: Vec<_> = store
            .connections()
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(names, ["EU", "US"]);
        for bad in ["EU\nshop", "\u{1b}[2Jshop", "tab\there"] {
            assert!(matches!(
                store.add_connection(&new(bad, "3")),
                Err(StoreError::Invalid(_))
            ));
        }
        let update = ConnectionUpdate {
            description: Some("Europe".into()),
            ..Default::default()
        };
        assert_eq!(
            store.update_connection("EU", &update).unwrap().description,
            "Europe"
        );
        store.remove_connection("US").unwrap();
        let err = store.connection("US").unwrap_err().to_string();
        assert!(err.contains("connections: EU"), "{err}");
    }

    #[test]
    fn ad_account_ids_are_digits_only_up_to_18() {
        assert!(validate_ad_account_id("549755885175").is_ok());
        assert!(validate_ad_account_id("123456789012345678").is_ok());
        assert!(
            validate_ad_account_id("1234567890123456789")
                .unwrap_err()
                .contains("19 digits")
        );
        assert!(
            validate_ad_account_id("act_123")
                .unwrap_err()
                .contains("digits only")
        );
        assert!(validate_ad_account_id("").is_err());
        let store = Store::open_in_memory().unwrap();
        assert!(matches!(
            store.add_connection(&new("X", "12a")),
            Err(StoreError::Invalid(_))
        ));
    }

    #[test]
    fn token_info_round_trips_and_cascades() {
        let store = Store::open_in_memory().unwrap();
        let c = store.add_connection(&new("EU", "1")).unwrap();
        let info = TokenInfo {
            access_expires_at: 10,
            refresh_expires_at: 20,
            scope: "ads:read".into(),
            connected_at: 5,
            last_refresh_at: None,
            reconnect_reason: None,
            login_user: Some("ann".into()),
        };
        store.save_token_info(c.id, &info).unwrap();
        assert_eq!(store.token_info(c.id).unwrap(), Some(info));
        store.remove_connection("EU").unwrap();
        assert_eq!(store.token_info(c.id).unwrap(), None);
    }
}
