//! `inspect` and `prepare` run as a user runs them, on messy files generated here, against
//! expectations computed independently with `sha2` and the rules written out by hand.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use crate::common::files::{Case, run};
use sha2::{Digest, Sha256};

fn sha(text: &str) -> String {
    const_hex::encode(Sha256::digest(text.as_bytes()))
}

fn lines(path: &Path) -> BTreeSet<String> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn set(items: &[String]) -> BTreeSet<String> {
    items.iter().cloned().collect()
}

const MESSY: &str = "\u{feff}Email Address,Android ID,idfa,notes\r\n\
  Jane.Doe+News@Example.COM ,38400000-8CF0-11BD-B23E-10B96E40000D,e3c3a1b2-5f4d-4c6e-9a8b-7c6d5e4f3a2b,\"likes, commas\"\r\n\
not-an-email,00000000-0000-0000-0000-000000000000,,\"says \"\"hi\"\"\"\r\n\
DBF1912B4CAD4DF9823F627874244E64B50A6AC550B9CB33B17DF671A26679DB,,E3C3A1B2-5F4D-4C6E-9A8B-7C6D5E4F3A2B,\"two\r\nlines\"\r\n\
0cc175b9c0f1b6a831c399e269772661,not-a-uuid,,x\r\n\
ragged@example.com,only two\r\n\
\"Quoted@Example.org\",,,\r\n\
bob@example.net,38400000-8cf0-11bd-b23e-10b96e40000d,,\r\n";

fn messy_expectations() -> (Vec<String>, Vec<String>, Vec<String>, Vec<String>) {
    let emails = vec![
        sha("jane.doe+news@example.com"),
        sha("quoted@example.org"),
        sha("bob@example.net"),
    ];
    let maids = vec![sha("38400000-8cf0-11bd-b23e-10b96e40000d")];
    let idfas = vec![sha("E3C3A1B2-5F4D-4C6E-9A8B-7C6D5E4F3A2B")];
    // Lines: header 1, Jane 2, not-an-email 3, DBF.. 4-5 (quoted newline), md5 6, ragged 7.
    let rejects = vec![
        "row,column,reason".to_owned(),
        "3,Email Address,not an email".to_owned(),
        "3,Android ID,zero advertising id".to_owned(),
        "6,Email Address,md5 or sha1 digest".to_owned(),
        "6,Android ID,not a uuid".to_owned(),
        "7,,ragged row".to_owned(),
    ];
    (emails, maids, idfas, rejects)
}

