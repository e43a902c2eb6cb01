//! OAuth, the token lifecycle and retries, against the simulator on loopback.

use std::time::Duration;

use crate::common::{browser, connect, quick_retries, world, world_with};
use audience_desk::pinterest::{ConnectionState, PinterestError};
use audience_desk::sim::Faults;
use audience_desk::store::SecretStore;

fn refresh_token(world: &crate::common::World) -> Option<String> {
    let secrets = audience_desk::store::FileSecrets::new(world.home.path().join("secrets.json"));
    let id = world.core.connection("EU").unwrap().id;
    secrets.get(&format!("connection/{id}/refresh")).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_browser_login_stores_tokens_and_checks_the_role() {
    let world = world().await;
    assert_eq!(
        world.core.status("EU").unwrap().state,
        ConnectionState::NotConnected
    );
    let report = world
        .core
        .connect("EU", browser, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(report.user.username.as_deref(), Some("sim_admin"));
    assert_eq!(report.upload_roles, ["OWNER"]);
    assert!(report.problem.is_none());
    let status = world.core.status("EU").unwrap();
    assert_eq!(status.state, ConnectionState::Connected);
    let now = audience_desk::os::now();
    let access = status.access_expires_at.unwrap() - now;
    let refresh = status.refresh_expires_at.unwrap() - now;
    assert!(
        (30 * 86_400 - 60..=30 * 86_400).contains(&access),
        "{access}"
    );
    assert!(
        (60 * 86_400 - 60..=60 * 86_400).contains(&refresh),
        "{refresh}"
    );
    // The token endpoint got the code with Basic auth and continuous refresh.
    let token_call = world
        .sim
        .log()
        .into_iter()
        .find(|e| e.path == "/v5/oauth/token")
        .unwrap();
    let form = token_call.request.unwrap();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["continuous_refresh"], "true");
    // Nothing secret is in the database file.
    let db = std::fs::read(world.home.path().join("audience-desk.db")).unwrap();
    let refresh = refresh_token(&world).unwrap();
    assert!(!db.windows(refresh.len()).any(|w| w == refresh.as_bytes()));
}

/// Any web page can make the browser call the listener with a made-up callback: such a call is
/// answered 400 and ignored, and the login goes on to take the real answer, which arrives here
/// on ::1 (a browser may resolve `localhost` either way) where the machine has IPv6.
#[tokio::test(flavor = "multi_thread")]
async fn a_forged_callback_is_ignored_and_the_real_one_still_lands() {
    let world = world().await;
    let redirect = world.core.endpoints.redirect.clone();
    let ipv6 = std::net::TcpListener::bind("[::1]:0").is_ok();
    let result = world
        .core
        .connect(
            "EU",
            move |authorize| {
                let (authorize, redirect) = (authorize.clone(), redirect.clone());
                tokio::spawn(async move {
                    let mut forged = redirect.clone();
                    forged.set_query(Some("code=stolen&state=not-the-one"));
                    let answer = reqwest::get(forged).await.unwrap();
                    assert_eq!(answer.status(), 400);
                    // The real answer: the start address, then Pinterest's redirect, followed
                    // by hand.
                    let location = |url: url::Url| async move {
                        let page = reqwest::Client::builder()
                            .redirect(reqwest::redirect::Policy::none())
                            .build()
                            .unwrap()
                            .get(url)
                            .send()
                            .await
                            .unwrap();
                        url::Url::parse(page.headers()["location"].to_str().unwrap()).unwrap()
                    };
                    let authorize = location(authorize).await;
                    let mut callback = location(authorize).await;
                    if ipv6 {
                        callback.set_host(Some("[::1]")).unwrap();
                    }
                    let answer = reqwest::get(callback).await.unwrap();
                    assert_eq!(answer.status(), 200);
                });
                Ok(())
            },
            Duration::from_secs(10),
        )
        .await;
    result.unwrap();
    assert_eq!(
        world.core.status("EU").unwrap().state,
        ConnectionState::Connected
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn declined_consent_is_reported() {
    let world = world_with(|c| c.faults.decline_consent = true).await;
    let error = connect(&world).await.unwrap_err().to_string();
    assert!(error.contains("access_denied"), "{error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_answer_times_out_with_a_message() {
    let world = world().await;
    let result = world
        .core
        .connect("EU", |_| Ok(()), Duration::from_millis(300))
        .await;
    assert!(
        result
            .unwrap_err()
            .to_string()
            .contains("no answer from the browser")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_port_is_explained() {
    let world = world().await;
    let port = world.core.endpoints.redirect.port().unwrap();
    let _busy = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let error = connect(&world).await.unwrap_err().to_string();
    assert!(
        error.contains(&format!("port {port} on 127.0.0.1 is in use")),
        "{error}"
    );
}

/// Another user's socket on `[::1]` would receive the login of a browser that tries ::1
/// first: the login refuses to start, at once, and says which port and address.
#[tokio::test(flavor = "multi_thread")]
async fn a_port_taken_on_the_other_loopback_stops_the_login_at_once() {
    let world = world().await;
    let port = world.core.endpoints.redirect.port().unwrap();
    let Ok(_taken) = std::net::TcpListener::bind(("::1", port)) else {
        crate::common::skip("no IPv6 loopback here");
        return;
    };
    let started = std::time::Instant::now();
    let mut opened = false;
    let error = world
        .core
        .connect(
            "EU",
            |_| {
                opened = true;
                Ok(())
            },
            Duration::from_secs(10),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(!opened, "the browser was opened");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        error.contains(&format!(
            "port {port} on ::1 is in use by another program of yours"
        )),
        "{error}"
    );
}

/// The browser is handed a one-time start address, never the login's `state`, and PKCE goes
/// with the code; a second visit to the start address ends the login with nothing saved.
#[tokio::test(flavor = "multi_thread")]
async fn the_browser_never_sees_the_state_and_a_reused_start_address_stops_the_login() {
    let world = world().await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let record = seen.clone();
    world
        .core
        .connect(
            "EU",
            move |url| {
                *record.lock().unwrap() = Some(url.clone());
                browser(url)
            },
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    let start = seen.lock().unwrap().clone().unwrap();
    assert!(!start.as_str().contains("state"), "{start}");
    assert!(start.query().is_none(), "{start}");
    let log = world.sim.log();
    let authorize = log.iter().find(|e| e.path == "/oauth/").unwrap();
    assert!(
        authorize.query.contains("code_challenge_method=S256"),
        "{}",
        authorize.query
    );
    let token_call = log.iter().find(|e| e.path == "/v5/oauth/token").unwrap();
    assert!(token_call.request.as_ref().unwrap()["code_verifier"].is_string());

    // Another program opens the start address before the browser does: the login stops.
    let before = refresh_token(&world);
    let error = world
        .core
        .connect(
            "EU",
            |url| {
                let url = url.clone();
                tokio::spawn(async move {
                    let first = reqwest::Client::builder()
                        .redirect(reqwest::redirect::Policy::none())
                        .build()
                        .unwrap()
                        .get(url.clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(first.status(), 303);
                    let second = reqwest::get(url).await.unwrap();
                    assert_eq!(second.status(), 410);
                });
                Ok(())
            },
            Duration::from_secs(10),
        )
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("opened twice"), "{error}");
    assert_eq!(refresh_token(&world), before);
}

/// A login whose user may not upload to the connection's ad account, or who is another
/// Pinterest user than before, leaves the connection's working tokens as they were.
#[tokio::test(flavor = "multi_thread")]
async fn a_login_that_fails_its_checks_keeps_the_tokens_that_work() {
    let world = world().await;
    connect(&world).await.unwrap();
    let working = refresh_token(&world).unwrap();

    world
        .core
        .update_connection(
            "EU",
            &audience_desk::store::ConnectionUpdate {
                ad_account_id: Some(audience_desk::sim::SHARED_AD_ACCOUNT.into()),
                ..Default::default()
            },
            None,
        )
        .unwrap();
    let report = world
        .core
        .connect("EU", browser, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(report.problem.unwrap().contains("do not allow uploads"));
    assert_eq!(refresh_token(&world).as_deref(), Some(working.as_str()));

    world
        .core
        .update_connection(
            "EU",
            &audience_desk::store::ConnectionUpdate {
                ad_account_id: Some(audience_desk::sim::OWNED_AD_ACCOUNT.into()),
                ..Default::default()
            },
            None,
        )
        .unwrap();
    world.sim.set_username("someone_else");
    let error = connect(&world).await.unwrap_err();
    assert!(
        matches!(&error, PinterestError::OtherUser { before, now, .. }
            if before == "sim_admin" && now == "someone_else"),
        "{error}"
    );
    assert_eq!(refresh_token(&world).as_deref(), Some(working.as_str()));
    let report = world
        .core
        .connect_switching("EU", browser, Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(report.user.username.as_deref(), Some("someone_else"));
    assert_ne!(refresh_token(&world).as_deref(), Some(working.as_str()));
}

/// Idle connections by the thousand (past the 1,024 open-file limit) neither stop the login
/// listener nor the login: the oldest are closed as new ones come.
#[tokio::test(flavor = "multi_thread")]
async fn a_thousand_idle_connections_do_not_stop_a_login() {
    let world = world().await;
    let port = world.core.endpoints.redirect.port().unwrap();
    let hog = r#"
import resource, socket, sys
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
held = []
for _ in range(1100):
    s = socket.socket()
    s.connect(("127.0.0.1", int(sys.argv[1])))
    held.append(s)
print("ready", flush=True)
sys.stdin.read()
"#;
    // This process's open files: the listener must not keep one per idle connection (past
    // the usual limit of 1,024, accepting fails for everyone).
    let open_files = || std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count());
    let before = open_files();
    let result = world
        .core
        .connect(
            "EU",
            move |url| {
                let mut child = std::process::Command::new("python3")
                    .args(["-c", hog, &port.to_string()])
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .spawn()
                    .expect("python3");
                let mut line = String::new();
                std::io::BufRead::read_line(
                    &mut std::io::BufReader::new(child.stdout.take().unwrap()),
                    &mut line,
                )
                .unwrap();
                assert_eq!(line.trim(), "ready");
                let url = url.clone();
                tokio::spawn(async move {
                    let _hold = child;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    let held = open_files().saturating_sub(before);
                    assert!(held < 300, "the listener holds {held} more files");
                    reqwest::get(url).await.unwrap();
                    tokio::time::sleep(Duration::from_secs(3)).await;
                });
                Ok(())
            },
            Duration::from_secs(20),
        )
        .await;
    result.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_expired_access_token_is_refreshed_and_the_new_refresh_token_kept() {
    let world = world().await;
    connect(&world).await.unwrap();
    let first = refresh_token(&world).unwrap();
    world.sim.expire_access_tokens();
    let client = world
        .core
        .client("EU")
        .await
        .unwrap()
        .with_retry(quick_retries());
    let user = client.user_account().await.unwrap();
    assert_eq!(user.username.as_deref(), Some("sim_admin"));
    let second = refresh_token(&world).unwrap();
    assert_ne!(first, second, "the rotated refresh token is stored");
    let status = world.core.status("EU").unwrap();
    assert!(status.last_refresh_at.is_some());
    // The old refresh token is dead at the simulator: only the stored one works.
    let refreshes = crate::common::refresh_calls(&world.sim);
    assert_eq!(refreshes, 1);
    world.sim.expire_access_tokens();
    client.user_account().await.unwrap();
    assert_ne!(refresh_token(&world).unwrap(), second);
}

#[tokio::test(flavor = "multi_thread")]
async fn tokens_near_expiry_are_refreshed_before_use() {
    // Access tokens that live four days are inside the five-day margin from the start.
    let world = world_with(|c| c.access_token_lifetime = 4 * 86_400).await;
    connect(&world).await.unwrap();
    let before = refresh_token(&world).unwrap();
    let client = world.core.client("EU").await.unwrap();
    client.user_account().await.unwrap();
    assert_ne!(refresh_token(&world).unwrap(), before);
    let unauthorized = world.sim.log().iter().filter(|e| e.status == 401).count();
    assert_eq!(
        unauthorized, 0,
        "refreshed ahead of time, not after a refusal"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_refresh_token_requires_a_reconnect_and_stops_retrying() {
    let world = world().await;
    connect(&world).await.unwrap();
    world.sim.revoke_refresh_tokens();
    world.sim.expire_access_tokens();
    let client = world
        .core
        .client("EU")
        .await
        .unwrap()
        .with_retry(quick_retries());
    let error = client.user_account().await.unwrap_err();
    assert!(
        matches!(error, PinterestError::ReconnectRequired { .. }),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("'EU' must log in to Pinterest again"),
        "{error}"
    );
    assert_eq!(
        audience_desk::remedy::HasRemedy::remedy(&error)
            .unwrap()
            .command(),
        "audience-desk connect EU"
    );
    let status = world.core.status("EU").unwrap();
    assert_eq!(status.state, ConnectionState::ReconnectRequired);
    assert!(
        status
            .message
            .unwrap()
            .contains("refused the refresh token")
    );
    // Further calls fail at once, without asking Pinterest again.
    let calls = world.sim.log().len();
    assert!(client.user_account().await.is_err());
    assert_eq!(world.sim.log().len(), calls);
    // A new login clears it.
    connect(&world).await.unwrap();
    assert_eq!(
        world.core.status("EU").unwrap().state,
        ConnectionState::Connected
    );
    client.user_account().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn server_errors_and_rate_limits_are_retried() {
    let world = world().await;
    connect(&world).await.unwrap();
    let client = world
        .core
        .client("EU")
        .await
        .unwrap()
        .with_retry(quick_retries());
    for status in [503, 429] {
        world.sim.set_faults(Faults {
            fail_next: 2,
            fail_status: Some(status),
            ..Faults::default()
        });
        client.user_account().await.unwrap();
    }
    let stats = &client.stats;
    assert_eq!(stats.retries.load(std::sync::atomic::Ordering::Relaxed), 4);
    assert_eq!(
        stats
            .rate_limited
            .load(std::sync::atomic::Ordering::Relaxed),
        2
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn persistent_failures_surface_with_the_request_id() {
    let world = world().await;
    connect(&world).await.unwrap();
    let client = world
        .core
        .client("EU")
        .await
        .unwrap()
        .with_retry(quick_retries());
    for status in [503, 429] {
        world.sim.set_faults(Faults {
            fail_next: 100,
            fail_status: Some(status),
            ..Faults::default()
        });
        let before = world.sim.log().len();
        let error = client.user_account().await.unwrap_err();
        let api = error.api().unwrap_or_else(|| panic!("{error}"));
        assert_eq!(api.status, status);
        assert!(
            api.request_id.as_ref().is_some_and(|r| r.len() == 16),
            "{api:?}"
        );
        assert!(error.to_string().contains("request id"), "{error}");
        assert_eq!(world.sim.log().len() - before, 3, "three attempts");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_ad_account_role_is_explained() {
    let world = world().await;
    connect(&world).await.unwrap();
    let update = audience_desk::store::ConnectionUpdate {
        ad_account_id: Some(audience_desk::sim::SHARED_AD_ACCOUNT.into()),
        ..Default::default()
    };
    world.core.update_connection("EU", &update, None).unwrap();
    let report = world.core.check_access("EU").await.unwrap();
    assert!(report.problem.unwrap().contains("ANALYST"));
    let update = audience_desk::store::ConnectionUpdate {
        ad_account_id: Some("999".into()),
        ..Default::default()
    };
    world.core.update_connection("EU", &update, None).unwrap();
    let report = world.core.check_access("EU").await.unwrap();
    assert!(report.problem.unwrap().contains("not among the accounts"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_refresh_margin_is_a_setting() {
    let mut world = world_with(|c| c.access_token_lifetime = 4 * 86_400).await;
    world.core.refresh_margin = Duration::from_secs(3600);
    connect(&world).await.unwrap();
    let before = refresh_token(&world).unwrap();
    world
        .core
        .client("EU")
        .await
        .unwrap()
        .user_account()
        .await
        .unwrap();
    assert_eq!(
        refresh_token(&world).unwrap(),
        before,
        "four days left is outside a one-hour margin"
    );
}

/// A refresh whose caller gives up (a timeout, a closed window) after the call went out still
/// saves the rotated tokens: Pinterest retired the old refresh token the moment it answered.
#[tokio::test(flavor = "multi_thread")]
async fn a_refresh_abandoned_mid_flight_still_saves_the_new_tokens() {
    // Access tokens that live four days are refreshed before every use.
    let world = world_with(|c| c.access_token_lifetime = 4 * 86_400).await;
    connect(&world).await.unwrap();
    let before = refresh_token(&world).unwrap();
    world.sim.set_faults(Faults {
        token_latency_ms: 1500,
        ..Faults::default()
    });
    let client = world.core.client("EU").await.unwrap();
    let gave_up = tokio::time::timeout(Duration::from_millis(500), client.user_account()).await;
    assert!(gave_up.is_err(), "the call was meant to be abandoned");
    assert!(audience_desk::pinterest::refreshes_in_flight());
    audience_desk::pinterest::settle_refreshes(Duration::from_secs(10)).await;
    let after = refresh_token(&world).unwrap();
    assert_ne!(after, before, "the rotated refresh token was saved");
    world.sim.set_faults(Faults::default());
    world.sim.expire_access_tokens();
    client.user_account().await.unwrap();
    assert_eq!(
        world.core.status("EU").unwrap().state,
        ConnectionState::Connected
    );
}
