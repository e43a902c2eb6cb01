//! What Pinterest holds for a connection, read in the background and kept by connection
//! name: its ad account's lists and audiences (the upload's list picker and the Audiences
//! screen read the same entry), and the ad accounts its login reaches (the connection's
//! account picker and the share picker).

use eframe::egui;

use super::App;
use super::state::{AccountsState, ListsState, Problem, View};
use crate::overview::AdAccountLists;
use crate::pinterest::{AdAccount, PinterestError};

#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Shows the lists and audiences of a connection, fetching them.
    Show(String),
    /// Fetches a connection's lists without leaving the screen.
    Load(String),
    /// Fetches the ad accounts a connection's login reaches.
    LoadAccounts(String),
}

pub enum Event {
    Lists {
        name: String,
        result: Result<AdAccountLists, PinterestError>,
    },
    Accounts {
        name: String,
        result: Result<Vec<AdAccount>, PinterestError>,
    },
}

impl From<Action> for super::Action {
    fn from(action: Action) -> Self {
        super::Action::Lists(action)
    }
}

impl From<Event> for super::Event {
    fn from(event: Event) -> Self {
        super::Event::Lists(event)
    }
}

impl App {
    pub(super) fn apply_lists(&mut self, action: Action, ctx: &egui::Context) {
        match action {
            Action::Show(name) => {
                self.state.selected = Some(name.clone());
                self.state.view = View::Audiences;
                self.apply_lists(Action::Load(name), ctx);
            }
            Action::Load(name) => {
                let Some(core) = self.core() else { return };
                self.state.lists.insert(name.clone(), ListsState::Loading);
                self.tasks.background(ctx, async move {
                    let result = crate::overview::ad_account_lists(&core, &name).await;
                    Event::Lists { name, result }
                });
            }
            Action::LoadAccounts(name) => {
                let Some(core) = self.core() else { return };
                self.state
                    .accounts
                    .insert(name.clone(), AccountsState::Loading);
                self.tasks.background(ctx, async move {
                    let result = core.ad_accounts(&name).await;
                    Event::Accounts { name, result }
                });
            }
        }
    }

    pub(super) fn on_lists(&mut self, event: Event) {
        match event {
            Event::Lists { name, result } => {
                let entry = match result {
                    Ok(mut lists) => {
                        self.tell_news(std::mem::take(&mut lists.news));
                        ListsState::Loaded(lists)
                    }
                    Err(error) => ListsState::Failed(Problem::of(&error)),
                };
                self.state.lists.insert(name, entry);
            }
            Event::Accounts { name, result } => {
                let entry = match result {
                    Ok(accounts) => AccountsState::Loaded(accounts),
                    Err(error) => AccountsState::Failed(error.to_string()),
                };
                self.state.accounts.insert(name, entry);
            }
        }
    }

    /// Fetches the lists the screen on show needs, once; views only read them.
    pub(super) fn fetch_lists_shown(&mut self, ctx: &egui::Context) {
        if let Some(name) = self.state.lists_wanted() {
            self.apply_lists(Action::Load(name), ctx);
        }
    }

    /// Reads a connection's lists again if they are shown or picked from (something was made,
    /// removed or sent).
    pub(super) fn reload_lists(&mut self, name: String, ctx: &egui::Context) {
        if self.state.lists.contains_key(&name) {
            self.apply_lists(Action::Load(name), ctx);
        }
    }

    /// Alerts about each audience that settled; returns their connections.
    pub(super) fn tell_news(
        &mut self,
        news: Vec<crate::audiences::HealthNews>,
    ) -> std::collections::BTreeSet<String> {
        let mut connections = std::collections::BTreeSet::new();
        for item in news {
            let ready = item.status == "READY";
            let title = if ready {
                "Audience ready"
            } else {
                "Audience too small"
            };
            self.alert(title, item.sentence(), !ready);
            connections.insert(item.connection);
        }
        connections
    }
}
