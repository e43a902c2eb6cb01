//! The record reader held to the csv crate on well-formed input, and to its own rules on the
//! rest: every line accounted for, bad quoting and long lines costing one line each.

use super::*;
use proptest::prelude::*;

type Read = (Span, Vec<Vec<u8>>);

fn read_all(input: &[u8], delimiter: u8) -> Vec<Read> {
    read_all_from(input, delimiter, 0, 1, 8)
}

fn read_all_from(input: &[u8], delimiter: u8, offset: u64, line: u64, buffer: usize) -> Vec<Read> {
    let mut reader = RecordReader::resume(&input[offset as usize..], delimiter, offset, line)
        .with_buffer(buffer);
    let mut record = ByteRecord::new();
    let mut out = Vec::new();
    while let Some(span) = reader.read(&mut record).unwrap() {
        out.push((span, record.iter().map(<[u8]>::to_vec).collect()));
    }
    out
}

fn fields(records: &[Read]) -> Vec<Vec<Vec<u8>>> {
    records.iter().map(|(_, fields)| fields.clone()).collect()
}

fn lines(records: &[Read]) -> Vec<(u64, bool)> {
    records
        .iter()
        .map(|(s, _)| (s.line, s.problem == Some(Reason::MalformedQuotes)))
        .collect()
}

#[test]
fn splits_plain_and_quoted_lines() {
    let input = b"a,b\n\n\"x, y\",\"multi\nline\"\nlast,\"q\"\"q\"\r\n\"a\"\"\",b\r\nend";
    let records = read_all(input, b',');
    assert_eq!(
        lines(&records),
        [(1, false), (3, false), (5, false), (6, false), (7, false)]
    );
    let expected: Vec<Vec<&[u8]>> = vec![
        vec![b"a", b"b"],
        vec![b"x, y", b"multi\nline"],
        vec![b"last", b"q\"q"],
        vec![b"a\"", b"b"],
        vec![b"end"],
    ];
    assert_eq!(fields(&records), expected);
}

#[test]
fn broken_quoting_costs_one_line_each_and_nothing_after_it() {
    // A quote closed by the next line's quote and followed by text, a closing quote
    // followed by text, then good rows, then a quote that never closes.
    let input = b"\"abc\nnext,\"x\"y\nok,1\n\"never\nclosed,2\nlast,3\n";
    let records = read_all(input, b',');
    assert_eq!(
        lines(&records),
        [
            (1, true),
            (2, true),
            (3, false),
            (4, true),
            (5, false),
            (6, false)
        ]
    );
    assert_eq!(records[2].1, [b"ok".to_vec(), b"1".to_vec()]);
    assert_eq!(records[4].1, [b"closed".to_vec(), b"2".to_vec()]);
}

#[test]
fn a_line_over_the_bound_is_skipped_whole() {
    let mut input = b"a,1\nb,".to_vec();
    input.extend(std::iter::repeat_n(b'x', 100));
    input.extend_from_slice(b"\nc,3\nd,");
    input.extend(std::iter::repeat_n(b'y', 100));
    for buffer in [8, 64, 4096] {
        let mut reader = RecordReader::new(&input[..], b',')
            .with_buffer(buffer)
            .with_line_limit(32);
        let mut record = ByteRecord::new();
        let mut seen = Vec::new();
        while let Some(span) = reader.read(&mut record).unwrap() {
            seen.push((span.line, span.next_line, span.problem, record.len()));
        }
        let too_long = Some(Reason::LineTooLong);
        assert_eq!(
            seen,
            [
                (1, 2, None, 2),
                (2, 3, too_long, 0),
                (3, 4, None, 2),
                (4, 5, too_long, 0)
            ],
            "buffer {buffer}"
        );
    }
}

#[test]
fn a_quoted_field_is_held_to_the_line_bound() {
    let mut input = b"\"".to_vec();
    for _ in 0..(MAX_LINE_BYTES / 8 + 10) {
        input.extend_from_slice(b"1234567\n");
    }
    input.extend_from_slice(b"\",tail\nafter,1\n");
    let records = read_all_from(&input, b',', 0, 1, 1 << 16);
    assert_eq!(records[0].0.problem, Some(Reason::MalformedQuotes));
    let last = records.last().unwrap();
    assert_eq!(last.1, [b"after".to_vec(), b"1".to_vec()]);
}

