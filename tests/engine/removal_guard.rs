//! The removal guard: a mirror from a cut-short export would drain a list; its removals are
//! held (additions still go out) until the user confirms them.

use std::sync::Arc;

use crate::common::engine::{add_spring_list, list_id, members, ready, run, start, write_file};
use audience_desk::source::{Preview, PreviewOptions};
use audience_desk::store::JobState;
use audience_desk::upload::{JobSpec, Mode, Target, confirm_removals, plan_upload};

#[tokio::test(flavor = "multi_thread")]
async fn a_mirror_from_a_truncated_export_holds_its_removals_until_confirmed() {
    let (world, dir) = ready().await;
    let first = add_spring_list(&world, dir.path()).await;
    let list = list_id(&first);
    assert_eq!(members(&world, &list).len(), 1000);

    // The nightly export came out cut short: 10 of the 1,000 people, and 2 new ones.
    let cut = write_file(dir.path(), "cut.csv", 990..1002);
    let spec = JobSpec::new(Mode::Mirror, Target::List(list.clone()), true, 150);
    let preview = Preview::load(&cut, &PreviewOptions::default()).unwrap();
    let plan = plan_upload(&world.core, "EU", &preview, spec.clone(), &mut |_| {}).unwrap();
    let held = plan
        .spec
        .removals_held
        .clone()
        .expect("the removals are held");
    assert!(held.contains("990 of the 1,000 people"), "{held}");
    let job = start(&world, &cut, spec).await;
    let (report, _) = run(&world, job, Arc::default()).await;
    assert_eq!(report.progress.state, JobState::Held);
    let message = report.progress.message.unwrap();
    assert!(message.contains("990 removals wait"), "{message}");
    // Additions went out; nobody was removed.
    assert_eq!(members(&world, &list).len(), 1002);

    // Resumed without a confirmation, it holds again.
    let (report, _) = run(&world, job, Arc::default()).await;
    assert_eq!(report.progress.state, JobState::Held);
    assert_eq!(members(&world, &list).len(), 1002);

    confirm_removals(&world.core, job).unwrap();
    let (report, _) = run(&world, job, Arc::default()).await;
    assert_eq!(report.progress.state, JobState::Completed);
    assert_eq!(members(&world, &list).len(), 12);
}

#[tokio::test(flavor = "multi_thread")]
async fn removals_within_the_share_go_out_and_a_share_of_one_turns_the_guard_off() {
    let (world, dir) = ready().await;
    let list = list_id(&add_spring_list(&world, dir.path()).await);
    // 100 of 1,000 go: 10%, under the default fifth.
    let most = write_file(dir.path(), "most.csv", 100..1000);
    let spec = JobSpec::new(Mode::Mirror, Target::List(list.clone()), true, 150);
    let job = start(&world, &most, spec.clone()).await;
    let (report, _) = run(&world, job, Arc::default()).await;
    assert_eq!(report.progress.state, JobState::Completed);
    assert_eq!(members(&world, &list).len(), 900);

    // 800 of 900 go, allowed by a share of 1.
    let few = write_file(dir.path(), "few.csv", 900..1000);
    let spec = JobSpec {
        max_removal_share: Some(audience_desk::upload::parse_removal_share("1").unwrap()),
        ..spec
    };
    let job = start(&world, &few, spec).await;
    let (report, _) = run(&world, job, Arc::default()).await;
    assert_eq!(report.progress.state, JobState::Completed);
    assert_eq!(members(&world, &list).len(), 100);
    assert!(audience_desk::upload::parse_removal_share("0").is_err());
    assert!(audience_desk::upload::parse_removal_share("1.5").is_err());
}

/// Pinterest stops serving an audience under 100 people: removals that would leave a list
/// under the floor wait for a confirmation, even within the share; a floor of 0 turns it off.
#[tokio::test(flavor = "multi_thread")]
async fn removals_that_would_leave_a_list_under_the_floor_are_held_until_confirmed() {
    let (world, dir) = ready().await;
    let list = list_id(&add_spring_list(&world, dir.path()).await);
    let share_off = Some(audience_desk::upload::parse_removal_share("1").unwrap());
    let spec = JobSpec {
        max_removal_share: share_off,
        ..JobSpec::new(Mode::Mirror, Target::List(list.clone()), true, 150)
    };
    // 1,000 down to 60: the share allows it, the floor does not.
    let small = write_file(dir.path(), "small.csv", 940..1000);
    let preview = Preview::load(&small, &PreviewOptions::default()).unwrap();
    let plan = plan_upload(&world.core, "EU", &preview, spec.clone(), &mut |_| {}).unwrap();
    let held = plan.spec.removals_held.clone().expect("held by the floor");
    assert!(
        held.contains("with 60 people, under the floor of 100"),
        "{held}"
    );
    let job = start(&world, &small, spec.clone()).await;
    let (report, _) = run(&world, job, Arc::default()).await;
    assert_eq!(report.progress.state, JobState::Held);
    assert_eq!(members(&world, &list).len(), 1000, "nobody removed yet");
    confirm_removals(&world.core, job).unwrap();
    let (report, _) = run(&world, job, Arc::default()).await;
    assert_eq!(report.progress.state, JobState::Completed);
    assert_eq!(members(&world, &list).len(), 60);

    // A floor of 0: down to 10 without a word.
    let tiny = write_file(dir.path(), "tiny.csv", 990..1000);
    let spec = JobSpec {
        floor: Some(0),
        ..spec
    };
    let job = start(&world, &tiny, spec).await;
    let (report, _) = run(&world, job, Arc::default()).await;
    assert_eq!(report.progress.state, JobState::Completed);
    assert_eq!(members(&world, &list).len(), 10);
}
