//! The simulator's state, its request log and the control endpoints tests use.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::json;

use super::{AppState, Faults, OWNED_AD_ACCOUNT, SHARED_AD_ACCOUNT, SISTER_AD_ACCOUNT};
use crate::os::now;

pub struct Grant {
    pub user: String,
    pub scope: BTreeSet<String>,
    pub expires_at: i64,
}

pub struct CodeGrant {
    pub redirect_uri: String,
    pub scope: BTreeSet<String>,
    pub expires_at: i64,
    /// The S256 PKCE challenge the authorize request carried, if any.
    pub code_challenge: Option<String>,
}

pub struct AdAccountRecord {
    pub id: String,
    pub name: String,
    pub owner_username: String,
    /// The simulated user's roles on it.
    pub permissions: Vec<&'static str>,
    pub shared: bool,
    /// The business it belongs to: audiences are shared only within one.
    pub business: &'static str,
}

pub struct ListRecord {
    pub id: String,
    pub ad_account_id: String,
    pub name: String,
    pub list_type: String,
    pub members: BTreeSet<String>,
    pub created_time: i64,
    pub updated_time: i64,
    pub num_batches: u64,
    pub num_uploaded_user_records: u64,
    pub num_removed_user_records: u64,
}

pub struct AudienceRecord {
    pub id: String,
    pub ad_account_id: String,
    pub name: String,
    pub description: Option<String>,
    pub kind: AudienceKind,
    pub created_timestamp: i64,
    pub updated_timestamp: i64,
    /// Ad accounts it is shared with, and since when.
    pub shared_with: BTreeMap<String, i64>,
}

pub enum AudienceKind {
    CustomerList(String),
    Actalike {
        seeds: Vec<String>,
        country: String,
        percentage: i64,
    },
    /// People the account's tag saw: the rule as checked, `visitor_source_id` as a list.
    Visitor(serde_json::Value),
    /// People who engaged with Pins from a verified domain: the rule as checked.
    Engagement(serde_json::Value),
}

/// One of an ad account's Pinterest (conversion) tags.
pub struct TagRecord {
    pub ad_account_id: String,
    pub id: String,
    pub name: String,
    pub status: &'static str,
    pub last_fired_time_ms: Option<i64>,
}

/// One of the user's websites; verified when its status is "success".
pub struct WebsiteRecord {
    pub website: String,
    pub status: &'static str,
    pub verified_at: Option<&'static str>,
}

impl AudienceRecord {
    /// The customer list it wraps, for a CUSTOMER_LIST audience.
    pub fn customer_list_id(&self) -> Option<&str> {
        match &self.kind {
            AudienceKind::CustomerList(id) => Some(id),
            AudienceKind::Actalike { .. }
            | AudienceKind::Visitor(_)
            | AudienceKind::Engagement(_) => None,
        }
    }
}

/// A list as tests see it: with its members, which Pinterest itself never shows.
#[derive(Clone, Debug, Serialize)]
pub struct ListSnapshot {
    pub id: String,
    pub ad_account_id: String,
    pub name: String,
    pub list_type: String,
    pub members: BTreeSet<String>,
    pub num_batches: u64,
}

/// One request as the simulator saw it. Bodies are kept for contract checks, with secrets
/// redacted and `records` cut short.
#[derive(Clone, Debug, Serialize)]
pub struct LogEntry {
    pub method: String,
    pub path: String,
    pub query: String,
    pub status: u16,
    pub millis: u64,
    /// A JSON body, or a form body as an object.
    pub request: Option<serde_json::Value>,
    pub response: Option<serde_json::Value>,
    /// The `x-pinterest-rid` the answer carried.
    pub request_id: Option<String>,
}

const LOGGED_BODY_LIMIT: usize = 64 << 20;

fn loggable(mut value: serde_json::Value) -> serde_json::Value {
    if let Some(object) = value.as_object_mut() {
        for key in ["code", "refresh_token", "access_token"] {
            if let Some(v) = object.get_mut(key).filter(|v| v.is_string()) {
                *v = serde_json::Value::String("<redacted>".into());
            }
        }
        if let Some(serde_json::Value::String(records)) = object.get_mut("records")
            && records.len() > 200
        {
            let cut = records
                .char_indices()
                .nth(200)
                .map_or(records.len(), |(i, _)| i);
            records.truncate(cut);
        }
    }
    value
}

