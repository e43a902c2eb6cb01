//! What the app asks of the operating system beside files: the clock, which process this is
//! and whether another one still runs, the machine's name, and free disk space.

use std::fs;
use std::path::Path;

/// Seconds since the Unix epoch, the unit of every instant the app stores.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Who this process is, for the user: "the desktop app" or "`audience-desk resume`", with its
/// process id and machine, so a refusal can say who holds a job.
pub fn process_owner() -> String {
    let mut args = std::env::args();
    let program = args
        .next()
        .and_then(|p| {
            Path::new(&p)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "audience-desk".into());
    let face = match args.next() {
        _ if program != "audience-desk" => format!("`{program}`"),
        Some(command) if !command.starts_with('-') && command != "gui" => {
            format!("`audience-desk {command}`")
        }
        _ => "the desktop app".into(),
    };
    format!("{face} (pid {} on {})", std::process::id(), host_name())
}

/// This machine's name, or a stand-in where it cannot be read.
pub fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "this machine".into())
}

/// Whether process `pid` on this machine has ended. Only Linux can tell (from /proc); elsewhere
/// the answer is "no", and a holder is judged by its heartbeat alone.
pub fn process_gone(pid: u32) -> bool {
    if !cfg!(target_os = "linux") || pid == std::process::id() {
        return false;
    }
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // A zombie has ended; only its parent has not collected it yet. The state follows the
        // command name, which is in parentheses and may hold spaces.
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with(['Z', 'X'])),
        Err(_) => true,
    }
}

/// Bytes free for this user on the file system holding `path`; `None` where that cannot be
/// told.
pub fn free_space(path: &Path) -> Option<u64> {
    #[cfg(unix)]
    {
        let stats = rustix::fs::statvfs(path).ok()?;
        Some(stats.f_bavail.saturating_mul(stats.f_frsize))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_finished_one_is_gone() {
        assert!(!process_gone(std::process::id()));
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        if cfg!(target_os = "linux") {
            assert!(process_gone(pid));
        }
    }
}
