//! What the Upload screen holds beside the file: where the upload goes and its plan.

use serde::{Deserialize, Serialize};

use crate::source::Progress;
use crate::upload::{Mode, Plan};

/// Where an upload goes, as the user set it; remembered between sessions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UploadForm {
    pub connection: Option<String>,
    pub new_list: bool,
    pub list_name: String,
    /// The existing list picked from the ad account's lists.
    pub list_id: Option<String>,
    pub mode: Mode,
    pub create_audience: bool,
}

impl Default for UploadForm {
    fn default() -> Self {
        UploadForm {
            connection: None,
            new_list: true,
            list_name: String::new(),
            list_id: None,
            mode: Mode::Add,
            create_audience: true,
        }
    }
}

/// The dry run or the planning pass before a start.
#[derive(Default)]
pub enum PlanState {
    #[default]
    Idle,
    Planning {
        progress: Progress,
        /// Starts the job once planned; a dry run stops at the plan.
        start: bool,
    },
    Ready(Box<Plan>),
    Failed(super::Problem),
}
