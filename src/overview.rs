//! What both faces list: connections with their token status, recent jobs with their saved
//! records parsed, and an ad account's lists and audiences. One reading each, typed, so the
//! command line and the window cannot drift apart.

use serde::Serialize;

use crate::audiences::{AudienceView, ListView};
use crate::context::Core;
use crate::pinterest::{ConnectionState, ConnectionStatus, PinterestError};
use crate::source::Summary;
use crate::store::{Connection, JobList, JobRow, JournalCounts, STALE_AFTER_SECONDS, StoreError};
use crate::upload::JobReport;

/// A connection and its token status as the home has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConnectionOverview {
    #[serde(flatten)]
    pub connection: Connection,
    pub status: ConnectionStatus,
}

/// A refresh token this close to its end means a reconnect soon.
const RECONNECT_WARNING_SECONDS: i64 = 7 * 86_400;

impl ConnectionOverview {
    /// What the user must do about this connection, as a sentence: reconnect now, or soon
    /// because its refresh token is about to end. `None` when nothing.
    pub fn attention(&self, now: i64) -> Option<String> {
        let name = &self.connection.name;
        let status = &self.status;
        match status.state {
            ConnectionState::ReconnectRequired => Some(format!(
                "'{name}' needs a reconnect: {}",
                status
                    .message
                    .as_deref()
                    .unwrap_or("Pinterest no longer accepts its tokens")
            )),
            ConnectionState::Connected => status
                .refresh_expires_at
                .filter(|at| at - now < RECONNECT_WARNING_SECONDS)
                .map(|at| {
                    format!(
                        "'{name}' must be reconnected within a week: its refresh token ends {}.",
                        crate::display::relative(at)
                    )
                }),
            ConnectionState::NotConnected | ConnectionState::Refreshing => None,
        }
    }
}

/// An upload job as both faces list it.
#[derive(Clone, Debug)]
pub struct JobOverview {
    pub row: JobRow,
    pub counts: JournalCounts,
    pub lists: Vec<JobList>,
    /// What the last run reported, once one ended.
    pub report: Option<JobReport>,
    /// The file's counts from the planning pass.
    pub scan: Option<Summary>,
    /// The saved sync whose run made the job, if one did.
    pub sync: Option<String>,
}

/// An ad account's customer lists and audiences, read together.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AdAccountLists {
    pub ad_account_id: String,
    pub customer_lists: Vec<ListView>,
    pub audiences: Vec<AudienceView>,
    /// Audiences other ad accounts shared with this one: not its own, shown apart.
    pub received_audiences: Vec<crate::pinterest::Audience>,
    /// Audiences this app made that this look found READY or TOO_SMALL for the first time.
    #[serde(skip)]
    pub news: Vec<crate::audiences::HealthNews>,
}

/// Every connection with its status. Only the database can fail this: the status needs
/// no secret, so a keyring that cannot be read hides no connection.
pub fn connections(core: &Core) -> Result<Vec<ConnectionOverview>, StoreError> {
    let connections = core.connections()?;
    connections
        .into_iter()
        .map(|connection| {
            let status = core.status_of(&connection)?;
            Ok(ConnectionOverview { connection, status })
        })
        .collect()
}

/// The newest `limit` jobs, newest first, with their journals' counts and saved records.
/// A saved record this version cannot read is an error naming the job, not a blank.
pub fn recent_jobs(core: &Core, limit: usize) -> Result<Vec<JobOverview>, StoreError> {
    let store = core.store();
    let rows = store.jobs(limit, STALE_AFTER_SECONDS)?;
    rows.into_iter()
        .map(|row| {
            let counts = store.journal_counts(row.id)?;
            let lists = store.job_lists(row.id)?;
            let report = crate::store::parsed(row.id, "summary", row.summary.as_deref())?;
            let scan = crate::store::parsed(row.id, "file counts", row.scan.as_deref())?;
            let sync = store.sync_of_job(row.id)?;
            Ok(JobOverview {
                row,
                counts,
                lists,
                report,
                scan,
                sync,
            })
        })
        .collect()
}

/// Refreshes the access token of every connected connection that is within the margin of
/// expiry; one connection's failure does not stop the others. Returns the failures.
pub async fn keep_fresh(core: &Core) -> Result<Vec<(String, PinterestError)>, StoreError> {
    let connected = core
        .store
        .call(|store| {
            let mut names = Vec::new();
            for connection in store.connections()? {
                let info = store.token_info(connection.id)?;
                if ConnectionStatus::from_info(info.as_ref(), false).state
                    == ConnectionState::Connected
                {
                    names.push(connection.name);
                }
            }
            Ok::<_, StoreError>(names)
        })
        .await?;
    let mut failures = Vec::new();
    for name in connected {
        let fresh = match core.session(&name).await {
            Ok(session) => session.access_token().await.map(drop),
            Err(e) => Err(e),
        };
        if let Err(e) = fresh {
            tracing::warn!(connection = %name, "automatic refresh failed: {e}");
            failures.push((name, e));
        }
    }
    Ok(failures)
}

