//! Any rows of a file, read again on demand, so the preview's table scrolls through the whole
//! file without holding it in memory. The full pass notes where every `MARK_EVERY`-th data
//! row starts; a page is read from the nearest mark.

use std::io::{self, Read, Seek, SeekFrom};

use super::format::{field, is_blank};
use super::open::{bom_len, open_stream};
use super::records::RecordReader;
use super::{Preview, SampleRow, SourceError, TextEncoding};
use crate::identity::Reason;

/// Data rows between two marks: at most this many are read and dropped to reach a row.
pub const MARK_EVERY: u64 = 1024;

/// Where a data row starts in the text stream, and on which line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Mark {
    offset: u64,
    line: u64,
}

/// The data rows of a file (header and blank lines left out) and where some of them start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RowIndex {
    rows: u64,
    marks: Vec<Mark>,
    /// Whether an offset is also a file position (less a byte-order mark). Not in UTF-16,
    /// whose text is decoded: then a page is reached by reading the stream from the top.
    seekable: bool,
}

impl RowIndex {
    pub(crate) fn new(encoding: TextEncoding) -> Self {
        RowIndex {
            rows: 0,
            marks: Vec::new(),
            seekable: matches!(encoding, TextEncoding::Utf8 | TextEncoding::Utf8Bom),
        }
    }

    /// Counts one data row, which starts at stream `offset` on `line`.
    pub(crate) fn note(&mut self, offset: u64, line: u64) {
        if self.rows.is_multiple_of(MARK_EVERY) {
            self.marks.push(Mark { offset, line });
        }
        self.rows += 1;
    }

    pub fn rows(&self) -> u64 {
        self.rows
    }
}

