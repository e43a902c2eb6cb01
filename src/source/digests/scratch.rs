//! The memory a pass's digests may take, and the scratch folder in the home where they go
//! past it: made per process, removed when done, and cleared at the next pass after a crash.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::ENTRY;
use crate::source::SourceError;

/// Memory for the digests of one pass, in bytes, when `AUDIENCE_DESK_MEMORY_MIB` says nothing.
pub const DEFAULT_MEMORY_MIB: usize = 512;

/// How much memory the pass's digests may take, and where they go past that.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryBudget {
    pub bytes: usize,
    /// The folder scratch folders are made in (`HOME/tmp`).
    pub scratch_root: PathBuf,
}

impl MemoryBudget {
    /// `AUDIENCE_DESK_MEMORY_MIB` (default 512), scratch folders in `home`'s `tmp` folder.
    pub fn in_home(home: &Path) -> Self {
        let mib = std::env::var("AUDIENCE_DESK_MEMORY_MIB")
            .ok()
            .and_then(|v| v.trim().parse::<usize>().ok())
            .filter(|&m| m > 0)
            .unwrap_or(DEFAULT_MEMORY_MIB);
        MemoryBudget {
            bytes: mib.saturating_mul(1 << 20),
            scratch_root: home.join("tmp"),
        }
    }

    /// How many digests fit.
    pub(in crate::source) fn entries(&self) -> usize {
        (self.bytes / ENTRY).max(1)
    }
}

/// A scratch folder of this process under the budget's root, removed when dropped. A crash
/// leaves it behind; `remove_abandoned` removes it at the next pass.
#[derive(Debug)]
pub struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    pub(in crate::source) fn new(root: &Path) -> io::Result<Scratch> {
        remove_abandoned(root);
        crate::home::private_dir(root)?;
        let suffix: u64 = rand::random();
        let dir = root.join(format!("scan-{}-{suffix:016x}", std::process::id()));
        crate::home::private_dir(&dir)?;
        Ok(Scratch { dir })
    }

    pub(in crate::source) fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let started = std::time::Instant::now();
        let removed = fs::remove_dir_all(&self.dir);
        tracing::debug!(
            secs = started.elapsed().as_secs_f64(),
            "scratch folder removed"
        );
        if let Err(e) = removed {
            tracing::warn!(
                "cannot remove the scratch folder {}: {e}",
                self.dir.display()
            );
        }
    }
}

/// The scratch disk a whole file will want, projected at its first spill from the digests
/// held and the bytes read so far: 33 bytes an entry in the partitions, and at most 8 more for
/// the place of a repeat.
pub(in crate::source) fn scratch_needed(held: usize, read: u64, total: u64) -> u64 {
    let read = read.max(1);
    let share = total.max(read) as f64 / read as f64;
    (held as f64 * share) as u64 * (ENTRY as u64 + 8)
}

/// Refuses a pass whose scratch disk lacks the room it will want, before it writes any.
pub(in crate::source) fn check_room(
    dir: &Path,
    needed: u64,
    free: Option<u64>,
) -> Result<(), SourceError> {
    match free {
        Some(free) if free < needed => Err(SourceError::NoScratchSpace {
            dir: dir.to_owned(),
            needed,
            free,
        }),
        _ => Ok(()),
    }
}

/// Free space where `dir` is or will be (its nearest existing folder).
pub(in crate::source) fn free_near(dir: &Path) -> Option<u64> {
    dir.ancestors()
        .find(|p| p.exists())
        .and_then(crate::os::free_space)
}

/// Removes the scratch folders of processes that are gone (a crash, a kill).
pub fn remove_abandoned(root: &Path) {
    let Ok(entries) = fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let pid = name
            .to_str()
            .and_then(|n| n.strip_prefix("scan-"))
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        if pid.is_some_and(crate::os::process_gone) {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}
