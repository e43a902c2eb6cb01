//! The `/v5` audience endpoints: listing, creating (customer list and lookalike audiences),
//! reading, updating and removing them, and sharing them within a business.

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, patch};
use serde_json::{Value, json};

use super::AppState;
use super::AudienceBehaviour;
use super::api::{Answer, MIN_AUDIENCE, authenticate, find_list, page, valid_id, visible_account};
use super::data::{AudienceKind, AudienceRecord, Data};
use super::refusal::Refusal;
use super::requests::{
    AudienceCreate, AudienceOperation, AudienceRule, AudienceType, AudienceUpdate, ShareOperation,
    SharedAudience, SizingRequest, check_query, parse_json,
};
use crate::os::now;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/ad_accounts/{ad}/audiences",
            get(list_audiences).post(create_audience),
        )
        .route(
            "/ad_accounts/{ad}/audiences/{audience}",
            get(get_audience).patch(update_audience),
        )
        .route(
            "/ad_accounts/{ad}/audiences/ad_accounts/shared",
            patch(share_audience),
        )
        .route(
            "/ad_accounts/{ad}/audiences/shared/accounts",
            get(shared_accounts),
        )
        .route(
            "/ad_accounts/{ad}/ad_groups/audience_sizing",
            axum::routing::post(audience_sizing),
        )
}

/// The people an ad group targeting the included audiences may reach in a month: 60% to 90%
/// of their matched people (none while an audience is not READY), less the excluded ones'.
/// An audience the account neither owns nor received is refused with Pinterest's 403.
async fn audience_sizing(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(ad): Path<String>,
    body: Bytes,
) -> Answer {
    let behaviour = shared.config.lock().expect("sim config").audiences.clone();
    let data = shared.data.lock().expect("sim data");
    authenticate(&data, &headers, "ads:read")?;
    visible_account(&data, &ad, false)?;
    let request: SizingRequest = parse_json(&body)?;
    let targeting = request.targeting_spec;
    if targeting.include.is_empty() {
        return Err(bad_request("Invalid ad group audience sizing parameters."));
    }
    for id in targeting.include.iter().chain(&targeting.exclude) {
        valid_id(id)?;
    }
    let matched = |ids: &[String]| -> Result<u64, Refusal> {
        let mut total = 0;
        for id in ids {
            let Some(audience) = data.audiences.values().find(|a| {
                a.id == *id && (a.ad_account_id == ad || a.shared_with.contains_key(&ad))
            }) else {
                return Err(Refusal::new(
                    StatusCode::FORBIDDEN,
                    403,
                    "You don't have access to the requested audience list or product group.",
                ));
            };
            total += audience_state(audience, &data, &behaviour).1.unwrap_or(0);
        }
        Ok(total)
    };
    let people = matched(&targeting.include)?.saturating_sub(matched(&targeting.exclude)?);
    Ok(Json(json!({
        "audience_size_lower_bound": people * 6 / 10,
        "audience_size_upper_bound": people * 9 / 10,
    }))
    .into_response())
}

/// An audience's status and size now: INITIALIZING for the configured delay after it is made,
/// then READY with the matched people (the list's members times the match rate; a lookalike's
/// size grows with its percentage), or TOO_SMALL under 100 matched.
fn audience_state(
    audience: &AudienceRecord,
    data: &Data,
    behaviour: &AudienceBehaviour,
) -> (&'static str, Option<u64>) {
    if now() < audience.created_timestamp + behaviour.ready_after {
        return ("INITIALIZING", None);
    }
    match &audience.kind {
        AudienceKind::CustomerList(list) => {
            let members = data
                .lists
                .values()
                .find(|l| l.id == *list)
                .map_or(0, |l| l.members.len());
            let matched = (members as f64 * behaviour.match_rate.clamp(0.0, 1.0)).floor() as u64;
            if matched >= MIN_AUDIENCE as u64 {
                ("READY", Some(matched))
            } else {
                ("TOO_SMALL", None)
            }
        }
        AudienceKind::Actalike { percentage, .. } => ("READY", Some(*percentage as u64 * 250_000)),
        AudienceKind::Visitor(rule) => ("READY", Some(super::rules::filled_size(rule, true))),
        AudienceKind::Engagement(rule) => ("READY", Some(super::rules::filled_size(rule, false))),
    }
}

