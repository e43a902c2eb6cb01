//! The upload flow through kittest, on the real core, against the simulator: a dry run that
//! sends nothing, an upload that completes with the right counts and members, and an
//! interrupted job offered for resume.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use audience_desk::gui::{App, FixedPicker, View};
use audience_desk::store::JobState;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sha2::{Digest, Sha256};

const PEOPLE: usize = 250;

/// 250 distinct emails in messy case, one repeat and one bad value.
fn customers(dir: &std::path::Path) -> (PathBuf, BTreeSet<String>) {
    let path = dir.join("newsletter.csv");
    let mut text = String::from("email,name\n");
    let mut expected = BTreeSet::new();
    for i in 0..PEOPLE {
        text += &format!(" Person{i}@Example.com ,n{i}\n");
        expected.insert(const_hex::encode(Sha256::digest(format!(
            "person{i}@example.com"
        ))));
    }
    text += "PERSON7@example.com,again\nnot-an-email,bad\n";
    std::fs::write(&path, text).unwrap();
    (path, expected)
}

/// A second core on the app's home, as another process of the same user opens it.
fn core_beside(
    home: &std::path::Path,
    sim: &audience_desk::sim::SimHandle,
) -> audience_desk::context::Core {
    audience_desk::context::Core::with(
        home,
        audience_desk::pinterest::Endpoints::simulator(
            &sim.url,
            url::Url::parse("http://localhost:1/").unwrap(),
        ),
        Arc::new(audience_desk::store::FileSecrets::new(
            home.join("secrets.json"),
        )),
        None,
    )
    .unwrap()
}

/// The app ready to upload the customers' file, with the members it should send.
fn ready_to_upload(
    runtime: &tokio::runtime::Runtime,
) -> (
    Harness<'static, App>,
    audience_desk::sim::SimHandle,
    tempfile::TempDir,
    BTreeSet<String>,
) {
    let mut expected = BTreeSet::new();
    let (harness, sim, home) = crate::common::ready_to_upload(runtime, |home| {
        let (path, members) = customers(home);
        expected = members;
        path
    });
    (harness, sim, home, expected)
}

#[test]
fn a_refused_upload_says_why_with_pinterests_request_id() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (mut harness, sim, _home, _) = ready_to_upload(&runtime);
    sim.set_faults(audience_desk::sim::Faults {
        fail_next: 1,
        fail_status: Some(403),
        ..Default::default()
    });
    harness.get_by_label("Start upload").click();
    crate::common::step_until(&mut harness, "the failed job, as stored", |h| {
        crate::common::job_shows(h, 1, "failed")
            && h.query_by_label_contains("Job 1 failed").is_some()
            && h.state()
                .state
                .jobs
                .entries
                .first()
                .is_some_and(|e| e.row.state == JobState::Failed)
    });
    let message = harness.state().state.jobs.entries[0]
        .row
        .message
        .clone()
        .unwrap();
    assert!(
        message.contains("403") && message.contains("request id"),
        "{message}"
    );
    harness.get_by_label(&message);
    // A failed job can be tried again once the cause is fixed.
    harness.get_by_label("Resume").click();
    crate::common::step_until(&mut harness, "the job completed on a second try", |h| {
        crate::common::job_shows(h, 1, "completed")
    });
}

