//! Saved syncs: each with its health, last and next run; a sync's settings, Run now, and its
//! history as a table and a plot of the identities each run sent.

use eframe::egui::{self, Color32, RichText};
use egui_plot::{Bar, BarChart};

use crate::display::{count, group, relative, timestamp};
use crate::gui::Action;
use crate::gui::state::{LiveRun, State};
use crate::gui::syncs::Action as Syncs;
use crate::gui::widgets;
use crate::store::RunState;
use crate::syncs::{Health, Phase, RunView, Schedule, SyncOverview, SyncTarget};
use crate::upload::Mode;

pub fn ui(ui: &mut egui::Ui, state: &State, actions: &mut Vec<Action>) {
    ui.heading("Syncs");
    let syncs = &state.syncs;
    if syncs.entries.is_empty() {
        ui.label(
            "No syncs yet. Open a file on the Upload screen, set where it goes, then use Save \
             as sync: it keeps the list up to date by hand, on a schedule or whenever the \
             file changes.",
        );
        return;
    }
    let shown = state.shown_sync();
    widgets::side_list(ui, "sync_list", |ui| {
        for sync in &syncs.entries {
            let name = &sync.row.name;
            let picked = shown.is_some_and(|s| s.row.name == *name);
            let text = format!("{name}: {}", health_label(sync, syncs.live.get(name)));
            if ui.selectable_label(picked, text).clicked() {
                actions.push(Syncs::Select(name.clone()).into());
            }
            ui.label(RichText::new(last_and_next(sync)).small());
            ui.add_space(4.0);
        }
    });
    if let Some(sync) = shown {
        egui::ScrollArea::vertical().show(ui, |ui| detail(ui, state, sync, actions));
    }
}

/// The health as shown, "running" while this window runs it.
fn health_label(sync: &SyncOverview, live: Option<&LiveRun>) -> &'static str {
    match live {
        Some(_) => Health::Running.label(),
        None => sync.health.label(),
    }
}

fn health_color(ui: &egui::Ui, health: Health) -> Color32 {
    match health {
        Health::Ok => Color32::from_rgb(0x2e, 0x9e, 0x4f),
        Health::Failing | Health::WaitingForReconnect => ui.visuals().error_fg_color,
        Health::NeedsConfirmation => ui.visuals().warn_fg_color,
        Health::Running | Health::NeverRun => ui.visuals().text_color(),
    }
}

fn last_and_next(sync: &SyncOverview) -> String {
    let last = sync.last.as_ref().map_or_else(
        || "never run".to_owned(),
        |r| format!("last {} {}", r.state.as_str(), relative(r.started_at)),
    );
    let next = match (sync.next_due, sync.settings.as_ref().map(|s| s.schedule)) {
        (Some(at), _) => format!("next {}", relative(at)),
        (None, Some(Schedule::OnChange)) => "next when the file changes".into(),
        _ => "runs when asked".into(),
    };
    format!("{last}; {next}")
}

fn detail(ui: &mut egui::Ui, state: &State, sync: &SyncOverview, actions: &mut Vec<Action>) {
    let name = &sync.row.name;
    let live = state.syncs.live.get(name);
    ui.horizontal(|ui| {
        ui.heading(name);
        let health = if live.is_some() {
            Health::Running
        } else {
            sync.health
        };
        ui.label(
            RichText::new(health.label())
                .strong()
                .color(health_color(ui, health)),
        );
    });
    crate::gui::connections::banner::ui(ui, state, &sync.row.connection, actions);
    if let Some(problem) = &sync.problem {
        widgets::error(ui, problem);
    }
    if let Some(form) = state.syncs.edit.as_ref().filter(|f| f.editing == *name) {
        super::editor::ui(ui, state, form, actions);
    } else if let Some(settings) = &sync.settings {
        widgets::facts(ui, ("sync_settings", sync.row.id), |row| {
            row("Connection", sync.row.connection.clone());
            row("Source", settings.source.describe());
            let mapped: Vec<String> = settings
                .identity_columns()
                .map(|c| format!("{} as {}", c.name, c.namespace.label()))
                .collect();
            row("Columns", mapped.join(", "));
            row(
                "Lists",
                match &settings.target {
                    SyncTarget::NewList(list) => {
                        format!("\"{list}\" (made on the first run, then kept)")
                    }
                    SyncTarget::List(id) => format!("existing list {id}"),
                },
            );
            row(
                "Mode",
                match settings.mode {
                    Mode::Mirror => "mirror: the list holds exactly the file",
                    Mode::Add => "add the file's people",
                    Mode::Remove => "remove the file's people",
                }
                .into(),
            );
            row("Schedule", settings.schedule.describe());
            row("Runs", last_and_next(sync));
        });
    }
    ui.add_space(6.0);
    controls(ui, state, sync, live, actions);
    if let Some(live) = live {
        run_progress(ui, live);
    }
    if let Some(message) = sync.last.as_ref().and_then(|r| r.message.as_ref())
        && sync.last.as_ref().is_some_and(|r| r.state.is_failure())
    {
        widgets::error(ui, message);
        // A refused run is usually the sync's settings against a file that changed.
        if sync
            .last
            .as_ref()
            .is_some_and(|r| r.state == RunState::Refused)
            && state.syncs.edit.is_none()
            && ui.button("Edit the sync").clicked()
        {
            actions.push(Syncs::OpenEditor(name.clone()).into());
        }
    }
    ui.add_space(8.0);
    match &state.syncs.history {
        Some((of, runs)) if of == name => history(ui, name, sync.row.id, runs, actions),
        _ => {
            widgets::busy(ui, "Reading the runs...");
        }
    }
}

