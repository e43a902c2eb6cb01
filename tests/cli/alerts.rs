//! Alerts through the binary: a webhook receiver and a mail relay on loopback hear each change
//! of a sync's state once (also with two `sync watch` processes on one home), a stale sync
//! once, and nothing that names a person or a token.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::cli::{Env, connected_env, text};
use crate::common::receivers::{MailRelay, Webhook, eventually};
use crate::syncs::{add_file_sync, history, stop};

fn write_users(path: &Path, header: &str) {
    let mut csv = format!("{header}\n");
    for i in 0..120 {
        csv += &format!("User{i}@Example.com\n");
    }
    std::fs::write(path, csv).unwrap();
}

async fn ok(env: &Env, args: &[&str], stdin: Option<&str>) -> String {
    let out = env.run(args, stdin).await;
    assert!(out.status.success(), "{args:?}: {}", text(&out));
    text(&out)
}

/// Alerts to both receivers, named `chat` and `ops`.
async fn alerts_to(env: &Env, webhook: &Webhook, relay: &MailRelay) {
    let said = ok(
        env,
        &["alerts", "add", "webhook", &webhook.url, "--name", "chat"],
        None,
    )
    .await;
    assert!(said.contains("Alerts now go to 'chat'"), "{said}");
    assert!(
        !said.contains("secretkey"),
        "the webhook's key is never shown: {said}"
    );
    let said = ok(
        env,
        &[
            "alerts",
            "add",
            "email",
            "ops@example.com",
            "--smtp",
            &relay.address,
            "--name",
            "ops",
        ],
        None,
    )
    .await;
    assert!(said.contains("ops@example.com via"), "{said}");
}

