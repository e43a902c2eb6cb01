//! Several processes on one home, as the app, commands and scheduled runs share it: refreshes,
//! jobs and the first opening of a home are safe across processes, and the home is its owner's
//! only.

use crate::common::expected;
use std::process::{Child, Output};
use std::time::{Duration, Instant};

use crate::common::cli::{Env, connected, python_available, text};
use serde_json::Value;

fn finish(child: Child) -> Output {
    child.wait_with_output().unwrap()
}

/// Starts `args` in `count` processes at once and waits for them all.
async fn at_once(env: &Env, count: usize, args: &[&str]) -> Vec<Output> {
    let children: Vec<Child> = (0..count)
        .map(|_| env.command(args).spawn().unwrap())
        .collect();
    tokio::task::spawn_blocking(move || children.into_iter().map(finish).collect())
        .await
        .unwrap()
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(output)))
}

/// Refresh token answers the simulator refused.
fn refused_refreshes(env: &Env) -> usize {
    env.sim
        .log()
        .iter()
        .filter(|e| e.path.ends_with("/oauth/token") && e.status != 200)
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_refresh_one_connection_without_a_reconnect() {
    if !python_available() {
        return;
    }
    let env = Env::new().await;
    connected(&env).await;
    for round in 0..20 {
        // Both processes meet a token Pinterest no longer takes and refresh it at once, with
        // the same rotating refresh token.
        env.sim.expire_access_tokens();
        for out in at_once(&env, 2, &["lists", "EU", "--json"]).await {
            assert!(out.status.success(), "round {round}: {}", text(&out));
        }
    }
    let refreshes = crate::common::refresh_calls(&env.sim);
    assert!(refreshes >= 20, "one refresh a round at least: {refreshes}");
    assert_eq!(refused_refreshes(&env), 0);
    let out = env.run(&["connection", "list", "--json"], None).await;
    assert_eq!(
        json(&out)[0]["status"]["state"],
        "connected",
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn early_refreshes_from_two_processes_do_not_collide() {
    if !python_available() {
        return;
    }
    let env = Env::new().await;
    connected(&env).await;
    for round in 0..10 {
        // A margin longer than the token's life: every call refreshes first, in both.
        let children: Vec<Child> = (0..2)
            .map(|_| {
                env.command(&["lists", "EU", "--json"])
                    .env("AUDIENCE_DESK_REFRESH_MARGIN_DAYS", "31")
                    .spawn()
                    .unwrap()
            })
            .collect();
        for out in children.into_iter().map(finish) {
            assert!(out.status.success(), "round {round}: {}", text(&out));
        }
    }
    assert!(crate::common::refresh_calls(&env.sim) >= 10);
    assert_eq!(refused_refreshes(&env), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn three_processes_open_a_fresh_home_at_once() {
    for round in 0..20 {
        let env = Env::new().await;
        for out in at_once(&env, 3, &["connection", "list", "--json"]).await {
            assert!(out.status.success(), "round {round}: {}", text(&out));
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_from_a_newer_version_is_refused() {
    let env = Env::new().await;
    let out = env.run(&["connection", "list"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    let db = env.home.path().join(audience_desk::store::DATABASE_FILE);
    rusqlite::Connection::open(&db)
        .unwrap()
        .pragma_update(None, "user_version", 999)
        .unwrap();
    let out = env.run(&["connection", "list"], None).await;
    assert!(!out.status.success());
    let said = text(&out);
    assert!(said.contains("newer version of Audience Desk"), "{said}");
    assert!(said.contains("schema 999"), "{said}");
}

fn customers(dir: &std::path::Path, count: u32) -> String {
    let mut csv = String::from("email\n");
    for i in 0..count {
        csv += &format!("User{i}@Example.com\n");
    }
    let path = dir.join("customers.csv");
    std::fs::write(&path, csv).unwrap();
    path.to_str().unwrap().to_owned()
}

/// The newest job, once `ready` holds for it.
async fn wait_for_job(env: &Env, ready: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = env.run(&["jobs", "--json"], None).await;
        let jobs: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        if let Some(job) = jobs.get(0)
            && ready(job)
        {
            return job.clone();
        }
        assert!(Instant::now() < deadline, "the job never got there");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_resumes_of_one_job_have_one_runner() {
    if !python_available() {
        return;
    }
    let env = Env::new().await;
    connected(&env).await;
    let files = tempfile::tempdir().unwrap();
    let file = customers(files.path(), 3000);
    env.sim.set_faults(audience_desk::sim::Faults {
        latency_ms: 40,
        ..Default::default()
    });
    let upload = [
        "upload",
        &file,
        "--connection",
        "EU",
        "--new-list",
        "Twice",
        "--batch-size",
        "50",
    ];
    let mut child = env.command(&upload).spawn().unwrap();
    let job = wait_for_job(&env, |j| j["counts"]["records_acked"].as_u64() >= Some(300)).await;
    child.kill().unwrap();
    let _ = child.wait();
    let job = job["id"].as_i64().unwrap();
    // Right after the kill the job shows as interrupted: its holder is known to be gone.
    let killed = wait_for_job(&env, |_| true).await;
    assert_eq!(killed["state"], "interrupted", "{killed}");
    let unsent_batches = killed["counts"]["batches"].as_u64().unwrap()
        - killed["counts"]["batches_acked"].as_u64().unwrap();
    let patches = |env: &Env| env.sim.log().iter().filter(|e| e.method == "PATCH").count();
    let patches_before = patches(&env);

    let outs = at_once(&env, 2, &["resume", &job.to_string()]).await;
    let (done, refused): (Vec<_>, Vec<_>) = outs.iter().partition(|o| o.status.success());
    assert_eq!(
        done.len(),
        1,
        "one runner: {:?}",
        outs.iter().map(text).collect::<Vec<_>>()
    );
    assert!(text(done[0]).contains("completed"), "{}", text(done[0]));
    let refusal = text(refused[0]);
    assert!(
        refusal.contains("is being sent by `audience-desk resume` (pid")
            || refusal.contains("already complete"),
        "{refusal}"
    );
    let sent = patches(&env) - patches_before;
    assert!(
        sent as u64 <= unsent_batches,
        "{sent} updates for {unsent_batches} unacknowledged batches: nothing sent twice"
    );
    let lists = env.sim.lists();
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].members, expected(0..3000));
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn the_home_and_everything_in_it_are_the_owners_only() {
    use std::os::unix::fs::PermissionsExt;
    if !python_available() {
        return;
    }
    let env = Env::new().await;
    // A home that already existed with loose permissions is tightened.
    std::fs::set_permissions(env.home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    connected(&env).await;
    let files = tempfile::tempdir().unwrap();
    let file = customers(files.path(), 300);
    let out = env
        .run(
            &["upload", &file, "--connection", "EU", "--new-list", "Modes"],
            None,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    // While a process has the database open, its -wal and -shm files exist too.
    env.sim.set_faults(audience_desk::sim::Faults {
        latency_ms: 3000,
        ..Default::default()
    });
    let mut holder = env.command(&["lists", "EU"]).spawn().unwrap();
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut seen = Vec::new();
    let mut folders = vec![env.home.path().to_owned()];
    while let Some(folder) = folders.pop() {
        let mode = std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "{}", folder.display());
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                folders.push(path);
                continue;
            }
            let mode = meta.permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", path.display());
            seen.push(path.file_name().unwrap().to_string_lossy().into_owned());
        }
    }
    holder.kill().unwrap();
    let _ = holder.wait();
    for name in ["audience-desk.db", "audience-desk.db-wal", "secrets.json"] {
        assert!(seen.iter().any(|s| s == name), "{name} in {seen:?}");
    }
}
