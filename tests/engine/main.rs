//! The core against the simulator on loopback: the upload engine, syncs, audiences, the OAuth flow, memory bounds, hostile servers, and the contract with the official description.

#[path = "../common/mod.rs"]
mod common;

mod audience_health;
mod bounded_memory;
mod contract;
mod hostile_server;
mod layers;
mod pinterest_oauth;
mod removal_guard;
mod simulator;
mod syncs_engine;
mod upload_engine;
mod wording;
