//! New audiences of site visitors and of people who engaged on the Audiences screen, through
//! kittest on the real core: the New audience control, the tag picked from the account's
//! tags, the unverified website offered disabled, the rule in words before Create, and an
//! edit of the name.

use std::sync::Arc;

use audience_desk::gui::{App, FixedPicker};
use audience_desk::sim::{SHOP_TAG, UNVERIFIED_DOMAIN, VERIFIED_DOMAIN};
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

use crate::common::{step_until, type_into};

fn pick(harness: &mut Harness<'static, App>, combo: &str, choice: &str) {
    harness.get_by_role_and_label(Role::ComboBox, combo).click();
    harness.run_steps(2);
    harness.get_by_label(choice).click();
    harness.run_steps(2);
}

fn open_new(harness: &mut Harness<'static, App>, kind: &str) {
    harness.get_by_label("New audience").click();
    harness.run_steps(2);
    harness.get_by_label(kind).click();
    step_until(harness, "the account's tags and websites", |h| {
        h.query_by_label_contains("Reading the account's tags")
            .is_none()
    });
    harness.run_steps(2);
}

#[test]
fn visitors_and_engagers_are_made_from_the_accounts_own_tags_and_websites() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let world = crate::common::connected_world(&runtime);
    let mut harness = crate::common::app_on(&world, Arc::new(FixedPicker(None)));
    harness.get_by_label("Audiences").click();
    step_until(&mut harness, "the audiences read", |h| {
        h.query_by_label("New audience").is_some()
    });

    // Site visitors: nothing can be made before a tag is picked from the account's.
    open_new(&mut harness, "Site visitors...");
    harness.get_by_label("Pick the Pinterest tag first.");
    type_into(
        &mut harness,
        Role::TextInput,
        "Audience name",
        "Checkout visitors",
    );
    pick(
        &mut harness,
        "Pinterest tag",
        &format!("Shop tag ({SHOP_TAG}, active)"),
    );
    pick(&mut harness, "Event", "checkout");
    harness.get_by_label(&format!(
        "Who: visited with checkout in the last 180 days (tag {SHOP_TAG})."
    ));
    harness.check_accessibility();
    harness.get_by_label("Create").click();
    step_until(&mut harness, "the visitors made", |h| {
        h.query_by_label_contains("Made \"Checkout visitors\"")
            .is_some()
    });
    step_until(&mut harness, "the visitors listed", |h| {
        h.query_by_label_contains("site visitors: visited with checkout")
            .is_some()
    });

    // People who engaged: the unverified website is there, and cannot be picked.
    open_new(&mut harness, "People who engaged...");
    type_into(&mut harness, Role::TextInput, "Audience name", "Savers");
    harness
        .get_by_role_and_label(Role::ComboBox, "Verified website")
        .click();
    harness.run_steps(2);
    let unverified = harness.get_by_label(UNVERIFIED_DOMAIN);
    assert!(unverified.accesskit_node().is_disabled(), "not verified");
    harness.get_by_label(VERIFIED_DOMAIN).click();
    harness.run_steps(2);
    pick(&mut harness, "What they did", "save");
    harness.get_by_label(&format!(
        "Who: saved Pins from {VERIFIED_DOMAIN} in the last 180 days."
    ));
    harness.check_accessibility();
    harness.get_by_label("Create").click();
    step_until(&mut harness, "the engagers listed", |h| {
        h.query_by_label_contains("people who engaged: saved Pins")
            .is_some()
    });
    let made = world.sim.audiences();
    assert!(made.iter().any(|(_, name, _)| name == "Checkout visitors"));
    assert!(made.iter().any(|(_, name, _)| name == "Savers"));

    // An edit of the picked audience's name.
    harness.get_by_label("Savers").click();
    harness.run_steps(2);
    harness.get_by_label("Edit...").click();
    harness.run_steps(2);
    harness.check_accessibility();
    type_into(&mut harness, Role::TextInput, "Name", " (90 days)");
    harness.get_by_label("Save").click();
    step_until(&mut harness, "the edit saved", |h| {
        h.query_by_label_contains("Saved \"Savers (90 days)\"")
            .is_some()
    });
    assert!(
        world
            .sim
            .audiences()
            .iter()
            .any(|(_, name, _)| name == "Savers (90 days)")
    );
}
