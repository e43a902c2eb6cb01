//! Workbooks, ZIP archives and gzip files over arbitrary bytes, as a user's file: written to
//! disk, then opened as the preview opens any file (recognized by content, expanded, read).
//! Properties: no panic, no hang (expansion is bounded); a refusal names the file; a preview
//! that loads has no row wider than its columns, and what it says it read is a packed kind.
#![no_main]

use std::sync::OnceLock;

use audience_desk::source::{Part, Preview, PreviewOptions};
use libfuzzer_sys::fuzz_target;

static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let Some((&settings, bytes)) = data.split_first() else {
        return;
    };
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("a scratch folder"));
    audience_desk::source::set_expansion_root(dir.path());
    let path = dir.path().join("customers.dat");
    std::fs::write(&path, bytes).expect("written");
    // Now and then a part is named, so that the lookups by name run too.
    let part = match settings % 4 {
        1 => Part { sheet: Some("Sheet1".into()), member: None },
        2 => Part { sheet: None, member: Some("a.csv".into()) },
        _ => Part::default(),
    };
    let options = PreviewOptions { part, ..PreviewOptions::default() };
    match Preview::load(&path, &options) {
        Ok(preview) => {
            for row in &preview.rows {
                assert!(row.cells.len() <= preview.columns.len(), "{row:?}");
            }
            if let Some(read) = &preview.unpacked {
                assert!(["gzip file", "ZIP archive", "workbook"].contains(&read.kind));
            }
        }
        Err(error) => {
            let said = error.to_string();
            assert!(said.contains("customers.dat"), "{said}");
        }
    }
    // Each input is a new file: no copy of the last one is reused.
    audience_desk::source::forget_expanded();
});
