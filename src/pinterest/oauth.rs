//! The browser half of OAuth: the authorize URL, opening it, and a loopback listener on the
//! redirect URI that accepts exactly one callback.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse};
use tokio::sync::{mpsc, oneshot};
use url::Url;

use super::{Endpoints, PinterestError};

pub const SCOPES: &str = "ads:read,ads:write,user_accounts:read";

/// An authorize URL and the `state` its callback must carry back.
pub struct AuthorizeRequest {
    pub url: Url,
    pub state: String,
}

/// 256 random bits: the `state` that ties the callback to this login.
fn random_state() -> String {
    let bytes: [u8; 32] = rand::random();
    hex::encode(bytes)
}

pub fn authorize_url(endpoints: &Endpoints, app_id: &str) -> AuthorizeRequest {
    let state = random_state();
    let mut url = endpoints.oauth.clone();
    let base = endpoints.oauth.path().trim_end_matches('/');
    url.set_path(&format!("{base}/oauth/"));
    url.query_pairs_mut()
        .append_pair("client_id", app_id)
        .append_pair("redirect_uri", endpoints.redirect.as_str())
        .append_pair("response_type", "code")
        .append_pair("scope", SCOPES)
        .append_pair("state", &state);
    AuthorizeRequest { url, state }
}

/// Opens `url` with `$BROWSER` when set (the URL is its one argument), else the system's
/// opener.
pub fn open_in_browser(url: &str) -> Result<(), PinterestError> {
    match std::env::var("BROWSER")
        .ok()
        .filter(|b| !b.trim().is_empty())
    {
        Some(browser) => std::process::Command::new(&browser)
            .arg(url)
            .spawn()
            .map(drop)
            .map_err(|e| PinterestError::OAuth(format!("cannot start BROWSER '{browser}': {e}"))),
        None => open::that_detached(url)
            .map_err(|e| PinterestError::OAuth(format!("cannot open a browser: {e}"))),
    }
}

/// The authorization code that came back to the redirect URI, or why none did.
type Outcome = Result<String, PinterestError>;

struct Shared {
    path: String,
    state: String,
    outcome: mpsc::Sender<Outcome>,
    done: Mutex<bool>,
}

/// Listens on the redirect URI (loopback only) and waits for one callback, at most `timeout`,
/// returning its authorization code.
/// `ready` runs once the port is bound: open the browser there.
pub async fn wait_for_callback(
    redirect: &Url,
    state: &str,
    timeout: Duration,
    ready: impl FnOnce() -> Result<(), PinterestError>,
) -> Outcome {
    let address = loopback_address(redirect)?;
    let listener = tokio::net::TcpListener::bind(address).await.map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            PinterestError::OAuth(format!(
                "port {} is in use, so the login callback cannot be received: close the program \
                 using it, or set PINTEREST_REDIRECT_URI to another redirect URI registered on \
                 your Pinterest app",
                address.port()
            ))
        } else {
            PinterestError::OAuth(format!("cannot listen on {address}: {e}"))
        }
    })?;
    let (outcome_tx, mut outcome_rx) = mpsc::channel(1);
    let shared = Arc::new(Shared {
        path: redirect.path().to_owned(),
        state: state.to_owned(),
        outcome: outcome_tx,
        done: Mutex::new(false),
    });
    let app = axum::Router::new().fallback(callback).with_state(shared);
    let (stop_tx, stop_rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await;
    });
    let result = match ready() {
        Err(e) => Err(e),
        Ok(()) => match tokio::time::timeout(timeout, outcome_rx.recv()).await {
            Ok(Some(outcome)) => outcome,
            Ok(None) => Err(PinterestError::OAuth("the login listener stopped".into())),
            Err(_) => Err(PinterestError::OAuth(format!(
                "no answer from the browser within {} seconds; run connect again and finish \
                 the login in the browser",
                timeout.as_secs()
            ))),
        },
    };
    let _ = stop_tx.send(());
    // Let the page reach the browser before the listener goes away.
    let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    result
}

fn loopback_address(redirect: &Url) -> Result<SocketAddr, PinterestError> {
    let port = redirect.port_or_known_default().unwrap_or(80);
    let ip = match redirect.host() {
        Some(url::Host::Domain("localhost")) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) if ip.is_loopback() => IpAddr::V6(ip),
        _ => {
            return Err(PinterestError::Config(format!(
                "the redirect URI {redirect} is not on this machine; use http://localhost:PORT/ \
                 (and register it on your Pinterest app)"
            )));
        }
    };
    Ok(SocketAddr::new(ip, port))
}

