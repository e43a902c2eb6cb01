//! The window: kittest on every screen, and the desktop tests (keyring, notifications, a real window) inside scripts/test.sh's session.

#[path = "../common/mod.rs"]
mod common;

mod after_upload;
mod alerts;
mod connections;
mod desktop;
mod errors;
mod lists;
mod preview;
mod privacy;
mod queries;
mod rule_audiences;
mod secrets;
mod syncs;
mod truth;
mod upload;
