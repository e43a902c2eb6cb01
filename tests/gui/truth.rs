//! The window says what is so, in its own words: a path field where the desktop has no file
//! dialog, a warning at a column mapped to the wrong kind, the status first in the rows,
//! notices that stack in a corner instead of moving the screen, and the demo offered on the
//! first screen.

use std::sync::Arc;

use audience_desk::gui::{App, NoDialog};
use eframe::egui;
use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

fn names_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("names.csv");
    let mut text = String::from("Email,First name\n");
    for i in 0..40 {
        text += &format!("person{i}@example.com,Person {i}\n");
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn wait_for_counts(harness: &mut egui_kittest::Harness<'static, App>) {
    crate::common::step_until(harness, "the counts", |h| {
        h.query_by_label_contains("rows read").is_some()
    });
}

#[test]
fn without_a_file_dialog_a_path_is_typed_and_the_file_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = names_file(dir.path());
    let mut harness = crate::common::harness(App::new(Arc::new(NoDialog)));
    harness.run_steps(2);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    crate::common::step_until(&mut harness, "the path field", |h| {
        h.query_by_label_contains("The file dialog cannot open")
            .is_some()
    });
    harness.get_by_label_contains("no file-dialog service");
    harness.check_accessibility();
    let field = harness.get_by_role_and_label(Role::TextInput, "Path");
    field.focus();
    harness.step();
    harness
        .get_by_role_and_label(Role::TextInput, "Path")
        .type_text(path.to_str().unwrap());
    harness.step();
    harness.get_by_label("Open").click();
    wait_for_counts(&mut harness);
    harness.get_by_label("40 rows read");
    assert!(
        harness
            .query_by_label_contains("The file dialog cannot open")
            .is_none()
    );
}

#[test]
fn a_column_mapped_to_the_wrong_kind_is_warned_about_and_the_status_comes_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = names_file(dir.path());
    let picker = Arc::new(audience_desk::gui::FixedPicker(Some(path)));
    let mut harness = crate::common::harness(App::new(picker));
    harness.run_steps(2);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    wait_for_counts(&mut harness);
    // The kinds in plain words.
    assert!(harness.query_all_by_label("Email").next().is_some());
    // First names read as emails: 0 of 40 valid, said at the column.
    harness.get_by_label("2. First name").click();
    harness.run_steps(2);
    harness
        .get_all_by_label("Email (to the email list)")
        .last()
        .unwrap()
        .click();
    harness.run_steps(1);
    crate::common::step_until(&mut harness, "the warning at the column", |h| {
        h.query_by_label_contains("Only 0 of 40 filled values are valid as Email")
            .is_some()
    });
    // The status of each value is on screen beside it, before the values.
    harness.get_by_label("All 40 rows: status, raw -> normalized -> SHA-256");
    crate::common::step_until(&mut harness, "the refused values' status", |h| {
        h.query_all_by_label("rejected: not an email").count() >= 2
    });
    harness.check_accessibility();
}

#[test]
fn notices_stack_in_a_corner_fade_or_stay_and_keep_a_history() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("gone.csv");
    let picker = Arc::new(audience_desk::gui::FixedPicker(Some(missing)));
    let mut harness = crate::common::harness(App::new(picker));
    harness.run_steps(2);
    let open_button =
        |h: &egui_kittest::Harness<'static, App>| h.get_by_label("Open a list").rect();
    let toolbar_before = open_button(&harness);
    // An export of rejects with no file open says nothing; a file that is gone says why.
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    crate::common::step_until(&mut harness, "the error", |h| {
        h.query_all_by_label_contains("gone.csv").next().is_some()
    });
    // Nothing moved under the pointer.
    assert_eq!(open_button(&harness), toolbar_before);
    harness
        .state_mut()
        .state
        .notices
        .push("First.".into(), false, None);
    harness
        .state_mut()
        .state
        .notices
        .push("Second, an error.".into(), true, None);
    harness.run_steps(2);
    harness.get_by_label("First.");
    harness.get_by_label("Second, an error.");
    harness.get_by_label("Notices (2)");
    // Dismissed, it leaves the corner but stays in the history.
    let dismiss = harness.get_all_by_label("Dismiss").last().unwrap();
    dismiss.click();
    harness.run_steps(2);
    assert!(harness.query_by_label("Second, an error.").is_none());
    harness.get_by_label("Notices (2)").click();
    crate::common::step_until(&mut harness, "the history", |h| {
        h.query_by_label("Second, an error.").is_some()
    });
    assert!(harness.state().state.notices.history_open);
    harness.check_accessibility();
}

#[test]
fn the_first_screen_offers_the_demo() {
    let mut harness = crate::common::harness(App::new(Arc::new(NoDialog)));
    harness.run_steps(2);
    harness.get_by_label("Try the demo").click();
    crate::common::step_until(&mut harness, "the demo's sample", |h| {
        h.query_by_label_contains("50,000 rows read").is_some()
    });
    harness.get_by_label_contains("Demo mode");
    assert!(harness.query_by_label("Try the demo").is_none());
}

#[test]
fn the_rows_with_problems_or_repeats_are_shown_alone_and_gone_to() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mixed.csv");
    let mut text = String::from("email\n");
    for i in 0..3000 {
        match i {
            7 | 1500 | 2999 => text += "not-an-email\n",
            100 | 2000 => text += "person1@example.com\n",
            _ => text += &format!("person{i}@example.com\n"),
        }
    }
    std::fs::write(&path, text).unwrap();
    let picker = Arc::new(audience_desk::gui::FixedPicker(Some(path)));
    let mut harness = crate::common::harness(App::new(picker));
    harness.run_steps(2);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    wait_for_counts(&mut harness);

    harness.get_by_label_contains("problems only").click();
    crate::common::step_until(&mut harness, "the problems alone", |h| {
        h.query_by_label_contains("3 rows with a problem of 3,000")
            .is_some()
    });
    crate::common::step_until(&mut harness, "the refused rows", |h| {
        h.query_all_by_label("rejected: not an email").count() == 3
    });
    assert!(
        harness.query_by_label("valid").is_none(),
        "only the problems"
    );
    harness.get_by_label_contains("duplicates (2)").click();
    crate::common::step_until(&mut harness, "the repeats alone", |h| {
        h.query_by_label_contains("2 rows with a repeat of 3,000")
            .is_some()
    });
    harness.check_accessibility();

    // Back to all rows, Next problem goes to each in turn.
    harness.get_by_label("all rows").click();
    harness.run_steps(2);
    harness.get_by_label("Next problem").click();
    harness.run_steps(3);
    harness.get_by_label("Next problem").click();
    harness.run_steps(3);
    let loaded = harness.state().state.loaded().unwrap();
    assert_eq!(loaded.problem_at, Some(1));
    assert_eq!(loaded.scroll_to, None, "brought into view");
    crate::common::step_until(&mut harness, "the second problem on screen", |h| {
        h.query_by_label("1502").is_some()
    });
}
