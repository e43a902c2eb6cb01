//! The Audiences screen: a connection's lists and audiences, the picked audience's size over
//! time, and what admins do next with it: a lookalike, sharing, removal.

pub mod rules;
mod rules_view;
pub mod view;

use std::collections::BTreeSet;

use eframe::egui;

use super::App;
use super::state::{AccountsState, AudienceDialog, LookalikeForm};
use crate::audiences::{AudienceError, Lookalike};
use crate::pinterest::{Audience, SharedAudienceAccount};
use crate::store::{Snapshot, StoreError};

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Picks an audience on the Audiences screen (its history and actions show below).
    Select(String),
    OpenLookalike,
    EditLookalike(LookalikeForm),
    CreateLookalike,
    OpenShare,
    /// The ad accounts picked in the share picker.
    EditShare(BTreeSet<String>),
    Share {
        revoke: bool,
    },
    AskRemove,
    Remove(String),
    /// Asks Pinterest for the audience's monthly reach now.
    TakeReach(String),
    CloseDialog,
    /// The form just opened was brought into view.
    Revealed,
    /// New audiences by a rule, and edits.
    Rule(rules::Action),
}

pub enum Event {
    History {
        list_id: String,
        result: Result<Vec<Snapshot>, StoreError>,
    },
    LookalikeMade(Result<Audience, AudienceError>),
    /// Who an audience is shared with now; `said` after a share or a revoke.
    Shared {
        audience: String,
        result: Result<Vec<SharedAudienceAccount>, AudienceError>,
        said: Option<String>,
    },
    Removed {
        audience: String,
        result: Result<Audience, AudienceError>,
    },
    Reached(Result<crate::store::Reach, AudienceError>),
    Rule(rules::RuleEvent),
}

impl From<Action> for super::Action {
    fn from(action: Action) -> Self {
        super::Action::Audiences(action)
    }
}

impl From<Event> for super::Event {
    fn from(event: Event) -> Self {
        super::Event::Audiences(Box::new(event))
    }
}

impl App {
    pub(super) fn apply_audiences(&mut self, action: Action, ctx: &egui::Context) {
        let audiences = &mut self.state.audiences;
        match action {
            Action::Select(id) => {
                if audiences.selected.as_ref() != Some(&id) {
                    audiences.history = None;
                    audiences.shared = None;
                    audiences.dialog = AudienceDialog::None;
                    audiences.said = None;
                }
                audiences.selected = Some(id);
                self.load_selected_history(ctx);
            }
            Action::Revealed => audiences.reveal = false,
            Action::OpenLookalike => {
                let seed = self
                    .state
                    .selected_audience()
                    .and_then(|a| a.audience.name.clone());
                let audiences = &mut self.state.audiences;
                audiences.said = None;
                audiences.reveal = true;
                audiences.dialog = AudienceDialog::Lookalike(LookalikeForm {
                    name: format!("Lookalike of {}", seed.unwrap_or_default()),
                    country: "US".into(),
                    percent: 5,
                });
            }
            Action::EditLookalike(form) => audiences.dialog = AudienceDialog::Lookalike(form),
            Action::CreateLookalike => self.create_lookalike(ctx),
            Action::OpenShare => {
                audiences.said = None;
                audiences.reveal = true;
                audiences.dialog = AudienceDialog::Share(Default::default());
                self.load_shared(ctx, None);
                if let Some(name) = self.state.audiences_connection().cloned()
                    && !matches!(
                        self.state.accounts.get(&name),
                        Some(AccountsState::Loaded(_))
                    )
                {
                    self.apply_lists(super::lists::Action::LoadAccounts(name), ctx);
                }
            }
            Action::EditShare(picked) => audiences.dialog = AudienceDialog::Share(picked),
            Action::Share { revoke } => {
                if let AudienceDialog::Share(picked) = &audiences.dialog
                    && !picked.is_empty()
                {
                    let change = (picked.iter().cloned().collect(), revoke);
                    self.load_shared(ctx, Some(change));
                }
            }
            Action::AskRemove => {
                audiences.said = None;
                audiences.reveal = true;
                audiences.dialog = AudienceDialog::Remove;
            }
            Action::Remove(id) => self.remove_audience(id, ctx),
            Action::TakeReach(id) => self.take_reach(id, ctx),
            Action::CloseDialog => audiences.dialog = AudienceDialog::None,
            Action::Rule(action) => self.apply_rule(action, ctx),
        }
    }

