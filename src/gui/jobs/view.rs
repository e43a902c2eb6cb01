//! Running and past upload jobs: progress, counts, controls, throughput and the summary.

use eframe::egui::{self, RichText};
use egui_plot::{Line, PlotPoints};

use crate::display::group;
use crate::gui::Action;
use crate::gui::command::Command;
use crate::gui::jobs::Action as Jobs;
use crate::gui::lists::Action as Lists;
use crate::gui::state::{JobsState, State};
use crate::gui::widgets;
use crate::overview::JobOverview;
use crate::store::JobState;
use crate::upload::{JobProgress, JobReport};

fn fraction(p: &JobProgress) -> f32 {
    if p.records_total == 0 {
        return if p.state == JobState::Completed {
            1.0
        } else {
            0.0
        };
    }
    (p.records_acked as f64 / p.records_total as f64) as f32
}

fn duration(seconds: f64) -> String {
    crate::display::duration(seconds.max(0.0).round() as u64)
}

/// A job's state as a badge, as the Audiences screen shows an audience's.
/// `pausing`: asked to pause, with batches still in flight.
fn state_badge(ui: &mut egui::Ui, state: JobState, pausing: bool) -> egui::Response {
    use widgets::tone;
    let (text, fill, hover) = match state {
        JobState::Running if pausing => (
            "pausing",
            tone::WAITING,
            "The batches in flight finish, then nothing is sent until you resume",
        ),
        JobState::Running => ("running", tone::BUSY, "Sending now"),
        JobState::Paused => ("paused", tone::WAITING, "Nothing is sent until it resumes"),
        JobState::WaitingForReconnect => (
            "waiting for login",
            tone::WAITING,
            "Continues once its connection logs in again",
        ),
        JobState::Interrupted => (
            "interrupted",
            tone::WAITING,
            "Stopped with the app or the machine; Resume continues it",
        ),
        JobState::Completed => ("completed", tone::GOOD, "Everything was sent"),
        JobState::Held => (
            "removals held",
            tone::WAITING,
            "Additions were sent; the removals wait until you confirm them",
        ),
        JobState::Failed => (
            "failed",
            tone::BAD,
            "Resume sends what was not acknowledged",
        ),
        JobState::Cancelled => (
            "cancelled",
            tone::QUIET,
            "Stopped by you; Resume sends what was not sent",
        ),
    };
    widgets::badge(ui, text, fill, hover)
}

pub fn ui(ui: &mut egui::Ui, state: &State, actions: &mut Vec<Action>) {
    let jobs = &state.jobs;
    ui.heading("Jobs");
    for entry in &jobs.entries {
        let live = jobs.live.contains_key(&entry.row.id);
        if !live && entry.row.state == JobState::Interrupted {
            ui.horizontal_wrapped(|ui| {
                widgets::warning(
                    ui,
                    format!(
                        "Job {} stopped while it ran (the app or the machine closed). Nothing \
                         acknowledged is sent twice.",
                        entry.row.id
                    ),
                );
                if ui.button(format!("Resume job {}", entry.row.id)).clicked() {
                    actions.push(Jobs::Resume(entry.row.id).into());
                }
            });
        }
    }
    if jobs.entries.is_empty() {
        ui.label("No upload jobs yet. Load a file and start an upload on the Upload screen.");
        return;
    }
    widgets::side_list(ui, "job_list", |ui| {
        for entry in &jobs.entries {
            let id = entry.row.id;
            let p = jobs.progress_of(entry);
            let text = format!(
                "Job {id}: {} ({}){}",
                entry.row.source_name(),
                p.state.label(),
                entry
                    .sync
                    .as_ref()
                    .map(|s| format!(", sync {s}"))
                    .unwrap_or_default()
            );
            if ui
                .selectable_label(jobs.selected == Some(id), text)
                .clicked()
            {
                actions.push(Jobs::Select(id).into());
            }
            ui.add(
                egui::ProgressBar::new(fraction(&p))
                    .desired_height(6.0)
                    .desired_width(ui.available_width()),
            );
            ui.add_space(4.0);
        }
    });
    let selected = jobs
        .selected
        .and_then(|id| jobs.entries.iter().find(|e| e.row.id == id))
        .or(jobs.entries.first());
    if let Some(entry) = selected {
        egui::ScrollArea::vertical().show(ui, |ui| {
            // A job waiting for its connection's login says so where it is shown.
            let waiting = jobs.progress_of(entry).state == JobState::WaitingForReconnect;
            if waiting || jobs.live.contains_key(&entry.row.id) {
                crate::gui::connections::banner::ui(ui, state, &entry.row.connection, actions);
            }
            detail(ui, jobs, entry, actions);
        });
    }
}

