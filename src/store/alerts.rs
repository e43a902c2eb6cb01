//! Alerts as stored: where they go, the state each subject was last reported in, and the
//! messages with one delivery per destination. The state and the deliveries live here, not in
//! a process, so several processes on one home report each change once and send each message
//! once (a delivery is claimed for a while before it is sent).

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;

use super::connections::name_is_free;
use super::{Store, StoreError};

/// A place alerts go, as stored. `settings` is the feature's JSON, without any secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AlertDestinationRow {
    pub id: i64,
    pub name: String,
    pub kind: String,
    pub settings: String,
    pub created_at: i64,
    /// When a message last reached it, and the last failure (cleared by a success).
    pub last_delivered_at: Option<i64>,
    pub last_error: Option<String>,
}

/// The state a subject was last reported in ("failed", "stale", ...), and since when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertState {
    pub state: String,
    pub changed_at: i64,
}

/// A subject's new state: `None` when it is fine again (its row goes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateChange {
    pub subject: String,
    pub state: Option<String>,
}

/// A message to send to every destination.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AlertMessage {
    pub subject: String,
    pub event: String,
    pub state: String,
    pub message: String,
    pub created_at: i64,
}

/// A message due at one destination, claimed by this process.
#[derive(Clone, Debug)]
pub struct ClaimedDelivery {
    pub message_id: i64,
    pub message: AlertMessage,
    pub destination: AlertDestinationRow,
    pub attempts: i64,
}

/// A job that failed or holds removals, as alerts report it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TroubledJob {
    pub id: i64,
    pub connection: String,
    /// "failed" or "held".
    pub state: String,
    pub message: Option<String>,
}

/// A message sent lately, with how many destinations have it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SentAlert {
    #[serde(flatten)]
    pub message: AlertMessage,
    pub delivered_to: i64,
    pub destinations: i64,
}

/// After this many failed attempts a delivery is given up (its last error stays shown).
pub const MAX_ATTEMPTS: i64 = 16;

const DESTINATION_COLUMNS: &str = "d.id, d.name, d.kind, d.settings, d.created_at,
    (SELECT MAX(delivered_at) FROM alert_deliveries x WHERE x.destination_id = d.id),
    (SELECT x.last_error FROM alert_deliveries x WHERE x.destination_id = d.id
       AND x.last_error IS NOT NULL AND x.delivered_at IS NULL
       ORDER BY x.message_id DESC LIMIT 1)";

/// A message's five columns from `at` on.
fn message_row(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<AlertMessage> {
    Ok(AlertMessage {
        subject: row.get(at)?,
        event: row.get(at + 1)?,
        state: row.get(at + 2)?,
        message: row.get(at + 3)?,
        created_at: row.get(at + 4)?,
    })
}

/// A destination's `DESTINATION_COLUMNS` from `at` on.
fn destination_row(row: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<AlertDestinationRow> {
    Ok(AlertDestinationRow {
        id: row.get(at)?,
        name: row.get(at + 1)?,
        kind: row.get(at + 2)?,
        settings: row.get(at + 3)?,
        created_at: row.get(at + 4)?,
        last_delivered_at: row.get(at + 5)?,
        last_error: row.get(at + 6)?,
    })
}

/// Keeps a message with a delivery due now for every destination (claimed until
/// `claimed_until`, when given); its id.
fn queue(
    tx: &rusqlite::Transaction<'_>,
    message: &AlertMessage,
    now: i64,
    claimed_until: Option<i64>,
) -> rusqlite::Result<i64> {
    tx.execute(
        "INSERT INTO alert_messages (subject, event, state, message, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            message.subject,
            message.event,
            message.state,
            message.message,
            message.created_at
        ],
    )?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO alert_deliveries (message_id, destination_id, next_at, claimed_until)
         SELECT ?1, id, ?2, ?3 FROM alert_destinations",
        params![id, now, claimed_until],
    )?;
    Ok(id)
}

impl Store {
    pub fn add_alert_destination(
        &self,
        name: &str,
        kind: &str,
        settings: &str,
    ) -> Result<AlertDestinationRow, StoreError> {
        let inserted = self.db().execute(
            "INSERT INTO alert_destinations (name, kind, settings, created_at)
             VALUES (?1, ?2, ?3, ?4)",
            params![name, kind, settings, crate::os::now()],
        );
        name_is_free(inserted, || StoreError::DuplicateAlert(name.to_owned()))?;
        self.alert_destination(name)
    }

