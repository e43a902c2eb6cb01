//! Where a job stands: the states its journal row moves through.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Running,
    Paused,
    WaitingForReconnect,
    /// The process stopped (crash, kill, power loss) while the job ran; `resume` continues it.
    Interrupted,
    Completed,
    /// Additions sent; removals wait for the user's confirmation (they would take out more of
    /// a list than its guard allows).
    Held,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Running => "running",
            JobState::Paused => "paused",
            JobState::WaitingForReconnect => "waiting_for_reconnect",
            JobState::Interrupted => "interrupted",
            JobState::Completed => "completed",
            JobState::Held => "held",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    pub(super) fn parse(text: &str) -> Option<JobState> {
        Some(match text {
            "running" => JobState::Running,
            "paused" => JobState::Paused,
            "waiting_for_reconnect" => JobState::WaitingForReconnect,
            "interrupted" => JobState::Interrupted,
            "completed" => JobState::Completed,
            "held" => JobState::Held,
            "failed" => JobState::Failed,
            "cancelled" => JobState::Cancelled,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            JobState::WaitingForReconnect => "waiting for reconnect",
            JobState::Held => "removals held",
            other => other.as_str(),
        }
    }

    /// Whether `resume` may have something to send: anything but a completed job (a
    /// cancelled one keeps its unsent batches).
    pub fn is_unfinished(self) -> bool {
        self != JobState::Completed
    }

    /// Held by a runner (or waiting for one to come back): a job in this state belongs to
    /// the process holding its lease, while that process lives.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            JobState::Running | JobState::Paused | JobState::WaitingForReconnect
        )
    }
}
