//! The simulator's own strict request models: unknown fields, missing required fields and
//! values outside the documented enums are refused, as a client bug must not pass here.

use std::collections::{BTreeSet, HashMap};

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::refusal::Refusal;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerListCreate {
    pub name: String,
    pub records: String,
    #[serde(default = "email_list_type")]
    pub list_type: UserListType,
}

fn email_list_type() -> UserListType {
    UserListType::Email
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum UserListType {
    Email,
    Idfa,
    Maid,
    LrId,
    DlxId,
    HashedPinnerId,
}

impl UserListType {
    pub fn as_str(self) -> &'static str {
        match self {
            UserListType::Email => "EMAIL",
            UserListType::Idfa => "IDFA",
            UserListType::Maid => "MAID",
            UserListType::LrId => "LR_ID",
            UserListType::DlxId => "DLX_ID",
            UserListType::HashedPinnerId => "HASHED_PINNER_ID",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerListUpdate {
    pub operation_type: OperationType,
    pub records: String,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum OperationType {
    Add,
    Remove,
}

/// `POST .../ad_groups/audience_sizing`: the targeting spec (only its audience keys are read;
/// the other targeting keys Pinterest takes are accepted and change nothing here).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SizingRequest {
    pub targeting_spec: SizingTargeting,
    #[serde(default, rename = "auto_targeting_enabled")]
    _auto_targeting_enabled: Option<bool>,
    #[serde(default, rename = "placement_group")]
    _placement_group: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SizingTargeting {
    #[serde(rename = "AUDIENCE_INCLUDE", default)]
    pub include: Vec<String>,
    #[serde(rename = "AUDIENCE_EXCLUDE", default)]
    pub exclude: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudienceCreate {
    #[serde(default)]
    pub ad_account_id: Option<String>,
    pub name: String,
    pub rule: AudienceRule,
    pub audience_type: AudienceType,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudienceRule {
    #[serde(default)]
    pub customer_list_id: Option<String>,
    /// ACTALIKE: the seed audiences.
    #[serde(default)]
    pub seed_id: Option<Vec<String>>,
    /// ACTALIKE: US, CA or GB.
    #[serde(default)]
    pub country: Option<String>,
    /// ACTALIKE: 1 to 10.
    #[serde(default)]
    pub percentage: Option<i64>,
    /// VISITOR: the tag, as a string or (since 5.28) an array of them.
    #[serde(default)]
    pub visitor_source_id: Option<Value>,
    #[serde(default)]
    pub retention_days: Option<Value>,
    #[serde(default)]
    pub event: Option<String>,
    #[serde(default, rename = "event_data")]
    _event_data: Option<Value>,
    #[serde(default)]
    pub event_source: Option<Value>,
    #[serde(default)]
    pub ingestion_source: Option<Value>,
    #[serde(default)]
    pub url: Option<Value>,
    #[serde(default)]
    pub prefill: Option<bool>,
    /// ENGAGEMENT: the verified domain.
    #[serde(default)]
    pub engagement_domain: Option<Vec<String>>,
    #[serde(default)]
    pub engagement_type: Option<String>,
    #[serde(default)]
    pub engager_type: Option<i64>,
    #[serde(default)]
    pub pin_id: Option<Vec<String>>,
    #[serde(default)]
    pub ad_id: Option<Vec<String>>,
    #[serde(default)]
    pub campaign_id: Option<Vec<String>>,
    #[serde(default)]
    pub objective_type: Option<Vec<String>>,
    #[serde(default, rename = "ad_account_id")]
    _ad_account_id: Option<String>,
}

/// `PATCH .../audiences/{id}`: rename, describe, or remove.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudienceUpdate {
    #[serde(default)]
    pub ad_account_id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub rule: Option<AudienceRule>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub operation_type: Option<AudienceOperation>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum AudienceOperation {
    Update,
    Remove,
}

/// `PATCH .../audiences/ad_accounts/shared`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SharedAudience {
    pub audience_id: String,
    pub recipient_account_ids: Vec<String>,
    pub operation_type: ShareOperation,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum ShareOperation {
    Share,
    Revoke,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AudienceType {
    CustomerList,
    Visitor,
    Engagement,
    Actalike,
    Persona,
}

/// Parses a JSON body strictly, answering a documented 400 on any mismatch.
pub fn parse_json<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, Refusal> {
    serde_json::from_slice(body).map_err(|e| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            1,
            format!("Invalid request body: {e}"),
        )
    })
}

/// Refuses query parameters the endpoint does not document, and checks `page_size`.
pub fn check_query(query: &HashMap<String, String>, allowed: &[&str]) -> Result<(), Refusal> {
    if let Some(unknown) = query.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            1,
            format!("Invalid parameter: '{unknown}' is not a parameter of this endpoint"),
        ));
    }
    if let Some(size) = query.get("page_size") {
        match size.parse::<u32>() {
            Ok(1..=250) => {}
            _ => {
                return Err(Refusal::new(
                    StatusCode::BAD_REQUEST,
                    1,
                    "Invalid parameter: page_size must be from 1 to 250",
                ));
            }
        }
    }
    if let Some(order) = query.get("order")
        && order != "ASCENDING"
        && order != "DESCENDING"
    {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            1,
            "Invalid parameter: order must be ASCENDING or DESCENDING",
        ));
    }
    Ok(())
}

/// Splits `records` (one comma-separated string; a trailing comma is allowed) and checks each
/// one: MAIDs and IDFAs must be hashed; emails lowercase, plain or hashed.
pub fn parse_records(
    records: &str,
    list_type: UserListType,
    max: Option<usize>,
) -> Result<BTreeSet<String>, Refusal> {
    let items: Vec<&str> = records
        .split(',')
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .collect();
    if items.is_empty() {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            1,
            "Invalid request body: records is empty",
        ));
    }
    if let Some(max) = max
        && items.len() > max
    {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            1,
            format!(
                "Too many records in one request: {} (at most {max})",
                items.len()
            ),
        ));
    }
    let hashed =
        |r: &str| matches!(r.len(), 32 | 40 | 64) && r.bytes().all(|b| b.is_ascii_hexdigit());
    for record in &items {
        let ok = match list_type {
            UserListType::Email => {
                hashed(record)
                    || (record.contains('@') && !record.bytes().any(|b| b.is_ascii_uppercase()))
            }
            UserListType::Maid | UserListType::Idfa => hashed(record),
            _ => true,
        };
        if !ok {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                1,
                format!(
                    "Invalid records: a {} record must be {}",
                    list_type.as_str(),
                    if list_type == UserListType::Email {
                        "a lowercase email or a hex digest"
                    } else {
                        "hashed (SHA-256, SHA-1 or MD5 hex)"
                    }
                ),
            ));
        }
    }
    Ok(items.into_iter().map(|r| r.to_ascii_lowercase()).collect())
}
