//! The keyboard: shortcuts and what Esc cancels on the screen shown.

use super::*;

impl App {
    /// Ctrl+O open, Ctrl+Enter start, Esc cancel what runs on screen, Ctrl+1..4 views, and
    /// files dropped on the window.
    pub(super) fn shortcuts(&self, ui: &egui::Ui) -> Vec<Action> {
        let mut actions = Vec::new();
        let typing = ui.ctx().egui_wants_keyboard_input();
        ui.input(|i| {
            if i.modifiers.command && i.key_pressed(egui::Key::O) {
                actions.push(Action::OpenFileDialog);
            }
            if i.modifiers.command
                && i.key_pressed(egui::Key::Enter)
                && self.state.view == View::Upload
                && upload_view::blocker(&self.state).is_none()
                && !matches!(self.state.plan, PlanState::Planning { .. })
            {
                actions.push(Action::Plan { start: true });
            }
            let keys = [
                egui::Key::Num1,
                egui::Key::Num2,
                egui::Key::Num3,
                egui::Key::Num4,
            ];
            for (key, view) in keys.into_iter().zip(View::ALL) {
                if i.modifiers.command && i.key_pressed(key) {
                    actions.push(Action::ShowView(view));
                }
            }
            if i.key_pressed(egui::Key::Escape) && !typing {
                actions.extend(self.cancel_on_screen());
            }
            for file in &i.raw.dropped_files {
                actions.push(Action::OpenFile(file.path().to_owned()));
            }
        });
        actions
    }

    /// What Esc stops: the login being waited for, the running job on the jobs screen, or the
    /// pass over the file.
    pub(super) fn cancel_on_screen(&self) -> Option<Action> {
        if matches!(self.state.connect, ConnectState::Waiting(_)) {
            return Some(Action::CancelConnect);
        }
        if self.state.view == View::Jobs {
            let jobs = &self.state.jobs;
            let shown = jobs
                .selected
                .or_else(|| jobs.entries.first().map(|e| e.row.id));
            return shown
                .filter(|id| jobs.live.contains_key(id))
                .map(Action::CancelJob);
        }
        matches!(
            self.state.loaded().map(|l| &l.scan),
            Some(ScanState::Running { .. })
        )
        .then_some(Action::CancelScan)
    }
}
