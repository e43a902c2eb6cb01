//! The command line: the same core as the desktop app, with printed results.

mod alerts;
mod args;
mod audiences;
mod connections;
mod databases;
mod generate;
mod inspect;
mod prepare;
mod privacy;
mod progress;
mod secrets;
mod syncs;
pub mod text;
mod upload;

use std::time::Duration;

pub use args::{Cli, Command, ConnectionCommand, FileArgs, SimArgs, SyncArgs, SyncCommand};

/// The way out of a failed command, found along its causes, as the command line words it:
/// a command to run.
pub fn remedy_of(error: &anyhow::Error) -> Option<String> {
    use crate::remedy::HasRemedy;
    error.chain().find_map(|cause| {
        let remedy = if let Some(e) = cause.downcast_ref::<crate::pinterest::PinterestError>() {
            e.remedy()
        } else if let Some(e) = cause.downcast_ref::<crate::store::StoreError>() {
            e.remedy()
        } else if let Some(e) = cause.downcast_ref::<crate::upload::JobError>() {
            e.remedy()
        } else if let Some(e) = cause.downcast_ref::<crate::source::SourceError>() {
            e.remedy()
        } else if let Some(e) = cause.downcast_ref::<crate::store::SecretError>() {
            e.remedy()
        } else if let Some(e) = cause.downcast_ref::<crate::audiences::AudienceError>() {
            e.remedy()
        } else if let Some(e) = cause.downcast_ref::<crate::alerts::AlertError>() {
            e.remedy()
        } else if let Some(e) = cause.downcast_ref::<crate::privacy::PrivacyError>() {
            e.remedy()
        } else {
            None
        };
        remedy.map(|r| r.command())
    })
}

/// Runs one command-line command; `gui` is the binary's to open.
pub fn run(command: Command) -> anyhow::Result<()> {
    // Archives and workbooks are expanded in the home's scratch folder, also by the commands
    // that open no core (inspect, prepare).
    let home = crate::home::home_dir();
    crate::source::set_expansion_root(&crate::source::MemoryBudget::in_home(&home).scratch_root);
    let result = dispatch(command);
    // Expanded copies of archives and workbooks go with the command.
    crate::source::forget_expanded();
    result
}

fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Gui { .. } => anyhow::bail!("the desktop app is opened by the binary, not here"),
        Command::Inspect { file, json, rows } => inspect::run(&file, json, rows),
        Command::Prepare { file, out } => prepare::run(&file, &out),
        Command::Connection { action } => connections::manage(action),
        Command::Connect {
            name,
            timeout,
            switch_user,
        } => block_on(connections::connect(&name, timeout, switch_user)),
        Command::Accounts { name, json } => block_on(connections::accounts(&name, json)),
        Command::Lists { name, json } => block_on(connections::lists(&name, json)),
        Command::Sim(args) => block_on(connections::sim(args)),
        Command::Upload {
            file,
            connection,
            new_list,
            list,
            mode,
            no_audience,
            dry_run,
            batch_size,
            writes_per_minute,
            max_removal_share,
            floor,
        } => {
            let target = match (new_list, list) {
                (Some(name), _) => crate::upload::Target::NewList(name),
                (None, Some(id)) => crate::upload::Target::List(id),
                (None, None) => anyhow::bail!("name the target: --new-list NAME or --list ID"),
            };
            let spec = crate::upload::JobSpec {
                max_removal_share,
                floor,
                ..crate::upload::JobSpec::new(mode.into(), target, !no_audience, batch_size)
            };
            block_on(upload::upload(
                &file,
                &connection,
                spec,
                dry_run,
                writes_per_minute,
            ))
        }
        Command::Sync { action } => block_on(syncs::run(action)),
        Command::Lookalike {
            connection,
            seeds,
            country,
            percent,
            name,
        } => {
            let request = crate::audiences::Lookalike {
                seeds,
                country: country.trim().to_ascii_uppercase(),
                percent,
                name,
            };
            block_on(audiences::lookalike(&connection, &request))
        }
        Command::Share {
            connection,
            audience_id,
            with,
            revoke,
        } => block_on(audiences::share(&connection, &audience_id, &with, revoke)),
        Command::Reach {
            connection,
            audience_id,
            json,
        } => block_on(audiences::reach(&connection, &audience_id, json)),
        Command::Tags { connection, json } => block_on(audiences::tags(&connection, json)),
        Command::Websites { connection, json } => block_on(audiences::websites(&connection, json)),
        Command::Visitors(args) => block_on(audiences::visitors(args)),
        Command::Engagers(args) => block_on(audiences::engagers(args)),
        Command::Audience { action } => block_on(audiences::audience(action)),
        Command::Jobs { json } => upload::jobs(json),
        Command::Secrets { action } => secrets::run(action),
        Command::Database { action } => databases::run(action),
        Command::Alerts { action } => block_on(alerts::run(action)),
        Command::Find {
            value,
            namespace,
            json,
        } => privacy::find(&value, namespace, json),
        Command::Suppress { action } => privacy::suppress(action),
        Command::Erase(args) => block_on(privacy::erase(args)),
        Command::Generate { what } => generate::run(what),
        Command::Resume {
            job_id,
            confirm_removals,
            writes_per_minute,
        } => block_on(upload::resume(job_id, confirm_removals, writes_per_minute)),
    }
}

/// Interrupts `control` on Ctrl-C: jobs in flight stop after their batches and stay
/// resumable.
pub(super) fn interrupt_on_ctrl_c(
    control: &std::sync::Arc<crate::upload::Control>,
) -> tokio::task::JoinHandle<()> {
    let control = control.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("\nStopping after the batches in flight...");
            control.interrupt();
        }
    })
}

/// Runs a command's work on a runtime of its own, then lets token refreshes still in flight
/// reach the home before the runtime (and the process) goes.
fn block_on<T>(work: impl std::future::Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    let runtime = runtime()?;
    let result = runtime.block_on(work);
    runtime.block_on(crate::pinterest::settle_refreshes(Duration::from_secs(30)));
    result
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
