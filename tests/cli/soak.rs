//! A soak of everything at once, for a few minutes: the simulator answers with 429s, 5xx and
//! lost responses and expires every access token every two seconds; this process keeps the
//! tokens fresh the way the open app does; three uploads and a mirror run as separate
//! processes on one home, and one upload is killed with SIGKILL and resumed. After every round
//! each list equals its file exactly, no connection needs a reconnect and no job is left
//! unfinished.
//!
//! Ignored by default (it takes minutes):
//! `AUDIENCE_DESK_SOAK_SECONDS=180 cargo test --test soak -- --ignored --nocapture`.

use crate::common::expected;
use std::process::Child;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::cli::{Env, connected, members, python_available, text};
use audience_desk::context::Core;
use audience_desk::pinterest::Endpoints;
use audience_desk::sim::Faults;
use audience_desk::store::FileSecrets;
use serde_json::Value;

const ROWS: u32 = 4000;

fn write(dir: &std::path::Path, name: &str, range: std::ops::Range<u32>) -> String {
    let mut csv = String::from("email,notes\n");
    for i in range {
        csv += &format!(" User{i}@Example.com ,\"row {i}, soak\"\n");
    }
    let path = dir.join(name);
    std::fs::write(&path, csv).unwrap();
    path.to_str().unwrap().to_owned()
}

