use std::fmt;

use crate::remedy::{HasRemedy, Remedy};
use crate::store::{SecretError, StoreError};

/// A failure answer from Pinterest, with what support asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    /// Pinterest's own error code (`2` expired token, `3` missing scope, `8` rate limited…).
    pub code: Option<i64>,
    pub message: String,
    /// The `x-pinterest-rid` header: quote it to Pinterest support.
    pub request_id: Option<String>,
}

impl ApiError {
    fn meaning(&self) -> &'static str {
        match (self.status, self.code) {
            (401, Some(3)) => "the token lacks a permission (scope) this needs",
            (401, _) => "the token was refused",
            (403, _) => "not permitted for this user or ad account",
            (404, _) => "not found",
            (429, _) => "rate limited",
            (400, _) => "the request was refused",
            (500..=599, _) => "Pinterest had a server error",
            _ => "unexpected answer",
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Pinterest answered {} ({}): {}",
            self.status,
            self.meaning(),
            self.message
        )?;
        if let Some(code) = self.code {
            write!(f, " [code {code}]")?;
        }
        if let Some(rid) = &self.request_id {
            write!(f, " (request id {rid})")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PinterestError {
    #[error("{0}")]
    Api(ApiError),
    #[error("could not reach Pinterest at {url}: {message}")]
    Network { url: String, message: String },
    #[error("Pinterest sent an answer this app cannot read ({context}): {message}")]
    Decode { context: String, message: String },
    #[error("{0}")]
    Config(String),
    #[error("'{connection}' has not logged in to Pinterest yet")]
    NotConnected { connection: String },
    #[error("'{connection}' must log in to Pinterest again: {reason}")]
    ReconnectRequired { connection: String, reason: String },
    #[error(
        "'{connection}' has no Pinterest app ID and secret: store them with the connection, or \
         set PINTEREST_APP_ID and PINTEREST_APP_SECRET"
    )]
    NoAppCredentials { connection: String },
    #[error("{0}")]
    OAuth(String),
    #[error(
        "this login is Pinterest user '{now}', but '{connection}' was connected as '{before}'; \
         its tokens were kept and nothing was saved"
    )]
    OtherUser {
        connection: String,
        before: String,
        now: String,
    },
    #[error(transparent)]
    Secrets(#[from] SecretError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl HasRemedy for PinterestError {
    fn remedy(&self) -> Option<Remedy> {
        match self {
            PinterestError::NotConnected { connection }
            | PinterestError::ReconnectRequired { connection, .. } => Some(Remedy::Connect {
                connection: connection.clone(),
            }),
            PinterestError::NoAppCredentials { connection } => Some(Remedy::StoreAppCredentials {
                connection: connection.clone(),
            }),
            PinterestError::OtherUser {
                connection, now, ..
            } => Some(Remedy::SwitchUser {
                connection: connection.clone(),
                user: now.clone(),
            }),
            PinterestError::Secrets(e) => e.remedy(),
            PinterestError::Store(e) => e.remedy(),
            _ => None,
        }
    }
}

impl PinterestError {
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            PinterestError::Api(e) => Some(e),
            _ => None,
        }
    }
}