/// Every record, read on from the offset and line its span gave: what a page of the
/// preview does.
fn resumed_from_each(input: &[u8], delimiter: u8) -> Vec<Vec<Read>> {
    read_all(input, delimiter)
        .iter()
        .map(|(span, _)| read_all_from(input, delimiter, span.offset, span.line, 8))
        .collect()
}

#[test]
fn a_record_read_again_from_its_offset_is_the_same() {
    let input = b"a,b\n\n\"x, y\",\"multi\nline\"\nlast,\"q\"\"q\"\r\n\"a\"\"\",b\nend";
    let all = read_all(input, b',');
    for (i, tail) in resumed_from_each(input, b',').into_iter().enumerate() {
        assert_eq!(tail, all[i..]);
    }
}

/// A well-formed CSV text of `rows`, with some fields quoted and some lines ending CRLF.
fn write_csv(rows: &[(Vec<(String, bool)>, bool)], delimiter: u8) -> Vec<u8> {
    let mut out = Vec::new();
    for (fields, crlf) in rows {
        for (i, (value, quote)) in fields.iter().enumerate() {
            if i > 0 {
                out.push(delimiter);
            }
            let must = value.is_empty() && fields.len() == 1
                || value
                    .bytes()
                    .any(|b| matches!(b, b'"' | b'\n' | b'\r') || b == delimiter);
            if *quote || must {
                out.push(b'"');
                out.extend_from_slice(value.replace('"', "\"\"").as_bytes());
                out.push(b'"');
            } else {
                out.extend_from_slice(value.as_bytes());
            }
        }
        out.extend_from_slice(if *crlf { b"\r\n" } else { b"\n" });
    }
    out
}

/// The csv crate's reader with the same settings: the fields both must agree on. A CRLF
/// ending leaves its `\r` in the csv crate's last field, which this reader drops.
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

fn rows() -> impl Strategy<Value = Vec<(Vec<(String, bool)>, bool)>> {
    let field = ("[a,;\"\\n\\r x]{0,6}", any::<bool>());
    let row = (prop::collection::vec(field, 1..4), any::<bool>());
    prop::collection::vec(row, 0..8)
}

proptest! {
    #[test]
    fn well_formed_input_reads_as_the_csv_crate_reads_it(
        rows in rows(),
        semicolon in any::<bool>(),
    ) {
        let delimiter = if semicolon { b';' } else { b',' };
        let input = write_csv(&rows, delimiter);
        let records = read_all(&input, delimiter);
        prop_assert!(records.iter().all(|(s, _)| s.problem.is_none()));
        let mut expected = reference(&input, delimiter);
        let ours = fields(&records);
        // The csv crate keeps the `\r` of a CRLF ending after a last field.
        for (theirs, mine) in expected.iter_mut().zip(&ours) {
            if let (Some(t), Some(m)) = (theirs.last_mut(), mine.last())
                && t.len() == m.len() + 1
                && t.ends_with(b"\r")
            {
                t.pop();
            }
        }
        prop_assert_eq!(ours, expected);
    }

    /// Whatever the bytes, every line is accounted for: each is part of exactly one
    /// record (or malformed record), or blank.
    #[test]
    fn every_line_is_accounted_for(input in prop::collection::vec(
        prop::sample::select(b"a,\";\n\r x".to_vec()), 0..200)
    ) {
        let records = read_all(&input, b',');
        let total = memchr::memchr_iter(b'\n', &input).count() as u64
            + u64::from(!input.is_empty() && !input.ends_with(b"\n"));
        let mut next = 1;
        for (span, _) in &records {
            prop_assert!(span.line >= next, "{:?} overlaps", span);
            for blank in next..span.line {
                prop_assert!(line_is_blank(&input, blank), "line {} dropped", blank);
            }
            next = span.next_line;
        }
        for blank in next..=total {
            prop_assert!(line_is_blank(&input, blank), "line {} dropped", blank);
        }
    }

    #[test]
    fn offsets_resume_anywhere(input in "[a,\"\\n\\r;x ]{0,120}") {
        let all = read_all(input.as_bytes(), b',');
        for (i, tail) in resumed_from_each(input.as_bytes(), b',').into_iter().enumerate() {
            prop_assert_eq!(&tail, &all[i..].to_vec());
        }
    }
}

fn line_is_blank(input: &[u8], line: u64) -> bool {
    let text = input
        .split(|&b| b == b'\n')
        .nth(line as usize - 1)
        .unwrap_or(b"");
    text.is_empty() || text == b"\r"
}
