//! Splits a stream into CSV records. Most lines of a customer export are split without a
//! byte-at-a-time state machine: a line is cut at delimiters found with memchr, and a quoted
//! field is closed by searching for the next quote. Anything that does not fit that simple
//! shape (a quoted field that spans lines, text after a closing quote) is parsed by
//! `csv_core`, the csv crate's own parser. Records end at `\n` only; see `format::field`.
//! A property test holds the result to the csv crate's reader.

use std::io::{self, Read};

use csv::ByteRecord;
use csv_core::ReadRecordResult;

/// Where a record sits: its first line, the line after its last, and the stream offset of
/// its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub line: u64,
    pub next_line: u64,
    pub offset: u64,
}

pub(crate) struct RecordReader<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    line: u64,
    /// Stream bytes before `buf[pos]`.
    consumed: u64,
    delimiter: u8,
    core: csv_core::Reader,
    fields: Vec<u8>,
    ends: Vec<usize>,
    unquoted: Vec<u8>,
}

impl<R: Read> RecordReader<R> {
    pub fn new(inner: R, delimiter: u8) -> Self {
        Self::resume(inner, delimiter, 0, 1)
    }

    /// A reader on a stream already positioned at `offset`, where line `line` starts: a
    /// record start that an earlier pass noted.
    pub fn resume(inner: R, delimiter: u8, offset: u64, line: u64) -> Self {
        RecordReader {
            inner,
            buf: vec![0; 1 << 20],
            pos: 0,
            end: 0,
            eof: false,
            line,
            consumed: offset,
            delimiter,
            core: csv_core::ReaderBuilder::new()
                .delimiter(delimiter)
                .terminator(csv_core::Terminator::Any(b'\n'))
                .build(),
            fields: vec![0; 4096],
            ends: vec![0; 64],
            unquoted: Vec::new(),
        }
    }

    /// Reads the next non-empty record; `None` at the end of the stream.
    pub fn read(&mut self, record: &mut ByteRecord) -> io::Result<Option<Span>> {
        loop {
            let available = &self.buf[self.pos..self.end];
            let line_end = match memchr::memchr(b'\n', available) {
                Some(i) => i,
                None if !self.eof => {
                    self.fill()?;
                    continue;
                }
                None if available.is_empty() => return Ok(None),
                None => available.len(),
            };
            let line = &available[..line_end];
            if line.is_empty() {
                self.advance(line_end + 1, 1);
                continue;
            }
            if split_line(line, self.delimiter, record, &mut self.unquoted) {
                let (first, offset) = (self.line, self.consumed);
                self.advance(line_end + 1, 1);
                return Ok(Some(Span {
                    line: first,
                    next_line: self.line,
                    offset,
                }));
            }
            if let Some(span) = self.read_with_core(record)? {
                return Ok(Some(span));
            }
        }
    }

    /// Parses one record that starts at `pos` with `csv_core`. `None` means the record runs
    /// past the buffered data: more was read, and the caller starts the record again.
    fn read_with_core(&mut self, record: &mut ByteRecord) -> io::Result<Option<Span>> {
        self.core.reset();
        let (mut consumed, mut out, mut n_ends) = (0, 0, 0);
        loop {
            let input = &self.buf[self.pos + consumed..self.end];
            let (result, nin, nout, nend) =
                self.core
                    .read_record(input, &mut self.fields[out..], &mut self.ends[n_ends..]);
            consumed += nin;
            out += nout;
            n_ends += nend;
            match result {
                ReadRecordResult::OutputFull => {
                    let len = self.fields.len();
                    self.fields.resize(len * 2, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let len = self.ends.len();
                    self.ends.resize(len * 2, 0);
                }
                ReadRecordResult::InputEmpty if !self.eof => {
                    self.fill()?;
                    return Ok(None);
                }
                // At the end of input, an empty slice tells the parser to finish the record.
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::Record | ReadRecordResult::End => break,
            }
        }
        record.clear();
        let mut start = 0;
        for &end in &self.ends[..n_ends] {
            record.push_field(&self.fields[start..end]);
            start = end;
        }
        let lines = memchr::memchr_iter(b'\n', &self.buf[self.pos..self.pos + consumed]).count();
        let (first, offset) = (self.line, self.consumed);
        self.advance(consumed, lines as u64);
        Ok(Some(Span {
            line: first,
            next_line: self.line.max(first + 1),
            offset,
        }))
    }

    fn advance(&mut self, bytes: usize, lines: u64) {
        let pos = (self.pos + bytes).min(self.end);
        self.consumed += (pos - self.pos) as u64;
        self.pos = pos;
        self.line += lines;
    }

    /// Moves the unread bytes to the front, grows the buffer when one record fills it, and
    /// reads more.
    fn fill(&mut self) -> io::Result<()> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            let len = self.buf.len();
            self.buf.resize(len * 2, 0);
        }
        let n = loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other?,
            }
        };
        if n == 0 {
            self.eof = true;
        }
        self.end += n;
        Ok(())
    }
}

