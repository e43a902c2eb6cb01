//! Reach: how many people an ad group targeting an audience may reach in a month, by
//! Pinterest's estimate (`audience_sizing`). Taken with the follow-up looks (at most hourly
//! per audience) and on demand, and kept: the latest for each audience, and with each
//! snapshot, so the size-over-time plot can show it as a band.

use std::collections::HashMap;

use super::AudienceError;
use crate::context::Core;
use crate::pinterest::{Audience, Client};
use crate::store::{Reach, StoreError};

/// A reach estimate younger than this is used as it is.
pub const REACH_MAX_AGE: i64 = 3600;

/// Estimates taken in one look, at most: each is a call on the ad account's read quota.
const TAKEN_PER_LOOK: usize = 10;

/// The known reach of the ad account's audiences, by id, taken anew for READY audiences whose
/// estimate is missing or older than `REACH_MAX_AGE`. A refused or failed estimate keeps the
/// one known (the look goes on without it).
pub(crate) async fn fresh_reach(
    core: &Core,
    client: &Client,
    ad_account: &str,
    audiences: &[Audience],
) -> Result<HashMap<String, Reach>, StoreError> {
    let ad = ad_account.to_owned();
    let mut known = core.store.call(move |s| s.reaches(&ad)).await?;
    let now = crate::os::now();
    let stale: Vec<&Audience> = audiences
        .iter()
        .filter(|a| a.status.as_deref() == Some("READY"))
        .filter(|a| {
            known
                .get(&a.id)
                .is_none_or(|r| now - r.taken_at >= REACH_MAX_AGE)
        })
        .take(TAKEN_PER_LOOK)
        .collect();
    for audience in stale {
        match estimate(core, client, ad_account, &audience.id).await {
            Ok(reach) => {
                known.insert(audience.id.clone(), reach);
            }
            Err(e) => tracing::info!(audience = %audience.id, "no reach estimate now: {e}"),
        }
    }
    Ok(known)
}

/// Asks Pinterest for an audience's reach now, and keeps it.
pub async fn take_reach(
    core: &Core,
    connection: &str,
    audience_id: &str,
) -> Result<Reach, AudienceError> {
    let client = core.client(connection).await?;
    let ad = client.session().connection().ad_account_id.clone();
    estimate(core, &client, &ad, audience_id).await
}

async fn estimate(
    core: &Core,
    client: &Client,
    ad_account: &str,
    audience_id: &str,
) -> Result<Reach, AudienceError> {
    let sizing = client.audience_sizing(ad_account, audience_id).await?;
    let lower = sizing.audience_size_lower_bound.unwrap_or(0);
    let reach = Reach {
        lower,
        upper: sizing.audience_size_upper_bound.unwrap_or(lower).max(lower),
        taken_at: crate::os::now(),
    };
    let (ad, id) = (ad_account.to_owned(), audience_id.to_owned());
    core.store
        .call(move |s| s.save_reach(&ad, &id, reach))
        .await?;
    Ok(reach)
}

/// "reaches 240-375 people a month", or why it reaches no one.
pub fn describe(reach: Option<&Reach>, status: &str) -> String {
    match (status, reach) {
        ("TOO_SMALL", _) => "too small to reach anyone (under 100 matched people)".into(),
        (_, Some(r)) if r.upper == 0 => "reaches no one yet, by Pinterest's estimate".into(),
        (_, Some(r)) => format!(
            "reaches {}-{} people a month",
            crate::display::group(r.lower),
            crate::display::group(r.upper)
        ),
        ("READY", None) => "reach not estimated yet".into(),
        _ => "no reach until the audience is ready".into(),
    }
}
