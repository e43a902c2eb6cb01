//! The connection form and the browser login.

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
        error: super::Problem,
    },
}
