//! `find` through the binary: where a person is after uploads and a mirror, from the app's
//! ledger and journal, for a value typed as the user has it.

use crate::common::cli::{Env, connected_env, text, write_users};
use serde_json::Value;

async fn find(env: &Env, args: &[&str]) -> Value {
    let mut all = vec!["find"];
    all.extend_from_slice(args);
    all.push("--json");
    let out = env.run(&all, None).await;
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn find_names_every_list_holding_a_person_and_what_added_or_removed_them() {
    let Some(env) = connected_env().await else {
        return;
    };
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("spring.csv");
    write_users(&file, "email", 0..150);
    let path = file.to_str().unwrap();
    crate::common::cli::upload_new_list(&env, path, "Spring").await;
    let list = env.sim.lists()[0].id.clone();
    // The next export: the first 50 left, 50 new came.
    write_users(&file, "email", 50..200);
    let mirror = [
        "upload",
        path,
        "--connection",
        "EU",
        "--list",
        &list,
        "--mode",
        "mirror",
        "--max-removal-share",
        "1",
    ];
    let out = env.run(&mirror, None).await;
    assert!(out.status.success(), "{}", text(&out));

    // Still in: one list, added once. Typed as the user has it, spaces and capitals.
    let found = find(&env, &[" User100@EXAMPLE.com "]).await;
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    let email = &found[0];
    assert_eq!(email["namespace"], "email");
    assert_eq!(
        email["digest"],
        audience_desk::identity::sha256("user100@example.com").to_hex()
    );
    assert_eq!(email["lists"].as_array().unwrap().len(), 1);
    assert_eq!(email["lists"][0]["list_id"], list.as_str());
    assert_eq!(email["lists"][0]["list_name"], "Spring");
    assert_eq!(email["lists"][0]["connection"], "EU");
    let changes: Vec<&str> = email["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["change"].as_str().unwrap())
        .collect();
    assert_eq!(changes, ["added"]);

    // Left with the mirror: in no list now, added then removed.
    let found = find(&env, &["user10@example.com", "--namespace", "email"]).await;
    assert!(found[0]["lists"].as_array().unwrap().is_empty(), "{found}");
    let changes: Vec<&str> = found[0]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["change"].as_str().unwrap())
        .collect();
    assert_eq!(changes, ["added", "removed"]);
    // Never sent: nowhere. The same person's digest finds them too.
    let nobody = find(&env, &["nobody@example.com"]).await;
    assert!(nobody[0]["lists"].as_array().unwrap().is_empty());
    assert!(nobody[0]["history"].as_array().unwrap().is_empty());
    let digest = audience_desk::identity::sha256("user150@example.com").to_hex();
    let by_digest = find(&env, &[&digest, "--namespace", "email_sha256"]).await;
    assert_eq!(by_digest[0]["lists"][0]["list_id"], list.as_str());

    // In words, and a value that is no identity.
    let out = env.run(&["find", "user10@example.com"], None).await;
    let said = text(&out);
    assert!(said.contains("In no list this app filled."), "{said}");
    assert!(said.contains("removed from 'Spring' by job 2"), "{said}");
    let out = env
        .run(&["find", "not an email", "--namespace", "email"], None)
        .await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("the value is not Email"),
        "{}",
        text(&out)
    );
    // A device ID is looked up as both kinds.
    let both = find(&env, &["6D92078A-8246-4BA4-AE5B-76104861E7DC"]).await;
    let kinds: Vec<&str> = both
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["namespace"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["gaid", "idfa"]);
}
