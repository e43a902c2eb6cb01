//! The connection screen: settings, login, token countdown.

use eframe::egui::{self, RichText};

use super::side_panel::state_line;
use crate::display::{relative, when};
use crate::gui::Action;
use crate::gui::connections::Action as Connections;
use crate::gui::lists::Action as Lists;
use crate::gui::state::{AccountsState, ConnectState, State};
use crate::gui::widgets;
use crate::overview::ConnectionOverview;
use crate::pinterest::ConnectionState;
use crate::store::validate_ad_account_id;

pub fn ui(ui: &mut egui::Ui, state: &State, actions: &mut Vec<Action>) {
    let form = &state.form;
    ui.heading(match &form.editing {
        Some(name) => format!("Connection: {name}"),
        None => "New connection".to_owned(),
    });
    ui.add_space(6.0);
    setup_guide(ui, state, form.editing.is_none(), actions);
    let mut edited = form.clone();
    egui::Grid::new("connection_form")
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, |ui| {
            text_row(ui, "Name", &mut edited.name, false);
            text_row(ui, "Description", &mut edited.description, false);
            text_row(ui, "Ad Account ID", &mut edited.ad_account_id, false);
            ui.label("");
            match validate_ad_account_id(edited.ad_account_id.trim()) {
                Ok(()) => ui.label(RichText::new("digits only, as in Ads Manager").small()),
                Err(reason) if !edited.ad_account_id.is_empty() => widgets::error(ui, reason),
                Err(_) => ui.label(RichText::new("digits only, as in Ads Manager").small()),
            };
            ui.end_row();
            text_row(ui, "App ID", &mut edited.app_id, false);
            text_row(ui, "App secret", &mut edited.app_secret, true);
        });
    if let Some(name) = &form.editing {
        account_picker(ui, state, name, &mut edited, actions);
    }
    if edited != *form {
        actions.push(Connections::Edit(edited.clone()).into());
    }
    let secret_note = if form.editing.is_some() && form.app_secret.is_empty() {
        "Leave the secret empty to keep the stored one (or PINTEREST_APP_SECRET). ".to_owned()
    } else {
        String::new()
    };
    ui.label(
        RichText::new(format!(
            "{secret_note}The app secret is kept in {}, never in the database.",
            state.secret_place
        ))
        .small(),
    );
    if let Some(error) = &form.error {
        widgets::error(ui, error);
    }
    ui.horizontal(|ui| {
        let valid = !edited.name.trim().is_empty()
            && validate_ad_account_id(edited.ad_account_id.trim()).is_ok();
        if ui.add_enabled(valid, egui::Button::new("Save")).clicked() {
            actions.push(Connections::Save.into());
        }
        if let Some(name) = &form.editing {
            if state.confirm_delete {
                ui.label(format!("Delete '{name}' and its tokens?"));
                if ui.button("Yes, delete").clicked() {
                    actions.push(Connections::Delete(name.clone()).into());
                }
                if ui.button("Keep it").clicked() {
                    actions.push(Connections::CancelDelete.into());
                }
            } else if ui.button("Delete...").clicked() {
                actions.push(Connections::AskDelete.into());
            }
        }
    });
    let Some(name) = &form.editing else {
        return;
    };
    ui.separator();
    let row = state
        .connections
        .iter()
        .find(|r| &r.connection.name == name);
    super::banner::ui(ui, state, name, actions);
    if let Some(row) = row {
        show_tokens(ui, row);
    }
    match &state.connect {
        ConnectState::Waiting(who) if who == name => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Waiting for the login in your browser...");
                if ui.button("Cancel").clicked() {
                    actions.push(Connections::CancelConnect.into());
                }
            });
        }
        other => {
            if let ConnectState::Done { name: who, summary } = other
                && who == name
            {
                ui.label(summary);
            }
            if let ConnectState::Failed { name: who, error } = other
                && who == name
            {
                // Its way out is on this screen already (the fields, Connect).
                widgets::error(ui, &error.text);
            }
            // A refused login's Reconnect is in the banner above.
            let label = match row.map(|r| r.status.state) {
                Some(ConnectionState::NotConnected) | None => Some("Connect"),
                Some(ConnectionState::ReconnectRequired) => None,
                Some(ConnectionState::Connected | ConnectionState::Refreshing) => Some("Reconnect"),
            };
            ui.horizontal(|ui| {
                if let Some(label) = label
                    && ui
                        .button(label)
                        .on_hover_text("Opens Pinterest's login page in your browser")
                        .clicked()
                {
                    actions.push(Connections::Connect(name.clone()).into());
                }
                if ui.button("Lists and audiences").clicked() {
                    actions.push(Lists::Show(name.clone()).into());
                }
            });
        }
    }
}

