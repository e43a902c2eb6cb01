//! The v5 request and response bodies the app uses. Responses are read leniently (Pinterest
//! adds fields); requests carry exactly the documented fields.

use serde::{Deserialize, Deserializer, Serialize};

use crate::identity::ListType;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct UserAccount {
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub account_type: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    #[serde(default)]
    pub bookmark: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct AdAccountOwner {
    #[serde(default)]
    pub id: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct AdAccount {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub owner: Option<AdAccountOwner>,
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// A number as Pinterest may send it: `12`, `12.0`, or (since release 5.28, for a
/// lookalike's percentage) the string `"12"`. Anything else is refused with what it was.
fn number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<serde_json::Number>, D::Error> {
    use serde::de::Error;
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => Ok(Some(n)),
        Some(serde_json::Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(serde_json::Value::String(text)) => text
            .trim()
            .parse::<serde_json::Number>()
            .map(Some)
            .map_err(|_| D::Error::custom(format!("expected a number, got \"{text}\""))),
        Some(other) => Err(D::Error::custom(format!("expected a number, got {other}"))),
    }
}

/// A whole number that cannot be negative (a counter, a percentage); a `12.0` must not fail
/// the whole answer.
fn count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(number(d)?.and_then(|n| n.as_u64().or_else(|| n.as_f64().map(|f| f.max(0.0) as u64))))
}

/// A whole number that may be negative (a size Pinterest withholds as -1, a time).
fn signed<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(number(d)?.and_then(|n| n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))))
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct CustomerList {
    pub id: String,
    #[serde(default)]
    pub ad_account_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "count")]
    pub created_time: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    pub updated_time: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    pub num_batches: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    pub num_uploaded_user_records: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    pub num_removed_user_records: Option<u64>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub exceptions: Option<serde_json::Value>,
}

/// `POST /ad_accounts/{id}/customer_lists`: the first batch goes in with the list.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NewCustomerList {
    pub name: String,
    /// One comma-separated string of digests.
    pub records: String,
    pub list_type: ListType,
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operation {
    Add,
    Remove,
}

/// `PATCH /ad_accounts/{id}/customer_lists/{list_id}`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CustomerListUpdate {
    pub operation_type: Operation,
    pub records: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct AudienceRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_list_id: Option<String>,
    /// A lookalike's seed audiences.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_id: Option<Vec<String>>,
    /// A lookalike's country: US, CA or GB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// A lookalike's size as a percentage of the country's Pinterest users, 1 to 10.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "count"
    )]
    pub percentage: Option<u64>,
    /// A visitor audience's Pinterest tag: one ID, sent as a string (what every release
    /// takes); since release 5.28 Pinterest may answer an array.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "one_or_many",
        serialize_with = "one_as_string"
    )]
    pub visitor_source_id: Option<Vec<String>>,
    /// Days a person stays in a visitor or engagement audience, 1 to 540 (Pinterest: 180).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "count"
    )]
    pub retention_days: Option<u64>,
    /// The tag event a visitor did: pagevisit, checkout, ... or a partner's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// Where the events came from: `{"=": ["web", "mobile", "offline"]}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_source: Option<OneOf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ingestion_source: Option<OneOf>,
    /// Page addresses: a string, or `[{"contains": "/checkout"}, {"!=": "..."}]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<serde_json::Value>,
    /// Whether Pinterest fills a new visitor audience from what its tag already saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<bool>,
    /// An engagement audience's verified domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement_domain: Option<Vec<String>>,
    /// click, save, closeup, comment or like (all when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engagement_type: Option<String>,
    /// 1 or 2.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "count"
    )]
    pub engager_type: Option<u64>,
    /// Only people who engaged with these Pins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_id: Option<Vec<String>>,
}

/// `{"=": [values]}`: any of these.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub struct OneOf {
    #[serde(rename = "=", default)]
    pub any: Vec<String>,
}

/// One ID as a string, several as an array.
fn one_as_string<S: serde::Serializer>(ids: &Option<Vec<String>>, s: S) -> Result<S::Ok, S::Error> {
    match ids.as_deref() {
        Some([one]) => s.serialize_str(one),
        Some(many) => many.serialize(s),
        None => s.serialize_none(),
    }
}

/// A string, or an array of strings (release 5.28 answers `visitor_source_id` either way).
fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    use serde::de::Error;
    match Option::<serde_json::Value>::deserialize(d)? {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(one)) => Ok(Some(vec![one])),
        Some(serde_json::Value::Array(many)) => many
            .into_iter()
            .map(|v| match v {
                serde_json::Value::String(s) => Ok(s),
                serde_json::Value::Number(n) => Ok(n.to_string()),
                other => Err(D::Error::custom(format!("expected an ID, got {other}"))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(other) => Err(D::Error::custom(format!(
            "expected an ID or a list of IDs, got {other}"
        ))),
    }
}

/// One of an ad account's Pinterest (conversion) tags.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct ConversionTag {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// ACTIVE, PAUSED, ARCHIVED, ...
    #[serde(default)]
    pub status: Option<String>,
    /// When it last saw an event, in milliseconds since the epoch.
    #[serde(default, deserialize_with = "signed")]
    pub last_fired_time_ms: Option<i64>,
}

