//! Lists from a database and from a workbook's other sheet, through kittest on the real core:
//! "Open query..." tests a query (what it read), opens its result as the preview (the query
//! named, not its temporary file) and keeps a typed PostgreSQL password in the home's secret
//! store; a workbook of two sheets reads the one picked.

use std::sync::Arc;

use audience_desk::gui::FixedPicker;
use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use crate::common::postgres::{Postgres, READER_PASSWORD};
use crate::common::{step_until, type_into};

type Harness = egui_kittest::Harness<'static, audience_desk::gui::App>;

fn open_query_form(harness: &mut Harness) {
    // The toolbar's button (the empty screen has one too).
    harness
        .get_all_by_label("Open query...")
        .next()
        .unwrap()
        .click();
    // A new window takes a few frames to size itself.
    step_until(harness, "the query form", |h| {
        h.query_by_label_contains("Read the customer list from a database")
            .is_some()
    });
}

fn fill(harness: &mut Harness, database: &str, sql: &str) {
    type_into(harness, Role::TextInput, "Database address", database);
    type_into(harness, Role::MultilineTextInput, "Query", sql);
}

#[test]
fn a_query_is_tested_then_opened_as_the_preview() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let world = crate::common::connected_world(&runtime);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crm.db");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "CREATE TABLE customers (email TEXT, opted_in INTEGER);
             INSERT INTO customers VALUES (' Ann@Example.com ', 1), ('bob@example.com', 1),
               ('not-an-email', 1), ('carl@example.com', 0);",
        )
        .unwrap();
    let mut harness = crate::common::app_on(&world, Arc::new(FixedPicker(None)));
    open_query_form(&mut harness);
    fill(
        &mut harness,
        &format!("sqlite:{}", db.display()),
        "SELECT email FROM customers WHERE opted_in = 1",
    );
    harness.check_accessibility();

    harness.get_by_label("Test").click();
    step_until(&mut harness, "the test's answer", |h| {
        h.query_by_label_contains("The query read").is_some()
    });
    harness.get_by_label("The query read 3 rows of 1 column (email).");

    harness.get_by_label("Open").click();
    step_until(&mut harness, "the result previewed", |h| {
        h.state().state.query_form.is_none() && h.state().state.loaded().is_some()
    });
    harness.run_steps(2);
    harness.get_by_label(&format!("Query on sqlite:{}", db.display()));
    harness.get_by_label("| 3 rows of 1 column (email)");
    step_until(&mut harness, "the counts", |h| {
        h.query_by_label("3 rows read").is_some()
    });
    let loaded = harness.state().state.loaded().unwrap();
    let valid = match &loaded.scan {
        audience_desk::gui::ScanState::Done(summary) => summary.columns[0].valid,
        _ => unreachable!("counted"),
    };
    assert_eq!(valid, 2, "Ann and Bob; not-an-email is refused");
    harness.check_accessibility();

    // Edit query... brings the query back; a failing one says why and keeps the form.
    harness.get_by_label("Edit query...").click();
    harness.run_steps(2);
    type_into(
        &mut harness,
        Role::MultilineTextInput,
        "Query",
        " AND nosuch",
    );
    harness.get_by_label("Test").click();
    step_until(&mut harness, "the failure", |h| {
        matches!(
            h.state().state.query_form.as_ref().map(|f| &f.status),
            Some(audience_desk::gui::QueryStatus::Failed(_))
        )
    });
    harness.run_steps(2);
    harness.get_by_label_contains("no such column: nosuch");
    // Esc closes the dialog, as its Cancel does.
    harness.key_press(eframe::egui::Key::Escape);
    harness.run_steps(2);
    assert!(harness.state().state.query_form.is_none());
}

#[test]
fn a_typed_password_is_kept_in_the_homes_secret_store_once_the_query_ran_with_it() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    pg.sql(
        "CREATE TABLE customers (email text);
         INSERT INTO customers VALUES ('ann@example.com'), ('bob@example.com');
         GRANT SELECT ON customers TO reader;",
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let world = crate::common::connected_world(&runtime);
    let mut harness = crate::common::app_on(&world, Arc::new(FixedPicker(None)));
    open_query_form(&mut harness);
    fill(&mut harness, &pg.url(), "SELECT email FROM customers");
    let key = audience_desk::source::password_key(&pg.url());
    let test_with = |harness: &mut Harness, password: &str| {
        type_into(
            harness,
            Role::PasswordInput,
            "Password (PostgreSQL)",
            password,
        );
        // As a screen reader presses it (kittest's pointer click on the spot of the first
        // press is not seen a second time).
        harness.get_by_label("Test").click_accesskit();
        harness.run_steps(2);
        step_until(harness, "the test's answer", |h| {
            !h.state().state.query_form.as_ref().unwrap().busy()
        });
    };
    // A wrong password is said and not kept.
    test_with(&mut harness, "not-the-password");
    harness.get_by_label_contains("password authentication failed");
    assert_eq!(world.core.secrets.get(&key).unwrap(), None);
    test_with(&mut harness, READER_PASSWORD);
    harness.get_by_label("The query read 2 rows of 1 column (email).");
    assert_eq!(
        world.core.secrets.get(&key).unwrap().as_deref(),
        Some(READER_PASSWORD)
    );
    assert!(
        harness
            .state()
            .state
            .query_form
            .as_ref()
            .unwrap()
            .password
            .is_empty(),
        "the typed password is not held by the window once kept"
    );
}

#[test]
fn a_workbook_reads_the_sheet_picked() {
    let dir = tempfile::tempdir().unwrap();
    let book = dir.path().join("book.xlsx");
    let sheets = [
        (
            "Customers",
            crate::common::packed::rows(&[&["email"], &["ann@example.com"]]),
        ),
        (
            "Returns",
            crate::common::packed::rows(&[&["email"], &["bob@example.com"], &["cy@example.com"]]),
        ),
    ];
    std::fs::write(&book, crate::common::packed::workbook_of(&sheets)).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let world = crate::common::connected_world(&runtime);
    let mut harness = crate::common::app_on(&world, Arc::new(FixedPicker(Some(book))));
    harness
        .get_all_by_label("Open file...")
        .next()
        .unwrap()
        .click();
    step_until(&mut harness, "the workbook previewed", |h| {
        h.state().state.loaded().is_some()
    });
    harness.run_steps(2);
    harness.get_by_label_contains("Read: sheet \"Customers\" (1 of 2");
    harness.check_accessibility();
    harness
        .get_by_role_and_label(Role::ComboBox, "Sheet")
        .click();
    harness.run_steps(2);
    harness.get_by_label("Returns").click();
    step_until(&mut harness, "the other sheet previewed", |h| {
        h.state().state.loaded().is_some_and(|l| {
            l.preview.unpacked.as_ref().and_then(|u| u.part.as_deref()) == Some("Returns")
        })
    });
    harness.run_steps(2);
    harness.get_by_label_contains("Read: sheet \"Returns\" (2 of 2");
}
