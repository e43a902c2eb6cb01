//! The files admins are handed: a gzipped export, a ZIP archive of one, an .xlsx workbook,
//! each recognized by its content (whatever its name) and read to exactly the digests the
//! plain CSV gives; and the hostile ones (a gzip bomb, several files in one archive, a damaged
//! workbook) refused with a sentence and nothing written.

use crate::common::files::{Case, said};
use crate::common::packed::{gzipped, rows, workbook_of, zipped};

const CSV: &str = "email,notes\n Ann@Example.com ,a\nbob@example.com,b\nnot-an-email,c\n";

/// The digests `prepare` writes for the plain CSV.
fn plain_digests() -> Vec<String> {
    let case = Case::new();
    let file = case.file("plain.csv", CSV.as_bytes());
    assert!(case.prepare(&file, &[]).status.success());
    let digests = case.email_digests();
    assert_eq!(digests.len(), 2);
    digests
}

/// The smallest .xlsx Excel opens: one sheet, shared strings inline, and a long number.
fn workbook() -> Vec<u8> {
    workbook_of(&[(
        "Customers",
        rows(&[
            &["email", "customer id"],
            &[" Ann@Example.com ", "1234567890123456"],
            &["bob@example.com", "42"],
            &["not-an-email", "7"],
        ]),
    )])
}

#[test]
fn a_gzipped_export_reads_as_its_csv_whatever_its_name() {
    let expected = plain_digests();
    let case = Case::new();
    let file = case.file("export.dat", &gzipped(CSV.as_bytes()));
    let output = case.inspect(&file);
    assert!(output.status.success(), "{}", said(&output));
    assert!(said(&output).contains("email"), "{}", said(&output));
    let output = case.prepare(&file, &[]);
    assert!(output.status.success(), "{}", said(&output));
    assert_eq!(case.email_digests(), expected);
    assert!(
        case.rejects().contains("4,email,not an email"),
        "{}",
        case.rejects()
    );
}

#[test]
fn a_zip_of_one_export_reads_as_it_and_several_are_named() {
    let expected = plain_digests();
    let case = Case::new();
    let file = case.file("crm.zip", &zipped(&[("customers.csv", CSV.as_bytes())]));
    let output = case.prepare(&file, &[]);
    assert!(output.status.success(), "{}", said(&output));
    assert_eq!(case.email_digests(), expected);

    let case = Case::new();
    let two = zipped(&[("a.csv", CSV.as_bytes()), ("b.csv", CSV.as_bytes())]);
    let file = case.file("two.zip", &two);
    let output = case.prepare(&file, &[]);
    assert!(!output.status.success());
    let text = said(&output);
    assert!(
        text.contains("is a ZIP archive of 2 files (\"a.csv\", \"b.csv\"): name the one to read"),
        "{text}"
    );
    assert!(text.contains("--member NAME"), "the way out: {text}");
    assert!(!case.out().join("EMAIL.txt").exists());

    // Named: that one is read, and inspect says which.
    let output = case.prepare(&file, &["--member", "b.csv"]);
    assert!(output.status.success(), "{}", said(&output));
    assert_eq!(case.email_digests(), expected);
    let output =
        crate::common::files::run(&["inspect", file.to_str().unwrap(), "--member", "b.csv"]);
    assert!(
        said(&output).contains("Read:    file \"b.csv\" (2 of 2: \"a.csv\", \"b.csv\") of a"),
        "{}",
        said(&output)
    );
    let output = case.prepare(&file, &["--member", "c.csv"]);
    assert!(!output.status.success());
    assert!(
        said(&output).contains("has no file \"c.csv\"; it holds \"a.csv\", \"b.csv\""),
        "{}",
        said(&output)
    );
}

#[test]
fn a_workbook_of_several_sheets_reads_the_one_named() {
    let expected = plain_digests();
    let case = Case::new();
    let returns = rows(&[&["mail"], &["zed@example.com"]]);
    let first = rows(&[
        &["email", "customer id"],
        &[" Ann@Example.com ", "1"],
        &["bob@example.com", "42"],
        &["not-an-email", "7"],
    ]);
    let book = workbook_of(&[("Returns", returns), ("Customers", first)]);
    let file = case.file("book.xlsx", &book);
    let output = case.prepare(&file, &["--sheet", "Customers"]);
    assert!(output.status.success(), "{}", said(&output));
    assert_eq!(case.email_digests(), expected);
    let output = crate::common::files::run(&["inspect", file.to_str().unwrap()]);
    assert!(
        said(&output)
            .contains("Read:    sheet \"Returns\" (1 of 2: \"Returns\", \"Customers\") of a"),
        "the first sheet by default, and the others named: {}",
        said(&output)
    );
    let output = case.prepare(&file, &["--sheet", "Refunds"]);
    assert!(!output.status.success());
    assert!(
        said(&output)
            .contains("has no sheet \"Refunds\"; its sheets are \"Returns\", \"Customers\""),
        "{}",
        said(&output)
    );
}

