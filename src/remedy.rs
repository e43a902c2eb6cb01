//! What the user can do about an error. The core's errors say what is wrong and carry the way
//! out as one of these; each face words it its own way: the command line as a command to run
//! (names quoted so that they paste), the window as a button or a pointer to the field.

/// The way out of an error, as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Remedy {
    /// Log the connection in to Pinterest (again).
    Connect {
        connection: String,
    },
    /// Log the connection in as another Pinterest user than before, knowingly.
    SwitchUser {
        connection: String,
        user: String,
    },
    /// Store the Pinterest app's ID and secret with the connection.
    StoreAppCredentials {
        connection: String,
    },
    /// Send to new lists, one per kind of identity, instead of one existing list.
    UseNewLists,
    /// Pick an existing list (removing from a new one does nothing).
    PickExistingList,
    /// Look the ad account's lists and audiences up, with their IDs.
    LookUpLists {
        connection: Option<String>,
    },
    /// Say which column holds which kind of identity.
    MapColumns,
    /// Say which file of a ZIP archive to read.
    NameArchiveFile,
    /// Change the saved sync's column mapping to the file as it is now.
    EditSyncMapping {
        sync: String,
    },
    /// Continue the job where it stopped.
    ResumeJob {
        job: i64,
    },
    /// Send the removals a job holds.
    ConfirmJobRemovals {
        job: i64,
    },
    /// Run the sync, sending the removals it holds.
    ConfirmSyncRemovals {
        sync: String,
    },
    /// Keep something running the saved syncs on their schedules.
    WatchSyncs,
    /// Make a visitor audience on an archived tag all the same.
    ConfirmArchivedTag,
    /// See the jobs there are.
    ListJobs,
    /// See the saved syncs there are.
    ListSyncs,
    AddConnection,
    AddSync,
    /// Keep the home's secrets in a file readable by the user only, for runs outside the
    /// desktop session.
    MoveSecretsToFile,
}

impl Remedy {
    /// The command that does it, for the command line; names single-quoted so they paste.
    pub fn command(&self) -> String {
        let quote = crate::display::shell_quote;
        match self {
            Remedy::Connect { connection } => {
                format!("audience-desk connect {}", quote(connection))
            }
            Remedy::SwitchUser { connection, .. } => {
                format!("audience-desk connect {} --switch-user", quote(connection))
            }
            Remedy::StoreAppCredentials { connection } => format!(
                "audience-desk connection edit {} --app-id ID --app-secret-stdin",
                quote(connection)
            ),
            Remedy::UseNewLists => "use --new-list NAME instead of --list".into(),
            Remedy::PickExistingList => "name the list with --list ID".into(),
            Remedy::LookUpLists {
                connection: Some(connection),
            } => format!("audience-desk lists {}", quote(connection)),
            Remedy::LookUpLists { connection: None } => "audience-desk lists CONNECTION".into(),
            Remedy::MapColumns => "--map COLUMN=email|email_sha256|gaid|idfa".into(),
            Remedy::NameArchiveFile => "--member NAME".into(),
            Remedy::EditSyncMapping { sync } => format!(
                "audience-desk sync edit {} --map COLUMN=NAMESPACE",
                quote(sync)
            ),
            Remedy::ResumeJob { job } => format!("audience-desk resume {job}"),
            Remedy::ConfirmJobRemovals { job } => {
                format!("audience-desk resume {job} --confirm-removals")
            }
            Remedy::ConfirmSyncRemovals { sync } => {
                format!("audience-desk sync run {} --confirm-removals", quote(sync))
            }
            Remedy::WatchSyncs => "audience-desk sync watch".into(),
            Remedy::ConfirmArchivedTag => "add --confirm-archived-tag".into(),
            Remedy::ListJobs => "audience-desk jobs".into(),
            Remedy::ListSyncs => "audience-desk sync list".into(),
            Remedy::AddConnection => "audience-desk connection add --name NAME ...".into(),
            Remedy::AddSync => "audience-desk sync add NAME ...".into(),
            Remedy::MoveSecretsToFile => {
                "audience-desk secrets move --to file (inside the desktop session)".into()
            }
        }
    }
}

/// An error that knows its way out.
pub trait HasRemedy {
    fn remedy(&self) -> Option<Remedy>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_quoted_so_the_command_pastes() {
        let connect = Remedy::Connect {
            connection: "EU shop".into(),
        };
        assert_eq!(connect.command(), "audience-desk connect 'EU shop'");
        let sync = Remedy::EditSyncMapping {
            sync: "it's nightly".into(),
        };
        assert_eq!(
            sync.command(),
            r"audience-desk sync edit 'it'\''s nightly' --map COLUMN=NAMESPACE"
        );
    }
}
