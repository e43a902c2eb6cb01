//! What the app follows after a job: each list it touched (and the audience wrapping it), and
//! the snapshots taken of them (status, size, Pinterest's counters) while Pinterest matches.

use std::collections::HashSet;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, StoreError};

/// A list followed after a job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Followed {
    pub ad_account_id: String,
    pub list_id: String,
    pub audience_id: Option<String>,
    pub connection: String,
    /// When the last job that touched it ended: the follow-up window starts there.
    pub since: i64,
    /// Whether this app made the audience (its becoming ready is worth a notification).
    pub made_by_app: bool,
    /// The audience's status as last seen.
    pub last_status: Option<String>,
    /// When it was last looked at.
    pub last_taken: Option<i64>,
}

/// One look at a list and its audience.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Snapshot {
    pub ad_account_id: String,
    pub list_id: String,
    pub audience_id: Option<String>,
    pub taken_at: i64,
    pub list_status: Option<String>,
    pub uploaded: Option<u64>,
    pub removed: Option<u64>,
    pub audience_status: Option<String>,
    pub size: Option<u64>,
    /// The audience's monthly reach as last estimated when the snapshot was taken.
    pub reach: Option<Reach>,
}

/// How many people an ad group targeting an audience may reach in a month, by Pinterest's
/// estimate (`audience_sizing`), and when it was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Reach {
    pub lower: u64,
    pub upper: u64,
    pub taken_at: i64,
}

