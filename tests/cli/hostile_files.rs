//! Files that break naive readers, each run through `inspect` and `prepare` as a user runs
//! them: never a panic (exit 101) nor a hang, never a row silently dropped or merged, and no
//! cell content written to disk.

use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::files::{Case, said};
use sha2::{Digest, Sha256};

fn sha(text: &str) -> String {
    const_hex::encode(Sha256::digest(text.as_bytes()))
}

/// `rows` good rows (user0@x.com ...), enough to be past the preview's first screen.
fn good_rows(rows: u32) -> String {
    (0..rows).map(|i| format!("user{i}@x.com,n\n")).collect()
}

fn sorted(mut digests: Vec<String>) -> Vec<String> {
    digests.sort();
    digests
}

#[test]
fn a_character_split_by_the_delimiter_is_refused_with_its_line() {
    let case = Case::new();
    let mut bytes = format!("email,notes\n{}", good_rows(3000)).into_bytes();
    bytes.extend_from_slice(b"caf\xC3,\xA9@x.com\n");
    let file = case.file("split.csv", &bytes);
    for output in [case.inspect(&file), case.prepare(&file, &[])] {
        assert!(!output.status.success());
        let said = said(&output);
        assert!(said.contains("line 3002"), "{said}");
        assert!(said.contains("not UTF-8"), "{said}");
    }
}

#[test]
fn broken_quotes_cost_their_line_and_nothing_more() {
    let case = Case::new();
    let text = "email,notes\na@x.com,\"abc\nnext@x.com,\"x\"y\nb@x.com,ok\n\
                c@x.com,\"never closed\nd@x.com,fine\n";
    let file = case.file("quotes.csv", text.as_bytes());
    let output = case.prepare(&file, &[]);
    assert!(output.status.success(), "{}", said(&output));
    assert_eq!(
        case.email_digests(),
        sorted(vec![sha("b@x.com"), sha("d@x.com")])
    );
    let rejects = case.rejects();
    for line in [2, 3, 5] {
        assert!(
            rejects.contains(&format!("{line},,malformed quotes")),
            "{rejects}"
        );
    }
}

#[test]
fn a_utf16_file_with_a_quote_that_never_closes_reads_in_one_pass() {
    let case = Case::new();
    let mut text = String::from("email,notes\nfirst@x.com,\"opens and never closes\n");
    text += &good_rows(200_000);
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let file = case.file("utf16.csv", &bytes);
    let started = Instant::now();
    let output = case.prepare(&file, &[]);
    assert!(output.status.success(), "{}", said(&output));
    assert!(case.rejects().contains("2,,malformed quotes"));
    assert_eq!(
        case.email_digests().len(),
        200_000,
        "every row after it is read"
    );
    // Generous: quadratic re-reading took minutes on a file this size.
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn a_header_cell_of_100000_characters_is_cut_for_display() {
    let case = Case::new();
    let text = format!("email,{}\na@x.com,n\n", "N".repeat(100_000));
    let file = case.file("wide.csv", text.as_bytes());
    let output = case.inspect(&file);
    assert!(output.status.success(), "{}", said(&output));
    assert!(said(&output).contains("NNNN…"));
    assert!(said(&output).len() < 20_000);
}

#[test]
fn a_line_cut_inside_a_character_costs_only_that_row() {
    let case = Case::new();
    let mut text = String::from("email,notes\na@x.com,n\n");
    // The 1 MiB bound falls inside a two-byte character.
    text += &format!("b@x.com,{}\n", "é".repeat(1 << 19));
    text += "c@x.com,n\n";
    let file = case.file("cut.csv", text.as_bytes());
    let output = case.prepare(&file, &[]);
    assert!(output.status.success(), "{}", said(&output));
    assert_eq!(
        case.email_digests(),
        sorted(vec![sha("a@x.com"), sha("c@x.com")])
    );
    assert!(case.rejects().contains("3,,line too long"));
}

#[test]
fn a_nul_byte_anywhere_is_rejected() {
    let case = Case::new();
    let mut bytes = format!("email,notes\n{}", good_rows(1000)).into_bytes();
    bytes.extend_from_slice(b"a\0b@x.com,n\n");
    let file = case.file("nul.csv", &bytes);
    let output = case.prepare(&file, &[]);
    assert!(output.status.success(), "{}", said(&output));
    assert!(!case.email_digests().contains(&sha("a\0b@x.com")));
    assert!(case.rejects().contains("1002,email,unreadable character"));
}

#[test]
fn a_lone_utf16_surrogate_is_rejected() {
    let case = Case::new();
    let mut units: Vec<u16> = "email\nok@x.com\n".encode_utf16().collect();
    units.extend("jo".encode_utf16());
    units.push(0xD800);
    units.extend("@x.com\n".encode_utf16());
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(units.into_iter().flat_map(u16::to_le_bytes));
    let file = case.file("surrogate.csv", &bytes);
    let output = case.prepare(&file, &[]);
    assert!(output.status.success(), "{}", said(&output));
    assert_eq!(case.email_digests(), vec![sha("ok@x.com")]);
    assert!(case.rejects().contains("3,email,unreadable character"));
}

#[cfg(unix)]
#[test]
fn a_named_pipe_is_refused_at_once() {
    let case = Case::new();
    let fifo = case.dir.path().join("pipe.csv");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let started = Instant::now();
    let output = case.inspect(&fifo);
    assert!(!output.status.success());
    assert!(said(&output).contains("named pipe"), "{}", said(&output));
    assert!(started.elapsed() < Duration::from_secs(10));
    let output = case.inspect(case.dir.path());
    assert!(said(&output).contains("is a folder"), "{}", said(&output));
}

#[test]
fn a_first_row_that_is_a_person_never_reaches_the_disk() {
    let case = Case::new();
    let text = "Jane Doe,jane.doe@example\nJohn Roe,john@x.com\nAl Poe,al@x.com\n";
    let file = case.file("people.csv", text.as_bytes());
    let output = case.prepare(&file, &[]);
    assert!(output.status.success(), "{}", said(&output));
    let rejects = case.rejects();
    assert!(rejects.contains("1,column 2,not an email"), "{rejects}");
    for entry in fs::read_dir(case.dir.path().join("out")).unwrap() {
        let written = fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(
            !written.contains("jane") && !written.contains("Jane"),
            "{written}"
        );
    }
}

#[test]
fn control_characters_in_a_file_are_not_printed() {
    let case = Case::new();
    let file = case.file(
        "ansi.csv",
        "email,\u{1b}]0;owned\u{7}notes\n\u{1b}[2Ja@x.com,n\nb@x.com,n\n".as_bytes(),
    );
    let output = case.inspect(&file);
    assert!(output.status.success(), "{}", said(&output));
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
}
