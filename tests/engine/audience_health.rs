//! Following audiences after a job, through the core against the simulator: snapshots on
//! their schedule, the estimated match rate, and the news of an audience becoming READY or
//! TOO_SMALL.

use std::sync::Arc;

use crate::common::engine::{quick, run, spec, start, write_file};
use audience_desk::upload::{Mode, Target};

/// Seconds the simulated audiences stay INITIALIZING.
const READY_AFTER: i64 = 3;

/// A connected world whose simulator matches half of the people and keeps audiences
/// INITIALIZING for `READY_AFTER` seconds.
async fn half_matching() -> (crate::common::World, tempfile::TempDir) {
    let mut world = crate::common::world_with(|config| {
        config.audiences.match_rate = 0.5;
        // Whole seconds, counted from a truncated creation time: long enough that the first
        // look always finds it initializing, even on a loaded machine.
        config.audiences.ready_after = READY_AFTER;
    })
    .await;
    quick(&mut world);
    crate::common::connect(&world).await.unwrap();
    (world, tempfile::tempdir().unwrap())
}

async fn upload(
    world: &crate::common::World,
    dir: &std::path::Path,
    name: &str,
    people: u32,
) -> String {
    let file = write_file(dir, &format!("{name}.csv"), 0..people);
    let target = Target::NewList(name.into());
    let job = start(world, &file, spec(target, Mode::Add, 500)).await;
    let (report, _) = run(world, job, Arc::default()).await;
    report.lists[0].list_id.clone().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn an_audience_is_followed_until_ready_with_its_size_and_match_rate() {
    let (world, dir) = half_matching().await;
    let list = upload(&world, dir.path(), "Spring", 400).await;
    let ad = audience_desk::sim::OWNED_AD_ACCOUNT;
    let now = audience_desk::os::now();

    let news = audience_desk::audiences::take_due_snapshots(&world.core, now)
        .await
        .unwrap();
    assert!(news.is_empty(), "{news:?}");
    let seen = audience_desk::audiences::list_history(&world.core, ad, &list).unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].audience_status.as_deref(), Some("INITIALIZING"));
    assert_eq!(seen[0].size, None);
    assert_eq!(seen[0].uploaded, Some(400));

    // Not due again for a quarter of an hour.
    audience_desk::audiences::take_due_snapshots(&world.core, now + 60)
        .await
        .unwrap();
    assert_eq!(
        audience_desk::audiences::list_history(&world.core, ad, &list)
            .unwrap()
            .len(),
        1
    );

    tokio::time::sleep(std::time::Duration::from_millis(
        READY_AFTER as u64 * 1000 + 100,
    ))
    .await;
    let news = audience_desk::audiences::take_due_snapshots(&world.core, now + 15 * 60)
        .await
        .unwrap();
    assert_eq!(news.len(), 1, "{news:?}");
    assert_eq!(news[0].status, "READY");
    assert_eq!(news[0].size, Some(200));
    assert_eq!(news[0].match_rate, Some(0.5));
    assert!(
        news[0].sentence().contains("about 50%"),
        "{}",
        news[0].sentence()
    );
    let seen = audience_desk::audiences::list_history(&world.core, ad, &list).unwrap();
    let sizes: Vec<Option<u64>> = seen.iter().map(|s| s.size).collect();
    assert_eq!(sizes, [None, Some(200)]);

    // Told once: the next look finds it READY again and says nothing.
    let news = audience_desk::audiences::take_due_snapshots(&world.core, now + 30 * 60)
        .await
        .unwrap();
    assert!(news.is_empty(), "{news:?}");
    let lists = audience_desk::overview::ad_account_lists(&world.core, "EU")
        .await
        .unwrap();
    assert_eq!(lists.audiences[0].match_rate, Some(0.5));
    assert_eq!(lists.customer_lists[0].identities, 400);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_small_list_is_told_as_too_small() {
    let (world, dir) = half_matching().await;
    upload(&world, dir.path(), "Tiny", 150).await;
    tokio::time::sleep(std::time::Duration::from_millis(
        READY_AFTER as u64 * 1000 + 100,
    ))
    .await;
    let news = audience_desk::audiences::take_due_snapshots(&world.core, audience_desk::os::now())
        .await
        .unwrap();
    assert_eq!(news.len(), 1, "{news:?}");
    assert_eq!(news[0].status, "TOO_SMALL");
    assert!(
        news[0].sentence().contains("too small"),
        "{}",
        news[0].sentence()
    );
}
