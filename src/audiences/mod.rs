//! After the upload: how the lists and audiences are doing (status, size, an estimated match
//! rate, followed over two days), and what admins do next with a ready audience: a lookalike,
//! sharing it with other ad accounts of the business, removing it.

mod follow_up;
mod reach;
mod rules;

use serde::Serialize;

pub use follow_up::{
    EARLY_EVERY, FOLLOW_FOR, HealthNews, LATER_EVERY, match_rate, snapshot_due, take_due_snapshots,
};
pub use reach::{REACH_MAX_AGE, describe as describe_reach, take_reach};
pub use rules::{
    AudienceEdit, DEFAULT_RETENTION_DAYS, ENGAGEMENT_TYPES, EVENT_SOURCES, Engagers,
    RETENTION_DAYS, UrlRule, VISITOR_EVENTS, Visitors, check_retention, create_engagers,
    create_visitors, edit_audience, kind_in_words, rule_in_words, tags, websites,
};

use crate::context::Core;
use crate::pinterest::{
    ApiError, Audience, CustomerList, NewAudience, PinterestError, ShareOperation, SharedAudience,
    SharedAudienceAccount,
};
use crate::store::{Reach, Snapshot, Store, StoreError};

/// The countries Pinterest makes lookalikes in.
pub const LOOKALIKE_COUNTRIES: [&str; 3] = ["US", "CA", "GB"];
/// A lookalike's size, as a percentage of the country's Pinterest users.
pub const LOOKALIKE_PERCENT: std::ops::RangeInclusive<u64> = 1..=10;

#[derive(Debug, thiserror::Error)]
pub enum AudienceError {
    #[error("{0}")]
    Invalid(String),
    #[error(
        "Pinterest refused to share the audience ({0}). Audience sharing is a restricted \
         feature that Pinterest opens to some apps only, and this app's Pinterest app does not \
         have it: ask Pinterest to enable it, or share the audience in Ads Manager"
    )]
    SharingRestricted(ApiError),
    #[error(
        "tag {tag} is archived: it no longer sees visitors, so the audience would stay empty \
         or shrink; confirm to make it on this tag all the same"
    )]
    ArchivedTag { tag: String },
    #[error(transparent)]
    Pinterest(#[from] PinterestError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl crate::remedy::HasRemedy for AudienceError {
    fn remedy(&self) -> Option<crate::remedy::Remedy> {
        match self {
            AudienceError::Pinterest(e) => e.remedy(),
            AudienceError::Store(e) => e.remedy(),
            AudienceError::ArchivedTag { .. } => Some(crate::remedy::Remedy::ConfirmArchivedTag),
            AudienceError::Invalid(_) | AudienceError::SharingRestricted(_) => None,
        }
    }
}

/// A customer list with the identities this app has in it (its ledger).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ListView {
    #[serde(flatten)]
    pub list: CustomerList,
    pub identities: u64,
    /// The kind of identity it holds, when this app's jobs put them there.
    pub list_type: Option<crate::identity::ListType>,
}

/// An audience with the estimated match rate: its size over the identities this app has in
/// its list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AudienceView {
    #[serde(flatten)]
    pub audience: Audience,
    /// The identities this app has in the audience's list (none for other audiences).
    pub identities: Option<u64>,
    /// A fraction from 0 to 1; `None` while the size is unknown.
    pub match_rate: Option<f64>,
    pub made_by_app: bool,
    /// The people an ad group targeting it may reach in a month, as last estimated.
    pub reach: Option<Reach>,
    /// "site visitors", "people who engaged", "customer list", "lookalike".
    pub kind: &'static str,
    /// What its rule means: "visited with checkout in the last 30 days, ...".
    pub rule_in_words: String,
}

impl AudienceView {
    pub fn status(&self) -> &str {
        self.audience.status.as_deref().unwrap_or("UNKNOWN")
    }

    pub fn list_id(&self) -> Option<&str> {
        self.audience.rule.as_ref()?.customer_list_id.as_deref()
    }
}

/// A lookalike to make: people like the seeds' in one country.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookalike {
    pub seeds: Vec<String>,
    pub country: String,
    pub percent: u64,
    /// Made up from the first seed's name when not given.
    pub name: Option<String>,
}

