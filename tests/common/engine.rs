//! The upload engine against the simulator: a connected world, files of users, jobs planned,
//! run and compared with what the simulator holds.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use audience_desk::pinterest::RetryPolicy;
use audience_desk::source::{Preview, PreviewOptions};
use audience_desk::store::Store;
use audience_desk::upload::{
    Control, JobProgress, JobReport, JobSpec, Mode, Target, plan_upload, run_job,
};
use tokio::sync::watch;

/// A file of `range` users, with the mess a real export has.
pub fn write_file(
    dir: &std::path::Path,
    name: &str,
    range: std::ops::Range<u32>,
) -> std::path::PathBuf {
    let mut text = String::from("Email,Notes\n");
    for i in range {
        text += &format!("  User{i}@Example.COM ,\"row, {i}\"\n");
    }
    text += "not-an-email,x\n";
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

pub fn quick(world: &mut super::World) {
    world.core.retry = RetryPolicy {
        max_attempts: 12,
        max_rate_limited: 30,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(30),
        request_timeout: Duration::from_secs(10),
    };
    world.core.limits.writes_per_minute = 100_000;
    world.core.limits.reads_per_minute = 100_000;
}

pub fn spec(target: Target, mode: Mode, batch_size: usize) -> JobSpec {
    // The removal guard has tests of its own; these send what they plan.
    JobSpec {
        max_removal_share: Some(audience_desk::upload::RemovalShare(1.0)),
        ..JobSpec::new(mode, target, true, batch_size)
    }
}

pub async fn start(world: &super::World, file: &std::path::Path, spec: JobSpec) -> i64 {
    let preview = Preview::load(file, &PreviewOptions::default()).unwrap();
    let plan = plan_upload(&world.core, "EU", &preview, spec, &mut |_| {}).unwrap();
    plan.create_job(&world.core).unwrap()
}

pub async fn run(
    world: &super::World,
    job: i64,
    control: Arc<Control>,
) -> (JobReport, watch::Receiver<JobProgress>) {
    let (sender, receiver) = watch::channel(JobProgress::new(job));
    let report = run_job(&world.core, job, control, sender).await.unwrap();
    (report, receiver)
}

/// The home's database, opened beside the core as another process would.
pub fn store(world: &super::World) -> Store {
    Store::open(&world.core.home).unwrap()
}

pub fn members(world: &super::World, list_id: &str) -> BTreeSet<String> {
    world
        .sim
        .lists()
        .into_iter()
        .find(|l| l.id == list_id)
        .map(|l| l.members)
        .unwrap_or_default()
}

pub fn list_id(report: &JobReport) -> String {
    report.lists[0].list_id.clone().unwrap()
}

pub async fn ready() -> (super::World, tempfile::TempDir) {
    let mut world = super::world().await;
    quick(&mut world);
    super::connect(&world).await.unwrap();
    (world, tempfile::tempdir().unwrap())
}

/// Plans users 300..1300 as a mirror onto `list`, in batches of 150.
pub fn plan_mirror(
    world: &super::World,
    dir: &std::path::Path,
    list: &str,
) -> audience_desk::upload::Plan {
    let second = write_file(dir, "b.csv", 300..1300);
    let preview = Preview::load(&second, &PreviewOptions::default()).unwrap();
    let target = Target::List(list.to_owned());
    plan_upload(
        &world.core,
        "EU",
        &preview,
        spec(target, Mode::Mirror, 150),
        &mut |_| {},
    )
    .unwrap()
}

/// Uploads users 0..1000 into a new list "Spring", in batches of 150.
pub async fn add_spring_list(world: &super::World, dir: &std::path::Path) -> JobReport {
    let first = write_file(dir, "a.csv", 0..1000);
    let target = Target::NewList("Spring".into());
    let job = start(world, &first, spec(target, Mode::Add, 150)).await;
    run(world, job, Arc::default()).await.0
}