    pub fn alert_destinations(&self) -> Result<Vec<AlertDestinationRow>, StoreError> {
        let mut stmt = self.db().prepare(&format!(
            "SELECT {DESTINATION_COLUMNS} FROM alert_destinations d ORDER BY d.name"
        ))?;
        let rows = stmt.query_map([], |row| destination_row(row, 0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn alert_destination(&self, name: &str) -> Result<AlertDestinationRow, StoreError> {
        let found = self
            .db()
            .query_row(
                &format!(
                    "SELECT {DESTINATION_COLUMNS} FROM alert_destinations d WHERE d.name = ?1"
                ),
                [name],
                |row| destination_row(row, 0),
            )
            .optional()?;
        match found {
            Some(row) => Ok(row),
            None => Err(StoreError::NoSuchAlert {
                name: name.to_owned(),
                known: self
                    .alert_destinations()?
                    .into_iter()
                    .map(|d| d.name)
                    .collect(),
            }),
        }
    }

    /// Removes a destination and its pending deliveries.
    pub fn remove_alert_destination(&self, name: &str) -> Result<AlertDestinationRow, StoreError> {
        let row = self.alert_destination(name)?;
        self.db()
            .execute("DELETE FROM alert_destinations WHERE id = ?1", [row.id])?;
        Ok(row)
    }

    /// Every subject's last reported state.
    pub fn alert_states(&self) -> Result<BTreeMap<String, AlertState>, StoreError> {
        let mut stmt = self
            .db()
            .prepare("SELECT subject, state, changed_at FROM alert_states")?;
        let rows = stmt.query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                AlertState {
                    state: row.get(1)?,
                    changed_at: row.get(2)?,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Records new states and queues their messages for every destination, in one write
    /// transaction (the caller holds the home's alerts lock while it compares).
    pub fn record_alerts(
        &mut self,
        changes: &[StateChange],
        messages: &[AlertMessage],
    ) -> Result<(), StoreError> {
        let now = crate::os::now();
        let tx = self
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        for change in changes {
            match &change.state {
                Some(state) => tx.execute(
                    "INSERT INTO alert_states (subject, state, changed_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (subject) DO UPDATE SET state = excluded.state,
                         changed_at = excluded.changed_at",
                    params![change.subject, state, now],
                )?,
                None => tx.execute(
                    "DELETE FROM alert_states WHERE subject = ?1",
                    [&change.subject],
                )?,
            };
        }
        for message in messages {
            queue(&tx, message, now, None)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Claims up to `limit` deliveries that are due, for `lease_seconds`: no other process
    /// sends them meanwhile. A claim that runs out (its process died) is due again.
    pub fn claim_alert_deliveries(
        &mut self,
        lease_seconds: i64,
        limit: usize,
    ) -> Result<Vec<ClaimedDelivery>, StoreError> {
        let now = crate::os::now();
        let tx = self
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let claimed = {
            let mut stmt = tx.prepare(&format!(
                "SELECT m.id, m.subject, m.event, m.state, m.message, m.created_at, x.attempts,
                        {DESTINATION_COLUMNS}
                 FROM alert_deliveries x
                 JOIN alert_messages m ON m.id = x.message_id
                 JOIN alert_destinations d ON d.id = x.destination_id
                 WHERE x.delivered_at IS NULL AND x.next_at <= ?1 AND x.attempts < ?2
                   AND (x.claimed_until IS NULL OR x.claimed_until <= ?1)
                 ORDER BY m.id LIMIT ?3"
            ))?;
            let rows = stmt.query_map(params![now, MAX_ATTEMPTS, limit as i64], |row| {
                Ok(ClaimedDelivery {
                    message_id: row.get(0)?,
                    message: message_row(row, 1)?,
                    attempts: row.get(6)?,
                    destination: destination_row(row, 7)?,
                })
            })?;
            rows.collect::<Result<Vec<_>, _>>()?
        };
        for delivery in &claimed {
            tx.execute(
                "UPDATE alert_deliveries SET claimed_until = ?3
                 WHERE message_id = ?1 AND destination_id = ?2",
                params![
                    delivery.message_id,
                    delivery.destination.id,
                    now + lease_seconds
                ],
            )?;
        }
        tx.commit()?;
        Ok(claimed)
    }

    /// Queues `message` for every destination, already claimed by this process for
    /// `lease_seconds` (a test sent at once, kept like any other message); its id and the
    /// destinations.
    pub fn queue_claimed_alert(
        &mut self,
        message: &AlertMessage,
        lease_seconds: i64,
    ) -> Result<(i64, Vec<AlertDestinationRow>), StoreError> {
        let now = crate::os::now();
        let tx = self
            .db
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let id = queue(&tx, message, now, Some(now + lease_seconds))?;
        tx.commit()?;
        Ok((id, self.alert_destinations()?))
    }

    /// Records how a claimed delivery went: sent (`None`), or failed with its error and when
    /// it is due again (`None`: never; it is given up).
    pub fn finish_alert_delivery(
        &self,
        message_id: i64,
        destination_id: i64,
        failed: Option<(&str, Option<i64>)>,
    ) -> Result<(), StoreError> {
        match failed {
            None => self.db().execute(
                "UPDATE alert_deliveries SET delivered_at = ?3, claimed_until = NULL,
                     last_error = NULL, attempts = attempts + 1
                 WHERE message_id = ?1 AND destination_id = ?2",
                params![message_id, destination_id, crate::os::now()],
            )?,
            Some((error, retry_at)) => self.db().execute(
                "UPDATE alert_deliveries SET claimed_until = NULL, last_error = ?3,
                     next_at = COALESCE(?4, next_at),
                     attempts = CASE WHEN ?4 IS NULL THEN MAX(attempts + 1, ?5)
                                     ELSE attempts + 1 END
                 WHERE message_id = ?1 AND destination_id = ?2",
                params![message_id, destination_id, error, retry_at, MAX_ATTEMPTS],
            )?,
        };
        Ok(())
    }

    /// The newest `limit` messages, newest first, each with how many destinations have it.
    pub fn recent_alerts(&self, limit: usize) -> Result<Vec<SentAlert>, StoreError> {
        let mut stmt = self.db().prepare(
            "SELECT m.subject, m.event, m.state, m.message, m.created_at,
                    (SELECT COUNT(*) FROM alert_deliveries x
                     WHERE x.message_id = m.id AND x.delivered_at IS NOT NULL),
                    (SELECT COUNT(*) FROM alert_deliveries x WHERE x.message_id = m.id)
             FROM alert_messages m ORDER BY m.id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |row| {
            Ok(SentAlert {
                message: message_row(row, 0)?,
                delivered_to: row.get(5)?,
                destinations: row.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Jobs that failed or hold removals and were not a sync's run (a sync reports its own),
    pub fn troubled_jobs(&self) -> Result<Vec<TroubledJob>, StoreError> {
        let mut stmt = self.db().prepare(
            "SELECT j.id, j.connection, j.state, j.message FROM jobs j
             WHERE j.state IN ('failed', 'held')
               AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.job_id = j.id)
             ORDER BY j.id",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(TroubledJob {
                id: row.get(0)?,
                connection: row.get(1)?,
                state: row.get(2)?,
                message: row.get(3)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(subject: &str) -> AlertMessage {
        AlertMessage {
            subject: subject.into(),
            event: "sync_failed".into(),
            state: "failed".into(),
            message: "it failed".into(),
            created_at: 1,
        }
    }

    #[test]
    fn a_message_goes_once_to_each_destination_and_a_claim_keeps_others_off() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .add_alert_destination("chat", "webhook", "{}")
            .unwrap();
        store.add_alert_destination("mail", "email", "{}").unwrap();
        let change = StateChange {
            subject: "sync/1".into(),
            state: Some("failed".into()),
        };
        store
            .record_alerts(&[change], &[message("sync/1")])
            .unwrap();
        assert_eq!(store.alert_states().unwrap()["sync/1"].state, "failed");

        let claimed = store.claim_alert_deliveries(60, 10).unwrap();
        assert_eq!(claimed.len(), 2);
        assert!(store.claim_alert_deliveries(60, 10).unwrap().is_empty());

        let (first, second) = (&claimed[0], &claimed[1]);
        store
            .finish_alert_delivery(first.message_id, first.destination.id, None)
            .unwrap();
        store
            .finish_alert_delivery(
                second.message_id,
                second.destination.id,
                Some(("refused", Some(crate::os::now() - 1))),
            )
            .unwrap();
        let again = store.claim_alert_deliveries(60, 10).unwrap();
        assert_eq!(again.len(), 1, "only the failed one is due again");
        assert_eq!(again[0].attempts, 1);
        let shown = store.alert_destination(&second.destination.name).unwrap();
        assert_eq!(shown.last_error.as_deref(), Some("refused"));
        assert!(
            store
                .alert_destination(&first.destination.name)
                .unwrap()
                .last_delivered_at
                .is_some()
        );
    }

    #[test]
    fn names_are_unique_and_removal_takes_pending_deliveries() {
        let mut store = Store::open_in_memory().unwrap();
        store
            .add_alert_destination("chat", "webhook", "{}")
            .unwrap();
        assert!(matches!(
            store.add_alert_destination("chat", "webhook", "{}"),
            Err(StoreError::DuplicateAlert(_))
        ));
        store.record_alerts(&[], &[message("job/1")]).unwrap();
        store.remove_alert_destination("chat").unwrap();
        assert!(store.claim_alert_deliveries(60, 10).unwrap().is_empty());
        assert!(matches!(
            store.remove_alert_destination("chat"),
            Err(StoreError::NoSuchAlert { .. })
        ));
    }
}