impl Lookalike {
    /// The checks made before anything is sent, with what to do.
    pub fn check(&self) -> Result<(), AudienceError> {
        if self.seeds.is_empty() {
            return Err(AudienceError::Invalid(
                "name at least one seed audience (the connection's lists show the audiences)"
                    .into(),
            ));
        }
        if let Some(bad) = self
            .seeds
            .iter()
            .find(|s| s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(AudienceError::Invalid(format!(
                "'{bad}' is not an audience id (digits only)"
            )));
        }
        if !LOOKALIKE_COUNTRIES.contains(&self.country.as_str()) {
            return Err(AudienceError::Invalid(format!(
                "'{}' is not a lookalike country; Pinterest makes lookalikes in US, CA and GB",
                self.country
            )));
        }
        if !LOOKALIKE_PERCENT.contains(&self.percent) {
            return Err(AudienceError::Invalid(format!(
                "a lookalike's percentage is 1 to 10 (the share of the country's Pinterest \
                 users it reaches); {} is out of range",
                self.percent
            )));
        }
        Ok(())
    }
}

/// A connection's customer lists and audiences, with the identities this app has in each
/// list and each audience's estimated match rate. The followed lists that are due get
/// their snapshot from this same listing, and what they became is returned as news.
pub async fn ad_account_health(
    core: &Core,
    connection: &str,
) -> Result<(String, Vec<ListView>, Vec<AudienceView>, Vec<HealthNews>), PinterestError> {
    let client = core.client(connection).await?;
    let ad = client.session().connection().ad_account_id.clone();
    let lists = client.customer_lists(&ad).await?;
    let audiences = client.audiences(&ad).await?;
    let reach = reach::fresh_reach(core, &client, &ad, &audiences).await?;
    let now = crate::os::now();
    let read = core
        .store
        .call(move |store| what_the_app_knows(store, ad, lists, audiences, reach, now))
        .await?;
    Ok(read)
}

