//! The Privacy screen: the suppression list, a person looked up, and erasures.

use crate::privacy::{Receipt, Suppression, Whereabouts};

#[derive(Default)]
pub struct PrivacyState {
    pub loaded: bool,
    pub load_error: Option<String>,
    pub suppression: Suppression,
    /// The latest erasures, newest first, with where each receipt is.
    pub erasures: Vec<(Receipt, String)>,
    /// A file of people to suppress, as chosen or typed, and why.
    pub file: String,
    pub reason: String,
    pub adding: bool,
    pub add_error: Option<String>,
    /// The suppression source whose removal waits for a confirmation.
    pub confirm_remove: Option<i64>,
    /// The person looked up or to erase, as typed.
    pub person: String,
    pub finding: bool,
    pub found: Option<Result<Vec<Whereabouts>, String>>,
    /// The erasure of `person` waits for a confirmation.
    pub confirm_erase: bool,
    pub erasing: bool,
}
