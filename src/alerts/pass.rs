//! One pass of alerts: look at every subject and queue a message for each change of state
//! (under the home's alerts lock, so of several processes exactly one reports a change), then
//! send what is due. `keep_sending` repeats it for the watcher and the window; commands that
//! ran work make one short pass as they end.

use std::sync::Arc;
use std::time::Duration;

use super::AlertError;
use crate::context::Core;
use crate::store::{AlertDestinationRow, AlertMessage};

/// How often a long-lived process looks: well within the minute a message may take.
const EVERY: Duration = Duration::from_secs(10);
/// How long a claimed delivery stays this process's before another may send it.
pub(super) const CLAIM_SECONDS: i64 = 120;
/// Deliveries sent at once in one pass.
const PER_PASS: usize = 32;
/// The longest a command waits for its alerts at its end; what is not sent waits in the
/// store for the next process.
pub const AFTER_COMMAND: Duration = Duration::from_secs(15);

/// What a pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PassReport {
    pub queued: usize,
    pub sent: usize,
    pub failed: usize,
}

/// Looks and sends once. Nothing happens without a destination.
pub async fn pass(core: &Arc<Core>) -> Result<PassReport, AlertError> {
    if core
        .store
        .call(|s| s.alert_destinations())
        .await?
        .is_empty()
    {
        return Ok(PassReport::default());
    }
    let queued = record(core, false).await?;
    let (sent, failed) = send_due(core).await?;
    Ok(PassReport {
        queued,
        sent,
        failed,
    })
}

/// Takes what is wrong now as already known, sending nothing: alerts start from here.
pub(super) async fn baseline(core: &Arc<Core>) -> Result<(), AlertError> {
    record(core, true).await.map(drop)
}

/// Compares a look with the reported states and records the changes; how many messages.
async fn record(core: &Arc<Core>, baseline: bool) -> Result<usize, AlertError> {
    let core = core.clone();
    crate::store::blocking(move || {
        // The look and the record under one lock: another process's look cannot slip between
        // them and report the same change again, or an older state over a newer one.
        let _lock = crate::home::HomeLock::acquire(&core.home, "alerts").map_err(|e| {
            AlertError::Invalid(format!("cannot take the alerts lock in the home: {e}"))
        })?;
        let now = crate::os::now();
        let observations = super::observe::observe(&core, now)?;
        let mut store = core.store.lock();
        let reported = store.alert_states()?;
        let (changes, messages) = super::compare(&reported, &observations, now, baseline);
        if !changes.is_empty() {
            store.record_alerts(&changes, &messages)?;
        }
        Ok(messages.len())
    })
    .await
}

/// Sends the deliveries that are due; (sent, failed).
async fn send_due(core: &Arc<Core>) -> Result<(usize, usize), AlertError> {
    let claimed = core
        .store
        .call(|s| s.claim_alert_deliveries(CLAIM_SECONDS, PER_PASS))
        .await?;
    let sends = claimed.into_iter().map(|delivery| {
        let retry = Some(backoff(delivery.attempts));
        deliver_and_record(
            core,
            delivery.message_id,
            delivery.destination,
            delivery.message,
            retry,
        )
    });
    let mut sent = 0;
    let mut failed = 0;
    for outcome in futures_util::future::join_all(sends).await {
        match outcome? {
            Ok(()) => sent += 1,
            Err(_) => failed += 1,
        }
    }
    Ok((sent, failed))
}

/// Sends a claimed delivery and records how it went: sent, or failed and due again after
/// `retry_after` seconds (`None`: never tried again). The outcome, once recorded.
pub(super) async fn deliver_and_record(
    core: &Arc<Core>,
    message_id: i64,
    destination: AlertDestinationRow,
    message: AlertMessage,
    retry_after: Option<i64>,
) -> Result<Result<(), String>, AlertError> {
    let outcome = super::send::deliver(core, &destination, &message).await;
    if let Err(error) = &outcome {
        tracing::warn!("alert to '{}' not delivered: {error}", destination.name);
    }
    let retry_at = retry_after.map(|wait| crate::os::now() + wait);
    let kept = outcome.clone();
    core.store
        .call(move |s| {
            let failed = kept.as_ref().err().map(|e| (e.as_str(), retry_at));
            s.finish_alert_delivery(message_id, destination.id, failed)
        })
        .await?;
    Ok(outcome)
}

/// Seconds before the next attempt after `attempts + 1` failed: 15 s doubling to an hour,
/// then hourly, until the store gives up (`ALERT_MAX_ATTEMPTS`, about nine hours in all).
fn backoff(attempts: i64) -> i64 {
    (15_i64 << attempts.clamp(0, 8)).min(3600)
}

/// Passes every ten seconds until `stop` says so. Trouble is logged, never raised: alerts
/// must not stop what they report on.
pub async fn keep_sending(core: Arc<Core>, stop: impl Fn() -> bool) {
    while !stop() {
        if let Err(e) = pass(&core).await {
            tracing::warn!("alerts: {e}");
        }
        let mut waited = Duration::ZERO;
        while waited < EVERY && !stop() {
            tokio::time::sleep(Duration::from_millis(250)).await;
            waited += Duration::from_millis(250);
        }
    }
}

/// One pass at the end of a command, for at most `AFTER_COMMAND`; whatever it could not
/// send waits for the next process. Never fails the command.
pub async fn after_command(core: &Arc<Core>) {
    match tokio::time::timeout(AFTER_COMMAND, pass(core)).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!("alerts: {e}"),
        Err(_) => tracing::warn!(
            "alerts: not all sent within {} s; they are sent by the next run",
            AFTER_COMMAND.as_secs()
        ),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn retries_back_off_to_an_hour() {
        let waits: Vec<i64> = (0..10).map(super::backoff).collect();
        assert_eq!(waits[..4], [15, 30, 60, 120]);
        assert_eq!(waits[9], 3600);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
    }
}
