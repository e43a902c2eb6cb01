//! A home keeps its secrets in one place for every process that uses it: connected where no
//! session bus is, then read inside the desktop session; connected in the keyring, then read
//! from a process without the bus; and the schedule hint's own line run with nothing but what
//! it sets. Run from the desktop tests (they need the session's keyring, and must finish before
//! that test locks it).

use std::process::Output;

use crate::common::cli::{Env, connected, text};

/// `args` run with no session bus, as from cron or SSH; `stdin` written to it.
async fn without_bus(env: &Env, args: &[&str], stdin: &str) -> Output {
    let mut command = env.command(args);
    command.env_remove("DBUS_SESSION_BUS_ADDRESS");
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = command.spawn().unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

async fn add_sync(env: &Env, file: &std::path::Path) {
    std::fs::write(file, "Email\nann@example.com\nbob@example.com\n").unwrap();
    let path = file.to_str().unwrap();
    let args = [
        "sync",
        "add",
        "nightly",
        "--connection",
        "EU",
        "--file",
        path,
        "--list-name",
        "N",
    ];
    let out = env.run(&args, None).await;
    assert!(out.status.success(), "{}", text(&out));
}

/// The crontab line of `sync schedule-hint` run as cron would: by `sh`, with no environment
/// but what the line sets (and the simulator's address, standing in for Pinterest's).
async fn run_cron_line(env: &Env, sync: &str) -> Output {
    let out = env.run(&["sync", "schedule-hint", sync], None).await;
    assert!(out.status.success(), "{}", text(&out));
    let hints = String::from_utf8(out.stdout).unwrap();
    let line = hints
        .lines()
        .find(|l| !l.starts_with('#') && l.contains(" sync run "))
        .unwrap_or_else(|| panic!("no crontab line in {hints}"));
    // Five schedule fields, then the command.
    let command: String = line.splitn(6, ' ').nth(5).unwrap().to_owned();
    let api = env.sim.url.as_str().trim_end_matches('/').to_owned();
    let mut sh = std::process::Command::new("/usr/bin/env");
    sh.args(["-i", &format!("PINTEREST_API_URI={api}")])
        .args([format!("PINTEREST_OAUTH_URI={api}")])
        .args(["/bin/sh", "-c", &command]);
    tokio::task::spawn_blocking(move || sh.output().unwrap())
        .await
        .unwrap()
}

async fn last_run(env: &Env, sync: &str) -> serde_json::Value {
    let out = env.run(&["sync", "history", sync, "--json"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    let runs: Vec<serde_json::Value> = serde_json::from_slice(&out.stdout).unwrap();
    runs.last().cloned().unwrap()
}

pub async fn every_process_of_a_home_finds_its_secrets() {
    // Connected with no session bus: the home keeps its secrets in its file...
    let mut env = Env::new().await;
    env.secrets = "";
    let add = [
        "connection",
        "add",
        "--name",
        "EU",
        "--ad-account-id",
        audience_desk::sim::OWNED_AD_ACCOUNT,
        "--app-id",
        "1500000",
        "--app-secret-stdin",
    ];
    let out = without_bus(&env, &add, "sim-secret\n").await;
    assert!(out.status.success(), "{}", text(&out));
    let out = without_bus(&env, &["connect", "EU", "--timeout", "20"], "").await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(env.home.path().join("secrets.json").exists());
    // ...and a process inside the desktop session, where the keyring answers, reads them there.
    let out = env.run(&["accounts", "EU"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    let out = env.run(&["secrets", "show"], None).await;
    assert!(text(&out).contains("secrets.json"), "{}", text(&out));
    // The hint's own line reaches them with no session at all.
    let exports = tempfile::tempdir().unwrap();
    add_sync(&env, &exports.path().join("nightly.csv")).await;
    let out = run_cron_line(&env, "nightly").await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(last_run(&env, "nightly").await["state"], "completed");

    // Connected in the keyring, inside the session...
    let mut env = Env::new().await;
    env.secrets = "";
    connected(&env).await;
    assert!(!env.home.path().join("secrets.json").exists());
    // ...a process without the bus says it cannot reach them and what to do, instead of
    // "not connected".
    let out = without_bus(&env, &["accounts", "EU"], "").await;
    assert!(!out.status.success());
    let said = text(&out);
    assert!(said.contains("cannot reach"), "{said}");
    assert!(said.contains("secrets move --to file"), "{said}");
    assert!(!said.contains("not connected"), "{said}");
    // A scheduled run that cannot reach them records that sentence in the sync's history.
    add_sync(&env, &exports.path().join("keyring-nightly.csv")).await;
    run_cron_line(&env, "nightly").await;
    let run = last_run(&env, "nightly").await;
    assert_eq!(run["state"], "failed", "{run}");
    assert!(
        run["message"]
            .as_str()
            .unwrap_or("")
            .contains("cannot reach"),
        "{run}"
    );
    // Moved to the file inside the session, the same home works without one.
    let out = env.run(&["secrets", "move", "--to", "file"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    let out = without_bus(&env, &["accounts", "EU"], "").await;
    assert!(out.status.success(), "{}", text(&out));
    let out = run_cron_line(&env, "nightly").await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(last_run(&env, "nightly").await["state"], "completed");
}