/// What a newcomer needs before the form: where to make a Pinterest app, the redirect URI to
/// register on it, the scopes, and where the secret will be kept. Open for a new connection.
fn setup_guide(ui: &mut egui::Ui, state: &State, new: bool, actions: &mut Vec<Action>) {
    egui::CollapsingHeader::new("Setting up a Pinterest app")
        .id_salt(("setup_guide", new))
        .default_open(new)
        .show(ui, |ui| {
            ui.horizontal_wrapped(|ui| {
                ui.label("1. Create an app (or open yours) at");
                ui.hyperlink_to(
                    "developers.pinterest.com/apps",
                    "https://developers.pinterest.com/apps/",
                );
            });
            ui.horizontal_wrapped(|ui| {
                ui.label("2. Register this redirect URI on it, exactly:");
                ui.monospace(&state.redirect_uri);
                if ui
                    .small_button("Copy")
                    .on_hover_text("Copy the redirect URI")
                    .clicked()
                {
                    actions.push(Connections::CopyRedirect.into());
                }
            });
            ui.label(format!(
                "3. The app needs the scopes {} (Pinterest asks the user for them at Connect).",
                crate::pinterest::SCOPES.replace(',', ", ")
            ));
            ui.label(format!(
                "4. Copy its App ID and app secret below. The secret is kept in {}; it is never \
                 shown again or written to the database.",
                state.secret_place
            ));
            ui.label(
                "5. Save, then Connect: Pinterest's login opens in your browser. Afterwards pick \
                 the ad account from the ones the login reaches.",
            );
        });
}

/// After a login: the ad accounts it reaches, each with its name and the user's roles, those
/// that allow uploads marked. Picking one fills the Ad Account ID (typing stays possible).
fn account_picker(
    ui: &mut egui::Ui,
    state: &State,
    name: &str,
    edited: &mut crate::gui::state::ConnectionForm,
    actions: &mut Vec<Action>,
) {
    let connected = state
        .connections
        .iter()
        .any(|r| r.connection.name == name && r.status.state == ConnectionState::Connected);
    if !connected {
        return;
    }
    ui.horizontal(|ui| match state.accounts.get(name) {
        Some(AccountsState::Loaded(accounts)) => {
            let label = ui.label("Pick the ad account");
            let uploads = crate::pinterest::audience_roles();
            egui::ComboBox::from_id_salt("account_picker")
                .selected_text(
                    accounts
                        .iter()
                        .find(|a| a.id == edited.ad_account_id.trim())
                        .and_then(|a| a.name.clone())
                        .unwrap_or_else(|| "one this login reaches".into()),
                )
                .width(360.0)
                .show_ui(ui, |ui| {
                    for account in accounts {
                        let can_upload = account
                            .permissions
                            .iter()
                            .any(|p| uploads.contains(&p.as_str()));
                        let text = format!(
                            "{} ({}): {}{}",
                            account.name.as_deref().unwrap_or("unnamed"),
                            account.id,
                            if account.permissions.is_empty() {
                                "no role".to_owned()
                            } else {
                                account.permissions.join(", ")
                            },
                            if can_upload {
                                ", can upload"
                            } else {
                                ", cannot upload"
                            }
                        );
                        ui.selectable_value(&mut edited.ad_account_id, account.id.clone(), text);
                    }
                })
                .response
                .labelled_by(label.id);
        }
        Some(AccountsState::Loading) => {
            widgets::busy(ui, "Reading the ad accounts this login reaches...");
        }
        Some(AccountsState::Failed(error)) => {
            widgets::error(ui, error);
            if ui.small_button("Try again").clicked() {
                actions.push(Lists::LoadAccounts(name.to_owned()).into());
            }
        }
        None => {
            if ui
                .button("Pick from my ad accounts...")
                .on_hover_text("The ad accounts this login reaches, with your roles on each")
                .clicked()
            {
                actions.push(Lists::LoadAccounts(name.to_owned()).into());
            }
        }
    });
}

fn text_row(ui: &mut egui::Ui, label: &str, value: &mut String, secret: bool) {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(value)
            .password(secret)
            .desired_width(320.0),
    )
    .labelled_by(label.id);
    ui.end_row();
}

fn show_tokens(ui: &mut egui::Ui, row: &ConnectionOverview) {
    let status = &row.status;
    if !matches!(
        status.state,
        ConnectionState::Connected | ConnectionState::Refreshing
    ) {
        // The banner above says it; no expiry is promised for tokens Pinterest refuses.
        return;
    }
    ui.label(RichText::new(state_line(row)).strong());
    egui::Grid::new("tokens").num_columns(2).show(ui, |ui| {
        let at = |at: Option<i64>| at.map(when).unwrap_or_else(|| "-".into());
        ui.label("Access token expires");
        ui.label(at(status.access_expires_at))
            .on_hover_text("Refreshed by itself before then, while the app or a command runs");
        ui.end_row();
        ui.label("Login lapses unless used");
        ui.label(at(status.refresh_expires_at));
        ui.end_row();
        ui.label("Last automatic refresh");
        ui.label(
            status
                .last_refresh_at
                .map(relative)
                .unwrap_or_else(|| "none yet".into()),
        );
        ui.end_row();
    });
}
