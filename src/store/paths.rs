//! File paths in the database, kept exactly: a path that is UTF-8 (nearly all) is stored as
//! text, readable by anyone looking at the database; any other is stored as its raw bytes,
//! so it is never rewritten into a different name.

use std::path::{Path, PathBuf};

use rusqlite::types::{Value, ValueRef};

pub(super) fn to_sql(path: &Path) -> Value {
    match path.to_str() {
        Some(text) => Value::Text(text.to_owned()),
        None => Value::Blob(path.as_os_str().as_encoded_bytes().to_vec()),
    }
}

pub(super) fn from_sql(value: ValueRef<'_>) -> PathBuf {
    match value {
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => from_bytes(bytes),
        ValueRef::Null | ValueRef::Integer(_) | ValueRef::Real(_) => PathBuf::new(),
    }
}

/// For JSON, which holds text: a name that is not UTF-8 is shown with replacement marks.
pub(super) fn lossy<S: serde::Serializer>(path: &Path, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&path.to_string_lossy())
}

#[cfg(unix)]
fn from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

/// Elsewhere only this version writes the bytes, from an `OsStr` of this platform; text
/// written by any version is UTF-8.
#[cfg(not(unix))]
fn from_bytes(bytes: &[u8]) -> PathBuf {
    match std::str::from_utf8(bytes) {
        Ok(text) => PathBuf::from(text),
        // SAFETY-free fallback: bytes this platform wrote come from `as_encoded_bytes`.
        Err(_) => PathBuf::from(String::from_utf8_lossy(bytes).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_name_that_is_not_utf8_comes_back_byte_for_byte() {
        use std::os::unix::ffi::OsStrExt;
        let db = rusqlite::Connection::open_in_memory().unwrap();
        db.execute("CREATE TABLE t (file TEXT)", []).unwrap();
        let odd = PathBuf::from(std::ffi::OsStr::from_bytes(b"/tmp/caf\xe9.csv"));
        for path in [odd, PathBuf::from("/tmp/café.csv")] {
            db.execute("DELETE FROM t", []).unwrap();
            db.execute("INSERT INTO t VALUES (?1)", [to_sql(&path)])
                .unwrap();
            let back = db
                .query_row("SELECT file FROM t", [], |row| {
                    Ok(from_sql(row.get_ref(0)?))
                })
                .unwrap();
            assert_eq!(back, path);
        }
    }
}
