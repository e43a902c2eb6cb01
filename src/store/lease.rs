//! Leases: the right to run one job, held by one process at a time and renewed by its
//! heartbeat, so that the app, commands and scheduled runs sharing a home never send one job
//! twice at once.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// How often a job's runner renews its lease.
pub const HEARTBEAT_SECONDS: u64 = 5;

/// A running job's runner writes a heartbeat every 5 seconds; six missed beats mean the
/// process is gone and the job was interrupted.
pub const STALE_AFTER_SECONDS: i64 = 30;

/// The right to run one job: a token only its process knows, and who that process is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    pub token: String,
    /// For the user: "`audience-desk resume` (pid 12 on host)".
    pub owner: String,
}

impl Lease {
    /// A new lease for this process.
    pub fn for_this_process() -> Lease {
        Lease {
            token: format!(
                "{}:{}:{:016x}",
                crate::os::host_name(),
                std::process::id(),
                rand::random::<u64>()
            ),
            owner: crate::os::process_owner(),
        }
    }

    /// Whether the process holding `token` is known to have ended: it ran on this machine and
    /// its process id is gone. Elsewhere only the heartbeat tells.
    pub(super) fn holder_gone(token: &str) -> bool {
        let mut parts = token.rsplitn(3, ':');
        let (_, pid, host) = (parts.next(), parts.next(), parts.next());
        match (host, pid.and_then(|p| p.parse::<u32>().ok())) {
            (Some(host), Some(pid)) => {
                host == crate::os::host_name() && crate::os::process_gone(pid)
            }
            _ => false,
        }
    }
}

/// What a lease is taken on: a job (one runner sends it) or a saved sync (one runner runs it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Leased {
    Job,
    Sync,
}

impl Leased {
    fn table(self) -> &'static str {
        match self {
            Leased::Job => "jobs",
            Leased::Sync => "syncs",
        }
    }

    /// SQL that is true while the holder still runs it: a job in a live state (as `JobState::is_live`
    /// says), a sync whose lease was not given back.
    fn held(self) -> &'static str {
        match self {
            Leased::Job => "state IN ('running', 'paused', 'waiting_for_reconnect')",
            Leased::Sync => "lease IS NOT NULL",
        }
    }
}

/// Who holds a lease, as the store has it.
struct Holder {
    name: String,
    held: bool,
    token: Option<String>,
    owner: Option<String>,
    heartbeat: i64,
}

impl Store {
    /// Takes the lease on a job for this runner, in one write-locked transaction: refused
    /// while another runner holds it (its state is live, its heartbeat fresh and its process
    /// not known to be gone); taken over once that lease is stale.
    pub fn take_lease(&mut self, id: i64, lease: &Lease) -> Result<(), StoreError> {
        self.take(Leased::Job, id, lease)
    }

    /// Renews a lease. `false` when it is no longer this runner's: another process took the
    /// job over after this one fell silent (a suspended laptop, a stalled disk).
    pub fn renew_lease(&self, id: i64, lease: &Lease) -> Result<bool, StoreError> {
        self.renew(Leased::Job, id, lease)
    }

    pub(super) fn take(&mut self, what: Leased, id: i64, lease: &Lease) -> Result<(), StoreError> {
        let now = crate::os::now();
        let tx = self
            .db
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // What the refusal calls it: the job's number, the sync's name.
        let name = match what {
            Leased::Job => "CAST(id AS TEXT)",
            Leased::Sync => "name",
        };
        let holder = tx
            .query_row(
                &format!(
                    "SELECT {name}, {}, lease, owner, heartbeat_at FROM {} WHERE id = ?1",
                    what.held(),
                    what.table()
                ),
                [id],
                |row| {
                    Ok(Holder {
                        name: row.get(0)?,
                        held: row.get(1)?,
                        token: row.get(2)?,
                        owner: row.get(3)?,
                        heartbeat: row.get::<_, Option<i64>>(4)?.unwrap_or(0),
                    })
                },
            )
            .optional()?
            .ok_or(match what {
                Leased::Job => StoreError::NoSuchJob(id),
                Leased::Sync => StoreError::NoSuchSyncId(id),
            })?;
        let silent = now - holder.heartbeat;
        if let Some(token) = &holder.token
            && *token != lease.token
            && holder.held
            && silent <= STALE_AFTER_SECONDS
            && !Lease::holder_gone(token)
        {
            let owner = holder.owner.unwrap_or_else(|| "another process".into());
            let (seconds_ago, stale_in) = (silent.max(0), (STALE_AFTER_SECONDS - silent).max(1));
            return Err(match what {
                Leased::Job => StoreError::JobBusy {
                    job: id,
                    owner,
                    seconds_ago,
                    stale_in,
                },
                Leased::Sync => StoreError::SyncBusy {
                    sync: holder.name,
                    owner,
                    seconds_ago,
                },
            });
        }
        tx.execute(
            &format!(
                "UPDATE {} SET lease = ?2, owner = ?3, heartbeat_at = ?4 WHERE id = ?1",
                what.table()
            ),
            params![id, lease.token, lease.owner, now],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub(super) fn renew(&self, what: Leased, id: i64, lease: &Lease) -> Result<bool, StoreError> {
        let changed = self.db.execute(
            &format!(
                "UPDATE {} SET heartbeat_at = ?3 WHERE id = ?1 AND lease = ?2",
                what.table()
            ),
            params![id, lease.token, crate::os::now()],
        )?;
        Ok(changed == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::JobState;
    use crate::store::journal::tests::job;

    #[test]
    fn a_lease_is_refused_while_held_and_given_up_with_the_run() {
        let mut store = Store::open_in_memory().unwrap();
        let id = job(&mut store);
        let first = Lease {
            token: format!("{}:{}:1", crate::os::host_name(), std::process::id()),
            owner: "the first runner".into(),
        };
        let second = Lease {
            token: "elsewhere:1:2".into(),
            owner: "the second runner".into(),
        };
        store.take_lease(id, &first).unwrap();
        let refused = store.take_lease(id, &second).unwrap_err().to_string();
        assert!(refused.contains("the first runner"), "{refused}");
        assert!(
            !store
                .set_job_state(id, &second, JobState::Failed, None)
                .unwrap()
        );
        assert!(store.renew_lease(id, &first).unwrap());
        assert!(
            store
                .set_job_state(id, &first, JobState::Interrupted, None)
                .unwrap()
        );
        store.take_lease(id, &second).unwrap();
        assert!(
            !store.renew_lease(id, &first).unwrap(),
            "the first lease is gone"
        );
    }
}
