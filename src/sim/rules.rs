//! Audiences Pinterest builds from its own data: the ad account's Pinterest tags, the user's
//! websites, and the VISITOR and ENGAGEMENT rules as `AudienceRule` describes them (a tag of
//! this account, a verified domain, ranges and operators).

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::{Value, json};

use super::AppState;
use super::api::{Answer, authenticate, page, valid_id, visible_account};
use super::data::Data;
use super::refusal::Refusal;
use super::requests::{AudienceRule, check_query};

const EVENT_SOURCES: [&str; 3] = ["web", "mobile", "offline"];
const INGESTION_SOURCES: [&str; 4] = ["tag", "mmp", "file_upload", "conversions_api"];
const ENGAGEMENT_TYPES: [&str; 5] = ["click", "save", "closeup", "comment", "like"];
const URL_OPERATORS: [&str; 4] = ["=", "!=", "contains", "not_contains"];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/ad_accounts/{ad}/conversion_tags", get(conversion_tags))
        .route("/user_account/websites", get(websites))
}

async fn conversion_tags(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(ad): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Answer {
    let data = shared.data.lock().expect("sim data");
    authenticate(&data, &headers, "ads:read")?;
    check_query(&query, &["filter_deleted"])?;
    visible_account(&data, &ad, false)?;
    let items: Vec<Value> = data
        .tags
        .iter()
        .filter(|t| t.ad_account_id == ad)
        .map(|t| {
            json!({
                "ad_account_id": t.ad_account_id,
                "id": t.id,
                "name": t.name,
                "status": t.status,
                "last_fired_time_ms": t.last_fired_time_ms,
                "version": "3",
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })).into_response())
}

async fn websites(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Answer {
    let data = shared.data.lock().expect("sim data");
    authenticate(&data, &headers, "user_accounts:read")?;
    check_query(&query, &["bookmark", "page_size"])?;
    let items = data
        .websites
        .iter()
        .map(|w| {
            let mut site = json!({ "website": w.website, "status": w.status });
            if let Some(at) = w.verified_at {
                site["verified_at"] = json!(at);
            }
            site
        })
        .collect();
    page(items, &query)
}

fn bad_rule(message: impl Into<String>) -> Refusal {
    Refusal::new(StatusCode::BAD_REQUEST, 400, message)
}

/// `retention_days`: 1 to 540 (an integer; a string of digits is taken as Pinterest does).
fn retention(rule: &AudienceRule) -> Result<Option<i64>, Refusal> {
    let days = match &rule.retention_days {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        Some(_) => None,
    };
    match days {
        Some(days) if (1..=540).contains(&days) => Ok(Some(days)),
        _ => Err(bad_rule("Invalid retention_days: accepted range is 1-540.")),
    }
}

/// `{"=": [values]}` with every value among `allowed`.
fn any_of(field: &str, value: &Value, allowed: &[&str]) -> Result<(), Refusal> {
    let values = value
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.get("="))
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| bad_rule(format!("Invalid {field}: use it as {{\"=\": [values]}}.")))?;
    for v in values {
        match v.as_str() {
            Some(s) if allowed.contains(&s) => {}
            _ => {
                return Err(bad_rule(format!(
                    "Invalid {field} value {v}: supported values are {}.",
                    allowed.join(", ")
                )));
            }
        }
    }
    Ok(())
}

/// `url`: a string, an `{operator: value}` object, or an array of them.
fn url_rule(url: &Value) -> Result<(), Refusal> {
    let condition = |c: &Value| -> Result<(), Refusal> {
        match c {
            Value::String(s) if !s.is_empty() => Ok(()),
            Value::Object(map) if !map.is_empty() => {
                for (operator, value) in map {
                    if !URL_OPERATORS.contains(&operator.as_str()) {
                        return Err(bad_rule(format!(
                            "Invalid url operator '{operator}': supported operators are =, !=, \
                             contains, not_contains."
                        )));
                    }
                    if !value.is_string() {
                        return Err(bad_rule("Invalid url: each operator takes a string."));
                    }
                }
                Ok(())
            }
            _ => Err(bad_rule("Invalid url.")),
        }
    };
    match url {
        Value::Array(items) if !items.is_empty() => items.iter().try_for_each(condition),
        other => condition(other),
    }
}

