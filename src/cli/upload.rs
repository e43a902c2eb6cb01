//! Uploads from the command line: the plan, a progress bar, the summary, and resume.

use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::watch;

use super::args::FileArgs;
use super::progress;
use super::text::{emit, group};
use crate::context::Core;
use crate::display::count;
use crate::overview::JobOverview;
use crate::store::JobState;
use crate::upload::{Control, JobProgress, JobReport, JobSpec, Plan, plan_upload, run_job};

pub(super) fn open_core(writes_per_minute: u32) -> anyhow::Result<Core> {
    let mut core = Core::open()?;
    if let Some(notice) = &core.notice {
        eprintln!("{notice}");
    }
    core.limits.writes_per_minute = writes_per_minute.max(1);
    Ok(core)
}

pub async fn upload(
    file: &FileArgs,
    connection: &str,
    spec: JobSpec,
    dry_run: bool,
    writes_per_minute: u32,
) -> anyhow::Result<()> {
    let core = Arc::new(open_core(writes_per_minute)?);
    let (preview, _query) = file.load(0)?;
    let bar = progress::bar(preview.size, "reading");
    let plan = plan_upload(&core, connection, &preview, spec, &mut |p| {
        progress::update(&bar, p)
    });
    bar.finish_and_clear();
    let plan = plan?;
    emit(&describe_plan(&plan))?;
    if dry_run {
        return Ok(emit("Dry run: nothing was sent.\n")?);
    }
    if plan.is_empty() {
        return Ok(emit(
            "Nothing to send: the lists already match the file.\n",
        )?);
    }
    // A connection that never logged in could only make a job that waits: say so first.
    let status = core.connection_status(connection).await?;
    if status.state == crate::pinterest::ConnectionState::NotConnected {
        return Err(crate::pinterest::PinterestError::NotConnected {
            connection: connection.to_owned(),
        }
        .into());
    }
    let job = plan.create_job(&core)?;
    emit(&format!(
        "Job {job} started; if it stops, continue it with `audience-desk resume {job}`.\n"
    ))?;
    drive(&core, job).await
}

pub async fn resume(
    job: i64,
    confirm_removals: bool,
    writes_per_minute: u32,
) -> anyhow::Result<()> {
    let core = Arc::new(open_core(writes_per_minute)?);
    if confirm_removals {
        crate::upload::confirm_removals(&core, job)?;
    }
    emit(&format!("Resuming job {job}.\n"))?;
    drive(&core, job).await
}

/// Runs a job with a progress bar; Ctrl-C interrupts it cleanly (resumable). Alerts about
/// how it ended go out before the command ends.
async fn drive(core: &Arc<Core>, job: i64) -> anyhow::Result<()> {
    let control = Arc::new(Control::default());
    let (sender, mut receiver) = watch::channel(JobProgress::new(job));
    let bar = ProgressBar::new(1);
    // Invariant: the template is a literal that indicatif accepts.
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} records, eta {eta}")
            .expect("valid progress template")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let watcher = {
        let bar = bar.clone();
        tokio::spawn(async move {
            while receiver.changed().await.is_ok() {
                let p = receiver.borrow().clone();
                bar.set_length(p.records_total.max(1));
                bar.set_position(p.records_acked);
                let mut message = p.state.label().to_owned();
                if p.retries > 0 {
                    message += &format!(", {} retries", p.retries);
                }
                bar.set_message(message);
                if p.state == JobState::WaitingForReconnect
                    && let Some(m) = &p.message
                {
                    bar.println(crate::display::printable(m));
                }
            }
        })
    };
    let interrupt = super::interrupt_on_ctrl_c(&control);
    let result = run_job(core, job, control, sender).await;
    interrupt.abort();
    let _ = watcher.await;
    bar.finish_and_clear();
    crate::alerts::after_command(core).await;
    let report = result?;
    emit(&describe_report(&report))?;
    match report.progress.state {
        JobState::Completed => Ok(()),
        JobState::Held => anyhow::bail!(
            "job {job}: additions sent, {}; to send them: audience-desk resume {job} \
             --confirm-removals",
            report.progress.message.unwrap_or_default()
        ),
        state => anyhow::bail!(
            "job {job} did not complete ({}){}",
            state.label(),
            report
                .progress
                .message
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        ),
    }
}

