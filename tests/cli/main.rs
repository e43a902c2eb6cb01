//! The binary as a user runs it: every command against the simulator, several processes on one home, hostile files, and the soak (ignored unless asked for).

#[path = "../common/mod.rs"]
mod common;

mod after_upload;
mod alerts;
mod connections;
mod erasure;
mod files;
mod hostile_files;
mod output_files;
mod packed_files;
mod privacy;
mod processes;
mod queries;
mod rule_audiences;
mod soak;
mod suppression;
mod syncs;
