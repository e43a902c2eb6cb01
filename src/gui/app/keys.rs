//! The keyboard: shortcuts and what Esc cancels on the screen shown.

use eframe::egui;

use crate::gui::command::Command;
use crate::gui::state::{ConnectState, PlanState, ScanState, View};
use crate::gui::{Action, App, connections, file, jobs, upload};

impl App {
    /// The commands' shortcuts (see `Command`), and files dropped on the window.
    pub(super) fn shortcuts(&self, ui: &egui::Ui) -> Vec<Action> {
        let mut actions = Vec::new();
        let typing = ui.ctx().egui_wants_keyboard_input();
        ui.input(|i| {
            for command in Command::ALL.into_iter().filter(|c| c.pressed(i, typing)) {
                match command {
                    Command::OpenFile => actions.push(file::Action::OpenDialog.into()),
                    Command::StartUpload => {
                        if self.state.view == View::Upload
                            && self.state.upload_blocker().is_none()
                            && !matches!(self.state.plan, PlanState::Planning { .. })
                        {
                            actions.push(upload::Action::Plan { start: true }.into());
                        }
                    }
                    Command::Cancel => actions.extend(self.cancel_on_screen()),
                    Command::Show(view) => actions.push(Action::ShowView(view)),
                }
            }
            for dropped in &i.raw.dropped_files {
                actions.push(file::Action::Open(dropped.path().to_owned()).into());
            }
        });
        actions
    }

    /// What Esc stops: an open dialog (it closes, as its Cancel), the login being waited for,
    /// the running job on the jobs screen, or the pass over the file.
    fn cancel_on_screen(&self) -> Option<Action> {
        if self.state.query_form.is_some() {
            return Some(file::Action::CloseQuery.into());
        }
        if self.state.path_prompt.is_some() {
            return Some(file::Action::ClosePathPrompt.into());
        }
        if matches!(self.state.connect, ConnectState::Waiting(_)) {
            return Some(connections::Action::CancelConnect.into());
        }
        if self.state.view == View::Jobs {
            let jobs = &self.state.jobs;
            let shown = jobs
                .selected
                .or_else(|| jobs.entries.first().map(|e| e.row.id));
            return shown
                .filter(|id| jobs.live.contains_key(id))
                .map(|id| jobs::Action::Cancel(id).into());
        }
        matches!(
            self.state.loaded().map(|l| &l.scan),
            Some(ScanState::Running { .. })
        )
        .then_some(file::Action::CancelScan.into())
    }
}
