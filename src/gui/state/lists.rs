//! What Pinterest holds for a connection, as last fetched: its ad account's lists and
//! audiences, and the ad accounts its login reaches.

use crate::overview::AdAccountLists;
use crate::pinterest::AdAccount;

/// The ad accounts a connection's login reaches, as last fetched.
#[derive(Clone, Debug)]
pub enum AccountsState {
    Loading,
    Loaded(Vec<AdAccount>),
    Failed(String),
}

/// One connection's ad account lists and audiences, as last fetched.
#[derive(Clone, Debug)]
pub enum ListsState {
    Loading,
    Loaded(AdAccountLists),
    Failed(super::Problem),
}
