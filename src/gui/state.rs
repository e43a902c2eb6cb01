//! Everything the views draw, composed of each feature's part (`state/<feature>.rs`) and what
//! the whole window shares: the screen shown and the notice line.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

mod alerts;
mod audiences;
mod connections;
mod file;
mod jobs;
mod lists;
mod model;
mod notices;
mod privacy;
mod syncs;
mod upload;

pub use alerts::{AlertForm, AlertKind, AlertsState};
pub use audiences::{
    AudienceDialog, AudiencesState, Catalog, EditForm, LookalikeForm, RuleForm, RuleKind, UrlOp,
};
pub use connections::{ConnectState, ConnectionForm};
pub use file::{
    FileState, Found, Loaded, PAGE_ROWS, PathPrompt, PathPurpose, QueryForm, QueryStatus,
    RowsShown, ScanState,
};
pub use jobs::{JobsState, LiveJob};
pub use lists::{AccountsState, ListsState};
pub use notices::Notices;
pub use privacy::PrivacyState;

pub use syncs::{LiveRun, PeriodUnit, SaveSyncForm, ScheduleChoice, SyncEditForm, SyncsState};
pub use upload::{PlanState, UploadForm};

use crate::overview::ConnectionOverview;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum View {
    #[default]
    Upload,
    Connection,
    Audiences,
    Jobs,
    Syncs,
    Alerts,
    Privacy,
}

impl View {
    /// The views the keyboard cycles through (Ctrl+1..7), in toolbar order.
    pub const ALL: [View; 7] = [
        View::Upload,
        View::Jobs,
        View::Syncs,
        View::Audiences,
        View::Alerts,
        View::Privacy,
        View::Connection,
    ];

    pub fn title(self) -> &'static str {
        match self {
            View::Upload => "Upload",
            View::Jobs => "Jobs",
            View::Audiences => "Audiences",
            View::Connection => "Connection",
            View::Syncs => "Syncs",
            View::Alerts => "Alerts",
            View::Privacy => "Privacy",
        }
    }
}

/// Something that went wrong, as the window says it: the core's sentence, and the way out
/// it named, which the window offers as a button where it can.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub text: String,
    pub remedy: Option<crate::remedy::Remedy>,
}

impl Problem {
    pub fn of(error: &(impl std::fmt::Display + crate::remedy::HasRemedy)) -> Problem {
        Problem {
            text: error.to_string(),
            remedy: error.remedy(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// Everything the views draw. Changed only by the app, from actions and task events.
#[derive(Default)]
pub struct State {
    pub view: View,
    pub connections: Vec<ConnectionOverview>,
    pub selected: Option<String>,
    pub form: ConnectionForm,
    pub confirm_delete: bool,
    pub connect: ConnectState,
    /// Lists and audiences by connection name: the upload form and the Audiences screen read
    /// the same entry, and showing one never fetches another's.
    pub lists: BTreeMap<String, ListsState>,
    /// Set when local state could not be opened; the connection screens say so.
    pub core_error: Option<String>,
    pub file: FileState,
    /// A path asked for in the window, where the desktop has no file dialog.
    pub path_prompt: Option<PathPrompt>,
    /// The "Open query..." dialog, while open.
    pub query_form: Option<QueryForm>,
    /// Messages for the user that are not tied to one screen, stacked in a corner.
    pub notices: Notices,
    pub demo: bool,
    /// The demo's simulator and home are being set up.
    pub demo_starting: bool,
    pub upload: UploadForm,
    pub plan: PlanState,
    pub jobs: JobsState,
    pub syncs: SyncsState,
    pub audiences: AudiencesState,
    pub alerts: AlertsState,
    pub privacy: PrivacyState,
    /// The ad accounts each connection's login reaches (the share picker, the account picker).
    pub accounts: BTreeMap<String, AccountsState>,
    /// Masks raw and normalized values in the preview (for screen sharing); remembered.
    pub hide_identities: bool,
    /// The redirect URI to register on the Pinterest app, and where secrets are kept: what
    /// the connection form tells a newcomer.
    pub redirect_uri: String,
    pub secret_place: String,
}

impl State {
    pub fn loaded(&self) -> Option<&Loaded> {
        match &self.file {
            FileState::Loaded(loaded) => Some(loaded),
            _ => None,
        }
    }

    pub fn loaded_mut(&mut self) -> Option<&mut Loaded> {
        match &mut self.file {
            FileState::Loaded(loaded) => Some(loaded),
            _ => None,
        }
    }
}
