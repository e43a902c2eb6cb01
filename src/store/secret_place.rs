//! Which store a home keeps its secrets in. The choice is recorded in the home, so every
//! process of the home (the window, a terminal, a scheduled run with no desktop session)
//! uses the same store, and one that cannot reach it says so instead of looking elsewhere and
//! finding nothing.

use std::path::Path;
use std::sync::Arc;

use super::secrets::{FileSecrets, KeyringSecrets, SecretError, SecretStore};

/// Where a home's secrets are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretPlace {
    /// The OS keyring (Secret Service, Keychain, Credential Manager).
    Keyring,
    /// `secrets.json` in the home, readable by its owner only.
    File,
}

/// The file in the home that records the choice.
const RECORD: &str = "secret-store";
/// The secrets file's name in the home.
pub const SECRETS_FILE: &str = "secrets.json";

impl SecretPlace {
    pub fn as_str(self) -> &'static str {
        match self {
            SecretPlace::Keyring => "keyring",
            SecretPlace::File => "file",
        }
    }

    pub fn parse(text: &str) -> Option<SecretPlace> {
        match text.trim() {
            "keyring" => Some(SecretPlace::Keyring),
            "file" => Some(SecretPlace::File),
            _ => None,
        }
    }

    /// The home's recorded choice; `None` for a home that has not made one.
    pub fn recorded(home: &Path) -> Result<Option<SecretPlace>, SecretError> {
        let path = home.join(RECORD);
        match std::fs::read_to_string(&path) {
            Ok(text) => SecretPlace::parse(&text)
                .map(Some)
                .ok_or(SecretError::Corrupt {
                    path,
                    message: format!("it should say keyring or file, not {:?}", text.trim()),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(SecretError::File { path, source }),
        }
    }

    pub fn record(self, home: &Path) -> Result<(), SecretError> {
        let path = home.join(RECORD);
        crate::home::private_dir(home)
            .and_then(|()| {
                crate::home::write_private(&path, format!("{}\n", self.as_str()).as_bytes())
            })
            .map_err(|source| SecretError::File { path, source })
    }
}

/// A home's secret store, as `open` found it.
pub struct OpenedSecrets {
    pub store: Arc<dyn SecretStore>,
    pub place: SecretPlace,
    /// Something to tell the user once: where secrets went for a new home without a keyring,
    /// or a wish (`AUDIENCE_DESK_SECRETS`) the home's record overrides.
    pub notice: Option<String>,
}

/// The home's secret store. A home that has recorded its choice gets that store, reachable
/// or not (an unreachable keyring answers every call with the way out). A home that has not
/// chosen yet chooses now: `wanted` (`AUDIENCE_DESK_SECRETS`) if given, else the keyring when
/// one is reachable, else the file. A home from before the record with a secrets file uses
/// it; one with logins but no file had them in the keyring (`has_logins`).
pub fn open(
    home: &Path,
    home_id: &str,
    wanted: Option<SecretPlace>,
    has_logins: bool,
) -> Result<OpenedSecrets, SecretError> {
    let recorded = SecretPlace::recorded(home)?;
    let keyring = KeyringSecrets::probe(home_id);
    // Whether the place is chosen now (and recorded), and for a new home.
    let (place, decided, new) = match recorded {
        Some(place) => (place, false, false),
        None if home.join(SECRETS_FILE).exists() => (SecretPlace::File, true, false),
        None if has_logins => (SecretPlace::Keyring, keyring.is_ok(), false),
        None => match (wanted, &keyring) {
            (Some(place), _) => (place, true, true),
            (None, Ok(_)) => (SecretPlace::Keyring, true, true),
            (None, Err(_)) => (SecretPlace::File, true, true),
        },
    };
    if decided {
        place.record(home)?;
    }
    let mut notice = match wanted {
        Some(wish) if wish != place => Some(format!(
            "AUDIENCE_DESK_SECRETS={} is not followed: this home keeps its secrets in {}, for \
             every process that uses it.",
            wish.as_str(),
            describe(place, home)
        )),
        _ => None,
    };
    let store: Arc<dyn SecretStore> = match (place, keyring) {
        (SecretPlace::Keyring, Ok(keyring)) => Arc::new(keyring),
        (SecretPlace::Keyring, Err(why)) => Arc::new(Unreachable { why }),
        (SecretPlace::File, _) => {
            let file = FileSecrets::new(home.join(SECRETS_FILE));
            if new {
                notice.get_or_insert(match wanted {
                    Some(_) => format!(
                        "Tokens and secrets are kept in {} (AUDIENCE_DESK_SECRETS=file), not in \
                         the system keyring.",
                        file.describe()
                    ),
                    None => format!(
                        "No system keyring is reachable, so tokens and secrets are kept in {}.",
                        file.describe()
                    ),
                });
            }
            Arc::new(file)
        }
    };
    Ok(OpenedSecrets {
        store,
        place,
        notice,
    })
}

fn describe(place: SecretPlace, home: &Path) -> String {
    match place {
        SecretPlace::Keyring => "the system keyring".into(),
        SecretPlace::File => FileSecrets::new(home.join(SECRETS_FILE)).describe(),
    }
}

/// The keyring a home keeps its secrets in, seen from a process that cannot reach it: every
/// call says so, with the way out.
struct Unreachable {
    why: String,
}

impl Unreachable {
    fn refuse<T>(&self) -> Result<T, SecretError> {
        Err(SecretError::Unreachable {
            why: self.why.clone(),
        })
    }
}

impl SecretStore for Unreachable {
    fn get(&self, _key: &str) -> Result<Option<String>, SecretError> {
        self.refuse()
    }

    fn set(&self, _key: &str, _value: &str) -> Result<(), SecretError> {
        self.refuse()
    }

    fn delete(&self, _key: &str) -> Result<(), SecretError> {
        self.refuse()
    }

    fn describe(&self) -> String {
        format!(
            "the system keyring (not reachable from this process: {})",
            self.why
        )
    }

    fn trouble(&self) -> Option<String> {
        Some(
            SecretError::Unreachable {
                why: self.why.clone(),
            }
            .to_string(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_home_records_its_choice_and_keeps_to_it() {
        let dir = tempfile::tempdir().unwrap();
        let first = open(dir.path(), "h", Some(SecretPlace::File), false).unwrap();
        assert_eq!(first.place, SecretPlace::File);
        assert_eq!(
            SecretPlace::recorded(dir.path()).unwrap(),
            Some(SecretPlace::File)
        );
        // A later process that would rather use the keyring still uses the file, and hears why.
        let later = open(dir.path(), "h", Some(SecretPlace::Keyring), true).unwrap();
        assert_eq!(later.place, SecretPlace::File);
        assert!(later.notice.unwrap().contains("not followed"));
    }

    #[test]
    fn a_home_whose_keyring_cannot_be_reached_says_so_on_every_call() {
        let dir = tempfile::tempdir().unwrap();
        SecretPlace::Keyring.record(dir.path()).unwrap();
        let unreachable = Unreachable {
            why: "no desktop session bus".into(),
        };
        let said = unreachable
            .get("connection/1/refresh")
            .unwrap_err()
            .to_string();
        assert!(
            said.contains("cannot reach (no desktop session bus)"),
            "{said}"
        );
        let way_out = crate::remedy::HasRemedy::remedy(&unreachable.get("x").unwrap_err());
        assert_eq!(way_out, Some(crate::remedy::Remedy::MoveSecretsToFile));
        assert!(!dir.path().join(SECRETS_FILE).exists());
    }

    #[test]
    fn an_older_home_with_a_secrets_file_keeps_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(SECRETS_FILE), b"{}").unwrap();
        let opened = open(dir.path(), "h", None, true).unwrap();
        assert_eq!(opened.place, SecretPlace::File);
        assert!(opened.notice.is_none());
    }
}
