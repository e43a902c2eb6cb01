//! Audience Desk: customer files into Pinterest customer lists and audiences.
//!
//! The core is free of UI code: `identity` holds the rules, `source` reads files, `prepare`
//! writes what would be sent; the command line (`cli`) and the desktop app (`gui`) drive them.

pub mod app_core;
pub mod audiences;
pub mod cli;
pub mod demo;
pub mod display;
pub mod gui;
pub mod home;
pub mod identity;
pub mod pinterest;
pub mod prepare;
pub mod sim;
pub mod source;
pub mod store;
pub mod syncs;
pub mod upload;
