//! What the screens ask of the state: derived facts with no I/O, kept off the views so that
//! the keyboard handler, the effects and the tests ask the same questions.

use super::{ConnectionForm, JobsState, ListsState, ScanState, ScheduleChoice, State, View};
use crate::audiences::AudienceView;
use crate::overview::{ConnectionOverview, JobOverview};
use crate::pinterest::ConnectionState;
use crate::syncs::SyncOverview;
use crate::upload::{JobProgress, Mode};

impl State {
    /// Why the upload cannot start yet, as a sentence for the user; `None` when it can.
    pub fn upload_blocker(&self) -> Option<String> {
        let form = &self.upload;
        let Some(loaded) = self.loaded() else {
            return Some("Open a customer file first.".into());
        };
        if let ScanState::NoIdentity(reason) = &loaded.scan {
            return Some(reason.clone());
        }
        let Some(name) = &form.connection else {
            return Some(if self.connections.is_empty() {
                "Add a connection on the left first.".into()
            } else {
                "Pick the connection to send with.".into()
            });
        };
        match self.connections.iter().find(|r| &r.connection.name == name) {
            None => {
                return Some(format!(
                    "The connection '{name}' no longer exists; pick another."
                ));
            }
            Some(row) if row.status.state == ConnectionState::NotConnected => {
                return Some(format!("Connect '{name}' first (select it on the left)."));
            }
            Some(row) if row.status.state == ConnectionState::ReconnectRequired => {
                return Some(format!(
                    "Pinterest needs '{name}' to log in again: select it on the left and Reconnect."
                ));
            }
            Some(_) => {}
        }
        if form.new_list && form.list_name.trim().is_empty() {
            return Some("Name the new list.".into());
        }
        if !form.new_list && form.list_id.is_none() {
            return Some("Pick the list to update, or choose a new list.".into());
        }
        if form.new_list && form.mode == Mode::Remove {
            return Some("Removing from a new list does nothing; pick an existing list.".into());
        }
        None
    }

    /// Why the loaded file and the upload settings cannot be saved as a sync yet; `None`
    /// when they can.
    pub fn save_sync_blocker(&self) -> Option<String> {
        let form = &self.upload;
        let Some(loaded) = self.loaded() else {
            return Some("Open a customer file first.".into());
        };
        if let ScanState::NoIdentity(reason) = &loaded.scan {
            return Some(reason.clone());
        }
        if form.connection.is_none() {
            return Some("Pick the connection to send with.".into());
        }
        if form.new_list && form.list_name.trim().is_empty() {
            return Some("Name the new list.".into());
        }
        if !form.new_list && form.list_id.is_none() {
            return Some("Pick the list to update, or choose a new list.".into());
        }
        if self.syncs.save.name.trim().is_empty() {
            return Some("Name the sync.".into());
        }
        if self.syncs.save.schedule == ScheduleChoice::Every && self.syncs.save.every == 0 {
            return Some("Run it every 1 or more.".into());
        }
        None
    }

    /// The audience picked on the Audiences screen, as last fetched.
    pub fn selected_audience(&self) -> Option<&AudienceView> {
        let id = self.audiences.selected.as_ref()?;
        match self.lists.get(self.audiences_connection()?)? {
            ListsState::Loaded(lists) => lists.audiences.iter().find(|a| a.audience.id == *id),
            _ => None,
        }
    }

    /// The sync the Syncs screen shows: the one picked, else the first.
    pub fn shown_sync(&self) -> Option<&SyncOverview> {
        let entries = &self.syncs.entries;
        self.syncs
            .selected
            .as_ref()
            .and_then(|name| entries.iter().find(|s| &s.row.name == name))
            .or(entries.first())
    }

    /// The connection whose lists the Audiences screen shows: the one picked on the left,
    /// else the first.
    pub fn audiences_connection(&self) -> Option<&String> {
        self.selected
            .as_ref()
            .or_else(|| self.connections.first().map(|c| &c.connection.name))
    }

    /// The connection whose lists the screen on show needs, if they are not fetched yet.
    pub fn lists_wanted(&self) -> Option<String> {
        let wanted = match self.view {
            View::Audiences => self.audiences_connection(),
            View::Upload => self
                .upload
                .connection
                .as_ref()
                .filter(|_| !self.upload.new_list),
            View::Connection | View::Jobs | View::Syncs | View::Alerts | View::Privacy => None,
        };
        wanted
            .filter(|name| !self.lists.contains_key(*name))
            .cloned()
    }
}

impl ConnectionForm {
    /// The form for editing a stored connection (the secret field starts empty).
    pub fn for_connection(row: &ConnectionOverview) -> ConnectionForm {
        ConnectionForm {
            editing: Some(row.connection.name.clone()),
            name: row.connection.name.clone(),
            description: row.connection.description.clone(),
            ad_account_id: row.connection.ad_account_id.clone(),
            app_id: row.connection.app_id.clone().unwrap_or_default(),
            app_secret: String::new(),
            error: None,
        }
    }
}

impl JobsState {
    /// A job's progress: live while it runs here, else from its journal and saved report.
    pub fn progress_of(&self, entry: &JobOverview) -> JobProgress {
        let live = self.live.get(&entry.row.id);
        if let Some(live) = live {
            return live.progress.borrow().clone();
        }
        // The report is saved a moment after the job's last state; until then the file's counts
        // come from the planning pass kept with the job.
        let mut progress = match (&entry.report, &entry.scan) {
            (Some(report), _) => report.progress.clone(),
            (None, Some(scan)) => JobProgress::new(entry.row.id).with_scan(scan),
            (None, None) => JobProgress::new(entry.row.id),
        };
        progress.state = entry.row.state;
        progress.batches_total = entry.counts.batches;
        progress.batches_acked = entry.counts.batches_acked;
        progress.records_total = entry.counts.records;
        progress.records_acked = entry.counts.records_acked;
        if entry.row.message.is_some() {
            progress.message = entry.row.message.clone();
        }
        // Nothing is sending: no time left to tell.
        progress.eta_seconds = None;
        progress.records_per_second = 0.0;
        progress
    }
}
