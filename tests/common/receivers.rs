//! Where alerts land in the tests: a webhook receiver (HTTP, JSON bodies kept) and a mail
//! relay (enough SMTP for a client to hand over a message, which is kept whole), both on
//! loopback ports of their own.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// A webhook on loopback: `url` takes JSON posts and keeps each body.
pub struct Webhook {
    pub url: String,
    pub posts: Arc<Mutex<Vec<Value>>>,
}

impl Webhook {
    pub async fn start() -> Webhook {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/hooks/T000/B000/secretkey",
            listener.local_addr().unwrap()
        );
        let posts = Arc::new(Mutex::new(Vec::new()));
        let app = axum::Router::new()
            .route(
                "/hooks/T000/B000/secretkey",
                axum::routing::post(
                    |State(posts): State<Arc<Mutex<Vec<Value>>>>,
                     axum::Json(body): axum::Json<Value>| async move {
                        posts.lock().unwrap().push(body);
                        StatusCode::OK
                    },
                ),
            )
            .with_state(posts.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Webhook { url, posts }
    }

    /// The `event` of every post so far.
    pub fn events(&self) -> Vec<String> {
        self.posts
            .lock()
            .unwrap()
            .iter()
            .map(|p| p["event"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

/// A mail relay on loopback: `address` is HOST:PORT; every message handed over is kept whole.
pub struct MailRelay {
    pub address: String,
    pub mails: Arc<Mutex<Vec<String>>>,
}

impl MailRelay {
    pub async fn start() -> MailRelay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let kept = mails.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, kept.clone()));
            }
        });
        MailRelay { address, mails }
    }

    /// Every message's `Subject:` line.
    pub fn subjects(&self) -> Vec<String> {
        self.mails
            .lock()
            .unwrap()
            .iter()
            .filter_map(|m| m.lines().find(|l| l.starts_with("Subject: ")))
            .map(|l| l.trim_start_matches("Subject: ").to_owned())
            .collect()
    }
}

async fn session(stream: tokio::net::TcpStream, mails: Arc<Mutex<Vec<String>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    if write.write_all(b"220 relay.test ESMTP\r\n").await.is_err() {
        return;
    }
    while let Ok(Some(line)) = lines.next_line().await {
        let verb = line.to_ascii_uppercase();
        let answer: &[u8] = if verb.starts_with("EHLO") || verb.starts_with("HELO") {
            b"250-relay.test\r\n250 8BITMIME\r\n"
        } else if verb.starts_with("DATA") {
            if write.write_all(b"354 end with .\r\n").await.is_err() {
                return;
            }
            let mut mail = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                if line == "." {
                    break;
                }
                mail.push_str(&line);
                mail.push('\n');
            }
            mails.lock().unwrap().push(mail);
            b"250 kept\r\n"
        } else if verb.starts_with("QUIT") {
            let _ = write.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 ok\r\n"
        };
        if write.write_all(answer).await.is_err() {
            return;
        }
    }
}

/// Waits until `ready` holds (at most `within`), polling.
pub async fn eventually(within: Duration, ready: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if ready() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    ready()
}