#[test]
fn dry_run_then_upload_and_resume_an_interrupted_job() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (mut harness, sim, home, expected) = ready_to_upload(&runtime);

    // The dry run: the plan on screen, nothing sent.
    harness.get_by_label("Dry run").click();
    crate::common::step_until(&mut harness, "the plan", |h| {
        h.query_by_label_contains("Plan for ad account").is_some()
    });
    harness.get_by_label("new: Newsletter");
    harness.get_by_label(&PEOPLE.to_string());
    harness.get_by_label_contains(&format!("{PEOPLE} records in batches"));
    harness.check_accessibility();
    assert!(sim.lists().is_empty(), "a dry run sends nothing");

    // The upload, from the keyboard: it runs in the background and the jobs screen shows it.
    harness.key_press_modifiers(eframe::egui::Modifiers::COMMAND, eframe::egui::Key::Enter);
    // The job's end reaches the app after its last progress: wait for both.
    crate::common::step_until(&mut harness, "the completed job and its notice", |h| {
        crate::common::job_shows(h, 1, "completed")
            && h.query_by_label_contains("Job 1 completed").is_some()
    });
    harness.get_by_label(&format!("{PEOPLE} of {PEOPLE} records (100%)"));
    // The file's counts: 252 rows, one repeat, one rejected value.
    harness.get_by_label("252");
    harness.get_by_label("Rejected: not an email");
    let lists = sim.lists();
    assert_eq!(lists.len(), 1);
    assert_eq!(lists[0].name, "Newsletter");
    assert_eq!(lists[0].members, expected);
    // The lists' status comes with the job's report, read back from the store.
    let list = format!("Newsletter ({})", lists[0].id);
    crate::common::step_until(&mut harness, "the job's lists", |h| {
        h.query_by_label(&list).is_some()
    });
    harness.check_accessibility();
    // Back to the file with the keyboard: the plan for the same settings is still there.
    harness.key_press_modifiers(eframe::egui::Modifiers::COMMAND, eframe::egui::Key::Num1);
    harness.run_steps(2);
    assert_eq!(harness.state().state.view, View::Upload);
    harness.get_by_label("new: Newsletter");
    harness.key_press_modifiers(eframe::egui::Modifiers::COMMAND, eframe::egui::Key::Num2);
    harness.run_steps(2);
    assert_eq!(harness.state().state.view, View::Jobs);

    // A job left interrupted (as after a crash) is offered for resume, and finishes.
    let job = {
        let summary = harness.state().state.loaded().unwrap().preview.clone();
        let core = core_beside(home.path(), &sim);
        let spec = audience_desk::upload::JobSpec::new(
            audience_desk::upload::Mode::Add,
            audience_desk::upload::Target::NewList("Second".into()),
            false,
            100,
        );
        let plan =
            audience_desk::upload::plan_upload(&core, "EU", &summary, spec, &mut |_| {}).unwrap();
        let job = plan.create_job(&core).unwrap();
        // As a process that took the job and was closed before sending anything leaves it.
        let lease = audience_desk::store::Lease::for_this_process();
        let mut store = audience_desk::store::Store::open(&core.home).unwrap();
        store.take_lease(job, &lease).unwrap();
        store
            .set_job_state(job, &lease, JobState::Interrupted, None)
            .unwrap();
        drop(store);
        job
    };
    let resume = format!("Resume job {job}");
    crate::common::step_until(&mut harness, "the resume offer", |h| {
        h.query_by_label(&resume).is_some()
    });
    harness.get_by_label(&resume).click();
    crate::common::step_until(&mut harness, "the resumed job", |h| {
        crate::common::job_shows(h, job, "completed")
    });
    let second = sim
        .lists()
        .into_iter()
        .find(|l| l.name == "Second")
        .unwrap();
    assert_eq!(second.members, expected);
    assert_eq!(second.num_batches, 3, "batches of 100: nothing sent twice");
}

#[test]
fn demo_mode_connects_to_the_built_in_simulator_and_plans_the_sample() {
    let mut harness = crate::common::harness(App::demo(Arc::new(FixedPicker(None))));
    harness.get_by_label_contains("Demo mode");
    crate::common::step_until(&mut harness, "the demo login", |h| {
        h.query_all_by_label_contains("token expires in 30 days")
            .next()
            .is_some()
    });
    crate::common::step_until(&mut harness, "the sample's counts", |h| {
        h.query_by_label_contains("50,000 rows read").is_some()
    });
    harness.get_by_label("Dry run").click();
    crate::common::step_until(&mut harness, "the plan", |h| {
        h.query_by_label_contains("Plan for ad account").is_some()
    });
    harness.get_by_label("new: Demo customers (EMAIL)");
    harness.check_accessibility();
}

