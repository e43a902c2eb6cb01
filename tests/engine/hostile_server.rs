//! A server that misbehaves on purpose: nonsense rate-limit headers, answers that never end,
//! paging in circles, escape sequences in its errors. The client neither panics, nor hangs,
//! nor grows without bound, and says what went wrong in plain text.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use audience_desk::context::Core;
use audience_desk::pinterest::Endpoints;
use audience_desk::store::FileSecrets;
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

static TOKEN_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Starts the hostile server and returns a client core on the world's home (connected to the
/// simulator first, so that it holds valid tokens) pointed at it.
async fn hostile() -> (crate::common::World, Core) {
    let calls = Arc::new(AtomicUsize::new(0));
    let app = Router::new()
        .route(
            "/v5/user_account",
            get(move || {
                let calls = calls.clone();
                async move {
                    // First a 429 whose reset header is not a number, then the answer.
                    if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                        let mut headers = HeaderMap::new();
                        headers.insert("x-ratelimit-reset", "NaN".parse().unwrap());
                        headers.insert("retry-after", "-inf".parse().unwrap());
                        let body = r#"{"code": 8, "message": "slow down"}"#;
                        return (StatusCode::TOO_MANY_REQUESTS, headers, body).into_response();
                    }
                    r#"{"username": "hostile"}"#.into_response()
                }
            }),
        )
        .route(
            "/v5/ad_accounts",
            get(|| async { r#"{"items": [], "bookmark": "again"}"# }),
        )
        .route(
            "/v5/ad_accounts/{id}/customer_lists",
            get(|| async {
                // Chunks of 1 MiB without end, and no length said up front.
                let chunk = axum::body::Bytes::from(vec![b' '; 1 << 20]);
                let endless = futures_util::stream::repeat_with(move || {
                    Ok::<_, std::io::Error>(chunk.clone())
                });
                Response::new(axum::body::Body::from_stream(endless))
            }),
        )
        .route(
            "/v5/oauth/token",
            axum::routing::post(|| async {
                TOKEN_CALLS.fetch_add(1, Ordering::SeqCst);
                // A 200 that is not the token answer: the refresh token it answered is spent.
                (StatusCode::OK, "{\"access_token\": ").into_response()
            }),
        )
        .route(
            "/v5/ad_accounts/{id}/audiences",
            get(|| async {
                let body = "{\"code\": 1, \"message\": \"\u{1b}[2J\u{1b}[31mgotcha\u{7}\"}";
                (StatusCode::BAD_REQUEST, body).into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = url::Url::parse(&format!("http://{}", listener.local_addr().unwrap())).unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let world = crate::common::world().await;
    crate::common::connect(&world).await.unwrap();
    let secrets = Arc::new(FileSecrets::new(world.home.path().join("secrets.json")));
    let endpoints = Endpoints::simulator(&url, world.core.endpoints.redirect.clone());
    let mut core = Core::with(world.home.path(), endpoints, secrets, None).unwrap();
    core.retry = crate::common::quick_retries();
    (world, core)
}

#[tokio::test(flavor = "multi_thread")]
async fn nonsense_rate_limit_headers_are_ignored() {
    let (_world, core) = hostile().await;
    let user = core
        .client("EU")
        .await
        .unwrap()
        .user_account()
        .await
        .unwrap();
    assert_eq!(user.username.as_deref(), Some("hostile"));
}

#[tokio::test(flavor = "multi_thread")]
async fn paging_in_circles_stops() {
    let (_world, core) = hostile().await;
    let error = core
        .client("EU")
        .await
        .unwrap()
        .ad_accounts()
        .await
        .unwrap_err();
    assert!(error.to_string().contains("paging does not end"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_without_end_is_cut_off_and_named() {
    let (_world, core) = hostile().await;
    let error = core
        .client("EU")
        .await
        .unwrap()
        .customer_lists("549755885175")
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("larger than this app reads"), "{error}");
    assert!(error.contains("the limit is 8.0 MiB"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn escape_sequences_in_errors_are_not_passed_on() {
    let (_world, core) = hostile().await;
    let error = core
        .client("EU")
        .await
        .unwrap()
        .audiences("549755885175")
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("gotcha"), "{error}");
    assert!(!error.chars().any(|c| c.is_control()), "{error:?}");
}

/// A token answer that cannot be read still spent the refresh token it answered: the
/// connection says so and needs a login, and the spent token is not sent again.
#[tokio::test(flavor = "multi_thread")]
async fn an_unreadable_token_answer_is_named_and_not_retried() {
    use audience_desk::store::SecretStore;
    let (world, core) = hostile().await;
    let id = core.connection("EU").unwrap().id;
    let secrets = FileSecrets::new(world.home.path().join("secrets.json"));
    let access = secrets
        .get(&format!("connection/{id}/access"))
        .unwrap()
        .unwrap();
    let session = core.session("EU").await.unwrap();
    let before = TOKEN_CALLS.load(Ordering::SeqCst);
    let error = session.refresh_after_rejection(&access).await.unwrap_err();
    let said = error.to_string();
    assert!(
        said.contains("could not be read") && said.contains("spent"),
        "{said}"
    );
    assert_eq!(
        core.status("EU").unwrap().state,
        audience_desk::pinterest::ConnectionState::ReconnectRequired
    );
    assert!(session.refresh_after_rejection(&access).await.is_err());
    assert_eq!(
        TOKEN_CALLS.load(Ordering::SeqCst),
        before + 1,
        "not retried"
    );
}
