//! Where one person is, by the app's own records: the lists whose ledger holds them and every
//! batch that added or removed them.

use serde::Serialize;

use super::PrivacyError;
use crate::context::Core;
use crate::identity::{Digest, ListType, Namespace, Normalizer};
use crate::store::{HeldIn, Touched};

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

/// A value as each kind of identity that accepts it: normalized and hashed here, as an
/// upload would. With no namespace, each that accepts it is tried (a UUID may be an Android or
/// an Apple ID); a value none accepts is refused with why.
pub fn identities_of(
    value: &str,
    namespace: Option<Namespace>,
) -> Result<Vec<(Namespace, ListType, Digest)>, PrivacyError> {
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
        match normalizer.digest(namespace, value) {
            Ok(Some(digest)) => {
                if let Some(list_type) = namespace.list_type() {
                    found.push((namespace, list_type, digest));
                }
            }
            Ok(None) => return Err(PrivacyError::Invalid("the value is empty".into())),
            Err(reason) => refusals.push(format!("not {} ({reason})", namespace.label())),
        }
    }
    if found.is_empty() {
        return Err(PrivacyError::Invalid(format!(
            "the value is {}",
            refusals.join(", ")
        )));
    }
    Ok(found)
}

/// Looks a value up in every list of every connection.
pub fn find(
    core: &Core,
    value: &str,
    namespace: Option<Namespace>,
) -> Result<Vec<Whereabouts>, PrivacyError> {
    let store = core.store();
    let mut found = Vec::new();
    for (namespace, list_type, digest) in identities_of(value, namespace)? {
        found.push(Whereabouts {
            namespace,
            list_type,
            digest: digest.to_hex(),
            lists: store.lists_holding(list_type, &digest)?,
            history: store.batches_touching(list_type, &digest)?,
        });
    }
    Ok(found)
}