fn audience_json(audience: &AudienceRecord, data: &Data, behaviour: &AudienceBehaviour) -> Value {
    let (status, size) = audience_state(audience, data, behaviour);
    let (audience_type, rule) = match &audience.kind {
        AudienceKind::CustomerList(list) => ("CUSTOMER_LIST", json!({ "customer_list_id": list })),
        AudienceKind::Actalike {
            seeds,
            country,
            percentage,
        } if behaviour.release_5_28 => (
            "ACTALIKE",
            json!({ "seed_id": seeds, "country": country, "percentage": percentage.to_string() }),
        ),
        AudienceKind::Actalike {
            seeds,
            country,
            percentage,
        } => (
            "ACTALIKE",
            json!({ "seed_id": seeds, "country": country, "percentage": percentage }),
        ),
        AudienceKind::Visitor(rule) => (
            "VISITOR",
            super::rules::answered_rule(rule, behaviour.release_5_28),
        ),
        AudienceKind::Engagement(rule) => ("ENGAGEMENT", rule.clone()),
    };
    let mut answer = json!({
        "id": audience.id,
        "ad_account_id": audience.ad_account_id,
        "name": audience.name,
        "audience_type": audience_type,
        "description": audience.description,
        "rule": rule,
        "size": size,
        "status": status,
        "created_timestamp": audience.created_timestamp,
        "updated_timestamp": audience.updated_timestamp,
        "type": "audience",
    });
    if behaviour.release_5_28 {
        answer["is_nca"] = json!(false);
    }
    answer
}

