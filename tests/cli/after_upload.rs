//! After the upload, through the real binary against the simulator: the estimated match rate
//! in `lists --json`, lookalikes and sharing with their error cases.

use crate::common::cli::{Env, connected_env_with, text};
use audience_desk::sim::{SHARED_AD_ACCOUNT, SISTER_AD_ACCOUNT};
use serde_json::Value;

/// Seconds new audiences stay INITIALIZING: whole seconds from a truncated creation time, so
/// long enough that the first look after an upload finds them so even on a loaded machine.
const READY_AFTER: i64 = 4;

/// A connected home whose simulator matches 60% of people and keeps new audiences
/// INITIALIZING for `delay` seconds, with a 300-person list "Spring" uploaded.
async fn uploaded(delay: i64, sharing: bool) -> Option<(Env, tempfile::TempDir)> {
    let env = connected_env_with(|config| {
        config.audiences.match_rate = 0.6;
        config.audiences.ready_after = delay;
        config.audiences.sharing = sharing;
    })
    .await?;
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("spring.csv");
    let mut csv = String::from("email\n");
    for i in 0..300 {
        csv += &format!("user{i}@example.com\n");
    }
    std::fs::write(&file, csv).unwrap();
    let out = env
        .run(
            &[
                "upload",
                file.to_str().unwrap(),
                "--connection",
                "EU",
                "--new-list",
                "Spring",
            ],
            None,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    Some((env, files))
}

async fn lists(env: &Env) -> Value {
    let out = env.run(&["lists", "EU", "--json"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn spring_audience(env: &Env) -> Value {
    lists(env).await["audiences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "Spring")
        .cloned()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_match_rate_is_estimated_once_pinterest_has_a_size() {
    let Some((env, _files)) = uploaded(READY_AFTER, true).await else {
        return;
    };
    let listed = lists(&env).await;
    assert_eq!(listed["customer_lists"][0]["identities"], 300);
    let audience = &listed["audiences"][0];
    assert_eq!(audience["status"], "INITIALIZING", "{audience}");
    assert!(audience["size"].is_null());
    assert!(audience["match_rate"].is_null(), "unknown while no size");
    tokio::time::sleep(std::time::Duration::from_millis(
        READY_AFTER as u64 * 1000 + 100,
    ))
    .await;
    let audience = spring_audience(&env).await;
    assert_eq!(audience["status"], "READY", "{audience}");
    assert_eq!(audience["size"], 180);
    assert_eq!(audience["match_rate"], 0.6);
    assert_eq!(audience["identities"], 300);
    assert_eq!(audience["made_by_app"], true);
    let out = env.run(&["lists", "EU"], None).await;
    assert!(text(&out).contains("~60%"), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn lookalikes_need_a_ready_seed_a_known_country_and_a_percentage_of_one_to_ten() {
    let Some((env, _files)) = uploaded(READY_AFTER, true).await else {
        return;
    };
    let seed = spring_audience(&env).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let lookalike = |country: &'static str, percent: &'static str| {
        let seed = seed.clone();
        let env = &env;
        async move {
            env.run(
                &[
                    "lookalike",
                    "EU",
                    "--seed",
                    &seed,
                    "--country",
                    country,
                    "--percent",
                    percent,
                ],
                None,
            )
            .await
        }
    };
    let out = lookalike("US", "5").await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("is INITIALIZING; a lookalike needs READY seeds"),
        "{}",
        text(&out)
    );
    let out = lookalike("FR", "5").await;
    assert!(text(&out).contains("US, CA and GB"), "{}", text(&out));
    let out = lookalike("GB", "11").await;
    assert!(text(&out).contains("1 to 10"), "{}", text(&out));
    let out = env
        .run(
            &[
                "lookalike",
                "EU",
                "--seed",
                "999",
                "--country",
                "US",
                "--percent",
                "2",
            ],
            None,
        )
        .await;
    assert!(
        text(&out).contains("there is no audience 999"),
        "{}",
        text(&out)
    );
    let posts = |env: &Env| env.sim.log().iter().filter(|e| e.method == "POST").count();
    let before = posts(&env);

    tokio::time::sleep(std::time::Duration::from_millis(
        READY_AFTER as u64 * 1000 + 100,
    ))
    .await;
    assert_eq!(posts(&env), before, "nothing refused was sent");
    let out = lookalike("ca", "4").await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Lookalike of Spring (CA 4%)"),
        "{}",
        text(&out)
    );
    let listed = lists(&env).await;
    let made = listed["audiences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["audience_type"] == "ACTALIKE")
        .cloned()
        .unwrap();
    assert_eq!(made["rule"]["seed_id"][0], seed.as_str());
    assert_eq!(made["rule"]["country"], "CA");
    assert_eq!(made["rule"]["percentage"], 4);
    assert_eq!(made["made_by_app"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn sharing_stays_within_the_business_and_can_be_revoked() {
    let Some((env, _files)) = uploaded(0, true).await else {
        return;
    };
    let audience = spring_audience(&env).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let share = |with: &'static str, revoke: bool| {
        let audience = audience.clone();
        let env = &env;
        async move {
            let mut args = vec!["share", "EU", &audience, "--with", with];
            if revoke {
                args.push("--revoke");
            }
            env.run(&args, None).await
        }
    };
    let out = share(SISTER_AD_ACCOUNT, false).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Shared now with: 549755885177 (Audience Desk Demo EU)"),
        "{}",
        text(&out)
    );
    let out = share(SHARED_AD_ACCOUNT, false).await;
    assert!(!out.status.success());
    assert!(
        text(&out).contains("not in the same business hierarchy"),
        "{}",
        text(&out)
    );
    let out = share("12ab", false).await;
    assert!(text(&out).contains("12ab"), "{}", text(&out));
    let out = share(SISTER_AD_ACCOUNT, true).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("No other ad account has it now."),
        "{}",
        text(&out)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_without_sharing_is_told_what_the_403_means() {
    let Some((env, _files)) = uploaded(0, false).await else {
        return;
    };
    let audience = spring_audience(&env).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = env
        .run(
            &["share", "EU", &audience, "--with", SISTER_AD_ACCOUNT],
            None,
        )
        .await;
    assert!(!out.status.success());
    let said = text(&out);
    assert!(said.contains("restricted feature"), "{said}");
    assert!(said.contains("403"), "{said}");
    assert!(said.contains("Ads Manager"), "{said}");
}

/// Against a simulator answering as Pinterest's release 5.28 does (201 on create, a
/// lookalike's percentage as a string, `is_nca`, listings that mix in received audiences),
/// upload, lookalike, sharing and listing all work, and an audience shared to another account
/// is listed there apart, never among its own.
#[tokio::test(flavor = "multi_thread")]
async fn release_5_28_answers_work_through_every_command() {
    let Some(env) = connected_env_with(|config| {
        config.audiences.match_rate = 0.6;
        config.audiences.release_5_28 = true;
    })
    .await
    else {
        return;
    };
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("spring.csv");
    let csv: String = std::iter::once("email\n".to_owned())
        .chain((0..300).map(|i| format!("user{i}@example.com\n")))
        .collect();
    std::fs::write(&file, csv).unwrap();
    let path = file.to_str().unwrap();
    crate::common::cli::upload_new_list(&env, path, "Spring").await;
    let seed = spring_audience(&env).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let out = env
        .run(
            &[
                "lookalike",
                "EU",
                "--seed",
                &seed,
                "--country",
                "GB",
                "--percent",
                "5",
            ],
            None,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    let out = env
        .run(&["share", "EU", &seed, "--with", SISTER_AD_ACCOUNT], None)
        .await;
    assert!(out.status.success(), "{}", text(&out));
    let listed = lists(&env).await;
    assert_eq!(listed["audiences"].as_array().unwrap().len(), 2, "{listed}");

    // The sister account's own connection: the shared audience is listed apart.
    crate::common::cli::add_and_connect(&env, "Sister", SISTER_AD_ACCOUNT).await;
    let out = env.run(&["lists", "Sister", "--json"], None).await;
    assert!(out.status.success(), "{}", text(&out));
    let sister: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        sister["audiences"].as_array().unwrap().is_empty(),
        "{sister}"
    );
    assert_eq!(sister["received_audiences"][0]["id"], seed.as_str());
    let out = env.run(&["lists", "Sister"], None).await;
    assert!(
        text(&out).contains("Shared with this account by others"),
        "{}",
        text(&out)
    );
}

/// Reach: taken with the look `lists` makes and on demand, shown in `lists` and its JSON,
/// and kept with the follow-up snapshots (the plot's band).
#[tokio::test(flavor = "multi_thread")]
async fn reach_is_estimated_kept_and_shown() {
    let Some((env, _files)) = uploaded(0, true).await else {
        return;
    };
    let audience = spring_audience(&env).await;
    assert_eq!(audience["size"], 180);
    // 60% to 90% of the 180 matched people, as the simulator estimates.
    assert_eq!(audience["reach"]["lower"], 108, "{audience}");
    assert_eq!(audience["reach"]["upper"], 162, "{audience}");
    let id = audience["id"].as_str().unwrap().to_owned();
    let out = env.run(&["reach", "EU", &id], None).await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("reaches 108-162 people a month"),
        "{}",
        text(&out)
    );
    let out = env.run(&["lists", "EU"], None).await;
    assert!(text(&out).contains("108-162"), "{}", text(&out));
    let out = env.run(&["reach", "EU", "999"], None).await;
    assert!(!out.status.success());
    assert!(text(&out).contains("403"), "{}", text(&out));
    // The follow-up look kept it with its snapshot.
    let store = audience_desk::store::Store::open(env.home.path()).unwrap();
    let list = audience["rule"]["customer_list_id"].as_str().unwrap();
    let seen = store
        .snapshots(audience_desk::sim::OWNED_AD_ACCOUNT, list)
        .unwrap();
    assert!(
        seen.iter().any(|s| s.reach.is_some_and(|r| r.upper == 162)),
        "{seen:?}"
    );
}