fn parse_body(bytes: &[u8], form: bool) -> Option<serde_json::Value> {
    if bytes.is_empty() {
        return None;
    }
    let value = if form {
        let pairs: serde_json::Map<String, serde_json::Value> = url::form_urlencoded::parse(bytes)
            .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
            .collect();
        serde_json::Value::Object(pairs)
    } else {
        serde_json::from_slice(bytes).ok()?
    };
    Some(loggable(value))
}

pub struct Data {
    pub username: String,
    pub user_id: String,
    pub codes: HashMap<String, CodeGrant>,
    pub access: HashMap<String, Grant>,
    pub refresh: HashMap<String, Grant>,
    pub ad_accounts: Vec<AdAccountRecord>,
    pub lists: BTreeMap<u64, ListRecord>,
    pub audiences: BTreeMap<u64, AudienceRecord>,
    pub tags: Vec<TagRecord>,
    pub websites: Vec<WebsiteRecord>,
    next_id: u64,
    calls: HashMap<String, VecDeque<Instant>>,
    pub rate_limited: u64,
    pub log: Vec<LogEntry>,
}

impl Data {
    pub fn seeded() -> Data {
        Data {
            username: "sim_admin".into(),
            user_id: "2783136121146311751".into(),
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            ad_accounts: vec![
                AdAccountRecord {
                    id: OWNED_AD_ACCOUNT.into(),
                    name: "Audience Desk Demo".into(),
                    owner_username: "sim_admin".into(),
                    permissions: vec!["OWNER"],
                    shared: false,
                    business: "demo-co",
                },
                AdAccountRecord {
                    id: SISTER_AD_ACCOUNT.into(),
                    name: "Audience Desk Demo EU".into(),
                    owner_username: "sim_admin".into(),
                    permissions: vec!["ADMIN"],
                    shared: false,
                    business: "demo-co",
                },
                AdAccountRecord {
                    id: SHARED_AD_ACCOUNT.into(),
                    name: "Agency Reporting".into(),
                    owner_username: "agency_owner".into(),
                    permissions: vec!["ANALYST"],
                    shared: true,
                    business: "agency",
                },
            ],
            lists: BTreeMap::new(),
            audiences: BTreeMap::new(),
            tags: vec![
                TagRecord {
                    ad_account_id: OWNED_AD_ACCOUNT.into(),
                    id: super::SHOP_TAG.into(),
                    name: "Shop tag".into(),
                    status: "ACTIVE",
                    last_fired_time_ms: Some((now() - 3600) * 1000),
                },
                TagRecord {
                    ad_account_id: OWNED_AD_ACCOUNT.into(),
                    id: super::ARCHIVED_TAG.into(),
                    name: "Old checkout tag".into(),
                    status: "ARCHIVED",
                    last_fired_time_ms: None,
                },
                TagRecord {
                    ad_account_id: SISTER_AD_ACCOUNT.into(),
                    id: "2612345678903".into(),
                    name: "EU shop tag".into(),
                    status: "ACTIVE",
                    last_fired_time_ms: Some((now() - 7200) * 1000),
                },
            ],
            websites: vec![
                WebsiteRecord {
                    website: super::VERIFIED_DOMAIN.into(),
                    status: "success",
                    verified_at: Some("2026-03-14T09:26:53.589000"),
                },
                WebsiteRecord {
                    website: super::UNVERIFIED_DOMAIN.into(),
                    status: "pending",
                    verified_at: None,
                },
            ],
            next_id: 2_000_000_000_000,
            calls: HashMap::new(),
            rate_limited: 0,
            log: Vec::new(),
        }
    }

    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn new_token(prefix: &str) -> String {
        let bytes: [u8; 24] = rand::random();
        format!("{prefix}{}", const_hex::encode(bytes))
    }

    pub fn expire_access_tokens(&mut self) {
        let past = now() - 1;
        for grant in self.access.values_mut() {
            grant.expires_at = past;
        }
    }

    pub fn revoke_refresh_tokens(&mut self) {
        self.refresh.clear();
    }

