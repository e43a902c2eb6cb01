//! What the user asked for, as the views report it; the app applies it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use super::state::{ConnectionForm, LookalikeForm, SaveSyncForm, UploadForm, View};
use crate::identity::Namespace;

/// What the user asked for, as views report it.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    OpenFileDialog,
    OpenFile(PathBuf),
    Remap {
        column: usize,
        namespace: Namespace,
    },
    CancelScan,
    /// Reads a page of rows for the table (the user scrolled to it).
    LoadPage(u64),
    ExportRejects,
    DismissNotice,
    SelectConnection(String),
    NewConnection,
    EditForm(ConnectionForm),
    SaveConnection,
    AskDelete,
    CancelDelete,
    DeleteConnection(String),
    Connect(String),
    CancelConnect,
    ShowView(View),
    /// Shows the lists and audiences of a connection, fetching them.
    ShowLists(String),
    /// Fetches a connection's lists without leaving the screen.
    LoadLists(String),
    EditUpload(UploadForm),
    /// A dry run, or the plan and then the job when `start`.
    Plan {
        start: bool,
    },
    SelectJob(i64),
    PauseJob(i64),
    /// Continues a paused job, or resumes one left unfinished (interrupted, failed).
    ResumeJob(i64),
    CancelJob(i64),
    EditSaveSync(SaveSyncForm),
    /// Saves the loaded file, its mapping and the upload settings as a sync.
    SaveSync,
    SelectSync(String),
    RunSync(String),
    /// Stops a run this window started; its job stays resumable.
    StopSync(String),
    AskRemoveSync,
    CancelRemoveSync,
    RemoveSync(String),
    /// Picks an audience on the Audiences screen (its history and actions show below).
    SelectAudience(String),
    OpenLookalike,
    EditLookalike(LookalikeForm),
    CreateLookalike,
    OpenShare,
    /// The ad accounts picked in the share picker.
    EditShare(BTreeSet<String>),
    Share {
        revoke: bool,
    },
    AskRemoveAudience,
    RemoveAudience(String),
    CloseAudienceDialog,
    /// Fetches the ad accounts a connection's login reaches.
    LoadAccounts(String),
    HideIdentities(bool),
    /// Copies the redirect URI to register, for the new-connection guide.
    CopyRedirect,
}
