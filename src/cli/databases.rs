//! `database remember|forget|list`: database passwords kept in the home's secret store.

use std::io::BufRead;

use anyhow::Context;

use super::args::DatabaseCommand;
use super::text::emit;
use crate::context::Core;
use crate::source::Query;

pub fn run(action: DatabaseCommand) -> anyhow::Result<()> {
    let core = Core::open()?;
    match action {
        DatabaseCommand::Remember { address } => {
            let address = checked(&address)?;
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']);
            anyhow::ensure!(
                !password.is_empty(),
                "no password came on standard input: pipe it in, e.g. printf '%s' \"$PASSWORD\" \
                 | audience-desk database remember {address}"
            );
            core.remember_database_password(&address, password)?;
            emit(&format!(
                "Kept the password for {address} in {}; every query of this home on that \
                 address uses it.\n",
                core.secrets.describe()
            ))?;
        }
        DatabaseCommand::Forget { address } => {
            let address = checked(&address)?;
            let had = core.forget_database_password(&address)?;
            emit(&if had {
                format!("Forgot the password kept for {address}.\n")
            } else {
                format!("No password was kept for {address}.\n")
            })?;
        }
        DatabaseCommand::List => {
            let addresses = core.store().databases_with_password()?;
            if addresses.is_empty() {
                emit("No database password is kept in this home.\n")?;
            }
            for address in addresses {
                emit(&format!("{}\n", crate::display::printable(&address)))?;
            }
        }
    }
    Ok(())
}

/// The address as kept: trimmed, and never one with a password in it.
fn checked(address: &str) -> anyhow::Result<String> {
    let shown = Query {
        database: address.to_owned(),
        sql: String::new(),
    }
    .shown();
    anyhow::ensure!(
        shown == address.trim(),
        "the address carries a password, where the shell history and the process list would \
         show it: give the address without it ({shown}) and the password on standard input"
    );
    Ok(shown)
}
