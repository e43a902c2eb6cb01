//! Following lists after a job: Pinterest matches for up to two days and reports no match
//! rate, so the app looks again on a schedule (every 15 minutes in the first hour, hourly up
//! to 48 hours; one catch-up look after that when nothing was open meanwhile), keeps what it
//! saw, and estimates the match rate from its own ledger.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::context::Core;
use crate::pinterest::{Audience, CustomerList, PinterestError};
use crate::store::{Followed, Snapshot, Store, StoreError};

/// Looks in the first hour after a job are this far apart...
pub const EARLY_EVERY: i64 = 15 * 60;
/// ...then this far apart...
pub const LATER_EVERY: i64 = 3600;
/// ...until this long after the job.
pub const FOLLOW_FOR: i64 = 48 * 3600;
const FIRST_HOUR: i64 = 3600;

/// Whether a followed list is due for a look at `now`: never looked at, or looked at longer
/// ago than the interval of that moment; the last look is the first one taken after the
/// window's end.
pub fn snapshot_due(since: i64, last_taken: Option<i64>, now: i64) -> bool {
    let Some(last) = last_taken else {
        return true;
    };
    if last >= since + FOLLOW_FOR {
        return false;
    }
    let every = if last - since < FIRST_HOUR {
        EARLY_EVERY
    } else {
        LATER_EVERY
    };
    now - last >= every
}

/// The estimated match rate: matched people over the identities this app has in the list.
/// Unknown without a size, or when the app has put nobody in the list.
pub fn match_rate(size: Option<u64>, identities: u64) -> Option<f64> {
    match size {
        Some(size) if identities > 0 => Some((size as f64 / identities as f64).min(1.0)),
        _ => None,
    }
}

/// An audience the app made that reached a state worth telling: READY, or TOO_SMALL.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HealthNews {
    pub connection: String,
    pub audience_id: String,
    pub name: String,
    pub status: String,
    pub size: Option<u64>,
    pub match_rate: Option<f64>,
}

impl HealthNews {
    pub fn sentence(&self) -> String {
        match self.status.as_str() {
            "READY" => format!(
                "Audience '{}' is ready: {} people matched{}.",
                self.name,
                self.size
                    .map_or_else(|| "an unknown number of".into(), crate::display::group),
                self.match_rate
                    .map(|r| format!(" (about {:.0}% of the list, an estimate)", r * 100.0))
                    .unwrap_or_default()
            ),
            _ => format!(
                "Audience '{}' is too small: fewer than 100 people matched Pinterest users, so \
                 it cannot be targeted. Add more people to its list.",
                self.name
            ),
        }
    }
}

/// What one look at an ad account found, by list id.
pub(crate) struct Listing {
    pub lists: HashMap<String, CustomerList>,
    /// The CUSTOMER_LIST audience of each list.
    pub audiences: HashMap<String, Audience>,
    /// The latest reach estimate of each audience, by audience id.
    pub reach: HashMap<String, crate::store::Reach>,
}

impl Listing {
    pub(crate) fn new(lists: &[CustomerList], audiences: &[Audience]) -> Listing {
        Listing {
            lists: lists.iter().map(|l| (l.id.clone(), l.clone())).collect(),
            audiences: audiences
                .iter()
                .filter_map(|a| {
                    let list = a.rule.as_ref()?.customer_list_id.clone()?;
                    Some((list, a.clone()))
                })
                .collect(),
            reach: HashMap::new(),
        }
    }

    pub(crate) fn with_reach(mut self, reach: HashMap<String, crate::store::Reach>) -> Listing {
        self.reach = reach;
        self
    }

    fn snapshot(&self, followed: &Followed, now: i64) -> Snapshot {
        let list = self.lists.get(&followed.list_id);
        let audience = followed
            .audience_id
            .as_ref()
            .and_then(|id| self.audiences.values().find(|a| a.id == *id))
            .or_else(|| self.audiences.get(&followed.list_id));
        Snapshot {
            ad_account_id: followed.ad_account_id.clone(),
            list_id: followed.list_id.clone(),
            audience_id: audience.map(|a| a.id.clone()),
            taken_at: now,
            list_status: list.and_then(|l| l.status.clone()),
            uploaded: list.and_then(|l| l.num_uploaded_user_records),
            removed: list.and_then(|l| l.num_removed_user_records),
            audience_status: audience.and_then(|a| a.status.clone()),
            size: audience.and_then(|a| a.size).map(|s| s.max(0) as u64),
            reach: audience.and_then(|a| self.reach.get(&a.id)).copied(),
        }
    }
}

