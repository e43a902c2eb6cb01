//! Audience Desk: customer files into Pinterest customer lists and audiences.
//!
//! The modules form layers, each using only its own layer and those listed before it (`tests/engine/layers.rs`
//! holds the tree to this order as `docs/architecture.md` states it, and no module folder may
//! import its siblings in a circle):
//!
//! 1. `os`, `display`, `remedy`: the clock, processes, disk; how numbers and times read;
//!    the ways out of errors, as data.
//! 2. `identity`: the rules, pure.
//! 3. `home`: where local state lives and how it is written.
//! 4. `source`, `prepare`: files read as streams; digests written for a dry look.
//! 5. `store`: the database and the secret store.
//! 6. `pinterest`: the only code that speaks HTTP to Pinterest.
//! 7. `context`: the `Core` every feature takes, its sessions, limiters, store and secrets.
//! 8. `upload`, `audiences`, `syncs`, `privacy`: the features, each a set of functions taking
//!    `&Core`.
//! 9. `overview`, `alerts`: what both faces list, read across the features; alerts outside
//!    the app about what happens to them.
//! 10. `sim`, `demo`: the Pinterest simulator, and the demo built on it.
//! 11. `cli`, `gui`: the two faces.

pub mod os;

pub mod display;
pub mod remedy;

pub mod identity;

pub(crate) mod home;

pub mod prepare;
pub mod source;

pub mod store;

pub mod pinterest;

pub mod context;

pub mod audiences;
pub mod privacy;
pub mod syncs;
pub mod upload;

pub mod alerts;
pub mod overview;

pub mod demo;
pub mod sim;

pub mod cli;
pub mod gui;

pub use context::Core;
