//! The record reader over arbitrary bytes, with every delimiter, UTF-8 or UTF-16, and a small
//! line bound so that cutting is exercised too. Properties: every line of the text the reader
//! saw is part of exactly one record or blank; fields that pass the UTF-8 check are UTF-8;
//! a record that could not be read (too long, malformed quotes) is empty and one line.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&settings, input)) = data.split_first() else {
        return;
    };
    let delimiter = [b',', b'\t', b';', b'|', 0x1f][usize::from(settings % 5)];
    let utf16 = settings & 0x08 != 0;
    let limit = if settings & 0x10 != 0 { 16 } else { 1 << 20 };
    let (text, records) =
        audience_desk::source::fuzzing::read(input, delimiter, utf16, limit).expect("in memory");
    let lines: Vec<&[u8]> = text.split(|&b| b == b'\n').collect();
    let total = lines.len() - usize::from(text.is_empty() || text.ends_with(b"\n"));
    let blank = |line: u64| {
        let text = lines[line as usize - 1];
        text.is_empty() || text == b"\r"
    };
    let mut next = 1u64;
    for record in &records {
        assert!(record.line >= next, "records overlap: {record:?}");
        assert!(record.next_line > record.line);
        for line in next..record.line {
            assert!(blank(line), "line {line} is in no record");
        }
        next = record.next_line;
        if record.problem.is_some() {
            assert!(record.fields.is_empty());
            assert_eq!(record.next_line, record.line + 1);
        }
        if record.utf8 {
            for field in &record.fields {
                assert!(std::str::from_utf8(field).is_ok(), "{record:?}");
            }
        }
    }
    assert!(next as usize <= total + 1, "records past the end");
    for line in next..=total as u64 {
        assert!(blank(line), "line {line} is in no record");
    }
});
