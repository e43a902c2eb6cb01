//! Saved syncs through the real binary: a simulator on loopback, a home of its own, and (where
//! processes matter) several `sync watch` processes at once.

use crate::common::expected;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::common::cli::{Env, connected_env, text, write_users};
use serde_json::Value;

/// `sync add NAME --connection EU --file FILE --list-name LIST` and `more`.
pub(crate) async fn add_file_sync(env: &Env, name: &str, file: &Path, list: &str, more: &[&str]) {
    let mut args = vec![
        "sync",
        "add",
        name,
        "--connection",
        "EU",
        "--file",
        file.to_str().unwrap(),
        "--list-name",
        list,
    ];
    args.extend_from_slice(more);
    let out = env.run(&args, None).await;
    assert!(out.status.success(), "{}", text(&out));
}

pub(crate) async fn history(env: &Env, name: &str) -> Vec<Value> {
    let out = env.run(&["sync", "history", name, "--json"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
}

fn states(runs: &[Value]) -> Vec<String> {
    runs.iter()
        .map(|r| r["state"].as_str().unwrap().to_owned())
        .collect()
}

fn updates(env: &Env) -> usize {
    env.sim
        .log()
        .iter()
        .filter(|e| e.method == "PATCH" || e.method == "POST" && e.path.contains("customer_lists"))
        .count()
}

/// The runs of `name`, once `ready` holds for them.
async fn wait_for_runs(env: &Env, name: &str, ready: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let runs = history(env, name).await;
        if ready(&runs) {
            return runs;
        }
        assert!(
            Instant::now() < deadline,
            "the runs never got there: {runs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(crate) fn stop(mut child: Child) -> String {
    // SIGINT, as Ctrl-C: the watcher interrupts its runs and records how they ended.
    let _ = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    text(&output)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_mirrors_its_file_then_follows_every_change_exactly() {
    let Some(env) = connected_env().await else {
        return;
    };
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("customers.csv");
    write_users(&file, "email", 0..150);
    // Whole-list changes here are the point: the removal guard has its own test below.
    let more = ["--every", "1h", "--max-removal-share", "1"];
    add_file_sync(&env, "spring", &file, "Spring", &more).await;

    let out = env.run(&["sync", "run", "spring"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    let lists = env.sim.lists();
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].members, expected(0..150));
    assert_eq!(
        env.sim.audiences().len(),
        1,
        "the new list got its audience"
    );

    // The file changes: the next run adds the new 50 and removes the 50 that left.
    write_users(&file, "email", 50..200);
    let out = env.run(&["sync", "run", "spring"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("added 50, removed 50, unchanged 100"),
        "{said}"
    );
    let lists = env.sim.lists();
    assert_eq!(lists.len(), 1, "the same list, not a new one");
    assert_eq!(lists[0].members, expected(50..200));
    assert_eq!(env.sim.audiences().len(), 1, "no second audience");

    // Unchanged: skipped, nothing sent.
    let before = updates(&env);
    let out = env.run(&["sync", "run", "spring"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("skipped"), "{}", text(&out));
    assert_eq!(updates(&env), before, "an unchanged file sends nothing");

    // Edited settings make the same file worth a run again (nothing to send, here).
    let out = env
        .run(&["sync", "edit", "spring", "--every", "2h"], None)
        .await;
    assert!(text(&out).contains("every 2 hours"), "{}", text(&out));
    let out = env.run(&["sync", "run", "spring"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("already match the file"),
        "{}",
        text(&out)
    );
    assert_eq!(updates(&env), before);

    // A header that no longer matches: refused, said why, nothing sent.
    write_users(&file, "mail", 0..10);
    let out = env.run(&["sync", "run", "spring"], None).await;
    assert!(!out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("columns no longer match"), "{said}");
    assert!(said.contains("\"email\" (email) is gone"), "{said}");
    assert_eq!(updates(&env), before, "a mismatched file sends nothing");
    assert_eq!(env.sim.lists()[0].members, expected(50..200));

    let runs = history(&env, "spring").await;
    assert_eq!(
        states(&runs),
        ["completed", "completed", "skipped", "completed", "refused"]
    );
    let second = &runs[1];
    assert_eq!(second["report"]["rows"], 150);
    assert_eq!(second["report"]["lists"][0]["added"], 50);
    assert_eq!(second["report"]["lists"][0]["removed"], 50);
    assert_eq!(second["report"]["records_sent"], 100);
    assert_eq!(
        second["file_digest"].as_str().unwrap().len(),
        64,
        "{second}"
    );
    assert_eq!(runs[3]["revision"], 2);
    assert!(runs[4]["report"].is_null());

    let out = env.run(&["sync", "list", "--json"], None).await;
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed[0]["name"], "spring");
    assert_eq!(listed[0]["health"], "failing");
    assert_eq!(listed[0]["last_run"]["state"], "refused");

    let out = env.run(&["sync", "schedule-hint", "spring"], None).await;
    let hints = text(&out);
    assert!(hints.contains("0 */2 * * *"), "{hints}");
    assert!(hints.contains("sync run spring"), "{hints}");
    assert!(hints.contains("OnUnitActiveSec=7200s"), "{hints}");
    assert!(hints.contains("Register-ScheduledTask"), "{hints}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_folder_sync_reads_the_newest_matching_file() {
    let Some(env) = connected_env().await else {
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let aged = |name: &str, users: std::ops::Range<u32>, age_s: u64| {
        let path = folder.path().join(name);
        write_users(&path, "email", users);
        let when = std::time::SystemTime::now() - Duration::from_secs(age_s);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(when)
            .unwrap();
    };
    aged("export-monday.csv", 0..120, 600);
    aged("export-tuesday.csv", 100..220, 60);
    aged("other.csv", 500..600, 0);
    let out = env
        .run(
            &[
                "sync",
                "add",
                "exports",
                "--connection",
                "EU",
                "--folder",
                folder.path().to_str().unwrap(),
                "--pattern",
                "export-*.csv",
                "--list-name",
                "Exports",
            ],
            None,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    let out = env.run(&["sync", "run", "exports"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(env.sim.lists()[0].members, expected(100..220));
    let runs = history(&env, "exports").await;
    let file = runs[0]["file"]["path"].as_str().unwrap();
    assert!(file.ends_with("export-tuesday.csv"), "{file}");
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_follows_a_changed_file_once_it_stops_growing() {
    let Some(env) = connected_env().await else {
        return;
    };
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("live.csv");
    write_users(&file, "email", 0..120);
    add_file_sync(
        &env,
        "live",
        &file,
        "Live",
        &["--on-change", "--max-removal-share", "1"],
    )
    .await;
    let watcher = env
        .command(&["sync", "watch", "--settle", "2"])
        .spawn()
        .unwrap();
    // Never run: the watcher runs it once the file has settled.
    wait_for_runs(&env, "live", |runs| states(runs) == ["completed"]).await;
    assert_eq!(env.sim.lists()[0].members, expected(0..120));

    // The export is rewritten slowly: a first part, a pause shorter than the settle time,
    // then the rest. The half-written file must never be sent.
    let mut whole = String::from("email\n");
    for i in 200..400 {
        whole += &format!("User{i}@Example.com\n");
    }
    let half = whole.len() / 2;
    std::fs::write(&file, &whole[..half]).unwrap();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    {
        use std::io::Write;
        let mut appending = std::fs::File::options().append(true).open(&file).unwrap();
        appending.write_all(&whole.as_bytes()[half..]).unwrap();
    }
    let written = Instant::now();
    let runs = wait_for_runs(&env, "live", |runs| {
        runs.len() >= 2 && runs[1]["state"] != "running"
    })
    .await;
    let took = written.elapsed();
    let said = stop(watcher);
    assert_eq!(states(&runs), ["completed", "completed"], "{said}");
    assert!(took < Duration::from_secs(30), "picked up in {took:?}");
    assert_eq!(runs[1]["report"]["rows"], 200, "the whole file, never half");
    assert_eq!(env.sim.lists()[0].members, expected(200..400));
}

#[tokio::test(flavor = "multi_thread")]
async fn two_watchers_on_one_home_run_each_change_once() {
    let Some(env) = connected_env().await else {
        return;
    };
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("shared.csv");
    write_users(&file, "email", 0..110);
    add_file_sync(
        &env,
        "shared",
        &file,
        "Shared",
        &["--on-change", "--max-removal-share", "1"],
    )
    .await;
    let first = env
        .command(&["sync", "watch", "--settle", "1"])
        .spawn()
        .unwrap();
    let second = env
        .command(&["sync", "watch", "--settle", "1"])
        .spawn()
        .unwrap();
    wait_for_runs(&env, "shared", |runs| states(runs) == ["completed"]).await;
    write_users(&file, "email", 50..170);
    wait_for_runs(&env, "shared", |runs| {
        runs.len() >= 2 && runs[1]["state"] != "running"
    })
    .await;
    // Time for a second run, if one of the watchers were to make it.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let runs = history(&env, "shared").await;
    let said = format!("{}\n---\n{}", stop(first), stop(second));
    assert_eq!(states(&runs), ["completed", "completed"], "{said}");
    assert_eq!(env.sim.lists().len(), 1);
    assert_eq!(env.sim.lists()[0].members, expected(50..170));
}

/// A scheduled mirror fed a cut-short export holds its removals: the run is `held`, the
/// sync needs confirmation, and `sync run --confirm-removals` sends them.
#[tokio::test(flavor = "multi_thread")]
async fn a_truncated_export_never_drains_a_synced_list_unattended() {
    let Some(env) = connected_env().await else {
        return;
    };
    let file = env.home.path().join("nightly.csv");
    write_users(&file, "email", 0..500);
    add_file_sync(&env, "50% off & more", &file, "Nightly", &[]).await;
    let out = env.run(&["sync", "run", "50% off & more"], None).await;
    assert!(out.status.success(), "{}", text(&out));

    write_users(&file, "email", 0..3);
    let out = env.run(&["sync", "run", "50% off & more"], None).await;
    assert!(!out.status.success());
    let said = text(&out);
    assert!(said.contains("497 of the 500 people"), "{said}");
    assert!(
        said.contains("sync run '50% off & more' --confirm-removals"),
        "{said}"
    );
    let runs = history(&env, "50% off & more").await;
    assert_eq!(states(&runs), ["completed", "held"]);
    let list = env.sim.lists().into_iter().next().unwrap();
    assert_eq!(list.members.len(), 500);
    let out = env.run(&["sync", "list", "--json"], None).await;
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed[0]["health"], "needs_confirmation");

    let out = env
        .run(
            &["sync", "run", "50% off & more", "--confirm-removals"],
            None,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    let list = env.sim.lists().into_iter().next().unwrap();
    assert_eq!(list.members.len(), 3);
    let runs = history(&env, "50% off & more").await;
    assert_eq!(states(&runs), ["completed", "held", "completed"]);
}
