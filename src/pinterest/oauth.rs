//! The browser half of OAuth: opening the authorize URL, and a loopback listener on the
//! redirect URI that accepts exactly one callback.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use tokio::sync::{mpsc, watch};
use url::Url;

use super::{PinterestError, callback_listener};

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

/// Where the browser starts a login: the listener's one-time address that sends it on to
/// Pinterest's authorize page. Only this address is handed to the browser (on its command
/// line, which every local user can read), so the login's `state` never is.
const START_PATH: &str = "/audience-desk/login/";

struct Shared {
    path: String,
    state: String,
    start_path: String,
    authorize: Url,
    /// How many times the start address was asked for: more than once means someone else has
    /// seen it, and the login ends.
    starts: Mutex<u32>,
    outcome: mpsc::Sender<Outcome>,
    done: Mutex<bool>,
}

/// Listens on the redirect URI (loopback only: for `localhost`, on every loopback address, as
/// a browser may try either) and waits for the callback of this login, at most `timeout`,
/// returning its authorization code. `ready` runs once the ports are bound, with the one-time
/// start address to open in the browser (it leads to `authorize`). A request that does not
/// carry this login's `state` (any web page can make the browser send one) is answered 400
/// and the wait goes on; a second visit to the start address ends the login.
pub async fn wait_for_callback(
    redirect: &Url,
    authorize: &Url,
    state: &str,
    timeout: Duration,
    ready: impl FnOnce(&Url) -> Result<(), PinterestError>,
) -> Outcome {
    let listeners = callback_listener::bind(redirect).await?;
    let (outcome_tx, mut outcome_rx) = mpsc::channel(2);
    let nonce = oauth2::CsrfToken::new_random_len(32);
    let start_path = format!("{START_PATH}{}", nonce.secret());
    let mut start = redirect.clone();
    start.set_path(&start_path);
    start.set_query(None);
    start.set_fragment(None);
    let shared = Arc::new(Shared {
        path: redirect.path().to_owned(),
        state: state.to_owned(),
        start_path,
        authorize: authorize.clone(),
        starts: Mutex::new(0),
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
    let result = match ready(&start) {
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

/// The start address asked for: the first time, on to Pinterest; again, the login ends
/// (whoever asked first may be someone else who read the browser's command line).
fn start(shared: &Shared) -> Response {
    let first = {
        // Invariant: nothing panics while this lock is held.
        let mut starts = shared.starts.lock().expect("starts lock");
        *starts += 1;
        *starts == 1
    };
    if first {
        return Redirect::to(shared.authorize.as_str()).into_response();
    }
    tracing::warn!("the login's start address was asked for twice; the login ends");
    let _ = shared.outcome.try_send(Err(PinterestError::OAuth(
        "the login's start address was opened twice, so another program may have seen it; \
         this login was stopped and nothing was saved. Log in again"
            .into(),
    )));
    (
        StatusCode::GONE,
        Html(page(
            "Login stopped",
            "This login address was already used, so the login was stopped. Start it again \
             from Audience Desk.",
        )),
    )
        .into_response()
}

async fn callback(State(shared): State<Arc<Shared>>, uri: Uri) -> Response {
    if uri.path() == shared.start_path {
        return start(&shared);
    }
    // No callback can answer this login before its start address sent the browser on.
    let started = *shared.starts.lock().expect("starts lock") > 0;
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
            )
                .into_response();
        }
        Callback::Answer { .. } if !started => return refused("came before the login started"),
        Callback::NotThisLogin => return refused("does not carry this login's state"),
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
            )
                .into_response();
        }
        *done = true;
    }
    let status = if outcome.is_ok() {
        StatusCode::OK
    } else {
        StatusCode::BAD_REQUEST
    };
    let _ = shared.outcome.send(outcome).await;
    (status, Html(page(title, text))).into_response()
}

/// A request that is not this login's answer: 400, logged, and the wait goes on.
fn refused(why: &str) -> Response {
    tracing::warn!("ignored a login callback that {why}");
    (
        StatusCode::BAD_REQUEST,
        Html(page(
            "Refused",
            "This does not match the login Audience Desk started, so it was ignored.",
        )),
    )
        .into_response()
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
}
