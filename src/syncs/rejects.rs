//! A run's rejects, written out after the fact: read again from the sync's file when that file
//! is still the one the run read (same content digest), and refused with why otherwise.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use crate::context::Core;
use crate::source::{Preview, PreviewOptions};
use crate::upload::JobError;

/// Writes the rejects of run `run` of sync `name` to `target` (as `prepare`'s rejects.csv);
/// returns how many.
pub fn write_run_rejects(
    core: &Core,
    name: &str,
    run: i64,
    target: &Path,
) -> Result<u64, JobError> {
    let sync = core.store().sync(name)?;
    let settings = super::parse_settings(&sync)?;
    let row = core
        .store()
        .sync_runs(sync.id, 100_000)?
        .into_iter()
        .find(|r| r.id == run)
        .ok_or_else(|| JobError::Invalid(format!("sync '{name}' has no run {run}")))?;
    let Some(read) = row.file_digest else {
        return Err(JobError::Invalid(format!(
            "run {run} of sync '{name}' read no file, so it has no rejects"
        )));
    };
    let (path, _) = super::source_file::current(&settings.source).map_err(JobError::Invalid)?;
    let now = super::source_file::content_digest(&path)
        .map_err(|e| JobError::Invalid(format!("cannot read {}: {e}", path.display())))?;
    if now != read {
        return Err(JobError::Invalid(format!(
            "{} has changed since run {run}, so that run's rejects can no longer be read from it",
            path.display()
        )));
    }
    let mut preview = Preview::load(
        &path,
        &PreviewOptions {
            header: Some(settings.header),
            delimiter: Some(settings.delimiter),
            mappings: Vec::new(),
            sample_rows: 0,
            part: settings.part.clone(),
        },
    )?;
    settings
        .apply_columns(&mut preview)
        .map_err(JobError::Invalid)?;
    let plan = preview.scan_plan(&core.memory)?;
    crate::prepare::write_rejects(&plan, target, &AtomicBool::new(false))
        .map_err(|e| JobError::Invalid(e.to_string()))
}