impl ConversionTag {
    pub fn is_archived(&self) -> bool {
        self.status.as_deref() == Some("ARCHIVED")
    }
}

/// `GET .../conversion_tags`: one page, all of them.
#[derive(Clone, Debug, Deserialize)]
pub struct ConversionTags {
    #[serde(default)]
    pub items: Vec<ConversionTag>,
}

/// A website of the login, claimed or not.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct UserWebsite {
    pub website: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub verified_at: Option<String>,
}

impl UserWebsite {
    /// Pinterest verified it: its status is "success".
    pub fn is_verified(&self) -> bool {
        self.status.as_deref() == Some("success")
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct Audience {
    pub id: String,
    #[serde(default)]
    pub ad_account_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub audience_type: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub rule: Option<AudienceRule>,
    #[serde(default, deserialize_with = "signed")]
    pub size: Option<i64>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "signed")]
    pub created_timestamp: Option<i64>,
    #[serde(default, deserialize_with = "signed")]
    pub updated_timestamp: Option<i64>,
}

/// `POST /ad_accounts/{id}/audiences` for a customer list.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct NewAudience {
    pub name: String,
    pub audience_type: &'static str,
    pub rule: AudienceRule,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl NewAudience {
    /// An audience Pinterest builds from its own data (VISITOR, ENGAGEMENT) by `rule`.
    pub fn by_rule(
        name: &str,
        audience_type: &'static str,
        rule: AudienceRule,
        description: Option<String>,
    ) -> Self {
        NewAudience {
            name: name.to_owned(),
            audience_type,
            rule,
            description,
        }
    }

    pub fn for_customer_list(
        name: &str,
        customer_list_id: &str,
        description: Option<String>,
    ) -> Self {
        NewAudience {
            name: name.to_owned(),
            audience_type: "CUSTOMER_LIST",
            rule: AudienceRule {
                customer_list_id: Some(customer_list_id.to_owned()),
                ..AudienceRule::default()
            },
            description,
        }
    }

    /// An ACTALIKE audience: people like those of the seed audiences, in `country`, sized at
    /// `percentage` of its Pinterest users.
    pub fn lookalike(name: &str, seeds: &[String], country: &str, percentage: u64) -> Self {
        NewAudience {
            name: name.to_owned(),
            audience_type: "ACTALIKE",
            rule: AudienceRule {
                seed_id: Some(seeds.to_vec()),
                country: Some(country.to_owned()),
                percentage: Some(percentage),
                ..AudienceRule::default()
            },
            description: None,
        }
    }
}

/// `PATCH .../audiences/{id}`: remove one, or change its name, description or rule.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AudienceUpdate {
    pub operation_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<AudienceRule>,
}

impl AudienceUpdate {
    pub fn remove() -> Self {
        AudienceUpdate {
            operation_type: "REMOVE",
            name: None,
            description: None,
            rule: None,
        }
    }

    pub fn update(
        name: Option<String>,
        description: Option<String>,
        rule: Option<AudienceRule>,
    ) -> Self {
        AudienceUpdate {
            operation_type: "UPDATE",
            name,
            description,
            rule,
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum ShareOperation {
    Share,
    Revoke,
}

/// `PATCH .../audiences/ad_accounts/shared`.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SharedAudience {
    pub audience_id: String,
    pub recipient_account_ids: Vec<String>,
    pub operation_type: ShareOperation,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct SharedAudienceResponse {
    #[serde(default)]
    pub audience_id: Option<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub recipient_account_ids: Vec<String>,
}

/// An account an audience is shared with.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct SharedAudienceAccount {
    pub account_id: String,
    #[serde(default)]
    pub account_name: Option<String>,
    #[serde(default)]
    pub account_type: Option<String>,
    #[serde(default)]
    pub shared_on_timestamp: Option<i64>,
}

/// Pinterest's error body: `{"code": int, "message": str}`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct ErrorBody {
    pub code: i64,
    pub message: String,
}

/// `POST /ad_accounts/{id}/ad_groups/audience_sizing`: how many people an ad group targeting
/// these audiences may reach per month.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AudienceSizingRequest {
    pub targeting_spec: SizingTargeting,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SizingTargeting {
    #[serde(rename = "AUDIENCE_INCLUDE")]
    pub audience_include: Vec<String>,
}

impl AudienceSizingRequest {
    pub fn of(audience_id: &str) -> Self {
        AudienceSizingRequest {
            targeting_spec: SizingTargeting {
                audience_include: vec![audience_id.to_owned()],
            },
        }
    }
}

/// The answer: the bounds of the estimate (Pinterest documents them as "number").
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct AudienceSizing {
    #[serde(default, deserialize_with = "count")]
    pub audience_size_lower_bound: Option<u64>,
    #[serde(default, deserialize_with = "count")]
    pub audience_size_upper_bound: Option<u64>,
}
