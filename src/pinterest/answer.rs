//! Reading Pinterest's answers as untrusted input: bodies read up to a cap (a server that
//! streams without end cannot exhaust memory), error bodies made printable, and rate-limit
//! headers that are missing, malformed, negative or absurd taken for what they can be.

use std::time::Duration;

use serde::de::DeserializeOwned;

use super::models::ErrorBody;
use super::{ApiError, PinterestError};

/// The largest answer read: a page of 250 lists or audiences is a few hundred KiB.
pub const MAX_BODY_BYTES: usize = 8 << 20;
/// Of an error answer only the start is read: its message is what is shown.
pub const MAX_ERROR_BODY_BYTES: usize = 64 << 10;
/// The longest wait a rate-limit header is followed for.
const MAX_RATE_LIMIT_WAIT: f64 = 300.0;

/// Why a body could not be read whole.
#[derive(Debug)]
pub enum BodyError {
    /// Larger than the cap: at least this many bytes.
    TooLarge(u64),
    /// The connection failed while the body was read.
    Transport(reqwest::Error),
}

/// Reads a body, at most `limit` bytes of it.
pub async fn read_capped(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    if let Some(length) = response.content_length()
        && length > limit as u64
    {
        return Err(BodyError::TooLarge(length));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge((body.len() + chunk.len()) as u64));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Reads the start of an error answer; what lies past `MAX_ERROR_BODY_BYTES` is left unread.
pub async fn read_error_body(mut response: reqwest::Response) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < MAX_ERROR_BODY_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(MAX_ERROR_BODY_BYTES);
    body
}

/// The error an answer's size makes, naming it.
pub fn too_large(context: &str, size: u64) -> PinterestError {
    PinterestError::Decode {
        context: context.to_owned(),
        message: format!(
            "the answer is larger than this app reads ({} or more, the limit is {}); it was \
             not read",
            crate::display::bytes(size),
            crate::display::bytes(MAX_BODY_BYTES as u64)
        ),
    }
}

/// A success answer's body as `T`.
pub fn decode<T: DeserializeOwned>(context: &str, body: &[u8]) -> Result<T, PinterestError> {
    serde_json::from_slice(body).map_err(|e| PinterestError::Decode {
        context: context.to_owned(),
        message: crate::display::clipped(&e.to_string(), 300),
    })
}

/// A failure answer: Pinterest's error shape when it is there, else the start of the text,
/// without control characters either way.
pub fn parse_error(status: u16, request_id: Option<&str>, body: &[u8]) -> ApiError {
    let request_id = request_id
        .map(|r| crate::display::clipped(r, 64))
        .filter(|r| !r.is_empty());
    let (code, message) = match serde_json::from_slice::<ErrorBody>(body) {
        Ok(error) => (Some(error.code), error.message),
        Err(_) => (None, String::from_utf8_lossy(body).into_owned()),
    };
    let message = crate::display::clipped(message.trim(), 300);
    ApiError {
        status,
        code,
        message: if message.is_empty() {
            "no details given".into()
        } else {
            message
        },
        request_id,
    }
}

/// How long a rate-limited answer asks to wait: `Retry-After` (seconds, or an HTTP date), else
/// `x-ratelimit-reset` (seconds until the window resets, or the Unix time it does: Pinterest
/// does not document which). A value that is not a finite number, or a date that does not
/// parse, is ignored with a warning; a negative one means no wait; a huge one is capped.
pub fn rate_limit_wait(
    retry_after: Option<&str>,
    reset: Option<&str>,
    now: std::time::SystemTime,
) -> Option<Duration> {
    let unix_now = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let seconds = retry_after
        .and_then(|value| {
            let value = value.trim();
            let parsed = match value.parse::<f64>() {
                Ok(seconds) => Some(seconds),
                Err(_) => httpdate::parse_http_date(value).ok().map(|at| {
                    at.duration_since(std::time::UNIX_EPOCH)
                        .map_or(0.0, |d| d.as_secs_f64())
                        - unix_now
                }),
            };
            warn_unless(parsed, "Retry-After", value)
        })
        .or_else(|| {
            let value = reset?.trim();
            let parsed = value
                .parse::<f64>()
                .ok()
                .map(|v| if v > 1e9 { v - unix_now } else { v });
            warn_unless(parsed, "x-ratelimit-reset", value)
        })?;
    Some(Duration::from_secs_f64(
        seconds.clamp(0.0, MAX_RATE_LIMIT_WAIT),
    ))
}

fn warn_unless(seconds: Option<f64>, header: &str, value: &str) -> Option<f64> {
    let seconds = seconds.filter(|s| s.is_finite());
    if seconds.is_none() {
        tracing::warn!(
            header,
            value = %crate::display::clipped(value, 40),
            "ignoring a rate-limit header that is not a number or a date"
        );
    }
    seconds
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn wait(retry_after: Option<&str>, reset: Option<&str>) -> Option<f64> {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        rate_limit_wait(retry_after, reset, now).map(|d| d.as_secs_f64())
    }

    #[test]
    fn reset_in_seconds_or_epoch_and_retry_after_first() {
        assert_eq!(wait(None, Some("12")), Some(12.0));
        assert_eq!(wait(None, Some("1800000030")), Some(30.0));
        assert_eq!(wait(Some("7"), Some("12")), Some(7.0));
        let date = httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(1_800_000_020));
        assert_eq!(wait(Some(&date), None), Some(20.0));
    }

    #[test]
    fn nonsense_headers_are_ignored_or_bounded() {
        for junk in ["NaN", "inf", "-inf", "", "soon", "1e999"] {
            assert_eq!(wait(None, Some(junk)), None, "{junk}");
            assert_eq!(wait(Some(junk), None), None, "{junk}");
        }
        assert_eq!(wait(None, Some("-5")), Some(0.0));
        assert_eq!(wait(None, Some("1e300")), Some(MAX_RATE_LIMIT_WAIT));
        assert_eq!(
            wait(Some("NaN"), Some("3")),
            Some(3.0),
            "a bad Retry-After falls back"
        );
    }

    #[test]
    fn error_bodies_are_printable_and_short() {
        let error = parse_error(
            400,
            Some("abc\u{1b}"),
            br#"{"code": 1, "message": "bad \u001b[31mthing"}"#,
        );
        assert_eq!(error.message, "bad [31mthing");
        assert_eq!(error.request_id.as_deref(), Some("abc"));
        let error = parse_error(502, None, &[b'x'; 5000]);
        assert_eq!(error.message.chars().count(), 300);
        assert_eq!(parse_error(500, None, b"  ").message, "no details given");
    }
}
