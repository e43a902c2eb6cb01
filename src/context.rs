//! The app core both faces use: local state, connections, their sessions and clients. No
//! egui, no terminal.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use crate::pinterest::{
    self, AdAccount, Client, ConnectionStatus, Endpoints, PinterestError, RateLimiter, RateLimits,
    RetryPolicy, Session, UserAccount, audience_roles,
};
use crate::store::{
    Connection, ConnectionUpdate, NewConnection, SecretPlace, SecretStore, SharedStore, Store,
    StoreError, open_secrets,
};

pub struct Core {
    pub home: PathBuf,
    /// The database. Only the core and the upload engine beneath it touch it; the faces go
    /// through the core's methods.
    pub(crate) store: SharedStore,
    pub secrets: Arc<dyn SecretStore>,
    pub endpoints: Endpoints,
    pub limits: RateLimits,
    pub retry: RetryPolicy,
    /// Refresh an access token when it has less than this left (default 5 days;
    /// `AUDIENCE_DESK_REFRESH_MARGIN_DAYS` sets it).
    pub refresh_margin: Duration,
    /// Memory for a pass's digests, and the scratch folder past it (in this home).
    pub memory: crate::source::MemoryBudget,
    /// Said once: where secrets are kept when no keyring is reachable.
    pub notice: Option<String>,
    /// Where the home keeps its secrets; `None` for a core given its store (tests, the demo).
    pub secret_place: Option<SecretPlace>,
    /// One session per connection, so every caller shares its refresh lock.
    sessions: Mutex<HashMap<i64, Arc<Session>>>,
    /// One limiter per connection's token, shared by everything that uses it.
    limiters: Mutex<HashMap<i64, Arc<RateLimiter>>>,
}

/// What a connection can do on its ad account, checked against Pinterest.
#[derive(Clone, Debug, Serialize)]
pub struct AccessReport {
    pub user: UserAccount,
    pub ad_account: Option<AdAccount>,
    /// The user's roles that allow uploads (`OWNER`, `ADMIN`, `AUDIENCE_MANAGER`).
    pub upload_roles: Vec<String>,
    /// A sentence for the user when something is wrong.
    pub problem: Option<String>,
}

const DEFAULT_REFRESH_MARGIN_DAYS: f64 = 5.0;

fn refresh_margin_from_env() -> Duration {
    let days = std::env::var("AUDIENCE_DESK_REFRESH_MARGIN_DAYS")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|d| d.is_finite() && *d >= 0.0)
        .unwrap_or(DEFAULT_REFRESH_MARGIN_DAYS);
    Duration::from_secs_f64(days * 86_400.0)
}

impl AccessReport {
    /// "Connected as USER. Ad account ID (NAME), roles: R." and the problem, if any.
    pub fn summary(&self) -> String {
        let mut text = format!(
            "Connected as {}.",
            self.user.username.as_deref().unwrap_or("an unknown user")
        );
        if let Some(account) = &self.ad_account {
            text += &format!(
                " Ad account {} ({}), roles: {}.",
                account.id,
                account.name.as_deref().unwrap_or("unnamed"),
                account.permissions.join(", ")
            );
        }
        if let Some(problem) = &self.problem {
            text += &format!(" But {problem}.");
        }
        text
    }
}

