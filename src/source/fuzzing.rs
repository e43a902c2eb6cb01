//! The reading stack on bytes in memory, for the fuzz targets in `fuzz/`: the same line bound,
//! decoder and record reader the full pass uses, without a file.

use std::io::Read;

use super::records::RecordReader;
use crate::identity::Reason;

/// One record as the reader gave it.
#[derive(Debug)]
pub struct Record {
    pub line: u64,
    pub next_line: u64,
    /// `LineTooLong` or `MalformedQuotes`: the record is empty and stands for its first line.
    pub problem: Option<Reason>,
    /// Each field is UTF-8 by the full pass's check.
    pub utf8: bool,
    pub fields: Vec<Vec<u8>>,
}

/// The text the reader saw (decoded from UTF-16 LE when `utf16`) and the records it read
/// from it, taking lines of at most `line_limit` bytes.
pub fn read(
    input: &[u8],
    delimiter: u8,
    utf16: bool,
    line_limit: usize,
) -> std::io::Result<(Vec<u8>, Vec<Record>)> {
    let text = if utf16 {
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend_from_slice(input);
        let mut text = Vec::new();
        super::open::decoder(&with_bom[..]).read_to_end(&mut text)?;
        text
    } else {
        input.to_vec()
    };
    let mut reader = RecordReader::new(&text[..], delimiter)
        .with_buffer(64)
        .with_line_limit(line_limit);
    let mut record = csv::ByteRecord::new();
    let mut records = Vec::new();
    while let Some(span) = reader.read(&mut record)? {
        records.push(Record {
            line: span.line,
            next_line: span.next_line,
            problem: span.problem,
            utf8: super::scan::first_bad_byte(&record).is_none(),
            fields: record.iter().map(<[u8]>::to_vec).collect(),
        });
    }
    Ok((text, records))
}
