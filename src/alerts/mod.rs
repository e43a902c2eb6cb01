//! Alerts outside the app: a chat webhook or a mail relay hears when unattended work goes
//! wrong (a job failed or held, a sync run failed, was refused, held or went stale, a
//! connection needs a reconnect, an audience the app made turned too small) and when a sync
//! works again. One message per change of state per subject: each subject's last reported
//! state is kept in the store and compared under a home-wide lock, so several processes on
//! one home report a change once; messages wait in the store until each destination has them,
//! retried with backoff, and never hold up or fail the work they report on.

mod changes;
mod observe;
mod pass;
mod send;

use std::sync::Arc;

/// Where an alert's text turns to the command line: chat and mail get the whole text, the
/// window what comes before (its screens have the buttons).
pub const COMMAND_LINE: &str = " On the command line: ";

/// An alert's text as the window shows it: without the command that follows.
pub fn in_window(message: &str) -> &str {
    message.split(COMMAND_LINE).next().unwrap_or(message)
}

use serde::{Deserialize, Serialize};

pub use changes::{Observation, Seen, compare};
pub use pass::{AFTER_COMMAND, PassReport, after_command, keep_sending, pass};
pub use send::Payload;

use crate::context::Core;
use crate::store::{AlertDestinationRow, SecretError, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("{0}")]
    Invalid(String),
}

impl crate::remedy::HasRemedy for AlertError {
    fn remedy(&self) -> Option<crate::remedy::Remedy> {
        match self {
            AlertError::Store(e) => e.remedy(),
            AlertError::Secret(e) => e.remedy(),
            AlertError::Invalid(_) => None,
        }
    }
}

/// Where alerts go, as kept in the store: nothing secret. A webhook's address is a secret
/// (chat services put the key in it), so only its scheme and host are kept here; the
/// address itself, and a mail relay's password, live with the home's other secrets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Destination {
    Webhook {
        /// "https://hooks.slack.com/..."
        shown: String,
    },
    Email {
        to: String,
        /// "HOST:PORT"
        smtp: String,
        from: String,
        starttls: bool,
        user: Option<String>,
    },
}

impl Destination {
    pub fn kind(&self) -> &'static str {
        match self {
            Destination::Webhook { .. } => "webhook",
            Destination::Email { .. } => "email",
        }
    }

    /// Where it goes, for the user: "https://hooks.slack.com/..." or "ops@example.com via
    /// smtp.example.com:587 (STARTTLS)".
    pub fn describe(&self) -> String {
        match self {
            Destination::Webhook { shown } => shown.clone(),
            Destination::Email {
                to,
                smtp,
                starttls,
                user,
                ..
            } => format!(
                "{to} via {smtp}{}{}",
                match (starttls, smtp.ends_with(":465")) {
                    (_, true) => " (TLS)",
                    (true, false) => " (STARTTLS)",
                    (false, false) => " (plain)",
                },
                user.as_ref()
                    .map(|u| format!(", as {u}"))
                    .unwrap_or_default()
            ),
        }
    }
}

/// A new destination as the user asks for it, secrets included.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewDestination {
    Webhook {
        url: String,
    },
    Email {
        to: String,
        smtp: String,
        from: Option<String>,
        starttls: bool,
        user: Option<String>,
        password: Option<String>,
    },
}

/// How a test message went at one place: its name, and the failure if it did not arrive.
pub type TestOutcome = (String, Result<(), String>);

/// A destination with what the store knows of its deliveries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DestinationView {
    pub name: String,
    #[serde(flatten)]
    pub destination: Destination,
    pub created_at: i64,
    pub last_delivered_at: Option<i64>,
    pub last_error: Option<String>,
}

fn url_key(id: i64) -> String {
    format!("alert/{id}/url")
}

fn password_key(id: i64) -> String {
    format!("alert/{id}/password")
}

