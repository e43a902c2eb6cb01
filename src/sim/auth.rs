//! The authorize page (auto-consent) and the token endpoint with refresh rotation.

use std::collections::{BTreeSet, HashMap};

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine;
use serde_json::json;

use super::AppState;
use super::data::{CodeGrant, Data, Grant};
use super::refusal::{Refusal, error_response};
use crate::os::now;

const KNOWN_SCOPES: [&str; 4] = [
    "ads:read",
    "ads:write",
    "user_accounts:read",
    "user_accounts:write",
];

/// Pinterest accepts scopes separated by commas or spaces.
fn parse_scope(text: &str) -> Result<BTreeSet<String>, String> {
    let scopes: BTreeSet<String> = text
        .split([',', ' '])
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    match scopes.iter().find(|s| !KNOWN_SCOPES.contains(&s.as_str())) {
        Some(unknown) => Err(format!("unknown scope '{unknown}'")),
        None if scopes.is_empty() => Err("no scope requested".into()),
        None => Ok(scopes),
    }
}

fn bad_page(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!("<h1>Pinterest (simulated)</h1><p>{message}</p>")),
    )
        .into_response()
}

/// `GET /oauth/`: checks the app and redirect URI, then consents on the user's behalf (or
/// declines, when configured to) by redirecting back with `code` and `state`.
pub async fn authorize(
    State(shared): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let config = shared.config.lock().expect("sim config").clone();
    let field = |name: &str| query.get(name).map(String::as_str).unwrap_or("");
    if field("client_id") != config.app_id {
        return bad_page("Unknown client_id.");
    }
    let redirect_uri = field("redirect_uri");
    if !config.redirect_uris.iter().any(|r| r == redirect_uri) {
        return bad_page(
            "The redirect_uri is not registered for this app (it must match exactly).",
        );
    }
    if field("response_type") != "code" {
        return bad_page("response_type must be 'code'.");
    }
    let scope = match parse_scope(field("scope")) {
        Ok(scope) => scope,
        Err(e) => return bad_page(&e),
    };
    // Pinterest does not document PKCE; the stand-in holds a client that sends it to it.
    let code_challenge = match (field("code_challenge"), field("code_challenge_method")) {
        ("", "") => None,
        (challenge, "S256") if !challenge.is_empty() => Some(challenge.to_owned()),
        _ => return bad_page("code_challenge_method must be S256, with a code_challenge."),
    };
    let mut target = match url::Url::parse(redirect_uri) {
        Ok(url) => url,
        Err(_) => return bad_page("The redirect_uri is not a URL."),
    };
    if config.faults.decline_consent {
        target
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("state", field("state"));
        return Redirect::to(target.as_str()).into_response();
    }
    let code = Data::new_token("code_");
    shared.data.lock().expect("sim data").codes.insert(
        code.clone(),
        CodeGrant {
            redirect_uri: redirect_uri.to_owned(),
            scope,
            expires_at: now() + 600,
            code_challenge,
        },
    );
    target
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", field("state"));
    Redirect::to(target.as_str()).into_response()
}

/// PKCE's S256: the unpadded base64url SHA-256 of the verifier.
fn s256(verifier: &str) -> String {
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

fn client_ok(headers: &HeaderMap, app_id: &str, app_secret: &str) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let Some(encoded) = value.strip_prefix("Basic ") else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let Some((id, secret)) = std::str::from_utf8(&decoded)
        .ok()
        .and_then(|text| text.split_once(':'))
    else {
        return false;
    };
    // RFC 6749 2.3.1: each half is form-urlencoded before it is joined and encoded.
    form_decoded(id) == app_id && form_decoded(secret) == app_secret
}

fn form_decoded(text: &str) -> String {
    url::form_urlencoded::parse(format!("v={text}").as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

fn only_fields(form: &HashMap<String, String>, allowed: &[&str]) -> Result<(), Refusal> {
    match form.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(unknown) => Err(Refusal::new(
            StatusCode::BAD_REQUEST,
            1,
            format!("Invalid parameter: '{unknown}' is not accepted here"),
        )),
        None => Ok(()),
    }
}

/// `POST /v5/oauth/token`: authorization codes are single use and bound to their redirect
/// URI; every refresh returns a new refresh token and retires the old one.
pub async fn token(
    State(shared): State<AppState>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<HashMap<String, String>>,
) -> Response {
    let latency = shared
        .config
        .lock()
        .expect("sim config")
        .faults
        .token_latency_ms;
    let answer = token_answer(&shared, &headers, &form);
    // The work is done (a refresh token retired) before the answer is slow to come.
    if latency > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(latency)).await;
    }
    answer
}