async fn list_audiences(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(ad): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Answer {
    let behaviour = shared.config.lock().expect("sim config").audiences.clone();
    let data = shared.data.lock().expect("sim data");
    authenticate(&data, &headers, "ads:read")?;
    check_query(
        &query,
        &[
            "bookmark",
            "order",
            "page_size",
            "ownership_type",
            "exclude_nca",
        ],
    )?;
    visible_account(&data, &ad, false)?;
    // Which audiences: own, received, or (5.28, when not said) both.
    let (owned, received) = match query.get("ownership_type").map(String::as_str) {
        None if behaviour.release_5_28 => (true, true),
        None | Some("OWNED") => (true, false),
        Some("RECEIVED") => (false, true),
        Some(other) => {
            return Err(Refusal::new(
                StatusCode::BAD_REQUEST,
                1,
                format!("Invalid parameter: ownership_type '{other}' (OWNED or RECEIVED)"),
            ));
        }
    };
    let items = data
        .audiences
        .values()
        .filter(|a| {
            (owned && a.ad_account_id == ad) || (received && a.shared_with.contains_key(&ad))
        })
        .map(|a| audience_json(a, &data, &behaviour))
        .collect();
    page(items, &query)
}

fn bad_request(message: impl Into<String>) -> Refusal {
    Refusal::new(StatusCode::BAD_REQUEST, 400, message)
}

async fn create_audience(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(ad): Path<String>,
    body: Bytes,
) -> Answer {
    let behaviour = shared.config.lock().expect("sim config").audiences.clone();
    let mut data = shared.data.lock().expect("sim data");
    authenticate(&data, &headers, "ads:write")?;
    visible_account(&data, &ad, true)?;
    let request: AudienceCreate = parse_json(&body)?;
    if request.ad_account_id.as_ref().is_some_and(|id| *id != ad) {
        return Err(bad_request("Invalid ad account audience parameters."));
    }
    let kind = match request.audience_type {
        AudienceType::CustomerList => {
            let Some(list_id) = request.rule.customer_list_id else {
                return Err(bad_request(
                    "A CUSTOMER_LIST audience needs rule.customer_list_id.",
                ));
            };
            find_list(&mut data, &ad, &list_id)?;
            AudienceKind::CustomerList(list_id)
        }
        AudienceType::Actalike => lookalike_rule(&data, &behaviour, &ad, request.rule)?,
        AudienceType::Visitor => {
            AudienceKind::Visitor(super::rules::visitor_rule(&data, &ad, &request.rule)?)
        }
        AudienceType::Engagement => {
            AudienceKind::Engagement(super::rules::engagement_rule(&data, &request.rule)?)
        }
        _ => {
            return Err(bad_request(
                "The simulator creates CUSTOMER_LIST, ACTALIKE, VISITOR and ENGAGEMENT \
                 audiences only.",
            ));
        }
    };
    let id = data.next_id();
    let audience = AudienceRecord {
        id: id.to_string(),
        ad_account_id: ad.clone(),
        name: request.name,
        description: request.description,
        kind,
        created_timestamp: now(),
        updated_timestamp: now(),
        shared_with: Default::default(),
    };
    let body = audience_json(&audience, &data, &behaviour);
    data.audiences.insert(id, audience);
    let status = match behaviour.release_5_28 {
        true => StatusCode::CREATED,
        false => StatusCode::OK,
    };
    Ok((status, Json(body)).into_response())
}

/// An ACTALIKE rule as Pinterest checks it: seeds that are READY audiences of this ad
/// account, a country among US, CA and GB, a percentage from 1 to 10.
fn lookalike_rule(
    data: &Data,
    behaviour: &AudienceBehaviour,
    ad: &str,
    rule: AudienceRule,
) -> Result<AudienceKind, Refusal> {
    let seeds = rule.seed_id.unwrap_or_default();
    if seeds.is_empty() {
        return Err(bad_request("An ACTALIKE audience needs rule.seed_id."));
    }
    for seed in &seeds {
        valid_id(seed)?;
        let found = data
            .audiences
            .values()
            .find(|a| a.id == *seed && a.ad_account_id == ad)
            .ok_or_else(|| bad_request(format!("Seed audience {seed} not found.")))?;
        let (status, _) = audience_state(found, data, behaviour);
        if status != "READY" {
            return Err(bad_request(format!(
                "Seed audience {seed} is {status}; a seed must be READY."
            )));
        }
    }
    let country = rule.country.unwrap_or_default();
    if !["US", "CA", "GB"].contains(&country.as_str()) {
        return Err(bad_request(format!(
            "Invalid country '{country}': valid countries include US, CA and GB."
        )));
    }
    let percentage = rule.percentage.unwrap_or(0);
    if !(1..=10).contains(&percentage) {
        return Err(bad_request(format!(
            "Invalid percentage {percentage}: percentage should be 1-10."
        )));
    }
    Ok(AudienceKind::Actalike {
        seeds,
        country,
        percentage,
    })
}

fn audience_not_found() -> Refusal {
    Refusal::new(StatusCode::NOT_FOUND, 404, "Audience not found.")
}

/// The key of an audience of `ad` (a removed one is gone). Invariant: the key indexes
/// `data.audiences` for as long as the caller holds the data's lock.
fn audience_key(data: &Data, ad: &str, audience: &str) -> Result<u64, Refusal> {
    valid_id(audience)?;
    data.audiences
        .iter()
        .find(|(_, a)| a.id == audience && a.ad_account_id == ad)
        .map(|(key, _)| *key)
        .ok_or_else(audience_not_found)
}

/// An audience of `ad`, to change.
fn find_audience<'a>(
    data: &'a mut Data,
    ad: &str,
    audience: &str,
) -> Result<&'a mut AudienceRecord, Refusal> {
    let key = audience_key(data, ad, audience)?;
    data.audiences.get_mut(&key).ok_or_else(audience_not_found)
}

async fn get_audience(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path((ad, audience)): Path<(String, String)>,
) -> Answer {
    let behaviour = shared.config.lock().expect("sim config").audiences.clone();
    let data = shared.data.lock().expect("sim data");
    authenticate(&data, &headers, "ads:read")?;
    visible_account(&data, &ad, false)?;
    let key = audience_key(&data, &ad, &audience)?;
    let found = &data.audiences[&key];
    Ok(Json(audience_json(found, &data, &behaviour)).into_response())
}

