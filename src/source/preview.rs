use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::format::{field, is_blank, sniff_header};
use super::open::{Head, read_head};
use super::records::RecordReader;
use super::{Column, Delimiter, Format, MapSpec, ScanPlan, SourceError, columns};
use crate::identity::{ListType, Namespace, Normalizer, Reason};

/// Rows of the head used to guess column types.
const CLASSIFY_ROWS: usize = 1000;

#[derive(Clone, Debug)]
pub struct PreviewOptions {
    /// `None`: sniffed.
    pub header: Option<bool>,
    /// `None`: sniffed.
    pub delimiter: Option<Delimiter>,
    pub mappings: Vec<MapSpec>,
    /// How many rows the preview shows.
    pub sample_rows: usize,
    /// For a workbook or a ZIP archive: the sheet or file to read (every reader of the path
    /// in this process reads the same).
    pub part: super::Part,
}

impl Default for PreviewOptions {
    fn default() -> Self {
        PreviewOptions {
            header: None,
            delimiter: None,
            mappings: Vec::new(),
            sample_rows: 100,
            part: super::Part::default(),
        }
    }
}

/// What happened to one cell of the sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "snake_case")]
pub enum CellStatus {
    Valid,
    /// A SHA-256 digest in the file, sent as is.
    PreHashed,
    Empty,
    /// Valid, but the same digest came earlier in the sample.
    Duplicate,
    Invalid(Reason),
}

impl CellStatus {
    pub fn label(self) -> String {
        match self {
            CellStatus::Valid => "valid".into(),
            CellStatus::PreHashed => "valid (pre-hashed)".into(),
            CellStatus::Empty => "empty".into(),
            CellStatus::Duplicate => "duplicate".into(),
            CellStatus::Invalid(reason) => format!("rejected: {reason}"),
        }
    }
}

/// One identity cell of the sample: raw, normalized, digest, status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SampleCell {
    /// Index into `Preview::columns`.
    pub column: usize,
    pub raw: String,
    pub normalized: Option<String>,
    pub digest: Option<String>,
    #[serde(flatten)]
    pub status: CellStatus,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SampleRow {
    pub line: u64,
    /// Set when the whole row is rejected (ragged); then `cells` is empty.
    pub problem: Option<Reason>,
    pub cells: Vec<SampleCell>,
}

/// The first screen of a file: its format, each column's namespace and why, and the first rows
/// as they will be sent. Built from the head of the file only, so it is instant at any size.
#[derive(Clone, Debug, Serialize)]
pub struct Preview {
    pub path: PathBuf,
    pub size: u64,
    pub format: Format,
    pub width: usize,
    pub columns: Vec<Column>,
    pub rows: Vec<SampleRow>,
    /// For a workbook, an archive or a gzip file: what was read of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unpacked: Option<super::Unpacked>,
    /// For a query's result: the database, as shown (`path` is then the result's scratch copy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// For a query's result: the result itself, so that its scratch copy lives as long as
    /// anything reads it (this preview, a plan made from it) and not only the screen that
    /// opened it.
    #[serde(skip)]
    pub held: Option<std::sync::Arc<super::QueryResult>>,
    #[serde(skip)]
    records: Vec<HeadRecord>,
    #[serde(skip)]
    sample_rows: usize,
}

impl Preview {
    pub fn load(path: &Path, options: &PreviewOptions) -> Result<Preview, SourceError> {
        super::choose_part(path, options.part.clone());
        let Head {
            encoding,
            size,
            text,
        } = read_head(path)?;
        let delimiter = options.delimiter.unwrap_or_else(|| Delimiter::sniff(&text));
        let mut format = Format {
            encoding,
            delimiter,
            has_header: false,
            crlf: text.contains("\r\n"),
        };
        let mut records = parse_records(&format, &text);
        let Some((_, first, _)) = records.first() else {
            return Err(SourceError::Empty {
                path: path.to_owned(),
            });
        };
        format.has_header = options.header.unwrap_or_else(|| sniff_header(first));
        let headers = format.has_header.then(|| records.remove(0).1);
        let width = headers
            .as_ref()
            .map(Vec::len)
            .unwrap_or_else(|| most_common_width(&records));
        let sample: Vec<Vec<String>> = records
            .iter()
            .take(CLASSIFY_ROWS)
            .filter(|(_, _, problem)| problem.is_none())
            .map(|(_, r, _)| r.clone())
            .collect();
        let mut columns = columns::classify(headers.as_deref(), width, &sample);
        for spec in &options.mappings {
            spec.apply(&mut columns)?;
        }
        records.truncate(options.sample_rows);
        let mut preview = Preview {
            path: path.to_owned(),
            size,
            format,
            width,
            columns,
            rows: Vec::new(),
            unpacked: super::unpacked(path),
            query: None,
            held: None,
            records,
            sample_rows: options.sample_rows,
        };
        preview.rows = preview.sample();
        Ok(preview)
    }

    /// The file's size and format as the user knows them. A workbook's cells have no encoding,
    /// delimiter or line endings (those are of the copy it is read through), so it is named
    /// as a workbook; a compressed file's text has them, and both sizes are given.
    pub fn shown_format(&self) -> String {
        let bytes = crate::display::bytes;
        match &self.unpacked {
            Some(unpacked) if unpacked.kind == "workbook" => format!(
                "{} workbook, {}",
                bytes(unpacked.packed_size),
                self.format.header_words()
            ),
            Some(unpacked) => format!(
                "{} ({} unpacked), {}",
                bytes(unpacked.packed_size),
                bytes(self.size),
                self.format
            ),
            None => format!("{}, {}", bytes(self.size), self.format),
        }
    }

