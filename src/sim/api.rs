//! The `/v5` endpoints of the user account, ad accounts and customer lists, and what every
//! endpoint checks first: the token and its scope, the ids, the account it may see.

use std::collections::HashMap;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::AppState;
use super::data::{Data, ListRecord};
use super::refusal::Refusal;
use super::requests::{
    CustomerListCreate, CustomerListUpdate, OperationType, check_query, parse_json, parse_records,
};
use crate::os::now;

/// Pinterest will not target a list with fewer matched users.
pub(super) const MIN_AUDIENCE: usize = 100;
const WRITE_ROLES: [&str; 4] = ["OWNER", "ADMIN", "AUDIENCE_MANAGER", "CAMPAIGN_MANAGER"];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/user_account", get(user_account))
        .route("/ad_accounts", get(ad_accounts))
        .route("/ad_accounts/{ad}", get(ad_account))
        .route(
            "/ad_accounts/{ad}/customer_lists",
            get(list_customer_lists).post(create_customer_list),
        )
        .route(
            "/ad_accounts/{ad}/customer_lists/{list}",
            get(get_customer_list).patch(update_customer_list),
        )
}

pub(super) type Answer = Result<Response, Refusal>;

/// The caller's user, if the bearer token is live and carries `scope`.
pub(super) fn authenticate(
    data: &Data,
    headers: &HeaderMap,
    scope: &str,
) -> Result<String, Refusal> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let Some(grant) = data.access.get(token) else {
        return Err(Refusal::new(
            StatusCode::UNAUTHORIZED,
            2,
            "Authentication failed.",
        ));
    };
    if grant.expires_at <= now() {
        return Err(Refusal::new(
            StatusCode::UNAUTHORIZED,
            2,
            "Authentication failed: the access token expired.",
        ));
    }
    if !grant.scope.contains(scope) {
        return Err(Refusal::new(
            StatusCode::UNAUTHORIZED,
            3,
            format!("Missing scope: this needs {scope}"),
        ));
    }
    Ok(grant.user.clone())
}

pub(super) fn valid_id(id: &str) -> Result<(), Refusal> {
    if !id.is_empty() && id.len() <= 18 && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            1,
            format!("Invalid parameter: '{id}' is not an id (digits, at most 18)"),
        ))
    }
}

/// The ad account, if the user can see it; `write` also asks for an audience-managing role.
pub(super) fn visible_account<'a>(
    data: &'a Data,
    id: &str,
    write: bool,
) -> Result<&'a super::data::AdAccountRecord, Refusal> {
    valid_id(id)?;
    let Some(account) = data.ad_accounts.iter().find(|a| a.id == id) else {
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            404,
            format!("Ad account {id} not found."),
        ));
    };
    if write && !account.permissions.iter().any(|p| WRITE_ROLES.contains(p)) {
        return Err(Refusal::new(
            StatusCode::FORBIDDEN,
            29,
            "You are not permitted to access that resource.",
        ));
    }
    Ok(account)
}

pub(super) fn page(items: Vec<Value>, query: &HashMap<String, String>) -> Answer {
    let size: usize = query
        .get("page_size")
        .and_then(|s| s.parse().ok())
        .unwrap_or(25);
    let start: usize = match query.get("bookmark") {
        None => 0,
        Some(b) => b
            .parse()
            .map_err(|_| Refusal::new(StatusCode::BAD_REQUEST, 1, "Invalid parameter: bookmark"))?,
    };
    let mut items = items;
    if query.get("order").map(String::as_str) == Some("DESCENDING") {
        items.reverse();
    }
    let end = (start + size).min(items.len());
    let bookmark = (end < items.len()).then(|| end.to_string());
    let slice = items.get(start..end).unwrap_or_default().to_vec();
    Ok(Json(json!({ "items": slice, "bookmark": bookmark })).into_response())
}

fn list_json(list: &ListRecord) -> Value {
    json!({
        "id": list.id,
        "ad_account_id": list.ad_account_id,
        "name": list.name,
        "created_time": list.created_time,
        "updated_time": list.updated_time,
        "num_batches": list.num_batches,
        "num_uploaded_user_records": list.num_uploaded_user_records,
        "num_removed_user_records": list.num_removed_user_records,
        "status": if list.members.len() < MIN_AUDIENCE { "TOO_SMALL" } else { "READY" },
        "type": "customerlist",
        "exceptions": {},
    })
}

