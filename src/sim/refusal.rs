//! Pinterest's error shape, and a refused request answered in it.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Pinterest's error shape.
pub fn error_response(status: StatusCode, code: i64, message: &str) -> Response {
    (status, Json(json!({ "code": code, "message": message }))).into_response()
}

/// A refused request, answered in Pinterest's error shape.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    code: i64,
    message: String,
}

impl Refusal {
    pub fn new(status: StatusCode, code: i64, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error_response(self.status, self.code, &self.message)
    }
}
