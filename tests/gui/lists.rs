//! One cache of lists per connection, shared by the Audiences screen and the upload form:
//! showing a screen fetches what it lacks once, and never re-fetches on every frame.

use std::sync::Arc;

use audience_desk::gui::{App, FixedPicker};
use audience_desk::sim::SimHandle;
use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

fn list_reads(sim: &SimHandle) -> usize {
    sim.log()
        .iter()
        .filter(|e| e.method == "GET" && e.path.ends_with("/customer_lists"))
        .count()
}

#[test]
fn the_audiences_screen_and_the_upload_form_share_one_fetch() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let world = runtime.block_on(crate::common::world());
    runtime.block_on(crate::common::connect(&world)).unwrap();
    let crate::common::World { sim, core, home } = world;
    let file = home.path().join("people.csv");
    std::fs::write(&file, "email\nann@example.com\nbob@example.com\n").unwrap();
    let app = App::with_core(Arc::new(FixedPicker(Some(file))), Ok(core), None);
    let mut harness = crate::common::harness(app);
    harness.run_steps(2);
    assert_eq!(
        list_reads(&sim),
        0,
        "nothing is fetched before a screen needs it"
    );

    harness.get_by_label("Audiences").click();
    crate::common::step_until(&mut harness, "the lists", |h| {
        h.query_by_label("Customer lists").is_some()
    });
    harness.run_steps(10);
    assert_eq!(list_reads(&sim), 1, "one fetch, however many frames");

    harness.get_by_label("Upload").click();
    harness.run_steps(2);
    crate::common::open_file(&mut harness);
    crate::common::pick_connection(&mut harness);
    harness.get_by_label("Existing list").click();
    harness.run_steps(10);
    harness.get_by_role_and_label(Role::ComboBox, "List");
    assert_eq!(list_reads(&sim), 1, "the upload form reads the same entry");

    harness.get_by_label("Refresh lists").click();
    crate::common::step_until(&mut harness, "a second fetch", |_| list_reads(&sim) == 2);
}
