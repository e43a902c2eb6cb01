//! The Privacy screen through kittest on the real core: a file of opt-outs added to the
//! suppression list (the dialog's file), a person found in the list an upload made, erased
//! after a confirmation, and the erasure listed with its receipt.

use std::sync::Arc;

use audience_desk::gui::FixedPicker;
use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use crate::common::{step_until, type_into};

#[test]
fn opt_outs_are_suppressed_and_a_person_is_found_and_erased_from_the_privacy_screen() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let world = crate::common::connected_world(&runtime);
    let dir = tempfile::tempdir().unwrap();
    let report = runtime.block_on(crate::common::engine::add_spring_list(&world, dir.path()));
    let list = crate::common::engine::list_id(&report);
    let optouts = dir.path().join("optouts.csv");
    std::fs::write(&optouts, "email\nuser1@example.com\nuser2@example.com\n").unwrap();

    let mut harness = crate::common::app_on(&world, Arc::new(FixedPicker(Some(optouts))));
    harness.get_by_label("Privacy").click();
    step_until(&mut harness, "the suppression list read", |h| {
        h.query_by_label_contains("Empty: every valid identity")
            .is_some()
    });
    harness.get_by_label_contains("Choose a file first");

    // The dialog's file, a reason, and the list holds two.
    harness.get_by_label("Choose...").click();
    step_until(&mut harness, "the chosen file", |h| {
        !h.state().state.privacy.file.is_empty()
    });
    type_into(
        &mut harness,
        Role::TextInput,
        "Why (optional)",
        "do not sell",
    );
    harness.check_accessibility();
    harness.get_by_label("Add to the suppression list").click();
    step_until(&mut harness, "the source listed", |h| {
        h.state().state.privacy.suppression.sources.len() == 1
    });
    harness.run_steps(2);
    harness.get_by_label("Suppressed: 2 in the email list.");
    harness.get_by_label("do not sell");

    // Found where the upload put them, hashed here.
    type_into(
        &mut harness,
        Role::TextInput,
        "Email or advertising ID",
        " User5@Example.com ",
    );
    harness.get_by_label("Find").click();
    step_until(&mut harness, "the person found", |h| {
        h.state().state.privacy.found.is_some()
    });
    harness.run_steps(2);
    harness.get_by_label(&format!("In 'Spring' (list {list}, connection 'EU')"));

    // Erase asks first, then takes them out and lists the erasure with its receipt.
    harness.get_by_label("Erase...").click();
    harness.run_steps(2);
    harness.get_by_label_contains("This removes them from every list");
    harness.check_accessibility();
    harness.get_by_label("Erase from every list").click();
    step_until(&mut harness, "the erasure listed", |h| {
        !h.state().state.privacy.erasures.is_empty() && !h.state().state.privacy.erasing
    });
    harness.run_steps(2);
    let digest = audience_desk::identity::sha256("user5@example.com").to_hex();
    assert!(!crate::common::engine::members(&world, &list).contains(&digest));
    harness.get_by_label_contains("Erasure 1 (");
    harness.get_by_label("Copy receipt path");
    let (receipt, path) = &harness.state().state.privacy.erasures[0];
    assert!(receipt.complete, "{receipt:?}");
    assert!(std::path::Path::new(path).is_file(), "{path}");
}
