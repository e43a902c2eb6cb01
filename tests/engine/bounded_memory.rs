//! The full pass under a memory budget far smaller than its digests: partitions spilled to a
//! scratch folder give the same digests and the same counts as the in-memory pass, and leave
//! nothing behind.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use std::sync::Arc;

use crate::common::engine::*;
use crate::common::expected;
use audience_desk::prepare::prepare;
use audience_desk::source::{MemoryBudget, Preview, PreviewOptions, ScanOutput, ScanPlan, scan};
use audience_desk::store::JobState;

/// 3,000 rows: emails with repeats in both columns and across the file, GAIDs, some bad.
fn customers(dir: &Path) -> std::path::PathBuf {
    let mut text = String::from("email,backup email,gaid\n");
    for i in 0..3000u32 {
        let email = format!("Person{}@Example.com", i % 2100);
        let backup = format!("person{}@example.com", (i * 7) % 2500);
        let gaid = if i % 10 == 0 {
            "not-an-id".to_owned()
        } else {
            format!("{:08x}-8cf0-11bd-b23e-10b96e40000d", i % 2700)
        };
        text += &format!("{email},{backup},{gaid}\n");
    }
    let path = dir.join("customers.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn plan(file: &Path, budget: MemoryBudget) -> ScanPlan {
    let preview = Preview::load(file, &PreviewOptions::default()).unwrap();
    preview.scan_plan(&budget).unwrap()
}

/// The full pass over `file` with `bytes` of memory for its digests, scratch under `dir`.
fn scan_under(file: &Path, bytes: usize, dir: &Path) -> ScanOutput {
    let budget = MemoryBudget {
        bytes,
        scratch_root: dir.join("home-tmp"),
    };
    let cancel = AtomicBool::new(false);
    scan(&plan(file, budget), &mut |_| {}, &mut |_| {}, &cancel).unwrap()
}

fn digest_files(out: &Path) -> Vec<(String, BTreeSet<String>)> {
    let mut files: Vec<_> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".txt"))
        .map(|e| {
            let text = std::fs::read_to_string(e.path()).unwrap();
            let set: BTreeSet<String> = text.lines().map(str::to_owned).collect();
            assert_eq!(set.len(), text.lines().count(), "no digest twice");
            (e.file_name().to_string_lossy().into_owned(), set)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_tiny_budget_gives_the_same_digests_and_counts_as_memory() {
    let dir = tempfile::tempdir().unwrap();
    let file = customers(dir.path());
    let scratch = dir.path().join("home-tmp");
    let roomy = MemoryBudget {
        bytes: 1 << 30,
        scratch_root: scratch.clone(),
    };
    // 4 KiB: about 120 digests a spill, so dozens of spills per list type.
    let tiny = MemoryBudget {
        bytes: 4096,
        scratch_root: scratch.clone(),
    };
    let cancel = AtomicBool::new(false);

    let in_memory = scan(
        &plan(&file, roomy.clone()),
        &mut |_| {},
        &mut |_| {},
        &cancel,
    )
    .unwrap();
    let mut spilled = scan(
        &plan(&file, tiny.clone()),
        &mut |_| {},
        &mut |_| {},
        &cancel,
    )
    .unwrap();
    assert!(in_memory.lists.iter().all(|l| !l.spilled()));
    assert!(spilled.lists.iter().all(|l| l.spilled()));
    assert_eq!(
        spilled.summary, in_memory.summary,
        "same counts, duplicates per column too"
    );
    for (a, b) in in_memory.lists.iter().zip(spilled.lists.iter_mut()) {
        let a: BTreeSet<_> = a.digests().map(Result::unwrap).collect();
        let unsorted: Vec<_> = b.digests().map(Result::unwrap).collect();
        assert_eq!(unsorted.len(), b.len());
        assert_eq!(a, unsorted.iter().copied().collect::<BTreeSet<_>>());
        assert_eq!(a.len(), unsorted.len(), "each digest once");
        b.sort();
        let sorted: Vec<_> = b.digests().map(Result::unwrap).collect();
        assert!(
            sorted.windows(2).all(|w| w[0] < w[1]),
            "in digest order once sorted, as a mirror reads them"
        );
    }
    drop(spilled);
    assert_eq!(
        std::fs::read_dir(&scratch).unwrap().count(),
        0,
        "the scratch folder goes with the lists"
    );

    let (out_memory, out_spilled) = (dir.path().join("a"), dir.path().join("b"));
    let report_memory = prepare(&plan(&file, roomy), &out_memory, &mut |_| {}, &cancel).unwrap();
    let report_spilled = prepare(&plan(&file, tiny), &out_spilled, &mut |_| {}, &cancel).unwrap();
    assert_eq!(report_memory.summary, report_spilled.summary);
    assert_eq!(digest_files(&out_memory), digest_files(&out_spilled));
    assert_eq!(std::fs::read_dir(&scratch).unwrap().count(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_mirror_under_a_tiny_memory_budget_plans_and_journals_the_same() {
    let (mut world, dir) = ready().await;
    // 4 KiB: about 120 digests a spill, so the file's digests go to disk.
    world.core.memory.bytes = 4096;
    let report = add_spring_list(&world, dir.path()).await;
    let list = list_id(&report);
    assert_eq!(members(&world, &list), expected(0..1000));

    let plan = plan_mirror(&world, dir.path(), &list);
    let counts = &plan.lists[0];
    assert_eq!(
        (counts.adds, counts.removes, counts.unchanged),
        (300, 300, 700)
    );
    let job = plan.create_job(&world.core).unwrap();
    let journal = store(&world).journal_counts(job).unwrap();
    assert_eq!(
        (journal.records, journal.batches),
        (600, 4),
        "two batches of each side"
    );
    drop(plan);
    let scratch = world.core.home.join("tmp");
    assert_eq!(
        std::fs::read_dir(&scratch).unwrap().count(),
        0,
        "no scratch left"
    );
    let (report, _) = run(&world, job, Arc::default()).await;
    assert_eq!(report.progress.state, JobState::Completed);
    assert_eq!(members(&world, &list), expected(300..1300));
}

#[test]
fn one_identity_repeated_across_many_spills_is_one_digest_and_the_rest_duplicates() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("same.csv");
    let mut text = String::from("email\n");
    for i in 0..5000 {
        // The same person, written three ways.
        text += [
            "ann@example.com\n",
            "ANN@Example.com\n",
            " ann@example.com \n",
        ][i % 3];
    }
    std::fs::write(&file, text).unwrap();
    let out = scan_under(&file, 4096, dir.path());
    assert!(out.lists[0].spilled());
    assert_eq!(out.lists[0].len(), 1);
    assert_eq!(out.summary.lists[0].unique, 1);
    assert_eq!(out.summary.lists[0].duplicates, 4999);
    assert_eq!(out.summary.columns[0].duplicates, 4999);
    assert_eq!(out.lists[0].digests().count(), 1);
}

#[test]
fn a_list_type_that_starts_after_the_last_spill_is_read_from_memory_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("late.csv");
    // A first chunk (4,096 rows) of emails alone goes past a 4 KiB budget and is spilled;
    // the 50 rows after it, with GAIDs at last, stay under it.
    let mut text = String::from("email,gaid\n");
    for i in 0..4096 {
        text += &format!("person{i}@example.com,\n");
    }
    for i in 0..50 {
        text += &format!("late{i}@example.com,{i:08x}-8cf0-11bd-b23e-10b96e40000d\n");
    }
    std::fs::write(&file, text).unwrap();
    let in_memory = scan_under(&file, 1 << 30, dir.path());
    let spilled = scan_under(&file, 4096, dir.path());
    assert_eq!(spilled.summary, in_memory.summary);
    assert!(spilled.lists.iter().all(|l| l.spilled()));
    for (a, b) in in_memory.lists.iter().zip(&spilled.lists) {
        let a: Vec<_> = a.digests().map(Result::unwrap).collect();
        let b: Vec<_> = b.digests().map(Result::unwrap).collect();
        assert_eq!(
            a.iter().collect::<BTreeSet<_>>(),
            b.iter().collect::<BTreeSet<_>>()
        );
        assert_eq!(a.len(), b.len());
    }
    assert_eq!(
        spilled.summary.lists[1].unique, 50,
        "the GAIDs, from memory"
    );
}