fn token_answer(
    shared: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Response {
    let config = shared.config.lock().expect("sim config").clone();
    if !client_ok(headers, &config.app_id, &config.app_secret) {
        return error_response(
            StatusCode::UNAUTHORIZED,
            2,
            "Authentication failed: wrong app id or secret",
        );
    }
    let field = |name: &str| form.get(name).map(String::as_str);
    let mut data = shared.data.lock().expect("sim data");
    let (scope, response_type) = match field("grant_type") {
        Some("authorization_code") => {
            if let Err(e) = only_fields(
                form,
                &[
                    "grant_type",
                    "code",
                    "redirect_uri",
                    "continuous_refresh",
                    "code_verifier",
                ],
            ) {
                return e.into_response();
            }
            let Some(grant) = field("code").and_then(|c| data.codes.remove(c)) else {
                return error_response(StatusCode::BAD_REQUEST, 1, "Invalid authorization code");
            };
            if grant.expires_at < now() {
                return error_response(StatusCode::BAD_REQUEST, 1, "Authorization code expired");
            }
            if field("redirect_uri") != Some(grant.redirect_uri.as_str()) {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    1,
                    "redirect_uri does not match the authorize request",
                );
            }
            if let Some(challenge) = &grant.code_challenge
                && field("code_verifier").map(s256) != Some(challenge.clone())
            {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    1,
                    "code_verifier does not match the authorize request's code_challenge",
                );
            }
            (grant.scope, "authorization_code")
        }
        Some("refresh_token") => {
            if let Err(e) = only_fields(form, &["grant_type", "refresh_token", "scope"]) {
                return e.into_response();
            }
            let Some(grant) = field("refresh_token").and_then(|t| data.refresh.remove(t)) else {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    1,
                    "Invalid refresh token (unknown, already used or revoked)",
                );
            };
            if grant.expires_at < now() {
                return error_response(StatusCode::BAD_REQUEST, 1, "Refresh token expired");
            }
            (grant.scope, "refresh_token")
        }
        _ => {
            return error_response(
                StatusCode::BAD_REQUEST,
                1,
                "grant_type must be authorization_code or refresh_token",
            );
        }
    };
    let access = Data::new_token("pina_");
    let refresh = Data::new_token("pinr_");
    let issued = now();
    let user = data.user_id.clone();
    data.access.insert(
        access.clone(),
        Grant {
            user: user.clone(),
            scope: scope.clone(),
            expires_at: issued + config.access_token_lifetime,
        },
    );
    data.refresh.insert(
        refresh.clone(),
        Grant {
            user,
            scope: scope.clone(),
            expires_at: issued + config.refresh_token_lifetime,
        },
    );
    let scope_text = scope.into_iter().collect::<Vec<_>>().join(" ");
    let mut body = json!({
        "access_token": access,
        "refresh_token": refresh,
        "token_type": "bearer",
        "expires_in": config.access_token_lifetime,
        "refresh_token_expires_in": config.refresh_token_lifetime,
        "scope": scope_text,
        "response_type": response_type,
    });
    if response_type == "refresh_token" {
        body["refresh_token_expires_at"] = json!(issued + config.refresh_token_lifetime);
    }
    Json(body).into_response()
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    #[test]
    fn basic_auth_halves_are_form_decoded() {
        let mut headers = axum::http::HeaderMap::new();
        let encoded = base64::engine::general_purpose::STANDARD.encode("12%3A4:a%2Bb%26c+d");
        headers.insert(
            axum::http::header::AUTHORIZATION,
            format!("Basic {encoded}").parse().unwrap(),
        );
        assert!(super::client_ok(&headers, "12:4", "a+b&c d"));
        assert!(!super::client_ok(&headers, "12:4", "a+b&c+d"));
    }

    #[test]
    fn scopes_split_on_commas_or_spaces() {
        let s = super::parse_scope("ads:read,ads:write user_accounts:read").unwrap();
        assert_eq!(s.len(), 3);
        assert!(super::parse_scope("pins:steal").is_err());
        assert!(super::parse_scope("").is_err());
    }
}
