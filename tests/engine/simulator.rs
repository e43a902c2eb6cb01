//! The simulator itself: real membership, strict checks and faults, with raw HTTP so that
//! nothing of the app's client is assumed.

use std::collections::HashMap;

use audience_desk::sim::{Faults, OWNED_AD_ACCOUNT, SHARED_AD_ACCOUNT, SimConfig, SimHandle};
use reqwest::StatusCode;
use serde_json::{Value, json};

struct Raw {
    sim: SimHandle,
    http: reqwest::Client,
    token: String,
}

const REDIRECT: &str = "http://localhost:8085/";

async fn login(sim: &SimHandle, scope: &str) -> reqwest::Result<reqwest::Response> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let authorize = http
        .get(sim.url.join("/oauth/").unwrap())
        .query(&[
            ("client_id", "1500000"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", scope),
            ("state", "s1"),
        ])
        .send()
        .await?;
    assert_eq!(authorize.status(), StatusCode::SEE_OTHER);
    let location = url::Url::parse(authorize.headers()["location"].to_str().unwrap()).unwrap();
    let query: HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(query["state"], "s1");
    http.post(sim.url.join("/v5/oauth/token").unwrap())
        .basic_auth("1500000", Some("sim-secret"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", query["code"].as_str()),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
}

async fn raw(scope: &str) -> Raw {
    let sim = SimHandle::start(SimConfig::default(), 0).await.unwrap();
    let tokens: Value = login(&sim, scope).await.unwrap().json().await.unwrap();
    Raw {
        token: tokens["access_token"].as_str().unwrap().to_owned(),
        http: reqwest::Client::new(),
        sim,
    }
}

impl Raw {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, self.sim.url.join(path).unwrap())
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        assert!(response.headers().contains_key("x-pinterest-rid"));
        (status, response.json().await.unwrap_or(Value::Null))
    }

    fn lists_path(&self) -> String {
        format!("/v5/ad_accounts/{OWNED_AD_ACCOUNT}/customer_lists")
    }
}

/// `reqwest`'s blocking client is not built here: a plain HTTP/1.0 request on a socket.
mod reqwest_blocking {
    pub fn get_status(port: u16) -> Option<u16> {
        use std::io::{Read, Write};
        let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
        stream
            .write_all(b"GET /v5/user_account HTTP/1.0\r\nHost: sim\r\n\r\n")
            .ok()?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).ok()?;
        answer.split_whitespace().nth(1)?.parse().ok()
    }
}

fn digests(range: std::ops::Range<u32>) -> String {
    range
        .map(|i| audience_desk::identity::sha256(&i.to_string()).to_hex())
        .collect::<Vec<_>>()
        .join(",")
}

#[tokio::test]
async fn membership_counters_and_status() {
    let raw = raw("ads:read,ads:write").await;
    let (status, list) = raw
        .send(
            reqwest::Method::POST,
            &raw.lists_path(),
            Some(json!({"name": "L", "records": digests(0..60) + ",", "list_type": "EMAIL"})),
        )
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(list["status"], "TOO_SMALL");
    let id = list["id"].as_str().unwrap().to_owned();
    let path = format!("{}/{id}", raw.lists_path());
    let (_, list) = raw
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"operation_type": "ADD", "records": digests(30..130)})),
        )
        .await;
    assert_eq!(list["status"], "READY");
    assert_eq!(
        list["num_uploaded_user_records"], 160,
        "counters count calls, not members"
    );
    let (_, list) = raw
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(json!({"operation_type": "REMOVE", "records": digests(0..40)})),
        )
        .await;
    assert_eq!(list["num_removed_user_records"], 40);
    assert_eq!(list["num_batches"], 3);
    assert_eq!(list["status"], "TOO_SMALL", "90 members left");
    let members = &raw.sim.lists()[0].members;
    assert_eq!(members.len(), 90);
    assert!(members.contains(&audience_desk::identity::sha256("129").to_hex()));
    assert!(!members.contains(&audience_desk::identity::sha256("39").to_hex()));
}

