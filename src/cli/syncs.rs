//! `audience-desk sync ...`: saved syncs from the command line.

use std::sync::Arc;
use std::time::Duration;

use indicatif::ProgressBar;
use tokio::sync::watch;

use super::args::{SyncArgs, SyncCommand};
use super::text::{emit, group};
use crate::context::Core;
use crate::source::{Preview, PreviewOptions};
use crate::store::RunState;
use crate::syncs::{
    Phase, RunOutcome, RunProgress, RunReport, RunView, Schedule, Source, SyncOverview,
    SyncSettings, SyncTarget, Trigger, WatchEvent, Watcher, run_sync, schedule_hints,
};
use crate::upload::{Control, DEFAULT_BATCH_SIZE, Mode};

pub async fn run(action: SyncCommand) -> anyhow::Result<()> {
    match action {
        SyncCommand::Add { name, settings } => add(&name, &settings),
        SyncCommand::Edit {
            name,
            rename,
            settings,
        } => edit(&name, rename.as_deref(), &settings),
        SyncCommand::Remove { name } => {
            let removed = crate::syncs::remove(&Core::open()?, &name)?;
            Ok(emit(&format!(
                "Removed sync '{}' and its history.\n",
                removed.name
            ))?)
        }
        SyncCommand::List { json } => list(json),
        SyncCommand::Run {
            name,
            confirm_removals,
            writes_per_minute,
        } => run_now(&name, confirm_removals, writes_per_minute).await,
        SyncCommand::History { name, json, limit } => history(&name, json, limit),
        SyncCommand::Watch {
            settle,
            writes_per_minute,
        } => watch_all(Duration::from_secs(settle), writes_per_minute).await,
        SyncCommand::ScheduleHint { name } => {
            let core = Core::open()?;
            let sync = crate::syncs::overview_of(&core, &name)?;
            let schedule = sync
                .settings
                .map_or(Schedule::Manual, |settings| settings.schedule);
            let program = std::env::current_exe()?;
            Ok(emit(&schedule_hints(
                &name,
                schedule,
                &program,
                &core.home,
                core.secret_place,
            ))?)
        }
    }
}

fn source_of(args: &SyncArgs) -> Option<Source> {
    if let (Some(database), Some(sql)) = (&args.database, &args.query) {
        return Some(Source::Query(crate::source::Query {
            database: database.clone(),
            sql: sql.clone(),
        }));
    }
    match (&args.file, &args.folder, &args.pattern) {
        (Some(path), _, _) => Some(Source::File(absolute(path))),
        (None, Some(dir), Some(pattern)) => Some(Source::Folder {
            dir: absolute(dir),
            pattern: pattern.clone(),
        }),
        _ => None,
    }
}

