//! A lease's heartbeat: renewed every few seconds in the background for as long as a run
//! lasts (a job's, a sync's), whatever the run is doing, and stopped however it ends.

use std::sync::Arc;
use std::time::Duration;

use crate::store::{HEARTBEAT_SECONDS, SharedStore, Store, StoreError};

/// Renews a lease until dropped (an unwinding panic included).
pub(crate) struct Heartbeat(tokio::task::JoinHandle<()>);

impl Heartbeat {
    /// Calls `renew` every `HEARTBEAT_SECONDS`; once it answers that the lease is no longer
    /// this runner's (another process took it over after this one fell silent), calls `lost`
    /// and stops. `what` names the run in the log.
    pub(crate) fn start(
        store: SharedStore,
        what: String,
        renew: impl Fn(&Store) -> Result<bool, StoreError> + Send + Sync + 'static,
        lost: impl FnOnce() + Send + 'static,
    ) -> Heartbeat {
        let renew = Arc::new(renew);
        Heartbeat(tokio::spawn(async move {
            let mut beat = tokio::time::interval(Duration::from_secs(HEARTBEAT_SECONDS));
            beat.tick().await;
            loop {
                beat.tick().await;
                let renew = renew.clone();
                let renewed = store.call(move |s| renew(s)).await;
                match renewed {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!("{what}: lease taken over by another process; stopping");
                        lost();
                        return;
                    }
                    // A busy or full disk: the next beat tries again; a stale lease is only a
                    // risk of another process taking over, which then is what happens.
                    Err(e) => tracing::warn!("cannot renew the lease of {what}: {e}"),
                }
            }
        }))
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}
