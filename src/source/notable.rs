//! The rows worth a look: those with a problem (refused whole, or with a refused value) and
//! those with a value that came earlier in the file, found by reading the rows again as the
//! preview's table reads them, a block at a time. For the window's "problems only" and
//! "duplicates" views.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

use super::{CellStatus, Preview, RowIndex, SourceError, read_rows};

/// Rows read at once.
const BLOCK: usize = 4096;

/// Data rows, by number from 0, in file order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NotableRows {
    pub problems: Vec<u64>,
    pub duplicates: Vec<u64>,
    /// Repeats were looked for among the first this many identities only: what is kept to
    /// find them grows with the file, and stops there.
    pub duplicates_capped: Option<u64>,
}

/// Reads every row of the file once. Repeats are by digest and list type, as the upload
/// deduplicates them, among the first `cap` identities.
pub fn notable_rows(
    preview: &Preview,
    index: &RowIndex,
    cap: u64,
    cancel: &AtomicBool,
) -> Result<NotableRows, SourceError> {
    let mut found = NotableRows::default();
    // The first 16 bytes of a digest tell identities apart well enough for pointing at rows.
    let mut seen: [HashSet<[u8; 16]>; 3] = Default::default();
    let mut kept = 0u64;
    let mut first = 0u64;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return Err(SourceError::Cancelled);
        }
        let rows = read_rows(preview, index, first, BLOCK)?;
        if rows.is_empty() {
            return Ok(found);
        }
        for (at, row) in rows.iter().enumerate() {
            let number = first + at as u64;
            let refused = row.problem.is_some()
                || row
                    .cells
                    .iter()
                    .any(|c| matches!(c.status, CellStatus::Invalid(_)));
            if refused {
                found.problems.push(number);
            }
            let mut repeated = false;
            for cell in &row.cells {
                let list = preview.columns[cell.column].namespace.list_type();
                let (Some(list), Some(digest)) = (list, &cell.digest) else {
                    continue;
                };
                let mut key = [0u8; 16];
                if const_hex::decode_to_slice(&digest[..32], &mut key).is_err() {
                    continue;
                }
                let seen = &mut seen[list.index()];
                if seen.contains(&key) {
                    repeated = true;
                } else if kept < cap {
                    seen.insert(key);
                    kept += 1;
                } else {
                    found.duplicates_capped = Some(cap);
                }
            }
            if repeated {
                found.duplicates.push(number);
            }
        }
        first += rows.len() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{MemoryBudget, PreviewOptions, scan};

    #[test]
    fn problems_and_repeats_are_found_by_row() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("people.csv");
        let mut text = String::from("email\n");
        for i in 0..5000 {
            match i {
                10 | 4500 => text += "not-an-email\n",
                20 | 4999 => text += "person0@example.com\n",
                _ => text += &format!("person{i}@example.com\n"),
            }
        }
        std::fs::write(&path, text).unwrap();
        let preview = Preview::load(&path, &PreviewOptions::default()).unwrap();
        let plan = preview
            .scan_plan(&MemoryBudget::in_home(dir.path()))
            .unwrap();
        let index = scan(&plan, &mut |_| {}, &mut |_| {}, &AtomicBool::new(false))
            .unwrap()
            .index;
        let found = notable_rows(&preview, &index, 1_000_000, &AtomicBool::new(false)).unwrap();
        assert_eq!(found.problems, [10, 4500]);
        assert_eq!(found.duplicates, [20, 4999]);
        assert_eq!(found.duplicates_capped, None);
        let capped = notable_rows(&preview, &index, 3, &AtomicBool::new(false)).unwrap();
        assert_eq!(capped.duplicates_capped, Some(3));
    }
}