async fn user_account(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Answer {
    let data = shared.data.lock().expect("sim data");
    authenticate(&data, &headers, "user_accounts:read")?;
    check_query(&query, &["ad_account_id"])?;
    Ok(Json(json!({
        "account_type": "BUSINESS",
        "id": data.user_id,
        "username": data.username,
        "business_name": "Audience Desk Demo Co.",
    }))
    .into_response())
}

async fn ad_accounts(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Answer {
    let data = shared.data.lock().expect("sim data");
    authenticate(&data, &headers, "ads:read")?;
    check_query(
        &query,
        &["include_shared_accounts", "bookmark", "page_size"],
    )?;
    // The description's default is true; clients send `true` or `True`.
    let shared_too = query
        .get("include_shared_accounts")
        .is_none_or(|v| !v.trim().eq_ignore_ascii_case("false"));
    let items = data
        .ad_accounts
        .iter()
        .filter(|a| shared_too || !a.shared)
        .map(|a| {
            json!({
                "id": a.id,
                "name": a.name,
                "owner": { "username": a.owner_username },
                "country": "US",
                "currency": "USD",
                "permissions": a.permissions,
                "created_time": 1_600_000_000,
                "updated_time": 1_700_000_000,
            })
        })
        .collect();
    page(items, &query)
}

async fn ad_account(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(ad): Path<String>,
) -> Answer {
    let data = shared.data.lock().expect("sim data");
    authenticate(&data, &headers, "ads:read")?;
    let a = visible_account(&data, &ad, false)?;
    Ok(Json(json!({
        "id": a.id,
        "name": a.name,
        "owner": { "username": a.owner_username },
        "country": "US",
        "currency": "USD",
        "permissions": a.permissions,
    }))
    .into_response())
}

async fn list_customer_lists(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(ad): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Answer {
    let data = shared.data.lock().expect("sim data");
    authenticate(&data, &headers, "ads:read")?;
    check_query(&query, &["page_size", "order", "bookmark"])?;
    visible_account(&data, &ad, false)?;
    let items = data
        .lists
        .values()
        .filter(|l| l.ad_account_id == ad)
        .map(list_json)
        .collect();
    page(items, &query)
}

async fn create_customer_list(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path(ad): Path<String>,
    body: Bytes,
) -> Answer {
    let max = shared.config.lock().expect("sim config").faults.max_records;
    let mut data = shared.data.lock().expect("sim data");
    authenticate(&data, &headers, "ads:write")?;
    visible_account(&data, &ad, true)?;
    let request: CustomerListCreate = parse_json(&body)?;
    if request.name.trim().is_empty() {
        return Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            1,
            "Invalid request body: name is empty",
        ));
    }
    let members = parse_records(&request.records, request.list_type, max)?;
    let id = data.next_id();
    let created = now();
    let list = ListRecord {
        id: id.to_string(),
        ad_account_id: ad.clone(),
        name: request.name,
        list_type: request.list_type.as_str().to_owned(),
        num_uploaded_user_records: members.len() as u64,
        members,
        created_time: created,
        updated_time: created,
        num_batches: 1,
        num_removed_user_records: 0,
    };
    let body = list_json(&list);
    data.lists.insert(id, list);
    Ok(Json(body).into_response())
}

pub(super) fn find_list<'a>(
    data: &'a mut Data,
    ad: &str,
    id: &str,
) -> Result<&'a mut ListRecord, Refusal> {
    valid_id(id)?;
    data.lists
        .values_mut()
        .find(|l| l.id == id && l.ad_account_id == ad)
        .ok_or_else(|| {
            Refusal::new(
                StatusCode::NOT_FOUND,
                404,
                format!("Customer list {id} not found in ad account {ad}."),
            )
        })
}

async fn get_customer_list(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path((ad, list)): Path<(String, String)>,
) -> Answer {
    let mut data = shared.data.lock().expect("sim data");
    authenticate(&data, &headers, "ads:read")?;
    visible_account(&data, &ad, false)?;
    let list = find_list(&mut data, &ad, &list)?;
    Ok(Json(list_json(list)).into_response())
}

async fn update_customer_list(
    State(shared): State<AppState>,
    headers: HeaderMap,
    Path((ad, list)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    let max = shared.config.lock().expect("sim config").faults.max_records;
    let mut data = shared.data.lock().expect("sim data");
    authenticate(&data, &headers, "ads:write")?;
    visible_account(&data, &ad, true)?;
    let request: CustomerListUpdate = parse_json(&body)?;
    let list = find_list(&mut data, &ad, &list)?;
    let list_type = match list.list_type.as_str() {
        "MAID" => super::requests::UserListType::Maid,
        "IDFA" => super::requests::UserListType::Idfa,
        _ => super::requests::UserListType::Email,
    };
    let records = parse_records(&request.records, list_type, max)?;
    let count = records.len() as u64;
    match request.operation_type {
        OperationType::Add => {
            list.members.extend(records);
            list.num_uploaded_user_records += count;
        }
        OperationType::Remove => {
            for record in &records {
                list.members.remove(record);
            }
            list.num_removed_user_records += count;
        }
    }
    list.num_batches += 1;
    list.updated_time = now();
    Ok(Json(list_json(list)).into_response())
}
