//! Audiences Pinterest builds by a rule, through the binary: the account's tags and websites,
//! a visitor and an engagement audience made with exactly the rule asked for (as the simulator
//! received it), each refusal sending nothing, both listed in words, an edit, and release
//! 5.28's answers.

use crate::common::cli::{Env, connected_env, connected_env_with, text};
use audience_desk::sim::{ARCHIVED_TAG, SHOP_TAG, UNVERIFIED_DOMAIN, VERIFIED_DOMAIN};
use serde_json::{Value, json};

async fn json_of(env: &Env, args: &[&str]) -> Value {
    let out = env.run(args, None).await;
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The rules of the audiences created so far, as the simulator received them.
fn created_rules(env: &Env) -> Vec<Value> {
    env.sim
        .log()
        .into_iter()
        .filter(|e| e.method == "POST" && e.path.ends_with("/audiences"))
        .filter_map(|e| e.request.map(|r| r["rule"].clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn visitor_and_engagement_audiences_are_made_listed_and_edited() {
    let Some(env) = connected_env().await else {
        return;
    };
    let tags = json_of(&env, &["tags", "EU", "--json"]).await;
    let ids: Vec<&str> = tags
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [SHOP_TAG, ARCHIVED_TAG]);
    let out = env.run(&["tags", "EU"], None).await;
    assert!(text(&out).contains("Shop tag") && text(&out).contains("ARCHIVED"));
    let sites = json_of(&env, &["websites", "EU", "--json"]).await;
    assert_eq!(sites[0]["website"], VERIFIED_DOMAIN);
    let out = env.run(&["websites", "EU"], None).await;
    assert!(text(&out).contains("no (pending)"), "{}", text(&out));

    let visitors = json_of(
        &env,
        &[
            "visitors",
            "EU",
            "--name",
            "Checkout visitors",
            "--tag",
            SHOP_TAG,
            "--event",
            "checkout",
            "--retention-days",
            "30",
            "--url-contains",
            "/checkout",
            "--source",
            "web",
            "--json",
        ],
    )
    .await;
    let engagers = json_of(
        &env,
        &[
            "engagers",
            "EU",
            "--name",
            "Savers",
            "--domain",
            VERIFIED_DOMAIN,
            "--engagement",
            "save",
            "--retention-days",
            "90",
            "--json",
        ],
    )
    .await;
    assert_eq!(
        created_rules(&env),
        [
            json!({
                "visitor_source_id": SHOP_TAG,
                "retention_days": 30,
                "event": "checkout",
                "event_source": {"=": ["web"]},
                "url": [{"contains": "/checkout"}],
            }),
            json!({
                "engagement_domain": [VERIFIED_DOMAIN],
                "engagement_type": "save",
                "retention_days": 90,
            }),
        ]
    );
    // Unset options are left out, so Pinterest's defaults hold.
    let out = env
        .run(
            &[
                "visitors",
                "EU",
                "--name",
                "All visitors",
                "--tag",
                SHOP_TAG,
            ],
            None,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        created_rules(&env)[2],
        json!({"visitor_source_id": SHOP_TAG})
    );

    let listed = json_of(&env, &["lists", "EU", "--json"]).await;
    let audience = |id: &Value| {
        listed["audiences"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["id"] == *id)
            .cloned()
            .unwrap()
    };
    let v = audience(&visitors["id"]);
    assert_eq!(v["audience_type"], "VISITOR");
    assert_eq!(v["kind"], "site visitors");
    assert_eq!(
        v["rule_in_words"],
        format!(
            "visited with checkout in the last 30 days, URL contains /checkout, from web (tag {SHOP_TAG})"
        )
    );
    let e = audience(&engagers["id"]);
    assert_eq!(e["kind"], "people who engaged");
    assert_eq!(
        e["rule_in_words"],
        format!("saved Pins from {VERIFIED_DOMAIN} in the last 90 days")
    );
    let out = env.run(&["lists", "EU"], None).await;
    assert!(
        text(&out).contains("people who engaged: saved Pins"),
        "{}",
        text(&out)
    );

    // Reach works for them as for list audiences.
    let reach = json_of(
        &env,
        &["reach", "EU", visitors["id"].as_str().unwrap(), "--json"],
    )
    .await;
    assert!(
        reach["lower"].as_u64().unwrap() <= reach["upper"].as_u64().unwrap(),
        "{reach}"
    );
    assert!(reach["upper"].as_u64().unwrap() > 0, "{reach}");

    // An edit: a new name and retention, sent as an UPDATE with the rule whole.
    let id = visitors["id"].as_str().unwrap();
    let out = env
        .run(
            &[
                "audience",
                "edit",
                "EU",
                id,
                "--name",
                "Checkout, 60 days",
                "--retention-days",
                "60",
            ],
            None,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("in the last 60 days"), "{}", text(&out));
    let patch = env
        .sim
        .log()
        .into_iter()
        .rfind(|e| e.method == "PATCH" && e.path.ends_with(id))
        .unwrap();
    let sent = patch.request.unwrap();
    assert_eq!(sent["operation_type"], "UPDATE");
    assert_eq!(sent["rule"]["retention_days"], 60);
    assert_eq!(sent["rule"]["event"], "checkout");
    let listed = json_of(&env, &["lists", "EU", "--json"]).await;
    let edited = listed["audiences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(edited["name"], "Checkout, 60 days");
    assert_eq!(edited["size"], 6000, "filled for 60 days: {edited}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_rules_are_refused_before_anything_reaches_pinterest() {
    let Some(env) = connected_env().await else {
        return;
    };
    let refusals: [(&[&str], &[&str]); 6] = [
        (
            &["visitors", "EU", "--name", "V", "--tag", "2612345678999"],
            &[
                "tag 2612345678999 is not one of",
                "'Shop tag' (2612345678901, ACTIVE)",
            ],
        ),
        (
            &["visitors", "EU", "--name", "V", "--tag", ARCHIVED_TAG],
            &["is archived", "--confirm-archived-tag"],
        ),
        (
            &[
                "engagers",
                "EU",
                "--name",
                "E",
                "--domain",
                UNVERIFIED_DOMAIN,
            ],
            &[
                "blog.example.com is not verified",
                "Claimed accounts",
                VERIFIED_DOMAIN,
            ],
        ),
        (
            &[
                "engagers",
                "EU",
                "--name",
                "E",
                "--domain",
                "other.example.com",
            ],
            &["not one of this login's websites"],
        ),
        (
            &[
                "visitors",
                "EU",
                "--name",
                "V",
                "--tag",
                SHOP_TAG,
                "--retention-days",
                "541",
            ],
            &["1 to 540 days"],
        ),
        (
            &[
                "engagers",
                "EU",
                "--name",
                "E",
                "--domain",
                VERIFIED_DOMAIN,
                "--engagement",
                "share",
            ],
            &["click, save, closeup, comment or like"],
        ),
    ];
    for (args, says) in refusals {
        let before = created_rules(&env).len();
        let out = env.run(args, None).await;
        assert!(!out.status.success(), "{args:?}: {}", text(&out));
        for said in says {
            assert!(text(&out).contains(said), "{args:?}: {}", text(&out));
        }
        assert_eq!(created_rules(&env).len(), before, "{args:?} sent nothing");
    }
    // Confirmed, the archived tag is taken.
    let out = env
        .run(
            &[
                "visitors",
                "EU",
                "--name",
                "Old",
                "--tag",
                ARCHIVED_TAG,
                "--confirm-archived-tag",
            ],
            None,
        )
        .await;
    assert!(out.status.success(), "{}", text(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn release_5_28_answers_are_read_too() {
    let Some(env) = connected_env_with(|c| c.audiences.release_5_28 = true).await else {
        return;
    };
    let made = json_of(
        &env,
        &[
            "visitors",
            "EU",
            "--name",
            "V",
            "--tag",
            SHOP_TAG,
            "--retention-days",
            "7",
            "--json",
        ],
    )
    .await;
    // Answered as an array, read as the one tag it is.
    assert_eq!(made["rule"]["visitor_source_id"], SHOP_TAG);
    let created = env
        .sim
        .log()
        .into_iter()
        .find(|e| e.method == "POST" && e.path.ends_with("/audiences"))
        .unwrap();
    assert_eq!(created.status, 201);
    assert_eq!(
        created.response.unwrap()["rule"]["visitor_source_id"],
        json!([SHOP_TAG])
    );
    let listed = json_of(&env, &["lists", "EU", "--json"]).await;
    assert_eq!(
        listed["audiences"][0]["rule_in_words"],
        format!("visited the site in the last 7 days (tag {SHOP_TAG})")
    );
}
