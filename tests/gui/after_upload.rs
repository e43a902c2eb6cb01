//! After the upload in the desktop app, through kittest on the real core against the
//! simulator: status badges and the estimated match rate, a lookalike, the share picker,
//! removing an audience, the account picker, the setup guide and the switch that hides
//! identities in the preview.

use std::sync::Arc;

use audience_desk::gui::{App, FixedPicker};
use audience_desk::sim::SISTER_AD_ACCOUNT;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};

/// The app on a connection whose ad account holds "Spring" (1,000 people, 60% matched), with
/// the Audiences screen open.
fn audiences_screen(
    runtime: &tokio::runtime::Runtime,
    ready_after: i64,
) -> (
    Harness<'static, App>,
    crate::common::World,
    tempfile::TempDir,
) {
    let mut world = runtime.block_on(crate::common::world_with(|config| {
        config.audiences.match_rate = 0.6;
        config.audiences.ready_after = ready_after;
    }));
    crate::common::engine::quick(&mut world);
    runtime.block_on(crate::common::connect(&world)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    runtime.block_on(crate::common::engine::add_spring_list(&world, dir.path()));
    let mut harness = crate::common::app_on(&world, Arc::new(FixedPicker(None)));
    harness.get_by_label("Audiences").click();
    // The list and its audience: both named Spring.
    crate::common::step_until(&mut harness, "the audiences", |h| {
        h.query_all_by_label("Spring").count() == 2
    });
    (harness, world, dir)
}

/// Picks the audience "Spring" (drawn after its list of the same name).
fn pick_spring(harness: &mut Harness<'static, App>) {
    harness.get_all_by_label("Spring").last().unwrap().click();
    harness.run_steps(2);
}

#[test]
fn badges_match_rate_lookalike_sharing_and_removal() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (mut harness, world, _dir) = audiences_screen(&runtime, 0);
    harness.get_by_label("ready");
    harness.get_by_label("~60%");
    // The first look that finds it ready says so (a desktop notification too, in the app).
    harness.get_by_label_contains("Audience 'Spring' is ready: 600 people matched");
    harness.get_by_label("600");
    harness.check_accessibility();

    pick_spring(&mut harness);
    crate::common::step_until(&mut harness, "the audience's size over time", |h| {
        h.query_by_label("Size over time").is_some()
    });
    harness.get_by_label("Made by Audience Desk.");
    // Its monthly reach: 60% to 90% of its 600 people, as the simulator estimates.
    harness.get_by_label_contains("This audience reaches 360-540 people a month");
    harness.get_by_label("Check reach now").click();
    harness.run_steps(1);
    crate::common::step_until(&mut harness, "the reach taken again", |h| {
        !h.state().state.audiences.busy
            && h.query_by_label_contains("Asking Pinterest").is_none()
            && h.query_by_label_contains("(Pinterest's estimate, just now)")
                .is_some()
    });

    // A lookalike in the UK at 3%.
    harness.get_by_label("Create lookalike...").click();
    harness.run_steps(2);
    harness.check_accessibility();
    harness
        .get_by_role_and_label(Role::ComboBox, "Country")
        .click();
    harness.run_steps(2);
    harness.get_by_label("GB").click();
    harness.run_steps(2);
    harness.get_by_label("Create lookalike").click();
    crate::common::step_until(&mut harness, "the lookalike made", |h| {
        h.query_by_label_contains("Made lookalike").is_some()
    });
    crate::common::step_until(&mut harness, "the lookalike listed", |h| {
        h.query_by_label_contains("lookalike: people like audience")
            .is_some()
    });
    let made = world
        .sim
        .audiences()
        .into_iter()
        .find(|(_, name, _)| name.starts_with("Lookalike of Spring"))
        .unwrap();
    assert!(made.2.is_empty(), "a lookalike wraps no list");

    // Shared with the sister ad account, then revoked.
    harness.get_by_label("Share...").click();
    let sister = format!("Audience Desk Demo EU ({SISTER_AD_ACCOUNT})");
    crate::common::step_until(&mut harness, "the share picker", |h| {
        h.query_by_label(&sister).is_some()
            && h.query_by_label("Not shared with any ad account yet.")
                .is_some()
    });
    harness.check_accessibility();
    harness.get_by_label(&sister).click();
    harness.run_steps(2);
    harness.get_by_label("Share").click();
    crate::common::step_until(&mut harness, "the share said", |h| {
        h.query_by_label(&format!("Shared with {SISTER_AD_ACCOUNT}."))
            .is_some()
            && h.query_by_label(&format!("Shared with: {sister}"))
                .is_some()
    });
    harness.get_by_label(&sister).click();
    harness.run_steps(2);
    harness.get_by_label("Revoke").click();
    crate::common::step_until(&mut harness, "the revoke said", |h| {
        h.query_by_label("Not shared with any ad account yet.")
            .is_some()
    });

    // Removed after a confirmation.
    harness.get_by_label("Remove audience...").click();
    harness.run_steps(2);
    harness.get_by_label_contains("Its customer list stays");
    harness.get_by_label("Remove").click();
    crate::common::step_until(&mut harness, "the removal said", |h| {
        h.query_by_label_contains("Removed audience").is_some()
            || h.state()
                .state
                .audiences
                .said
                .as_ref()
                .is_some_and(|s| s.is_err())
    });
    let said = harness.state().state.audiences.said.clone();
    assert!(said.as_ref().is_some_and(|s| s.is_ok()), "{said:?}");
    assert!(
        world
            .sim
            .audiences()
            .iter()
            .all(|(_, name, _)| name != "Spring"),
        "{:?}",
        world.sim.audiences()
    );
}