fn controls(
    ui: &mut egui::Ui,
    state: &State,
    sync: &SyncOverview,
    live: Option<&LiveRun>,
    actions: &mut Vec<Action>,
) {
    let name = sync.row.name.as_str();
    ui.horizontal(|ui| {
        if live.is_some() {
            if ui
                .button("Stop")
                .on_hover_text("Batches in flight finish; the next run goes on from there")
                .clicked()
            {
                actions.push(Syncs::Stop(name.to_owned()).into());
            }
        } else if ui
            .button(RichText::new("Run now").strong())
            .on_hover_text("Read the file and send what changed; an unchanged file is skipped")
            .clicked()
        {
            actions.push(Syncs::Run(name.to_owned()).into());
        }
        if live.is_none()
            && sync.health == Health::NeedsConfirmation
            && ui
                .button("Send the held removals")
                .on_hover_text(
                    "Run it again and remove the people the file no longer has, however many",
                )
                .clicked()
        {
            actions.push(Syncs::RunConfirming(name.to_owned()).into());
        }
        if state.syncs.confirm_remove {
            ui.label(format!("Remove '{name}' and its history?"));
            if ui.button("Remove").clicked() {
                actions.push(Syncs::Remove(name.to_owned()).into());
            }
            if ui.button("Keep it").clicked() {
                actions.push(Syncs::CancelRemove.into());
            }
        } else if state.syncs.edit.is_none()
            && ui
                .add_enabled(live.is_none(), egui::Button::new("Edit settings..."))
                .on_hover_text("Name, connection, file, mapping, lists, mode and schedule")
                .clicked()
        {
            actions.push(Syncs::OpenEditor(name.to_owned()).into());
        }
        if !state.syncs.confirm_remove
            && ui
                .add_enabled(live.is_none(), egui::Button::new("Remove sync..."))
                .on_hover_text("Its lists stay on Pinterest and its jobs in the Jobs screen")
                .clicked()
        {
            actions.push(Syncs::AskRemove.into());
        }
    });
}

fn run_progress(ui: &mut egui::Ui, live: &LiveRun) {
    let p = live.progress.borrow();
    match (p.phase, &p.job) {
        (Phase::Sending, Some(job)) => {
            let fraction = if job.records_total == 0 {
                0.0
            } else {
                job.records_acked as f32 / job.records_total as f32
            };
            ui.add(egui::ProgressBar::new(fraction).text(format!(
                "Sending: {} of {} records ({})",
                group(job.records_acked),
                group(job.records_total),
                job.state.label()
            )));
        }
        (Phase::Reading, _) => {
            let fraction = if p.scan.total_bytes == 0 {
                0.0
            } else {
                p.scan.bytes_read as f32 / p.scan.total_bytes as f32
            };
            ui.add(egui::ProgressBar::new(fraction).text(format!(
                "Reading the file: {}",
                count(p.scan.rows, "row", "rows")
            )));
        }
        _ => {
            widgets::busy(ui, "Checking the file...");
        }
    }
}

/// Identities a run sent: what it added and removed (the plan's counts).
fn sent(run: &RunView) -> (u64, u64, u64) {
    run.report.as_ref().map_or((0, 0, 0), |r| {
        r.lists.iter().fold((0, 0, 0), |(a, d, u), l| {
            (a + l.added, d + l.removed, u + l.unchanged)
        })
    })
}

