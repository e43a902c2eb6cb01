//! Sources that are not plain text: a gzipped export, a ZIP archive holding one delimited file,
//! and workbooks (.xlsx, .xlsm, .xls, .ods). Each is recognized by its content, not its name,
//! and expanded once per process into a private CSV (mode 0600, in a private folder of the
//! scratch root), which every reader then opens as it would the file itself: the preview, the
//! counts, browsing, uploads and syncs see the same rows.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::SourceError;
use super::growth::{Failed, GrowingWriter, Growth, SourceFile};

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
        self.with_part(self.part.clone())
    }

    /// The sheet (of a workbook) or file (of an archive) named `name`, of this packed file.
    pub fn with_part(&self, name: Option<String>) -> Part {
        match self.kind {
            "workbook" => Part {
                sheet: name,
                member: None,
            },
            "ZIP archive" => Part {
                sheet: None,
                member: name,
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
    /// The copy as its thread writes it.
    growth: Arc<Growth>,
}

impl Drop for Expanded {
    fn drop(&mut self) {
        // Its folder goes with it: a thread still writing the copy stops.
        self.growth.abandon();
    }
}

/// What goes into the copy, written on the expansion's own thread.
type Job = Box<dyn FnOnce(&mut dyn Write) -> Result<(), SourceError> + Send>;

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

/// The expanded copy of the packed file at `path`, opened: made on first use (its rows are
/// written by a thread of its own, and the copy can be read while they are), then reused
/// while the file is unchanged.
pub(crate) fn open_expanded(
    path: &Path,
    kind: Packed,
    file: File,
) -> Result<SourceFile, SourceError> {
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
        .cloned()
        // A copy that failed is made again (the failure may have been the disk's).
        .filter(|e| !e.growth.failed());
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
    let copy = File::open(&expanded.csv).map_err(|e| SourceError::io(path, e))?;
    Ok(SourceFile::growing(copy, expanded.growth.clone()))
}

fn expand(
    path: &Path,
    kind: Packed,
    mut file: File,
    size: u64,
    part: &Part,
) -> Result<Expanded, SourceError> {
    file.rewind().map_err(|e| SourceError::io(path, e))?;
    let limit = FREE_BYTES.saturating_add(size.saturating_mul(MAX_RATIO));
    let growth = Arc::new(Growth::default());
    let read = |kind, (part, parts): (String, Vec<String>)| Unpacked {
        kind,
        part: Some(part),
        parts,
        packed_size: size,
    };
    // What to read is settled here (a sheet or file that is not there is refused now); the
    // rows are written on the expansion's thread.
    let (read, job): (Unpacked, Job) = match kind {
        Packed::Gzip => {
            growth.set_estimate(gzip_size_hint(&mut file).unwrap_or(0));
            let packed = path.to_owned();
            let job: Job = Box::new(move |out| {
                let inflated = flate2::read::MultiGzDecoder::new(io::BufReader::new(file));
                bounded_copy(&packed, inflated, out, limit, "gzip file")
            });
            let read = Unpacked {
                kind: "gzip file",
                part: None,
                parts: Vec::new(),
                packed_size: size,
            };
            (read, job)
        }
        Packed::Zip => {
            let archive = zip_archive(path, file)?;
            let names = member_names(&archive);
            // Office Open XML or OpenDocument: a workbook, not an archive of exports.
            if names
                .iter()
                .any(|n| n == "[Content_Types].xml" || n == "content.xml")
            {
                let (sheet, job) = workbook(path, archive.into_inner(), part, &growth)?;
                (read("workbook", sheet), job)
            } else {
                let (member, job) = archive_member(path, archive, names, limit, part, &growth)?;
                (read("ZIP archive", member), job)
            }
        }
        Packed::Ole => {
            let (sheet, job) = workbook(path, file, part, &growth)?;
            (read("workbook", sheet), job)
        }
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
    let (dir, csv, out) = private_csv("scan", "expanded.csv")?;
    let writer = GrowingWriter {
        file: out,
        growth: growth.clone(),
    };
    let written = csv.clone();
    let ending = growth.clone();
    // A scratch copy: read from the page cache, never waited onto the disk.
    std::thread::Builder::new()
        .name("expand".into())
        .spawn(move || {
            let mut out = io::BufWriter::with_capacity(1 << 20, writer);
            let result =
                job(&mut out).and_then(|()| out.flush().map_err(|e| SourceError::io(&written, e)));
            ending.finish(result.map_err(Failed::from));
        })
        .map_err(|e| SourceError::io(path, e))?;
    Ok(Expanded {
        _dir: dir,
        csv,
        read,
        growth,
    })
}

/// A gzip file's own word on its expanded size (its last four bytes: the size modulo 4 GiB),
/// for progress while it is expanded.
fn gzip_size_hint(file: &mut File) -> Option<u64> {
    let mut tail = [0u8; 4];
    file.seek(io::SeekFrom::End(-4)).ok()?;
    file.read_exact(&mut tail).ok()?;
    file.rewind().ok()?;
    Some(u64::from(u32::from_le_bytes(tail)))
}

impl From<SourceError> for Failed {
    fn from(error: SourceError) -> Self {
        match error {
            SourceError::Packed { problem, .. } => Failed {
                problem,
                packed: true,
            },
            other => Failed {
                problem: other.to_string(),
                packed: false,
            },
        }
    }
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
    to: &mut dyn Write,
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

/// The delimited file of a ZIP archive: the one it holds, or the one named; (it, every file)
/// and the copying of it.
fn archive_member(
    path: &Path,
    mut archive: zip::ZipArchive<File>,
    names: Vec<String>,
    limit: u64,
    part: &Part,
    growth: &Growth,
) -> Result<((String, Vec<String>), Job), SourceError> {
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
    let entry = member_of(path, &mut archive, &member)?;
    growth.set_estimate(entry.size());
    drop(entry);
    let (packed, name) = (path.to_owned(), member.clone());
    let job: Job = Box::new(move |out| {
        let entry = member_of(&packed, &mut archive, &name)?;
        bounded_copy(&packed, entry, out, limit, "ZIP archive")
    });
    Ok(((member, members), job))
}

fn member_of<'a>(
    path: &Path,
    archive: &'a mut zip::ZipArchive<File>,
    member: &str,
) -> Result<zip::read::ZipFile<'a, File>, SourceError> {
    let protected = || {
        unreadable(
            path,
            "the ZIP archive is password-protected: unpack it yourself and open the file".into(),
        )
    };
    let entry = archive.by_name(member).map_err(|e| match e {
        zip::result::ZipError::UnsupportedArchive(why) if why.contains("assword") => protected(),
        e => unreadable(path, format!("its file \"{member}\" cannot be read ({e})")),
    })?;
    if entry.encrypted() {
        return Err(protected());
    }
    Ok(entry)
}

/// A sheet of a workbook (the first, or the one named) as CSV, each cell as the spreadsheet
/// shows it; (the sheet, every sheet).
fn workbook(
    path: &Path,
    mut file: File,
    part: &Part,
    growth: &Arc<Growth>,
) -> Result<((String, Vec<String>), Job), SourceError> {
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
    let (packed, name, growth) = (path.to_owned(), sheet.clone(), growth.clone());
    let job: Job = Box::new(move |out| {
        let cannot_read = |e: &dyn std::fmt::Display| {
            unreadable(
                &packed,
                format!("its sheet \"{name}\" cannot be read ({e})"),
            )
        };
        let mut writer = csv::Writer::from_writer(out);
        let written = match &mut book {
            // An .xlsx sheet is read with its shared strings borrowed, not copied cell by
            // cell: most of a customer list's cells are shared strings.
            calamine::Sheets::Xlsx(xlsx) => {
                use calamine::ReaderRef;
                let range = xlsx
                    .worksheet_range_ref(&name)
                    .map_err(|e| cannot_read(&e))?;
                growth.set_estimate(estimate(range.rows(), |c| cell_ref_text(c).len()));
                range.rows().try_for_each(|row| {
                    for cell in row {
                        writer.write_field(cell_ref_text(cell).as_bytes())?;
                    }
                    // Ends the record of the fields written.
                    writer.write_record(None::<&[u8]>)
                })
            }
            other => {
                let range = other.worksheet_range(&name).map_err(|e| cannot_read(&e))?;
                growth.set_estimate(estimate(range.rows(), |c| cell_text(c).len()));
                range
                    .rows()
                    .try_for_each(|row| writer.write_record(row.iter().map(cell_text)))
            }
        };
        written.map_err(|e| unreadable(&packed, format!("cannot write its copy ({e})")))?;
        writer.flush().map_err(|e| SourceError::io(&packed, e))
    });
    Ok(((sheet, sheets), job))
}

/// The size of a sheet's copy, from its first thousand rows: for progress.
fn estimate<'a, T: 'a>(
    rows: impl ExactSizeIterator<Item = &'a [T]>,
    width: impl Fn(&T) -> usize,
) -> u64 {
    let total = rows.len() as u64;
    let (mut counted, mut bytes) = (0u64, 0u64);
    for row in rows.take(1000) {
        counted += 1;
        bytes += row.iter().map(|c| width(c) as u64 + 1).sum::<u64>();
    }
    bytes
        .saturating_mul(total)
        .checked_div(counted)
        .unwrap_or(0)
}

/// An .xlsx cell as the spreadsheet shows it, text borrowed (see `cell_text`).
fn cell_ref_text<'a>(cell: &'a calamine::DataRef<'a>) -> std::borrow::Cow<'a, str> {
    use calamine::DataRef;
    match cell {
        DataRef::SharedString(text) => std::borrow::Cow::Borrowed(text),
        DataRef::String(text) => std::borrow::Cow::Borrowed(text.as_str()),
        DataRef::Empty => std::borrow::Cow::Borrowed(""),
        other => std::borrow::Cow::Owned(cell_text(&calamine::Data::from(other.clone()))),
    }
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