/// Checks a new destination and splits it into what the store keeps and its secret.
fn checked(new: &NewDestination) -> Result<(Destination, Option<String>), String> {
    match new {
        NewDestination::Webhook { url } => {
            let parsed = url::Url::parse(url.trim()).map_err(|e| {
                format!("'{url}' is not a web address ({e}); give the webhook's whole address, starting with https://")
            })?;
            let host = parsed.host_str().unwrap_or_default().to_owned();
            let loopback = matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]" | "::1");
            match parsed.scheme() {
                "https" => {}
                "http" if loopback => {}
                "http" => {
                    return Err(format!(
                        "the webhook {host} would be sent over plain http, where anyone on the way can read it; use its https:// address"
                    ));
                }
                other => {
                    return Err(format!(
                        "a webhook address starts with https://, not {other}://"
                    ));
                }
            }
            if host.is_empty() {
                return Err(format!("'{url}' names no host"));
            }
            let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
            let shown = format!("{}://{host}{port}/...", parsed.scheme());
            Ok((Destination::Webhook { shown }, Some(parsed.to_string())))
        }
        NewDestination::Email {
            to,
            smtp,
            from,
            starttls,
            user,
            password,
        } => {
            let to = to.trim();
            to.parse::<lettre::Address>()
                .map_err(|e| format!("'{to}' is not an email address ({e})"))?;
            let from = from.as_deref().map(str::trim).unwrap_or(to).to_owned();
            from.parse::<lettre::message::Mailbox>()
                .map_err(|e| format!("the sender '{from}' is not an email address ({e})"))?;
            let (host, port) = send::split_host_port(smtp)?;
            if user.is_some() != password.is_some() {
                return Err("a mail relay login needs both a user and its password".into());
            }
            let encrypted = *starttls || port == 465;
            if password.is_some() && !encrypted && !send::is_loopback(&host) {
                return Err(format!(
                    "the password for {host} would cross the network in clear; require STARTTLS (or use the relay's TLS port 465)"
                ));
            }
            Ok((
                Destination::Email {
                    to: to.to_owned(),
                    smtp: format!("{host}:{port}"),
                    from,
                    starttls: *starttls,
                    user: user.clone(),
                },
                password.clone(),
            ))
        }
    }
}

/// The name a destination gets when none is given: the webhook's host, or the address.
pub fn default_name(new: &NewDestination) -> String {
    match new {
        NewDestination::Webhook { url } => url::Url::parse(url.trim())
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_else(|| "webhook".into()),
        NewDestination::Email { to, .. } => to.trim().to_owned(),
    }
}

/// Adds a destination. The first one starts alerts: what is wrong already at that moment is
/// taken as known (no flood of old failures); what goes wrong from then on is reported.
pub async fn add(
    core: &Arc<Core>,
    name: Option<&str>,
    new: &NewDestination,
) -> Result<DestinationView, AlertError> {
    let name = name.map_or_else(|| default_name(new), |n| n.trim().to_owned());
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(AlertError::Invalid(
            "an alert's name must be a line of text".into(),
        ));
    }
    let (destination, secret) = checked(new).map_err(AlertError::Invalid)?;
    let settings =
        serde_json::to_string(&destination).map_err(|e| AlertError::Invalid(e.to_string()))?;
    let first = core
        .store
        .call(|s| s.alert_destinations())
        .await?
        .is_empty();
    if first {
        pass::baseline(core).await?;
    }
    let kind = destination.kind();
    let (store_name, store_settings) = (name.clone(), settings.clone());
    let row = core
        .store
        .call(move |s| s.add_alert_destination(&store_name, kind, &store_settings))
        .await?;
    if let Some(secret) = secret {
        let key = match destination {
            Destination::Webhook { .. } => url_key(row.id),
            Destination::Email { .. } => password_key(row.id),
        };
        let secrets = core.secrets.clone();
        let saved = crate::store::blocking(move || secrets.set(&key, &secret)).await;
        if let Err(e) = saved {
            let id = row.name.clone();
            core.store
                .call(move |s| s.remove_alert_destination(&id))
                .await?;
            return Err(e.into());
        }
    }
    view(row)
}

fn view(row: AlertDestinationRow) -> Result<DestinationView, AlertError> {
    let destination: Destination = serde_json::from_str(&row.settings).map_err(|e| {
        AlertError::Invalid(format!(
            "the settings of alert '{}' cannot be read ({e}); remove it and add it again",
            row.name
        ))
    })?;
    Ok(DestinationView {
        name: row.name,
        destination,
        created_at: row.created_at,
        last_delivered_at: row.last_delivered_at,
        last_error: row.last_error,
    })
}

/// Every destination, by name.
pub fn list(core: &Core) -> Result<Vec<DestinationView>, AlertError> {
    core.store()
        .alert_destinations()?
        .into_iter()
        .map(view)
        .collect()
}

