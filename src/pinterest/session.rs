//! One connection's tokens: where they are, when they expire, refreshing them before they do,
//! and saying plainly when Pinterest requires a new login.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde::Serialize;

use oauth2::TokenResponse as _;

use super::tokens::{AuthorizeRequest, Protocol, TokenAnswer};
use super::{AppCredentials, Endpoints, PinterestError};
use crate::os::now;
use crate::store::{Connection, SecretStore, SharedStore, TokenInfo};
use oauth2::PkceCodeVerifier;

/// Refresh tokens live 60 days when Pinterest does not say otherwise.
const DEFAULT_REFRESH_LIFETIME: i64 = 60 * 24 * 3600;

/// Access tokens live 30 days when Pinterest does not say otherwise.
const DEFAULT_ACCESS_LIFETIME: i64 = 30 * 24 * 3600;

/// Roles on an ad account that may upload customer lists.
pub fn audience_roles() -> [&'static str; 3] {
    ["OWNER", "ADMIN", "AUDIENCE_MANAGER"]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    NotConnected,
    Connected,
    Refreshing,
    ReconnectRequired,
}

impl ConnectionState {
    pub fn label(self) -> &'static str {
        match self {
            ConnectionState::NotConnected => "not connected",
            ConnectionState::Connected => "connected",
            ConnectionState::Refreshing => "refreshing",
            ConnectionState::ReconnectRequired => "reconnect required",
        }
    }
}

/// What the app shows for a connection, live.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConnectionStatus {
    pub state: ConnectionState,
    pub access_expires_at: Option<i64>,
    pub refresh_expires_at: Option<i64>,
    pub connected_at: Option<i64>,
    pub last_refresh_at: Option<i64>,
    /// Why a reconnect is required.
    pub message: Option<String>,
}

impl ConnectionStatus {
    pub fn from_info(info: Option<&TokenInfo>, refreshing: bool) -> ConnectionStatus {
        let Some(info) = info else {
            return ConnectionStatus {
                state: ConnectionState::NotConnected,
                access_expires_at: None,
                refresh_expires_at: None,
                connected_at: None,
                last_refresh_at: None,
                message: None,
            };
        };
        let state = if info.reconnect_reason.is_some() || now() >= info.refresh_expires_at {
            ConnectionState::ReconnectRequired
        } else if refreshing {
            ConnectionState::Refreshing
        } else {
            ConnectionState::Connected
        };
        let message = info.reconnect_reason.clone().or_else(|| {
            (state == ConnectionState::ReconnectRequired)
                .then(|| "the refresh token expired".to_owned())
        });
        ConnectionStatus {
            state,
            access_expires_at: Some(info.access_expires_at),
            refresh_expires_at: Some(info.refresh_expires_at),
            connected_at: Some(info.connected_at),
            last_refresh_at: info.last_refresh_at,
            message,
        }
    }
}

fn access_key(connection: &Connection) -> String {
    format!("connection/{}/access", connection.id)
}

fn refresh_key(connection: &Connection) -> String {
    format!("connection/{}/refresh", connection.id)
}

/// Where a connection's own app secret is kept, when the user stored one.
pub fn app_secret_key(connection_id: i64) -> String {
    format!("connection/{connection_id}/app-secret")
}

/// The secrets a connection leaves behind, to delete with it.
pub fn secret_keys(connection: &Connection) -> [String; 3] {
    [
        access_key(connection),
        refresh_key(connection),
        app_secret_key(connection.id),
    ]
}

/// Sets a flag for as long as it lives, so the flag falls even when the future holding it is
/// dropped mid-way (a cancelled task, a timeout).
struct Raised<'a>(&'a AtomicBool);

impl<'a> Raised<'a> {
    fn new(flag: &'a AtomicBool) -> Self {
        flag.store(true, Ordering::Relaxed);
        Raised(flag)
    }
}

impl Drop for Raised<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Relaxed);
    }
}

/// Token refreshes sent and not yet saved, in this process.
static REFRESHES_IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// Counts a refresh in flight for as long as it lives.
struct InFlight;

