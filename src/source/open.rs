use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use encoding_rs_io::DecodeReaderBytesBuilder;

use super::growth::SourceFile;
use super::{SourceError, TextEncoding};

/// How much of the file's start the preview reads and sniffs.
pub(crate) const HEAD_BYTES: usize = 256 * 1024;

/// The start of a file, its encoding and size: enough for the preview.
pub(crate) struct Head {
    pub encoding: TextEncoding,
    pub size: u64,
    /// Decoded text of the head, cut after its last complete line unless the file ends there.
    pub text: String,
}

pub(crate) fn read_head(path: &Path) -> Result<Head, SourceError> {
    let mut file = open_file(path)?;
    let mut bytes = Vec::with_capacity(HEAD_BYTES);
    (&mut file)
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut bytes)
        .map_err(|e| SourceError::io(path, e))?;
    let encoding = detect(path, &bytes)?;
    // A copy still being expanded has its expected size until it is whole.
    let size = file.len().map_err(|e| SourceError::io(path, e))?;
    let whole_file = bytes.len() < HEAD_BYTES
        || file.whole_len().map_err(|e| SourceError::io(path, e))? == Some(bytes.len() as u64);
    let mut text = match encoding {
        TextEncoding::Utf8 | TextEncoding::Utf8Bom => {
            let body = &bytes[bom_len(encoding)..];
            let body = if whole_file {
                body
            } else {
                // A multi-byte character may straddle the cut; keep whole lines, or in a
                // line longer than the head, whole characters.
                match memchr::memrchr(b'\n', body) {
                    Some(i) => &body[..=i],
                    None => match std::str::from_utf8(body) {
                        Err(e) if e.error_len().is_none() => &body[..e.valid_up_to()],
                        _ => body,
                    },
                }
            };
            utf8_or_error(path, body, 1)?.to_owned()
        }
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => {
            let mut decoded = String::new();
            decoder(&bytes[..bytes.len() & !1])
                .read_to_string(&mut decoded)
                .map_err(|e| SourceError::io(path, e))?;
            decoded
        }
    };
    if !whole_file && let Some(i) = text.rfind('\n') {
        text.truncate(i + 1);
    }
    if text.trim().is_empty() {
        return Err(SourceError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(Head {
        encoding,
        size,
        text,
    })
}

/// The whole file as a stream of UTF-8, with a counter of raw bytes consumed for progress.
pub(crate) fn open_stream(
    path: &Path,
    encoding: TextEncoding,
) -> Result<(Box<dyn Read + Send>, Arc<AtomicU64>), SourceError> {
    let file = open_file(path)?;
    let consumed = Arc::new(AtomicU64::new(0));
    let mut counting = Counting {
        inner: file,
        consumed: consumed.clone(),
    };
    let stream: Box<dyn Read + Send> = match encoding {
        TextEncoding::Utf8 => Box::new(counting),
        TextEncoding::Utf8Bom => {
            let mut bom = [0u8; 3];
            counting
                .read_exact(&mut bom)
                .map_err(|e| SourceError::io(path, e))?;
            Box::new(counting)
        }
        TextEncoding::Utf16Le | TextEncoding::Utf16Be => Box::new(decoder(counting)),
    };
    Ok((stream, consumed))
}

/// Opens a regular file. Anything else is refused, checked on the open handle (opened
/// without blocking, so a named pipe, even one swapped in after a look, never holds the
/// reader waiting for a writer; a device can stream without end).
/// A gzipped file, a ZIP archive or a workbook opens as its expanded copy (see `expand`).
pub(crate) fn open_file(path: &Path) -> Result<SourceFile, SourceError> {
    use std::io::Seek;
    let mut file = crate::home::open_regular(path).map_err(|refused| match refused {
        crate::home::NotRegular::Io(e) => SourceError::io(path, e),
        crate::home::NotRegular::Kind(file_type) => SourceError::NotAFile {
            path: path.to_owned(),
            kind: kind_of(&file_type),
        },
    })?;
    let mut magic = [0u8; 4];
    let read = (&mut file)
        .take(4)
        .read(&mut magic)
        .map_err(|e| SourceError::io(path, e))?;
    match super::expand::packed(&magic[..read]) {
        Some(kind) => super::expand::open_expanded(path, kind, file),
        None => {
            file.rewind().map_err(|e| SourceError::io(path, e))?;
            Ok(SourceFile::plain(file))
        }
    }
}

fn kind_of(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_block_device() || file_type.is_char_device() {
            return "a device";
        }
    }
    if file_type.is_dir() {
        "a folder"
    } else {
        "not a regular file"
    }
}

/// Decodes UTF-16 by its byte-order mark, which it also strips.
pub(crate) fn decoder<R: Read>(inner: R) -> impl Read {
    DecodeReaderBytesBuilder::new()
        .bom_sniffing(true)
        .strip_bom(true)
        .build(inner)
}

pub(crate) fn bom_len(encoding: TextEncoding) -> usize {
    match encoding {
        TextEncoding::Utf8Bom => 3,
        _ => 0,
    }
}

/// Tells text from binary by the first bytes: byte-order marks, well-known file signatures
/// and NUL bytes, which no text export contains.
fn detect(path: &Path, head: &[u8]) -> Result<TextEncoding, SourceError> {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Ok(TextEncoding::Utf8Bom);
    }
    if head.starts_with(&[0xFF, 0xFE]) {
        return Ok(TextEncoding::Utf16Le);
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return Ok(TextEncoding::Utf16Be);
    }
    if head.is_empty() {
        return Err(SourceError::Empty {
            path: path.to_owned(),
        });
    }
    let signatures: [(&[u8], &'static str); 5] = [
        (b"PK\x03\x04", "a ZIP archive (an .xlsx workbook?)"),
        (&[0xD0, 0xCF, 0x11, 0xE0], "an old Excel (.xls) workbook"),
        (b"%PDF", "a PDF document"),
        (&[0x1F, 0x8B], "a gzip archive"),
        (b"SQLite format 3", "an SQLite database"),
    ];
    if let Some((_, kind)) = signatures.iter().find(|(sig, _)| head.starts_with(sig)) {
        return Err(SourceError::Binary {
            path: path.to_owned(),
            kind,
        });
    }
    if memchr::memchr(0, &head[..head.len().min(8192)]).is_some() {
        return Err(SourceError::Binary {
            path: path.to_owned(),
            kind: "binary data (or UTF-16 without a byte-order mark)",
        });
    }
    Ok(TextEncoding::Utf8)
}

/// Validates UTF-8, naming the line and byte of the first problem. `first_line` is the line
/// number of the first byte. The field number ignores quoting: it is a hint for finding the
/// spot, not a parse.
pub(crate) fn utf8_or_error<'a>(
    path: &Path,
    bytes: &'a [u8],
    first_line: u64,
) -> Result<&'a str, SourceError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let before = &bytes[..e.valid_up_to()];
        let line_start = memchr::memrchr(b'\n', before).map_or(0, |i| i + 1);
        let separators = before[line_start..]
            .iter()
            .filter(|b| matches!(b, b',' | b'\t' | b';' | b'|'))
            .count();
        SourceError::NotUtf8 {
            path: path.to_owned(),
            line: first_line + memchr::memchr_iter(b'\n', before).count() as u64,
            field: separators + 1,
            byte: bytes[e.valid_up_to()],
        }
    })
}

struct Counting<R> {
    inner: R,
    consumed: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.consumed.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}