fn detail(ui: &mut egui::Ui, jobs: &JobsState, entry: &JobOverview, actions: &mut Vec<Action>) {
    let id = entry.row.id;
    let p = jobs.progress_of(entry);
    let live = jobs.live.get(&id);
    let pausing = live.is_some_and(|l| l.control.is_paused());
    let paused = pausing && p.state == JobState::Paused;
    let throughput = jobs.throughput.get(&id);
    ui.horizontal(|ui| {
        ui.heading(format!("Job {id}"));
        state_badge(ui, p.state, pausing);
    });
    ui.add(
        egui::Label::new(format!(
            "{} to ad account {} via '{}'",
            entry.row.source(),
            entry.row.ad_account_id,
            entry.row.connection
        ))
        .wrap(),
    );
    let lists: Vec<String> = entry
        .lists
        .iter()
        .map(|l| format!("{} ({})", l.list_name, l.list_type.label()))
        .collect();
    if !lists.is_empty() {
        ui.add(egui::Label::new(format!("Lists: {}", lists.join(", "))).wrap());
    }
    ui.label(times(entry, live.is_some()));
    ui.add_space(4.0);
    let percent = fraction(&p) * 100.0;
    ui.add(egui::ProgressBar::new(fraction(&p)).text(format!(
        "{} of {} records ({percent:.0}%)",
        group(p.records_acked),
        group(p.records_total)
    )));
    ui.horizontal(|ui| match live {
        Some(live) => {
            if live.control.is_paused() {
                if ui.button("Resume").clicked() {
                    actions.push(Jobs::Resume(id).into());
                }
            } else if ui
                .button("Pause")
                .on_hover_text("Batches in flight finish; nothing more is sent until you resume")
                .clicked()
            {
                actions.push(Jobs::Pause(id).into());
            }
            if ui
                .button("Cancel")
                .on_hover_text(Command::Cancel.hint())
                .clicked()
            {
                actions.push(Jobs::Cancel(id).into());
            }
        }
        // Held by a runner elsewhere (a sync's run, another window or command): it is
        // going on, not there to resume; the list reads the store again as it goes.
        None if p.state.is_live() => {
            ui.label(
                RichText::new(match &entry.sync {
                    Some(sync) => format!("Sent by a run of sync '{sync}'."),
                    None => "Sent by another window or command.".to_owned(),
                })
                .weak(),
            );
        }
        None if p.state == JobState::Held => {
            let confirm = ui
                .button("Send the held removals")
                .on_hover_text("Remove these people from the list, as the file says");
            if confirm.clicked() {
                actions.push(Jobs::ConfirmRemovals(id).into());
            }
        }
        None if p.state.is_unfinished() => {
            let resume = ui
                .button("Resume")
                .on_hover_text("Send the batches not yet acknowledged");
            if resume.clicked() {
                actions.push(Jobs::Resume(id).into());
            }
        }
        None => {}
    });
    if p.state == JobState::Completed && live.is_none() {
        let open = ui
            .button("Open in Audiences")
            .on_hover_text("The lists and audiences of this job's connection");
        if open.clicked() {
            actions.push(Lists::Show(entry.row.connection.clone()).into());
        }
    }
    if let Some(message) = &p.message {
        let color = match p.state {
            JobState::Failed | JobState::WaitingForReconnect => ui.visuals().error_fg_color,
            _ => ui.visuals().text_color(),
        };
        ui.colored_label(color, message);
    }

    ui.add_space(6.0);
    widgets::facts(ui, ("job_counts", id), |row| {
        row(
            "Batches",
            format!("{} of {}", group(p.batches_acked), group(p.batches_total)),
        );
        row("Retries", group(p.retries));
        row(
            "Rate-limit waits",
            format!(
                "{} answers; waited {} in all",
                group(p.rate_limited),
                duration(p.rate_limit_wait_ms as f64 / 1000.0)
            ),
        );
        if live.is_some() && pausing {
            let word = if paused { "paused" } else { "pausing" };
            row("Throughput", format!("0 records/s ({word})"));
            row("Time left", word.into());
        } else if live.is_some() {
            row(
                "Throughput",
                format!("{} records/s", group(p.records_per_second.round() as u64)),
            );
            row(
                "Time left",
                p.eta_seconds.map_or("working it out".into(), duration),
            );
        }
        if p.rows_read > 0 {
            row("Rows in the file", group(p.rows_read));
            row("Valid values", group(p.valid));
            row("Duplicates", group(p.duplicates));
            if p.suppressed > 0 {
                row("Kept out (suppressed)", group(p.suppressed));
            }
            for (reason, n) in &p.invalid {
                row(&format!("Rejected: {reason}"), group(*n));
            }
        }
    });

    if let Some(throughput) = throughput {
        ui.add_space(6.0);
        ui.strong("Throughput (records per second)");
        widgets::count_plot(("throughput", id))
            .x_axis_label("seconds")
            .show(ui, |plot| {
                plot.line(Line::new("records/s", PlotPoints::from(throughput.clone())));
            });
    }
    if let Some(report) = &entry.report {
        summary(ui, report);
    }
}

