//! Jobs: the list of recent and unfinished ones, and the jobs this window runs, live, with
//! pause, resume and cancel.

pub mod view;

use std::sync::Arc;
use std::time::Instant;

use eframe::egui;
use tokio::sync::watch;

use super::App;
use super::state::{LiveJob, View};
use crate::overview::JobOverview;
use crate::store::{JobState, StoreError};
use crate::upload::{Control, JobError, JobProgress, JobReport, run_job};

/// Jobs the jobs screen lists: the most recent first.
const JOBS_LISTED: usize = 50;

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Select(i64),
    Pause(i64),
    /// Continues a paused job, or resumes one left unfinished (interrupted, failed).
    Resume(i64),
    /// Sends the removals a job holds (it would take out more of a list than the guard
    /// allows), then the job goes on.
    ConfirmRemovals(i64),
    Cancel(i64),
}

pub enum Event {
    Loaded(Result<Vec<JobOverview>, StoreError>),
    Ended {
        job: i64,
        result: Result<JobReport, JobError>,
    },
    Confirmed {
        job: i64,
        result: Result<(), JobError>,
    },
}

impl From<Action> for super::Action {
    fn from(action: Action) -> Self {
        super::Action::Jobs(action)
    }
}

impl From<Event> for super::Event {
    fn from(event: Event) -> Self {
        super::Event::Jobs(event)
    }
}

impl App {
    pub(super) fn apply_jobs(&mut self, action: Action, ctx: &egui::Context) {
        let live = &self.state.jobs.live;
        match action {
            Action::Select(id) => self.state.jobs.selected = Some(id),
            Action::Pause(id) => {
                if let Some(live) = live.get(&id) {
                    live.control.pause();
                }
            }
            Action::Resume(id) => match live.get(&id) {
                Some(live) => live.control.resume(),
                None => self.run_job(id, ctx),
            },
            Action::Cancel(id) => {
                if let Some(live) = live.get(&id) {
                    live.control.cancel();
                }
            }
            Action::ConfirmRemovals(id) => {
                let Some(core) = self.core() else { return };
                self.tasks.blocking(ctx, move |_| Event::Confirmed {
                    job: id,
                    result: crate::upload::confirm_removals(&core, id),
                });
            }
        }
    }

    pub(super) fn on_jobs(&mut self, event: Event, ctx: &egui::Context) {
        match event {
            Event::Loaded(Ok(entries)) => self.state.jobs.entries = entries,
            Event::Loaded(Err(error)) => {
                self.notify(format!("Cannot read the jobs: {error}"), true)
            }
            Event::Ended { job, result } => self.job_ended(job, result, ctx),
            Event::Confirmed {
                job,
                result: Ok(()),
            } => self.run_job(job, ctx),
            Event::Confirmed {
                job,
                result: Err(error),
            } => self.notify(format!("Cannot send job {job}'s removals: {error}"), true),
        }
    }

    pub(super) fn load_jobs(&mut self, ctx: &egui::Context) {
        if let Some(core) = self.core() {
            self.tasks.blocking(ctx, move |_| {
                Event::Loaded(crate::overview::recent_jobs(&core, JOBS_LISTED))
            });
        }
    }

    /// Runs a journaled job (new or resumed) in the background and shows it on the jobs screen.
    pub(super) fn run_job(&mut self, id: i64, ctx: &egui::Context) {
        let Some(core) = self.core() else { return };
        if self.state.jobs.live.contains_key(&id) {
            return;
        }
        let control = Arc::new(Control::default());
        let (sender, receiver) = watch::channel(JobProgress::new(id));
        let running = control.clone();
        self.tasks.background(ctx, async move {
            let result = run_job(&core, id, running, sender).await;
            Event::Ended { job: id, result }
        });
        let jobs = &mut self.state.jobs;
        jobs.live.insert(
            id,
            LiveJob {
                progress: receiver,
                control,
                started: Instant::now(),
            },
        );
        jobs.throughput.insert(id, Vec::new());
        jobs.selected = Some(id);
        self.state.view = View::Jobs;
        self.jobs.expire();
    }

    /// Adds a throughput point to each live job every second, and keeps frames coming while
    /// jobs run.
    pub(super) fn sample_jobs(&mut self, ctx: &egui::Context) {
        let jobs = &mut self.state.jobs;
        if jobs.live.is_empty() {
            return;
        }
        if self.throughput.due() {
            for (id, live) in &jobs.live {
                // Paused, nothing is sent: the rate is zero, whatever the last measure said.
                let rate = match live.control.is_paused() {
                    true => 0.0,
                    false => live.progress.borrow().records_per_second,
                };
                let point = [live.started.elapsed().as_secs_f64(), rate];
                jobs.throughput.entry(*id).or_default().push(point);
            }
        }
        ctx.request_repaint_after(std::time::Duration::from_millis(250));
    }

    fn job_ended(&mut self, job: i64, result: Result<JobReport, JobError>, ctx: &egui::Context) {
        self.state.jobs.live.remove(&job);
        self.jobs.expire();
        // The job made or changed lists: the lists on screen (or in the picker) are stale.
        let connection = self
            .state
            .jobs
            .entries
            .iter()
            .find(|e| e.row.id == job)
            .map(|e| e.row.connection.clone());
        if let Some(name) = connection {
            self.reload_lists(name, ctx);
        }
        let report = match result {
            Ok(report) => report,
            Err(error) => {
                return self.alert("Upload failed", format!("Job {job} failed: {error}"), true);
            }
        };
        let p = &report.progress;
        let counts = format!(
            "{} of {} records acknowledged",
            crate::display::group(p.records_acked),
            crate::display::group(p.records_total)
        );
        let text = match (&p.state, &p.message) {
            (JobState::Completed, _) => format!("Job {job} completed: {counts}."),
            // Said once, as a fact: the user asked for it.
            (JobState::Cancelled, _) => {
                format!("Job {job} cancelled: {counts}; Resume on the Jobs screen sends the rest.")
            }
            (state, Some(message)) => format!("Job {job} {}: {counts}. {message}", state.label()),
            (state, None) => format!("Job {job} {}: {counts}.", state.label()),
        };
        let summary = match p.state {
            JobState::Interrupted => return self.notify(text, false),
            JobState::Completed => "Upload finished",
            JobState::Held => "Removals held",
            JobState::Cancelled => "Upload cancelled",
            JobState::Failed | JobState::WaitingForReconnect => "Upload failed",
            JobState::Running | JobState::Paused => "Upload stopped",
        };
        let trouble = !matches!(p.state, JobState::Completed | JobState::Cancelled);
        self.alert(summary, text, trouble);
    }
}
