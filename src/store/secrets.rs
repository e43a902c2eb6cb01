//! Tokens and app secrets. The OS keyring when one is reachable; otherwise a file readable by
//! the owner only (mode 0600) in the home directory, which the app says once.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

const SERVICE: &str = "audience-desk";

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error(
        "the system keyring refused: {0}. Unlock it (log in to the desktop session) and try \
         again, or keep this home's secrets in a file readable by you only"
    )]
    Keyring(String),
    #[error("cannot use the secrets file {}: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the secrets file {} is damaged: {message}; remove it and connect again", path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error(
        "this home keeps its tokens and secrets in the system keyring, which this process \
         cannot reach ({why}). Run it inside your desktop session, where the keyring is \
         unlocked; or, for runs without one (cron, SSH), keep this home's secrets in a file \
         readable by you only"
    )]
    Unreachable { why: String },
}

impl crate::remedy::HasRemedy for SecretError {
    fn remedy(&self) -> Option<crate::remedy::Remedy> {
        match self {
            SecretError::Keyring(_) | SecretError::Unreachable { .. } => {
                Some(crate::remedy::Remedy::MoveSecretsToFile)
            }
            SecretError::File { .. } | SecretError::Corrupt { .. } => None,
        }
    }
}

/// Where secrets go. Keys are stable names such as `connection/3/refresh`.
pub trait SecretStore: Send + Sync {
    fn get(&self, key: &str) -> Result<Option<String>, SecretError>;
    fn set(&self, key: &str, value: &str) -> Result<(), SecretError>;
    fn delete(&self, key: &str) -> Result<(), SecretError>;
    /// Where the secrets are, for the user.
    fn describe(&self) -> String;
    /// A problem the user should hear about that did not stop the work: secrets kept only in
    /// memory because the store refused them.
    fn trouble(&self) -> Option<String> {
        None
    }
}

/// The OS keyring (Secret Service, Keychain, Credential Manager). Every home of the user
/// shares it, so each home's secrets are named under the home's own identifier.
///
/// What this process read or wrote is also kept in memory: when the keyring is locked or gone
/// mid-session, the running process keeps using its tokens (a refresh rotates the refresh
/// token, and losing the new one would force a new login) and says so.
pub struct KeyringSecrets {
    home_id: String,
    known: Mutex<BTreeMap<String, String>>,
    trouble: Mutex<Option<String>>,
}

impl KeyringSecrets {
    /// Why not, when no keyring is reachable (a headless box, a process with no D-Bus
    /// session).
    pub fn probe(home_id: &str) -> Result<KeyringSecrets, String> {
        if let Err(e) = keyring::Entry::store_status() {
            return Err(match std::env::var_os("DBUS_SESSION_BUS_ADDRESS") {
                None => format!("no desktop session bus: DBUS_SESSION_BUS_ADDRESS is not set; {e}"),
                Some(_) => e.to_string(),
            });
        }
        keyring::Entry::new(SERVICE, "probe").map_err(|e| e.to_string())?;
        Ok(KeyringSecrets {
            home_id: home_id.to_owned(),
            known: Mutex::default(),
            trouble: Mutex::default(),
        })
    }

    fn entry(name: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(SERVICE, name).map_err(|e| SecretError::Keyring(e.to_string()))
    }

    fn scoped(&self, key: &str) -> Result<keyring::Entry, SecretError> {
        Self::entry(&format!("{}/{key}", self.home_id))
    }

    fn read(entry: &keyring::Entry) -> Result<Option<String>, SecretError> {
        match entry.get_password() {
            Ok(value) => Ok(Some(value)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(SecretError::Keyring(e.to_string())),
        }
    }
}

impl KeyringSecrets {
    // Invariant for the locks below: nothing panics while they are held.
    fn remember(&self, key: &str, value: Option<&str>) {
        let mut known = self.known.lock().expect("keyring memory");
        match value {
            Some(value) => known.insert(key.to_owned(), value.to_owned()),
            None => known.remove(key),
        };
    }

    /// Keeps `key` in memory after the keyring refused it, and tells the user once.
    fn refused(&self, key: &str, error: SecretError) -> Result<Option<String>, SecretError> {
        let Some(value) = self.known.lock().expect("keyring memory").get(key).cloned() else {
            return Err(error);
        };
        let mut trouble = self.trouble.lock().expect("keyring trouble");
        if trouble.is_none() {
            tracing::warn!("keyring unusable, keeping this session's secrets in memory: {error}");
            *trouble = Some(format!(
                "The system keyring cannot be used ({error}). This session's tokens are kept in \
                 memory and work until Audience Desk closes; unlock the keyring before then, or \
                 connect again after a restart."
            ));
        }
        Ok(Some(value))
    }

    /// Only this home's own entries: the unscoped names of versions before home identifiers
    /// cannot say which home they belong to, so none is adopted (a connection of one home
    /// would log in with another's tokens) nor removed.
    fn get_stored(&self, key: &str) -> Result<Option<String>, SecretError> {
        Self::read(&self.scoped(key)?)
    }
}

impl SecretStore for KeyringSecrets {
    /// The keyring's value when it answers (another process may have rotated a token), else
    /// what this process last knew.
    fn get(&self, key: &str) -> Result<Option<String>, SecretError> {
        match self.get_stored(key) {
            Ok(value) => {
                self.remember(key, value.as_deref());
                Ok(value)
            }
            Err(e) => self.refused(key, e),
        }
    }