/// The listing with what the home knows of it; the followed lists that are due get their
/// snapshot from it.
#[allow(clippy::type_complexity)]
fn what_the_app_knows(
    store: &mut Store,
    ad: String,
    lists: Vec<CustomerList>,
    audiences: Vec<Audience>,
    reach: std::collections::HashMap<String, Reach>,
    now: i64,
) -> Result<(String, Vec<ListView>, Vec<AudienceView>, Vec<HealthNews>), StoreError> {
    let due: Vec<_> = store
        .followed()?
        .into_iter()
        .filter(|f| f.ad_account_id == ad && snapshot_due(f.since, f.last_taken, now))
        .collect();
    let news = follow_up::record(
        store,
        &follow_up::Listing::new(&lists, &audiences).with_reach(reach.clone()),
        &due,
        now,
    )?;
    let made = store.audiences_made(&ad)?;
    let lists = lists
        .into_iter()
        .map(|list| {
            let identities = store.ledger_count(&ad, &list.id)?;
            let list_type = store.list_type_of(&list.id)?;
            Ok(ListView {
                list,
                identities,
                list_type,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let audiences = audiences
        .into_iter()
        .map(|audience| {
            let list = audience
                .rule
                .as_ref()
                .and_then(|r| r.customer_list_id.clone());
            // Counted once per list (a ledger can hold millions): the list's own view
            // has it already.
            let counted = |l: &String| {
                lists
                    .iter()
                    .find(|v| v.list.id == *l)
                    .map_or_else(|| store.ledger_count(&ad, l), |v| Ok(v.identities))
            };
            let identities = list.as_ref().map(counted).transpose()?;
            let size = audience.size.map(|s| s.max(0) as u64);
            Ok(AudienceView {
                kind: kind_in_words(audience.audience_type.as_deref()),
                rule_in_words: rule_in_words(
                    audience.audience_type.as_deref(),
                    audience.rule.as_ref(),
                ),
                match_rate: identities.and_then(|n| match_rate(size, n)),
                identities,
                made_by_app: made.contains(&audience.id),
                reach: reach.get(&audience.id).copied(),
                audience,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok((ad, lists, audiences, news))
}

/// What the app saw of a list over time, oldest first.
pub fn list_history(
    core: &Core,
    ad_account: &str,
    list_id: &str,
) -> Result<Vec<Snapshot>, StoreError> {
    core.store().snapshots(ad_account, list_id)
}

/// Makes a lookalike of READY seed audiences of the connection's ad account.
pub async fn create_lookalike(
    core: &Core,
    connection: &str,
    request: &Lookalike,
) -> Result<Audience, AudienceError> {
    request.check()?;
    let client = core.client(connection).await?;
    let ad = client.session().connection().ad_account_id.clone();
    let mut first_name = None;
    for seed in &request.seeds {
        let audience = match client.audience(&ad, seed).await {
            Ok(audience) => audience,
            Err(PinterestError::Api(e)) if e.status == 404 => {
                return Err(AudienceError::Invalid(format!(
                    "there is no audience {seed} in ad account {ad} (the lists of \
                     '{connection}' show them)"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let status = audience.status.as_deref().unwrap_or("UNKNOWN");
        if status != "READY" {
            return Err(AudienceError::Invalid(format!(
                "seed audience {seed} ({}) is {status}; a lookalike needs READY seeds. \
                 Pinterest takes up to 48 hours to match a list, and the lists of \
                 '{connection}' show its status",
                audience.name.as_deref().unwrap_or("unnamed")
            )));
        }
        first_name.get_or_insert(audience.name.unwrap_or_else(|| seed.clone()));
    }
    let name = request.name.clone().unwrap_or_else(|| {
        format!(
            "Lookalike of {} ({} {}%)",
            first_name.unwrap_or_default(),
            request.country,
            request.percent
        )
    });
    let audience = client
        .create_audience(
            &ad,
            &NewAudience::lookalike(&name, &request.seeds, &request.country, request.percent),
        )
        .await?;
    {
        let (ad, id) = (ad.clone(), audience.id.clone());
        core.store.call(move |s| s.made_audience(&ad, &id)).await?;
    }
    Ok(audience)
}

/// Shares an audience with ad accounts of the same business, or revokes it; returns who
/// has it now.
pub async fn share(
    core: &Core,
    connection: &str,
    audience_id: &str,
    recipients: &[String],
    revoke: bool,
) -> Result<Vec<SharedAudienceAccount>, AudienceError> {
    let client = core.client(connection).await?;
    let ad = client.session().connection().ad_account_id.clone();
    if recipients.is_empty() {
        return Err(AudienceError::Invalid(
            "name the ad accounts to share with".into(),
        ));
    }
    for recipient in recipients {
        crate::store::validate_ad_account_id(recipient).map_err(AudienceError::Invalid)?;
        if *recipient == ad {
            return Err(AudienceError::Invalid(format!(
                "ad account {ad} owns the audience; share it with another ad account"
            )));
        }
    }
    let share = SharedAudience {
        audience_id: audience_id.to_owned(),
        recipient_account_ids: recipients.to_vec(),
        operation_type: if revoke {
            ShareOperation::Revoke
        } else {
            ShareOperation::Share
        },
    };
    match client.share_audience(&ad, &share).await {
        Ok(_) => {}
        Err(PinterestError::Api(e)) if e.status == 403 => {
            return Err(AudienceError::SharingRestricted(e));
        }
        Err(e) => return Err(e.into()),
    }
    Ok(client.shared_accounts(&ad, audience_id).await?)
}

/// The ad accounts an audience is shared with.
pub async fn shared_with(
    core: &Core,
    connection: &str,
    audience_id: &str,
) -> Result<Vec<SharedAudienceAccount>, AudienceError> {
    let client = core.client(connection).await?;
    let ad = client.session().connection().ad_account_id.clone();
    Ok(client.shared_accounts(&ad, audience_id).await?)
}

/// Removes an audience this app made (its list stays; Pinterest cannot delete lists).
pub async fn remove(
    core: &Core,
    connection: &str,
    audience_id: &str,
) -> Result<Audience, AudienceError> {
    let client = core.client(connection).await?;
    let ad = client.session().connection().ad_account_id.clone();
    let made = {
        let ad = ad.clone();
        core.store.call(move |s| s.audiences_made(&ad)).await?
    };
    if !made.contains(audience_id) {
        return Err(AudienceError::Invalid(format!(
            "audience {audience_id} was not made by Audience Desk; remove it in Ads Manager"
        )));
    }
    Ok(client.remove_audience(&ad, audience_id).await?)
}
#[cfg(test)]
mod tests {
    use super::*;

    fn lookalike(country: &str, percent: u64) -> Lookalike {
        Lookalike {
            seeds: vec!["123".into()],
            country: country.into(),
            percent,
            name: None,
        }
    }

    #[test]
    fn a_lookalike_is_checked_before_anything_is_sent() {
        assert!(lookalike("US", 1).check().is_ok());
        assert!(lookalike("GB", 10).check().is_ok());
        let said = lookalike("FR", 5).check().unwrap_err().to_string();
        assert!(said.contains("US, CA and GB"), "{said}");
        let said = lookalike("CA", 11).check().unwrap_err().to_string();
        assert!(said.contains("1 to 10"), "{said}");
        let said = lookalike("CA", 0).check().unwrap_err().to_string();
        assert!(said.contains("0 is out of range"), "{said}");
        let none = Lookalike {
            seeds: Vec::new(),
            ..lookalike("US", 3)
        };
        assert!(
            none.check()
                .unwrap_err()
                .to_string()
                .contains("seed audience")
        );
    }
}