impl Store {
    /// Follows a list from now on (again, if it was: a new job starts a new window). Its
    /// audience is kept when known; `made_by_app` is never taken back.
    pub fn follow(
        &self,
        ad_account_id: &str,
        list_id: &str,
        audience_id: Option<&str>,
        connection: &str,
        made_by_app: bool,
    ) -> Result<(), StoreError> {
        self.db().execute(
            "INSERT INTO followed (ad_account_id, list_id, audience_id, connection, since,
                                   made_by_app)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (ad_account_id, list_id) DO UPDATE SET
                 audience_id = COALESCE(excluded.audience_id, audience_id),
                 connection = excluded.connection,
                 since = excluded.since,
                 made_by_app = made_by_app OR excluded.made_by_app",
            params![
                ad_account_id,
                list_id,
                audience_id,
                connection,
                crate::os::now(),
                made_by_app
            ],
        )?;
        Ok(())
    }

    /// Every followed list, with when it was last looked at.
    pub fn followed(&self) -> Result<Vec<Followed>, StoreError> {
        let mut stmt = self.db().prepare(
            "SELECT f.ad_account_id, f.list_id, f.audience_id, f.connection, f.since,
                    f.made_by_app, f.last_status,
                    (SELECT MAX(taken_at) FROM snapshots s
                     WHERE s.ad_account_id = f.ad_account_id AND s.list_id = f.list_id)
             FROM followed f ORDER BY f.connection, f.ad_account_id, f.list_id",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(Followed {
                ad_account_id: row.get(0)?,
                list_id: row.get(1)?,
                audience_id: row.get(2)?,
                connection: row.get(3)?,
                since: row.get(4)?,
                made_by_app: row.get(5)?,
                last_status: row.get(6)?,
                last_taken: row.get(7)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Keeps a snapshot; the followed list learns its audience and last status from it.
    pub fn add_snapshot(&self, snapshot: &Snapshot) -> Result<(), StoreError> {
        let s = snapshot;
        self.db().execute(
            "INSERT INTO snapshots (ad_account_id, list_id, audience_id, taken_at, list_status,
                                    uploaded, removed, audience_status, size, reach_lower,
                                    reach_upper)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                s.ad_account_id,
                s.list_id,
                s.audience_id,
                s.taken_at,
                s.list_status,
                s.uploaded.map(|n| n as i64),
                s.removed.map(|n| n as i64),
                s.audience_status,
                s.size.map(|n| n as i64),
                s.reach.map(|r| r.lower as i64),
                s.reach.map(|r| r.upper as i64)
            ],
        )?;
        self.db().execute(
            "UPDATE followed SET audience_id = COALESCE(?3, audience_id),
                                 last_status = COALESCE(?4, last_status)
             WHERE ad_account_id = ?1 AND list_id = ?2",
            params![s.ad_account_id, s.list_id, s.audience_id, s.audience_status],
        )?;
        Ok(())
    }

    /// A list's snapshots, oldest first.
    pub fn snapshots(
        &self,
        ad_account_id: &str,
        list_id: &str,
    ) -> Result<Vec<Snapshot>, StoreError> {
        let mut stmt = self.db().prepare(
            "SELECT ad_account_id, list_id, audience_id, taken_at, list_status, uploaded, removed,
                    audience_status, size, reach_lower, reach_upper
             FROM snapshots WHERE ad_account_id = ?1 AND list_id = ?2 ORDER BY taken_at, id",
        )?;
        let rows = stmt.query_map(params![ad_account_id, list_id], |row| {
            let count = |i: usize| -> rusqlite::Result<Option<u64>> {
                Ok(row.get::<_, Option<i64>>(i)?.map(|n| n.max(0) as u64))
            };
            Ok(Snapshot {
                ad_account_id: row.get(0)?,
                list_id: row.get(1)?,
                audience_id: row.get(2)?,
                taken_at: row.get(3)?,
                list_status: row.get(4)?,
                uploaded: count(5)?,
                removed: count(6)?,
                audience_status: row.get(7)?,
                size: count(8)?,
                reach: match (count(9)?, count(10)?) {
                    (Some(lower), Some(upper)) => Some(Reach {
                        lower,
                        upper,
                        taken_at: row.get(3)?,
                    }),
                    _ => None,
                },
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Keeps an audience's latest reach estimate.
    pub fn save_reach(
        &self,
        ad_account_id: &str,
        audience_id: &str,
        reach: Reach,
    ) -> Result<(), StoreError> {
        self.db().execute(
            "INSERT INTO reach (ad_account_id, audience_id, taken_at, lower, upper)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (ad_account_id, audience_id) DO UPDATE SET
                taken_at = excluded.taken_at, lower = excluded.lower, upper = excluded.upper",
            params![
                ad_account_id,
                audience_id,
                reach.taken_at,
                reach.lower as i64,
                reach.upper as i64
            ],
        )?;
        Ok(())
    }

    /// The latest reach estimate of each audience of an ad account, by audience id.
    pub fn reaches(
        &self,
        ad_account_id: &str,
    ) -> Result<std::collections::HashMap<String, Reach>, StoreError> {
        let mut stmt = self.db().prepare(
            "SELECT audience_id, taken_at, lower, upper FROM reach WHERE ad_account_id = ?1",
        )?;
        let rows = stmt.query_map([ad_account_id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                Reach {
                    taken_at: row.get(1)?,
                    lower: row.get::<_, i64>(2)?.max(0) as u64,
                    upper: row.get::<_, i64>(3)?.max(0) as u64,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Remembers an audience this app made (it may remove it later).
    pub fn made_audience(&self, ad_account_id: &str, audience_id: &str) -> Result<(), StoreError> {
        self.db().execute(
            "INSERT OR IGNORE INTO made_audiences (ad_account_id, audience_id, made_at)
             VALUES (?1, ?2, ?3)",
            params![ad_account_id, audience_id, crate::os::now()],
        )?;
        Ok(())
    }

    /// The audiences of an ad account this app made: by a job, or as a lookalike.
    pub fn audiences_made(&self, ad_account_id: &str) -> Result<HashSet<String>, StoreError> {
        let mut stmt = self.db().prepare(
            "SELECT audience_id FROM made_audiences WHERE ad_account_id = ?1
             UNION
             SELECT l.audience_id FROM job_lists l JOIN jobs j ON j.id = l.job_id
             WHERE j.ad_account_id = ?1 AND l.audience_id IS NOT NULL",
        )?;
        let rows = stmt.query_map([ad_account_id], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// How many identities the ledger says this app has in a list: what the list should hold
    /// of this app's, and the denominator of the estimated match rate.
    pub fn ledger_count(&self, ad_account_id: &str, list_id: &str) -> Result<u64, StoreError> {
        Ok(self
            .db()
            .query_row(
                "SELECT COUNT(*) FROM ledger WHERE ad_account_id = ?1 AND list_id = ?2",
                params![ad_account_id, list_id],
                |r| r.get::<_, i64>(0),
            )
            .optional()?
            .unwrap_or(0)
            .max(0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_followed_list_learns_its_audience_and_status_from_its_snapshots() {
        let store = Store::open_in_memory().unwrap();
        store.follow("1", "10", None, "EU", false).unwrap();
        store.follow("1", "10", None, "EU", true).unwrap();
        let followed = store.followed().unwrap();
        assert_eq!(followed.len(), 1);
        assert!(followed[0].made_by_app);
        assert_eq!(followed[0].last_taken, None);
        store
            .add_snapshot(&Snapshot {
                ad_account_id: "1".into(),
                list_id: "10".into(),
                audience_id: Some("20".into()),
                taken_at: 5,
                audience_status: Some("INITIALIZING".into()),
                ..Snapshot::default()
            })
            .unwrap();
        store.follow("1", "10", None, "EU", false).unwrap();
        let followed = &store.followed().unwrap()[0];
        assert_eq!(followed.audience_id.as_deref(), Some("20"));
        assert_eq!(followed.last_status.as_deref(), Some("INITIALIZING"));
        assert_eq!(followed.last_taken, Some(5));
        assert!(followed.made_by_app, "never taken back");
        assert_eq!(store.snapshots("1", "10").unwrap().len(), 1);
        assert_eq!(store.ledger_count("1", "10").unwrap(), 0);
    }
}