/// Why a database password could not be kept or forgotten.
#[derive(Debug, thiserror::Error)]
pub enum DatabasePasswordError {
    #[error(transparent)]
    Secret(#[from] crate::store::SecretError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Core {
    /// Local state under `AUDIENCE_DESK_HOME`, endpoints from the environment, secrets where
    /// the home keeps them (a new home: the keyring when reachable, unless
    /// `AUDIENCE_DESK_SECRETS` says `file` or `keyring`).
    pub fn open() -> anyhow::Result<Core> {
        let home = crate::home::home_dir();
        let endpoints = Endpoints::from_env()?;
        let store = Store::open(&home)?;
        // Scratch folders a crashed pass left behind.
        crate::source::remove_abandoned(&home.join("tmp"));
        let wanted = std::env::var("AUDIENCE_DESK_SECRETS")
            .ok()
            .and_then(|v| SecretPlace::parse(&v));
        let home_id = store.home_id()?;
        let has_logins = store.has_logins()?;
        let opened = open_secrets(&home, &home_id, wanted, has_logins)?;
        let mut core = Core::assemble(&home, store, endpoints, opened.store, opened.notice);
        core.secret_place = Some(opened.place);
        Ok(core)
    }

    pub fn with(
        home: &Path,
        endpoints: Endpoints,
        secrets: Arc<dyn SecretStore>,
        notice: Option<String>,
    ) -> Result<Core, StoreError> {
        let store = Store::open(home)?;
        Ok(Core::assemble(home, store, endpoints, secrets, notice))
    }

    fn assemble(
        home: &Path,
        store: Store,
        endpoints: Endpoints,
        secrets: Arc<dyn SecretStore>,
        notice: Option<String>,
    ) -> Core {
        let memory = crate::source::MemoryBudget::in_home(home);
        // Archives and workbooks are expanded beside the scratch folders, and cleared as they are.
        crate::source::set_expansion_root(&memory.scratch_root);
        // Database passwords kept in this home's secret store, for every query it runs.
        let kept = secrets.clone();
        crate::source::set_password_lookup(
            home,
            Arc::new(move |address| {
                kept.get(&crate::source::password_key(address))
                    .ok()
                    .flatten()
            }),
        );
        Core {
            home: home.to_owned(),
            store: SharedStore::new(store),
            secrets,
            endpoints,
            limits: RateLimits::default(),
            retry: RetryPolicy::default(),
            refresh_margin: refresh_margin_from_env(),
            memory,
            notice,
            secret_place: None,
            sessions: Mutex::default(),
            limiters: Mutex::default(),
        }
    }

    /// Keeps the password of the database at `address` (no password in it) in this home's
    /// secret store, where every query of every process of the home finds it.
    pub fn remember_database_password(
        &self,
        address: &str,
        password: &str,
    ) -> Result<(), DatabasePasswordError> {
        self.secrets
            .set(&crate::source::password_key(address), password)?;
        let address = crate::source::password_address(address);
        self.store().note_database_password(&address, true)?;
        Ok(())
    }

    /// Forgets a kept database password; whether there was one.
    pub fn forget_database_password(&self, address: &str) -> Result<bool, DatabasePasswordError> {
        let key = crate::source::password_key(address);
        let had = self.secrets.get(&key)?.is_some();
        self.secrets.delete(&key)?;
        let address = crate::source::password_address(address);
        self.store().note_database_password(&address, false)?;
        Ok(had)
    }

    /// The database, for code on a thread of its own; async code uses `self.store.call`.
    pub(crate) fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock()
    }

    pub fn connections(&self) -> Result<Vec<Connection>, StoreError> {
        self.store().connections()
    }

    pub fn connection(&self, name: &str) -> Result<Connection, StoreError> {
        self.store().connection(name)
    }

    pub fn add_connection(
        &self,
        new: &NewConnection,
        app_secret: Option<&str>,
    ) -> Result<Connection, PinterestError> {
        let connection = self.store().add_connection(new)?;
        if let Some(secret) = app_secret {
            self.secrets
                .set(&pinterest::app_secret_key(connection.id), secret)?;
        }
        Ok(connection)
    }

    pub fn update_connection(
        &self,
        name: &str,
        update: &ConnectionUpdate,
        app_secret: Option<&str>,
    ) -> Result<Connection, PinterestError> {
        let connection = self.store().update_connection(name, update)?;
        if let Some(secret) = app_secret {
            self.secrets
                .set(&pinterest::app_secret_key(connection.id), secret)?;
        }
        self.forget_session(connection.id);
        Ok(connection)
    }

    /// Removes the connection, its token records and its secrets.
    pub fn remove_connection(&self, name: &str) -> Result<Connection, PinterestError> {
        let connection = self.store().remove_connection(name)?;
        for key in pinterest::secret_keys(&connection) {
            self.secrets.delete(&key)?;
        }
        self.forget_session(connection.id);
        Ok(connection)
    }

    fn forget_session(&self, id: i64) {
        self.sessions.lock().expect("sessions lock").remove(&id);
    }

    /// The connection's session, made once and shared by every caller.
    pub async fn session(&self, name: &str) -> Result<Arc<Session>, PinterestError> {
        let wanted = name.to_owned();
        let connection = self.store.call(move |s| s.connection(&wanted)).await?;
        let mut sessions = self.sessions.lock().expect("sessions lock");
        if let Some(session) = sessions.get(&connection.id)
            && session.connection() == &connection
        {
            return Ok(session.clone());
        }
        let app = Session::resolve_app(&connection, self.secrets.as_ref())?;
        let session = Arc::new(
            Session::new(
                connection.clone(),
                self.home.clone(),
                self.store.clone(),
                self.secrets.clone(),
                self.endpoints.clone(),
                app,
            )
            .with_refresh_margin(self.refresh_margin),
        );
        sessions.insert(connection.id, session.clone());
        Ok(session)
    }

    pub async fn client(&self, name: &str) -> Result<Client, PinterestError> {
        let session = self.session(name).await?;
        let limiter = self
            .limiters
            .lock()
            .expect("limiters lock")
            .entry(session.connection().id)
            .or_insert_with(|| Arc::new(RateLimiter::new(self.limits)))
            .clone();
        Ok(Client::new(session, limiter).with_retry(self.retry))
    }

    /// The ad accounts the connection's login reaches, shared ones included, with the user's
    /// roles on each.
    pub async fn ad_accounts(&self, name: &str) -> Result<Vec<AdAccount>, PinterestError> {
        self.client(name).await?.ad_accounts().await
    }

