//! The Audiences screen: the audience picked, what is open about it, what it said.

use std::collections::BTreeSet;

use crate::pinterest::SharedAudienceAccount;
use crate::store::Snapshot;

/// A lookalike being set up on the Audiences screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LookalikeForm {
    pub name: String,
    pub country: String,
    pub percent: u64,
}

/// What the Audiences screen has open about the selected audience.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AudienceDialog {
    #[default]
    None,
    Lookalike(LookalikeForm),
    /// The ad accounts picked to share with (or revoke from).
    Share(BTreeSet<String>),
    Remove,
}

#[derive(Default)]
pub struct AudiencesState {
    /// The audience picked in the table, by id.
    pub selected: Option<String>,
    pub dialog: AudienceDialog,
    /// What the app saw of the selected audience's list over time, by list id.
    pub history: Option<(String, Vec<Snapshot>)>,
    /// Who the selected audience is shared with, by audience id.
    pub shared: Option<(String, Result<Vec<SharedAudienceAccount>, String>)>,
    /// Work under way for the dialog (making a lookalike, sharing, removing).
    pub busy: bool,
    /// A form opened that the screen has not brought into view yet.
    pub reveal: bool,
    /// What the last of that work said.
    pub said: Option<Result<String, String>>,
}
