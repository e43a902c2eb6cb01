//! The Audiences screen: the audience picked, what is open about it, what it said.

use std::collections::BTreeSet;

use crate::pinterest::{ConversionTag, SharedAudienceAccount, UserWebsite};
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
    /// A new name, description or retention for the selected audience.
    Edit(EditForm),
}

/// An audience's name, description and (site visitors, people who engaged) retention, as
/// edited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditForm {
    pub name: String,
    pub description: String,
    /// `None` for audiences that keep no one for a number of days.
    pub retention_days: Option<u64>,
}

/// Which audience Pinterest builds by a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuleKind {
    Visitors,
    Engagers,
}

/// How a visitor's page address is matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlOp {
    Is,
    Contains,
    NotContains,
}

impl UrlOp {
    pub const ALL: [UrlOp; 3] = [UrlOp::Is, UrlOp::Contains, UrlOp::NotContains];

    pub fn label(self) -> &'static str {
        match self {
            UrlOp::Is => "is",
            UrlOp::Contains => "contains",
            UrlOp::NotContains => "does not contain",
        }
    }
}

/// A visitor or engagement audience being set up: every choice from the account's own tags
/// and websites, checked as it is edited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleForm {
    pub kind: RuleKind,
    pub name: String,
    pub description: String,
    /// Site visitors: the tag picked, the event ("" for any), page conditions, sources.
    pub tag: Option<String>,
    pub event: String,
    pub urls: Vec<(UrlOp, String)>,
    pub sources: BTreeSet<String>,
    pub prefill: bool,
    pub archived_confirmed: bool,
    /// People who engaged: the verified domain picked, the engagement ("" for all).
    pub domain: Option<String>,
    pub engagement: String,
    pub retention_days: u64,
}

impl RuleForm {
    pub fn new(kind: RuleKind) -> Self {
        RuleForm {
            kind,
            name: String::new(),
            description: String::new(),
            tag: None,
            event: String::new(),
            urls: Vec::new(),
            sources: BTreeSet::new(),
            prefill: true,
            archived_confirmed: false,
            domain: None,
            engagement: String::new(),
            retention_days: crate::audiences::DEFAULT_RETENTION_DAYS,
        }
    }
}

/// A connection's tags and websites, for the pickers.
#[derive(Clone, Debug, PartialEq)]
pub enum Catalog {
    Loading,
    Loaded {
        tags: Vec<ConversionTag>,
        websites: Vec<UserWebsite>,
    },
    Failed(String),
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
    /// A visitor or engagement audience being set up.
    pub creating: Option<RuleForm>,
    /// The tags and websites of a connection, for its forms.
    pub catalog: Option<(String, Catalog)>,
}
