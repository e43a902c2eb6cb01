//! A connection that needs a reconnect, said on every screen that uses it, with the button
//! that does it: the one state the store holds, read the same way everywhere.

use eframe::egui::{self, RichText};

use super::Action as Connections;
use crate::gui::Action;
use crate::gui::state::{ConnectState, State, View};
use crate::pinterest::ConnectionState;

/// Draws the banner when `name` must log in again (or has never logged in); nothing otherwise.
pub fn ui(ui: &mut egui::Ui, state: &State, name: &str, actions: &mut Vec<Action>) {
    let Some(row) = state.connections.iter().find(|r| r.connection.name == name) else {
        return;
    };
    let (headline, button) = match row.status.state {
        ConnectionState::ReconnectRequired => (
            format!("'{name}' must log in to Pinterest again"),
            "Reconnect",
        ),
        // The connection's own screen has its Connect button already.
        ConnectionState::NotConnected if state.view == View::Connection => return,
        ConnectionState::NotConnected => (format!("'{name}' has not logged in yet"), "Connect"),
        ConnectionState::Connected | ConnectionState::Refreshing => return,
    };
    egui::Frame::group(ui.style())
        .stroke(egui::Stroke::new(1.0, ui.visuals().error_fg_color))
        .show(ui, |ui| {
            ui.add(
                egui::Label::new(
                    RichText::new(&headline)
                        .strong()
                        .color(ui.visuals().error_fg_color),
                )
                .wrap(),
            );
            if let Some(reason) = &row.status.message {
                ui.add(egui::Label::new(reason).wrap());
            }
            let waiting = matches!(&state.connect, ConnectState::Waiting(who) if who == name);
            ui.horizontal(|ui| {
                if waiting {
                    ui.spinner();
                    ui.label("Waiting for the login in your browser...");
                } else if ui
                    .button(button)
                    .on_hover_text("Opens Pinterest's login page in your browser")
                    .clicked()
                {
                    actions.push(Connections::Connect(name.to_owned()).into());
                }
            });
        });
    ui.add_space(6.0);
}
