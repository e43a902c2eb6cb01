//! Sync runs through the core against the simulator, where faults matter: rate limits in the
//! history, a run stopped short resumed on the same content, and superseded when the file
//! changed meanwhile.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::common::engine::{quick, write_file};
use crate::common::expected;
use audience_desk::context::Core;
use audience_desk::source::{Preview, PreviewOptions};
use audience_desk::store::{JobState, RunState};
use audience_desk::syncs::{
    RunOutcome, RunProgress, Schedule, Source, SyncSettings, SyncTarget, Trigger, run_sync,
};
use audience_desk::upload::{Control, Mode};
use tokio::sync::watch;

fn add_sync(core: &Core, file: &Path, batch_size: usize) {
    let mut settings = SyncSettings {
        source: Source::File(file.to_owned()),
        header: true,
        delimiter: audience_desk::source::Delimiter::Comma,
        columns: Vec::new(),
        target: SyncTarget::NewList("Kept".into()),
        mode: Mode::Mirror,
        create_audience: false,
        schedule: Schedule::Manual,
        batch_size,
        // Whole-list changes are the point here; the guard has tests of its own.
        max_removal_share: Some(audience_desk::upload::RemovalShare(1.0)),
        floor: Some(0),
        part: Default::default(),
    };
    let preview = Preview::load(file, &PreviewOptions::default()).unwrap();
    settings.take_columns(&preview);
    audience_desk::syncs::add(core, "kept", "EU", &settings).unwrap();
}

async fn run(core: &Arc<Core>, control: Arc<Control>) -> RunOutcome {
    let (sender, _receiver) = watch::channel(RunProgress::default());
    run_sync(core.clone(), "kept", control, sender, Trigger::Now)
        .await
        .unwrap()
        .expect("a run by hand always runs")
}

/// A control that interrupts the run once Pinterest has answered `updates` more list updates
/// (PATCH calls) from now on: some batches acknowledged, others not yet sent.
fn stop_after(
    sim: &Arc<audience_desk::sim::SimHandle>,
    updates: usize,
) -> (Arc<Control>, tokio::task::JoinHandle<()>) {
    let patches = |sim: &audience_desk::sim::SimHandle| {
        sim.log()
            .iter()
            .filter(|e| e.method == "PATCH" && e.status == 200)
            .count()
    };
    let (control, sim) = (Arc::new(Control::default()), sim.clone());
    let before = patches(&sim);
    let stopper = {
        let control = control.clone();
        tokio::spawn(async move {
            while patches(&sim) < before + updates {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            control.interrupt();
        })
    };
    (control, stopper)
}

#[tokio::test(flavor = "multi_thread")]
async fn rate_limits_and_retries_are_in_the_history() {
    let mut world = crate::common::world().await;
    crate::common::connect(&world).await.unwrap();
    quick(&mut world);
    let file = write_file(world.home.path(), "kept.csv", 0..300);
    add_sync(&world.core, &file, 50);
    world.sim.set_faults(audience_desk::sim::Faults {
        script: vec![429, 503, 429],
        ..Default::default()
    });
    let core = Arc::new(world.core);
    let outcome = run(&core, Arc::new(Control::default())).await;
    assert_eq!(outcome.state, RunState::Completed, "{:?}", outcome.message);
    let report = outcome.report.unwrap();
    assert_eq!(report.rate_limited, 2, "{report:?}");
    assert!(report.retries >= 1, "the 503 was retried: {report:?}");
    assert!(report.rate_limit_wait_ms > 0, "{report:?}");
    assert_eq!(report.records_sent, 300);
    let history = audience_desk::syncs::history(&core, "kept", 10).unwrap();
    assert_eq!(history[0].report.as_ref().unwrap().rate_limited, 2);
    assert_eq!(world.sim.lists()[0].members, expected(0..300));

    // The run's rejects, read again from its file while that is unchanged; refused after.
    let target = world.home.path().join("run-rejects.csv");
    let run = history[0].row.id;
    let written = audience_desk::syncs::write_run_rejects(&core, "kept", run, &target).unwrap();
    assert_eq!(written, 1);
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .contains("not an email")
    );
    std::fs::write(&file, "Email\nsomeone@example.com\n").unwrap();
    let changed = audience_desk::syncs::write_run_rejects(&core, "kept", run, &target).unwrap_err();
    assert!(
        changed.to_string().contains("has changed since run"),
        "{changed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_stopped_short_is_resumed_on_the_same_file_and_superseded_on_a_new_one() {
    let mut world = crate::common::world().await;
    crate::common::connect(&world).await.unwrap();
    quick(&mut world);
    let file = write_file(world.home.path(), "kept.csv", 0..400);
    add_sync(&world.core, &file, 20);
    world.sim.set_faults(audience_desk::sim::Faults {
        latency_ms: 30,
        ..Default::default()
    });
    let crate::common::World { sim, core, home } = world;
    let (sim, core) = (Arc::new(sim), Arc::new(core));

    // Stopped once some batches are acknowledged, as Ctrl-C or closing the app does.
    let (control, stopper) = stop_after(&sim, 3);
    let first = run(&core, control).await;
    // Never waited for: a run that ended before its stop fails the assertion, not the clock.
    stopper.abort();
    assert_eq!(first.state, RunState::Interrupted, "{:?}", first.message);
    let job = first.job.unwrap();
    assert!(sim.lists()[0].members.len() < 400);

    // Same content: the next run resumes that job, sending only what is left.
    let second = run(&core, Arc::new(Control::default())).await;
    assert_eq!(second.state, RunState::Completed, "{:?}", second.message);
    assert_eq!(second.job, Some(job), "the same job, resumed");
    assert_eq!(sim.lists().len(), 1);
    assert_eq!(sim.lists()[0].members, expected(0..400));

    // Stopped again on a new file, which then changes before the next run: the stale job is
    // cancelled for good and a fresh plan mirrors the file as it is now.
    write_file(home.path(), "kept.csv", 200..600);
    let (control, stopper) = stop_after(&sim, 3);
    let third = run(&core, control).await;
    stopper.abort();
    assert_eq!(third.state, RunState::Interrupted, "{:?}", third.message);
    let stale = third.job.unwrap();
    write_file(home.path(), "kept.csv", 300..500);
    let fourth = run(&core, Arc::new(Control::default())).await;
    assert_eq!(fourth.state, RunState::Completed, "{:?}", fourth.message);
    assert_ne!(fourth.job, Some(stale));
    assert_eq!(sim.lists()[0].members, expected(300..500));
    let jobs = audience_desk::overview::recent_jobs(&core, 10).unwrap();
    let old = jobs.iter().find(|j| j.row.id == stale).unwrap();
    assert_eq!(old.row.state, JobState::Cancelled);
    assert!(
        old.row.message.as_deref().unwrap().contains("superseded"),
        "{:?}",
        old.row.message
    );
    assert_eq!(old.sync.as_deref(), Some("kept"));
}