    /// Counts a call against the caller's per-minute window; `Err(seconds)` until the window
    /// has room again.
    pub fn count_call(&mut self, caller: &str, limit: u32) -> Result<(), u64> {
        let window = self.calls.entry(caller.to_owned()).or_default();
        let now = Instant::now();
        while window
            .front()
            .is_some_and(|t| now.duration_since(*t).as_secs_f64() >= 60.0)
        {
            window.pop_front();
        }
        if window.len() as u32 >= limit {
            self.rate_limited += 1;
            // With a limit of 0 no call fits in any minute: wait the whole minute.
            let left = window.front().map_or(60.0, |oldest| {
                60.0 - now.duration_since(*oldest).as_secs_f64()
            });
            return Err(left.ceil().max(1.0) as u64);
        }
        window.push_back(now);
        Ok(())
    }

    pub fn snapshots(&self) -> Vec<ListSnapshot> {
        self.lists
            .values()
            .map(|l| ListSnapshot {
                id: l.id.clone(),
                ad_account_id: l.ad_account_id.clone(),
                name: l.name.clone(),
                list_type: l.list_type.clone(),
                members: l.members.clone(),
                num_batches: l.num_batches,
            })
            .collect()
    }
}

/// Logs every request and stamps every answer with a request id, as Pinterest does.
pub async fn record(State(shared): State<AppState>, request: Request, next: Next) -> Response {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let started = Instant::now();
    if path.starts_with("/_sim") {
        return next.run(request).await;
    }
    let form = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes()
                .starts_with(b"application/x-www-form-urlencoded")
        });
    let (parts, body) = request.into_parts();
    let request_bytes = axum::body::to_bytes(body, LOGGED_BODY_LIMIT)
        .await
        .unwrap_or_default();
    let request_json = parse_body(&request_bytes, form);
    let request = Request::from_parts(parts, axum::body::Body::from(request_bytes));
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    // A body that fails to read is an answer the fault injection cut off: log it, and pass
    // the cut on to the client.
    let response_bytes = axum::body::to_bytes(body, LOGGED_BODY_LIMIT).await;
    let rid = const_hex::encode(rand::random::<[u8; 8]>());
    if let Ok(value) = HeaderValue::from_str(&rid) {
        parts.headers.insert("x-pinterest-rid", value);
    }
    let logged = match &response_bytes {
        Ok(bytes) => parse_body(bytes, false),
        Err(_) => Some(serde_json::json!({ "lost": true })),
    };
    shared.data.lock().expect("sim data").log.push(LogEntry {
        method,
        path,
        query,
        status: parts.status.as_u16(),
        millis: started.elapsed().as_millis() as u64,
        request: request_json,
        response: logged,
        request_id: Some(rid),
    });
    match response_bytes {
        Ok(bytes) => Response::from_parts(parts, axum::body::Body::from(bytes)),
        Err(_) => super::faults::cut_off(parts),
    }
}

pub fn control_routes() -> Router<AppState> {
    Router::new()
        .route("/_sim/state", get(state))
        .route("/_sim/log", get(log))
        .route("/_sim/faults", get(get_faults).post(set_faults))
        .route("/_sim/expire-tokens", post(expire_tokens))
        .route("/_sim/revoke-refresh-tokens", post(revoke_refresh_tokens))
}

async fn state(State(shared): State<AppState>) -> Json<serde_json::Value> {
    let data = shared.data.lock().expect("sim data");
    Json(json!({
        "lists": data.snapshots(),
        "audiences": data.audiences.len(),
        "access_tokens": data.access.len(),
        "refresh_tokens": data.refresh.len(),
        "rate_limited": data.rate_limited,
    }))
}

async fn log(State(shared): State<AppState>) -> Json<Vec<LogEntry>> {
    Json(shared.data.lock().expect("sim data").log.clone())
}

async fn get_faults(State(shared): State<AppState>) -> Json<Faults> {
    Json(shared.config.lock().expect("sim config").faults.clone())
}

async fn set_faults(State(shared): State<AppState>, Json(faults): Json<Faults>) -> Json<Faults> {
    shared.config.lock().expect("sim config").faults = faults.clone();
    Json(faults)
}

async fn expire_tokens(State(shared): State<AppState>) -> StatusCode {
    shared.data.lock().expect("sim data").expire_access_tokens();
    StatusCode::NO_CONTENT
}

async fn revoke_refresh_tokens(State(shared): State<AppState>) -> StatusCode {
    shared
        .data
        .lock()
        .expect("sim data")
        .revoke_refresh_tokens();
    StatusCode::NO_CONTENT
}
