use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::pinterest::ConnectionStatus;
use crate::source::{Preview, Progress, Summary};
use crate::store::Connection;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum View {
    #[default]
    Upload,
    Connection,
    Audiences,
}

/// The ad account's lists and audiences, as last fetched.
#[derive(Clone, Debug, Default)]
pub enum ListsState {
    #[default]
    Idle,
    Loading(String),
    Loaded {
        customer_lists: Vec<crate::pinterest::CustomerList>,
        audiences: Vec<crate::pinterest::Audience>,
    },
    Failed(String),
}

#[derive(Clone, Debug)]
pub struct ConnectionRow {
    pub connection: Connection,
    pub status: ConnectionStatus,
}

/// The connection settings being edited; `editing` names the stored one, if any.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectionForm {
    pub editing: Option<String>,
    pub name: String,
    pub description: String,
    pub ad_account_id: String,
    pub app_id: String,
    pub app_secret: String,
    pub error: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub enum ConnectState {
    #[default]
    Idle,
    Waiting(String),
    Done {
        name: String,
        summary: String,
    },
    Failed {
        name: String,
        error: String,
    },
}

/// Everything the views draw. Changed only by the app, from actions and task events.
#[derive(Default)]
pub struct State {
    pub view: View,
    pub connections: Vec<ConnectionRow>,
    pub selected: Option<String>,
    pub form: ConnectionForm,
    pub confirm_delete: bool,
    pub connect: ConnectState,
    pub lists: ListsState,
    /// Set when local state could not be opened; the connection screens say so.
    pub core_error: Option<String>,
    pub file: FileState,
    /// A message for the user that is not tied to one screen, shown until dismissed.
    pub notice: Option<Notice>,
    pub demo: bool,
}

pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

#[derive(Default)]
pub enum FileState {
    #[default]
    Empty,
    Loading(PathBuf),
    Failed {
        path: PathBuf,
        error: String,
    },
    Loaded(Box<Loaded>),
}

pub struct Loaded {
    pub preview: Preview,
    pub scan: ScanState,
    /// Counts every restart of the full pass; events from older passes are ignored.
    pub generation: u64,
}

pub enum ScanState {
    /// The mapping has no identity column; the message says how to map one.
    NoIdentity(String),
    Running {
        progress: Progress,
        cancel: Arc<AtomicBool>,
    },
    Done(Box<Summary>),
    Failed(String),
    Cancelled,
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
