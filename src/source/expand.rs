//! Sources that are not plain text: a gzipped export, a ZIP archive holding one delimited file,
//! and workbooks (.xlsx, .xlsm, .xls, .ods). Each is recognized by its content, not its name,
//! and expanded once per process into a private CSV (mode 0600, in a private folder of the
//! scratch root), which every reader then opens as it would the file itself: the preview, the
//! counts, browsing, uploads and syncs see the same rows.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::SourceError;

/// What a file's first bytes say it holds, when it is not text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Packed {
    Gzip,
    /// A ZIP archive: an .xlsx/.xlsm/.ods workbook, or an archive of exports.
    Zip,
    /// An old binary Excel workbook (.xls).
    Ole,
}

pub(crate) fn packed(head: &[u8]) -> Option<Packed> {
    if head.starts_with(&[0x1F, 0x8B]) {
        Some(Packed::Gzip)
    } else if head.starts_with(b"PK\x03\x04") {
        Some(Packed::Zip)
    } else if head.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        Some(Packed::Ole)
    } else {
        None
    }
}

/// Expansion past this many bytes per byte of the packed file, beyond the first 64 MiB, is
/// refused: an archive that grows a thousandfold is a bomb, not an export.
const MAX_RATIO: u64 = 200;
const FREE_BYTES: u64 = 64 << 20;

/// Where expanded copies go: the scratch root of the home (set when a core opens it, and by
/// every command), else a private folder made in the system's temporary folder (which itself
/// is left as it is).
static ROOT: OnceLock<PathBuf> = OnceLock::new();

/// Expanded copies made by this process, by the packed file's path, size and time, and the
/// part read.
type Key = (PathBuf, u64, Option<SystemTime>, Part);
static EXPANDED: Mutex<Option<HashMap<Key, Arc<Expanded>>>> = Mutex::new(None);

/// The part of each packed file to read, as the user named it (`--sheet`, `--member`).
static PARTS: Mutex<Option<HashMap<PathBuf, Part>>> = Mutex::new(None);

/// Which part of a packed file to read: a workbook's sheet (default: the first), an archive's
/// file (default: its only one).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Part {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
}

impl Part {
    pub fn is_default(&self) -> bool {
        self.sheet.is_none() && self.member.is_none()
    }
}

/// What was read of a packed file, for the user: the part, the others, and the packed size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unpacked {
    /// "gzip file", "ZIP archive" or "workbook".
    pub kind: &'static str,
    /// The sheet or the archive's file that was read.
    pub part: Option<String>,
    /// Every sheet of the workbook, or every file of the archive.
    pub parts: Vec<String>,
    pub packed_size: u64,
}

impl Unpacked {
    /// The part read, named: what reads the same sheet or file again.
    pub fn as_part(&self) -> Part {
        match self.kind {
            "workbook" => Part {
                sheet: self.part.clone(),
                member: None,
            },
            "ZIP archive" => Part {
                sheet: None,
                member: self.part.clone(),
            },
            _ => Part::default(),
        }
    }

    /// "sheet \"Customers\" (1 of 2: Customers, Returns) of a 2.1 MiB workbook".
    pub fn describe(&self) -> String {
        let of = format!(
            "a {} {}",
            crate::display::bytes(self.packed_size),
            self.kind
        );
        let noun = match self.kind {
            "workbook" => "sheet",
            _ => "file",
        };
        match &self.part {
            None => format!("unpacked from {of}"),
            Some(part) if self.parts.len() > 1 => format!(
                "{noun} \"{part}\" ({} of {}: {}) of {of}",
                self.parts
                    .iter()
                    .position(|p| p == part)
                    .map_or(1, |i| i + 1),
                self.parts.len(),
                crate::display::quoted_names(self.parts.iter().map(String::as_str))
            ),
            Some(part) => format!("{noun} \"{part}\" of {of}"),
        }
    }
}

/// A private folder of this process (named as scratch folders are, so that one a crash left
/// behind is removed like them), the copy in it, and what it was read from.
struct Expanded {
    _dir: tempfile::TempDir,
    csv: PathBuf,
    read: Unpacked,
}

/// Names the part of the packed file at `path` that every reader in this process reads.
pub fn choose_part(path: &Path, part: Part) {
    // Invariant: nothing panics while this lock is held.
    let mut parts = PARTS.lock().expect("chosen parts");
    let parts = parts.get_or_insert_with(HashMap::new);
    match part.is_default() {
        true => parts.remove(path),
        false => parts.insert(path.to_owned(), part),
    };
}

