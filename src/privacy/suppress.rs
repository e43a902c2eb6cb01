//! The home's suppression list: identities no upload or sync run of any connection sends.
//! A file is read with the same reader and rules as an upload, so a plain email and its
//! pre-hashed SHA-256 meet as the same digest.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::PrivacyError;
use crate::context::Core;
use crate::identity::ListType;
use crate::source::{Preview, Progress, scan};
use crate::store::{StoreError, SuppressionKind, SuppressionSource};

/// The suppression list as a whole: distinct identities by list type, and where they came from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub counts: BTreeMap<ListType, u64>,
    pub sources: Vec<SuppressionSource>,
}

/// Reads a file of identities (mapped like an upload's) onto the suppression list, whole or
/// not at all.
pub fn suppress_file(
    core: &Core,
    preview: &Preview,
    reason: &str,
    on_progress: &mut dyn FnMut(Progress),
) -> Result<SuppressionSource, PrivacyError> {
    let plan = preview.scan_plan(&core.memory)?;
    let output = scan(&plan, &mut |_| {}, on_progress, &AtomicBool::new(false))?;
    if output.lists.is_empty() {
        return Err(PrivacyError::Invalid(format!(
            "{} has no valid identity to suppress; its preview shows why",
            preview.path.display()
        )));
    }
    let path = &preview.path;
    let mut digests = output.lists.iter().flat_map(|list| {
        list.digests().map(move |digest| {
            digest
                .map(|d| (list.list_type, d))
                .map_err(|e| StoreError::Invalid(format!("cannot read {}: {e}", path.display())))
        })
    });
    let id = core.store.lock().add_suppression(
        SuppressionKind::File,
        &path.display().to_string(),
        reason.trim(),
        &mut digests,
    )?;
    source(core, id)
}

/// The suppression list's counts and sources.
pub fn suppression(core: &Core) -> Result<Suppression, PrivacyError> {
    let store = core.store();
    Ok(Suppression {
        counts: store.suppressed_counts()?,
        sources: store.suppression_sources()?,
    })
}

/// Takes a source off the suppression list (an identity another source holds stays).
pub fn unsuppress(core: &Core, id: i64) -> Result<SuppressionSource, PrivacyError> {
    Ok(core.store().remove_suppression(id)?)
}

pub(super) fn source(core: &Core, id: i64) -> Result<SuppressionSource, PrivacyError> {
    core.store()
        .suppression_sources()?
        .into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| PrivacyError::Invalid(format!("suppression source {id} vanished")))
}
