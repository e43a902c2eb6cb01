//! Where local state lives (`AUDIENCE_DESK_HOME`, or the platform's data directory), and how
//! it is written: owner-only folders and files, and locks that hold across processes, since
//! the app, commands and scheduled runs share one home.

use std::fs::{self, File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};

pub const HOME_ENV: &str = "AUDIENCE_DESK_HOME";

/// The home, absolute: a relative `AUDIENCE_DESK_HOME` is taken from the folder this process
/// started in, once, so what it hands on (schedule hints, a job's files) names the same home
/// from anywhere.
pub fn home_dir() -> PathBuf {
    match std::env::var_os(HOME_ENV) {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            std::path::absolute(&dir).unwrap_or(dir)
        }
        _ => dirs::data_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("audience-desk"),
    }
}

/// Creates `dir` (and its parents) if needed and keeps it to its owner: mode 0700.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        // An existing folder keeps its mode through `create`; tighten it.
        let mode = fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    fs::create_dir_all(dir)
}

/// Options that create a file readable and writable by its owner only (0600) from its first
/// byte, not tightened afterwards.
pub fn private_options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// Makes sure `path` exists with mode 0600 (created so, or tightened if it was looser).
pub fn private_file(path: &Path) -> io::Result<()> {
    private_options().append(true).create(true).open(path)?;
    tighten(path)
}

/// Mode 0600 for an existing file; a missing one is left missing.
pub fn tighten(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match fs::symlink_metadata(path) {
            Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o077 != 0 => {
                fs::set_permissions(path, fs::Permissions::from_mode(0o600))
            }
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

/// What a file being written is called until it is whole: `.NAME.RANDOM.partial` beside it.
const PARTIAL: &str = ".partial";

/// A new file (mode 0600) beside `target`, created exclusively under a random name, so it is
/// never opened through a link someone planted at a name known in advance. Persisting it
/// renames it onto `target`, which replaces a link there rather than writing through it; one
/// dropped unpersisted is removed.
pub fn fresh_beside(target: &Path) -> io::Result<tempfile::NamedTempFile> {
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = target
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(PARTIAL);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o600));
    }
    builder.tempfile_in(dir)
}

/// Renames a whole `fresh_beside` file onto its target and makes the rename durable (the
/// folder synced), so a power cut cannot bring the old file back.
pub fn persist(file: tempfile::NamedTempFile, target: &Path) -> io::Result<()> {
    file.persist(target).map_err(|e| e.error)?;
    sync_dir(target)
}

/// Syncs the folder that holds `path`, where the system allows it.
pub fn sync_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Removes what interrupted runs left in `dir`: its `.NAME.*.partial` files for each of
/// `names`. Only regular files and links are removed (a link itself, never its target).
pub fn clear_partials(dir: &Path, names: &[String]) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let ours = names.iter().any(|name| {
            file_name.starts_with(&format!(".{name}.")) && file_name.ends_with(PARTIAL)
        });
        if ours
            && entry
                .file_type()
                .is_ok_and(|t| t.is_file() || t.is_symlink())
        {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Refuses a folder to write into that others could swap files in: one that is not the
/// user's, or that others may write to without the sticky bit (which keeps them from renaming
/// or removing what is not theirs).
pub fn check_output_dir(dir: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let meta = fs::metadata(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
        let me = fs::metadata("/proc/self").map(|m| m.uid()).ok();
        if me.is_some_and(|me| me != meta.uid()) {
            return Err(format!(
                "{} belongs to another user, who could replace what is written there; write \
                 to a folder of your own",
                dir.display()
            ));
        }
        if meta.mode() & 0o022 != 0 && meta.mode() & 0o1000 == 0 {
            return Err(format!(
                "{} can be written by other users (mode {:o}), who could replace what is \
                 written there; write to a folder only you can write to (chmod go-w)",
                dir.display(),
                meta.mode() & 0o7777
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Opens a file to read, never waiting on it: without blocking (a named pipe put in its place
/// would wait for a writer), then checked on the open handle, so what is read is what was
/// checked. Anything but a regular file is refused with its type.
pub fn open_regular(path: &Path) -> Result<File, NotRegular> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32);
    }
    let file = options.open(path).map_err(NotRegular::Io)?;
    let meta = file.metadata().map_err(NotRegular::Io)?;
    if meta.is_file() {
        Ok(file)
    } else {
        Err(NotRegular::Kind(meta.file_type()))
    }
}

/// Why `open_regular` refused a path.
#[derive(Debug)]
pub enum NotRegular {
    Io(io::Error),
    Kind(fs::FileType),
}

/// Replaces `path` with `bytes` atomically and durably: a `fresh_beside` file, synced, then
/// persisted over `path`.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut file = fresh_beside(path)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    persist(file, path)
}

/// An exclusive lock on a file in the home's `locks` folder, held until dropped. It excludes
/// other processes and, since each holder opens the file anew, other threads of this one.
#[derive(Debug)]
pub struct HomeLock {
    _file: File,
}

impl HomeLock {
    fn path(home: &Path, name: &str) -> io::Result<PathBuf> {
        let dir = home.join("locks");
        private_dir(&dir)?;
        Ok(dir.join(format!("{name}.lock")))
    }

    fn open(home: &Path, name: &str) -> io::Result<File> {
        let path = Self::path(home, name)?;
        private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
    }

    /// Waits for the lock, blocking the thread.
    pub fn acquire(home: &Path, name: &str) -> io::Result<HomeLock> {
        let file = Self::open(home, name)?;
        file.lock()?;
        Ok(HomeLock { _file: file })
    }

    /// Waits for the lock without blocking the async runtime.
    pub async fn acquire_async(home: &Path, name: &str) -> io::Result<HomeLock> {
        let file = Self::open(home, name)?;
        let file = tokio::task::spawn_blocking(move || file.lock().map(|()| file))
            .await
            .map_err(io::Error::other)??;
        Ok(HomeLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[cfg(unix)]
    #[test]
    fn folders_and_files_are_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        fs::create_dir(&home).unwrap();
        fs::set_permissions(&home, fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&home).unwrap();
        assert_eq!(mode(&home), 0o700);
        let loose = home.join("loose");
        fs::write(&loose, b"x").unwrap();
        fs::set_permissions(&loose, fs::Permissions::from_mode(0o644)).unwrap();
        private_file(&loose).unwrap();
        assert_eq!(mode(&loose), 0o600);
        assert_eq!(
            fs::read(&loose).unwrap(),
            b"x",
            "tightening keeps the content"
        );
        write_private(&home.join("new"), b"y").unwrap();
        assert_eq!(mode(&home.join("new")), 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn a_write_replaces_a_symlink_instead_of_following_it() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere");
        fs::write(&target, b"theirs").unwrap();
        let link = dir.path().join("secrets.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_private(&link, b"ours").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"theirs");
        assert!(!fs::symlink_metadata(&link).unwrap().is_symlink());
        assert_eq!(fs::read(&link).unwrap(), b"ours");
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .ends_with(".tmp")
            })
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn a_home_lock_excludes_other_holders_until_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = HomeLock::acquire(dir.path(), "x").unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        let home = dir.path().to_owned();
        let waiter = std::thread::spawn(move || {
            let _second = HomeLock::acquire(&home, "x").unwrap();
            sender.send(()).unwrap();
        });
        assert!(
            receiver
                .recv_timeout(std::time::Duration::from_millis(200))
                .is_err(),
            "the second holder waits"
        );
        drop(first);
        receiver
            .recv_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        waiter.join().unwrap();
    }
}
