//! `database remember|forget|list`: database passwords kept in the home's secret store.

use std::io::BufRead;

use anyhow::Context;

use super::args::DatabaseCommand;
use super::text::emit;
use crate::context::Core;
use crate::display::printable;
use crate::source::shown_address;

pub fn run(action: DatabaseCommand) -> anyhow::Result<()> {
    let core = Core::open()?;
    match action {
        DatabaseCommand::Remember { address } => {
            let address = checked(&address)?;
            let shown = printable(&address);
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("cannot read the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']);
            anyhow::ensure!(
                !password.is_empty(),
                "no password came on standard input: pipe it in, e.g. printf '%s' \"$PASSWORD\" \
                 | audience-desk database remember {shown}"
            );
            core.remember_database_password(&address, password)?;
            emit(&format!(
                "Kept the password for {shown} in {}; every query of this home on that \
                 address uses it.\n",
                core.secrets.describe()
            ))?;
        }
        DatabaseCommand::Forget { address } => {
            let address = checked(&address)?;
            let had = core.forget_database_password(&address)?;
            let shown = printable(&address);
            emit(&if had {
                format!("Forgot the password kept for {shown}.\n")
            } else {
                format!("No password was kept for {shown}.\n")
            })?;
        }
        DatabaseCommand::List => {
            let addresses = core.store().databases_with_password()?;
            if addresses.is_empty() {
                emit("No database password is kept in this home.\n")?;
            }
            for address in addresses {
                emit(&format!("{}\n", printable(&address)))?;
            }
        }
    }
    Ok(())
}

/// The address as kept, never one with a password in it.
fn checked(address: &str) -> anyhow::Result<String> {
    let shown = shown_address(address);
    anyhow::ensure!(
        shown == address.trim(),
        "the address carries a password, where the shell history and the process list would \
         show it: give the address without it ({}) and the password on standard input",
        printable(&shown)
    );
    Ok(shown)
}
