//! One module per screen, each a `ui(ui, &State, &mut Vec<Action>)` that draws the state and
//! reports what the user did; the app's shell draws the toolbar and picks the screen.

pub mod audiences;
pub mod connection;
pub mod jobs;
pub mod side_panel;
pub mod syncs;
pub mod upload;
