//! Upload jobs against the simulator under trouble: every scenario ends with the simulator's
//! membership compared to the expected digest set, computed here with `sha2`.

use crate::common::engine::*;
use crate::common::expected;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use audience_desk::sim::Faults;
use audience_desk::source::{Preview, PreviewOptions};
use audience_desk::store::JobState;
use audience_desk::upload::{Control, JobProgress, JobReport, Mode, Target, plan_upload, run_job};
use tokio::sync::watch;

/// Uploads `users` into a new list under `faults` and checks the job completed.
async fn upload_under(
    faults: Faults,
    name: &str,
    users: std::ops::Range<u32>,
    batch_size: usize,
) -> (crate::common::World, JobReport) {
    let (world, dir) = ready().await;
    world.sim.set_faults(faults);
    let file = write_file(dir.path(), "a.csv", users);
    let target = Target::NewList(name.into());
    let job = start(&world, &file, spec(target, Mode::Add, batch_size)).await;
    let (report, _) = run(&world, job, Arc::default()).await;
    assert_eq!(
        report.progress.state,
        JobState::Completed,
        "{:?}",
        report.progress.message
    );
    (world, report)
}

/// A job running in the background, with its controls and live progress.
struct Running {
    world: Arc<crate::common::World>,
    control: Arc<Control>,
    progress: watch::Receiver<JobProgress>,
    task: tokio::task::JoinHandle<Result<JobReport, audience_desk::upload::JobError>>,
}

