//! Trouble on demand: rate limits, server errors, latency, a records cap.

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::AppState;
use super::refusal::error_response;

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Calls per minute per user before answering 429 code 8.
    pub rate_limit_per_minute: Option<u32>,
    /// Share (0 to 1) of API calls answered with a 5xx.
    pub server_error_rate: f64,
    /// Added to every API call.
    pub latency_ms: u64,
    /// Records per create or update call beyond which the call is refused with a 400.
    pub max_records: Option<usize>,
    /// The authorize page answers `error=access_denied`, as when the user clicks Cancel.
    pub decline_consent: bool,
    /// The next this-many API calls are answered with `fail_status` (deterministic faults
    /// for tests); counts down.
    pub fail_next: u32,
    /// 429 (with code 8 and rate-limit headers), or a 5xx status; 503 when unset.
    pub fail_status: Option<u16>,
    /// The next API calls, one each, are answered with these statuses in turn before anything
    /// else is checked: 401 (code 2, as for a token Pinterest no longer takes), 403, 429 or a
    /// 5xx. For tests that need several kinds of answer to land at once.
    pub script: Vec<u16>,
    /// Share (0 to 1) of API calls that take effect but whose answer is lost: the connection
    /// closes before the client reads it, as when a network drops mid-answer.
    pub lost_response_rate: f64,
    /// Added to every call of the token endpoint, after it has done its work (a refresh
    /// token it answers is retired at once, as Pinterest's are).
    pub token_latency_ms: u64,
}

/// Runs before every `/v5` API handler (not the token endpoint): latency, then the rate limit,
/// then random server errors.
pub async fn inject(State(shared): State<AppState>, request: Request, next: Next) -> Response {
    let (faults, scripted) = {
        let mut config = shared.config.lock().expect("sim config");
        let faults = config.faults.clone();
        config.faults.fail_next = faults.fail_next.saturating_sub(1);
        let scripted = (!config.faults.script.is_empty()).then(|| config.faults.script.remove(0));
        (faults, scripted)
    };
    if let Some(status) = scripted {
        return injected(status, "Injected failure (simulator script)");
    }
    if faults.fail_next > 0 {
        return injected(
            faults.fail_status.unwrap_or(503),
            "Injected failure (simulator fail_next)",
        );
    }
    if faults.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.latency_ms)).await;
    }
    if let Some(limit) = faults.rate_limit_per_minute {
        let user = request
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let verdict = shared
            .data
            .lock()
            .expect("sim data")
            .count_call(&user, limit);
        if let Err(reset_secs) = verdict {
            return rate_limited(limit, reset_secs);
        }
    }
    if faults.server_error_rate > 0.0 && rand::random::<f64>() < faults.server_error_rate {
        return error_response(
            StatusCode::SERVICE_UNAVAILABLE,
            503,
            "Service temporarily unavailable (injected by the simulator)",
        );
    }
    let response = next.run(request).await;
    if faults.lost_response_rate > 0.0 && rand::random::<f64>() < faults.lost_response_rate {
        return lost(response);
    }
    response
}

fn injected(status: u16, message: &str) -> Response {
    match status {
        429 => rate_limited(1, 1),
        401 => error_response(StatusCode::UNAUTHORIZED, 2, "Authentication failed."),
        403 => error_response(
            StatusCode::FORBIDDEN,
            29,
            "You are not permitted to access that resource.",
        ),
        status => error_response(
            StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            i64::from(status),
            message,
        ),
    }
}

/// The answer to a call that took effect, cut off: its body fails before its first byte, so
/// the server closes the connection and the client never learns the outcome.
fn lost(response: Response) -> Response {
    cut_off(response.into_parts().0)
}

/// An answer whose body breaks off: chunked (no length), so the missing end is an error the
/// client sees, not a short body it takes for a whole one.
pub(super) fn cut_off(mut parts: axum::http::response::Parts) -> Response {
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    let broken = futures_util::stream::once(async {
        Err::<axum::body::Bytes, _>(std::io::Error::other("response lost (simulator)"))
    });
    Response::from_parts(parts, axum::body::Body::from_stream(broken))
}

/// 429 code 8 with the `x-ratelimit-*` headers some Pinterest answers carry.
fn rate_limited(limit: u32, reset_secs: u64) -> Response {
    let mut response = error_response(
        StatusCode::TOO_MANY_REQUESTS,
        8,
        "You have exceeded your rate limit. Try again later.",
    );
    let headers = response.headers_mut();
    headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(0));
    headers.insert("x-ratelimit-reset", HeaderValue::from(reset_secs));
    response
}
