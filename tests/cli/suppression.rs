//! The suppression list through the binary: identities on it never reach a list in an add, a
//! mirror or a sync run, each counted as kept out; plain and pre-hashed emails meet.

use crate::common::cli::{
    Env, connected_env, customers_in_new_list, members, text, user_digest, write_users,
};
use serde_json::Value;

async fn json(env: &Env, args: &[&str]) -> Value {
    let out = env.run(args, None).await;
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn suppressed_people_never_reach_a_list_in_adds_mirrors_and_sync_runs() {
    let Some(env) = connected_env().await else {
        return;
    };
    let (files, path) = customers_in_new_list(&env, "Spring").await;
    let customers = std::path::PathBuf::from(&path);
    let path = path.as_str();
    let spring = env.sim.lists()[0].id.clone();

    // Opt-outs: ten plain emails, and five more as the CRM exports them, pre-hashed.
    let plain = files.path().join("optouts.csv");
    write_users(&plain, "email", 10..20);
    let hashed = files.path().join("consent.csv");
    let mut csv = String::from("hashed\n");
    for i in 20..25 {
        csv += &format!("{}\n", user_digest(i).to_uppercase());
    }
    std::fs::write(&hashed, csv).unwrap();
    let out = env
        .run(
            &[
                "suppress",
                "add",
                plain.to_str().unwrap(),
                "--reason",
                "do not sell",
            ],
            None,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("10 identities"), "{}", text(&out));
    let out = env
        .run(
            &[
                "suppress",
                "add",
                hashed.to_str().unwrap(),
                "--map",
                "hashed=email_sha256",
            ],
            None,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    let list = json(&env, &["suppress", "list", "--json"]).await;
    assert_eq!(list["counts"]["EMAIL"], 15, "{list}");
    assert_eq!(list["sources"].as_array().unwrap().len(), 2);
    assert_eq!(list["sources"][0]["reason"], "do not sell");
    // Digests only: no value is stored in the home.
    let listed = serde_json::to_string(&list).unwrap();
    assert!(!listed.contains("user10@"), "{listed}");

    // An add to a new list sends no suppressed identity, and says how many it kept out.
    let out = env
        .run(
            &["upload", path, "--connection", "EU", "--new-list", "Summer"],
            None,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    let summer = members(&env, "Summer");
    assert_eq!(summer.len(), 135);
    for i in 10..25 {
        assert!(!summer.contains(&user_digest(i)), "user{i} was sent");
    }
    let jobs = json(&env, &["jobs", "--json"]).await;
    assert_eq!(jobs[0]["suppressed"], 15, "{jobs}");

    // A mirror holds exactly the file less the suppressed: those Spring holds are removed.
    let out = env
        .run(
            &[
                "upload",
                path,
                "--connection",
                "EU",
                "--list",
                &spring,
                "--mode",
                "mirror",
            ],
            None,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("kept out: 15"), "{}", text(&out));
    let held = members(&env, "Spring");
    assert_eq!(held.len(), 135);
    assert!(!held.contains(&user_digest(12)) && !held.contains(&user_digest(22)));

    // A sync run: someone opts out between runs, and the next run takes them out.
    crate::syncs::add_file_sync(&env, "spring", &customers, "Autumn", &[]).await;
    let out = env.run(&["sync", "run", "spring"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(members(&env, "Autumn").len(), 135);
    let late = files.path().join("late.csv");
    write_users(&late, "email", 30..31);
    let out = env
        .run(&["suppress", "add", late.to_str().unwrap()], None)
        .await;
    assert!(out.status.success(), "{}", text(&out));
    let out = env.run(&["sync", "run", "spring"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    let autumn = members(&env, "Autumn");
    assert_eq!(autumn.len(), 134);
    assert!(!autumn.contains(&user_digest(30)));
    let runs = crate::syncs::history(&env, "spring").await;
    let last = runs.iter().max_by_key(|r| r["id"].as_i64()).unwrap();
    assert_eq!(last["report"]["suppressed"], 16, "{last}");
    assert_eq!(last["report"]["lists"][0]["removed"], 1, "{last}");

    // Taking a source off lets its people be sent again (the other source still holds its own).
    let out = env.run(&["suppress", "remove", "1"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    let list = json(&env, &["suppress", "list", "--json"]).await;
    assert_eq!(list["counts"]["EMAIL"], 6, "{list}");
    let out = env.run(&["suppress", "remove", "9"], None).await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("the sources are 2, 3"),
        "{}",
        text(&out)
    );
}
