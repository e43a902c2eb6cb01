//! The changes an action makes to the state by itself, with no I/O: what the app does first
//! with every action, before any effect it starts. Tested without a window.

use super::{AudienceDialog, ConnectionForm, LookalikeForm, PlanState, State, View};
use crate::gui::Action;

impl State {
    pub fn update(&mut self, action: &Action) {
        match action {
            Action::DismissNotice => self.notice = None,
            Action::Remap { column, namespace } => {
                if let Some(loaded) = self.loaded_mut() {
                    loaded.preview.remap(*column, *namespace);
                }
            }
            Action::SelectConnection(name) => {
                if let Some(row) = self.connections.iter().find(|r| r.connection.name == *name) {
                    self.form = ConnectionForm::for_connection(row);
                }
                self.selected = Some(name.clone());
                self.view = View::Connection;
                self.confirm_delete = false;
            }
            Action::NewConnection => {
                self.form = ConnectionForm::default();
                self.selected = None;
                self.view = View::Connection;
            }
            Action::EditForm(form) => self.form = form.clone(),
            Action::AskDelete => self.confirm_delete = true,
            Action::CancelDelete | Action::DeleteConnection(_) => self.confirm_delete = false,
            Action::ShowView(view) => self.view = *view,
            Action::ShowLists(name) => {
                self.selected = Some(name.clone());
                self.view = View::Audiences;
            }
            Action::EditUpload(form) => {
                let mut form = form.clone();
                if form.connection != self.upload.connection {
                    // Lists belong to the ad account of the connection picked before.
                    form.list_id = None;
                }
                self.upload = form;
                if !matches!(self.plan, PlanState::Planning { .. }) {
                    // A plan shown for other settings would mislead.
                    self.plan = PlanState::Idle;
                }
            }
            Action::SelectJob(id) => self.jobs.selected = Some(*id),
            Action::EditSaveSync(form) => {
                self.syncs.save = form.clone();
                self.syncs.save_result = None;
            }
            Action::SelectSync(name) => {
                if self.syncs.selected.as_ref() != Some(name) {
                    self.syncs.history = None;
                }
                self.syncs.selected = Some(name.clone());
                self.syncs.confirm_remove = false;
                self.view = View::Syncs;
            }
            Action::AskRemoveSync => self.syncs.confirm_remove = true,
            Action::SelectAudience(id) => {
                if self.audiences.selected.as_ref() != Some(id) {
                    self.audiences.history = None;
                    self.audiences.shared = None;
                    self.audiences.dialog = AudienceDialog::None;
                    self.audiences.said = None;
                }
                self.audiences.selected = Some(id.clone());
            }
            Action::OpenLookalike => {
                let seed = self
                    .selected_audience()
                    .and_then(|a| a.audience.name.clone());
                self.audiences.said = None;
                self.audiences.dialog = AudienceDialog::Lookalike(LookalikeForm {
                    name: format!("Lookalike of {}", seed.unwrap_or_default()),
                    country: "US".into(),
                    percent: 5,
                });
            }
            Action::EditLookalike(form) => {
                self.audiences.dialog = AudienceDialog::Lookalike(form.clone());
            }
            Action::OpenShare => {
                self.audiences.said = None;
                self.audiences.dialog = AudienceDialog::Share(Default::default());
            }
            Action::EditShare(picked) => {
                self.audiences.dialog = AudienceDialog::Share(picked.clone());
            }
            Action::AskRemoveAudience => {
                self.audiences.said = None;
                self.audiences.dialog = AudienceDialog::Remove;
            }
            Action::CloseAudienceDialog => self.audiences.dialog = AudienceDialog::None,
            Action::HideIdentities(hide) => self.hide_identities = *hide,
            Action::CancelRemoveSync | Action::RemoveSync(_) => self.syncs.confirm_remove = false,
            // The others change the state through the work they start, not by themselves.
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::UploadForm;

    #[test]
    fn picking_another_connection_forgets_the_list_of_the_one_before() {
        let mut state = State::default();
        let eu = UploadForm {
            connection: Some("EU".into()),
            new_list: false,
            ..UploadForm::default()
        };
        state.update(&Action::EditUpload(eu.clone()));
        state.update(&Action::EditUpload(UploadForm {
            list_id: Some("42".into()),
            ..eu
        }));
        assert_eq!(state.upload.list_id.as_deref(), Some("42"));
        let mut other = state.upload.clone();
        other.connection = Some("US".into());
        state.update(&Action::EditUpload(other));
        assert_eq!(state.upload.list_id, None);
    }

    #[test]
    fn a_new_connection_clears_the_selection_and_shows_the_form() {
        let mut state = State {
            selected: Some("EU".into()),
            confirm_delete: true,
            ..State::default()
        };
        state.update(&Action::CancelDelete);
        assert!(!state.confirm_delete);
        state.update(&Action::NewConnection);
        assert_eq!(state.selected, None);
        assert_eq!(state.view, View::Connection);
        assert_eq!(state.form, ConnectionForm::default());
    }

    #[test]
    fn picking_another_audience_closes_what_was_open_about_the_last_one() {
        let mut state = State::default();
        state.update(&Action::SelectAudience("1".into()));
        state.update(&Action::AskRemoveAudience);
        assert_eq!(state.audiences.dialog, AudienceDialog::Remove);
        state.update(&Action::SelectAudience("1".into()));
        assert_eq!(
            state.audiences.dialog,
            AudienceDialog::Remove,
            "the same one"
        );
        state.update(&Action::SelectAudience("2".into()));
        assert_eq!(state.audiences.dialog, AudienceDialog::None);
        state.update(&Action::OpenLookalike);
        let AudienceDialog::Lookalike(form) = &state.audiences.dialog else {
            panic!("{:?}", state.audiences.dialog);
        };
        assert_eq!((form.country.as_str(), form.percent), ("US", 5));
    }

    #[test]
    fn the_upload_waits_for_a_file_then_a_connection() {
        let state = State::default();
        let why = state.upload_blocker().unwrap();
        assert!(why.contains("Open a customer file"), "{why}");
    }
}