    fn set(&self, key: &str, value: &str) -> Result<(), SecretError> {
        self.remember(key, Some(value));
        let stored = self.scoped(key).and_then(|entry| {
            entry
                .set_password(value)
                .map_err(|e| SecretError::Keyring(e.to_string()))
        });
        match stored {
            Ok(()) => Ok(()),
            Err(e) => self.refused(key, e).map(drop),
        }
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        self.remember(key, None);
        match self.scoped(key)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(SecretError::Keyring(e.to_string())),
        }
    }

    fn describe(&self) -> String {
        "the system keyring".into()
    }

    fn trouble(&self) -> Option<String> {
        self.trouble.lock().expect("keyring trouble").clone()
    }
}

/// A JSON map in a file only its owner can read. Every write replaces the file atomically.
pub struct FileSecrets {
    path: PathBuf,
    lock: Mutex<()>,
}

impl FileSecrets {
    pub fn new(path: PathBuf) -> Self {
        FileSecrets {
            path,
            lock: Mutex::new(()),
        }
    }

    fn file_error(&self, source: std::io::Error) -> SecretError {
        SecretError::File {
            path: self.path.clone(),
            source,
        }
    }

    fn load(&self) -> Result<BTreeMap<String, String>, SecretError> {
        match fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| SecretError::Corrupt {
                path: self.path.clone(),
                message: e.to_string(),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(self.file_error(e)),
        }
    }

    fn save(&self, map: &BTreeMap<String, String>) -> Result<(), SecretError> {
        let bytes = serde_json::to_vec_pretty(map).map_err(|e| SecretError::Corrupt {
            path: self.path.clone(),
            message: e.to_string(),
        })?;
        crate::home::write_private(&self.path, &bytes).map_err(|e| self.file_error(e))
    }

    /// Read, change and write back under a lock that other processes on this home honour
    /// too, so two writers never lose each other's change.
    fn update(
        &self,
        change: impl FnOnce(&mut BTreeMap<String, String>),
    ) -> Result<(), SecretError> {
        // Invariant: nothing panics while the lock is held except on a bug.
        let _guard = self.lock.lock().expect("secrets file lock");
        let home = self.path.parent().unwrap_or(Path::new("."));
        let _across_processes =
            crate::home::HomeLock::acquire(home, "secrets").map_err(|e| self.file_error(e))?;
        let mut map = self.load()?;
        change(&mut map);
        self.save(&map)
    }
}

impl SecretStore for FileSecrets {
    fn get(&self, key: &str) -> Result<Option<String>, SecretError> {
        let _guard = self.lock.lock().expect("secrets file lock");
        Ok(self.load()?.get(key).cloned())
    }

    fn set(&self, key: &str, value: &str) -> Result<(), SecretError> {
        self.update(|map| {
            map.insert(key.to_owned(), value.to_owned());
        })
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        self.update(|map| {
            map.remove(key);
        })
    }

    fn describe(&self) -> String {
        format!("{} (readable by you only)", self.path.display())
    }
}

/// Secrets that live as long as the process: tests and demo mode.
#[derive(Default)]
pub struct MemorySecrets(Mutex<BTreeMap<String, String>>);

impl SecretStore for MemorySecrets {
    fn get(&self, key: &str) -> Result<Option<String>, SecretError> {
        Ok(self
            .0
            .lock()
            .expect("memory secrets lock")
            .get(key)
            .cloned())
    }

    fn set(&self, key: &str, value: &str) -> Result<(), SecretError> {
        self.0
            .lock()
            .expect("memory secrets lock")
            .insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<(), SecretError> {
        self.0.lock().expect("memory secrets lock").remove(key);
        Ok(())
    }

    fn describe(&self) -> String {
        "memory (gone when the app closes)".into()
    }
}

/// The keyring when reachable and wanted, else the 0600 file. The second value is a notice to
/// show the user once per home directory.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_secrets_round_trip_with_owner_only_mode() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = FileSecrets::new(dir.path().join("secrets.json"));
        assert_eq!(secrets.get("a").unwrap(), None);
        secrets.set("a", "1").unwrap();
        secrets.set("b", "2").unwrap();
        secrets.delete("a").unwrap();
        assert_eq!(secrets.get("a").unwrap(), None);
        assert_eq!(secrets.get("b").unwrap().as_deref(), Some("2"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("secrets.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn writers_on_one_file_never_lose_each_others_changes() {
        let dir = tempfile::tempdir().unwrap();
        // Two stores on one file stand for two processes: they share no in-process lock.
        let writers: Vec<_> = (0..2)
            .map(|w| {
                let path = dir.path().join("secrets.json");
                std::thread::spawn(move || {
                    let secrets = FileSecrets::new(path);
                    for i in 0..40 {
                        secrets.set(&format!("w{w}/{i}"), "v").unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        let map = FileSecrets::new(dir.path().join("secrets.json"))
            .load()
            .unwrap();
        assert_eq!(map.len(), 80);
    }
}