/// Plans `users` into a new list in batches of 50 with `latency_ms` per call, and starts it.
async fn spawn_job(name: &str, users: std::ops::Range<u32>, latency_ms: u64) -> Running {
    let (world, dir) = ready().await;
    world.sim.set_faults(Faults {
        latency_ms,
        ..Faults::default()
    });
    let file = write_file(dir.path(), "a.csv", users);
    let job = start(
        &world,
        &file,
        spec(Target::NewList(name.into()), Mode::Add, 50),
    )
    .await;
    let world = Arc::new(world);
    let control = Arc::new(Control::default());
    let (sender, progress) = watch::channel(JobProgress::new(job));
    let task = {
        let (world, control) = (world.clone(), control.clone());
        tokio::spawn(async move { run_job(&world.core, job, control, sender).await })
    };
    Running {
        world,
        control,
        progress,
        task,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn add_then_mirror_a_changed_file() {
    let (world, dir) = ready().await;
    let report = add_spring_list(&world, dir.path()).await;
    assert_eq!(report.progress.state, JobState::Completed);
    assert_eq!(report.progress.records_acked, 1000);
    assert_eq!(report.progress.rows_read, 1001);
    assert_eq!(report.progress.valid, 1000);
    assert_eq!(
        report.progress.invalid[&audience_desk::identity::Reason::NotAnEmail],
        1
    );
    let list = list_id(&report);
    assert_eq!(members(&world, &list), expected(0..1000));
    assert_eq!(report.lists[0].audience_status.as_deref(), Some("READY"));
    assert_eq!(report.lists[0].audience_size, Some(1000));
    let audience_call = world
        .sim
        .log()
        .into_iter()
        .find(|e| e.method == "POST" && e.path.ends_with("/audiences"))
        .unwrap();
    assert_eq!(
        audience_call.request.unwrap()["description"],
        "Uploaded by Audience Desk from a.csv",
        "no local path leaves the machine"
    );
    // The first batch went in the create call.
    let creates = world
        .sim
        .log()
        .iter()
        .filter(|e| e.method == "POST" && e.path.ends_with("customer_lists"))
        .count();
    assert_eq!(creates, 1);

    let plan = plan_mirror(&world, dir.path(), &list);
    assert_eq!(
        (
            plan.lists[0].adds,
            plan.lists[0].removes,
            plan.lists[0].unchanged
        ),
        (300, 300, 700)
    );
    let job = plan.create_job(&world.core).unwrap();
    let (report, _) = run(&world, job, Arc::default()).await;
    assert_eq!(report.progress.state, JobState::Completed);
    assert_eq!(members(&world, &list), expected(300..1300));
}

#[tokio::test(flavor = "multi_thread")]
async fn storms_of_429_and_random_5xx_lose_nothing() {
    let faults = Faults {
        server_error_rate: 0.3,
        fail_next: 4,
        fail_status: Some(429),
        ..Faults::default()
    };
    let (world, report) = upload_under(faults, "Storm", 0..2000, 100).await;
    assert!(report.progress.retries >= 4, "{:?}", report.progress);
    assert!(report.progress.rate_limited >= 4);
    assert_eq!(members(&world, &list_id(&report)), expected(0..2000));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_that_expires_mid_job_is_refreshed() {
    let (world, dir) = ready().await;
    world.sim.set_faults(Faults {
        latency_ms: 20,
        ..Faults::default()
    });
    let file = write_file(dir.path(), "a.csv", 0..1500);
    let job = start(
        &world,
        &file,
        spec(Target::NewList("Expiry".into()), Mode::Add, 50),
    )
    .await;
    let sim_url = world.sim.url.clone();
    let expire = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        reqwest::Client::new()
            .post(sim_url.join("/_sim/expire-tokens").unwrap())
            .send()
            .await
            .unwrap();
    });
    let (report, _) = run(&world, job, Arc::default()).await;
    expire.await.unwrap();
    assert_eq!(report.progress.state, JobState::Completed);
    let refreshes = crate::common::refresh_calls(&world.sim);
    assert_eq!(refreshes, 1, "one refresh, shared by the batches in flight");
    assert_eq!(members(&world, &list_id(&report)), expected(0..1500));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_refresh_token_waits_for_a_reconnect_then_completes() {
    let Running {
        world,
        mut progress,
        task,
        ..
    } = spawn_job("Reconnect", 0..1500, 20).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    world.sim.revoke_refresh_tokens();
    world.sim.expire_access_tokens();
    progress
        .wait_for(|p| p.state == JobState::WaitingForReconnect)
        .await
        .unwrap();
    let waiting = progress.borrow().clone();
    assert!(
        waiting
            .message
            .unwrap()
            .contains("waiting for 'EU' to log in to Pinterest again")
    );
    assert!(waiting.records_acked < 1500);
    crate::common::connect(&world).await.unwrap();
    let report = task.await.unwrap().unwrap();
    assert_eq!(report.progress.state, JobState::Completed);
    assert_eq!(members(&world, &list_id(&report)), expected(0..1500));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_batch_refused_as_too_large_is_split() {
    let faults = Faults {
        max_records: Some(120),
        ..Faults::default()
    };
    let (world, report) = upload_under(faults, "Split", 0..1000, 500).await;
    assert_eq!(members(&world, &list_id(&report)), expected(0..1000));
    let refused = world.sim.log().iter().filter(|e| e.status == 400).count();
    assert!(refused >= 2, "the 500-record batches were refused first");
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_keeps_the_journal_true() {
    let Running {
        world,
        control,
        mut progress,
        task,
    } = spawn_job("Cancel", 0..3000, 30).await;
    progress.wait_for(|p| p.records_acked >= 300).await.unwrap();
    control.cancel();
    let report = task.await.unwrap().unwrap();
    let job = report.progress.job_id;
    assert_eq!(report.progress.state, JobState::Cancelled);
    let acked = report.progress.records_acked;
    assert!(acked < 3000, "{acked}");
    assert!(
        report
            .progress
            .message
            .as_deref()
            .unwrap()
            .contains("were not sent")
    );
    // What Pinterest holds is exactly what the journal says was acknowledged.
    let list = list_id(&report);
    let held = members(&world, &list);
    assert_eq!(held.len() as u64, acked);
    let ledger: BTreeSet<String> = store(&world)
        .ledger(audience_desk::sim::OWNED_AD_ACCOUNT, &list)
        .unwrap()
        .iter()
        .map(|d| d.to_hex())
        .collect();
    assert_eq!(held, ledger);
    // Resuming the cancelled job finishes it.
    let (report, _) = run(&world, job, Arc::default()).await;
    assert_eq!(report.progress.state, JobState::Completed);
    assert_eq!(members(&world, &list), expected(0..3000));
}

#[tokio::test(flavor = "multi_thread")]
async fn pause_holds_sending_until_resumed() {
    let Running {
        world,
        control,
        mut progress,
        task,
    } = spawn_job("Pause", 0..2000, 20).await;
    progress.wait_for(|p| p.records_acked >= 200).await.unwrap();
    control.pause();
    progress
        .wait_for(|p| p.state == JobState::Paused)
        .await
        .unwrap();
    let held = progress.borrow().records_acked;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        progress.borrow().records_acked,
        held,
        "nothing is sent while paused"
    );
    control.resume();
    let report = task.await.unwrap().unwrap();
    assert_eq!(report.progress.state, JobState::Completed);
    assert_eq!(members(&world, &list_id(&report)), expected(0..2000));
}

#[tokio::test(flavor = "multi_thread")]
async fn plans_refuse_what_cannot_work() {
    let (world, dir) = ready().await;
    let file = write_file(dir.path(), "a.csv", 0..10);
    let preview = Preview::load(&file, &PreviewOptions::default()).unwrap();
    let small = plan_upload(
        &world.core,
        "EU",
        &preview,
        spec(Target::NewList("S".into()), Mode::Add, 100),
        &mut |_| {},
    )
    .unwrap();
    assert!(
        small.warnings[0].contains("at least 100"),
        "{:?}",
        small.warnings
    );
    let error = plan_upload(
        &world.core,
        "EU",
        &preview,
        spec(Target::NewList("S".into()), Mode::Remove, 100),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(error.to_string().contains("existing list"), "{error}");
    assert_eq!(
        audience_desk::remedy::HasRemedy::remedy(&error),
        Some(audience_desk::remedy::Remedy::PickExistingList)
    );
    let two = dir.path().join("two.csv");
    std::fs::write(
        &two,
        "email,gaid\na@b.com,38400000-8cf0-11bd-b23e-10b96e40000d\n",
    )
    .unwrap();
    let preview = Preview::load(&two, &PreviewOptions::default()).unwrap();
    let error = plan_upload(
        &world.core,
        "EU",
        &preview,
        spec(Target::List("123".into()), Mode::Add, 100),
        &mut |_| {},
    )
    .unwrap_err();
    assert!(error.to_string().contains("EMAIL and MAID"), "{error}");
    assert_eq!(
        audience_desk::remedy::HasRemedy::remedy(&error),
        Some(audience_desk::remedy::Remedy::UseNewLists)
    );
}

/// A list made by a first job, for jobs that add to an existing list (no creation phase).
async fn existing_list(world: &crate::common::World, dir: &std::path::Path) -> String {
    let file = write_file(dir, "base.csv", 0..200);
    let job = start(
        world,
        &file,
        spec(Target::NewList("Base".into()), Mode::Add, 200),
    )
    .await;
    let (report, _) = run(world, job, Arc::default()).await;
    assert_eq!(report.progress.state, JobState::Completed);
    list_id(&report)
}

/// Runs `job` until it ends, connecting again whenever it waits for a reconnect; its end state
/// as the store has it, and its error, if any.
async fn run_reconnecting(
    world: &Arc<crate::common::World>,
    job: i64,
) -> (JobState, Option<String>) {
    let (sender, mut progress) = watch::channel(JobProgress::new(job));
    let task = {
        let world = world.clone();
        tokio::spawn(async move { run_job(&world.core, job, Arc::default(), sender).await })
    };
    let mut task = std::pin::pin!(task);
    loop {
        let waiting = tokio::select! {
            ended = &mut task => {
                let error = ended.unwrap().err().map(|e| e.to_string());
                let row = store(world).job(job).unwrap().unwrap();
                return (row.state, error);
            }
            waiting = progress.wait_for(|p| p.state == JobState::WaitingForReconnect) => {
                waiting.is_ok()
            }
        };
        if waiting {
            crate::common::connect(world).await.unwrap();
            // The job notices within its poll; wait so the same wait is not seen twice.
            while progress.borrow().state == JobState::WaitingForReconnect {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
}

/// While a reconnect is pending, the other batches in flight come back split (too large) and
/// refused (403). None of them is dropped: the job completes only when the journal has nothing
/// unacknowledged, and Pinterest ends up holding exactly the file.
#[tokio::test(flavor = "multi_thread")]
async fn batches_split_or_refused_while_a_reconnect_is_pending_are_not_lost() {
    for refused in [false, true] {
        let (world, dir) = ready().await;
        let list = existing_list(&world, dir.path()).await;
        let file = write_file(dir.path(), "b.csv", 0..1200);
        let job = start(
            &world,
            &file,
            spec(Target::List(list.clone()), Mode::Add, 100),
        )
        .await;
        // The first call to arrive is refused as unauthorized, and the refresh that follows is
        // refused too: a reconnect is needed while the other three, slowed down, come back
        // too large (and, in the second round, one of them forbidden).
        world.sim.revoke_refresh_tokens();
        world.sim.set_faults(Faults {
            latency_ms: 300,
            max_records: Some(60),
            script: if refused { vec![401, 403] } else { vec![401] },
            ..Faults::default()
        });
        let world = Arc::new(world);
        let mut ended = run_reconnecting(&world, job).await;
        if refused {
            assert_eq!(ended.0, JobState::Failed, "round {refused}: {ended:?}");
            assert!(ended.1.as_deref().unwrap().contains("403"), "{ended:?}");
            world.sim.set_faults(Faults {
                max_records: Some(60),
                ..Faults::default()
            });
            ended = run_reconnecting(&world, job).await;
        }
        assert_eq!(ended, (JobState::Completed, None), "round {refused}");
        let counts = store(&world).journal_counts(job).unwrap();
        assert_eq!(counts.batches_acked, counts.batches, "round {refused}");
        assert_eq!(members(&world, &list), expected(0..1200), "round {refused}");
    }
}

/// Cancelling while the list's creation waits for a reconnect cancels the job (resumable); it
/// does not fail it.
#[tokio::test(flavor = "multi_thread")]
async fn cancel_while_a_creation_waits_for_a_reconnect() {
    let (world, dir) = ready().await;
    world.sim.revoke_refresh_tokens();
    world.sim.expire_access_tokens();
    let file = write_file(dir.path(), "a.csv", 0..300);
    let job = start(
        &world,
        &file,
        spec(Target::NewList("Waiting".into()), Mode::Add, 100),
    )
    .await;
    let world = Arc::new(world);
    let control = Arc::new(Control::default());
    let (sender, mut progress) = watch::channel(JobProgress::new(job));
    let task = {
        let (world, control) = (world.clone(), control.clone());
        tokio::spawn(async move { run_job(&world.core, job, control, sender).await })
    };
    progress
        .wait_for(|p| p.state == JobState::WaitingForReconnect)
        .await
        .unwrap();
    control.cancel();
    let report = task.await.unwrap().unwrap();
    assert_eq!(report.progress.state, JobState::Cancelled);
    crate::common::connect(&world).await.unwrap();
    let (report, _) = run(&world, job, Arc::default()).await;
    assert_eq!(report.progress.state, JobState::Completed);
    assert_eq!(members(&world, &list_id(&report)), expected(0..300));
}

/// A job another live runner holds is refused with who holds it; a runner that finds its lease
/// taken over stops and leaves the job to the new holder.
#[tokio::test(flavor = "multi_thread")]
async fn one_job_has_one_runner() {
    let Running {
        world,
        mut progress,
        task,
        ..
    } = spawn_job("Lease", 0..1500, 40).await;
    progress.wait_for(|p| p.records_acked >= 100).await.unwrap();
    let job = progress.borrow().job_id;
    let (sender, _) = watch::channel(JobProgress::new(job));
    let refused = run_job(&world.core, job, Arc::default(), sender)
        .await
        .unwrap_err()
        .to_string();
    assert!(refused.contains("is being sent by"), "{refused}");
    assert!(
        refused.contains(&std::process::id().to_string()),
        "{refused}"
    );
    // Another process takes the lease over (as after this one fell silent): this runner
    // notices at its next heartbeat and stops without touching the job's record.
    let other = audience_desk::store::Lease {
        token: "elsewhere:1:feed".into(),
        owner: "another process".into(),
    };
    let db = audience_desk::store::DATABASE_FILE;
    let elsewhere = rusqlite::Connection::open(world.home.path().join(db)).unwrap();
    elsewhere.busy_timeout(Duration::from_secs(10)).unwrap();
    elsewhere
        .execute(
            "UPDATE jobs SET lease = ?2, owner = ?3 WHERE id = ?1",
            rusqlite::params![job, other.token, other.owner],
        )
        .unwrap();
    let stopped = tokio::time::timeout(Duration::from_secs(15), task)
        .await
        .expect("the runner stops once its lease is gone")
        .unwrap()
        .unwrap_err();
    assert!(stopped.to_string().contains("taken over"), "{stopped}");
    let row = store(&world).job(job).unwrap().unwrap();
    assert_eq!(
        row.state,
        JobState::Running,
        "left as the new holder has it"
    );
}