/// Removes a destination, its secret and the messages still waiting for it.
pub fn remove(core: &Core, name: &str) -> Result<DestinationView, AlertError> {
    let row = core.store().remove_alert_destination(name)?;
    for key in [url_key(row.id), password_key(row.id)] {
        core.secrets.delete(&key)?;
    }
    view(row)
}

/// The messages sent lately, newest first: the message, and how many destinations have it
/// out of how many it was for.
pub fn recent(core: &Core, limit: usize) -> Result<Vec<crate::store::SentAlert>, AlertError> {
    Ok(core.store().recent_alerts(limit)?)
}

/// Sends one test message to every destination at once (not waiting for the queue; kept
/// with the other messages, so each place shows it as its last delivery) and says how each
/// went.
pub async fn test(core: &Arc<Core>) -> Result<Vec<TestOutcome>, AlertError> {
    let message = crate::store::AlertMessage {
        subject: "Audience Desk".into(),
        event: "test".into(),
        state: "test".into(),
        message: "A test message: alerts reach this place.".into(),
        created_at: crate::os::now(),
    };
    let queued = message.clone();
    let (id, rows) = core
        .store
        .call(move |s| s.queue_claimed_alert(&queued, pass::CLAIM_SECONDS))
        .await?;
    let sends = rows.into_iter().map(|row| {
        let name = row.name.clone();
        // A test that did not arrive is not tried again: the user sees it now.
        let sent = pass::deliver_and_record(core, id, row, message.clone(), None);
        async move { (name, sent.await) }
    });
    let mut outcomes = Vec::new();
    for (name, sent) in futures_util::future::join_all(sends).await {
        outcomes.push((name, sent?));
    }
    Ok(outcomes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_shows_an_alert_without_its_command() {
        let job = observe::tests::held_job_text();
        assert!(
            job.contains("audience-desk resume 7 --confirm-removals"),
            "{job}"
        );
        let shown = in_window(&job);
        assert!(
            shown.ends_with("Confirm them on the app's Jobs screen."),
            "{shown}"
        );
        assert!(!shown.contains("audience-desk"), "{shown}");
        assert_eq!(in_window("No command here."), "No command here.");
    }

    fn email(smtp: &str, starttls: bool, password: Option<&str>) -> NewDestination {
        NewDestination::Email {
            to: "ops@example.com".into(),
            smtp: smtp.into(),
            from: None,
            starttls,
            user: password.map(|_| "ops".into()),
            password: password.map(str::to_owned),
        }
    }

    #[test]
    fn a_webhook_address_is_kept_secret_and_must_be_https_off_this_machine() {
        let (kept, secret) = checked(&NewDestination::Webhook {
            url: "https://hooks.slack.com/services/T0/B0/XYZ".into(),
        })
        .unwrap();
        assert_eq!(
            kept,
            Destination::Webhook {
                shown: "https://hooks.slack.com/...".into()
            }
        );
        assert_eq!(
            secret.as_deref(),
            Some("https://hooks.slack.com/services/T0/B0/XYZ")
        );
        let plain = checked(&NewDestination::Webhook {
            url: "http://chat.example.com/hook".into(),
        });
        assert!(plain.unwrap_err().contains("https://"));
        assert!(
            checked(&NewDestination::Webhook {
                url: "http://127.0.0.1:9000/hook".into()
            })
            .is_ok()
        );
        assert!(
            checked(&NewDestination::Webhook {
                url: "hooks".into()
            })
            .is_err()
        );
    }

    #[test]
    fn a_relay_password_never_crosses_the_network_in_clear() {
        let refused = checked(&email("smtp.example.com:25", false, Some("pw"))).unwrap_err();
        assert!(refused.contains("require STARTTLS"), "{refused}");
        assert!(checked(&email("smtp.example.com:587", true, Some("pw"))).is_ok());
        assert!(checked(&email("smtp.example.com:465", false, Some("pw"))).is_ok());
        assert!(checked(&email("127.0.0.1:2525", false, Some("pw"))).is_ok());
        let (kept, _) = checked(&email("smtp.example.com:25", false, None)).unwrap();
        assert_eq!(
            kept.describe(),
            "ops@example.com via smtp.example.com:25 (plain)"
        );
        assert!(checked(&email("smtp.example.com", false, None)).is_err());
        assert!(checked(&email("smtp.example.com:nope", false, None)).is_err());
    }
}
