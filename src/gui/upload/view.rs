//! The Upload screen: the file's preview in the middle and, once a file is open, where to
//! send it on the right.

use eframe::egui;

use super::options;
use crate::gui::Action;
use crate::gui::file;
use crate::gui::state::State;

pub fn ui(ui: &mut egui::Ui, state: &State, actions: &mut Vec<Action>) {
    if state.loaded().is_some() {
        // A third of the room, within bounds, and not resizable: the preview keeps the rest at
        // any window size, and no width forced once is remembered.
        let width = (ui.available_width() * 0.32).clamp(250.0, 340.0);
        egui::Panel::right("upload_options")
            .resizable(false)
            .exact_size(width)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().show(ui, |ui| options::ui(ui, state, actions));
            });
    }
    egui::CentralPanel::default().show(ui, |ui| {
        file::view::ui(ui, &state.file, state.hide_identities, !state.demo, actions)
    });
}
