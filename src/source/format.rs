use std::fmt;

use serde::{Deserialize, Serialize};

use crate::identity::Shape;

/// How the file's bytes are text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
}

impl TextEncoding {
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf8Bom => "UTF-8 with BOM",
            TextEncoding::Utf16Le => "UTF-16 LE (converted)",
            TextEncoding::Utf16Be => "UTF-16 BE (converted)",
        }
    }
}

/// The field separator. `None` is a single-column text file: one value per line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delimiter {
    Comma,
    Tab,
    Semicolon,
    Pipe,
    None,
}

impl Delimiter {
    const CANDIDATES: [Delimiter; 4] = [
        Delimiter::Comma,
        Delimiter::Tab,
        Delimiter::Semicolon,
        Delimiter::Pipe,
    ];

    /// The byte handed to the CSV parser. A single-column file uses the ASCII unit separator,
    /// which text exports never contain, so commas inside values stay in the value.
    pub fn byte(self) -> u8 {
        match self {
            Delimiter::Comma => b',',
            Delimiter::Tab => b'\t',
            Delimiter::Semicolon => b';',
            Delimiter::Pipe => b'|',
            Delimiter::None => 0x1f,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Delimiter::Comma => "comma-separated",
            Delimiter::Tab => "tab-separated",
            Delimiter::Semicolon => "semicolon-separated",
            Delimiter::Pipe => "pipe-separated",
            Delimiter::None => "one value per line",
        }
    }

    /// Parses the `--delimiter` option: a name or the character itself.
    pub fn parse(text: &str) -> Option<Delimiter> {
        match text {
            "," | "comma" => Some(Delimiter::Comma),
            "\t" | "\\t" | "tab" => Some(Delimiter::Tab),
            ";" | "semicolon" => Some(Delimiter::Semicolon),
            "|" | "pipe" => Some(Delimiter::Pipe),
            "none" => Some(Delimiter::None),
            _ => None,
        }
    }

    /// Picks the separator that splits the sample's records into the same number of fields
    /// (two or more) most consistently. Parsing with the CSV reader keeps quoted separators
    /// from counting.
    pub fn sniff(sample: &str) -> Delimiter {
        let mut best = (Delimiter::None, 0usize, 0usize);
        for candidate in Self::CANDIDATES {
            let widths = record_widths(sample, candidate.byte());
            let Some(mode) = mode(&widths) else { continue };
            if mode < 2 {
                continue;
            }
            let agreeing = widths.iter().filter(|&&w| w == mode).count();
            if agreeing > best.1 || (agreeing == best.1 && mode > best.2) {
                best = (candidate, agreeing, mode);
            }
        }
        best.0
    }
}

fn record_widths(sample: &str, delimiter: u8) -> Vec<usize> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(sample.as_bytes())
        .byte_records()
        .take(50)
        .filter_map(Result::ok)
        .map(|r| r.len())
        .collect()
}

fn mode(values: &[usize]) -> Option<usize> {
    let mut counts = std::collections::BTreeMap::new();
    for &v in values {
        *counts.entry(v).or_insert(0usize) += 1;
    }
    counts.into_iter().max_by_key(|&(_, n)| n).map(|(v, _)| v)
}

/// What the reader needs to know about a file, sniffed or set by the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Format {
    pub encoding: TextEncoding,
    pub delimiter: Delimiter,
    pub has_header: bool,
    pub crlf: bool,
}

/// A record's field (the reader leaves a CRLF's `\r` out of the last one).
pub(crate) fn field(record: &csv::ByteRecord, index: usize) -> &[u8] {
    &record[index]
}

/// A record holding one empty field (`""`): there is nothing in it to read.
pub(crate) fn is_blank(record: &csv::ByteRecord) -> bool {
    record.len() == 1 && record[0].is_empty()
}

impl Format {
    /// "header row" or "no header row".
    pub fn header_words(&self) -> &'static str {
        if self.has_header {
            "header row"
        } else {
            "no header row"
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {}, {}, {} line endings",
            self.encoding.label(),
            self.delimiter.label(),
            self.header_words(),
            if self.crlf { "CRLF" } else { "LF" }
        )
    }
}

/// A first row is a header when it names a known column or none of its cells looks like an
/// identity.
pub fn sniff_header(first: &[String]) -> bool {
    if first
        .iter()
        .any(|cell| super::columns::namespace_for_header(cell).is_some())
    {
        return true;
    }
    // With no identity in it, the first row is taken for names: the user maps columns by the
    // names they see, and can say otherwise with --header no. An `@` marks a person's address
    // even when it is not a valid one, and no column name has one.
    !first
        .iter()
        .any(|cell| cell.contains('@') || Shape::of(cell).is_identity())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_delimiters() {
        assert_eq!(Delimiter::sniff("a,b,c\n1,2,3\n"), Delimiter::Comma);
        assert_eq!(Delimiter::sniff("a\tb\n1\t2\n"), Delimiter::Tab);
        assert_eq!(Delimiter::sniff("a;b\n1;2\n"), Delimiter::Semicolon);
        assert_eq!(Delimiter::sniff("a|b\n1|2\n"), Delimiter::Pipe);
        assert_eq!(Delimiter::sniff("a@b.com\nc@d.com\n"), Delimiter::None);
        // A quoted comma does not make a comma-separated file out of a semicolon one.
        assert_eq!(
            Delimiter::sniff("name;email\n\"Doe, Jane\";j@x.com\n\"Roe, R\";r@x.com\n"),
            Delimiter::Semicolon
        );
    }

    #[test]
    fn sniffs_headers() {
        let s = |v: &[&str]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        assert!(sniff_header(&s(&["Email Address", "x"])));
        assert!(sniff_header(&s(&["contact", "notes"])));
        assert!(!sniff_header(&s(&["a@b.com", "x"])));
        assert!(!sniff_header(&s(&["Jane Doe", "jane.doe@example", "x"])));
    }
}
