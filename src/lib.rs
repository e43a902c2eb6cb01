//! Audience Desk: customer files into Pinterest customer lists and audiences.
//!
//! The core is free of UI code: `identity` holds the rules, `source` reads files, `prepare`
//! writes what would be sent; the command line (`cli`) and the desktop app (`gui`) drive them.

pub mod cli;
pub mod demo;
pub mod gui;
pub mod identity;
pub mod prepare;
pub mod source;