fn chosen_part(path: &Path) -> Part {
    PARTS
        .lock()
        .expect("chosen parts")
        .as_ref()
        .and_then(|parts| parts.get(path).cloned())
        .unwrap_or_default()
}

/// What this process read of the packed file at `path` (`None` for a plain file, or one not
/// opened yet).
pub fn unpacked(path: &Path) -> Option<Unpacked> {
    let meta = std::fs::metadata(path).ok()?;
    let key = (
        path.to_owned(),
        meta.len(),
        meta.modified().ok(),
        chosen_part(path),
    );
    EXPANDED
        .lock()
        .expect("expanded files")
        .as_ref()?
        .get(&key)
        .map(|e| e.read.clone())
}

/// Removes the expanded copies this process made: called as it ends (statics are never
/// dropped, and a copy holds the customer file's rows).
pub fn forget_expanded() {
    if let Ok(mut expanded) = EXPANDED.lock() {
        *expanded = None;
    }
}

/// Sets where expanded copies go (the home's scratch root); the first caller wins.
pub fn set_root(root: &Path) {
    let _ = ROOT.set(root.to_owned());
}

/// The expanded copy of the packed file at `path`, opened: made on first use, then reused
/// while the file is unchanged.
pub(crate) fn open_expanded(path: &Path, kind: Packed, file: File) -> Result<File, SourceError> {
    let meta = file.metadata().map_err(|e| SourceError::io(path, e))?;
    let part = chosen_part(path);
    let key = (
        path.to_owned(),
        meta.len(),
        meta.modified().ok(),
        part.clone(),
    );
    // Invariant: nothing panics while this lock is held.
    let known = EXPANDED
        .lock()
        .expect("expanded files")
        .get_or_insert_with(HashMap::new)
        .get(&key)
        .cloned();
    let expanded = match known {
        Some(expanded) => expanded,
        None => {
            let made = Arc::new(expand(path, kind, file, meta.len(), &part)?);
            EXPANDED
                .lock()
                .expect("expanded files")
                .get_or_insert_with(HashMap::new)
                .insert(key, made.clone());
            made
        }
    };
    File::open(&expanded.csv).map_err(|e| SourceError::io(path, e))
}

fn expand(
    path: &Path,
    kind: Packed,
    mut file: File,
    size: u64,
    part: &Part,
) -> Result<Expanded, SourceError> {
    file.rewind().map_err(|e| SourceError::io(path, e))?;
    let (dir, csv, mut out) = private_csv("scan", "expanded.csv")?;
    let limit = FREE_BYTES.saturating_add(size.saturating_mul(MAX_RATIO));
    let read = |kind, (part, parts): (String, Vec<String>)| Unpacked {
        kind,
        part: Some(part),
        parts,
        packed_size: size,
    };
    let read = match kind {
        Packed::Gzip => {
            let inflated = flate2::read::MultiGzDecoder::new(io::BufReader::new(file));
            bounded_copy(path, inflated, &mut out, limit, "gzip file")?;
            Unpacked {
                kind: "gzip file",
                part: None,
                parts: Vec::new(),
                packed_size: size,
            }
        }
        Packed::Zip => {
            let archive = zip_archive(path, file)?;
            let names = member_names(&archive);
            // Office Open XML or OpenDocument: a workbook, not an archive of exports.
            if names
                .iter()
                .any(|n| n == "[Content_Types].xml" || n == "content.xml")
            {
                read(
                    "workbook",
                    workbook(path, archive.into_inner(), &mut out, part)?,
                )
            } else {
                let member = archive_member(path, archive, names, &mut out, limit, part)?;
                read("ZIP archive", member)
            }
        }
        Packed::Ole => read("workbook", workbook(path, file, &mut out, part)?),
    };
    if part.sheet.is_some() && read.kind != "workbook" {
        return Err(unreadable(
            path,
            format!("it is a {}, not a workbook: it has no sheets", read.kind),
        ));
    }
    if part.member.is_some() && read.kind != "ZIP archive" {
        return Err(unreadable(
            path,
            format!("it is a {}, not a ZIP archive of files", read.kind),
        ));
    }
    // A scratch copy: it is read from the page cache, never waited onto the disk.
    Ok(Expanded {
        _dir: dir,
        csv,
        read,
    })
}