/// Splits one complete line (without its `\n`) into `record`. False when the line needs the
/// full parser: a quoted field that does not close on this line, or text after a closing
/// quote, whose handling is the parser's to decide.
fn split_line(line: &[u8], delimiter: u8, record: &mut ByteRecord, scratch: &mut Vec<u8>) -> bool {
    record.clear();
    let mut rest = line;
    loop {
        if rest.first() == Some(&b'"') {
            let text = &rest[1..];
            let Some(after) = push_quoted(text, record, scratch) else {
                return false;
            };
            match text[after..].split_first() {
                None => return true,
                Some((&b, tail)) if b == delimiter => rest = tail,
                // Text after a closing quote, a CRLF's `\r` included, is appended to the field
                // by the parser's own rules.
                Some(_) => return false,
            }
        } else {
            match memchr::memchr(delimiter, rest) {
                Some(at) => {
                    record.push_field(&rest[..at]);
                    rest = &rest[at + 1..];
                }
                None => {
                    record.push_field(rest);
                    return true;
                }
            }
        }
    }
}

/// Pushes the value of a quoted field whose opening quote is already consumed, with doubled
/// quotes made single, and returns the offset in `text` just past the closing quote. `None`
/// when the field does not close on this line.
fn push_quoted(text: &[u8], record: &mut ByteRecord, scratch: &mut Vec<u8>) -> Option<usize> {
    let close = memchr::memchr(b'"', text)?;
    if text.get(close + 1) != Some(&b'"') {
        record.push_field(&text[..close]);
        return Some(close + 1);
    }
    scratch.clear();
    let mut at = 0;
    loop {
        let quote = at + memchr::memchr(b'"', &text[at..])?;
        scratch.extend_from_slice(&text[at..quote]);
        if text.get(quote + 1) == Some(&b'"') {
            scratch.push(b'"');
            at = quote + 2;
        } else {
            record.push_field(scratch);
            return Some(quote + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn read_all(input: &[u8], delimiter: u8) -> Vec<(u64, Vec<Vec<u8>>)> {
        read_all_from(input, delimiter, 0, 1)
    }

    /// The csv crate's reader with the same settings: the fields both paths must match. (Its
    /// line numbers are not a reference: a record after a blank line gets the blank's line.)
    fn reference(input: &[u8], delimiter: u8) -> Vec<Vec<Vec<u8>>> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(delimiter)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_reader(input)
            .byte_records()
            .map(|r| r.unwrap().iter().map(<[u8]>::to_vec).collect())
            .collect()
    }

    fn fields(records: Vec<(u64, Vec<Vec<u8>>)>) -> Vec<Vec<Vec<u8>>> {
        records.into_iter().map(|(_, fields)| fields).collect()
    }

    #[test]
    fn splits_plain_and_quoted_lines() {
        let input = b"a,b\n\n\"x, y\",\"multi\nline\"\nlast,\"q\"\"q\"\r\n\"a\"\"\",b\nend";
        let records = read_all(input, b',');
        let lines: Vec<u64> = records.iter().map(|(line, _)| *line).collect();
        assert_eq!(lines, [1, 3, 5, 6, 7]);
        assert_eq!(fields(records.clone()), reference(input, b','));
        assert_eq!(records[1].1[1], b"multi\nline");
        assert_eq!(records[3].1[0], b"a\"");
    }

    /// Every record, read on from the offset and line its span gave: what a page of the
    /// preview does.
    fn resumed_from_each(input: &[u8], delimiter: u8) -> Vec<Vec<(u64, Vec<Vec<u8>>)>> {
        let mut reader = RecordReader::new(input, delimiter);
        let mut record = ByteRecord::new();
        let mut resumed = Vec::new();
        while let Some(span) = reader.read(&mut record).unwrap() {
            resumed.push(read_all_from(input, delimiter, span.offset, span.line));
        }
        resumed
    }

    fn read_all_from(
        input: &[u8],
        delimiter: u8,
        offset: u64,
        line: u64,
    ) -> Vec<(u64, Vec<Vec<u8>>)> {
        let mut reader = RecordReader::resume(&input[offset as usize..], delimiter, offset, line);
        reader.buf = vec![0; 8];
        let mut record = ByteRecord::new();
        let mut out = Vec::new();
        while let Some(span) = reader.read(&mut record).unwrap() {
            out.push((span.line, record.iter().map(<[u8]>::to_vec).collect()));
        }
        out
    }

    #[test]
    fn a_record_read_again_from_its_offset_is_the_same() {
        let input = b"a,b\n\n\"x, y\",\"multi\nline\"\nlast,\"q\"\"q\"\r\n\"a\"\"\",b\nend";
        let all = read_all(input, b',');
        for (i, tail) in resumed_from_each(input, b',').into_iter().enumerate() {
            assert_eq!(tail, all[i..]);
        }
    }

    proptest! {
        #[test]
        fn offsets_resume_anywhere(input in "[a,\"\\n\\r;x ]{0,120}") {
            let all = read_all(input.as_bytes(), b',');
            for (i, tail) in resumed_from_each(input.as_bytes(), b',').into_iter().enumerate() {
                prop_assert_eq!(&tail, &all[i..].to_vec());
            }
        }

        #[test]
        fn matches_the_csv_crate(input in "[a,\"\\n\\r;x ]{0,120}", semicolon in any::<bool>()) {
            let delimiter = if semicolon { b';' } else { b',' };
            prop_assert_eq!(
                fields(read_all(input.as_bytes(), delimiter)),
                reference(input.as_bytes(), delimiter)
            );
        }
    }
}