#[tokio::test]
async fn requests_are_checked_strictly() {
    let raw = raw("ads:read,ads:write").await;
    let lists = raw.lists_path();
    let post = |body: Value| raw.send(reqwest::Method::POST, &lists, Some(body));
    let cases = [
        (
            json!({"name": "L", "records": "a@b.com", "colour": "red"}),
            "unknown field",
        ),
        (
            json!({"name": "L", "records": "a@b.com", "list_type": "PHONE"}),
            "unknown variant",
        ),
        (json!({"name": "L"}), "missing field"),
        (
            json!({"name": "L", "records": "", "list_type": "EMAIL"}),
            "records is empty",
        ),
        (
            json!({"name": "L", "records": "38400000-8cf0-11bd-b23e-10b96e40000d", "list_type": "MAID"}),
            "hashed",
        ),
        (
            json!({"name": "L", "records": "Jane@Example.com", "list_type": "EMAIL"}),
            "lowercase",
        ),
    ];
    for (body, expected) in cases {
        let (status, answer) = post(body).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["code"], 1);
        assert!(
            answer["message"].as_str().unwrap().contains(expected),
            "{answer}"
        );
    }
    let (status, answer) = raw
        .send(
            reqwest::Method::GET,
            &format!("{}?page_size=300", raw.lists_path()),
            None,
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    let (status, _) = raw
        .send(
            reqwest::Method::GET,
            &format!("{}?colour=red", raw.lists_path()),
            None,
        )
        .await;
    assert_eq!(status, 400);
    let (status, answer) = raw
        .send(
            reqwest::Method::GET,
            "/v5/ad_accounts/12ab/customer_lists",
            None,
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    let (status, _) = raw
        .send(
            reqwest::Method::GET,
            "/v5/ad_accounts/42/customer_lists",
            None,
        )
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn permissions_and_scopes() {
    let raw = raw("ads:read").await;
    let body = json!({"name": "L", "records": digests(0..1), "list_type": "EMAIL"});
    let (status, answer) = raw
        .send(reqwest::Method::POST, &raw.lists_path(), Some(body.clone()))
        .await;
    assert_eq!((status.as_u16(), answer["code"].as_i64()), (401, Some(3)));
    let (status, _) = raw
        .send(reqwest::Method::GET, "/v5/user_account", None)
        .await;
    assert_eq!(status, 401, "user_accounts:read was not granted");

    let raw = raw_full().await;
    let shared = format!("/v5/ad_accounts/{SHARED_AD_ACCOUNT}/customer_lists");
    let (status, answer) = raw.send(reqwest::Method::POST, &shared, Some(body)).await;
    assert_eq!((status.as_u16(), answer["code"].as_i64()), (403, Some(29)));
}

#[tokio::test]
async fn unknown_routes_answer_in_pinterests_shape_and_shared_accounts_come_by_default() {
    let raw = raw_full().await;
    let (status, answer) = raw
        .send(reqwest::Method::GET, "/v5/no_such_route", None)
        .await;
    assert_eq!(status, 404);
    assert_eq!(answer["code"], 404, "{answer}");
    assert!(answer["message"].is_string(), "{answer}");
    // The description's default is true, and Python clients send `True`.
    for query in [
        "",
        "?include_shared_accounts=True",
        "?include_shared_accounts=true",
    ] {
        let (status, answer) = raw
            .send(
                reqwest::Method::GET,
                &format!("/v5/ad_accounts{query}"),
                None,
            )
            .await;
        assert_eq!(status, 200);
        let ids: Vec<&str> = answer["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&SHARED_AD_ACCOUNT), "{query}: {ids:?}");
    }
    let (_, answer) = raw
        .send(
            reqwest::Method::GET,
            "/v5/ad_accounts?include_shared_accounts=False",
            None,
        )
        .await;
    assert_eq!(answer["items"].as_array().unwrap().len(), 2);
}

async fn raw_full() -> Raw {
    raw("ads:read ads:write user_accounts:read").await
}

#[tokio::test]
async fn faults_rate_limits_and_record_caps() {
    let raw = raw_full().await;
    raw.sim.set_faults(Faults {
        rate_limit_per_minute: Some(2),
        max_records: Some(5),
        ..Faults::default()
    });
    let body = json!({"name": "L", "records": digests(0..6), "list_type": "EMAIL"});
    let (status, answer) = raw
        .send(reqwest::Method::POST, &raw.lists_path(), Some(body))
        .await;
    assert_eq!(status, 400);
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("Too many records")
    );
    raw.send(reqwest::Method::GET, "/v5/user_account", None)
        .await;
    let response = raw
        .http
        .get(raw.sim.url.join("/v5/user_account").unwrap())
        .bearer_auth(&raw.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["x-ratelimit-limit"], "2");
    assert_eq!(response.headers()["x-ratelimit-remaining"], "0");
    let reset: u64 = response.headers()["x-ratelimit-reset"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&reset));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], 8);

    // A limit of 0 lets no call through, and the simulator lives on.
    raw.sim.set_faults(Faults {
        rate_limit_per_minute: Some(0),
        ..Faults::default()
    });
    for _ in 0..2 {
        let (status, _) = raw
            .send(reqwest::Method::GET, "/v5/user_account", None)
            .await;
        assert_eq!(status, 429);
    }
}