/// Prepares `file` and checks the digest files and the rejects report against the
/// expectations for `MESSY`; returns what `prepare` printed.
fn prepare_matches_messy(case: &Case, file: &Path) -> String {
    let output = case.prepare(file, &[]);
    assert!(output.status.success(), "{output:?}");
    let (emails, maids, idfas, rejects) = messy_expectations();
    assert_eq!(lines(&case.out().join("EMAIL.txt")), set(&emails));
    assert_eq!(lines(&case.out().join("MAID.txt")), set(&maids));
    assert_eq!(lines(&case.out().join("IDFA.txt")), set(&idfas));
    let report = fs::read_to_string(case.out().join("rejects.csv")).unwrap();
    assert_eq!(report.lines().collect::<Vec<_>>(), rejects);
    // The report names rows and reasons, never cell contents.
    assert!(!report.contains("not-an-email") && !report.contains("0cc175b9"));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn prepare_writes_exactly_the_expected_digests_and_rejects() {
    let case = Case::new();
    let file = case.file("messy.csv", MESSY.as_bytes());
    let stdout = prepare_matches_messy(&case, &file);
    assert!(
        stdout.contains("EMAIL 3") && stdout.contains("MAID 1"),
        "{stdout}"
    );
}

#[test]
fn utf16_files_are_converted() {
    let case = Case::new();
    let text = MESSY.trim_start_matches('\u{feff}');
    let mut le = vec![0xFF, 0xFE];
    le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let file = case.file("utf16.csv", &le);
    prepare_matches_messy(&case, &file);
}

#[test]
fn bad_files_get_one_clear_line_and_a_failing_exit() {
    let case = Case::new();
    let cases: Vec<(PathBuf, &str)> = vec![
        (case.file("empty.csv", b""), "is empty"),
        (case.file("blank.csv", b"\n\n  \n"), "is empty"),
        (
            case.file("binary.bin", &[0x7f, b'E', b'L', b'F', 0, 0, 1, 2, 3]),
            "not a text file",
        ),
        (
            case.file("book.xlsx", b"PK\x03\x04rest"),
            "it is not a ZIP archive this app can read",
        ),
        (
            case.file("latin1.csv", b"email,name\na@b.com,Ren\xe9\n"),
            "line 2 of",
        ),
        (
            case.file("names.csv", b"first,last\nJane,Doe\n"),
            "no identity column",
        ),
    ];
    for (file, expected) in cases {
        let output = case.prepare(&file, &[]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{}: {stderr}", file.display());
        assert!(stderr.contains(expected), "{}: {stderr}", file.display());
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let output = case.prepare(&case.dir.path().join("latin1.csv"), &[]);
    assert!(String::from_utf8_lossy(&output.stderr).contains("UTF-8"));
}

#[test]
fn delimiters_and_single_columns_are_sniffed() {
    let case = Case::new();
    let expected = set(&[sha("a@example.com"), sha("b@example.com")]);
    for (name, text) in [
        ("comma.csv", "id,email\n1,A@example.com\n2,b@example.com\n"),
        ("tab.tsv", "id\temail\n1\tA@example.com\n2\tb@example.com\n"),
        ("semi.csv", "id;email\n1;A@example.com\n2;b@example.com\n"),
        ("pipe.txt", "id|email\n1|A@example.com\n2|b@example.com\n"),
        ("single.txt", "A@example.com\nb@example.com\n"),
        (
            "single-header.txt",
            "Contact\nA@example.com\nb@example.com\n",
        ),
    ] {
        let file = case.file(name, text.as_bytes());
        let output = case.prepare(&file, &[]);
        assert!(output.status.success(), "{name}: {output:?}");
        assert_eq!(lines(&case.out().join("EMAIL.txt")), expected, "{name}");
    }
}

#[test]
fn mapping_overrides_by_name_and_position() {
    let case = Case::new();
    let file = case.file(
        "ids.csv",
        b"contact,device\nA@example.com,E3C3A1B2-5F4D-4C6E-9A8B-7C6D5E4F3A2B\n",
    );
    // Sniffed: an uppercase UUID column leans to IDFA.
    assert!(case.prepare(&file, &[]).status.success());
    assert!(case.out().join("IDFA.txt").exists());
    // Overridden by position: the same column as GAID, lowercased before hashing.
    let output = case.prepare(&file, &["--map", "2=gaid"]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        lines(&case.out().join("MAID.txt")),
        set(&[sha("e3c3a1b2-5f4d-4c6e-9a8b-7c6d5e4f3a2b")])
    );
    assert!(
        !case.out().join("IDFA.txt").exists(),
        "stale files are removed"
    );
    // By name: ignore the email column.
    let output = case.prepare(&file, &["--map", "contact=ignore", "--map", "2=gaid"]);
    assert!(output.status.success());
    assert!(!case.out().join("EMAIL.txt").exists());
    // A column that does not exist is named, with the choices.
    let output = case.prepare(&file, &["--map", "phone=email"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains("no column 'phone'") && stderr.contains("\"device\""),
        "{stderr}"
    );
}

#[test]
fn an_over_long_line_is_reported_and_the_rest_is_kept() {
    let case = Case::new();
    let mut text = String::from("email,notes\na@example.com,short\n");
    text += &format!("b@example.com,{}\n", "x".repeat(2 << 20));
    text += "c@example.com,short\n";
    let file = case.file("long.csv", text.as_bytes());
    let output = case.prepare(&file, &[]);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(
        lines(&case.out().join("EMAIL.txt")),
        set(&[sha("a@example.com"), sha("c@example.com")])
    );
    let report = fs::read_to_string(case.out().join("rejects.csv")).unwrap();
    assert!(report.contains("3,,line too long"), "{report}");
}

#[test]
fn inspect_shows_the_mapping_and_counts_as_json() {
    let case = Case::new();
    let file = case.file("messy.csv", MESSY.as_bytes());
    let output = run(&["inspect", file.to_str().unwrap(), "--json"]);
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["format"]["encoding"], "utf8-bom");
    assert_eq!(json["format"]["crlf"], true);
    let namespaces: Vec<&str> = json["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["namespace"].as_str().unwrap())
        .collect();
    assert_eq!(namespaces, ["email", "gaid", "idfa", "ignore"]);
    let first = &json["rows"][0]["cells"][0];
    assert_eq!(first["normalized"], "jane.doe+news@example.com");
    assert_eq!(first["digest"], sha("jane.doe+news@example.com"));
    assert_eq!(first["status"], "valid");
    let email = &json["summary"]["columns"][0];
    assert_eq!(email["valid"], 4);
    assert_eq!(
        email["duplicates"], 1,
        "the pre-hashed Jane repeats her digest"
    );
    assert_eq!(email["invalid"]["not an email"], 1);
    assert_eq!(email["invalid"]["md5 or sha1 digest"], 1);
    assert_eq!(json["summary"]["row_rejects"]["ragged row"], 1);

    let text = run(&["inspect", file.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.contains("UTF-8 with BOM, comma-separated, header row, CRLF"),
        "{stdout}"
    );
    assert!(stdout.contains("jane.doe+news@example.com"), "{stdout}");
}