    /// Maps a column to another namespace and recomputes the sample.
    pub fn remap(&mut self, column: usize, namespace: Namespace) {
        if let Some(c) = self.columns.get_mut(column) {
            c.namespace = namespace;
            c.reason = "set by you".into();
            c.guessed = false;
            self.rows = self.sample();
        }
    }

    pub fn identity_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns
            .iter()
            .filter(|c| c.namespace != Namespace::Ignore)
    }

    /// The list types this mapping produces.
    pub fn list_types(&self) -> Vec<ListType> {
        let mut types: Vec<ListType> = self
            .identity_columns()
            .filter_map(|c| c.namespace.list_type())
            .collect();
        types.sort();
        types.dedup();
        types
    }

    /// The plan for the full pass within `memory`; refuses a mapping with no identity column.
    pub fn scan_plan(&self, memory: &super::MemoryBudget) -> Result<ScanPlan, SourceError> {
        let columns: Vec<Column> = self.identity_columns().cloned().collect();
        if columns.is_empty() {
            return Err(SourceError::NoIdentityColumn {
                path: self.path.clone(),
                columns: crate::display::quoted_names(self.columns.iter().map(|c| c.name.as_str())),
            });
        }
        Ok(ScanPlan {
            path: self.path.clone(),
            format: self.format,
            width: self.width,
            columns,
            memory: memory.clone(),
        })
    }

    fn sample(&self) -> Vec<SampleRow> {
        let rows = self.records.iter().take(self.sample_rows);
        self.sample_of(rows.map(|(line, fields, problem)| (*line, fields.as_slice(), *problem)))
    }

    /// The rows as the preview shows them: each identity cell raw, normalized, hashed, with
    /// its status; a repeat is a value seen earlier among these rows. `problem` is what the
    /// reader found wrong with a row (a line cut for length); a row of the wrong width is
    /// rejected here.
    pub(crate) fn sample_of<'a>(
        &self,
        rows: impl Iterator<Item = (u64, &'a [String], Option<Reason>)>,
    ) -> Vec<SampleRow> {
        let mut normalizer = Normalizer::new();
        let mut seen = HashSet::new();
        rows.map(|(line, fields, problem)| {
            let problem = problem.or((fields.len() != self.width).then_some(Reason::RaggedRow));
            if problem.is_some() {
                return SampleRow {
                    line,
                    problem,
                    cells: Vec::new(),
                };
            }
            let cells = self
                .identity_columns()
                .map(|c| sample_cell(&mut normalizer, &mut seen, c, &fields[c.index]))
                .collect();
            SampleRow {
                line,
                problem: None,
                cells,
            }
        })
        .collect()
    }
}

fn sample_cell(
    normalizer: &mut Normalizer,
    seen: &mut HashSet<(ListType, crate::identity::Digest)>,
    column: &Column,
    raw: &str,
) -> SampleCell {
    let mut cell = SampleCell {
        column: column.index,
        raw: raw.to_owned(),
        normalized: None,
        digest: None,
        status: CellStatus::Empty,
    };
    match normalizer.apply(column.namespace, raw) {
        Ok(None) => {}
        Err(reason) => cell.status = CellStatus::Invalid(reason),
        Ok(Some(normalized)) => {
            let digest = normalized.digest();
            cell.normalized = Some(normalized.to_text());
            cell.digest = Some(digest.to_hex());
            let fresh = column
                .namespace
                .list_type()
                .is_none_or(|lt| seen.insert((lt, digest)));
            cell.status = match normalized {
                _ if !fresh => CellStatus::Duplicate,
                crate::identity::Normalized::PreHashed(_) => CellStatus::PreHashed,
                crate::identity::Normalized::Plain(_) => CellStatus::Valid,
            };
        }
    }
    cell
}

/// Parses the head with the reader the full pass uses, so lines and fields agree.
/// A record of the head: its line, its fields, and what the reader found wrong with it.
type HeadRecord = (u64, Vec<String>, Option<Reason>);

fn parse_records(format: &Format, text: &str) -> Vec<HeadRecord> {
    let mut reader = RecordReader::new(text.as_bytes(), format.delimiter.byte());
    let mut record = csv::ByteRecord::new();
    let mut records = Vec::new();
    // Reading from memory cannot fail.
    while let Ok(Some(span)) = reader.read(&mut record) {
        if is_blank(&record) {
            continue;
        }
        let fields = (0..record.len())
            .map(|i| String::from_utf8_lossy(field(&record, i)).into_owned())
            .collect();
        records.push((span.line, fields, span.problem));
    }
    records
}

fn most_common_width(records: &[HeadRecord]) -> usize {
    let mut counts = std::collections::BTreeMap::new();
    for (_, r, _) in records.iter().take(CLASSIFY_ROWS) {
        *counts.entry(r.len()).or_insert(0usize) += 1;
    }
    counts
        .into_iter()
        .max_by_key(|&(width, n)| (n, width))
        .map_or(1, |(width, _)| width)
}
