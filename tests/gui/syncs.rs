//! Saved syncs in the desktop app, through kittest on the real core against the simulator:
//! save as sync from the Upload screen, the Syncs screen, Run now and the history; and the
//! app running a due sync in the background and saying when one fails.

use crate::common::digests_of;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use audience_desk::gui::{App, FixedPicker};
use audience_desk::syncs::{Schedule, Source, SyncSettings, SyncTarget};
use audience_desk::upload::Mode;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

fn write_people(path: &Path, header: &str, people: std::ops::Range<u32>) {
    let mut text = format!("{header},name\n");
    for i in people {
        text += &format!("Person{i}@Example.com,n{i}\n");
    }
    std::fs::write(path, text).unwrap();
}

fn run_now_and_wait(harness: &mut Harness<'static, App>, runs: usize) {
    harness.get_by_label("Run now").click();
    crate::common::step_until(harness, "the run in the history", |h| {
        h.state()
            .state
            .syncs
            .history
            .as_ref()
            .is_some_and(|(_, r)| r.len() == runs && r[runs - 1].row.ended_at.is_some())
            && h.state().state.syncs.live.is_empty()
    });
    harness.run_steps(2);
}

#[test]
fn save_as_sync_then_run_it_from_the_syncs_screen_and_read_its_history() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut file = PathBuf::new();
    let (mut harness, sim, _home) = crate::common::ready_to_upload(&runtime, |home| {
        file = home.join("newsletter.csv");
        write_people(&file, "email", 0..150);
        file.clone()
    });
    harness.get_by_label("Mirror").click();
    harness.get_by_label("Save as sync").click();
    harness.run_steps(2);
    harness.get_by_label_contains("Name the sync.");
    harness
        .get_by_role_and_label(Role::TextInput, "Sync name")
        .focus();
    harness.step();
    harness
        .get_by_role_and_label(Role::TextInput, "Sync name")
        .type_text("Nightly");
    harness.run_steps(2);
    harness.check_accessibility();
    harness.get_by_label("Save sync").click();
    crate::common::step_until(&mut harness, "the sync saved", |h| {
        h.query_by_label_contains("Saved sync 'Nightly'").is_some()
    });
    assert!(sim.lists().is_empty(), "saving sends nothing");

    harness.get_by_label("Show syncs").click();
    crate::common::step_until(&mut harness, "the Syncs screen", |h| {
        h.query_by_label("Nightly: not run yet").is_some()
    });
    harness.get_by_label("mirror: the list holds exactly the file");
    harness.get_by_label("email as Email");
    harness.get_by_label_contains("No runs yet");

    run_now_and_wait(&mut harness, 1);
    assert_eq!(sim.lists().len(), 1);
    assert_eq!(sim.lists()[0].members, digests_of("person", 0..150));
    harness.get_by_label("Nightly: ok");
    harness.get_by_label("Identities sent per run");
    harness.get_by_label("completed");
    // The run's rows and its additions.
    assert_eq!(harness.query_all_by_label("150").count(), 2);

    // The file changes: the next run adds and removes exactly, and the table says so.
    write_people(&file, "email", 30..200);
    run_now_and_wait(&mut harness, 2);
    assert_eq!(sim.lists().len(), 1);
    assert_eq!(sim.lists()[0].members, digests_of("person", 30..200));
    let (_, runs) = harness.state().state.syncs.history.clone().unwrap();
    let lists = &runs[1].report.as_ref().unwrap().lists[0];
    assert_eq!((lists.added, lists.removed, lists.unchanged), (50, 30, 120));
    assert!(harness.query_all_by_label("30").count() >= 1);
    assert!(harness.query_all_by_label("120").count() >= 1);

    // Unchanged: skipped, nothing sent.
    let sent = sim.log().len();
    run_now_and_wait(&mut harness, 3);
    harness.get_by_label("skipped");
    let new_calls: Vec<String> = sim.log()[sent..]
        .iter()
        .filter(|e| e.method != "GET")
        .map(|e| format!("{} {}", e.method, e.path))
        .collect();
    assert!(new_calls.is_empty(), "{new_calls:?}");
    harness.check_accessibility();
}

