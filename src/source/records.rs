//! Splits a stream into CSV records. Most lines of a customer export are split without a
//! byte-at-a-time state machine: a line is cut at delimiters found with memchr, and a quoted
//! field is closed by searching for the next quote. A quoted field that runs over several lines
//! is parsed the same way, across lines. Records end at `\n`; the `\r` of a CRLF ending is not
//! part of the last field.
//!
//! What cannot be read costs one line and nothing more: a line longer than `MAX_LINE_BYTES` is
//! skipped (never held in memory) and reported as too long; quoting that does not hold
//! together (a quote that never closes, text after a closing quote) is not guessed at, and the
//! record's first line is reported as malformed. Reading goes on at the next line, so one
//! runaway line or stray quote never swallows the rows after it. A quoted field that runs over
//! several lines is held to `MAX_LINE_BYTES` too.
//!
//! A property test holds the result to the csv crate's reader on well-formed input.

use std::io::{self, Read};

use csv::ByteRecord;

use crate::identity::Reason;

/// Longest line (or quoted field over several lines) the reader takes; longer ones are
/// skipped and reported, so one runaway line cannot exhaust memory.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Where a record sits: its first line, the line after its last, and the stream offset of
/// its first byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub line: u64,
    pub next_line: u64,
    pub offset: u64,
    /// What made the record unreadable (`LineTooLong`, `MalformedQuotes`): it is left empty
    /// and stands for its first line.
    pub problem: Option<Reason>,
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
    scratch: Vec<u8>,
    /// The buffer's size once it is first needed.
    first_buffer: usize,
    /// Longest line taken.
    limit: usize,
}

/// What became of the bytes at the reader's position.
enum Parsed {
    /// A record, and the bytes and line ends it took.
    Record { bytes: usize, lines: u64 },
    /// The quoting does not hold together.
    Malformed,
    /// The record runs past the buffered bytes.
    More,
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
            buf: Vec::new(),
            pos: 0,
            end: 0,
            eof: false,
            line,
            consumed: offset,
            delimiter,
            scratch: Vec::new(),
            first_buffer: 1 << 20,
            limit: MAX_LINE_BYTES,
        }
    }

    /// Takes lines of at most `bytes` (the fuzz target makes it small to reach that path).
    pub fn with_line_limit(mut self, bytes: usize) -> Self {
        self.limit = bytes;
        self
    }

    /// Starts with a buffer of `bytes` (it grows as records need): small ones make the paths
    /// that refill and re-parse run often, which is what the fuzz target wants.
    pub fn with_buffer(mut self, bytes: usize) -> Self {
        self.first_buffer = bytes.max(1);
        self
    }

    /// The stream offset of the next record to read.
    pub fn position(&self) -> u64 {
        self.consumed
    }

    /// Reads the next non-empty record; `None` at the end of the stream.
    pub fn read(&mut self, record: &mut ByteRecord) -> io::Result<Option<Span>> {
        loop {
            let available = &self.buf[self.pos..self.end];
            let line_end = match memchr::memchr(b'\n', available) {
                Some(i) if i <= self.limit => i,
                Some(_) => return self.skip_long_line(record).map(Some),
                None if available.len() > self.limit => {
                    return self.skip_long_line(record).map(Some);
                }
                None if !self.eof => {
                    self.fill()?;
                    continue;
                }
                None if available.is_empty() => return Ok(None),
                None => available.len(),
            };
            let line = &available[..line_end];
            let content = line.strip_suffix(b"\r").unwrap_or(line);
            if content.is_empty() {
                self.advance(line_end + 1, 1);
                continue;
            }
            let parsed = match split_line(content, self.delimiter, record, &mut self.scratch) {
                Line::Whole => Parsed::Record {
                    bytes: line_end + 1,
                    lines: 1,
                },
                Line::Malformed => Parsed::Malformed,
                Line::Open => parse_record(
                    available,
                    self.delimiter,
                    self.eof,
                    self.limit,
                    record,
                    &mut self.scratch,
                ),
            };
            let (first, offset) = (self.line, self.consumed);
            let problem = match parsed {
                Parsed::More => {
                    self.fill()?;
                    continue;
                }
                Parsed::Record { bytes, lines } => {
                    self.advance(bytes, lines);
                    None
                }
                Parsed::Malformed => {
                    record.clear();
                    self.advance(line_end + 1, 1);
                    Some(Reason::MalformedQuotes)
                }
            };
            return Ok(Some(Span {
                line: first,
                next_line: self.line.max(first + 1),
                offset,
                problem,
            }));
        }
    }

    /// Passes over the line at the reader's position, longer than the limit, without keeping
    /// it: reads on until its end, a buffer at a time.
    fn skip_long_line(&mut self, record: &mut ByteRecord) -> io::Result<Span> {
        record.clear();
        let (line, offset) = (self.line, self.consumed);
        loop {
            let available = &self.buf[self.pos..self.end];
            if let Some(i) = memchr::memchr(b'\n', available) {
                self.advance(i + 1, 1);
                break;
            }
            self.advance(available.len(), 0);
            if self.eof {
                self.line += 1;
                break;
            }
            self.fill()?;
        }
        Ok(Span {
            line,
            next_line: line + 1,
            offset,
            problem: Some(Reason::LineTooLong),
        })
    }

    fn advance(&mut self, bytes: usize, lines: u64) {
        let pos = (self.pos + bytes).min(self.end);
        self.consumed += (pos - self.pos) as u64;
        self.pos = pos;
        self.line += lines;
    }

    /// Moves the unread bytes to the front, grows the buffer when one record fills it, and
    /// reads until the buffer is full or the stream ends: a record that runs past the buffer
    /// is parsed again from its start, so reading in small pieces (a decoder's) would make
    /// that cost grow with the square of the record.
    fn fill(&mut self) -> io::Result<()> {
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            let len = (self.buf.len() * 2).max(self.first_buffer);
            self.buf.resize(len, 0);
        }
        while self.end < self.buf.len() {
            let n = match self.inner.read(&mut self.buf[self.end..]) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => other?,
            };
            if n == 0 {
                self.eof = true;
                break;
            }
            self.end += n;
        }
        Ok(())
    }
}