/// A new private folder (0700) for this process's copies, in the home's scratch root (the
/// app's own, made private too) or else in the system's temporary folder (shared, so never
/// touched itself), with an empty private file `name` in it.
pub(crate) fn private_csv(
    kind: &str,
    name: &str,
) -> Result<(tempfile::TempDir, PathBuf, File), SourceError> {
    let prefix = format!("{kind}-{}-", std::process::id());
    let mut folder = tempfile::Builder::new();
    folder.prefix(&prefix);
    let dir = match ROOT.get() {
        Some(root) => {
            crate::home::private_dir(root).map_err(|e| SourceError::io(root, e))?;
            folder.tempdir_in(root)
        }
        None => folder.tempdir(),
    }
    .map_err(|e| SourceError::io(&std::env::temp_dir(), e))?;
    let csv = dir.path().join(name);
    let out = crate::home::private_options()
        .write(true)
        .create_new(true)
        .open(&csv)
        .map_err(|e| SourceError::io(&csv, e))?;
    Ok((dir, csv, out))
}

fn unreadable(path: &Path, problem: String) -> SourceError {
    SourceError::Packed {
        path: path.to_owned(),
        problem,
    }
}

/// Copies at most `limit` bytes; past it the file is refused, as a bomb.
fn bounded_copy(
    path: &Path,
    from: impl Read,
    to: &mut File,
    limit: u64,
    what: &str,
) -> Result<(), SourceError> {
    let copied = io::copy(&mut from.take(limit + 1), to)
        .map_err(|e| unreadable(path, format!("the {what} is damaged ({e})")))?;
    if copied > limit {
        return Err(unreadable(
            path,
            format!(
                "the {what} expands past {} ({}x its size): it was refused as an archive \
                 bomb. Unpack it yourself if it is a real export",
                crate::display::bytes(limit),
                MAX_RATIO
            ),
        ));
    }
    Ok(())
}

fn zip_archive(path: &Path, file: File) -> Result<zip::ZipArchive<File>, SourceError> {
    zip::ZipArchive::new(file).map_err(|e| {
        unreadable(
            path,
            format!("it is not a ZIP archive this app can read ({e})"),
        )
    })
}

fn member_names(archive: &zip::ZipArchive<File>) -> Vec<String> {
    archive
        .file_names()
        .filter_map(Result::ok)
        .map(|name| name.into_owned())
        .collect()
}

/// The delimited file of a ZIP archive: the one it holds, or the one named; (it, every file).
fn archive_member(
    path: &Path,
    mut archive: zip::ZipArchive<File>,
    names: Vec<String>,
    out: &mut File,
    limit: u64,
    part: &Part,
) -> Result<(String, Vec<String>), SourceError> {
    let members: Vec<String> = names
        .into_iter()
        .filter(|n| !n.ends_with('/') && !n.starts_with("__MACOSX/"))
        .collect();
    let listed = || crate::display::quoted_names(members.iter().map(String::as_str));
    let member = match (&part.member, members.as_slice()) {
        (_, []) => {
            return Err(unreadable(path, "the ZIP archive holds no file".into()));
        }
        (Some(wanted), _) => members
            .iter()
            .find(|m| *m == wanted || m.rsplit('/').next() == Some(wanted.as_str()))
            .cloned()
            .ok_or_else(|| {
                unreadable(
                    path,
                    format!(
                        "the ZIP archive has no file \"{wanted}\"; it holds {}",
                        listed()
                    ),
                )
            })?,
        (None, [one]) => one.clone(),
        (None, many) => {
            return Err(SourceError::ManyParts {
                path: path.to_owned(),
                count: many.len(),
                names: listed(),
            });
        }
    };
    let entry = archive.by_name(&member).map_err(|e| match e {
        zip::result::ZipError::UnsupportedArchive(why) if why.contains("assword") => unreadable(
            path,
            "the ZIP archive is password-protected: unpack it yourself and open the file".into(),
        ),
        e => unreadable(path, format!("its file \"{member}\" cannot be read ({e})")),
    })?;
    if entry.encrypted() {
        return Err(unreadable(
            path,
            "the ZIP archive is password-protected: unpack it yourself and open the file".into(),
        ));
    }
    bounded_copy(path, entry, out, limit, "ZIP archive")?;
    Ok((member, members))
}

