//! `secrets show` and `secrets move`: where a home keeps its tokens and app secrets, and
//! moving them, for every process of the home at once.

use std::sync::Arc;

use anyhow::Context;

use super::args::{SecretStoreArg, SecretsCommand};
use super::text::emit;
use crate::context::Core;
use crate::store::{
    FileSecrets, KeyringSecrets, SECRETS_FILE, SecretError, SecretPlace, SecretStore,
};

pub fn run(action: SecretsCommand) -> anyhow::Result<()> {
    let core = Core::open()?;
    let place = core
        .secret_place
        .context("this home has no secret store of its own")?;
    match action {
        SecretsCommand::Show => Ok(emit(&format!(
            "This home ({}) keeps its secrets in {}.\n",
            core.home.display(),
            core.secrets.describe()
        ))?),
        SecretsCommand::Move { to } => {
            let to = match to {
                SecretStoreArg::Keyring => SecretPlace::Keyring,
                SecretStoreArg::File => SecretPlace::File,
            };
            if to == place {
                return Ok(emit(&format!(
                    "This home keeps its secrets in {} already.\n",
                    core.secrets.describe()
                ))?);
            }
            let moved = move_secrets(&core, to)?;
            Ok(emit(&format!(
                "Moved {} to {}; every process of this home uses it from now on.\n",
                crate::display::count(moved as u64, "secret", "secrets"),
                describe(&core, to)?
            ))?)
        }
    }
}

fn target(core: &Core, to: SecretPlace) -> Result<Arc<dyn SecretStore>, SecretError> {
    Ok(match to {
        SecretPlace::File => Arc::new(FileSecrets::new(core.home.join(SECRETS_FILE))),
        SecretPlace::Keyring => {
            let home_id = core
                .store()
                .home_id()
                .map_err(|e| SecretError::Keyring(e.to_string()))?;
            Arc::new(
                KeyringSecrets::probe(&home_id).map_err(|why| SecretError::Unreachable { why })?,
            )
        }
    })
}

fn describe(core: &Core, place: SecretPlace) -> anyhow::Result<String> {
    Ok(target(core, place)?.describe())
}

/// Copies every connection's secrets and every kept database password to the other store,
/// records it as the home's, then removes them from the old one. A copy that fails leaves the home as it was.
fn move_secrets(core: &Core, to: SecretPlace) -> anyhow::Result<usize> {
    let target = target(core, to)?;
    let mut moved = Vec::new();
    let databases = core.store().databases_with_password()?;
    let keys = core
        .connections()?
        .iter()
        .flat_map(crate::pinterest::secret_keys)
        .chain(databases.iter().map(|a| crate::source::password_key(a)))
        .collect::<Vec<_>>();
    for key in keys {
        if let Some(value) = core.secrets.get(&key)? {
            target.set(&key, &value)?;
            moved.push(key);
        }
    }
    to.record(&core.home)?;
    for key in &moved {
        if let Err(e) = core.secrets.delete(key) {
            tracing::warn!("a moved secret stays in the old store too: {e}");
        }
    }
    if to == SecretPlace::Keyring {
        // Emptied: nothing of this home is left in it.
        let file = core.home.join(SECRETS_FILE);
        if std::fs::read(&file).is_ok_and(|bytes| bytes.iter().all(|b| b"{} \n".contains(b))) {
            let _ = std::fs::remove_file(&file);
        }
    }
    Ok(moved.len())
}
