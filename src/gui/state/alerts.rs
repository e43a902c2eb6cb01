//! The Alerts screen: where alerts go, the form that adds a place, and the last test.

use crate::alerts::{DestinationView, TestOutcome};
use crate::store::SentAlert;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AlertKind {
    #[default]
    Webhook,
    Email,
}

/// A new place for alerts, as typed. The password stays in memory until Add, then goes to
/// the home's secrets and out of the form.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AlertForm {
    pub kind: AlertKind,
    pub name: String,
    pub url: String,
    pub to: String,
    pub smtp: String,
    pub from: String,
    pub starttls: bool,
    pub user: String,
    pub password: String,
    pub error: Option<String>,
}

#[derive(Default)]
pub struct AlertsState {
    pub destinations: Vec<DestinationView>,
    /// The latest messages, newest first.
    pub recent: Vec<SentAlert>,
    pub loaded: bool,
    pub load_error: Option<String>,
    pub form: AlertForm,
    pub adding: bool,
    pub testing: bool,
    /// How the last test went, per place.
    pub tested: Vec<TestOutcome>,
    /// The place whose removal waits for a confirmation.
    pub confirm_remove: Option<String>,
}