/// When the job started, and when it ended and how long it took (local time).
fn times(entry: &JobOverview, live: bool) -> String {
    let row = &entry.row;
    let started = crate::display::local_time(row.created_at);
    let took = crate::display::duration((row.updated_at - row.created_at).max(0) as u64);
    match row.state {
        _ if live => format!(
            "Started {started}; running for {}",
            crate::display::duration((crate::os::now() - row.created_at).max(0) as u64)
        ),
        JobState::Completed | JobState::Failed | JobState::Cancelled => format!(
            "Started {started}; ended {}, after {took}",
            crate::display::local_time(row.updated_at)
        ),
        _ => format!(
            "Started {started}; last sent {}",
            crate::display::local_time(row.updated_at)
        ),
    }
}

fn summary(ui: &mut egui::Ui, report: &JobReport) {
    ui.add_space(6.0);
    ui.strong("Lists and audiences");
    egui::Grid::new(("job_lists", report.progress.job_id))
        .striped(true)
        .show(ui, |ui| {
            for title in ["Type", "List", "Status", "Audience", "Size"] {
                ui.strong(title);
            }
            ui.end_row();
            for list in &report.lists {
                ui.label(list.list_type.as_str());
                ui.label(format!(
                    "{} ({})",
                    list.name,
                    list.list_id.as_deref().unwrap_or("not created")
                ));
                ui.label(list.list_status.as_deref().unwrap_or("unknown"));
                ui.label(match &list.audience_id {
                    Some(id) => format!("{id} {}", list.audience_status.as_deref().unwrap_or("")),
                    None => "none".into(),
                });
                ui.label(
                    list.audience_size
                        .map_or("pending".into(), |s| group(s.max(0) as u64)),
                );
                ui.end_row();
            }
        });
    if let Some(note) = report.too_small_note() {
        ui.label(RichText::new(note).small());
    }
}
