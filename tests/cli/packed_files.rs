//! The files admins are handed: a gzipped export, a ZIP archive of one, an .xlsx workbook,
//! each recognized by its content (whatever its name) and read to exactly the digests the
//! plain CSV gives; and the hostile ones (a gzip bomb, several files in one archive, a damaged
//! workbook) refused with a sentence and nothing written.

use std::io::Write;

use crate::common::files::{Case, said};

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

fn gzipped(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn zipped(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, bytes) in members {
        writer
            .start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// The smallest .xlsx Excel opens: one sheet, shared strings inline, and a long number.
fn workbook() -> Vec<u8> {
    let row = |n: u32, cells: &[&str]| {
        let cells: String = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let at = format!("{}{n}", (b'A' + i as u8) as char);
                match c.parse::<f64>() {
                    Ok(_) => format!("<c r=\"{at}\"><v>{c}</v></c>"),
                    Err(_) => format!("<c r=\"{at}\" t=\"inlineStr\"><is><t>{c}</t></is></c>"),
                }
            })
            .collect();
        format!("<row r=\"{n}\">{cells}</row>")
    };
    let sheet = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet \
         xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>{}{}{}{}\
         </sheetData></worksheet>",
        row(1, &["email", "customer id"]),
        row(2, &[" Ann@Example.com ", "1234567890123456"]),
        row(3, &["bob@example.com", "42"]),
        row(4, &["not-an-email", "7"]),
    );
    zipped(&[
        (
            "[Content_Types].xml",
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types \
              xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
              <Default Extension=\"rels\" \
              ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
              <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
              <Override PartName=\"/xl/workbook.xml\" \
              ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
              <Override PartName=\"/xl/worksheets/sheet1.xml\" \
              ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>\
              </Types>",
        ),
        (
            "_rels/.rels",
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships \
              xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
              <Relationship Id=\"rId1\" \
              Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" \
              Target=\"xl/workbook.xml\"/></Relationships>",
        ),
        (
            "xl/workbook.xml",
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook \
              xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
              xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
              <sheets><sheet name=\"Customers\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
        ),
        (
            "xl/_rels/workbook.xml.rels",
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships \
              xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
              <Relationship Id=\"rId1\" \
              Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" \
              Target=\"worksheets/sheet1.xml\"/></Relationships>",
        ),
        ("xl/worksheets/sheet1.xml", sheet.as_bytes()),
    ])
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
        text.contains("holds 2 files (\"a.csv\", \"b.csv\")"),
        "{text}"
    );
    assert!(!case.out().join("EMAIL.txt").exists());
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