/// Renames or describes an audience, or removes it (`operation_type` REMOVE): a removed
/// audience is gone from every listing and answer.
async fn update_audience(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path((ad, audience)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    let behaviour = shared.config.lock().expect("sim config").audiences.clone();
    let mut data = shared.data.lock().expect("sim data");
    authenticate(&data, &headers, "ads:write")?;
    visible_account(&data, &ad, true)?;
    let request: AudienceUpdate = parse_json(&body)?;
    if request.ad_account_id.as_ref().is_some_and(|id| *id != ad) {
        return Err(bad_request("Invalid ad account audience parameters."));
    }
    let key = audience_key(&data, &ad, &audience)?;
    // A new rule is checked as on creation, for the audience's own type.
    let rule = match (&request.rule, &data.audiences[&key].kind) {
        (None, _) => None,
        (Some(rule), AudienceKind::Visitor(_)) => Some(AudienceKind::Visitor(
            super::rules::visitor_rule(&data, &ad, rule)?,
        )),
        (Some(rule), AudienceKind::Engagement(_)) => Some(AudienceKind::Engagement(
            super::rules::engagement_rule(&data, rule)?,
        )),
        (Some(_), _) => {
            return Err(bad_request(
                "Only a VISITOR or ENGAGEMENT audience's rule can be changed.",
            ));
        }
    };
    let found = data
        .audiences
        .get_mut(&key)
        .ok_or_else(audience_not_found)?;
    if let Some(kind) = rule {
        found.kind = kind;
    }
    if let Some(name) = request.name {
        found.name = name;
    }
    if let Some(description) = request.description {
        found.description = Some(description);
    }
    found.updated_timestamp = now();
    let body = audience_json(&data.audiences[&key], &data, &behaviour);
    if request.operation_type == Some(AudienceOperation::Remove) {
        data.audiences.remove(&key);
    }
    Ok(Json(body).into_response())
}

/// Shares an audience with ad accounts of the owner's business, or revokes it. Restricted:
/// answered 403 when the app has not been given the feature.
async fn share_audience(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(ad): Path<String>,
    body: Bytes,
) -> Answer {
    let behaviour = shared.config.lock().expect("sim config").audiences.clone();
    let mut data = shared.data.lock().expect("sim data");
    authenticate(&data, &headers, "ads:write")?;
    let business = visible_account(&data, &ad, true)?.business;
    if !behaviour.sharing {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            29,
            "This endpoint is not available to your app.",
        ));
    }
    let request: SharedAudience = parse_json(&body)?;
    if request.recipient_account_ids.is_empty() {
        return Err(bad_request("recipient_account_ids cannot be empty."));
    }
    for recipient in &request.recipient_account_ids {
        valid_id(recipient)?;
        let same_business = data
            .ad_accounts
            .iter()
            .any(|a| a.id == *recipient && a.business == business);
        if !same_business || *recipient == ad {
            return Err(bad_request(format!(
                "Ad account {recipient} is not in the same business hierarchy as ad account {ad}."
            )));
        }
    }
    let found = find_audience(&mut data, &ad, &request.audience_id)?;
    for recipient in &request.recipient_account_ids {
        match request.operation_type {
            ShareOperation::Share => {
                found.shared_with.entry(recipient.clone()).or_insert(now());
            }
            ShareOperation::Revoke => {
                found.shared_with.remove(recipient);
            }
        }
    }
    Ok(Json(json!({
        "audience_id": found.id,
        "permissions": ["RESOURCE_PINNER_LIST_READER"],
        "recipient_account_ids": request.recipient_account_ids,
    }))
    .into_response())
}

/// The ad accounts an audience is shared with.
async fn shared_accounts(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(ad): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Answer {
    let data = shared.data.lock().expect("sim data");
    authenticate(&data, &headers, "ads:read")?;
    check_query(
        &query,
        &["audience_id", "account_type", "page_size", "bookmark"],
    )?;
    visible_account(&data, &ad, false)?;
    let (Some(audience), Some(kind)) = (query.get("audience_id"), query.get("account_type")) else {
        return Err(bad_request(
            "Invalid ad account audiences shared accounts parameters.",
        ));
    };
    if !["AD_ACCOUNT", "BUSINESS_ACCOUNT"].contains(&kind.as_str()) {
        return Err(bad_request(format!("Invalid account_type '{kind}'.")));
    }
    let shared_with = &data.audiences[&audience_key(&data, &ad, audience)?].shared_with;
    let items = shared_with
        .iter()
        .filter(|_| kind == "AD_ACCOUNT")
        .map(|(id, since)| {
            let name = data
                .ad_accounts
                .iter()
                .find(|a| a.id == *id)
                .map_or_else(String::new, |a| a.name.clone());
            json!({
                "account_id": id,
                "account_name": name,
                "account_type": "AD_ACCOUNT",
                "shared_on_timestamp": since,
            })
        })
        .collect();
    page(items, &query)
}