pub fn describe_plan(plan: &Plan) -> String {
    let s = &plan.summary;
    let invalid: u64 = s.columns.iter().map(|c| c.invalid_total()).sum();
    let duplicates: u64 = s.columns.iter().map(|c| c.duplicates).sum();
    let mut out = format!(
        "{}: {}; {}, {} refused whole, {}.\n",
        crate::display::source(&plan.file, plan.query.as_deref()),
        count(s.rows, "row", "rows"),
        count(invalid, "invalid cell", "invalid cells"),
        count(s.row_rejects.values().sum(), "row", "rows"),
        count(duplicates, "duplicate", "duplicates")
    );
    let verb = plan.spec.mode.as_str();
    out += &format!(
        "Plan ({verb}, batches of up to {} records) for ad account {} via '{}':\n",
        group(plan.records_per_batch() as u64),
        plan.ad_account_id,
        plan.connection
    );
    for list in &plan.lists {
        out += &format!(
            "  {:<5} {:<40} to add {:>10}  to remove {:>10}  unchanged {:>10}\n",
            list.list_type.as_str(),
            match &list.list_id {
                Some(_) => list.name.clone(),
                None => format!("new list \"{}\"", list.name),
            },
            group(list.adds as u64),
            group(list.removes as u64),
            group(list.unchanged as u64)
        );
        if list.suppressed > 0 {
            out += &format!(
                "        kept out: {} on the suppression list (not sent{})\n",
                group(list.suppressed as u64),
                if plan.spec.mode == crate::upload::Mode::Mirror {
                    "; those the list holds are removed"
                } else {
                    ""
                }
            );
        }
    }
    out += &plan.disk_line();
    out.push('\n');
    for warning in &plan.warnings {
        out += &format!("Warning: {warning}\n");
    }
    out
}

fn describe_report(report: &JobReport) -> String {
    let p = &report.progress;
    let mut out = format!(
        "Job {}: {}. {} of {} acknowledged in {} of {}; {}, {}, {} waiting on the rate limit.\n",
        p.job_id,
        p.state.label(),
        group(p.records_acked),
        count(p.records_total, "record", "records"),
        group(p.batches_acked),
        count(p.batches_total, "batch", "batches"),
        count(p.retries, "retry", "retries"),
        count(p.rate_limited, "rate-limit answer", "rate-limit answers"),
        crate::display::duration(p.rate_limit_wait_ms / 1000)
    );
    if let Some(message) = &p.message {
        out += &format!("{message}\n");
    }
    if p.rows_read > 0 {
        let invalid: Vec<String> = p
            .invalid
            .iter()
            .map(|(r, n)| format!("{r} {}", group(*n)))
            .collect();
        out += &format!(
            "The file: {}, {}, {}{}{}.\n",
            count(p.rows_read, "row", "rows"),
            count(p.valid, "valid value", "valid values"),
            count(p.duplicates, "duplicate", "duplicates"),
            if invalid.is_empty() {
                String::new()
            } else {
                format!("; rejected: {}", invalid.join(", "))
            },
            if p.suppressed == 0 {
                String::new()
            } else {
                format!("; kept out (suppressed): {}", group(p.suppressed))
            }
        );
    }
    for list in &report.lists {
        out += &format!(
            "  {:<5} {} (list {}, {})",
            list.list_type.as_str(),
            list.name,
            list.list_id.as_deref().unwrap_or("not created"),
            list.list_status.as_deref().unwrap_or("status unknown")
        );
        if let Some(audience) = &list.audience_id {
            out += &format!(
                "; audience {audience} {}{}",
                list.audience_status.as_deref().unwrap_or(""),
                list.audience_size
                    .map(|s| format!(", size {}", group(s.max(0) as u64)))
                    .unwrap_or_default()
            );
        }
        out.push('\n');
    }
    if let Some(note) = report.too_small_note() {
        out += note;
        out.push('\n');
    }
    out
}

pub fn jobs(json: bool) -> anyhow::Result<()> {
    let core = Core::open()?;
    let jobs = crate::overview::recent_jobs(&core, 50)?;
    if json {
        let listed: Vec<_> = jobs
            .iter()
            .map(|job| {
                serde_json::json!({
                    "id": job.row.id,
                    "connection": job.row.connection,
                    "ad_account_id": job.row.ad_account_id,
                    "file": job.row.file.to_string_lossy(),
                    "query": job.row.query,
                    "state": job.row.state,
                    "message": job.row.message,
                    "created_at": job.row.created_at,
                    "updated_at": job.row.updated_at,
                    "counts": job.counts,
                    "suppressed": job.scan.as_ref().map_or(0, |s| s.lists.iter().map(|l| l.suppressed).sum::<u64>()),
                    "lists": job.lists,
                    "sync": job.sync,
                })
            })
            .collect();
        return Ok(emit(&(serde_json::to_string_pretty(&listed)? + "\n"))?);
    }
    if jobs.is_empty() {
        return Ok(emit("No upload jobs yet.\n")?);
    }
    let mut out = format!(
        "{:>5}  {:<22} {:<14} {:>21}  {}\n",
        "JOB", "STATE", "CONNECTION", "RECORDS ACKED", "FILE"
    );
    for JobOverview { row, counts, .. } in &jobs {
        out += &format!(
            "{:>5}  {:<22} {:<14} {:>21}  {}\n",
            row.id,
            row.state.label(),
            row.connection,
            format!("{}/{}", group(counts.records_acked), group(counts.records)),
            row.source()
        );
        if row.state.is_unfinished() && row.state != JobState::Running {
            out += &format!("       resume with: audience-desk resume {}\n", row.id);
        }
    }
    Ok(emit(&out)?)
}