#[test]
fn an_audience_still_matching_shows_as_initializing_with_no_match_rate_yet() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (mut harness, _world, _dir) = audiences_screen(&runtime, 3600);
    harness.get_by_label("initializing");
    harness.get_by_label("unknown yet");
    pick_spring(&mut harness);
    crate::common::step_until(&mut harness, "the history read", |h| {
        h.query_by_label_contains("No size yet in 1 looks")
            .is_some()
    });
    let lookalike = harness.get_by_label("Create lookalike...");
    assert!(
        lookalike.accesskit_node().is_disabled(),
        "a seed must be READY"
    );
    harness.get_by_label_contains("no reach until the audience is ready");
}

#[test]
fn the_account_picker_and_the_setup_guide() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (mut harness, _world, _dir) = audiences_screen(&runtime, 0);
    harness.get_by_label("EU").click();
    harness.run_steps(2);
    harness.get_by_label("Pick from my ad accounts...").click();
    crate::common::step_until(&mut harness, "the accounts", |h| {
        h.query_by_label("Pick the ad account").is_some()
    });
    harness
        .get_by_role_and_label(Role::ComboBox, "Pick the ad account")
        .click();
    harness.run_steps(2);
    harness.get_by_label("Agency Reporting (549755885176): ANALYST, cannot upload");
    harness
        .get_by_label(&format!(
            "Audience Desk Demo EU ({SISTER_AD_ACCOUNT}): ADMIN, can upload"
        ))
        .click();
    harness.run_steps(2);
    assert_eq!(harness.state().state.form.ad_account_id, SISTER_AD_ACCOUNT);
    harness.check_accessibility();

    harness.get_by_label("New connection").click();
    harness.run_steps(2);
    let redirect = harness.state().state.redirect_uri.clone();
    assert!(redirect.starts_with("http://localhost:"), "{redirect}");
    harness.get_by_label(&redirect);
    harness.get_by_label_contains("ads:read, ads:write, user_accounts:read");
    harness.get_by_label_contains("The secret is kept in");
    harness.get_by_label("Copy").click();
    harness.run_steps(2);
    harness.get_by_label_contains("Copied http://localhost:");
    harness.check_accessibility();
}

#[test]
fn hide_identities_masks_the_raw_and_normalized_values() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (mut harness, _sim, _home) = crate::common::ready_to_upload(&runtime, |home| {
        let path = home.join("private.csv");
        std::fs::write(&path, "email\nSecret.Person@Example.com\n").unwrap();
        path
    });
    harness.get_by_label("secret.person@example.com");
    harness.get_by_label("Hide identities").click();
    harness.run_steps(2);
    assert!(harness.state().state.hide_identities);
    assert!(
        harness
            .query_by_label("secret.person@example.com")
            .is_none()
    );
    assert!(harness.query_all_by_label("(hidden)").count() >= 2);
    // The digest stays (its first characters; all of it on hover).
    harness.get_by_label_contains(
        &audience_desk::identity::sha256("secret.person@example.com").to_hex()[..12],
    );
}
