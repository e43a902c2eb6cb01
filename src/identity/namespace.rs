use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// What a column holds, as the user maps it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Namespace {
    /// Plain-text email; a cell that already is a SHA-256 digest passes through.
    Email,
    /// Every cell must already be the SHA-256 digest of a normalized email.
    EmailSha256,
    /// Google Advertising ID (Android).
    Gaid,
    /// Apple Identifier for Advertisers.
    Idfa,
    /// Not sent.
    Ignore,
}

impl Namespace {
    pub const ALL: [Namespace; 5] = [
        Namespace::Email,
        Namespace::EmailSha256,
        Namespace::Gaid,
        Namespace::Idfa,
        Namespace::Ignore,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Namespace::Email => "email",
            Namespace::EmailSha256 => "email_sha256",
            Namespace::Gaid => "gaid",
            Namespace::Idfa => "idfa",
            Namespace::Ignore => "ignore",
        }
    }

    /// The Pinterest customer list type this namespace feeds; `None` for `ignore`.
    /// The namespace in plain words, as the window says it.
    pub fn label(self) -> &'static str {
        match self {
            Namespace::Email => "Email",
            Namespace::EmailSha256 => "Email, already SHA-256",
            Namespace::Gaid => "Android advertising ID (GAID)",
            Namespace::Idfa => "Apple IDFA",
            Namespace::Ignore => "Ignore",
        }
    }

    pub fn list_type(self) -> Option<ListType> {
        match self {
            Namespace::Email | Namespace::EmailSha256 => Some(ListType::Email),
            Namespace::Gaid => Some(ListType::Maid),
            Namespace::Idfa => Some(ListType::Idfa),
            Namespace::Ignore => None,
        }
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not a namespace; use one of email, email_sha256, gaid, idfa, ignore")]
pub struct ParseNamespaceError(pub String);

impl FromStr for Namespace {
    type Err = ParseNamespaceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Namespace::ALL
            .into_iter()
            .find(|ns| ns.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ParseNamespaceError(s.to_owned()))
    }
}

/// Pinterest's `list_type` for the lists Audience Desk creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ListType {
    Email,
    Maid,
    Idfa,
}

impl ListType {
    pub const ALL: [ListType; 3] = [ListType::Email, ListType::Maid, ListType::Idfa];

    pub fn as_str(self) -> &'static str {
        match self {
            ListType::Email => "EMAIL",
            ListType::Maid => "MAID",
            ListType::Idfa => "IDFA",
        }
    }

    /// The list a type goes to, in plain words: "email list", "mobile ad ID list".
    pub fn label(self) -> &'static str {
        match self {
            ListType::Email => "email list",
            ListType::Maid => "mobile ad ID (MAID) list",
            ListType::Idfa => "IDFA list",
        }
    }

    /// Dense index for per-list-type arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for ListType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
