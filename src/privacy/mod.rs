//! People's rights over what the app sent: where one person is, by the app's own records (the
//! ledger of every list it filled, and the journal of every batch). The value is normalized
//! and hashed here, as an upload would, and only its digest is looked up.

use serde::Serialize;

use crate::context::Core;
use crate::identity::{ListType, Namespace, Normalizer};
use crate::store::{HeldIn, StoreError, Touched};

#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
}

impl crate::remedy::HasRemedy for PrivacyError {
    fn remedy(&self) -> Option<crate::remedy::Remedy> {
        match self {
            PrivacyError::Store(e) => e.remedy(),
            PrivacyError::Invalid(_) => None,
        }
    }
}

/// Where one identity is: the lists holding it now and what added or removed it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Whereabouts {
    pub namespace: Namespace,
    pub list_type: ListType,
    /// The SHA-256 sent to Pinterest, hex.
    pub digest: String,
    pub lists: Vec<HeldIn>,
    pub history: Vec<Touched>,
}

/// Looks a value up in every list of every connection. With no namespace, each namespace
/// that accepts the value is tried (a UUID may be an Android or an Apple ID).
pub fn find(
    core: &Core,
    value: &str,
    namespace: Option<Namespace>,
) -> Result<Vec<Whereabouts>, PrivacyError> {
    let tried = match namespace {
        Some(Namespace::Ignore) => {
            return Err(PrivacyError::Invalid(
                "'ignore' is not a kind of identity; name email, email_sha256, gaid or idfa".into(),
            ));
        }
        Some(namespace) => vec![namespace],
        None => vec![Namespace::Email, Namespace::Gaid, Namespace::Idfa],
    };
    let mut normalizer = Normalizer::new();
    let mut found = Vec::new();
    let mut refusals = Vec::new();
    for namespace in tried {
        let digest = match normalizer.digest(namespace, value) {
            Ok(Some(digest)) => digest,
            Ok(None) => return Err(PrivacyError::Invalid("the value is empty".into())),
            Err(reason) => {
                refusals.push(format!("not {} ({reason})", namespace.label()));
                continue;
            }
        };
        let Some(list_type) = namespace.list_type() else {
            continue;
        };
        let store = core.store();
        found.push(Whereabouts {
            namespace,
            list_type,
            digest: digest.to_hex(),
            lists: store.lists_holding(list_type, &digest)?,
            history: store.batches_touching(list_type, &digest)?,
        });
    }
    if found.is_empty() {
        return Err(PrivacyError::Invalid(format!(
            "the value is {}",
            refusals.join(", ")
        )));
    }
    Ok(found)
}
