//! The connection commands as a user runs them, against the simulator, with a `BROWSER`
//! helper that follows the login redirects the way a browser would.

use crate::common::cli::{Env, connected, python_available, text};

use audience_desk::sim::OWNED_AD_ACCOUNT;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread")]
async fn add_connect_and_look_around() {
    if !python_available() {
        return;
    }
    let env = Env::new().await;
    let out = env
        .run(
            &[
                "connection",
                "add",
                "--name",
                "EU",
                "--ad-account-id",
                OWNED_AD_ACCOUNT,
                "--description",
                "Europe",
                "--app-id",
                "1500000",
                "--app-secret-stdin",
            ],
            Some("sim-secret\n"),
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("keyring"),
        "the secrets-file notice: {}",
        text(&out)
    );

    let out = env.run(&["connect", "EU", "--timeout", "20"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains("Connected as sim_admin"), "{said}");
    assert!(said.contains("roles: OWNER"), "{said}");
    assert!(
        !said.contains("pina_") && !said.contains("pinr_"),
        "no token is printed"
    );
    // The program given as BROWSER (its command line readable by every local user) got the
    // one-time start address, never the login's state or PKCE challenge.
    let seen = env.browser_seen();
    assert_eq!(seen.lines().count(), 1, "{seen}");
    assert!(
        !seen.contains("state") && !seen.contains("code_challenge") && !said.contains("state="),
        "{seen}"
    );

    let out = env.run(&["connection", "list", "--json"], None).await;
    let listed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed[0]["name"], "EU");
    assert_eq!(listed[0]["status"]["state"], "connected");

    let out = env.run(&["accounts", "EU", "--json"], None).await;
    let accounts: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        accounts.as_array().unwrap().len(),
        3,
        "the owned, the sister and the shared"
    );
    assert_eq!(accounts[0]["permissions"][0], "OWNER");

    let out = env.run(&["lists", "EU", "--json"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    let lists: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(lists["customer_lists"].as_array().unwrap().len(), 0);

    // Secrets stay out of the database and out of listings.
    let db = std::fs::read(env.home.path().join("audience-desk.db")).unwrap();
    assert!(!String::from_utf8_lossy(&db).contains("sim-secret"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let secrets = std::fs::metadata(env.home.path().join("secrets.json")).unwrap();
        assert_eq!(secrets.permissions().mode() & 0o777, 0o600);
    }

    let out = env
        .run(&["connection", "edit", "EU", "--rename", "Europe"], None)
        .await;
    assert!(out.status.success(), "{}", text(&out));
    let out = env.run(&["connection", "remove", "Europe"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    let secrets = std::fs::read_to_string(env.home.path().join("secrets.json")).unwrap();
    assert_eq!(
        secrets.trim(),
        "{}",
        "removing a connection removes its secrets"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn mistakes_get_one_line_and_a_failing_exit() {
    let env = Env::new().await;
    let cases: [(&[&str], &str); 4] = [
        (
            &[
                "connection",
                "add",
                "--name",
                "X",
                "--ad-account-id",
                "act_123",
            ],
            "digits only",
        ),
        (&["connect", "Nobody"], "no connection named 'Nobody'"),
        (&["accounts", "Nobody"], "no connections yet"),
        (&["lists", "Nobody", "--json"], "connection add"),
    ];
    for (args, expected) in cases {
        let out = env.run(args, None).await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert_eq!(
            stderr
                .lines()
                .filter(|l| l.starts_with("audience-desk:"))
                .count(),
            1
        );
    }
    let out = env
        .run(
            &[
                "connection",
                "add",
                "--name",
                "EU",
                "--ad-account-id",
                OWNED_AD_ACCOUNT,
            ],
            None,
        )
        .await;
    assert!(out.status.success());
    let out = env.run(&["lists", "EU"], None).await;
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("has not logged in to Pinterest yet; to fix it: audience-desk connect EU"),
        "{}",
        text(&out)
    );
    let out = env.run(&["connect", "EU"], None).await;
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("PINTEREST_APP_ID"),
        "missing app credentials are explained: {}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_killed_mid_way_resumes_without_loss() {
    if !python_available() {
        return;
    }
    let env = Env::new().await;
    connected(&env).await;
    let file = env.home.path().join("customers.csv");
    let mut csv = String::from("email\n");
    for i in 0..3000 {
        csv += &format!("User{i}@Example.com\n");
    }
    std::fs::write(&file, csv).unwrap();
    env.sim.set_faults(audience_desk::sim::Faults {
        latency_ms: 40,
        ..Default::default()
    });
    let file = file.to_str().unwrap().to_owned();
    let mut child = env
        .command(&[
            "upload",
            &file,
            "--connection",
            "EU",
            "--new-list",
            "Killed",
            "--batch-size",
            "50",
        ])
        .spawn()
        .unwrap();
    // Wait until some batches are acknowledged, then pull the plug.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let job = loop {
        let out = env.run(&["jobs", "--json"], None).await;
        let jobs: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        if let Some(job) = jobs.get(0)
            && job["counts"]["records_acked"].as_u64().unwrap_or(0) >= 300
        {
            break job["id"].as_i64().unwrap();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the upload never got going"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    child.kill().unwrap();
    let _ = child.wait();
    let members_before = env.sim.lists()[0].members.len();
    assert!(
        members_before < 3000,
        "killed before the end: {members_before}"
    );

    let out = env.run(&["resume", &job.to_string()], None).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("completed"), "{}", text(&out));
    let expected: std::collections::BTreeSet<String> = (0..3000)
        .map(|i| audience_desk::identity::sha256(&format!("user{i}@example.com")).to_hex())
        .collect();
    let lists = env.sim.lists();
    assert_eq!(lists.len(), 1, "no twin list after the crash");
    assert_eq!(lists[0].members, expected);
    let out = env.run(&["jobs", "--json"], None).await;
    let jobs: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(jobs[0]["state"], "completed");
    assert_eq!(jobs[0]["counts"]["records_acked"], 3000);
}