    /// The browser login: `open` gets the login's start address once the callback listener
    /// is up. The new tokens are kept only when the login reaches the connection's ad account
    /// with a role that allows uploads, and is the same Pinterest user as before (see
    /// `connect_switching` to change user); otherwise the connection keeps what it had.
    pub async fn connect(
        &self,
        name: &str,
        open: impl FnOnce(&url::Url) -> Result<(), PinterestError>,
        timeout: Duration,
    ) -> Result<AccessReport, PinterestError> {
        self.login(name, open, timeout, false).await
    }

    /// `connect`, accepting a login by another Pinterest user than the connection's last.
    pub async fn connect_switching(
        &self,
        name: &str,
        open: impl FnOnce(&url::Url) -> Result<(), PinterestError>,
        timeout: Duration,
    ) -> Result<AccessReport, PinterestError> {
        self.login(name, open, timeout, true).await
    }

    async fn login(
        &self,
        name: &str,
        open: impl FnOnce(&url::Url) -> Result<(), PinterestError>,
        timeout: Duration,
        switch_user: bool,
    ) -> Result<AccessReport, PinterestError> {
        let session = self.session(name).await?;
        let request = session.authorize()?;
        let code = pinterest::wait_for_callback(
            &self.endpoints.redirect,
            &request.url,
            request.state.secret(),
            timeout,
            open,
        )
        .await?;
        let login = session.exchange_code(&code, request.verifier).await?;
        let trial = Client::new(
            Arc::new(session.trial(&login)),
            Arc::new(RateLimiter::new(self.limits)),
        )
        .with_retry(self.retry);
        let report = self.access_of(&trial).await?;
        if report.problem.is_some() {
            return Ok(report);
        }
        let user = report.user.username.clone();
        if let (Some(before), Some(now)) = (session.login_user().await?, &user)
            && &before != now
            && !switch_user
        {
            return Err(PinterestError::OtherUser {
                connection: name.to_owned(),
                before,
                now: now.clone(),
            });
        }
        session.commit(login, user).await?;
        Ok(report)
    }

    /// Who the token belongs to, and whether it may upload to the connection's ad account.
    pub async fn check_access(&self, name: &str) -> Result<AccessReport, PinterestError> {
        self.access_of(&self.client(name).await?).await
    }

    async fn access_of(&self, client: &Client) -> Result<AccessReport, PinterestError> {
        let wanted = client.session().connection().ad_account_id.clone();
        let user = client.user_account().await?;
        let accounts = client.ad_accounts().await?;
        let ad_account = accounts.into_iter().find(|a| a.id == wanted);
        let upload_roles: Vec<String> = ad_account
            .iter()
            .flat_map(|a| a.permissions.iter())
            .filter(|p| audience_roles().contains(&p.as_str()))
            .cloned()
            .collect();
        let problem = match &ad_account {
            None => Some(format!(
                "the ad account {wanted} is not among the accounts this login reaches; check the \
                 Ad Account ID, or log in as a user with access to it"
            )),
            Some(a) if upload_roles.is_empty() => Some(format!(
                "the user's roles on ad account {wanted} ({}) do not allow uploads; ask its \
                 owner for Audience access (OWNER, ADMIN or AUDIENCE_MANAGER)",
                if a.permissions.is_empty() {
                    "none".to_owned()
                } else {
                    a.permissions.join(", ")
                }
            )),
            Some(_) => None,
        };
        Ok(AccessReport {
            user,
            ad_account,
            upload_roles,
            problem,
        })
    }

    /// A connection's token status, live: "refreshing" while this process refreshes it. For
    /// a thread of its own; a task asks `connection_status`.
    pub fn status(&self, name: &str) -> Result<ConnectionStatus, StoreError> {
        self.status_of(&self.connection(name)?)
    }

    /// `status`, for a task on the async runtime: the database is read off its workers.
    pub async fn connection_status(&self, name: &str) -> Result<ConnectionStatus, StoreError> {
        let name = name.to_owned();
        let info = self
            .store
            .call(move |s| {
                let connection = s.connection(&name)?;
                Ok::<_, StoreError>((connection.id, s.token_info(connection.id)?))
            })
            .await?;
        Ok(ConnectionStatus::from_info(
            info.1.as_ref(),
            self.is_refreshing(info.0),
        ))
    }

    pub(crate) fn status_of(
        &self,
        connection: &Connection,
    ) -> Result<ConnectionStatus, StoreError> {
        let info = self.store().token_info(connection.id)?;
        Ok(ConnectionStatus::from_info(
            info.as_ref(),
            self.is_refreshing(connection.id),
        ))
    }

    fn is_refreshing(&self, connection: i64) -> bool {
        self.sessions
            .lock()
            .expect("sessions lock")
            .get(&connection)
            .is_some_and(|s| s.is_refreshing())
    }
}