async fn callback(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    Query(params): Query<HashMap<String, String>>,
) -> impl IntoResponse {
    if uri.path() != shared.path {
        return (
            StatusCode::NOT_FOUND,
            Html(page("Not here", "This is Audience Desk's login listener.")),
        );
    }
    {
        let mut done = shared.done.lock().expect("callback lock");
        if *done {
            return (
                StatusCode::GONE,
                Html(page(
                    "Already done",
                    "This login was already handled. You can close this tab.",
                )),
            );
        }
        *done = true;
    }
    let (outcome, title, text) = judge(&shared.state, &params);
    let _ = shared.outcome.send(outcome).await;
    let status = if title == "Connected" {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    (status, Html(page(title, text)))
}

fn judge(
    expected_state: &str,
    params: &HashMap<String, String>,
) -> (Outcome, &'static str, &'static str) {
    if params.get("state").map(String::as_str) != Some(expected_state) {
        return (
            Err(PinterestError::OAuth(
                "the login callback carried the wrong state (an old tab, or someone else's \
                 link), so it was refused; run connect again"
                    .into(),
            )),
            "Refused",
            "This login does not match the one Audience Desk started. Start it again from the app.",
        );
    }
    if let Some(error) = params.get("error") {
        let detail = params.get("error_description").cloned().unwrap_or_default();
        return (
            Err(PinterestError::OAuth(format!(
                "the login was not completed: Pinterest said '{error}' {detail}(declined \
                 consent?); run connect again and choose Allow"
            ))),
            "Not connected",
            "Pinterest did not grant access. You can close this tab and try again from the app.",
        );
    }
    match params.get("code").filter(|c| !c.is_empty()) {
        Some(code) => (
            Ok(code.clone()),
            "Connected",
            "Audience Desk received the login. You can close this tab.",
        ),
        None => (
            Err(PinterestError::OAuth(
                "the login callback carried no code; run connect again".into(),
            )),
            "Not connected",
            "The answer from Pinterest had no code. You can close this tab and try again.",
        ),
    }
}

fn page(title: &str, text: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Audience Desk: {title}</title>\
         </head><body style=\"font-family:sans-serif;margin:3em\"><h1>{title}</h1><p>{text}</p>\
         </body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_url_carries_everything() {
        let endpoints = Endpoints {
            api: Url::parse("https://api.pinterest.com").unwrap(),
            oauth: Url::parse("https://www.pinterest.com").unwrap(),
            redirect: Url::parse("http://localhost:8085/").unwrap(),
        };
        let request = authorize_url(&endpoints, "1234");
        let pairs: HashMap<_, _> = request.url.query_pairs().into_owned().collect();
        assert_eq!(request.url.path(), "/oauth/");
        assert_eq!(pairs["client_id"], "1234");
        assert_eq!(pairs["redirect_uri"], "http://localhost:8085/");
        assert_eq!(pairs["response_type"], "code");
        assert_eq!(pairs["scope"], SCOPES);
        assert_eq!(pairs["state"], request.state);
        assert_eq!(request.state.len(), 64);
        assert_ne!(request.state, authorize_url(&endpoints, "1234").state);
    }

    #[test]
    fn judges_callbacks() {
        let p = |pairs: &[(&str, &str)]| -> HashMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(matches!(judge("s", &p(&[("code", "c"), ("state", "s")])).0, Ok(c) if c == "c"));
        assert!(judge("s", &p(&[("code", "c"), ("state", "x")])).0.is_err());
        assert!(judge("s", &p(&[("code", "c")])).0.is_err());
        let declined = judge("s", &p(&[("error", "access_denied"), ("state", "s")])).0;
        assert!(declined.unwrap_err().to_string().contains("access_denied"));
    }

    #[test]
    fn only_loopback_redirects() {
        assert!(loopback_address(&Url::parse("http://localhost:8085/").unwrap()).is_ok());
        assert!(loopback_address(&Url::parse("http://127.0.0.1:9/").unwrap()).is_ok());
        assert!(loopback_address(&Url::parse("https://example.com/cb").unwrap()).is_err());
    }
}