/// A sheet of a workbook (the first, or the one named) as CSV, each cell as the spreadsheet
/// shows it; (the sheet, every sheet).
fn workbook(
    path: &Path,
    mut file: File,
    out: &mut File,
    part: &Part,
) -> Result<(String, Vec<String>), SourceError> {
    use calamine::Reader;
    file.rewind().map_err(|e| SourceError::io(path, e))?;
    // The reader wants the workbook in memory (it is compressed XML, far smaller than the
    // rows it holds).
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)
        .map_err(|e| SourceError::io(path, e))?;
    let mut book = calamine::open_workbook_auto_from_rs(io::Cursor::new(bytes)).map_err(|e| {
        unreadable(
            path,
            format!(
                "it looks like a workbook but cannot be read ({e}); a password-protected or \
                 damaged workbook must be saved again, or exported as CSV"
            ),
        )
    })?;
    let sheets = book.sheet_names();
    let sheet = match &part.sheet {
        Some(wanted) => sheets
            .iter()
            .find(|s| *s == wanted || s.eq_ignore_ascii_case(wanted))
            .cloned()
            .ok_or_else(|| {
                unreadable(
                    path,
                    format!(
                        "the workbook has no sheet \"{wanted}\"; its sheets are {}",
                        crate::display::quoted_names(sheets.iter().map(String::as_str))
                    ),
                )
            })?,
        None => sheets
            .first()
            .cloned()
            .ok_or_else(|| unreadable(path, "the workbook has no sheet".into()))?,
    };
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| unreadable(path, format!("its sheet \"{sheet}\" cannot be read ({e})")))?;
    let mut writer = csv::Writer::from_writer(io::BufWriter::new(out));
    for row in range.rows() {
        writer
            .write_record(row.iter().map(cell_text))
            .map_err(|e| unreadable(path, format!("cannot write its copy ({e})")))?;
    }
    writer.flush().map_err(|e| SourceError::io(path, e))?;
    Ok((sheet, sheets))
}

/// A cell as the spreadsheet shows it: whole numbers without a decimal point or exponent (a
/// long ID typed as a number must not turn into 1.23E+15), dates as ISO dates.
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(text) => text.clone(),
        Data::Int(n) => n.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => match d.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => t.date().to_string(),
            Some(t) => t.to_string(),
            None => d.as_f64().to_string(),
        },
        Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_as_they_are_shown() {
        use calamine::Data;
        assert_eq!(
            cell_text(&Data::Float(1234567890123456.0)),
            "1234567890123456"
        );
        assert_eq!(cell_text(&Data::Float(2.5)), "2.5");
        assert_eq!(cell_text(&Data::Int(42)), "42");
        assert_eq!(cell_text(&Data::String(" A@x.com ".into())), " A@x.com ");
        assert_eq!(cell_text(&Data::Empty), "");
    }

    /// The `packed` fuzz target's seeds, cut short and with bytes flipped, through the
    /// preview as a user's file: refused with a sentence naming the file, or read.
    #[test]
    fn damaged_packed_files_are_refused_or_read_never_a_panic() {
        let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/packed");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("customers.dat");
        let mut tried = 0;
        for seed in std::fs::read_dir(&seeds).unwrap() {
            let bytes = std::fs::read(seed.unwrap().path()).unwrap();
            let body = &bytes[1..];
            let mut variants: Vec<Vec<u8>> = (1..8)
                .map(|k| body[..body.len() * k / 8].to_vec())
                .collect();
            for at in (0..body.len()).step_by(body.len() / 16 + 1) {
                let mut flipped = body.to_vec();
                flipped[at] ^= 0x5A;
                variants.push(flipped);
            }
            for variant in variants {
                std::fs::write(&path, &variant).unwrap();
                match crate::source::Preview::load(&path, &Default::default()) {
                    Ok(preview) => assert!(
                        preview
                            .rows
                            .iter()
                            .all(|r| r.cells.len() <= preview.columns.len())
                    ),
                    Err(error) => {
                        assert!(error.to_string().contains("customers.dat"), "{error}")
                    }
                }
                forget_expanded();
                tried += 1;
            }
        }
        assert!(tried >= 30, "{tried}");
    }

    #[test]
    fn packed_files_are_known_by_their_first_bytes() {
        assert_eq!(packed(&[0x1F, 0x8B, 8]), Some(Packed::Gzip));
        assert_eq!(packed(b"PK\x03\x04rest"), Some(Packed::Zip));
        assert_eq!(packed(b"email\n"), None);
    }
}
