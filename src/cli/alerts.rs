//! `audience-desk alerts ...`: where alerts go, and a test message to each.

use std::io::BufRead;
use std::sync::Arc;

use super::args::{AlertTarget, AlertsCommand};
use super::text::emit;
use crate::alerts::{DestinationView, NewDestination};
use crate::context::Core;

pub async fn run(action: AlertsCommand) -> anyhow::Result<()> {
    let core = Arc::new(Core::open()?);
    match action {
        AlertsCommand::Add { to } => add(&core, to).await,
        AlertsCommand::List { json } => list(&core, json),
        AlertsCommand::Remove { name } => {
            let removed = crate::alerts::remove(&core, &name)?;
            Ok(emit(&format!(
                "Alerts no longer go to '{}' ({}).\n",
                removed.name,
                removed.destination.describe()
            ))?)
        }
        AlertsCommand::Test => test(&core).await,
    }
}

async fn add(core: &Arc<Core>, to: AlertTarget) -> anyhow::Result<()> {
    let (name, new) = match to {
        AlertTarget::Webhook { url, name } => (name, NewDestination::Webhook { url }),
        AlertTarget::Email {
            address,
            smtp,
            from,
            starttls,
            user,
            password_stdin,
            name,
        } => {
            let password = if password_stdin {
                Some(read_password()?)
            } else {
                None
            };
            (
                name,
                NewDestination::Email {
                    to: address,
                    smtp,
                    from,
                    starttls,
                    user,
                    password,
                },
            )
        }
    };
    let added = crate::alerts::add(core, name.as_deref(), &new).await?;
    emit(&format!(
        "Alerts now go to '{}' ({}). Send a test message: audience-desk alerts test\n",
        added.name,
        added.destination.describe()
    ))?;
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(
        !password.is_empty(),
        "--password-stdin read an empty line; pipe the relay's password in"
    );
    Ok(password)
}

fn list(core: &Core, json: bool) -> anyhow::Result<()> {
    let destinations = crate::alerts::list(core)?;
    let recent = crate::alerts::recent(core, 10)?;
    if json {
        let document = serde_json::json!({ "alerts": destinations, "recent": recent });
        return Ok(emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(&document)?
        ))?);
    }
    if destinations.is_empty() {
        return Ok(emit(
            "No alerts yet. Add a chat webhook (audience-desk alerts add webhook URL) or a mail \
             address (audience-desk alerts add email ADDRESS --smtp HOST:PORT).\n",
        )?);
    }
    let mut text = String::new();
    for destination in &destinations {
        text.push_str(&describe(destination));
    }
    if !recent.is_empty() {
        text.push_str("\nLatest messages:\n");
        for sent in &recent {
            text.push_str(&format!(
                "  {}  {} (sent to {} of {})\n",
                crate::display::timestamp(sent.message.created_at),
                sent.message.message,
                sent.delivered_to,
                sent.destinations
            ));
        }
    }
    Ok(emit(&text)?)
}

fn describe(destination: &DestinationView) -> String {
    let last = match (destination.last_delivered_at, &destination.last_error) {
        (_, Some(error)) => format!("last try failed: {error}"),
        (Some(at), None) => format!("last sent {}", crate::display::relative(at)),
        (None, None) => "nothing sent yet".into(),
    };
    format!(
        "{} ({}): {}; {last}\n",
        destination.name,
        destination.destination.kind(),
        destination.destination.describe()
    )
}

async fn test(core: &Arc<Core>) -> anyhow::Result<()> {
    let outcomes = crate::alerts::test(core).await?;
    anyhow::ensure!(
        !outcomes.is_empty(),
        "there are no alerts to test; add one first (audience-desk alerts add webhook URL)"
    );
    let mut failed = 0;
    for (name, outcome) in &outcomes {
        match outcome {
            Ok(()) => emit(&format!("{name}: sent\n"))?,
            Err(error) => {
                failed += 1;
                emit(&format!("{name}: not sent: {error}\n"))?;
            }
        }
    }
    anyhow::ensure!(
        failed == 0,
        "{} of {} did not take the test message",
        failed,
        outcomes.len()
    );
    Ok(())
}
