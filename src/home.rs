//! Where local state lives: `AUDIENCE_DESK_HOME`, or the platform's data directory.

use std::path::PathBuf;

pub const HOME_ENV: &str = "AUDIENCE_DESK_HOME";

pub fn home_dir() -> PathBuf {
    match std::env::var_os(HOME_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => dirs::data_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("audience-desk"),
    }
}

/// Seconds since the Unix epoch, the unit of every instant the app stores.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