    pub(super) fn on_audiences(&mut self, event: Event, ctx: &egui::Context) {
        match event {
            Event::Rule(event) => self.on_rule(event, ctx),
            Event::History { list_id, result } => match result {
                Ok(seen) => {
                    let shown = self.state.selected_audience().and_then(|a| a.list_id());
                    if shown == Some(list_id.as_str()) {
                        self.state.audiences.history = Some((list_id, seen));
                    }
                }
                Err(error) => self.notify(format!("Cannot read the list's history: {error}"), true),
            },
            Event::LookalikeMade(result) => {
                self.state.audiences.busy = false;
                if result.is_ok() {
                    self.state.audiences.dialog = AudienceDialog::None;
                    self.reload_shown_lists(ctx);
                }
                self.state.audiences.said = Some(
                    result
                        .map(|a| {
                            format!(
                                "Made lookalike \"{}\" ({}); Pinterest builds it over the next \
                                 hours.",
                                a.name.unwrap_or_default(),
                                a.id
                            )
                        })
                        .map_err(|e| e.to_string()),
                );
            }
            Event::Shared {
                audience,
                result,
                said,
            } => {
                let audiences = &mut self.state.audiences;
                // A share or revoke was asked for (not only a look at who has it).
                let asked = std::mem::take(&mut audiences.busy);
                if let Some(said) = said {
                    audiences.said = Some(Ok(said));
                    audiences.dialog = AudienceDialog::Share(Default::default());
                }
                let result = result.map_err(|e| e.to_string());
                if let Err(error) = &result
                    && asked
                {
                    audiences.said = Some(Err(error.clone()));
                }
                audiences.shared = Some((audience, result));
            }
            Event::Reached(result) => {
                self.state.audiences.busy = false;
                match result {
                    // The lists read again show it, from the store.
                    Ok(_) => self.reload_shown_lists(ctx),
                    Err(e) => self.state.audiences.said = Some(Err(e.to_string())),
                }
            }
            Event::Removed { audience, result } => {
                self.state.audiences.busy = false;
                if result.is_ok() {
                    self.state.audiences.dialog = AudienceDialog::None;
                    self.state.audiences.selected = None;
                    self.reload_shown_lists(ctx);
                }
                self.state.audiences.said = Some(
                    result
                        .map(|a| {
                            format!(
                                "Removed audience \"{}\"; its customer list stays.",
                                a.name.unwrap_or(audience)
                            )
                        })
                        .map_err(|e| e.to_string()),
                );
            }
        }
    }

    /// Reads what the app saw of the selected audience's list over time.
    fn load_selected_history(&mut self, ctx: &egui::Context) {
        let (Some(core), Some(audience)) = (self.core(), self.state.selected_audience()) else {
            return;
        };
        let (Some(ad), Some(list)) = (&audience.audience.ad_account_id, audience.list_id()) else {
            return;
        };
        let (ad, list_id) = (ad.clone(), list.to_owned());
        self.tasks.blocking(ctx, move |_| {
            let result = crate::audiences::list_history(&core, &ad, &list_id);
            Event::History { list_id, result }
        });
    }

    /// Reads who the selected audience is shared with, sharing or revoking first when asked.
    fn load_shared(&mut self, ctx: &egui::Context, change: Option<(Vec<String>, bool)>) {
        let Some(core) = self.core() else { return };
        let (Some(connection), Some(audience)) = (
            self.state.audiences_connection().cloned(),
            self.state.audiences.selected.clone(),
        ) else {
            return;
        };
        self.state.audiences.busy = change.is_some();
        self.tasks.background(ctx, async move {
            let (result, said) = match &change {
                Some((recipients, revoke)) => {
                    let result =
                        crate::audiences::share(&core, &connection, &audience, recipients, *revoke)
                            .await;
                    let verb = if *revoke {
                        "Revoked from"
                    } else {
                        "Shared with"
                    };
                    let said = result
                        .is_ok()
                        .then(|| format!("{verb} {}.", recipients.join(", ")));
                    (result, said)
                }
                None => (
                    crate::audiences::shared_with(&core, &connection, &audience).await,
                    None,
                ),
            };
            Event::Shared {
                audience,
                result,
                said,
            }
        });
    }

    fn create_lookalike(&mut self, ctx: &egui::Context) {
        let Some(core) = self.core() else { return };
        let (AudienceDialog::Lookalike(form), Some(seed), Some(connection)) = (
            &self.state.audiences.dialog,
            self.state.audiences.selected.clone(),
            self.state.audiences_connection().cloned(),
        ) else {
            return;
        };
        let request = Lookalike {
            seeds: vec![seed],
            country: form.country.clone(),
            percent: form.percent,
            name: Some(form.name.trim().to_owned()).filter(|n| !n.is_empty()),
        };
        self.state.audiences.busy = true;
        self.tasks.background(ctx, async move {
            Event::LookalikeMade(
                crate::audiences::create_lookalike(&core, &connection, &request).await,
            )
        });
    }

    fn remove_audience(&mut self, audience: String, ctx: &egui::Context) {
        self.while_busy(ctx, |core, connection| async move {
            let result = crate::audiences::remove(&core, &connection, &audience).await;
            Event::Removed { audience, result }
        });
    }

    fn take_reach(&mut self, audience: String, ctx: &egui::Context) {
        self.while_busy(ctx, |core, connection| async move {
            Event::Reached(crate::audiences::take_reach(&core, &connection, &audience).await)
        });
    }

    /// Runs `work` on the shown connection in the background, the screen busy until its
    /// event comes back.
    pub(super) fn while_busy<Work>(
        &mut self,
        ctx: &egui::Context,
        work: impl FnOnce(std::sync::Arc<crate::context::Core>, String) -> Work,
    ) where
        Work: std::future::Future<Output = Event> + Send + 'static,
    {
        let (Some(core), Some(connection)) =
            (self.core(), self.state.audiences_connection().cloned())
        else {
            return;
        };
        self.state.audiences.busy = true;
        self.tasks.background(ctx, work(core, connection));
    }

    /// Reads the Audiences screen's lists again (something was made or removed).
    pub(super) fn reload_shown_lists(&mut self, ctx: &egui::Context) {
        if let Some(name) = self.state.audiences_connection().cloned() {
            self.apply_lists(super::lists::Action::Load(name), ctx);
        }
    }
}