/// A sync runs later, from wherever: its paths are kept whole.
fn absolute(path: &std::path::Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

fn schedule_of(args: &SyncArgs) -> anyhow::Result<Option<Schedule>> {
    Ok(match (&args.every, args.on_change, args.by_hand) {
        (Some(every), _, _) => Some(Schedule::every(every).map_err(anyhow::Error::msg)?),
        (None, true, _) => Some(Schedule::OnChange),
        (None, false, true) => Some(Schedule::Manual),
        _ => None,
    })
}

/// Reads the source's current file for its format and columns, mapped as `args` says.
fn read_columns(settings: &mut SyncSettings, args: &SyncArgs) -> anyhow::Result<()> {
    let (path, _) = crate::syncs::current_file(&settings.source).map_err(anyhow::Error::msg)?;
    // A query's result has a header row of its column names, comma-separated.
    let query = matches!(settings.source, Source::Query(_));
    let preview = Preview::load(
        &path,
        &PreviewOptions {
            mappings: args.map.clone(),
            sample_rows: 0,
            part: settings.part.clone(),
            header: query.then_some(true),
            delimiter: query.then_some(crate::source::Delimiter::Comma),
        },
    )?;
    settings.take_columns(&preview);
    Ok(())
}

fn add(name: &str, args: &SyncArgs) -> anyhow::Result<()> {
    let core = Core::open()?;
    let connection = args
        .connection
        .clone()
        .ok_or_else(|| anyhow::anyhow!("name the connection: --connection NAME"))?;
    let source = source_of(args).ok_or_else(|| {
        anyhow::anyhow!(
            "name the source: --file PATH, --folder DIR --pattern GLOB, or --database URL \
             --query SQL"
        )
    })?;
    let target = match (&args.list_name, &args.list) {
        (Some(name), _) => SyncTarget::NewList(name.clone()),
        (None, Some(id)) => SyncTarget::List(id.clone()),
        (None, None) => anyhow::bail!("name the target: --new-list LISTNAME or --list LIST_ID"),
    };
    let mut settings = SyncSettings {
        source,
        header: true,
        delimiter: crate::source::Delimiter::Comma,
        columns: Vec::new(),
        target,
        mode: args.mode.map_or(Mode::Mirror, Mode::from),
        create_audience: !args.no_audience,
        schedule: schedule_of(args)?.unwrap_or(Schedule::Manual),
        batch_size: args.batch_size.unwrap_or(DEFAULT_BATCH_SIZE),
        max_removal_share: args.max_removal_share,
        floor: args.floor,
        part: crate::source::Part {
            sheet: args.sheet.clone(),
            member: args.member.clone(),
        },
    };
    read_columns(&mut settings, args)?;
    let sync = crate::syncs::add(&core, name, &connection, &settings)?;
    emit(&format!(
        "Saved sync '{}': {}.\nRun it now with `audience-desk sync run {}`{}.\n",
        sync.name,
        describe_settings(&settings, &sync.connection),
        crate::display::shell_quote(&sync.name),
        match settings.schedule {
            Schedule::Manual => "",
            _ => ", or keep `audience-desk sync watch` running (or the app open)",
        }
    ))?;
    Ok(())
}

fn edit(name: &str, rename: Option<&str>, args: &SyncArgs) -> anyhow::Result<()> {
    let core = Core::open()?;
    let sync = crate::syncs::overview_of(&core, name)?;
    let mut settings = match (sync.settings, sync.problem) {
        (Some(settings), _) => settings,
        (None, problem) => anyhow::bail!(problem.unwrap_or_default()),
    };
    let source = source_of(args);
    let reread = source.is_some() || !args.map.is_empty();
    if let Some(source) = source {
        settings.source = source;
    }
    match (&args.list_name, &args.list) {
        (Some(name), _) => settings.target = SyncTarget::NewList(name.clone()),
        (None, Some(id)) => settings.target = SyncTarget::List(id.clone()),
        _ => {}
    }
    if let Some(mode) = args.mode {
        settings.mode = mode.into();
    }
    if args.no_audience {
        settings.create_audience = false;
    }
    if args.audience {
        settings.create_audience = true;
    }
    if let Some(schedule) = schedule_of(args)? {
        settings.schedule = schedule;
    }
    if let Some(size) = args.batch_size {
        settings.batch_size = size;
    }
    if let Some(floor) = args.floor {
        settings.floor = Some(floor);
    }
    if let Some(share) = args.max_removal_share {
        settings.max_removal_share = Some(share);
    }
    if reread {
        read_columns(&mut settings, args)?;
    }
    let connection = args.connection.as_deref().unwrap_or(&sync.row.connection);
    let saved = crate::syncs::edit(&core, name, rename.unwrap_or(name), connection, &settings)?;
    Ok(emit(&format!(
        "Saved sync '{}': {}.\n",
        saved.name,
        describe_settings(&settings, &saved.connection)
    ))?)
}

/// "mirror /data/x.csv into new lists "Spring" via main, every hour".
pub fn describe_settings(settings: &SyncSettings, connection: &str) -> String {
    let mode = settings.mode.as_str();
    let target = match &settings.target {
        SyncTarget::NewList(name) => format!("the lists \"{name}\" (made on the first run)"),
        SyncTarget::List(id) => format!("list {id}"),
    };
    let mapped: Vec<String> = settings
        .identity_columns()
        .map(|c| format!("{}={}", c.name, c.namespace))
        .collect();
    format!(
        "{mode} {} into {target} via '{connection}' ({}), {}",
        settings.source.describe(),
        mapped.join(", "),
        settings.schedule.describe()
    )
}

fn list(json: bool) -> anyhow::Result<()> {
    let core = Core::open()?;
    let syncs = crate::syncs::list(&core)?;
    if json {
        let listed: Vec<serde_json::Value> = syncs.iter().map(sync_json).collect();
        return Ok(emit(&(serde_json::to_string_pretty(&listed)? + "\n"))?);
    }
    if syncs.is_empty() {
        return Ok(emit(
            "No syncs yet; save one with `audience-desk sync add NAME --connection C --file \
             PATH --new-list LISTNAME`.\n",
        )?);
    }
    let mut out = format!(
        "{:<20} {:<22} {:<16} {:<26} {}\n",
        "SYNC", "HEALTH", "SCHEDULE", "LAST RUN", "NEXT RUN"
    );
    for sync in &syncs {
        let last = sync.last.as_ref().map_or_else(
            || "never".to_owned(),
            |r| {
                format!(
                    "{} {}",
                    r.state.as_str(),
                    super::text::relative(r.started_at)
                )
            },
        );
        let next = match (sync.next_due, &sync.settings) {
            (Some(at), _) => super::text::relative(at),
            (None, Some(s)) if s.schedule == Schedule::OnChange => "when the file changes".into(),
            _ => "when asked".into(),
        };
        out += &format!(
            "{:<20} {:<22} {:<16} {:<26} {}\n",
            sync.row.name,
            sync.health.label(),
            sync.schedule_label(),
            last,
            next
        );
        if let Some(problem) = &sync.problem {
            out += &format!("    {problem}\n");
        }
    }
    Ok(emit(&out)?)
}

fn sync_json(sync: &SyncOverview) -> serde_json::Value {
    serde_json::json!({
        "name": sync.row.name,
        "connection": sync.row.connection,
        "settings": sync.settings,
        "problem": sync.problem,
        "health": sync.health,
        "last_run": sync.last,
        "next_run_at": sync.next_due,
        "created_at": sync.row.created_at,
        "updated_at": sync.row.updated_at,
    })
}

fn history(name: &str, json: bool, limit: usize) -> anyhow::Result<()> {
    let core = Core::open()?;
    let runs = crate::syncs::history(&core, name, limit)?;
    if json {
        return Ok(emit(&(serde_json::to_string_pretty(&runs)? + "\n"))?);
    }
    if runs.is_empty() {
        return Ok(emit(&format!(
            "Sync '{name}' has not run yet; run it with `audience-desk sync run {name}`.\n"
        ))?);
    }
    let mut out = String::new();
    for run in &runs {
        out += &describe_run(run);
    }
    Ok(emit(&out)?)
}

/// A run as a few lines: when, how it ended, the file, the counts per list, the trouble.
fn describe_run(run: &RunView) -> String {
    let row = &run.row;
    let mut out = format!(
        "Run {} {}: {}{}{}\n",
        row.id,
        crate::display::timestamp(row.started_at),
        row.state.as_str(),
        row.ended_at
            .map(|end| format!(" in {} s", (end - row.started_at).max(0)))
            .unwrap_or_default(),
        row.job_id
            .map(|j| format!(" (job {j})"))
            .unwrap_or_default()
    );
    if let Some(file) = &row.file {
        out += &format!(
            "  file {}{}\n",
            crate::syncs::describe_file(file),
            row.file_digest
                .as_deref()
                .map(|d| format!(", sha256 {}", &d[..d.len().min(16)]))
                .unwrap_or_default()
        );
    }
    if let Some(report) = &run.report {
        out += &describe_report(report);
    }
    if let Some(message) = &row.message {
        out += &format!("  {message}\n");
    }
    out
}

fn describe_report(report: &RunReport) -> String {
    let rejected: Vec<String> = report
        .rejected
        .iter()
        .map(|(reason, n)| format!("{reason} {}", group(*n)))
        .collect();
    let mut out = format!(
        "  {}, {} valid, {}{}\n",
        crate::display::count(report.rows, "row", "rows"),
        group(report.valid),
        crate::display::count(report.duplicates, "duplicate", "duplicates"),
        if rejected.is_empty() {
            String::new()
        } else {
            format!("; rejected: {}", rejected.join(", "))
        }
    );
    for list in &report.lists {
        out += &format!(
            "  {:<5} {} ({}): added {}, removed {}, unchanged {}{}\n",
            list.list_type.as_str(),
            list.name,
            list.list_id.as_deref().unwrap_or("not created"),
            group(list.added),
            group(list.removed),
            group(list.unchanged),
            if list.suppressed == 0 {
                String::new()
            } else {
                format!(", kept out (suppressed) {}", group(list.suppressed))
            }
        );
    }
    if report.records_planned > 0 {
        out += &format!(
            "  sent {} of {}; {}, {}, {} waiting\n",
            group(report.records_sent),
            crate::display::count(report.records_planned, "record", "records"),
            crate::display::count(report.retries, "retry", "retries"),
            crate::display::count(
                report.rate_limited,
                "rate-limit answer",
                "rate-limit answers"
            ),
            crate::display::duration(report.rate_limit_wait_ms / 1000)
        );
    }
    out
}

fn open_core(writes_per_minute: u32) -> anyhow::Result<Arc<Core>> {
    Ok(Arc::new(super::upload::open_core(writes_per_minute)?))
}

async fn run_now(name: &str, confirm: bool, writes_per_minute: u32) -> anyhow::Result<()> {
    let core = open_core(writes_per_minute)?;
    let control = Arc::new(Control::default());
    let interrupt = super::interrupt_on_ctrl_c(&control);
    let (sender, mut receiver) = watch::channel(RunProgress::default());
    let bar = super::progress::bar(1, "reading");
    let shown = {
        let bar = bar.clone();
        tokio::spawn(async move {
            while receiver.changed().await.is_ok() {
                let p = receiver.borrow().clone();
                show_progress(&bar, &p);
            }
        })
    };
    let trigger = match confirm {
        true => Trigger::NowConfirmingRemovals,
        false => Trigger::Now,
    };
    let result = run_sync(core.clone(), name, control, sender, trigger).await;
    interrupt.abort();
    let _ = shown.await;
    bar.finish_and_clear();
    crate::alerts::after_command(&core).await;
    let outcome = result?.ok_or_else(|| anyhow::anyhow!("the run did not start"))?;
    let views = crate::syncs::history(&core, name, 1)?;
    if let Some(view) = views.last() {
        emit(&describe_run(view))?;
    }
    ended_well(name, &outcome)
}

fn show_progress(bar: &ProgressBar, progress: &RunProgress) {
    match (progress.phase, &progress.job) {
        (Phase::Sending, Some(job)) => {
            bar.set_message(format!("sending ({})", job.state.label()));
            bar.set_length(job.records_total.max(1));
            bar.set_position(job.records_acked);
        }
        (Phase::Reading, _) => {
            bar.set_message("reading");
            super::progress::update(bar, progress.scan);
        }
        _ => bar.set_message("checking"),
    }
}

/// The exit of `sync run`: zero for a run that completed or had nothing to do.
fn ended_well(name: &str, outcome: &RunOutcome) -> anyhow::Result<()> {
    match outcome.state {
        RunState::Completed | RunState::Skipped => Ok(()),
        RunState::Held => anyhow::bail!(
            "sync '{name}' run {}: additions sent, {}; to send them: audience-desk sync run {} \
             --confirm-removals",
            outcome.run,
            outcome.message.as_deref().unwrap_or_default(),
            crate::display::shell_quote(name)
        ),
        state => anyhow::bail!(
            "sync '{name}' run {} {}{}",
            outcome.run,
            state.as_str(),
            outcome
                .message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        ),
    }
}

async fn watch_all(settle: Duration, writes_per_minute: u32) -> anyhow::Result<()> {
    let core = open_core(writes_per_minute)?;
    let syncs = crate::syncs::list(&core)?;
    emit(&format!(
        "Watching {} sync{} in {}; Ctrl-C stops.\n",
        syncs.len(),
        if syncs.len() == 1 { "" } else { "s" },
        core.home.display()
    ))?;
    let control = Arc::new(Control::default());
    let interrupt = super::interrupt_on_ctrl_c(&control);
    // Alerts about what the runs (and anything else on this home) do, beside them.
    let alerts = tokio::spawn({
        let (core, control) = (core.clone(), control.clone());
        crate::alerts::keep_sending(core, move || control.is_cancelled())
    });
    let watcher = Watcher::new(core, control, settle);
    watcher
        .watch(|event| {
            let now = crate::display::timestamp(crate::os::now());
            let line = match event {
                WatchEvent::Started { sync, .. } => format!("{now} {sync}: run started\n"),
                WatchEvent::NotRun { sync, .. } => {
                    format!("{now} {sync}: run by another process; nothing to do here\n")
                }
                WatchEvent::Ended { sync, outcome, .. } => format!(
                    "{now} {sync}: run {} {}{}\n",
                    outcome.run,
                    outcome.state.as_str(),
                    outcome
                        .message
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ),
                WatchEvent::Trouble { sync, message, .. } => {
                    format!("{now} {sync}: {message}\n")
                }
                WatchEvent::Health(news) => format!("{now} {}\n", news.sentence()),
            };
            let _ = emit(&line);
        })
        .await;
    interrupt.abort();
    let _ = alerts.await;
    Ok(())
}
