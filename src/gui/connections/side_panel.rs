//! The connections side panel: every connection with its state, and "New connection".

use eframe::egui::{self, RichText};

use crate::display::relative;
use crate::gui::Action;
use crate::gui::connections::Action as Connections;
use crate::gui::state::{State, View};
use crate::gui::widgets;
use crate::overview::ConnectionOverview;
use crate::pinterest::ConnectionState;

/// One line a connection's state reads as, with the token countdown when connected.
pub fn state_line(row: &ConnectionOverview) -> String {
    let status = &row.status;
    match status.state {
        ConnectionState::Connected => match status.access_expires_at {
            Some(at) => format!("connected, token expires {}", relative(at)),
            None => "connected".into(),
        },
        other => other.label().to_owned(),
    }
}

pub fn ui(ui: &mut egui::Ui, state: &State, actions: &mut Vec<Action>) {
    ui.heading("Connections");
    if let Some(error) = &state.core_error {
        widgets::error(ui, error);
        return;
    }
    for row in &state.connections {
        let selected = state.view == View::Connection
            && state.selected.as_deref() == Some(row.connection.name.as_str());
        let response = ui.selectable_label(selected, RichText::new(&row.connection.name).strong());
        if response.clicked() {
            actions.push(Connections::Select(row.connection.name.clone()).into());
        }
        let color = match row.status.state {
            ConnectionState::Connected => ui.visuals().text_color(),
            ConnectionState::Refreshing => ui.visuals().warn_fg_color,
            _ => ui.visuals().error_fg_color,
        };
        ui.label(RichText::new(state_line(row)).small().color(color));
        ui.add_space(4.0);
    }
    if state.connections.is_empty() {
        ui.label("No connections yet.");
    }
    ui.separator();
    if ui.button("New connection").clicked() {
        actions.push(Connections::New.into());
    }
}