/// Looks at every followed list that is due, two calls per ad account (its lists and its
/// audiences), and keeps what it saw. Connections that cannot be used now (not
/// connected, a refusal) are left for the next look. Returns the audiences made by this
/// app that became READY or TOO_SMALL.
pub async fn take_due_snapshots(core: &Core, now: i64) -> Result<Vec<HealthNews>, StoreError> {
    let followed = core.store.call(|s| s.followed()).await?;
    let mut due: BTreeMap<(String, String), Vec<Followed>> = BTreeMap::new();
    for f in followed {
        if snapshot_due(f.since, f.last_taken, now) {
            due.entry((f.connection.clone(), f.ad_account_id.clone()))
                .or_default()
                .push(f);
        }
    }
    let mut news = Vec::new();
    for ((connection, ad_account_id), entries) in due {
        match listing(core, &connection, &ad_account_id).await {
            Ok(listing) => {
                let made = core
                    .store
                    .call(move |store| record(store, &listing, &entries, now))
                    .await?;
                news.extend(made);
            }
            Err(e) => tracing::info!(%connection, "not looking at the lists now: {e}"),
        }
    }
    Ok(news)
}

async fn listing(
    core: &Core,
    connection: &str,
    ad_account: &str,
) -> Result<Listing, PinterestError> {
    let client = core.client(connection).await?;
    let lists = client.customer_lists(ad_account).await?;
    let audiences = client.audiences(ad_account).await?;
    let reach = super::reach::fresh_reach(core, &client, ad_account, &audiences).await?;
    Ok(Listing::new(&lists, &audiences).with_reach(reach))
}

/// Keeps a snapshot of each entry from what a listing found; says which audiences made
/// by this app reached READY or TOO_SMALL since the last look.
pub(crate) fn record(
    store: &Store,
    listing: &Listing,
    entries: &[Followed],
    now: i64,
) -> Result<Vec<HealthNews>, StoreError> {
    let mut news = Vec::new();
    for followed in entries {
        let snapshot = listing.snapshot(followed, now);
        store.add_snapshot(&snapshot)?;
        let status = snapshot.audience_status.clone();
        let settled = matches!(status.as_deref(), Some("READY" | "TOO_SMALL"));
        if followed.made_by_app && settled && status != followed.last_status {
            let identities = store.ledger_count(&followed.ad_account_id, &followed.list_id)?;
            let audience = snapshot
                .audience_id
                .as_ref()
                .and_then(|id| listing.audiences.values().find(|a| a.id == *id));
            news.push(HealthNews {
                connection: followed.connection.clone(),
                audience_id: snapshot.audience_id.clone().unwrap_or_default(),
                name: audience
                    .and_then(|a| a.name.clone())
                    .unwrap_or_else(|| format!("list {}", followed.list_id)),
                status: status.unwrap_or_default(),
                size: snapshot.size,
                match_rate: match_rate(snapshot.size, identities),
            });
        }
    }
    Ok(news)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_come_every_quarter_hour_then_hourly_then_stop_after_two_days() {
        let since = 1_000_000;
        assert!(snapshot_due(since, None, since));
        assert!(!snapshot_due(since, Some(since), since + 14 * 60));
        assert!(snapshot_due(since, Some(since), since + 15 * 60));
        let later = since + 2 * 3600;
        assert!(!snapshot_due(since, Some(later), later + 30 * 60));
        assert!(snapshot_due(since, Some(later), later + 3600));
        // Closed for a week: one catch-up look, then no more.
        let last = since + 5 * 3600;
        assert!(snapshot_due(since, Some(last), since + 7 * 86_400));
        let catch_up = since + 7 * 86_400;
        assert!(!snapshot_due(since, Some(catch_up), catch_up + 86_400));
    }

    #[test]
    fn the_match_rate_is_the_size_over_the_ledger_and_unknown_without_either() {
        assert_eq!(match_rate(Some(60), 100), Some(0.6));
        assert_eq!(match_rate(None, 100), None);
        assert_eq!(match_rate(Some(60), 0), None);
        assert_eq!(
            match_rate(Some(120), 100),
            Some(1.0),
            "never above the whole list"
        );
    }
}
