//! The Alerts screen: the places alerts go with how the last delivery to each went, a test
//! message, the form that adds a chat webhook or a mail address, and the latest messages.

use eframe::egui::{self, RichText};

use super::Action as Alerts;
use crate::gui::Action;
use crate::gui::state::{AlertForm, AlertKind, State};
use crate::gui::widgets;

pub fn ui(ui: &mut egui::Ui, state: &State, actions: &mut Vec<Action>) {
    let alerts = &state.alerts;
    ui.heading("Alerts");
    ui.label(
        "When work nobody watches goes wrong, Audience Desk tells a chat channel or a mail \
         address: an upload or a sync run that fails, is refused or holds removals; a sync \
         that stops running or works again; a connection that needs a new login; an \
         audience too small to serve. One message per change, sent while this window is open \
         and by scheduled syncs.",
    );
    ui.add_space(8.0);
    if let Some(error) = &alerts.load_error {
        widgets::error(ui, format!("Cannot read the alerts: {error}"));
    }
    places(ui, state, actions);
    ui.add_space(12.0);
    ui.separator();
    add_form(ui, &alerts.form, alerts.adding, actions);
    ui.add_space(12.0);
    ui.separator();
    recent(ui, state);
}

fn places(ui: &mut egui::Ui, state: &State, actions: &mut Vec<Action>) {
    let alerts = &state.alerts;
    ui.strong("Where alerts go");
    if !alerts.loaded {
        widgets::busy(ui, "Reading...");
        return;
    }
    if alerts.destinations.is_empty() {
        ui.label("Nowhere yet: add a chat webhook or a mail address below.");
        return;
    }
    egui::Grid::new("alert_places")
        .striped(true)
        .num_columns(4)
        .spacing([16.0, 6.0])
        .show(ui, |ui| {
            for heading in ["Name", "Where", "Last delivery", ""] {
                ui.label(RichText::new(heading).strong());
            }
            ui.end_row();
            for place in &alerts.destinations {
                ui.label(&place.name);
                ui.label(place.destination.describe());
                match (&place.last_error, place.last_delivered_at) {
                    (Some(error), _) => {
                        widgets::error(ui, format!("failed: {}", crate::display::printable(error)));
                    }
                    (None, Some(at)) => {
                        ui.label(format!("sent {}", crate::display::relative(at)));
                    }
                    (None, None) => {
                        ui.label("nothing sent yet");
                    }
                }
                if alerts.confirm_remove.as_deref() == Some(place.name.as_str()) {
                    ui.horizontal(|ui| {
                        let remove = format!("Remove '{}'", place.name);
                        if ui.button(RichText::new(remove).strong()).clicked() {
                            actions.push(Alerts::ConfirmRemove(place.name.clone()).into());
                        }
                        if ui.button("Keep it").clicked() {
                            actions.push(Alerts::KeepPlace.into());
                        }
                    });
                } else if ui
                    .button("Remove...")
                    .on_hover_text(format!("Stop sending alerts to '{}'", place.name))
                    .clicked()
                {
                    actions.push(Alerts::Remove(place.name.clone()).into());
                }
                ui.end_row();
            }
        });
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        let test = ui
            .add_enabled(!alerts.testing, egui::Button::new("Send a test message"))
            .on_hover_text("One message to every place now, to see that it arrives");
        if test.clicked() {
            actions.push(Alerts::Test.into());
        }
        if alerts.testing {
            widgets::busy(ui, "Sending...");
        }
    });
    for (name, outcome) in &alerts.tested {
        match outcome {
            Ok(()) => {
                ui.label(format!("'{name}': the test message was taken."));
            }
            Err(error) => {
                widgets::error(ui, format!("'{name}': not sent: {error}"));
            }
        }
    }
}

fn add_form(ui: &mut egui::Ui, form: &AlertForm, adding: bool, actions: &mut Vec<Action>) {
    let mut edited = form.clone();
    ui.strong("Add a place");
    ui.horizontal(|ui| {
        ui.radio_value(&mut edited.kind, AlertKind::Webhook, "Chat webhook");
        ui.radio_value(&mut edited.kind, AlertKind::Email, "Email");
    });
    egui::Grid::new("alert_form")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            match edited.kind {
                AlertKind::Webhook => {
                    row(ui, "Webhook address", &mut edited.url, false).on_hover_text(
                        "Slack's or Mattermost's incoming webhook, or any address that takes \
                         a JSON post. Kept with this home's secrets.",
                    );
                }
                AlertKind::Email => {
                    row(ui, "Send to", &mut edited.to, false);
                    row(ui, "Mail relay (host:port)", &mut edited.smtp, false)
                        .on_hover_text("Port 587 with STARTTLS, or 465 for TLS from the start");
                    row(ui, "From (optional)", &mut edited.from, false);
                    ui.label("");
                    ui.checkbox(&mut edited.starttls, "Require STARTTLS");
                    ui.end_row();
                    row(ui, "Relay login (optional)", &mut edited.user, false);
                    row(ui, "Relay password", &mut edited.password, true)
                        .on_hover_text("Kept with this home's secrets, never in its database");
                }
            }
            row(ui, "Name (optional)", &mut edited.name, false);
        });
    if let Some(error) = &form.error {
        widgets::error(ui, error);
    }
    ui.horizontal(|ui| {
        let blocker = form.blocker();
        let add = ui.add_enabled(
            blocker.is_none() && !adding,
            egui::Button::new(RichText::new("Add").strong()),
        );
        if add.clicked() {
            actions.push(Alerts::Add.into());
        }
        if let Some(reason) = blocker {
            ui.label(reason);
        }
        if adding {
            widgets::busy(ui, "Adding...");
        }
    });
    if edited != *form {
        edited.error = None;
        actions.push(Alerts::Edit(edited).into());
    }
}

fn row(ui: &mut egui::Ui, label: &str, value: &mut String, password: bool) -> egui::Response {
    let label = ui.label(label);
    let response = ui
        .add(
            egui::TextEdit::singleline(value)
                .password(password)
                .desired_width(320.0),
        )
        .labelled_by(label.id);
    ui.end_row();
    response
}

fn recent(ui: &mut egui::Ui, state: &State) {
    ui.strong("Latest messages");
    let recent = &state.alerts.recent;
    if recent.is_empty() {
        ui.label("None yet.");
        return;
    }
    for sent in recent {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(crate::display::relative(sent.message.created_at)).weak());
            ui.label(crate::display::printable(crate::alerts::in_window(
                &sent.message.message,
            )));
            ui.label(
                RichText::new(format!(
                    "(delivered to {} of {})",
                    sent.delivered_to, sent.destinations
                ))
                .weak(),
            );
        });
    }
}