async fn jobs(env: &Env) -> Vec<Value> {
    let out = env.run(&["jobs", "--json"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice::<Value>(&out.stdout)
        .unwrap()
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn wait(child: Child) -> std::process::Output {
    tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap()
}

fn upload(env: &Env, file: &str, target: &[&str]) -> Child {
    let mut args = vec![
        "upload",
        file,
        "--connection",
        "EU",
        "--batch-size",
        "100",
        "--writes-per-minute",
        "3000",
    ];
    args.extend_from_slice(target);
    env.command(&args).spawn().unwrap()
}

/// Every two seconds every access token stops working, and every four seconds the next call
/// is rate limited; throughout, a share of the calls fail or lose their answers.
fn chaos(env: &Env) -> tokio::task::JoinHandle<()> {
    let url = env.sim.url.clone();
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        for tick in 0.. {
            let faults = Faults {
                server_error_rate: 0.05,
                lost_response_rate: 0.03,
                latency_ms: 5,
                script: if tick % 2 == 0 { vec![429] } else { vec![] },
                ..Faults::default()
            };
            let _ = http
                .post(url.join("/_sim/faults").unwrap())
                .json(&faults)
                .send()
                .await;
            let _ = http
                .post(url.join("/_sim/expire-tokens").unwrap())
                .send()
                .await;
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    })
}

/// This process, like the open app, refreshes the connection's tokens every second (a margin
/// longer than a token's life makes each check a refresh).
fn keep_fresh(env: &Env) -> tokio::task::JoinHandle<()> {
    let secrets = Arc::new(FileSecrets::new(env.home.path().join("secrets.json")));
    let endpoints = Endpoints::simulator(&env.sim.url, env.redirect.parse().unwrap());
    let mut core = Core::with(env.home.path(), endpoints, secrets, None).unwrap();
    core.refresh_margin = Duration::from_secs(31 * 86_400);
    tokio::spawn(async move {
        loop {
            if let Ok(session) = core.session("EU").await
                && let Err(e) = session.access_token().await
            {
                eprintln!("keeper: {e}");
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a soak of a few minutes: run with --ignored"]
async fn soak() {
    if !python_available() {
        return;
    }
    let seconds: u64 = std::env::var("AUDIENCE_DESK_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(180);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let env = Env::new().await;
    connected(&env).await;
    let files = tempfile::tempdir().unwrap();
    let chaos = chaos(&env);
    let keeper = keep_fresh(&env);
    let mut round = 0;
    while round == 0 || Instant::now() < deadline {
        round += 1;
        let base = round * 10 * ROWS;
        let a = write(files.path(), &format!("a{round}.csv"), base..base + ROWS);
        let b = write(
            files.path(),
            &format!("b{round}.csv"),
            base + ROWS..base + 2 * ROWS,
        );
        let c = write(
            files.path(),
            &format!("c{round}.csv"),
            base + 2 * ROWS..base + 3 * ROWS,
        );
        let mirrored = base + ROWS / 2..base + ROWS + ROWS / 2;
        let a2 = write(
            files.path(),
            &format!("a{round}-changed.csv"),
            mirrored.clone(),
        );
        let (name_a, name_b, name_c) = (
            format!("Soak {round} A"),
            format!("Soak {round} B"),
            format!("Soak {round} C"),
        );
        let started = Instant::now();
        let upload_a = upload(&env, &a, &["--new-list", &name_a]);
        let upload_b = upload(&env, &b, &["--new-list", &name_b]);
        let mut upload_c = upload(&env, &c, &["--new-list", &name_c]);

        // Kill C once it is under way, then resume it.
        let job_c = loop {
            let job = jobs(&env)
                .await
                .into_iter()
                .find(|j| j["file"] == c.as_str());
            if let Some(job) = job
                && job["counts"]["records_acked"].as_u64() >= Some(500)
            {
                break job["id"].as_i64().unwrap();
            }
            assert!(
                upload_c.try_wait().unwrap().is_none(),
                "C ended before the kill"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        upload_c.kill().unwrap();
        let _ = upload_c.wait();
        let resume_c = env
            .command(&["resume", &job_c.to_string()])
            .spawn()
            .unwrap();

        // Mirror the changed file into A once A is done, while B and C still run.
        let out = wait(upload_a).await;
        assert!(out.status.success(), "round {round}, A: {}", text(&out));
        let list_a = env
            .sim
            .lists()
            .into_iter()
            .find(|l| l.name == name_a)
            .unwrap()
            .id;
        // Half the list changes each round: the removal guard (tested on its own) is off.
        let unguarded = [
            "--list",
            &list_a,
            "--mode",
            "mirror",
            "--max-removal-share",
            "1",
        ];
        let mirror = upload(&env, &a2, &unguarded);
        for (what, child) in [("B", upload_b), ("C resumed", resume_c), ("mirror", mirror)] {
            let out = wait(child).await;
            assert!(
                out.status.success(),
                "round {round}, {what}: {}",
                text(&out)
            );
        }

        assert_eq!(
            members(&env, &name_a),
            expected(mirrored),
            "round {round}: A"
        );
        assert_eq!(
            members(&env, &name_b),
            expected(base + ROWS..base + 2 * ROWS),
            "round {round}: B"
        );
        assert_eq!(
            members(&env, &name_c),
            expected(base + 2 * ROWS..base + 3 * ROWS),
            "round {round}: C"
        );
        let unfinished: Vec<Value> = jobs(&env)
            .await
            .into_iter()
            .filter(|j| j["state"] != "completed")
            .collect();
        assert!(unfinished.is_empty(), "round {round}: {unfinished:?}");
        let out = env.run(&["connection", "list", "--json"], None).await;
        let state =
            serde_json::from_slice::<Value>(&out.stdout).unwrap()[0]["status"]["state"].clone();
        assert_eq!(state, "connected", "round {round}: {}", text(&out));
        println!(
            "round {round}: 3 uploads (one killed and resumed) and a mirror in {:.1} s; lists \
             equal their files",
            started.elapsed().as_secs_f64()
        );
    }
    chaos.abort();
    keeper.abort();
    let log = env.sim.log();
    let count =
        |f: &dyn Fn(&audience_desk::sim::LogEntry) -> bool| log.iter().filter(|e| f(e)).count();
    println!(
        "{round} rounds in {seconds} s: {} API calls, {} answered 429, {} answered 5xx, {} \
         refreshes, {} refused refreshes",
        count(&|e| e.path.starts_with("/v5")),
        count(&|e| e.status == 429),
        count(&|e| e.status >= 500),
        crate::common::refresh_calls(&env.sim),
        count(&|e| e.path.ends_with("/oauth/token") && e.status != 200),
    );
    assert_eq!(
        count(&|e| e.path.ends_with("/oauth/token") && e.status != 200),
        0,
        "no refresh was refused"
    );
}