/// The widest sheet Excel makes: 16,384 columns, one of them emails. Read whole, the rest
/// ignored.
#[test]
fn a_sheet_of_16384_columns_is_read_with_its_identity_column() {
    let case = Case::new();
    let mut header: Vec<String> = (0..16_384).map(|i| format!("note {i}")).collect();
    header[9_000] = "email".into();
    let mut sheet = vec![header];
    for person in ["ann@example.com", "bob@example.com"] {
        let mut row: Vec<String> = (0..16_384).map(|i| format!("x{i}")).collect();
        row[9_000] = person.into();
        sheet.push(row);
    }
    let file = case.file("wide.xlsx", &workbook_of(&[("Wide", sheet)]));
    let output = case.prepare(&file, &[]);
    assert!(output.status.success(), "{}", said(&output));
    assert_eq!(case.email_digests().len(), 2);
}

#[test]
fn a_workbook_reads_its_first_sheet_as_shown() {
    let expected = plain_digests();
    let case = Case::new();
    let file = case.file("Customers.xlsx", &workbook());
    let output = crate::common::files::run(&[
        "inspect",
        file.to_str().unwrap(),
        "--map",
        "customer id=email",
    ]);
    assert!(output.status.success(), "{}", said(&output));
    // A long customer number typed as a number stays the number, not 1.23E+15.
    assert!(
        said(&output).contains("1234567890123456"),
        "{}",
        said(&output)
    );
    let output = case.prepare(&file, &[]);
    assert!(output.status.success(), "{}", said(&output));
    assert_eq!(case.email_digests(), expected);
}

#[test]
fn a_gzip_bomb_and_a_damaged_workbook_are_refused_with_a_sentence() {
    let case = Case::new();
    // 100 MiB of one byte: about 100 KiB gzipped, a thousandfold.
    let mut zeros = Vec::from(&b"email\n"[..]);
    zeros.resize(100 << 20, b'a');
    let bomb = gzipped(&zeros);
    assert!(bomb.len() < 200 << 10, "{} bytes", bomb.len());
    let file = case.file("bomb.csv.gz", &bomb);
    let output = case.prepare(&file, &[]);
    assert!(!output.status.success());
    assert!(said(&output).contains("archive bomb"), "{}", said(&output));

    let mut damaged = workbook();
    let middle = damaged.len() / 2;
    damaged.truncate(middle);
    let file = case.file("damaged.xlsx", &damaged);
    let output = case.inspect(&file);
    assert!(!output.status.success());
    assert!(
        said(&output).contains("cannot be read"),
        "{}",
        said(&output)
    );
    assert_ne!(output.status.code(), Some(101), "no panic");
}

/// A sync over a workbook reads the sheet it was saved with on every run.
#[tokio::test(flavor = "multi_thread")]
async fn a_sync_keeps_reading_the_sheet_it_was_saved_with() {
    let Some(env) = crate::common::cli::connected_env().await else {
        return;
    };
    let files = tempfile::tempdir().unwrap();
    let file = files.path().join("book.xlsx");
    let returns = rows(&[&["email"], &["zed@example.com"]]);
    let customers = rows(&[&["email"], &["user1@example.com"], &["user2@example.com"]]);
    std::fs::write(
        &file,
        workbook_of(&[("Returns", returns), ("Customers", customers)]),
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let args = [
        "sync",
        "add",
        "book",
        "--connection",
        "EU",
        "--file",
        path,
        "--list-name",
        "Book",
        "--sheet",
        "Customers",
    ];
    let out = env.run(&args, None).await;
    assert!(out.status.success(), "{}", said(&out));
    let out = env.run(&["sync", "run", "book"], None).await;
    assert!(out.status.success(), "{}", said(&out));
    assert_eq!(env.sim.lists()[0].members, crate::common::expected(1..3));
}

/// The system's temporary folder is shared: expanding an archive never changes its mode (the
/// copy goes to the home's own scratch folder, private).
#[test]
fn expanding_leaves_the_shared_temporary_folder_alone() {
    use std::os::unix::fs::PermissionsExt;
    let case = Case::new();
    let file = case.file("export.csv.gz", &gzipped(CSV.as_bytes()));
    let shared = tempfile::tempdir().unwrap();
    std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    let home = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_audience-desk"))
        .args(["inspect", file.to_str().unwrap()])
        .env("TMPDIR", shared.path())
        .env("AUDIENCE_DESK_HOME", home.path())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", said(&output));
    let mode = std::fs::metadata(shared.path())
        .unwrap()
        .permissions()
        .mode()
        & 0o7777;
    assert_eq!(mode, 0o1777, "the shared folder's mode changed");
    let scratch = std::fs::metadata(home.path().join("tmp")).unwrap();
    assert_eq!(scratch.permissions().mode() & 0o777, 0o700);
}
