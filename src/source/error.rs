use std::io;
use std::path::PathBuf;

/// Everything that can go wrong reading a customer file, phrased for the person who owns it.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read {}: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },

    #[error("{} is empty: export the list again with at least one row", path.display())]
    Empty { path: PathBuf },

    #[error("{} is {kind}, not a file: give the path of the exported file", path.display())]
    NotAFile { path: PathBuf, kind: &'static str },

    #[error(
        "{} looks like {kind}, not a text file: save it as CSV (UTF-8) and try again",
        path.display()
    )]
    Binary { path: PathBuf, kind: &'static str },

    #[error("{} cannot be read: {problem}", path.display())]
    Packed { path: PathBuf, problem: String },

    /// A database query that could not be run or read to its end; nothing of it is used.
    #[error("the query on {database} {problem}")]
    Query { database: String, problem: String },

    #[error(
        "{} is a ZIP archive of {count} files ({names}): name the one to read",
        path.display()
    )]
    ManyParts {
        path: PathBuf,
        count: usize,
        names: String,
    },

    #[error(
        "line {line} of {} is not UTF-8 (byte 0x{byte:02X} in field {field}); it is probably \
         Windows-1252 or Latin-1: save it as \"CSV UTF-8\" and try again",
        path.display()
    )]
    NotUtf8 {
        path: PathBuf,
        line: u64,
        field: usize,
        byte: u8,
    },

    #[error(
        "{} has no identity column (columns: {columns}); say which column holds emails, \
         hashed emails, GAIDs or IDFAs",
        path.display()
    )]
    NoIdentityColumn { path: PathBuf, columns: String },

    #[error("there is no column '{name}'; columns are: {available} (or use a 1-based number)")]
    UnknownColumn { name: String, available: String },

    #[error("'{0}' is not a mapping: write COLUMN=NAMESPACE, for example \"E-mail=email\"")]
    BadMapping(String),

    #[error("{0}")]
    BadNamespace(#[from] crate::identity::ParseNamespaceError),

    #[error("at most 255 identity columns can be mapped, not {0}")]
    TooManyColumns(usize),

    #[error("the pass over the file was cancelled")]
    Cancelled,

    #[error(
        "past its memory budget this file's digests need about {} of scratch disk in {}, and \
         only {} is free there; free some space, or raise AUDIENCE_DESK_MEMORY_MIB so that \
         fewer go to disk",
        crate::display::bytes(*needed),
        dir.display(),
        crate::display::bytes(*free)
    )]
    NoScratchSpace {
        dir: PathBuf,
        needed: u64,
        free: u64,
    },
}

impl crate::remedy::HasRemedy for SourceError {
    fn remedy(&self) -> Option<crate::remedy::Remedy> {
        match self {
            SourceError::NoIdentityColumn { .. } => Some(crate::remedy::Remedy::MapColumns),
            SourceError::ManyParts { .. } => Some(crate::remedy::Remedy::NameArchiveFile),
            _ => None,
        }
    }
}

impl SourceError {
    pub(crate) fn io(path: &std::path::Path, source: io::Error) -> Self {
        // A packed file's expansion, given up while this reader followed it: its own words.
        if let Some(failed) = source
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<super::growth::Failed>())
            && failed.packed
        {
            return SourceError::Packed {
                path: path.to_owned(),
                problem: failed.problem.clone(),
            };
        }
        SourceError::Io {
            path: path.to_owned(),
            source,
        }
    }
}
