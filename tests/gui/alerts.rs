//! The Alerts screen through kittest on the real core: a webhook added from the form, a test
//! message that reaches a receiver on loopback and shows as the place's last delivery, a mail
//! relay refused before anything is kept, and a place removed after a confirmation.

use std::sync::Arc;

use audience_desk::gui::{App, NoDialog};
use eframe::egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use crate::common::receivers::Webhook;
use crate::common::step_until;

fn type_into(harness: &mut egui_kittest::Harness<'static, App>, field: &str, text: &str) {
    let role = match field {
        "Relay password" => Role::PasswordInput,
        _ => Role::TextInput,
    };
    crate::common::type_into(harness, role, field, text);
}

#[test]
fn a_webhook_is_added_tested_and_removed_from_the_alerts_screen() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let world = runtime.block_on(crate::common::world());
    let webhook = runtime.block_on(Webhook::start());
    let app = App::with_core(Arc::new(NoDialog), Ok(world.core), None);
    let mut harness = crate::common::harness(app);
    harness.run_steps(2);
    harness.get_by_label("Alerts").click();
    harness.run_steps(2);
    step_until(&mut harness, "the places read", |h| {
        h.query_by_label_contains("Nowhere yet").is_some()
    });
    harness.get_by_label_contains("Paste the webhook's address first.");

    type_into(&mut harness, "Webhook address", &webhook.url);
    type_into(&mut harness, "Name (optional)", "team chat");
    harness.check_accessibility();
    harness.get_by_label("Add").click();
    step_until(&mut harness, "the place listed", |h| {
        h.state().state.alerts.destinations.len() == 1
    });
    harness.run_steps(2);
    harness.get_by_label("team chat");
    assert!(
        harness.query_by_label_contains("secretkey").is_none(),
        "the webhook's key is never shown"
    );
    harness.get_by_label("nothing sent yet");

    harness.get_by_label("Send a test message").click();
    step_until(&mut harness, "the test's outcome", |h| {
        h.query_by_label("'team chat': the test message was taken.")
            .is_some()
    });
    assert_eq!(webhook.events(), ["test"]);
    step_until(&mut harness, "the delivery shown", |h| {
        h.query_by_label("nothing sent yet").is_none()
            && h.query_by_label_contains("(delivered to 1 of 1)").is_some()
    });
    harness.check_accessibility();

    // A relay login over plain SMTP to another machine is refused, and nothing is kept.
    harness.get_by_label("Email").click();
    harness.run_steps(2);
    harness.get_by_label_contains("Type the address first.");
    type_into(&mut harness, "Send to", "ops@example.com");
    type_into(
        &mut harness,
        "Mail relay (host:port)",
        "smtp.example.com:25",
    );
    type_into(&mut harness, "Relay login (optional)", "ops");
    type_into(&mut harness, "Relay password", "hunter2");
    harness.check_accessibility();
    harness.get_by_label("Add").click();
    step_until(&mut harness, "the refusal", |h| {
        h.query_by_label_contains("would cross the network in clear")
            .is_some()
    });
    assert_eq!(harness.state().state.alerts.destinations.len(), 1);
    assert!(harness.query_by_label_contains("hunter2").is_none());

    harness.get_by_label("Remove...").click();
    harness.run_steps(2);
    harness.get_by_label("Remove 'team chat'").click();
    step_until(&mut harness, "the place gone", |h| {
        h.query_by_label_contains("Nowhere yet").is_some()
    });
}
