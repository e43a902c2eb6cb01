use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a cell or a row was not accepted. The set is fixed and documented in the README;
/// the strings are part of the rejects report's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Reason {
    NotAnEmail,
    Md5OrSha1Digest,
    NotASha256Digest,
    NotAUuid,
    ZeroAdvertisingId,
    TooLong,
    /// A pre-hashed cell holding the SHA-256 of the empty string: a blank cell, hashed.
    DigestOfEmpty,
    /// A control character or U+FFFD (a character lost in a conversion) in an identity.
    UnreadableCharacter,
    /// Row-level: the row has a different number of fields than the header.
    RaggedRow,
    /// Row-level: a physical line exceeded the reader's bound and was cut.
    LineTooLong,
    /// Row-level: a quote that never closes (within the line bound), or text after a closing
    /// quote. The row stands for its first line; reading goes on at the next.
    MalformedQuotes,
}

impl Reason {
    pub const ALL: [Reason; 11] = [
        Reason::NotAnEmail,
        Reason::Md5OrSha1Digest,
        Reason::NotASha256Digest,
        Reason::NotAUuid,
        Reason::ZeroAdvertisingId,
        Reason::TooLong,
        Reason::DigestOfEmpty,
        Reason::UnreadableCharacter,
        Reason::RaggedRow,
        Reason::LineTooLong,
        Reason::MalformedQuotes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Reason::NotAnEmail => "not an email",
            Reason::Md5OrSha1Digest => "md5 or sha1 digest",
            Reason::NotASha256Digest => "not a sha-256 digest",
            Reason::NotAUuid => "not a uuid",
            Reason::ZeroAdvertisingId => "zero advertising id",
            Reason::TooLong => "too long",
            Reason::DigestOfEmpty => "digest of an empty value",
            Reason::UnreadableCharacter => "unreadable character",
            Reason::RaggedRow => "ragged row",
            Reason::LineTooLong => "line too long",
            Reason::MalformedQuotes => "malformed quotes",
        }
    }

    /// What the user can do about it, for help text and the GUI's tooltips.
    pub fn advice(self) -> &'static str {
        match self {
            Reason::NotAnEmail => {
                "needs exactly one @, a non-empty name and a domain with a dot, and no spaces"
            }
            Reason::Md5OrSha1Digest => {
                "Pinterest accepts only SHA-256 digests; export the plain emails or SHA-256 instead"
            }
            Reason::NotASha256Digest => "a pre-hashed column needs 64 hex digits in every cell",
            Reason::NotAUuid => "advertising IDs look like 8-4-4-4-12 hex digits",
            Reason::ZeroAdvertisingId => {
                "the all-zero ID means the user limited ad tracking; it cannot be matched"
            }
            Reason::TooLong => "emails are at most 254 bytes",
            Reason::DigestOfEmpty => {
                "the SHA-256 of an empty value: the export hashed a blank cell; it stands for no \
                 one and is left out"
            }
            Reason::RaggedRow => {
                "the row has a different number of fields than the header; check its quoting"
            }
            Reason::LineTooLong => "the line is longer than the reader's 1 MiB bound",
            Reason::MalformedQuotes => {
                "a quote that never closes or text right after a closing quote; fix the quoting \
                 (a quote inside a quoted field is written twice)"
            }
            Reason::UnreadableCharacter => {
                "a control character (such as a NUL byte) or U+FFFD, the mark of a character lost \
                 in an earlier conversion; export the file again as UTF-8"
            }
        }
    }

    /// Row-level reasons apply to a whole row rather than to one cell.
    pub fn is_row_level(self) -> bool {
        matches!(
            self,
            Reason::RaggedRow | Reason::LineTooLong | Reason::MalformedQuotes
        )
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Reason> for &'static str {
    fn from(reason: Reason) -> Self {
        reason.as_str()
    }
}

impl TryFrom<String> for Reason {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Reason::ALL
            .into_iter()
            .find(|r| r.as_str() == text)
            .ok_or_else(|| format!("unknown reason '{text}'"))
    }
}