/// The connection's lists and audiences, each with what this app knows of it (the
/// identities it has in a list, an audience's estimated match rate).
pub async fn ad_account_lists(core: &Core, name: &str) -> Result<AdAccountLists, PinterestError> {
    let (ad_account_id, customer_lists, audiences, news) =
        crate::audiences::ad_account_health(core, name).await?;
    let received = core
        .client(name)
        .await?
        .received_audiences(&ad_account_id)
        .await;
    let received_audiences = match received {
        Ok(received) => received,
        // An app or account Pinterest does not let see shared audiences has none to show.
        Err(PinterestError::Api(e)) if e.status == 403 => Vec::new(),
        Err(e) => return Err(e),
    };
    Ok(AdAccountLists {
        ad_account_id,
        customer_lists,
        audiences,
        received_audiences,
        news,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::pinterest::{ConnectionState, Endpoints};
    use crate::store::{NewConnection, SecretError, SecretStore};

    /// A keyring that refuses everything, as a locked one does.
    struct LockedKeyring;

    impl SecretStore for LockedKeyring {
        fn get(&self, _: &str) -> Result<Option<String>, SecretError> {
            Err(SecretError::Keyring("locked".into()))
        }
        fn set(&self, _: &str, _: &str) -> Result<(), SecretError> {
            Err(SecretError::Keyring("locked".into()))
        }
        fn delete(&self, _: &str) -> Result<(), SecretError> {
            Err(SecretError::Keyring("locked".into()))
        }
        fn describe(&self) -> String {
            "a locked keyring".into()
        }
    }

    fn core(home: &std::path::Path) -> Core {
        let unused = url::Url::parse("http://127.0.0.1:9/").unwrap();
        Core::with(
            home,
            Endpoints::simulator(&unused, unused.clone()),
            Arc::new(LockedKeyring),
            None,
        )
        .unwrap()
    }

    #[test]
    fn a_locked_keyring_hides_no_connection() {
        let home = tempfile::tempdir().unwrap();
        let core = core(home.path());
        core.store()
            .add_connection(&NewConnection {
                name: "EU".into(),
                description: String::new(),
                ad_account_id: "549755885175".into(),
                app_id: None,
            })
            .unwrap();
        let listed = crate::overview::connections(&core).unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].status.state, ConnectionState::NotConnected);
        assert_eq!(core.status("EU").unwrap(), listed[0].status);
        assert_eq!(listed[0].attention(0), None);
    }

    #[test]
    fn a_refresh_token_ending_within_a_week_asks_for_a_reconnect() {
        let overview = |state, refresh_expires_at| ConnectionOverview {
            connection: crate::store::Connection {
                id: 1,
                name: "EU".into(),
                description: String::new(),
                ad_account_id: "1".into(),
                app_id: None,
                created_at: 0,
            },
            status: ConnectionStatus {
                state,
                access_expires_at: None,
                refresh_expires_at: Some(refresh_expires_at),
                connected_at: None,
                last_refresh_at: None,
                message: None,
            },
        };
        let now = 1_000_000_000;
        let soon = overview(ConnectionState::Connected, now + 6 * 86_400);
        assert!(soon.attention(now).unwrap().contains("within a week"));
        assert_eq!(
            overview(ConnectionState::Connected, now + 8 * 86_400).attention(now),
            None
        );
        let lapsed = overview(ConnectionState::ReconnectRequired, now);
        assert!(lapsed.attention(now).unwrap().contains("needs a reconnect"));
    }

    #[test]
    fn a_saved_summary_this_version_cannot_read_names_its_job() {
        let home = tempfile::tempdir().unwrap();
        let core = core(home.path());
        let row = crate::store::sample_job_row();
        let id = core.store().create_job(&row, &[], &[]).unwrap();
        assert!(
            crate::overview::recent_jobs(&core, 10).unwrap()[0]
                .report
                .is_none()
        );
        core.store()
            .set_job_summary(id, "{\"not\": \"a report\"}")
            .unwrap();
        let error = crate::overview::recent_jobs(&core, 10)
            .unwrap_err()
            .to_string();
        assert!(error.contains(&format!("job {id}")), "{error}");
    }
}
