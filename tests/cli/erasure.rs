//! `erase` through the binary: a person taken out of every list of every connection, kept out
//! of later uploads, with a receipt; an erasure cut short by a kill or a lost login finishes
//! when carried out again.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::common::cli::{
    Env, add_and_connect, connected_env, customers_in_new_list, members, text, upload_new_list,
    user_digest, write_users,
};
use audience_desk::sim::SISTER_AD_ACCOUNT;
use serde_json::Value;

fn receipt(env: &Env, erasure: u32) -> Value {
    let path = env
        .home
        .path()
        .join("erasures")
        .join(format!("{erasure}.json"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the receipt is private: {mode:o}");
    }
    let bytes = std::fs::read(&path).unwrap();
    assert!(
        !String::from_utf8_lossy(&bytes).contains("@example.com"),
        "digests only"
    );
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn erase_takes_a_person_out_of_every_list_and_keeps_them_out() {
    let Some(env) = connected_env().await else {
        return;
    };
    add_and_connect(&env, "Sister", SISTER_AD_ACCOUNT).await;
    let (_files, path) = customers_in_new_list(&env, "Spring").await;
    let path = path.as_str();
    let out = env
        .run(
            &[
                "upload",
                path,
                "--connection",
                "Sister",
                "--new-list",
                "Sister list",
            ],
            None,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));

    let out = env.run(&["erase", " User7@EXAMPLE.com "], None).await;
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("'Spring'") && said.contains("'Sister list'"),
        "{said}"
    );
    assert!(said.contains("Receipt: "), "{said}");
    assert!(!members(&env, "Spring").contains(&user_digest(7)));
    assert!(!members(&env, "Sister list").contains(&user_digest(7)));
    assert_eq!(members(&env, "Spring").len(), 149);

    let receipt = receipt(&env, 1);
    assert_eq!(receipt["complete"], true, "{receipt}");
    assert_eq!(receipt["identities"][0]["digest"], user_digest(7));
    let lists = receipt["lists"].as_array().unwrap();
    assert_eq!(lists.len(), 2, "{receipt}");
    // Pinterest's request id for each batch, as the simulator sent it.
    let sent_ids: BTreeSet<String> = env
        .sim
        .log()
        .iter()
        .filter_map(|e| e.request_id.clone())
        .collect();
    for list in lists {
        let batch = &list["batches"][0];
        assert_eq!(batch["state"], "acked", "{list}");
        assert_eq!(batch["operation"], "REMOVE");
        let rid = batch["request_id"].as_str().unwrap();
        assert!(sent_ids.contains(rid), "{rid} was not an answer's id");
    }

    // find says so, and the next upload of the same file does not bring them back.
    let out = env
        .run(&["find", "user7@example.com", "--json"], None)
        .await;
    let found: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(found[0]["lists"].as_array().unwrap().is_empty(), "{found}");
    let out = env
        .run(
            &[
                "upload",
                path,
                "--connection",
                "EU",
                "--new-list",
                "Spring again",
            ],
            None,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(!members(&env, "Spring again").contains(&user_digest(7)));
    assert_eq!(members(&env, "Spring again").len(), 149);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_erasure_cut_short_by_a_kill_or_a_lost_login_finishes_when_resumed() {
    let Some(env) = connected_env().await else {
        return;
    };
    let (files, path) = customers_in_new_list(&env, "One").await;
    for list in ["Two", "Three"] {
        upload_new_list(&env, &path, list).await;
    }
    let people = files.path().join("requests.csv");
    write_users(&people, "email", 3..6);

    // Slow answers; killed once the first list is done.
    env.sim.set_faults(audience_desk::sim::Faults {
        latency_ms: 700,
        ..Default::default()
    });
    let mut child = env
        .command(&["erase", "--file", people.to_str().unwrap()])
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let out = env.run(&["jobs", "--json"], None).await;
        let jobs: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let erasing = jobs
            .as_array()
            .into_iter()
            .flatten()
            .filter(|j| j["file"] == "erasure 1" && j["state"] == "completed")
            .count();
        if erasing >= 1 {
            break;
        }
        assert!(Instant::now() < deadline, "the erasure never started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    child.kill().unwrap();
    let _ = child.wait();
    env.sim.set_faults(Default::default());
    let unfinished = receipt(&env, 1);
    assert_eq!(unfinished["complete"], false, "{unfinished}");
    let out = env.run(&["erase", "--resume", "1"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    for list in ["One", "Two", "Three"] {
        let held = members(&env, list);
        assert_eq!(held.len(), 147, "{list}");
        assert!((3..6).all(|i| !held.contains(&user_digest(i))), "{list}");
    }
    assert_eq!(receipt(&env, 1)["complete"], true);

    // A login Pinterest no longer takes: the erasure says so and waits; after a reconnect
    // it finishes.
    env.sim.revoke_refresh_tokens();
    env.sim.expire_access_tokens();
    let out = env.run(&["erase", "user9@example.com"], None).await;
    assert!(!out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("Pending: "), "{said}");
    assert!(said.contains("erase --resume 2"), "{said}");
    assert!(members(&env, "One").contains(&user_digest(9)));
    let pending = receipt(&env, 2);
    assert_eq!(pending["complete"], false);
    assert_eq!(pending["pending"].as_array().unwrap().len(), 3, "{pending}");
    let out = env.run(&["connect", "EU", "--timeout", "20"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    let out = env.run(&["erase", "--resume", "2"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(!members(&env, "One").contains(&user_digest(9)));
    assert_eq!(receipt(&env, 2)["complete"], true);
}