/// Nothing sent names a person or carries a secret.
fn assert_clean(webhook: &Webhook, relay: &MailRelay) {
    let everything = format!(
        "{:?}\n{:?}",
        webhook.posts.lock().unwrap(),
        relay.mails.lock().unwrap()
    )
    .to_lowercase();
    for secret in [
        "user1@example.com",
        "secretkey",
        "sim-secret",
        "access",
        "refresh_token",
    ] {
        assert!(
            !everything.contains(secret),
            "'{secret}' went out: {everything}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_refused_twice_then_mended_gives_one_alert_and_one_recovery() {
    let Some(env) = connected_env().await else {
        return;
    };
    let (webhook, relay) = (Webhook::start().await, MailRelay::start().await);
    alerts_to(&env, &webhook, &relay).await;
    let said = ok(&env, &["alerts", "test"], None).await;
    assert!(
        said.contains("chat: sent") && said.contains("ops: sent"),
        "{said}"
    );
    assert_eq!(webhook.events(), ["test"]);
    webhook.posts.lock().unwrap().clear();
    relay.mails.lock().unwrap().clear();

    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("customers.csv");
    write_users(&file, "email");
    add_file_sync(&env, "nightly", &file, "nightly", &["--every", "1h"]).await;
    ok(&env, &["sync", "run", "nightly"], None).await;
    assert!(
        webhook.events().is_empty(),
        "a run that went well says nothing"
    );

    // The export's header changes: refused, twice; one alert.
    write_users(&file, "mail");
    for _ in 0..2 {
        let out = env.run(&["sync", "run", "nightly"], None).await;
        assert!(!out.status.success(), "{}", text(&out));
    }
    assert_eq!(webhook.events(), ["sync_refused"]);
    // Mended: one recovery.
    write_users(&file, "email");
    ok(&env, &["sync", "run", "nightly"], None).await;
    ok(&env, &["sync", "run", "nightly"], None).await;
    assert_eq!(webhook.events(), ["sync_refused", "sync_recovered"]);
    assert_eq!(
        relay.subjects(),
        [
            "Audience Desk: sync 'nightly' was refused",
            "Audience Desk: sync 'nightly' works again"
        ]
    );
    let post = webhook.posts.lock().unwrap()[0].clone();
    assert_eq!(post["subject"], "sync 'nightly'");
    assert_eq!(post["state"], "refused");
    assert!(
        post["text"].as_str().unwrap().contains("was refused"),
        "{post}"
    );
    assert!(post["host"].as_str().is_some_and(|h| !h.is_empty()));
    assert!(post["time"].as_str().unwrap().ends_with('Z'));
    assert_clean(&webhook, &relay);

    let listed = ok(&env, &["alerts", "list", "--json"], None).await;
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    assert_eq!(listed["alerts"].as_array().unwrap().len(), 2);
    assert_eq!(listed["recent"][0]["delivered_to"], 2);
    assert!(!listed.to_string().contains("secretkey"));
    ok(&env, &["alerts", "remove", "ops"], None).await;
    let out = env.run(&["alerts", "remove", "ops"], None).await;
    assert!(
        text(&out).contains("there is no alert named 'ops'; alerts: chat"),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_watchers_on_one_home_send_each_alert_once() {
    let Some(env) = connected_env().await else {
        return;
    };
    let (webhook, relay) = (Webhook::start().await, MailRelay::start().await);
    alerts_to(&env, &webhook, &relay).await;
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("shared.csv");
    write_users(&file, "email");
    add_file_sync(&env, "shared", &file, "shared", &["--on-change"]).await;
    let watchers: Vec<_> = (0..2)
        .map(|_| {
            env.command(&["sync", "watch", "--settle", "1"])
                .spawn()
                .unwrap()
        })
        .collect();
    // The first run goes well; then the export's header changes and the runs are refused.
    while !history(&env, "shared")
        .await
        .iter()
        .any(|r| r["state"] == "completed")
    {
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    write_users(&file, "mail");
    if !eventually(Duration::from_secs(60), || {
        webhook.events() == ["sync_refused"]
    })
    .await
    {
        let said: Vec<String> = watchers.into_iter().map(stop).collect();
        panic!("{:?}\n{}", webhook.events(), said.join("\n---\n"));
    }
    write_users(&file, "email");
    assert!(
        eventually(Duration::from_secs(60), || webhook.events().len() >= 2).await,
        "{:?}",
        webhook.events()
    );
    // Time for a repeat, if either watcher were to send one.
    tokio::time::sleep(Duration::from_secs(12)).await;
    for watcher in watchers {
        stop(watcher);
    }
    assert_eq!(webhook.events(), ["sync_refused", "sync_recovered"]);
    assert_eq!(relay.subjects().len(), 2, "{:?}", relay.subjects());
    assert_clean(&webhook, &relay);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stale_sync_alerts_once_and_a_dead_webhook_holds_up_nothing() {
    let Some(env) = connected_env().await else {
        return;
    };
    let (webhook, relay) = (Webhook::start().await, MailRelay::start().await);
    alerts_to(&env, &webhook, &relay).await;
    // Nobody listens here: every delivery to it fails, and is only retried later.
    let dead = format!("http://127.0.0.1:{}/hook", crate::common::free_port());
    ok(
        &env,
        &["alerts", "add", "webhook", &dead, "--name", "dead"],
        None,
    )
    .await;

    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("hourly.csv");
    write_users(&file, "email");
    add_file_sync(&env, "minutely", &file, "minutely", &["--every", "1m"]).await;
    add_file_sync(&env, "by-hand", &file, "by-hand", &[]).await;
    // Made ten minutes ago and never run: two periods have long gone by.
    let db = rusqlite::Connection::open(env.home.path().join("audience-desk.db")).unwrap();
    db.execute(
        "UPDATE syncs SET created_at = created_at - 600 WHERE name = 'minutely'",
        [],
    )
    .unwrap();
    drop(db);

    // Any command that ran work looks at every sync as it ends.
    for _ in 0..2 {
        let started = Instant::now();
        ok(&env, &["sync", "run", "by-hand"], None).await;
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "a dead webhook held the run up for {:?}",
            started.elapsed()
        );
    }
    assert_eq!(webhook.events(), ["sync_stale"]);
    let stale = webhook.posts.lock().unwrap()[0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(stale.contains("runs every minute"), "{stale}");
    let listed = ok(&env, &["alerts", "list"], None).await;
    assert!(
        listed.contains("dead (webhook): http://127.0.0.1"),
        "{listed}"
    );
    assert!(
        listed.contains("last try failed: cannot reach the webhook"),
        "{listed}"
    );

    // Its run brings it back: one recovery.
    ok(&env, &["sync", "run", "minutely"], None).await;
    assert_eq!(webhook.events(), ["sync_stale", "sync_recovered"]);
    assert_clean(&webhook, &relay);
}
