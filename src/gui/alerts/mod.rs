//! Alerts: the places messages go when unattended work goes wrong, added, tested and removed
//! from the window; and the window's own sending of them while it is open.

pub mod view;

use std::sync::Arc;

use eframe::egui;

use super::App;
use super::state::{AlertForm, AlertKind};
use crate::alerts::{AlertError, DestinationView, NewDestination, TestOutcome};
use crate::store::SentAlert;
use crate::upload::Control;

/// Latest messages the screen lists.
const RECENT_LISTED: usize = 20;

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    Edit(AlertForm),
    Add,
    /// Asks to confirm the removal of a place.
    Remove(String),
    ConfirmRemove(String),
    KeepPlace,
    Test,
}

pub enum Event {
    Loaded(Result<(Vec<DestinationView>, Vec<SentAlert>), AlertError>),
    Added(Result<DestinationView, AlertError>),
    Removed(Result<DestinationView, AlertError>),
    Tested(Result<Vec<TestOutcome>, AlertError>),
}

impl From<Action> for super::Action {
    fn from(action: Action) -> Self {
        super::Action::Alerts(action)
    }
}

impl From<Event> for super::Event {
    fn from(event: Event) -> Self {
        super::Event::Alerts(event)
    }
}

impl AlertForm {
    /// What the form asks for: a name (or none, for the default) and the place.
    pub fn destination(&self) -> (Option<String>, NewDestination) {
        let name = Some(self.name.trim().to_owned()).filter(|n| !n.is_empty());
        let given = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        let new = match self.kind {
            AlertKind::Webhook => NewDestination::Webhook {
                url: self.url.trim().to_owned(),
            },
            AlertKind::Email => NewDestination::Email {
                to: self.to.trim().to_owned(),
                smtp: self.smtp.trim().to_owned(),
                from: given(&self.from),
                starttls: self.starttls,
                user: given(&self.user),
                password: Some(self.password.clone()).filter(|p| !p.is_empty()),
            },
        };
        (name, new)
    }

    /// What must be filled in before Add, said as the button's reason.
    pub fn blocker(&self) -> Option<&'static str> {
        match self.kind {
            AlertKind::Webhook if self.url.trim().is_empty() => {
                Some("Paste the webhook's address first.")
            }
            AlertKind::Email if self.to.trim().is_empty() => Some("Type the address first."),
            AlertKind::Email if self.smtp.trim().is_empty() => {
                Some("Type the mail relay as host:port first.")
            }
            _ => None,
        }
    }
}

impl App {
    pub(super) fn apply_alerts(&mut self, action: Action, ctx: &egui::Context) {
        let core = self.core();
        let alerts = &mut self.state.alerts;
        match action {
            Action::Edit(form) => alerts.form = form,
            Action::Add => {
                let Some(core) = core else { return };
                if alerts.adding || alerts.form.blocker().is_some() {
                    return;
                }
                alerts.adding = true;
                let (name, new) = alerts.form.destination();
                self.tasks.background(ctx, async move {
                    Event::Added(crate::alerts::add(&core, name.as_deref(), &new).await)
                });
            }
            Action::Remove(name) => alerts.confirm_remove = Some(name),
            Action::KeepPlace => alerts.confirm_remove = None,
            Action::ConfirmRemove(name) => {
                alerts.confirm_remove = None;
                let Some(core) = core else { return };
                self.tasks.blocking(ctx, move |_| {
                    Event::Removed(crate::alerts::remove(&core, &name))
                });
            }
            Action::Test => {
                let Some(core) = core else { return };
                if alerts.testing {
                    return;
                }
                alerts.testing = true;
                alerts.tested.clear();
                self.tasks.background(ctx, async move {
                    Event::Tested(crate::alerts::test(&core).await)
                });
            }
        }
    }

    pub(super) fn on_alerts(&mut self, event: Event, ctx: &egui::Context) {
        let alerts = &mut self.state.alerts;
        match event {
            Event::Loaded(Ok((destinations, recent))) => {
                alerts.destinations = destinations;
                alerts.recent = recent;
                alerts.loaded = true;
                alerts.load_error = None;
            }
            Event::Loaded(Err(error)) => alerts.load_error = Some(error.to_string()),
            Event::Added(result) => {
                alerts.adding = false;
                match result {
                    Ok(added) => {
                        alerts.form = AlertForm {
                            kind: alerts.form.kind,
                            ..AlertForm::default()
                        };
                        let text = format!(
                            "Alerts now go to '{}' ({}). Send a test message to see it arrive.",
                            added.name,
                            added.destination.describe()
                        );
                        self.notify(text, false);
                        self.load_alerts(ctx);
                    }
                    Err(error) => alerts.form.error = Some(error.to_string()),
                }
            }
            Event::Removed(Ok(removed)) => {
                self.notify(format!("Alerts no longer go to '{}'.", removed.name), false);
                self.load_alerts(ctx);
            }
            Event::Removed(Err(error)) => {
                self.notify(format!("Cannot remove the alert: {error}"), true)
            }
            Event::Tested(result) => {
                alerts.testing = false;
                match result {
                    Ok(outcomes) => alerts.tested = outcomes,
                    Err(error) => {
                        self.notify(format!("Cannot send the test: {error}"), true);
                    }
                }
                self.load_alerts(ctx);
            }
        }
    }

    pub(super) fn load_alerts(&mut self, ctx: &egui::Context) {
        if let Some(core) = self.core() {
            self.tasks.blocking(ctx, move |_| {
                let read = crate::alerts::list(&core).and_then(|destinations| {
                    Ok((destinations, crate::alerts::recent(&core, RECENT_LISTED)?))
                });
                Event::Loaded(read)
            });
        }
    }

    /// Sends alerts while the window is open, for this home (a new home, as the demo's,
    /// stops the last one's sender).
    pub(super) fn send_alerts(&mut self, core: Arc<crate::context::Core>) {
        if let Some(previous) = self.alert_sender.take() {
            previous.cancel();
        }
        let control = Arc::new(Control::default());
        let stop = control.clone();
        self.tasks
            .detached(crate::alerts::keep_sending(core, move || {
                stop.is_cancelled()
            }));
        self.alert_sender = Some(control);
    }
}
