//! One membership update: its request, its journal entries before and after the call, and
//! what its answer means for the batch.

use std::sync::Arc;

use crate::identity::Digest;
use crate::pinterest::{Client, CustomerListUpdate, Operation, PinterestError};
use crate::store::{Batch, BatchOp, BatchState, SharedStore, StoreError};

/// A batch refused as too large is halved down to this size, then the job fails.
pub(super) const SPLIT_FLOOR: usize = 50;

pub(super) fn records(digests: &[Digest]) -> String {
    let mut out = String::with_capacity(digests.len() * 65);
    let mut hex = [0u8; 64];
    for (i, digest) in digests.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        digest.write_hex(&mut hex);
        out.extend(hex.iter().map(|&b| b as char));
    }
    out
}

pub(super) fn too_large(error: &PinterestError) -> bool {
    error.api().is_some_and(|e| {
        let message = e.message.to_lowercase();
        e.status == 413
            || (e.status == 400
                && ["too many records", "too large", "too many", "exceeds"]
                    .iter()
                    .any(|m| message.contains(m)))
    })
}

/// How often a creation whose outcome is unknown is checked and tried again.
pub(super) const UNKNOWN_OUTCOME_TRIES: u64 = 8;

/// A server error or a lost connection: the request may or may not have taken effect.
pub(super) fn outcome_unknown(error: &PinterestError) -> bool {
    matches!(error, PinterestError::Network { .. }) || error.api().is_some_and(|e| e.status >= 500)
}

/// What became of one batch.
pub(super) enum Outcome {
    Acked,
    Split(Vec<Batch>),
    Reconnect(Batch),
    Failed(Batch, PinterestError),
}

/// Sends one membership update, journaled before and after the call.
pub(super) async fn send_batch(
    client: Arc<Client>,
    store: SharedStore,
    job: i64,
    ad: String,
    list_id: String,
    batch: Batch,
) -> Outcome {
    if let Err(e) = mark(&store, batch.id, BatchState::Sending).await {
        return Outcome::Failed(batch, PinterestError::Store(e));
    }
    let operation_type = match batch.op {
        BatchOp::Remove => Operation::Remove,
        _ => Operation::Add,
    };
    let update = CustomerListUpdate {
        operation_type,
        records: records(&batch.digests),
    };
    match client.update_customer_list(&ad, &list_id, &update).await {
        // The batch goes to the blocking pool with its write, and comes back with the answer.
        Ok(answered) => {
            let request_id = answered.request_id;
            let (acked, batch) = store
                .call(move |s| {
                    let acked = s.ack_batch(&batch, &ad, &list_id, request_id.as_deref());
                    (acked, batch)
                })
                .await;
            match acked {
                Ok(()) => Outcome::Acked,
                Err(e) => Outcome::Failed(batch, PinterestError::Store(e)),
            }
        }
        Err(e) if too_large(&e) && batch.digests.len() > SPLIT_FLOOR => {
            let (split, batch) = store
                .call(move |s| (s.split_batch(job, &batch), batch))
                .await;
            match split {
                Ok(halves) => Outcome::Split(halves),
                Err(e) => Outcome::Failed(batch, PinterestError::Store(e)),
            }
        }
        // Back to pending: its call was answered, so it is not in doubt. A journal that
        // cannot be written fails the job (the batch then stays `sending` and is sent again on
        // resume, which is harmless).
        Err(e) => match mark(&store, batch.id, BatchState::Pending).await {
            Err(store) => Outcome::Failed(batch, PinterestError::Store(store)),
            Ok(()) if matches!(e, PinterestError::ReconnectRequired { .. }) => {
                Outcome::Reconnect(batch)
            }
            Ok(()) => Outcome::Failed(batch, e),
        },
    }
}

async fn mark(store: &SharedStore, batch: i64, state: BatchState) -> Result<(), StoreError> {
    store.call(move |s| s.mark_batch(batch, state)).await
}