#[test]
fn the_sim_command_does_not_print_the_app_secret() {
    use std::io::{BufRead, BufReader};
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_audience-desk"))
        .args([
            "sim",
            "--port",
            &port.to_string(),
            "--app-secret",
            "very-secret-value",
        ])
        .args(["--rate-limit", "0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut printed = String::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..4 {
        printed += &lines.next().unwrap().unwrap();
    }
    let answer = reqwest_blocking::get_status(port);
    child.kill().unwrap();
    let _ = child.wait();
    assert!(printed.contains("Pinterest simulator on"), "{printed}");
    assert!(!printed.contains("very-secret-value"), "{printed}");
    assert_eq!(
        answer,
        Some(429),
        "alive, and limiting, under --rate-limit 0"
    );
}

#[tokio::test]
async fn the_token_endpoint_guards_codes_and_rotates_refresh_tokens() {
    let sim = SimHandle::start(SimConfig::default(), 0).await.unwrap();
    let tokens: Value = login(&sim, "ads:read").await.unwrap().json().await.unwrap();
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 2_592_000);
    assert_eq!(tokens["refresh_token_expires_in"], 5_184_000);
    let http = reqwest::Client::new();
    let token_url = sim.url.join("/v5/oauth/token").unwrap();
    let refresh = |secret: &'static str, token: String| {
        http.post(token_url.clone())
            .basic_auth("1500000", Some(secret))
            .form(&[
                ("grant_type", "refresh_token".to_owned()),
                ("refresh_token", token),
            ])
            .send()
    };
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(refresh("wrong", first.clone()).await.unwrap().status(), 401);
    let rotated: Value = refresh("sim-secret", first.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_ne!(rotated["refresh_token"], first.as_str());
    assert!(rotated["refresh_token_expires_at"].as_i64().is_some());
    assert_eq!(
        refresh("sim-secret", first).await.unwrap().status(),
        400,
        "a used refresh token is refused"
    );
    // An unregistered redirect URI gets no redirect at all.
    let page = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(sim.url.join("/oauth/").unwrap())
        .query(&[
            ("client_id", "1500000"),
            ("redirect_uri", "http://localhost:9999/"),
            ("response_type", "code"),
            ("scope", "ads:read"),
            ("state", "s"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 400);
}
