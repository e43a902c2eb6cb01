//! The upload: where the loaded file goes (connection, list, mode, audience), the dry run's
//! plan, and the start that journals the job and hands it to the Jobs screen.

mod options;
pub mod view;

use std::sync::Arc;

use eframe::egui;

use super::App;
use super::state::{PlanState, Problem, UploadForm};
use crate::source::{Preview, Progress};
use crate::upload::{DEFAULT_BATCH_SIZE, JobError, JobSpec, Plan, Target, plan_upload};

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Edit(UploadForm),
    /// A dry run, or the plan and then the job when `start`.
    Plan {
        start: bool,
    },
    /// Sends to new lists (`true`) or an existing one.
    NewLists(bool),
}

pub enum Event {
    PlanProgress(Progress),
    /// The plan, and the journaled job when the user asked to start it.
    Planned(Result<(Box<Plan>, Option<i64>), JobError>),
}

impl From<Action> for super::Action {
    fn from(action: Action) -> Self {
        super::Action::Upload(action)
    }
}

impl From<Event> for super::Event {
    fn from(event: Event) -> Self {
        super::Event::Upload(event)
    }
}

impl App {
    pub(super) fn apply_upload(&mut self, action: Action, ctx: &egui::Context) {
        match action {
            Action::Edit(mut form) => {
                if form.connection != self.state.upload.connection {
                    // Lists belong to the ad account of the connection picked before.
                    form.list_id = None;
                }
                self.state.upload = form;
                if !matches!(self.state.plan, PlanState::Planning { .. }) {
                    // A plan shown for other settings would mislead.
                    self.state.plan = PlanState::Idle;
                }
                self.fetch_lists_shown(ctx);
            }
            Action::Plan { start } => self.plan(start, ctx),
            Action::NewLists(new) => {
                let form = UploadForm {
                    new_list: new,
                    ..self.state.upload.clone()
                };
                self.apply_upload(Action::Edit(form), ctx);
            }
        }
    }

    pub(super) fn on_upload(&mut self, event: Event, ctx: &egui::Context) {
        match event {
            Event::PlanProgress(progress) => {
                if let PlanState::Planning { progress: p, .. } = &mut self.state.plan {
                    *p = progress;
                }
            }
            Event::Planned(Ok((plan, job))) => {
                self.state.plan = PlanState::Ready(plan);
                if let Some(job) = job {
                    self.notify(
                        format!("Job {job} started; it goes on if you switch screens."),
                        false,
                    );
                    self.run_job(job, ctx);
                }
            }
            Event::Planned(Err(error)) => self.state.plan = PlanState::Failed(Problem::of(&error)),
        }
    }

    /// Reads the file once for the plan; when `start`, journals the job too.
    fn plan(&mut self, start: bool, ctx: &egui::Context) {
        let (Some(core), Some(loaded)) = (self.core(), self.state.loaded()) else {
            return;
        };
        let form = &self.state.upload;
        let (Some(connection), Some(target)) = (form.connection.clone(), target(form)) else {
            return;
        };
        let spec = JobSpec::new(form.mode, target, form.create_audience, DEFAULT_BATCH_SIZE);
        let preview: Preview = loaded.preview.clone();
        self.state.plan = PlanState::Planning {
            progress: Default::default(),
            start,
        };
        self.tasks.blocking(ctx, move |emit| {
            Event::Planned(plan_and_journal(
                &core,
                &connection,
                &preview,
                spec,
                start,
                emit,
            ))
        });
    }
}

/// Where the form sends the file: a new list by name, or the existing one picked.
fn target(form: &UploadForm) -> Option<Target> {
    match (&form.new_list, &form.list_id) {
        (true, _) => Some(Target::NewList(form.list_name.trim().to_owned())),
        (false, Some(id)) => Some(Target::List(id.clone())),
        (false, None) => None,
    }
}

fn plan_and_journal(
    core: &Arc<crate::context::Core>,
    connection: &str,
    preview: &Preview,
    spec: JobSpec,
    start: bool,
    emit: &super::tasks::Emit,
) -> Result<(Box<Plan>, Option<i64>), JobError> {
    let mut last = std::time::Instant::now();
    let plan = plan_upload(core, connection, preview, spec, &mut |progress| {
        if last.elapsed() >= std::time::Duration::from_millis(100) {
            last = std::time::Instant::now();
            emit.send(Event::PlanProgress(progress));
        }
    })?;
    let job = match start && !plan.is_empty() {
        true => Some(plan.create_job(core)?),
        false => None,
    };
    Ok((Box::new(plan), job))
}