/// Data rows `first..first + count` (counted from 0) as the preview shows them; fewer at the
/// end of the file.
pub fn read_rows(
    preview: &Preview,
    index: &RowIndex,
    first: u64,
    count: usize,
) -> Result<Vec<SampleRow>, SourceError> {
    let Some(&mark) = index.marks.get((first / MARK_EVERY) as usize) else {
        return Ok(Vec::new());
    };
    let path = &preview.path;
    let io_error = |e| SourceError::io(path, e);
    let encoding = preview.format.encoding;
    let stream: Box<dyn Read> = if index.seekable {
        let mut file = super::open::open_file(path)?;
        file.seek(SeekFrom::Start(bom_len(encoding) as u64 + mark.offset))
            .map_err(io_error)?;
        Box::new(file)
    } else {
        let (mut stream, _) = open_stream(path, encoding)?;
        io::copy(&mut (&mut stream).take(mark.offset), &mut io::sink()).map_err(io_error)?;
        stream
    };
    let mut reader = RecordReader::resume(
        stream,
        preview.format.delimiter.byte(),
        mark.offset,
        mark.line,
    );
    let mut record = csv::ByteRecord::new();
    let mut skip = first - (first / MARK_EVERY) * MARK_EVERY;
    let mut rows: Vec<(u64, Vec<String>, Option<Reason>)> = Vec::with_capacity(count);
    while rows.len() < count {
        let Some(span) = reader.read(&mut record).map_err(io_error)? else {
            break;
        };
        if is_blank(&record) {
            continue;
        }
        if skip > 0 {
            skip -= 1;
            continue;
        }
        let fields = (0..record.len())
            .map(|i| String::from_utf8_lossy(field(&record, i)).into_owned())
            .collect();
        rows.push((span.line, fields, span.problem));
    }
    Ok(preview.sample_of(
        rows.iter()
            .map(|(line, fields, problem)| (*line, fields.as_slice(), *problem)),
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::*;
    use crate::source::{CellStatus, PreviewOptions, scan};

    const ROWS: u64 = 5000;

    /// A header, then `ROWS` rows; a blank line every 700 rows and a name spanning two lines
    /// every 1,000, so lines and rows drift apart.
    fn text() -> String {
        let mut text = String::from("email,name\n");
        for i in 0..ROWS {
            if i % 700 == 0 {
                text.push('\n');
            }
            if i % 1000 == 0 {
                text += &format!("User{i}@Example.com,\"two\nlines\"\n");
            } else {
                text += &format!("User{i}@Example.com,n{i}\n");
            }
        }
        text
    }

    fn indexed(bytes: &[u8]) -> (tempfile::TempDir, Preview, RowIndex) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rows.csv");
        std::fs::write(&path, bytes).unwrap();
        let preview = Preview::load(&path, &PreviewOptions::default()).unwrap();
        let plan = preview
            .scan_plan(&crate::source::MemoryBudget::in_home(dir.path()))
            .unwrap();
        let output = scan(&plan, &mut |_| {}, &mut |_| {}, &AtomicBool::new(false)).unwrap();
        (dir, preview, output.index)
    }

    fn raw_emails(rows: &[SampleRow]) -> Vec<String> {
        rows.iter().map(|r| r.cells[0].raw.clone()).collect()
    }

    fn check_pages(preview: &Preview, index: &RowIndex) {
        assert_eq!(index.rows(), ROWS);
        for first in [0, 1, 1023, 1024, 1025, 2999, 4096] {
            let rows = read_rows(preview, index, first, 3).unwrap();
            let expected: Vec<String> = (first..first + 3)
                .map(|i| format!("User{i}@Example.com"))
                .collect();
            assert_eq!(raw_emails(&rows), expected, "rows from {first}");
            assert!(rows.iter().all(|r| r.cells[0].status == CellStatus::Valid));
        }
        // The first page agrees with the preview, line numbers included.
        let first = read_rows(preview, index, 0, 100).unwrap();
        assert_eq!(first, preview.rows);
        // Line numbers count the header, the blank lines (before rows 0 and 700) and the
        // second lines of rows 0 and 1000.
        let row = &read_rows(preview, index, 1001, 1).unwrap()[0];
        assert_eq!(row.line, 1 + 1001 + 1 + 2 + 2);
        // At the end: what is left, then nothing.
        assert_eq!(read_rows(preview, index, ROWS - 2, 10).unwrap().len(), 2);
        assert!(
            read_rows(preview, index, ROWS + 5000, 10)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn any_row_is_read_again_from_its_mark() {
        let (_dir, preview, index) = indexed(text().as_bytes());
        assert!(index.seekable);
        check_pages(&preview, &index);
    }

    #[test]
    fn a_byte_order_mark_is_skipped_when_seeking() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(text().as_bytes());
        let (_dir, preview, index) = indexed(&bytes);
        check_pages(&preview, &index);
    }

    #[test]
    fn utf16_is_read_from_the_top() {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text().encode_utf16().flat_map(u16::to_le_bytes));
        let (_dir, preview, index) = indexed(&bytes);
        assert!(!index.seekable);
        check_pages(&preview, &index);
    }

    #[test]
    fn a_line_over_the_bound_is_reported_and_later_rows_still_line_up() {
        let mut text = String::from("email,name\n");
        for i in 0..ROWS {
            if i == 10 {
                text += &format!(
                    "User{i}@Example.com,{}\n",
                    "x".repeat(crate::source::MAX_LINE_BYTES + 10)
                );
            } else {
                text += &format!("User{i}@Example.com,n{i}\n");
            }
        }
        let (_dir, preview, index) = indexed(text.as_bytes());
        assert!(index.seekable, "a skipped line moves nothing after it");
        let rows = read_rows(&preview, &index, 9, 3).unwrap();
        assert_eq!(rows[1].problem, Some(Reason::LineTooLong));
        assert_eq!(rows[2].cells[0].raw, "User11@Example.com");
        let later = read_rows(&preview, &index, 4000, 1).unwrap();
        assert_eq!(raw_emails(&later), ["User4000@Example.com"]);
    }
}