#[test]
fn a_running_job_pauses_resumes_cancels_and_resumes_again() {
    // Demo mode paced to a call every two seconds: the 50,000-row sample takes a while, and a
    // loaded machine still clicks Pause with batches left. Its daily sync stays put, so that
    // the job has the connection's pace to itself.
    let mut app = App::demo_paced(Arc::new(FixedPicker(None)), 30);
    app.run_due_syncs = false;
    let mut harness = crate::common::harness(app);
    crate::common::step_until(&mut harness, "the sample's counts", |h| {
        h.query_by_label_contains("50,000 rows read").is_some()
            && h.query_all_by_label_contains("token expires in 30 days")
                .next()
                .is_some()
    });
    harness.get_by_label("Start upload").click();
    crate::common::step_until(&mut harness, "the running job", |h| {
        crate::common::job_shows(h, 1, "running")
    });
    harness.get_by_label("Pause").click();
    crate::common::step_until(&mut harness, "the paused job", |h| {
        crate::common::job_shows(h, 1, "paused")
    });
    let paused = harness.state().state.jobs.live[&1]
        .progress
        .borrow()
        .clone();
    assert!(paused.records_acked < paused.records_total);
    // Longer than the pace of one call a second.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    harness.run_steps(3);
    assert_eq!(
        harness.state().state.jobs.live[&1]
            .progress
            .borrow()
            .records_acked,
        paused.records_acked,
        "nothing is sent while paused"
    );
    harness.get_by_label("Resume").click();
    crate::common::step_until(&mut harness, "the job running again", |h| {
        crate::common::job_shows(h, 1, "running")
    });
    // Esc on the jobs screen cancels the job shown.
    harness.key_press(eframe::egui::Key::Escape);
    // The job's end reaches the app after its last progress: wait for both.
    crate::common::step_until(&mut harness, "the cancelled job and its notice", |h| {
        crate::common::job_shows(h, 1, "cancelled")
            && h.query_by_label_contains("Job 1 cancelled").is_some()
    });
    assert!(harness.state().state.jobs.live.is_empty());
    // What was not sent can still be sent: the cancelled job resumes to the end.
    harness.get_by_label("Resume").click();
    crate::common::step_until(&mut harness, "the resumed job completed", |h| {
        crate::common::job_shows(h, 1, "completed")
            && h.query_by_label_contains("Job 1 completed").is_some()
    });
    // The jobs list is read again after the end: its saved report has every record.
    crate::common::step_until(&mut harness, "every record acknowledged", |h| {
        h.query_by_label("110,167 of 110,167 records (100%)")
            .is_some()
    });
}

/// A job whose removals the guard holds shows it with its reason, and "Send the held
/// removals" sends them.
#[test]
fn held_removals_are_shown_and_sent_when_confirmed() {
    use audience_desk::source::{Preview, PreviewOptions};
    use audience_desk::upload::{JobSpec, Mode, Target, plan_upload, run_job};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (mut harness, sim, home, _) = ready_to_upload(&runtime);
    let core = core_beside(home.path(), &sim);
    let send = |file: &std::path::Path, spec: JobSpec| {
        let preview = Preview::load(file, &PreviewOptions::default()).unwrap();
        let job = plan_upload(&core, "EU", &preview, spec, &mut |_| {})
            .unwrap()
            .create_job(&core)
            .unwrap();
        let (sender, _) = tokio::sync::watch::channel(audience_desk::upload::JobProgress::new(job));
        let report = runtime
            .block_on(run_job(&core, job, Arc::default(), sender))
            .unwrap();
        (job, report)
    };
    let full = home.path().join("newsletter.csv");
    let (_, first) = send(
        &full,
        JobSpec::new(Mode::Add, Target::NewList("Weekly".into()), false, 100),
    );
    let list = first.lists[0].list_id.clone().unwrap();
    let cut = home.path().join("cut.csv");
    std::fs::write(&cut, "email\nperson1@example.com\nperson2@example.com\n").unwrap();
    let (job, held) = send(
        &cut,
        JobSpec::new(Mode::Mirror, Target::List(list.clone()), false, 100),
    );
    assert_eq!(held.progress.state, JobState::Held);

    harness.key_press_modifiers(eframe::egui::Modifiers::COMMAND, eframe::egui::Key::Num2);
    crate::common::step_until(&mut harness, "the held job", |h| {
        crate::common::job_shows(h, job, "removals held")
    });
    harness.get_by_label_contains("248 removals wait for your confirmation");
    harness.check_accessibility();
    harness.get_by_label("Send the held removals").click();
    crate::common::step_until(&mut harness, "the confirmed job", |h| {
        crate::common::job_shows(h, job, "completed")
    });
    let members = sim
        .lists()
        .into_iter()
        .find(|l| l.id == list)
        .unwrap()
        .members;
    assert_eq!(members.len(), 2);
}
