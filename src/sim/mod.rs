//! A Pinterest v5 simulator for the endpoints Audience Desk uses, on loopback: OAuth with
//! refresh rotation, user account, ad accounts with permissions, customer lists with real
//! membership, audiences, strict request checks, fault injection, and a request log. Tests,
//! `audience-desk sim` and demo mode run it; nothing in it reaches the network.

mod api;
mod audiences;
mod auth;
mod data;
mod faults;
mod refusal;
mod requests;
mod rules;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use url::Url;

pub use data::{ListSnapshot, LogEntry};
pub use faults::Faults;

use data::Data;

/// Who may log in, and how long tokens live.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SimConfig {
    pub app_id: String,
    pub app_secret: String,
    /// Redirect URIs registered on the simulated app; an authorize or token call must use one
    /// of them exactly.
    pub redirect_uris: Vec<String>,
    pub access_token_lifetime: i64,
    pub refresh_token_lifetime: i64,
    pub faults: Faults,
    pub audiences: AudienceBehaviour,
}

/// How the simulated Pinterest matches uploaded people and builds audiences.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AudienceBehaviour {
    /// Share (0 to 1) of a list's people that match Pinterest users: an audience's size.
    pub match_rate: f64,
    /// Seconds an audience stays INITIALIZING after it is made.
    pub ready_after: i64,
    /// Whether audience sharing is open to the app (Pinterest restricts it); 403 when not.
    pub sharing: bool,
    /// Answer as Pinterest's release 5.28 does: 201 on create, a lookalike's percentage as a
    /// string, `is_nca` on every audience, and a listing without `ownership_type` that brings
    /// the audiences shared to the account along with its own.
    pub release_5_28: bool,
}

impl Default for AudienceBehaviour {
    fn default() -> Self {
        AudienceBehaviour {
            match_rate: 1.0,
            ready_after: 0,
            sharing: true,
            release_5_28: false,
        }
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            app_id: "1500000".into(),
            app_secret: "sim-secret".into(),
            redirect_uris: vec!["http://localhost:8085/".into()],
            access_token_lifetime: 30 * 24 * 3600,
            refresh_token_lifetime: 60 * 24 * 3600,
            faults: Faults::default(),
            audiences: AudienceBehaviour::default(),
        }
    }
}

/// The ad account the simulated user owns.
pub const OWNED_AD_ACCOUNT: &str = "549755885175";
/// A second ad account of the same business, where audiences can be shared.
pub const SISTER_AD_ACCOUNT: &str = "549755885177";
/// An ad account shared with the simulated user with read-only (analyst) access, in another
/// business (an agency's).
pub const SHARED_AD_ACCOUNT: &str = "549755885176";
/// The owned ad account's live Pinterest tag, and one it archived.
pub const SHOP_TAG: &str = "2612345678901";
pub const ARCHIVED_TAG: &str = "2612345678902";
/// The user's website Pinterest verified, and one still waiting for verification.
pub const VERIFIED_DOMAIN: &str = "shop.example.com";
pub const UNVERIFIED_DOMAIN: &str = "blog.example.com";

pub(crate) struct Shared {
    pub config: Mutex<SimConfig>,
    pub data: Mutex<Data>,
}

pub(crate) type AppState = Arc<Shared>;

/// A running simulator. Dropping it stops the server.
pub struct SimHandle {
    pub url: Url,
    pub address: SocketAddr,
    shared: AppState,
    stop: Option<oneshot::Sender<()>>,
}

impl SimHandle {
    /// Binds 127.0.0.1:`port` (0 picks a free port) and serves on the current Tokio runtime.
    pub async fn start(config: SimConfig, port: u16) -> std::io::Result<SimHandle> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let address = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config: Mutex::new(config),
            data: Mutex::new(Data::seeded()),
        });
        let app = router(shared.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        let url = Url::parse(&format!("http://{address}")).expect("a socket address is a URL");
        Ok(SimHandle {
            url,
            address,
            shared,
            stop: Some(stop),
        })
    }

    /// How people match and audiences become ready from now on.
    pub fn set_audiences(&self, behaviour: AudienceBehaviour) {
        self.shared.config.lock().expect("sim config").audiences = behaviour;
    }

    pub fn set_faults(&self, faults: Faults) {
        self.shared.config.lock().expect("sim config").faults = faults;
    }

    pub fn faults(&self) -> Faults {
        self.shared
            .config
            .lock()
            .expect("sim config")
            .faults
            .clone()
    }

    pub fn set_access_token_lifetime(&self, seconds: i64) {
        self.shared
            .config
            .lock()
            .expect("sim config")
            .access_token_lifetime = seconds;
    }

    /// The Pinterest user a login is from here on (`GET /v5/user_account`'s username).
    pub fn set_username(&self, username: &str) {
        self.shared.data.lock().expect("sim data").username = username.to_owned();
    }

    /// Every access token stops working now, as after a password change.
    pub fn expire_access_tokens(&self) {
        self.shared
            .data
            .lock()
            .expect("sim data")
            .expire_access_tokens();
    }

    /// Every refresh token is refused from now on: only a new browser login helps.
    pub fn revoke_refresh_tokens(&self) {
        self.shared
            .data
            .lock()
            .expect("sim data")
            .revoke_refresh_tokens();
    }

    pub fn lists(&self) -> Vec<ListSnapshot> {
        self.shared.data.lock().expect("sim data").snapshots()
    }

    /// The audiences made so far: id, name and the list each one wraps.
    pub fn audiences(&self) -> Vec<(String, String, String)> {
        let data = self.shared.data.lock().expect("sim data");
        data.audiences
            .values()
            .map(|a| {
                let list = a.customer_list_id().unwrap_or_default().to_owned();
                (a.id.clone(), a.name.clone(), list)
            })
            .collect()
    }

    pub fn log(&self) -> Vec<LogEntry> {
        self.shared.data.lock().expect("sim data").log.clone()
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

fn router(shared: AppState) -> Router {
    let api = api::routes()
        .merge(audiences::routes())
        .merge(rules::routes())
        .route_layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            faults::inject,
        ));
    Router::new()
        .route("/oauth/", axum::routing::get(auth::authorize))
        .route("/v5/oauth/token", axum::routing::post(auth::token))
        .nest("/v5", api)
        .merge(data::control_routes())
        // A route Pinterest does not have is answered in its error shape, not an empty body.
        .fallback(|| async {
            refusal::error_response(
                axum::http::StatusCode::NOT_FOUND,
                404,
                "Resource not found.",
            )
        })
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            data::record,
        ))
        .with_state(shared)
}

/// `audience-desk sim`: serves until interrupted, printing where.
pub async fn serve_foreground(config: SimConfig, port: u16) -> std::io::Result<()> {
    let handle = SimHandle::start(config.clone(), port).await?;
    println!("Pinterest simulator on {}", handle.url);
    // The secret is the one given (or the default the README names); a terminal's scrollback
    // and logs are no place for it.
    println!(
        "  app id {}, secret as given with --app-secret (not shown); redirect URIs: {}",
        config.app_id,
        config.redirect_uris.join(", ")
    );
    println!(
        "  point the app at it: PINTEREST_API_URI={0} PINTEREST_OAUTH_URI={0}",
        handle.url.as_str().trim_end_matches('/')
    );
    println!(
        "  state: {0}_sim/state  log: {0}_sim/log  faults: POST {0}_sim/faults",
        handle.url
    );
    tokio::signal::ctrl_c().await?;
    Ok(())
}