/// How one line splits.
enum Line {
    /// The line is the whole record.
    Whole,
    /// A quoted field does not close on this line.
    Open,
    /// Text follows a closing quote.
    Malformed,
}

/// Splits one line (without its line ending) into `record`.
fn split_line(line: &[u8], delimiter: u8, record: &mut ByteRecord, scratch: &mut Vec<u8>) -> Line {
    record.clear();
    let mut rest = line;
    loop {
        if rest.first() == Some(&b'"') {
            let text = &rest[1..];
            let Some(after) = push_quoted(text, record, scratch) else {
                return Line::Open;
            };
            match text[after..].split_first() {
                None => return Line::Whole,
                Some((&b, tail)) if b == delimiter => rest = tail,
                Some(_) => return Line::Malformed,
            }
        } else {
            match memchr::memchr(delimiter, rest) {
                Some(at) => {
                    record.push_field(&rest[..at]);
                    rest = &rest[at + 1..];
                }
                None => {
                    record.push_field(rest);
                    return Line::Whole;
                }
            }
        }
    }
}

/// Pushes the value of a quoted field whose opening quote is already consumed, with doubled
/// quotes made single, and returns the offset in `text` just past the closing quote. `None`
/// when the field does not close within `text`.
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

/// Parses a record whose quoted field runs past its first line, from the start of `input`
/// (`eof`: nothing follows `input`).
fn parse_record(
    input: &[u8],
    delimiter: u8,
    eof: bool,
    limit: usize,
    record: &mut ByteRecord,
    scratch: &mut Vec<u8>,
) -> Parsed {
    let more = || {
        if eof || input.len() > limit {
            Parsed::Malformed
        } else {
            Parsed::More
        }
    };
    // A record that ends the input without a line ending still ends its last line.
    let end = |bytes: usize| Parsed::Record {
        bytes,
        lines: memchr::memchr_iter(b'\n', &input[..bytes]).count() as u64
            + u64::from(!input[..bytes].ends_with(b"\n")),
    };
    record.clear();
    let mut at = 0;
    loop {
        if at > limit {
            return Parsed::Malformed;
        }
        if input.get(at) == Some(&b'"') {
            // The closing quote is the first one not doubled; a quote at the very end of the
            // input may be the first of a pair, so it waits for more.
            scratch.clear();
            at += 1;
            loop {
                let Some(quote) = memchr::memchr(b'"', &input[at..]).map(|q| at + q) else {
                    return more();
                };
                scratch.extend_from_slice(&input[at..quote]);
                match input.get(quote + 1) {
                    Some(b'"') => {
                        scratch.push(b'"');
                        at = quote + 2;
                    }
                    None if !eof => return more(),
                    _ => {
                        at = quote + 1;
                        break;
                    }
                }
            }
            record.push_field(scratch);
            match input.get(at) {
                None if eof => return end(at),
                None => return more(),
                Some(&b) if b == delimiter => at += 1,
                Some(b'\n') => return end(at + 1),
                Some(b'\r') => match input.get(at + 1) {
                    Some(b'\n') => return end(at + 2),
                    None if eof => return end(at + 1),
                    None => return more(),
                    Some(_) => return Parsed::Malformed,
                },
                Some(_) => return Parsed::Malformed,
            }
        } else {
            match memchr::memchr2(delimiter, b'\n', &input[at..]).map(|i| at + i) {
                Some(i) if input[i] == delimiter => {
                    record.push_field(&input[at..i]);
                    at = i + 1;
                }
                Some(i) => {
                    let value = &input[at..i];
                    record.push_field(value.strip_suffix(b"\r").unwrap_or(value));
                    return end(i + 1);
                }
                None if eof => {
                    record.push_field(&input[at..]);
                    return end(input.len());
                }
                None => return more(),
            }
        }
    }
}

#[cfg(test)]
mod tests;
