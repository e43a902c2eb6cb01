//! Connections: the side panel that lists them, the form that adds, edits and deletes one,
//! and the browser login, with the warnings a connection calls for.

pub mod banner;
pub mod side_panel;
pub mod view;

use std::time::Duration;

use eframe::egui;

use super::App;
use super::state::{ConnectState, ConnectionForm, Problem, View};
use crate::context::AccessReport;
use crate::overview::ConnectionOverview;
use crate::pinterest::{ConnectionState, PinterestError};
use crate::store::{ConnectionUpdate, NewConnection, StoreError};

/// How long the login waits for the browser's answer.
const LOGIN_TIMEOUT: Duration = Duration::from_secs(300);

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Select(String),
    New,
    Edit(ConnectionForm),
    Save,
    AskDelete,
    CancelDelete,
    Delete(String),
    Connect(String),
    /// Log in again, accepting another Pinterest user than the connection's last.
    ConnectSwitching(String),
    CancelConnect,
    /// Copies the redirect URI to register, for the new-connection guide.
    CopyRedirect,
}

pub enum Event {
    Loaded(Result<Vec<ConnectionOverview>, StoreError>),
    Saved(Result<String, PinterestError>),
    Deleted(Result<String, PinterestError>),
    Connected {
        name: String,
        result: Result<Box<AccessReport>, PinterestError>,
    },
    /// The background refresh of tokens close to expiry: the connections it could not refresh.
    Refreshed(Result<Vec<(String, PinterestError)>, StoreError>),
}

impl From<Action> for super::Action {
    fn from(action: Action) -> Self {
        super::Action::Connections(action)
    }
}

impl From<Event> for super::Event {
    fn from(event: Event) -> Self {
        super::Event::Connections(event)
    }
}

impl App {
    pub(super) fn apply_connections(&mut self, action: Action, ctx: &egui::Context) {
        let state = &mut self.state;
        match action {
            Action::Select(name) => {
                if let Some(row) = state.connections.iter().find(|r| r.connection.name == name) {
                    state.form = ConnectionForm::for_connection(row);
                }
                state.selected = Some(name);
                state.view = View::Connection;
                state.confirm_delete = false;
            }
            Action::New => {
                state.form = ConnectionForm::default();
                state.selected = None;
                state.view = View::Connection;
            }
            Action::Edit(form) => state.form = form,
            Action::AskDelete => state.confirm_delete = true,
            Action::CancelDelete => state.confirm_delete = false,
            Action::Save => {
                let Some(core) = self.core() else { return };
                let form = self.state.form.clone();
                self.tasks
                    .blocking(ctx, move |_| Event::Saved(save(&core, &form)));
            }
            Action::Delete(name) => {
                self.state.confirm_delete = false;
                let Some(core) = self.core() else { return };
                self.tasks.blocking(ctx, move |_| {
                    Event::Deleted(core.remove_connection(&name).map(|c| c.name))
                });
            }
            Action::Connect(name) => self.connect(name, false, ctx),
            Action::ConnectSwitching(name) => self.connect(name, true, ctx),
            Action::CancelConnect => {
                if let Some(task) = self.connect_task.take() {
                    task.abort();
                }
                self.state.connect = ConnectState::Idle;
            }
            Action::CopyRedirect => {
                ctx.copy_text(self.state.redirect_uri.clone());
                self.notify(
                    format!("Copied {} to the clipboard.", self.state.redirect_uri),
                    false,
                );
            }
        }
    }

    fn connect(&mut self, name: String, switch_user: bool, ctx: &egui::Context) {
        let Some(core) = self.core() else { return };
        self.state.connect = ConnectState::Waiting(name.clone());
        let opener = self.opener.clone();
        self.connect_task = Some(self.tasks.background(ctx, async move {
            let open = move |url: &url::Url| opener(url);
            let result = if switch_user {
                core.connect_switching(&name, open, LOGIN_TIMEOUT).await
            } else {
                core.connect(&name, open, LOGIN_TIMEOUT).await
            };
            Event::Connected {
                name,
                result: result.map(Box::new),
            }
        }));
    }

