//! A look at every subject alerts follow, read from the store: the syncs (their last decided
//! run and whether they went stale), upload jobs not made by a sync, connections, and the
//! audiences this app made. Nothing here reaches Pinterest; the looks other work takes
//! (runs, refreshes, follow-up snapshots) have already written what is read.

use super::COMMAND_LINE;
use super::changes::{Observation, Seen};
use crate::context::Core;
use crate::overview::ConnectionOverview;
use crate::pinterest::ConnectionState;
use crate::remedy::Remedy;
use crate::store::{RunState, StoreError, TroubledJob};
use crate::syncs::{Schedule, SyncOverview};

/// A sync with no completed run for this many periods has gone stale.
const STALE_PERIODS: u64 = 2;

/// Everything alerts follow, as it is at `now`.
pub fn observe(core: &Core, now: i64) -> Result<Vec<Observation>, StoreError> {
    let mut found = Vec::new();
    for sync in crate::syncs::list(core)? {
        found.push(sync_seen(core, &sync, now)?);
    }
    for job in core.store().troubled_jobs()? {
        found.push(job_seen(&job));
    }
    for connection in crate::overview::connections(core)? {
        found.push(connection_seen(&connection, now));
    }
    for followed in core.store().followed()? {
        let Some(audience) = followed.audience_id.filter(|_| followed.made_by_app) else {
            continue;
        };
        let seen = match followed.last_status.as_deref() {
            Some("TOO_SMALL") => Seen::Trouble {
                state: "too_small".into(),
                message: format!(
                    "Audience {audience} (list {}, connection '{}') is too small to serve: \
                     Pinterest serves an audience once it matches at least 100 people. Add \
                     people to the list, or stop sending removals to it.",
                    followed.list_id, followed.connection
                ),
            },
            Some("READY") => Seen::Fine {
                recovered: Some(format!(
                    "Audience {audience} (list {}, connection '{}') is ready to serve again.",
                    followed.list_id, followed.connection
                )),
            },
            _ => Seen::Unknown,
        };
        found.push(Observation {
            key: format!("audience/{}/{audience}", followed.ad_account_id),
            kind: "audience",
            subject: format!("audience {audience}"),
            seen,
        });
    }
    Ok(found)
}

fn sync_seen(core: &Core, sync: &SyncOverview, now: i64) -> Result<Observation, StoreError> {
    let name = &sync.row.name;
    let decided = core.store().last_run(
        sync.row.id,
        &[
            RunState::Completed,
            RunState::Skipped,
            RunState::Refused,
            RunState::Failed,
            RunState::Held,
        ],
    )?;
    let because = |run: &crate::store::RunRow| {
        run.message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default()
    };
    let seen = match decided.as_ref().map(|r| (r.state, r)) {
        Some((RunState::Refused, run)) => Seen::Trouble {
            state: "refused".into(),
            message: format!(
                "Sync '{name}' run {} was refused{}. Nothing was sent; mend the file or the \
                 sync's settings, and its next run goes ahead.",
                run.id,
                because(run)
            ),
        },
        Some((RunState::Failed, run)) => Seen::Trouble {
            state: "failed".into(),
            message: format!(
                "Sync '{name}' run {} failed{}. It is tried again in 5 minutes.",
                run.id,
                because(run)
            ),
        },
        Some((RunState::Held, run)) => Seen::Trouble {
            state: "held".into(),
            message: format!(
                "Sync '{name}' run {} sent its additions and holds its removals{}. Confirm \
                 them on the app's Syncs screen.{COMMAND_LINE}{}",
                run.id,
                because(run),
                Remedy::ConfirmSyncRemovals { sync: name.clone() }.command()
            ),
        },
        _ => match stale_for(sync, decided.as_ref(), now) {
            Some((late, period)) => Seen::Trouble {
                state: "stale".into(),
                message: format!(
                    "Sync '{name}' has not completed a run for {} though it runs {}. Is the \
                     app, or something that runs the syncs, open on this home?{COMMAND_LINE}{}",
                    crate::display::duration(late),
                    Schedule::Every { seconds: period }.describe(),
                    Remedy::WatchSyncs.command()
                ),
            },
            None => Seen::Fine {
                recovered: Some(match &decided {
                    Some(run) => format!(
                        "Sync '{name}' works again: run {} {}.",
                        run.id,
                        run.state.as_str()
                    ),
                    None => format!("Sync '{name}' works again."),
                }),
            },
        },
    };
    Ok(Observation {
        key: format!("sync/{}", sync.row.id),
        kind: "sync",
        subject: format!("sync '{name}'"),
        seen,
    })
}

/// For a periodic sync whose last completed run (or, with none, its making) is more than
/// two periods ago: how long ago, and the period.
fn stale_for(
    sync: &SyncOverview,
    last_done: Option<&crate::store::RunRow>,
    now: i64,
) -> Option<(u64, u64)> {
    let Schedule::Every { seconds } = sync.settings.as_ref()?.schedule else {
        return None;
    };
    let since = last_done.map_or(sync.row.created_at, |r| r.ended_at.unwrap_or(r.started_at));
    let late = now.saturating_sub(since).max(0) as u64;
    (late > STALE_PERIODS * seconds).then_some((late, seconds))
}

fn job_seen(job: &TroubledJob) -> Observation {
    let (id, connection) = (job.id, &job.connection);
    let because = job
        .message
        .as_deref()
        .map(|m| format!(": {m}"))
        .unwrap_or_default();
    let message = match job.state.as_str() {
        "held" => format!(
            "Upload job {id} (connection '{connection}') sent its additions and holds its \
             removals{because}. Confirm them on the app's Jobs screen.{COMMAND_LINE}{}",
            Remedy::ConfirmJobRemovals { job: id }.command()
        ),
        _ => format!(
            "Upload job {id} (connection '{connection}') failed{because}. What it sent is \
             kept; resume it on the app's Jobs screen.{COMMAND_LINE}{}",
            Remedy::ResumeJob { job: id }.command()
        ),
    };
    Observation {
        key: format!("job/{id}"),
        kind: "job",
        subject: format!("job {id}"),
        seen: Seen::Trouble {
            state: job.state.clone(),
            message,
        },
    }
}

fn connection_seen(connection: &ConnectionOverview, now: i64) -> Observation {
    let name = &connection.connection.name;
    let attention = connection.attention(now);
    let seen = match (connection.status.state, attention) {
        (ConnectionState::ReconnectRequired, Some(sentence)) => Seen::Trouble {
            state: "reconnect".into(),
            message: format!(
                "Connection {}. Log it in again in the app.",
                sentence.trim_end_matches('.')
            ),
        },
        (ConnectionState::Connected, Some(sentence)) => Seen::Trouble {
            state: "expiring".into(),
            message: format!("Connection {sentence}"),
        },
        (ConnectionState::Connected, None) => Seen::Fine {
            recovered: Some(format!("Connection '{name}' is connected again.")),
        },
        _ => Seen::Unknown,
    };
    Observation {
        key: format!("connection/{}", connection.connection.id),
        kind: "connection",
        subject: format!("connection '{name}'"),
        seen,
    }
}

#[cfg(test)]
pub(super) mod tests {
    /// The text of a held upload's alert, as chat and mail get it.
    pub fn held_job_text() -> String {
        let job = crate::store::TroubledJob {
            id: 7,
            connection: "EU".into(),
            state: "held".into(),
            message: Some("the removals are held".into()),
        };
        match super::job_seen(&job).seen {
            super::Seen::Trouble { message, .. } => message,
            _ => panic!("a held job is trouble"),
        }
    }
}
