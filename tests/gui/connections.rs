//! The connection screens through kittest, on the real core, against the simulator.

use std::sync::Arc;

use audience_desk::context::Core;
use audience_desk::gui::{App, FixedPicker};
use audience_desk::pinterest::Endpoints;
use audience_desk::sim::{OWNED_AD_ACCOUNT, SimConfig, SimHandle};
use audience_desk::store::FileSecrets;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

fn type_into(harness: &mut Harness<'_, App>, label: &str, text: &str) {
    let role = if label == "App secret" {
        Role::PasswordInput
    } else {
        Role::TextInput
    };
    harness.get_by_role_and_label(role, label).focus();
    harness.step();
    harness.get_by_role_and_label(role, label).type_text(text);
    harness.step();
}

#[test]
fn create_connect_and_see_the_countdown_and_a_reconnect() {
    // The app opens the login page as it does for a user: with the program in BROWSER, here
    // a script that follows the login redirects to the app's listener.
    let scripts = tempfile::tempdir().unwrap();
    let browser = crate::common::browser_script(scripts.path());
    // SAFETY: this binary's only test sets it first, before any other thread exists.
    unsafe { std::env::set_var("BROWSER", &browser) };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let redirect =
        url::Url::parse(&format!("http://localhost:{}/", crate::common::free_port())).unwrap();
    let sim = runtime
        .block_on(SimHandle::start(
            SimConfig {
                redirect_uris: vec![redirect.to_string()],
                ..SimConfig::default()
            },
            0,
        ))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let core = Core::with(
        home.path(),
        Endpoints::simulator(&sim.url, redirect),
        Arc::new(FileSecrets::new(home.path().join("secrets.json"))),
        None,
    )
    .map_err(anyhow::Error::from);
    let app = App::with_core(Arc::new(FixedPicker(None)), core, None);
    let mut harness = crate::common::harness(app);
    harness.run_steps(2);
    harness.get_by_label("New connection").click();
    harness.run_steps(2);
    type_into(&mut harness, "Name", "EU");
    type_into(&mut harness, "Ad Account ID", "12ab");
    harness.get_by_label_contains("must be digits only");
    harness
        .get_by_role_and_label(Role::TextInput, "Ad Account ID")
        .focus();
    harness.step();
    for _ in 0..4 {
        harness.key_press(eframe::egui::Key::Backspace);
        harness.step();
    }
    type_into(&mut harness, "Ad Account ID", OWNED_AD_ACCOUNT);
    type_into(&mut harness, "App ID", "1500000");
    type_into(&mut harness, "App secret", "sim-secret");
    assert!(
        harness.query_by_label("sim-secret").is_none(),
        "the secret is masked"
    );
    harness.get_by_label("Save").click();
    crate::common::step_until(&mut harness, "the saved connection", |h| {
        h.query_by_label_contains("Saved 'EU'").is_some()
    });
    crate::common::step_until(&mut harness, "its state", |h| {
        h.query_all_by_label("not connected").next().is_some()
    });

    harness.get_by_label("Connect").click();
    crate::common::step_until(&mut harness, "the login result", |h| {
        h.query_by_label_contains("Connected as sim_admin")
            .is_some()
    });
    harness.get_by_label_contains("roles: OWNER");
    harness.check_accessibility();
    crate::common::step_until(&mut harness, "the countdown", |h| {
        h.query_all_by_label_contains("token expires in 30 days")
            .next()
            .is_some()
    });

    // The ad account's lists, fetched in the background.
    harness.get_by_label("Lists and audiences").click();
    crate::common::step_until(&mut harness, "the lists", |h| {
        h.query_by_label("Customer lists").is_some()
            && h.query_all_by_label("None yet.").count() == 2
    });
    harness.get_by_label("EU").click();
    harness.run_steps(2);

    // Pinterest refuses the refresh token: the next call marks the connection.
    sim.revoke_refresh_tokens();
    sim.expire_access_tokens();
    let core = Core::with(
        home.path(),
        Endpoints::simulator(&sim.url, url::Url::parse("http://localhost:1/").unwrap()),
        Arc::new(FileSecrets::new(home.path().join("secrets.json"))),
        None,
    )
    .unwrap();
    let refused = runtime.block_on(async { core.client("EU").await.unwrap().user_account().await });
    assert!(refused.is_err());
    crate::common::step_until(&mut harness, "reconnect required", |h| {
        h.query_all_by_label("reconnect required").next().is_some()
    });
    // One truth on every screen: the connection's own says so with the reason and promises
    // no expiry for tokens Pinterest refuses; the Audiences screen says it too.
    harness.get_by_label("'EU' must log in to Pinterest again");
    assert!(
        harness
            .query_all_by_label_contains("Pinterest refused the refresh token")
            .next()
            .is_some()
    );
    assert!(harness.query_by_label("Access token expires").is_none());
    harness.get_by_label("Reconnect");
    harness.check_accessibility();
    harness.get_by_label("Audiences").click();
    harness.run_steps(2);
    harness.get_by_label("'EU' must log in to Pinterest again");
    crate::common::step_until(&mut harness, "the warning in the corner", |h| {
        h.query_all_by_label_contains("needs a reconnect")
            .next()
            .is_some()
    });

    // Reconnect from where the banner is: the banner, the warning and the refusal go, and the
    // app says it reconnected.
    harness.get_by_label("Reconnect").click();
    crate::common::step_until(&mut harness, "reconnected", |h| {
        h.query_by_label("Reconnected 'EU'.").is_some()
    });
    crate::common::step_until(&mut harness, "the states read again", |h| {
        h.query_by_label("'EU' must log in to Pinterest again")
            .is_none()
    });
    assert!(
        harness
            .query_all_by_label_contains("needs a reconnect")
            .next()
            .is_none(),
        "the warning about it is resolved"
    );
    harness.get_by_label("EU").click();
    harness.run_steps(2);
    harness.get_by_label_contains("(in 30 days)");
}