#[test]
fn every_setting_of_a_sync_is_edited_in_the_window() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (mut harness, _sim, _home) = crate::common::ready_to_upload(&runtime, |home| {
        let file = home.join("newsletter.csv");
        write_people(&file, "email", 0..150);
        file
    });
    harness.get_by_label("Save as sync").click();
    harness.run_steps(2);
    // Saved as a sync, it mirrors unless told otherwise, as `sync add` does.
    let mirror = harness.get_by_label("Mirror: the lists hold exactly the file");
    assert_eq!(
        mirror.accesskit_node().toggled(),
        Some(eframe::egui::accesskit::Toggled::True)
    );
    harness
        .get_by_role_and_label(Role::TextInput, "Sync name")
        .focus();
    harness.step();
    harness
        .get_by_role_and_label(Role::TextInput, "Sync name")
        .type_text("Nightly");
    harness.run_steps(2);
    harness.get_by_label("Save sync").click();
    crate::common::step_until(&mut harness, "the sync saved", |h| {
        h.query_by_label_contains("Saved sync 'Nightly'").is_some()
    });
    harness.get_by_label("Show syncs").click();
    crate::common::step_until(&mut harness, "the Syncs screen", |h| {
        h.query_by_label("Nightly: not run yet").is_some()
    });

    // The editor: a new name, add instead of mirror, run on change, the column ignored then
    // mapped again.
    harness.get_by_label("Edit settings...").click();
    harness.run_steps(2);
    harness.check_accessibility();
    // The floor, at Pinterest's serving minimum unless the sync says otherwise.
    let floor = harness.get_by_role_and_label(Role::SpinButton, "Keep at least");
    assert_eq!(floor.accesskit_node().numeric_value(), Some(100.0));
    let name = harness.get_by_role_and_label(Role::TextInput, "Name");
    name.focus();
    harness.step();
    harness
        .get_by_role_and_label(Role::TextInput, "Name")
        .type_text(" EU");
    harness.run_steps(1);
    harness.get_by_label("Add: only adds what is new").click();
    harness.get_by_label("When the file changes").click();
    harness.run_steps(2);
    harness.get_by_label("Save settings").click();
    crate::common::step_until(&mut harness, "the edit saved", |h| {
        h.query_by_label("Nightly EU: not run yet").is_some()
    });
    harness.get_by_label("add the file's people");
    harness.get_by_label("on change");
    assert!(harness.query_by_label("Nightly: not run yet").is_none());
}

#[test]
fn the_app_runs_a_due_sync_in_the_background_and_says_when_one_fails() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let world = runtime.block_on(crate::common::world());
    runtime.block_on(crate::common::connect(&world)).unwrap();
    let crate::common::World { sim, core, home } = world;
    let file = home.path().join("live.csv");
    write_people(&file, "email", 0..120);
    let mut settings = SyncSettings {
        source: Source::File(file.clone()),
        header: true,
        delimiter: audience_desk::source::Delimiter::Comma,
        columns: Vec::new(),
        target: SyncTarget::NewList("Live".into()),
        mode: Mode::Mirror,
        create_audience: false,
        schedule: Schedule::OnChange,
        batch_size: 100,
        max_removal_share: None,
        floor: None,
        part: Default::default(),
    };
    let preview = audience_desk::source::Preview::load(&file, &Default::default()).unwrap();
    settings.take_columns(&preview);
    audience_desk::syncs::add(&core, "live", "EU", &settings).unwrap();

    let app = App::with_core(Arc::new(FixedPicker(None)), Ok(core), None);
    let mut harness = crate::common::harness(app);
    // Never run and on change: the app runs it once the file has settled.
    crate::common::step_until(&mut harness, "the background run", |_| {
        sim.lists()
            .first()
            .is_some_and(|l| l.members == digests_of("person", 0..120))
    });
    // A new export whose column was renamed: refused, and said.
    write_people(&file, "mail", 0..10);
    crate::common::step_until(&mut harness, "the refusal said", |h| {
        h.query_by_label_contains("Sync 'live' run 2 refused")
            .is_some()
    });
    harness.get_by_label_contains("\"email\" (email) is gone");
    assert_eq!(
        sim.lists()[0].members,
        digests_of("person", 0..120),
        "nothing sent"
    );
}
