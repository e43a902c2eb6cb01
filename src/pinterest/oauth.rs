//! The browser half of OAuth: opening the authorize URL, and a loopback listener on the
//! redirect URI that accepts exactly one callback.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse};
use tokio::sync::{mpsc, watch};
use url::Url;

use super::PinterestError;

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

/// Listens on the redirect URI (loopback only: for `localhost`, on both 127.0.0.1 and ::1, as
/// a browser may try either) and waits for the callback of this login, at most `timeout`,
/// returning its authorization code. A request that does not carry this login's `state` (any
/// web page can make the browser send one) is answered 400 and the wait goes on.
/// `ready` runs once the port is bound: open the browser there.
pub async fn wait_for_callback(
    redirect: &Url,
    state: &str,
    timeout: Duration,
    ready: impl FnOnce() -> Result<(), PinterestError>,
) -> Outcome {
    let listeners = bind(redirect).await?;
    let (outcome_tx, mut outcome_rx) = mpsc::channel(1);
    let shared = Arc::new(Shared {
        path: redirect.path().to_owned(),
        state: state.to_owned(),
        outcome: outcome_tx,
        done: Mutex::new(false),
    });
    let app = axum::Router::new().fallback(callback).with_state(shared);
    let (stop_tx, stop_rx) = watch::channel(false);
    let servers: Vec<_> = listeners
        .into_iter()
        .map(|listener| {
            let (app, mut stop) = (app.clone(), stop_rx.clone());
            tokio::spawn(async move {
                let _ = axum::serve(listener, app)
                    .with_graceful_shutdown(async move {
                        let _ = stop.wait_for(|stopped| *stopped).await;
                    })
                    .await;
            })
        })
        .collect();
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
    let _ = stop_tx.send(true);
    // Let the page reach the browser before the listener goes away.
    for server in servers {
        let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    }
    result
}

/// The listeners for the redirect URI: the first address must bind; for `localhost`, ::1 is
/// added where this machine has IPv6.
async fn bind(redirect: &Url) -> Result<Vec<tokio::net::TcpListener>, PinterestError> {
    let addresses = loopback_addresses(redirect)?;
    let mut listeners = Vec::new();
    for (i, address) in addresses.into_iter().enumerate() {
        match tokio::net::TcpListener::bind(address).await {
            Ok(listener) => listeners.push(listener),
            Err(e) if i > 0 => {
                tracing::debug!(%address, "not listening there too: {e}");
            }
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                return Err(PinterestError::OAuth(format!(
                    "port {} is in use, so the login callback cannot be received: close the \
                     program using it, or set PINTEREST_REDIRECT_URI to another redirect URI \
                     registered on your Pinterest app",
                    address.port()
                )));
            }
            Err(e) => {
                return Err(PinterestError::OAuth(format!(
                    "cannot listen on {address}: {e}"
                )));
            }
        }
    }
    Ok(listeners)
}

fn loopback_addresses(redirect: &Url) -> Result<Vec<SocketAddr>, PinterestError> {
    let port = redirect.port_or_known_default().unwrap_or(80);
    let ips = match redirect.host() {
        Some(url::Host::Domain("localhost")) => {
            vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ]
        }
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => vec![IpAddr::V4(ip)],
        Some(url::Host::Ipv6(ip)) if ip.is_loopback() => vec![IpAddr::V6(ip)],
        _ => {
            return Err(PinterestError::Config(format!(
                "the redirect URI {redirect} is not on this machine; use http://localhost:PORT/ \
                 (and register it on your Pinterest app)"
            )));
        }
    };
    Ok(ips
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect())
}