impl InFlight {
    fn start() -> InFlight {
        REFRESHES_IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        REFRESHES_IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Whether token refreshes of this process are still on their way to being saved.
pub fn refreshes_in_flight() -> bool {
    REFRESHES_IN_FLIGHT.load(Ordering::SeqCst) > 0
}

/// Waits (at most `limit`) for the token refreshes in flight to be saved: called before a
/// process exits, so a rotated refresh token is never lost with it.
pub async fn settle_refreshes(limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    while refreshes_in_flight() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub struct Session {
    connection: Connection,
    /// The home, whose lock keeps refreshes of one connection one at a time across
    /// processes.
    home: PathBuf,
    store: SharedStore,
    secrets: Arc<dyn SecretStore>,
    endpoints: Endpoints,
    app: Option<AppCredentials>,
    http: reqwest::Client,
    /// Refresh when the access token has less than this left.
    refresh_margin: Duration,
    refresh_lock: tokio::sync::Mutex<()>,
    refreshing: AtomicBool,
    /// A login's new access token, not stored yet: the session only checks what it reaches.
    trial_access: Option<String>,
}

/// Tokens a browser login brought, not stored yet: they replace the connection's tokens only
/// once the login is known to be the right one (it reaches the ad account; the same user,
/// or a change of user confirmed).
pub struct PendingLogin {
    tokens: TokenAnswer,
}

impl Session {
    pub fn new(
        connection: Connection,
        home: PathBuf,
        store: SharedStore,
        secrets: Arc<dyn SecretStore>,
        endpoints: Endpoints,
        app: Option<AppCredentials>,
    ) -> Session {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(15))
            .build()
            .unwrap_or_default();
        Session::with_client(http, connection, home, store, secrets, endpoints, app)
    }

    /// A session on `http`: a new one's own client, or a detached copy's shared one.
    fn with_client(
        http: reqwest::Client,
        connection: Connection,
        home: PathBuf,
        store: SharedStore,
        secrets: Arc<dyn SecretStore>,
        endpoints: Endpoints,
        app: Option<AppCredentials>,
    ) -> Session {
        Session {
            connection,
            home,
            store,
            secrets,
            endpoints,
            app,
            http,
            refresh_margin: Duration::from_secs(5 * 24 * 3600),
            refresh_lock: tokio::sync::Mutex::new(()),
            refreshing: AtomicBool::new(false),
            trial_access: None,
        }
    }

    /// A session that calls Pinterest with a pending login's access token, never storing or
    /// refreshing it, to check the login before it is kept.
    pub fn trial(&self, login: &PendingLogin) -> Session {
        Session {
            trial_access: Some(login.tokens.access_token().secret().clone()),
            ..self.detached()
        }
    }

    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// The app credentials for a connection: its own, else `PINTEREST_APP_ID` and
    /// `PINTEREST_APP_SECRET`.
    pub fn resolve_app(
        connection: &Connection,
        secrets: &dyn SecretStore,
    ) -> Result<Option<AppCredentials>, PinterestError> {
        let env = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        let app_id = connection
            .app_id
            .clone()
            .or_else(|| env("PINTEREST_APP_ID"));
        let secret = match secrets.get(&app_secret_key(connection.id))? {
            Some(secret) => Some(secret),
            None => env("PINTEREST_APP_SECRET"),
        };
        Ok(app_id
            .zip(secret)
            .map(|(app_id, app_secret)| AppCredentials { app_id, app_secret }))
    }

    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub fn app(&self) -> Result<&AppCredentials, PinterestError> {
        self.app
            .as_ref()
            .ok_or_else(|| PinterestError::NoAppCredentials {
                connection: self.connection.name.clone(),
            })
    }

    /// The OAuth protocol for this connection's app.
    fn protocol(&self) -> Result<Protocol, PinterestError> {
        Ok(Protocol::new(&self.endpoints, self.app()?))
    }

    /// A new browser login for this connection: the URL to open and the `state` to expect.
    pub fn authorize(&self) -> Result<AuthorizeRequest, PinterestError> {
        Ok(self.protocol()?.authorize())
    }

    async fn info(&self) -> Result<Option<TokenInfo>, PinterestError> {
        let id = self.connection.id;
        Ok(self.store.call(move |s| s.token_info(id)).await?)
    }

    async fn save_info(&self, info: TokenInfo) -> Result<(), PinterestError> {
        let id = self.connection.id;
        Ok(self
            .store
            .call(move |s| s.save_token_info(id, &info))
            .await?)
    }

    /// True while this session is refreshing its tokens.
    pub fn is_refreshing(&self) -> bool {
        self.refreshing.load(Ordering::Relaxed)
    }

    fn reconnect_required(&self, reason: String) -> PinterestError {
        PinterestError::ReconnectRequired {
            connection: self.connection.name.clone(),
            reason,
        }
    }

    fn not_connected(&self) -> PinterestError {
        PinterestError::NotConnected {
            connection: self.connection.name.clone(),
        }
    }

    /// A valid access token, refreshed first when it is within the margin of expiry.
    pub async fn access_token(&self) -> Result<String, PinterestError> {
        if let Some(access) = &self.trial_access {
            return Ok(access.clone());
        }
        let info = self.info().await?.ok_or_else(|| self.not_connected())?;
        if let Some(reason) = info.reconnect_reason {
            return Err(self.reconnect_required(reason));
        }
        let margin = self.refresh_margin.as_secs() as i64;
        if now() + margin >= info.access_expires_at {
            match self.refresh(None).await {
                Ok(()) => {}
                // A refresh that failed for a passing reason leaves a still-valid token usable.
                Err(e @ (PinterestError::Network { .. } | PinterestError::Api(_)))
                    if now() < info.access_expires_at =>
                {
                    tracing::warn!(connection = %self.connection.name, "early refresh failed: {e}");
                }
                Err(e) => return Err(e),
            }
        }
        self.secrets
            .get(&access_key(&self.connection))?
            .ok_or_else(|| self.not_connected())
    }

    /// Called after Pinterest refused `rejected` with a 401: refresh once, unless another
    /// caller already replaced that token.
    pub async fn refresh_after_rejection(&self, rejected: &str) -> Result<(), PinterestError> {
        if self.trial_access.is_some() {
            return Err(PinterestError::OAuth(
                "Pinterest refused the access token the login just gave; nothing was saved. \
                 Log in again"
                    .into(),
            ));
        }
        self.refresh(Some(rejected)).await
    }

    /// Exchanges the refresh token for new tokens. One refresh at a time per connection, in
    /// this process and across processes on the same home; a caller that waited for another's
    /// refresh (its own thread's or another process's) re-reads the stored tokens and does not
    /// refresh again.
    async fn refresh(&self, rejected: Option<&str>) -> Result<(), PinterestError> {
        let _one_at_a_time = self.refresh_lock.lock().await;
        let lock = format!("refresh-{}", self.connection.id);
        let across_processes = crate::home::HomeLock::acquire_async(&self.home, &lock)
            .await
            .map_err(|e| PinterestError::Config(format!("cannot lock the home folder: {e}")))?;
        let info = self.info().await?.ok_or_else(|| self.not_connected())?;
        if let Some(reason) = info.reconnect_reason {
            return Err(self.reconnect_required(reason));
        }
        let current = self.secrets.get(&access_key(&self.connection))?;
        let already_done = match rejected {
            Some(rejected) => current.as_deref() != Some(rejected),
            None => now() + (self.refresh_margin.as_secs() as i64) < info.access_expires_at,
        };
        if already_done {
            return Ok(());
        }
        if now() >= info.refresh_expires_at {
            let reason = "the refresh token expired (Pinterest requires a new login every 60 \
                          days without use)"
                .to_owned();
            self.mark_reconnect(&info, &reason).await?;
            return Err(self.reconnect_required(reason));
        }
        let refresh = self
            .secrets
            .get(&refresh_key(&self.connection))?
            .ok_or_else(|| self.not_connected())?;
        // Once sent, Pinterest retires the refresh token: its answer must be saved even when
        // whoever asked has gone (a closed window, a timeout), so the call and the save run
        // as a task of their own, holding the home's lock, and the process waits for such
        // tasks before it exits (`settle_refreshes`).
        let task = {
            let (saver, protocol, http) = (self.detached(), self.protocol()?, self.http.clone());
            let (refresh, previous) = (refresh.clone(), info.clone());
            let in_flight = InFlight::start();
            tokio::spawn(async move {
                let _held = (across_processes, in_flight);
                let tokens = protocol.refresh(&http, &refresh).await?;
                tracing::info!(connection = %saver.connection.name, "access token refreshed");
                let user = previous.login_user.clone();
                saver
                    .save(
                        &tokens,
                        previous.connected_at,
                        Some(now()),
                        Some(&previous),
                        user,
                    )
                    .await
            })
        };
        let answer = {
            let _shown = Raised::new(&self.refreshing);
            task.await.unwrap_or_else(|e| {
                Err(PinterestError::OAuth(format!(
                    "the token refresh stopped: {e}"
                )))
            })
        };
        match answer {
            Ok(()) => Ok(()),
            Err(PinterestError::Api(e)) if matches!(e.status, 400 | 401 | 403) => {
                // A process that does not take the lock (an older version, a home on a file
                // system without locks) may have rotated the token meanwhile: the one refused
                // is then simply stale, and the stored one is live.
                let stored = self.secrets.get(&refresh_key(&self.connection))?;
                if stored.as_deref().is_some_and(|s| s != refresh) {
                    tracing::info!(
                        connection = %self.connection.name,
                        "refresh token rotated by another process; using its tokens"
                    );
                    return Ok(());
                }
                let reason = format!("Pinterest refused the refresh token ({e})");
                self.mark_reconnect(&info, &reason).await?;
                Err(self.reconnect_required(reason))
            }
            // A 200 this app cannot read still retired the refresh token it answered: trying
            // again with it could only be refused. Said as what it is.
            Err(e @ PinterestError::Decode { .. }) => {
                let reason = format!(
                    "Pinterest's answer to the token refresh could not be read ({e}), and the \
                     refresh token it answered is spent"
                );
                self.mark_reconnect(&info, &reason).await?;
                Err(self.reconnect_required(reason))
            }
            Err(e) => Err(e),
        }
    }

    /// The same session for a task that outlives its caller: what it needs to save tokens.
    fn detached(&self) -> Session {
        Session {
            refresh_margin: self.refresh_margin,
            ..Session::with_client(
                self.http.clone(),
                self.connection.clone(),
                self.home.clone(),
                self.store.clone(),
                self.secrets.clone(),
                self.endpoints.clone(),
                self.app.clone(),
            )
        }
    }

    /// Trades a browser login's code for tokens, kept pending (see `commit`).
    pub async fn exchange_code(
        &self,
        code: &str,
        verifier: PkceCodeVerifier,
    ) -> Result<PendingLogin, PinterestError> {
        let tokens = self
            .protocol()?
            .exchange_code(&self.http, code, verifier)
            .await?;
        if tokens.refresh_token().is_none() {
            return Err(PinterestError::OAuth(
                "Pinterest sent no refresh token, so the connection could not renew itself; \
                 check that the app has continuous refresh"
                    .into(),
            ));
        }
        Ok(PendingLogin { tokens })
    }

    /// The Pinterest user the stored tokens belong to, when known.
    pub async fn login_user(&self) -> Result<Option<String>, PinterestError> {
        Ok(self.info().await?.and_then(|info| info.login_user))
    }

    /// Keeps a checked login: its tokens replace the connection's.
    pub async fn commit(
        &self,
        login: PendingLogin,
        user: Option<String>,
    ) -> Result<(), PinterestError> {
        self.save(&login.tokens, now(), None, None, user).await
    }

    /// Stores new tokens. The refresh token goes first: after a crash between the writes the
    /// stored refresh token is the live one, and the next start simply refreshes again.
    async fn save(
        &self,
        tokens: &TokenAnswer,
        connected_at: i64,
        last_refresh_at: Option<i64>,
        previous: Option<&TokenInfo>,
        login_user: Option<String>,
    ) -> Result<(), PinterestError> {
        let issued = now();
        let pinterest = tokens.extra_fields();
        let refresh_expires_at = match (tokens.refresh_token(), previous) {
            (None, Some(previous)) => previous.refresh_expires_at,
            _ => pinterest.refresh_token_expires_at.unwrap_or(
                issued
                    + pinterest
                        .refresh_token_expires_in
                        .unwrap_or(DEFAULT_REFRESH_LIFETIME),
            ),
        };
        if let Some(refresh) = tokens.refresh_token() {
            self.secrets
                .set(&refresh_key(&self.connection), refresh.secret())?;
        }
        self.secrets.set(
            &access_key(&self.connection),
            tokens.access_token().secret(),
        )?;
        let access_lifetime = tokens
            .expires_in()
            .map_or(DEFAULT_ACCESS_LIFETIME, |d| d.as_secs() as i64);
        let scope = tokens.scopes().map_or_else(String::new, |scopes| {
            scopes
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        });
        let info = TokenInfo {
            access_expires_at: issued + access_lifetime,
            refresh_expires_at,
            scope,
            connected_at,
            last_refresh_at,
            reconnect_reason: None,
            login_user,
        };
        self.save_info(info).await
    }

    async fn mark_reconnect(&self, info: &TokenInfo, reason: &str) -> Result<(), PinterestError> {
        tracing::warn!(connection = %self.connection.name, "reconnect required: {reason}");
        let info = TokenInfo {
            reconnect_reason: Some(reason.to_owned()),
            ..info.clone()
        };
        self.save_info(info).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_refreshing_flag_falls_when_its_future_is_dropped() {
        let flag = AtomicBool::new(false);
        let pending = async {
            let _shown = Raised::new(&flag);
            std::future::pending::<()>().await;
        };
        let outcome = tokio::time::timeout(Duration::from_millis(20), pending).await;
        assert!(outcome.is_err());
        assert!(!flag.load(Ordering::Relaxed));
    }
}
