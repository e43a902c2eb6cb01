//! Sending one message to one destination: a JSON post to a webhook (with a Slack-compatible
//! `text`), or a plain-text mail through a relay. A failure comes back as a sentence for the
//! store, never with the webhook's address or a password in it.

use std::sync::OnceLock;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::Serialize;

use super::Destination;
use crate::context::Core;
use crate::store::{AlertDestinationRow, AlertMessage};

/// How long one delivery may take before it counts as failed (and is tried again later).
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// What a webhook receives. `text` is what chat services show; the rest is for programs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Payload {
    pub text: String,
    pub event: String,
    pub subject: String,
    pub state: String,
    pub message: String,
    /// RFC 3339, UTC.
    pub time: String,
    /// The machine the app runs on.
    pub host: String,
}

impl Payload {
    pub fn of(message: &AlertMessage) -> Payload {
        let host = crate::os::host_name();
        Payload {
            text: format!("Audience Desk on {host}: {}", message.message),
            event: message.event.clone(),
            subject: message.subject.clone(),
            state: message.state.clone(),
            message: message.message.clone(),
            time: crate::display::rfc3339(message.created_at),
            host,
        }
    }

    /// The mail's subject line: what happened to what.
    fn title(&self) -> String {
        let what = match self.state.as_str() {
            "ok" => "works again",
            "test" => "test message",
            "stale" => "has gone stale",
            "held" => "holds removals",
            "reconnect" => "needs a reconnect",
            "expiring" => "needs a reconnect within a week",
            "too_small" => "is too small to serve",
            "refused" => "was refused",
            _ => "failed",
        };
        format!("Audience Desk: {} {what}", self.subject)
    }
}

/// Sends `message` to `destination`; the error is a sentence safe to keep and show.
pub async fn deliver(
    core: &Core,
    destination: &AlertDestinationRow,
    message: &AlertMessage,
) -> Result<(), String> {
    let settings: Destination = serde_json::from_str(&destination.settings)
        .map_err(|e| format!("its settings cannot be read ({e}); remove it and add it again"))?;
    let payload = Payload::of(message);
    let work = async {
        match settings {
            Destination::Webhook { .. } => {
                let url = secret(core, super::url_key(destination.id)).await?;
                let url = url
                    .ok_or("its address is missing from the secrets; remove it and add it again")?;
                post(&url, &payload).await
            }
            Destination::Email {
                to,
                smtp,
                from,
                starttls,
                user,
            } => {
                let password = match &user {
                    Some(_) => secret(core, super::password_key(destination.id))
                        .await?
                        .ok_or(
                            "its password is missing from the secrets; remove it and add it again",
                        )?
                        .into(),
                    None => None,
                };
                mail(&to, &from, &smtp, starttls, user.zip(password), &payload).await
            }
        }
    };
    match tokio::time::timeout(SEND_TIMEOUT, work).await {
        Ok(outcome) => outcome,
        Err(_) => Err(format!("no answer within {} s", SEND_TIMEOUT.as_secs())),
    }
}

async fn secret(core: &Core, key: String) -> Result<Option<String>, String> {
    let secrets = core.secrets.clone();
    crate::store::blocking(move || secrets.get(&key))
        .await
        .map_err(|e| e.to_string())
}

fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(SEND_TIMEOUT)
            // A redirect would carry the post somewhere the user never named.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default()
    })
}

async fn post(url: &str, payload: &Payload) -> Result<(), String> {
    let answer = http()
        .post(url)
        .json(payload)
        .send()
        .await
        // Without the address: a chat webhook's address is its key.
        .map_err(|e| format!("cannot reach the webhook: {}", e.without_url()))?;
    let status = answer.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the webhook answered {status}"))
    }
}

async fn mail(
    to: &str,
    from: &str,
    smtp: &str,
    starttls: bool,
    login: Option<(String, String)>,
    payload: &Payload,
) -> Result<(), String> {
    let (host, port) = split_host_port(smtp)?;
    let body = format!(
        "{}\n\nEvent: {}\nSubject: {}\nState: {}\nTime: {}\nHost: {}\n",
        payload.message, payload.event, payload.subject, payload.state, payload.time, payload.host
    );
    let email = lettre::Message::builder()
        .from(
            from.parse()
                .map_err(|e| format!("the sender '{from}': {e}"))?,
        )
        .to(to.parse().map_err(|e| format!("the address '{to}': {e}"))?)
        .subject(payload.title())
        .header(ContentType::TEXT_PLAIN)
        .body(body)
        .map_err(|e| format!("the mail cannot be built: {e}"))?;
    let tls = |host: &str| {
        TlsParameters::new(host.to_owned()).map_err(|e| format!("TLS with {host}: {e}"))
    };
    let mut relay = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host.as_str())
        .port(port)
        .timeout(Some(SEND_TIMEOUT));
    if port == 465 {
        relay = relay.tls(Tls::Wrapper(tls(&host)?));
    } else if starttls {
        relay = relay.tls(Tls::Required(tls(&host)?));
    }
    if let Some((user, password)) = login {
        relay = relay.credentials(Credentials::new(user, password));
    }
    relay
        .build()
        .send(email)
        .await
        .map(drop)
        .map_err(|e| format!("the mail relay {host}:{port} refused: {e}"))
}

/// "smtp.example.com:587" into its host and port.
pub(super) fn split_host_port(text: &str) -> Result<(String, u16), String> {
    let text = text.trim();
    let (host, port) = text.rsplit_once(':').ok_or_else(|| {
        format!("'{text}' names no port; write the relay as HOST:PORT (587 for STARTTLS)")
    })?;
    let port: u16 = port
        .parse()
        .map_err(|_| format!("'{port}' is not a port number in '{text}'"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || port == 0 {
        return Err(format!("'{text}' is not HOST:PORT"));
    }
    Ok((host.to_owned(), port))
}

pub(super) fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_carries_what_chat_shows_and_programs_read() {
        let payload = Payload::of(&AlertMessage {
            subject: "sync 'nightly'".into(),
            event: "sync_refused".into(),
            state: "refused".into(),
            message: "Sync 'nightly' run 3 was refused.".into(),
            created_at: 1_800_000_000,
        });
        assert!(payload.text.ends_with("Sync 'nightly' run 3 was refused."));
        assert_eq!(payload.time, "2027-01-15T08:00:00Z");
        assert_eq!(payload.title(), "Audience Desk: sync 'nightly' was refused");
    }

    #[test]
    fn relays_are_host_and_port() {
        assert_eq!(
            split_host_port("smtp.example.com:587").unwrap(),
            ("smtp.example.com".into(), 587)
        );
        assert_eq!(split_host_port("[::1]:25").unwrap(), ("::1".into(), 25));
        assert!(is_loopback("::1") && is_loopback("127.0.0.1") && !is_loopback("example.com"));
    }
}