fn history(ui: &mut egui::Ui, name: &str, id: i64, runs: &[RunView], actions: &mut Vec<Action>) {
    if runs.is_empty() {
        ui.label("No runs yet: Run now, or wait for its schedule.");
        return;
    }
    ui.strong("Identities sent per run");
    let added: Vec<Bar> = runs
        .iter()
        .map(|r| Bar::new(r.row.id as f64, sent(r).0 as f64).name(format!("run {}", r.row.id)))
        .collect();
    let removed: Vec<Bar> = runs
        .iter()
        .map(|r| Bar::new(r.row.id as f64, sent(r).1 as f64).name(format!("run {}", r.row.id)))
        .collect();
    let added = BarChart::new("added", added)
        .color(Color32::from_rgb(0x2e, 0x9e, 0x4f))
        .width(0.6);
    let removed = BarChart::new("removed", removed)
        .color(Color32::from_rgb(0xc0, 0x5a, 0x3a))
        .width(0.6)
        .stack_on(&[&added]);
    // A run or two would otherwise fill the whole width as one block.
    let (first, last) = (runs[0].row.id as f64, runs[runs.len() - 1].row.id as f64);
    widgets::count_plot(("sync_runs", id))
        .include_x(first - 1.0)
        .include_x(last + 1.0)
        .x_axis_label("run")
        .legend(egui_plot::Legend::default())
        .show(ui, |plot| {
            plot.bar_chart(added);
            plot.bar_chart(removed);
        });
    ui.add_space(6.0);
    ui.strong("Runs, newest first");
    egui::Grid::new(("sync_history", id))
        .striped(true)
        .show(ui, |ui| {
            for title in [
                "Run",
                "Started",
                "Took",
                "Job",
                "State",
                "Rows",
                "Added",
                "Removed",
                "Unchanged",
                "Rejected",
                "Kept out",
                "Retries",
                "Rejects",
                "Note",
            ] {
                ui.strong(title);
            }
            ui.end_row();
            for run in runs.iter().rev() {
                let row = &run.row;
                let (added, removed, unchanged) = sent(run);
                ui.label(row.id.to_string());
                ui.label(crate::display::local_time(row.started_at))
                    .on_hover_text(timestamp(row.started_at));
                ui.label(row.ended_at.map_or(String::new(), |end| {
                    crate::display::duration((end - row.started_at).max(0) as u64)
                }));
                match row.job_id {
                    Some(job) => {
                        if ui
                            .small_button(format!("Job {job}"))
                            .on_hover_text("The run's upload job, on the Jobs screen")
                            .clicked()
                        {
                            actions.push(crate::gui::jobs::Action::Select(job).into());
                            actions.push(Action::ShowView(crate::gui::state::View::Jobs));
                        }
                    }
                    None => {
                        ui.label("");
                    }
                }
                let color = match row.state {
                    state if state.is_failure() => ui.visuals().error_fg_color,
                    RunState::Completed => Color32::from_rgb(0x2e, 0x9e, 0x4f),
                    _ => ui.visuals().text_color(),
                };
                ui.colored_label(color, row.state.as_str());
                let report = run.report.as_ref();
                ui.label(report.map_or(String::new(), |r| group(r.rows)));
                ui.label(group(added));
                ui.label(group(removed));
                ui.label(group(unchanged));
                ui.label(report.map_or(String::new(), |r| group(r.rejected.values().sum())));
                ui.label(report.map_or(String::new(), |r| group(r.suppressed)))
                    .on_hover_text("Suppressed: never sent (Privacy screen)");
                ui.label(report.map_or(String::new(), |r| r.retries.to_string()));
                let rejected: u64 = report.map_or(0, |r| r.rejected.values().sum());
                if rejected > 0 && row.file_digest.is_some() {
                    if ui
                        .small_button(format!("Save {}...", group(rejected)))
                        .on_hover_text("Each refused row with its line and reason, as a CSV file")
                        .clicked()
                    {
                        actions.push(
                            Syncs::RunRejects {
                                sync: name.to_owned(),
                                run: row.id,
                            }
                            .into(),
                        );
                    }
                } else {
                    ui.label("");
                }
                ui.label(
                    row.message
                        .as_deref()
                        .map(|m| crate::display::clipped(m, 90))
                        .unwrap_or_default(),
                )
                .on_hover_text(row.message.clone().unwrap_or_default());
                ui.end_row();
            }
        });
}
