//! The desktop app's preview, driven through its accessibility tree as a user would.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use audience_desk::gui::{App, FixedPicker, ScanState};
use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn sample(dir: &tempfile::TempDir) -> PathBuf {
    let path = dir.path().join("customers.csv");
    let mut text = String::from("contact,device,notes\nnot-an-email,,x\n");
    for i in 0..300 {
        text += &format!(
            "User{i}@Example.com,{:08x}-8cf0-11bd-b23e-10b96e40000d,n{i}\n",
            i + 1
        );
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn harness(file: Option<PathBuf>) -> Harness<'static, App> {
    crate::common::harness(App::new(Arc::new(FixedPicker(file))))
}

/// Steps until the full pass over the file is done (it runs on a background thread).
fn wait_for_counts(harness: &mut Harness<'_, App>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        harness.step();
        let done = harness
            .state()
            .state
            .loaded()
            .is_some_and(|l| matches!(l.scan, ScanState::Done(_)));
        if done {
            harness.run_steps(2);
            return;
        }
        assert!(Instant::now() < deadline, "the counts never arrived");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn open_a_file_see_the_preview_and_remap_a_column() {
    let dir = tempfile::tempdir().unwrap();
    let file = sample(&dir);
    let mut harness = harness(Some(file));
    harness.run_steps(2);
    harness
        .get_all_by_label("Open file...")
        .next()
        .unwrap()
        .click();
    wait_for_counts(&mut harness);

    // The mapping with its reasons, the first rows as sent, and the counts.
    harness.get_by_label_contains("look like emails");
    harness.get_by_label("user0@example.com");
    harness.get_by_label("rejected: not an email");
    harness.get_by_label("300 to the email list");
    harness.get_by_label("300 to the mobile ad ID (MAID) list");
    harness.check_accessibility();

    // The device column: mapped to ignore, its list disappears from the counts.
    harness.get_by_label("2. device").click();
    harness.run_steps(2);
    harness.get_all_by_label("Ignore").last().unwrap().click();
    harness.run_steps(1);
    wait_for_counts(&mut harness);
    harness.get_by_label("300 to the email list");
    assert!(
        harness
            .query_by_label("300 to the mobile ad ID (MAID) list")
            .is_none()
    );
}

#[test]
fn the_table_scrolls_through_the_whole_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.csv");
    let mut text = String::from("email\n");
    for i in 0..3000 {
        text += &format!("Person{i}@Example.com\n");
    }
    std::fs::write(&path, text).unwrap();
    let mut harness = harness(Some(path));
    harness.run_steps(2);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    wait_for_counts(&mut harness);
    harness.get_by_label("All 3,000 rows: status, raw -> normalized -> SHA-256");
    assert!(harness.query_by_label("person2999@example.com").is_none());

    // To the end of the table with the mouse wheel: the last page is read in the background.
    harness.event(egui::Event::PointerMoved(egui::pos2(600.0, 700.0)));
    for _ in 0..20 {
        harness.event(egui::Event::MouseWheel {
            unit: egui::MouseWheelUnit::Point,
            delta: egui::vec2(0.0, -100_000.0),
            phase: egui::TouchPhase::Move,
            source: egui::MouseWheelSource::Unknown,
            modifiers: egui::Modifiers::NONE,
        });
        harness.step();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while harness.query_by_label("person2999@example.com").is_none() {
        assert!(Instant::now() < deadline, "the last rows never showed");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.get_by_label("3001");
    harness.check_accessibility();
}

#[test]
fn a_binary_file_gets_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("photo.png");
    std::fs::write(&path, [0x89, b'P', b'N', b'G', 0, 0, 0, 13]).unwrap();
    let mut harness = harness(Some(path));
    harness.run_steps(2);
    harness.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    let deadline = Instant::now() + Duration::from_secs(10);
    while harness.query_by_label_contains("not a text file").is_none() {
        assert!(Instant::now() < deadline, "no message for a binary file");
        harness.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    harness.get_by_label("Open another file...");
}

/// A ZIP archive of an export opens like the export, and the window says what it read.
#[test]
fn an_archive_opens_and_the_window_says_which_file_it_read() {
    let dir = tempfile::tempdir().unwrap();
    let csv = std::fs::read(sample(&dir)).unwrap();
    let path = dir.path().join("crm-export.zip");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    writer
        .start_file("customers.csv", zip::write::SimpleFileOptions::default())
        .unwrap();
    std::io::Write::write_all(&mut writer, &csv).unwrap();
    writer.finish().unwrap();
    let mut harness = harness(Some(path));
    harness.run_steps(2);
    crate::common::open_file(&mut harness);
    harness.get_by_label_contains("Read: file \"customers.csv\" of a");
    harness.get_by_label_contains("301 rows read");
    harness.check_accessibility();
}
