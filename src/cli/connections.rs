//! Connections, the browser login, and what the login reaches.

use std::io::{BufRead, IsTerminal, Write};
use std::time::Duration;

use super::args::{ConnectionCommand, SimArgs};
use super::text::{emit, relative};
use crate::context::{AccessReport, Core};
use crate::overview::ConnectionOverview;
use crate::pinterest::{ConnectionState, ConnectionStatus, open_in_browser};
use crate::sim::{Faults, SimConfig};
use crate::store::{ConnectionUpdate, NewConnection};

fn open_core() -> anyhow::Result<Core> {
    let core = Core::open()?;
    if let Some(notice) = &core.notice {
        eprintln!("{notice}");
    }
    Ok(core)
}

fn read_secret() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Pinterest app secret: ");
        std::io::stderr().flush()?;
    }
    let mut line = String::new();
    stdin.lock().read_line(&mut line)?;
    let secret = line.trim().to_owned();
    anyhow::ensure!(!secret.is_empty(), "no app secret on standard input");
    Ok(secret)
}

pub fn manage(action: ConnectionCommand) -> anyhow::Result<()> {
    let core = open_core()?;
    match action {
        ConnectionCommand::Add {
            connection,
            name,
            ad_account_id,
            description,
            app_id,
            app_secret_stdin,
        } => {
            let secret = app_secret_stdin.then(read_secret).transpose()?;
            let Some(name) = connection.or(name) else {
                anyhow::bail!("name the connection: connection add NAME --ad-account-id ID");
            };
            let new = NewConnection {
                name,
                description,
                ad_account_id,
                app_id,
            };
            let connection = core.add_connection(&new, secret.as_deref())?;
            emit(&format!(
                "Added '{}' for ad account {}. Next: audience-desk connect {}\n",
                connection.name, connection.ad_account_id, connection.name
            ))?;
        }
        ConnectionCommand::List { json } => list(&core, json)?,
        ConnectionCommand::Edit {
            name,
            rename,
            description,
            ad_account_id,
            app_id,
            app_secret_stdin,
        } => {
            let secret = app_secret_stdin.then(read_secret).transpose()?;
            let update = ConnectionUpdate {
                name: rename,
                description,
                ad_account_id,
                app_id: app_id.map(Some),
            };
            let connection = core.update_connection(&name, &update, secret.as_deref())?;
            emit(&format!("Updated '{}'.\n", connection.name))?;
        }
        ConnectionCommand::Remove { name } => {
            let connection = core.remove_connection(&name)?;
            emit(&format!(
                "Removed '{}' with its tokens and stored secret.\n",
                connection.name
            ))?;
        }
    }
    Ok(())
}

fn list(core: &Core, json: bool) -> anyhow::Result<()> {
    let listed = crate::overview::connections(core)?;
    if json {
        return Ok(emit(&(serde_json::to_string_pretty(&listed)? + "\n"))?);
    }
    if listed.is_empty() {
        return Ok(emit(
            "No connections yet. Add one: audience-desk connection add --name NAME --ad-account-id ID\n",
        )?);
    }
    let mut out = format!(
        "{:<20} {:<19} {:<19} {:<16} {:<16} {}\n",
        "NAME", "AD ACCOUNT", "STATE", "ACCESS EXPIRES", "REFRESH EXPIRES", "DESCRIPTION"
    );
    let now = crate::os::now();
    for overview in &listed {
        let ConnectionOverview { connection, status } = overview;
        out += &format!(
            "{:<20} {:<19} {:<19} {:<16} {:<16} {}\n",
            connection.name,
            connection.ad_account_id,
            status.state.label(),
            status.access_expires_at.map(relative).unwrap_or_default(),
            status.refresh_expires_at.map(relative).unwrap_or_default(),
            connection.description
        );
        if let Some(attention) = overview.attention(now) {
            out += &format!("    {attention}\n");
        }
    }
    Ok(emit(&out)?)
}

pub async fn connect(name: &str, timeout: u64, switch_user: bool) -> anyhow::Result<()> {
    let core = open_core()?;
    let open = |url: &url::Url| {
        eprintln!(
            "Opening Pinterest's login page in your browser. If it does not open, visit:\n  {url}"
        );
        open_in_browser(url.as_str())
    };
    let timeout = Duration::from_secs(timeout);
    let report = if switch_user {
        core.connect_switching(name, open, timeout).await?
    } else {
        core.connect(name, open, timeout).await?
    };
    if let Some(problem) = &report.problem {
        anyhow::bail!(
            "not connected: {problem}. The login's tokens were not saved{}",
            match core.connection_status(name).await?.state {
                ConnectionState::NotConnected => String::new(),
                _ => "; the connection keeps its earlier login".into(),
            }
        );
    }
    let status = core.connection_status(name).await?;
    emit(&describe_access(&report, &status))?;
    Ok(())
}

fn describe_access(report: &AccessReport, status: &ConnectionStatus) -> String {
    let mut out = report.summary() + "\n";
    if let (Some(access), Some(refresh)) = (status.access_expires_at, status.refresh_expires_at) {
        out += &format!(
            "The access token expires {}; it is refreshed automatically before then. Without \
             use, the login lapses {}.\n",
            relative(access),
            relative(refresh)
        );
    }
    out
}