    pub(super) fn on_connections(&mut self, event: Event, ctx: &egui::Context) {
        match event {
            Event::Loaded(Ok(rows)) => {
                // A connection warned about that needs nothing now (reconnected here or in
                // another process): what was said about it goes.
                let now = crate::os::now();
                for row in &rows {
                    let name = &row.connection.name;
                    if row.attention(now).is_none() && self.warned.remove(name) {
                        self.state.notices.resolve(name);
                    }
                }
                self.state.connections = rows;
                self.warn_about_connections();
                self.keep_fresh(ctx);
                self.fetch_lists_shown(ctx);
            }
            Event::Loaded(Err(error)) => {
                self.notify(format!("Cannot read the connections: {error}"), true)
            }
            Event::Saved(Ok(name)) => {
                self.statuses.expire();
                let form = &mut self.state.form;
                form.editing = Some(name.clone());
                form.app_secret.clear();
                form.error = None;
                self.state.selected = Some(name.clone());
                self.notify(format!("Saved '{name}'."), false);
            }
            Event::Saved(Err(error)) => self.state.form.error = Some(error.to_string()),
            Event::Deleted(result) => {
                self.statuses.expire();
                match result {
                    Ok(name) => {
                        self.state.form = ConnectionForm::default();
                        self.state.selected = None;
                        self.notify(format!("Deleted '{name}' with its tokens."), false);
                    }
                    Err(error) => self.state.form.error = Some(error.to_string()),
                }
            }
            Event::Connected { name, result } => {
                self.connect_task = None;
                self.statuses.expire();
                let again = self.state.connections.iter().any(|r| {
                    r.connection.name == name && r.status.state != ConnectionState::NotConnected
                });
                self.state.connect = match result {
                    Ok(report) if report.problem.is_some() => ConnectState::Failed {
                        name,
                        error: Problem {
                            text: format!(
                                "Not connected: {}. The login's tokens were not saved; \
                                 the connection keeps what it had.",
                                report.problem.as_deref().unwrap_or_default()
                            ),
                            remedy: None,
                        },
                    },
                    Ok(report) => {
                        // What was said about this connection no longer holds.
                        self.state.notices.resolve(&name);
                        self.warned.remove(&name);
                        let done = if again { "Reconnected" } else { "Connected" };
                        self.notify_about(&name, format!("{done} '{name}'."), false);
                        ConnectState::Done {
                            name,
                            summary: report.summary(),
                        }
                    }
                    Err(error) => ConnectState::Failed {
                        name,
                        error: Problem::of(&error),
                    },
                };
            }
            Event::Refreshed(Ok(failures)) => {
                // A refused refresh marks its connection: read the states again now.
                if !failures.is_empty() {
                    self.statuses.expire();
                }
            }
            Event::Refreshed(Err(error)) => {
                tracing::warn!("cannot read the connections to keep them fresh: {error}")
            }
        }
    }

    /// Reads the connections and their token states off the UI thread.
    pub(super) fn load_connections(&mut self, ctx: &egui::Context) {
        if let Some(core) = self.core() {
            self.tasks.blocking(ctx, move |_| {
                Event::Loaded(crate::overview::connections(&core))
            });
        }
    }

    /// Every few minutes, refreshes the tokens within the margin of expiry in the background.
    fn keep_fresh(&mut self, ctx: &egui::Context) {
        let Some(core) = self.core() else { return };
        if self.fresh.due() {
            self.tasks.background(ctx, async move {
                Event::Refreshed(crate::overview::keep_fresh(&core).await)
            });
        }
    }

    /// Says once per session when a connection needs the user: a reconnect now, or soon
    /// because its refresh token is about to end.
    fn warn_about_connections(&mut self) {
        let now = crate::os::now();
        let mut warnings = Vec::new();
        for row in &self.state.connections {
            let name = &row.connection.name;
            if let Some(text) = row.attention(now)
                && self.warned.insert(name.clone())
            {
                warnings.push((Some(name.clone()), text));
            }
        }
        if !self.keyring_warned
            && let Some(trouble) = self.core().and_then(|c| c.secrets.trouble())
        {
            self.keyring_warned = true;
            warnings.push((None, trouble));
        }
        for (subject, text) in warnings {
            if self.desktop_notifications {
                super::notify::desktop("Connection needs you".into(), text.clone());
            }
            match subject {
                Some(name) => self.notify_about(&name, text, true),
                None => self.notify(text, true),
            }
        }
    }
}

/// Adds the connection of a new form, or saves the edited one.
fn save(core: &crate::context::Core, form: &ConnectionForm) -> Result<String, PinterestError> {
    let secret = Some(form.app_secret.trim()).filter(|s| !s.is_empty());
    let app_id = Some(form.app_id.trim().to_owned()).filter(|s| !s.is_empty());
    let saved = match &form.editing {
        None => core.add_connection(
            &NewConnection {
                name: form.name.trim().to_owned(),
                description: form.description.clone(),
                ad_account_id: form.ad_account_id.trim().to_owned(),
                app_id,
            },
            secret,
        ),
        Some(original) => core.update_connection(
            original,
            &ConnectionUpdate {
                name: Some(form.name.trim().to_owned()),
                description: Some(form.description.clone()),
                ad_account_id: Some(form.ad_account_id.trim().to_owned()),
                app_id: Some(app_id),
            },
            secret,
        ),
    };
    saved.map(|c| c.name)
}
