//! The file a sync reads now: the named file, or a folder's newest match; what it looks like
//! on disk (to notice a change without reading it) and a digest of its bytes (to tell whether
//! its content changed).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use sha2::{Digest as _, Sha256};

use super::settings::Source;
use crate::store::FileSeen;

/// The file the source names now, with its size and modification time; a sentence for the
/// user when there is none.
///
/// A query is run now (this blocks for as long as it takes) and its result is the file; the
/// result stays until the query is run again.
pub fn current(source: &Source) -> Result<(PathBuf, FileSeen), String> {
    let path = match source {
        Source::File(path) => path.clone(),
        Source::Folder { dir, pattern } => newest_match(dir, pattern)?,
        Source::Query(query) => query_result(query)?,
    };
    let seen = look(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok((path, seen))
}

/// The latest result of each query this process ran, kept while a run reads it.
static RESULTS: std::sync::Mutex<Vec<(crate::source::Query, crate::source::QueryResult)>> =
    std::sync::Mutex::new(Vec::new());

/// Runs the query and keeps its result (in place of the one before) for the run to read.
fn query_result(query: &crate::source::Query) -> Result<PathBuf, String> {
    let result = crate::source::run_query(query).map_err(|e| e.to_string())?;
    let path = result.csv.clone();
    // Invariant: nothing panics while this lock is held.
    let mut kept = RESULTS.lock().expect("query results");
    // Only this query's earlier result goes: another sync's on the same database may still
    // be read.
    kept.retain(|(q, _)| q != query);
    kept.push((query.clone(), result));
    Ok(path)
}

/// The file's size and modification time now.
pub(super) fn look(path: &Path) -> std::io::Result<FileSeen> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other("it is not a file"));
    }
    let modified_ms = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_millis() as i64);
    Ok(FileSeen {
        path: path.display().to_string(),
        size: meta.len() as i64,
        modified_ms,
    })
}

/// The most recently modified file in `dir` whose name matches `pattern` (ties go to the
/// greater name, so the choice does not depend on the order the folder lists them in).
fn newest_match(dir: &Path, pattern: &str) -> Result<PathBuf, String> {
    let glob = glob::Pattern::new(pattern)
        .map_err(|e| format!("'{pattern}' is not a file-name pattern: {e}"))?;
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?;
    let mut newest: Option<(std::time::SystemTime, PathBuf)> = None;
    for entry in entries.flatten() {
        // A name that is not UTF-8 is matched as shown (its odd bytes as U+FFFD) and read
        // by its real name, not skipped unsaid.
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Names a writer uses while a file is not yet whole.
        if name.starts_with('.') || !glob.matches(&name) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let modified = meta.modified().unwrap_or(UNIX_EPOCH);
        let path = entry.path();
        if newest
            .as_ref()
            .is_none_or(|(t, p)| (modified, &path) > (*t, p))
        {
            newest = Some((modified, path));
        }
    }
    newest.map(|(_, path)| path).ok_or_else(|| {
        format!(
            "no file in {} matches {pattern} yet; nothing was sent",
            dir.display()
        )
    })
}

/// The file as it is once it has not changed (size, modification time) for `settle`: at
/// once for a file last modified longer ago than that. Gives up, with a sentence, after a
/// few minutes of a file that keeps changing.
pub async fn settled(
    path: &Path,
    mut seen: FileSeen,
    settle: std::time::Duration,
) -> Result<FileSeen, String> {
    let settle_ms = settle.as_millis() as i64;
    let started = std::time::Instant::now();
    let mut still_since = std::time::Instant::now();
    loop {
        let age_ms = std::time::SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64)
            - seen.modified_ms;
        if age_ms >= settle_ms || still_since.elapsed() >= settle {
            return Ok(seen);
        }
        if started.elapsed() >= std::time::Duration::from_secs(300) {
            return Err(format!(
                "{} kept changing for five minutes; nothing was sent (the next run tries again)",
                path.display()
            ));
        }
        tokio::time::sleep(settle / 6).await;
        let now = look(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if now != seen {
            seen = now;
            still_since = std::time::Instant::now();
        }
    }
}

/// SHA-256 of the file's bytes, as lowercase hex.
pub fn content_digest(path: &Path) -> std::io::Result<String> {
    let mut file = crate::home::open_regular(path).map_err(|refused| match refused {
        crate::home::NotRegular::Io(e) => e,
        crate::home::NotRegular::Kind(_) => std::io::Error::other("it is not a regular file"),
    })?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buffer[..read]);
    }
    Ok(const_hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_gives_its_newest_matching_file() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, age_s: u64| {
            let path = dir.path().join(name);
            std::fs::write(&path, name).unwrap();
            let when = std::time::SystemTime::now() - std::time::Duration::from_secs(age_s);
            std::fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(when)
                .unwrap();
        };
        write("export-1.csv", 300);
        write("export-2.csv", 100);
        write("notes.txt", 0);
        write(".export-3.csv", 0);
        let source = Source::Folder {
            dir: dir.path().to_owned(),
            pattern: "export-*.csv".into(),
        };
        let (path, seen) = current(&source).unwrap();
        assert_eq!(path, dir.path().join("export-2.csv"));
        assert_eq!(seen.size, 12);
        let none = Source::Folder {
            dir: dir.path().to_owned(),
            pattern: "*.tsv".into(),
        };
        assert!(current(&none).unwrap_err().contains("matches *.tsv"));
    }

    #[tokio::test]
    async fn a_file_just_written_is_read_once_it_has_been_still_for_the_settle_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "a").unwrap();
        let seen = look(&path).unwrap();
        let settle = std::time::Duration::from_millis(300);
        let writer = {
            let path = path.clone();
            tokio::spawn(async move {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                std::fs::write(&path, "abc").unwrap();
            })
        };
        let started = std::time::Instant::now();
        let still = settled(&path, seen, settle).await.unwrap();
        writer.await.unwrap();
        assert_eq!(still.size, 3, "the file as it was once still");
        assert!(started.elapsed() >= settle);
        // An old file: at once.
        let old = FileSeen {
            modified_ms: 0,
            ..still
        };
        let at_once = std::time::Instant::now();
        settled(&path, old, settle).await.unwrap();
        assert!(at_once.elapsed() < settle);
    }

    #[test]
    fn the_content_digest_is_sha256_of_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "abc").unwrap();
        assert_eq!(
            content_digest(&path).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