async fn callback(State(shared): State<Arc<Shared>>, uri: Uri) -> impl IntoResponse {
    let verdict = judge_callback(
        uri.path(),
        uri.query().unwrap_or(""),
        &shared.path,
        &shared.state,
    );
    let (outcome, title, text) = match verdict {
        Callback::Elsewhere => {
            return (
                StatusCode::NOT_FOUND,
                Html(page("Not here", "This is Audience Desk's login listener.")),
            );
        }
        Callback::NotThisLogin => {
            tracing::warn!("ignored a login callback that does not carry this login's state");
            return (
                StatusCode::BAD_REQUEST,
                Html(page(
                    "Refused",
                    "This does not match the login Audience Desk started, so it was ignored.",
                )),
            );
        }
        Callback::Answer {
            outcome,
            title,
            text,
        } => (outcome, title, text),
    };
    {
        // Invariant: nothing panics while this lock is held.
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
    let status = if outcome.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let _ = shared.outcome.send(outcome).await;
    (status, Html(page(title, text)))
}

/// What a request to the login listener is.
#[derive(Debug)]
pub enum Callback {
    /// Not the redirect URI's path.
    Elsewhere,
    /// Without this login's `state`: not an answer to it.
    NotThisLogin,
    /// Pinterest's answer to this login, and the page to show in the browser.
    Answer {
        outcome: Outcome,
        title: &'static str,
        text: &'static str,
    },
}

/// Judges a request to the login listener from its path and raw query.
pub fn judge_callback(
    path: &str,
    query: &str,
    expected_path: &str,
    expected_state: &str,
) -> Callback {
    if path != expected_path {
        return Callback::Elsewhere;
    }
    let mut params: HashMap<String, String> = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        // The first of a repeated key counts, as a browser's address bar shows it.
        params
            .entry(key.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    if params.get("state").map(String::as_str) != Some(expected_state) {
        return Callback::NotThisLogin;
    }
    if let Some(error) = params.get("error") {
        let said = crate::display::clipped(
            &format!(
                "{error} {}",
                params.get("error_description").map_or("", String::as_str)
            ),
            200,
        );
        return Callback::Answer {
            outcome: Err(PinterestError::OAuth(format!(
                "the login was not completed: Pinterest said '{}' (declined consent?); run \
                 connect again and choose Allow",
                said.trim()
            ))),
            title: "Not connected",
            text: "Pinterest did not grant access. You can close this tab and try again from the app.",
        };
    }
    match params.get("code").filter(|c| !c.is_empty()) {
        Some(code) => Callback::Answer {
            outcome: Ok(code.clone()),
            title: "Connected",
            text: "Audience Desk received the login. You can close this tab.",
        },
        None => Callback::Answer {
            outcome: Err(PinterestError::OAuth(
                "the login callback carried no code; run connect again".into(),
            )),
            title: "Not connected",
            text: "The answer from Pinterest had no code. You can close this tab and try again.",
        },
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

    fn outcome(query: &str) -> Option<Outcome> {
        match judge_callback("/", query, "/", "s") {
            Callback::Answer { outcome, .. } => Some(outcome),
            _ => None,
        }
    }

    #[test]
    fn judges_callbacks() {
        assert!(matches!(outcome("code=c&state=s"), Some(Ok(c)) if c == "c"));
        assert!(
            outcome("code=c&state=x").is_none(),
            "another login's state is ignored"
        );
        assert!(outcome("code=c").is_none());
        assert!(matches!(outcome("state=s&code="), Some(Err(_))));
        assert!(matches!(outcome("state=s&state=x&code=c"), Some(Ok(_))));
        let declined = outcome("error=access_denied&error_description=%1B%5B2Jno&state=s");
        let said = declined.unwrap().unwrap_err().to_string();
        assert!(said.contains("access_denied [2Jno"), "{said}");
        assert!(matches!(
            judge_callback("/x", "state=s&code=c", "/", "s"),
            Callback::Elsewhere
        ));
    }

    #[test]
    fn only_loopback_redirects() {
        let both = loopback_addresses(&Url::parse("http://localhost:8085/").unwrap()).unwrap();
        assert_eq!(both.len(), 2);
        assert!(
            both.iter()
                .all(|a| a.ip().is_loopback() && a.port() == 8085)
        );
        assert!(loopback_addresses(&Url::parse("http://127.0.0.1:9/").unwrap()).is_ok());
        assert!(loopback_addresses(&Url::parse("https://example.com/cb").unwrap()).is_err());
    }
}