pub async fn accounts(name: &str, json: bool) -> anyhow::Result<()> {
    let core = open_core()?;
    let wanted = core.connection(name)?.ad_account_id;
    let accounts = core.ad_accounts(name).await?;
    if json {
        return Ok(emit(&(serde_json::to_string_pretty(&accounts)? + "\n"))?);
    }
    let mut out = format!(
        "  {:<19} {:<28} {:<16} {:<8} {:<8} {}\n",
        "ID", "NAME", "OWNER", "CURRENCY", "UPLOADS", "YOUR ROLES"
    );
    for a in &accounts {
        let uploads = a
            .permissions
            .iter()
            .any(|p| crate::pinterest::audience_roles().contains(&p.as_str()));
        out += &format!(
            "{} {:<19} {:<28} {:<16} {:<8} {:<8} {}\n",
            if a.id == wanted { "*" } else { " " },
            a.id,
            a.name.as_deref().unwrap_or(""),
            a.owner
                .as_ref()
                .and_then(|o| o.username.as_deref())
                .unwrap_or(""),
            a.currency.as_deref().unwrap_or(""),
            if uploads { "yes" } else { "no" },
            a.permissions.join(", ")
        );
    }
    if !accounts.iter().any(|a| a.id == wanted) {
        out += &format!("\nThe connection's ad account {wanted} is not among them.\n");
    } else {
        out += "\n* the connection's ad account. Uploads need the Owner, Admin or Audience \
                manager role.\n";
    }
    Ok(emit(&out)?)
}

pub async fn lists(name: &str, json: bool) -> anyhow::Result<()> {
    let core = open_core()?;
    let found = crate::overview::ad_account_lists(&core, name).await?;
    let ad = &found.ad_account_id;
    if json {
        return Ok(emit(&(serde_json::to_string_pretty(&found)? + "\n"))?);
    }
    let n = |v: Option<u64>| v.map_or(String::new(), super::text::group);
    let mut out = format!("Customer lists of ad account {ad}:\n");
    out += &format!(
        "  {:<16} {:<32} {:<11} {:>8} {:>12} {:>12} {:>12}\n",
        "ID", "NAME", "STATUS", "BATCHES", "UPLOADED", "REMOVED", "FROM HERE"
    );
    for view in &found.customer_lists {
        let l = &view.list;
        out += &format!(
            "  {:<16} {:<32} {:<11} {:>8} {:>12} {:>12} {:>12}\n",
            l.id,
            l.name.as_deref().unwrap_or(""),
            l.status.as_deref().unwrap_or(""),
            n(l.num_batches),
            n(l.num_uploaded_user_records),
            n(l.num_removed_user_records),
            super::text::group(view.identities)
        );
    }
    if found.customer_lists.is_empty() {
        out += "  (none)\n";
    }
    out += "\nAudiences:\n";
    out += &format!(
        "  {:<16} {:<32} {:<13} {:>10} {:>11} {:>19} {}\n",
        "ID", "NAME", "STATUS", "SIZE", "MATCH RATE", "REACH A MONTH", "WHO"
    );
    for view in &found.audiences {
        let a = &view.audience;
        out += &format!(
            "  {:<16} {:<32} {:<13} {:>10} {:>11} {:>19} {}: {}\n",
            a.id,
            a.name.as_deref().unwrap_or(""),
            view.status(),
            a.size.map_or(
                "pending".to_owned(),
                |s| super::text::group(s.max(0) as u64)
            ),
            view.match_rate
                .map_or_else(|| "unknown".to_owned(), |r| format!("~{:.0}%", r * 100.0)),
            view.reach.map_or_else(String::new, |r| format!(
                "{}-{}",
                super::text::group(r.lower),
                super::text::group(r.upper)
            )),
            view.kind,
            view.rule_in_words
        );
    }
    if found.audiences.is_empty() {
        out += "  (none)\n";
    }
    if !found.received_audiences.is_empty() {
        out += "\nShared with this account by others (not its own):\n";
        out += &format!(
            "  {:<16} {:<32} {:<13} {:>10} {}\n",
            "ID", "NAME", "STATUS", "SIZE", "OWNER"
        );
        for a in &found.received_audiences {
            out += &format!(
                "  {:<16} {:<32} {:<13} {:>10} {}\n",
                a.id,
                crate::display::printable(a.name.as_deref().unwrap_or("")),
                a.status.as_deref().unwrap_or(""),
                a.size.map_or(
                    "pending".to_owned(),
                    |s| super::text::group(s.max(0) as u64)
                ),
                a.ad_account_id.as_deref().unwrap_or("")
            );
        }
    }
    for news in &found.news {
        out += &format!("\n{}", news.sentence());
    }
    out += "\nFROM HERE: the identities this app has put in the list (its ledger). MATCH RATE is \
            an estimate: the audience's size over those identities; Pinterest reports no match \
            rate and takes up to 48 hours to match.\n";
    out += "\nCounters grow with every upload call, even for people already in (or absent from) \
            a list: they are not membership counts.\n";
    Ok(emit(&out)?)
}

pub async fn sim(args: SimArgs) -> anyhow::Result<()> {
    let config = SimConfig {
        app_id: args.app_id,
        app_secret: args.app_secret,
        redirect_uris: args.redirect_uris,
        access_token_lifetime: args.access_token_lifetime,
        refresh_token_lifetime: 60 * 24 * 3600,
        faults: Faults {
            rate_limit_per_minute: args.rate_limit,
            server_error_rate: args.error_rate.clamp(0.0, 1.0),
            latency_ms: args.latency_ms,
            max_records: args.max_records,
            decline_consent: args.decline_consent,
            ..Faults::default()
        },
        audiences: crate::sim::AudienceBehaviour {
            match_rate: args.match_rate.clamp(0.0, 1.0),
            ready_after: args.audience_delay,
            sharing: !args.no_sharing,
            release_5_28: args.release_5_28,
        },
    };
    crate::sim::serve_foreground(config, args.port).await?;
    Ok(())
}