/// A VISITOR rule: a tag of this ad account, and the optional fields in range. Returns the
/// rule as kept (the tag as a list).
pub fn visitor_rule(data: &Data, ad: &str, rule: &AudienceRule) -> Result<Value, Refusal> {
    let tags: Vec<String> = match &rule.visitor_source_id {
        Some(Value::String(one)) => vec![one.clone()],
        Some(Value::Array(many)) if !many.is_empty() => many
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<_>>()
            .ok_or_else(|| bad_rule("Invalid visitor_source_id."))?,
        _ => {
            return Err(bad_rule("A VISITOR audience needs rule.visitor_source_id."));
        }
    };
    for tag in &tags {
        valid_id(tag)?;
        if !data
            .tags
            .iter()
            .any(|t| t.id == *tag && t.ad_account_id == ad)
        {
            return Err(bad_rule(format!(
                "Conversion tag {tag} not found for ad account {ad}."
            )));
        }
    }
    let mut kept = json!({ "visitor_source_id": tags });
    if let Some(days) = retention(rule)? {
        kept["retention_days"] = json!(days);
    }
    if let Some(event) = &rule.event {
        if event.is_empty() {
            return Err(bad_rule("Invalid event."));
        }
        kept["event"] = json!(event);
    }
    if let Some(source) = &rule.event_source {
        any_of("event_source", source, &EVENT_SOURCES)?;
        kept["event_source"] = source.clone();
    }
    if let Some(source) = &rule.ingestion_source {
        any_of("ingestion_source", source, &INGESTION_SOURCES)?;
        kept["ingestion_source"] = source.clone();
    }
    if let Some(url) = &rule.url {
        url_rule(url)?;
        kept["url"] = url.clone();
    }
    if let Some(prefill) = rule.prefill {
        kept["prefill"] = json!(prefill);
    }
    Ok(kept)
}

/// An ENGAGEMENT rule: a domain the user verified, and the optional fields in range.
pub fn engagement_rule(data: &Data, rule: &AudienceRule) -> Result<Value, Refusal> {
    let domains = rule
        .engagement_domain
        .clone()
        .filter(|d| !d.is_empty())
        .ok_or_else(|| bad_rule("An ENGAGEMENT audience needs rule.engagement_domain."))?;
    for domain in &domains {
        let verified = data
            .websites
            .iter()
            .any(|w| w.website.eq_ignore_ascii_case(domain) && w.status == "success");
        if !verified {
            return Err(bad_rule(format!(
                "Domain {domain} is not verified for this user."
            )));
        }
    }
    let mut kept = json!({ "engagement_domain": domains });
    if let Some(kind) = &rule.engagement_type {
        if !ENGAGEMENT_TYPES.contains(&kind.as_str()) {
            return Err(bad_rule(format!(
                "Invalid engagement_type '{kind}': supported values are click, save, closeup, \
                 comment and like."
            )));
        }
        kept["engagement_type"] = json!(kind);
    }
    if let Some(kind) = rule.engager_type {
        if !(1..=2).contains(&kind) {
            return Err(bad_rule("Engager type value should be 1-2."));
        }
        kept["engager_type"] = json!(kind);
    }
    if let Some(days) = retention(rule)? {
        kept["retention_days"] = json!(days);
    }
    for (field, ids) in [
        ("pin_id", &rule.pin_id),
        ("ad_id", &rule.ad_id),
        ("campaign_id", &rule.campaign_id),
    ] {
        if let Some(ids) = ids {
            for id in ids {
                valid_id(id)?;
            }
            kept[field] = json!(ids);
        }
    }
    if let Some(objectives) = &rule.objective_type {
        kept["objective_type"] = json!(objectives);
    }
    Ok(kept)
}

/// The rule as an answer holds it: release 5.23 answers `visitor_source_id` as one string,
/// 5.28 as an array.
pub fn answered_rule(kept: &Value, release_5_28: bool) -> Value {
    let mut rule = kept.clone();
    if !release_5_28 && let Some(first) = kept["visitor_source_id"].get(0).cloned() {
        rule["visitor_source_id"] = first;
    }
    rule
}

/// How many people such an audience holds once it is ready: Pinterest's matching, stood in
/// for by the days people stay in it (fewer when it starts empty).
pub fn filled_size(kept: &Value, visitors: bool) -> u64 {
    let days = kept["retention_days"].as_u64().unwrap_or(180);
    let per_day = if visitors { 100 } else { 50 };
    let prefilled = kept["prefill"].as_bool() != Some(false);
    days * per_day / if prefilled { 1 } else { 2 }
}
