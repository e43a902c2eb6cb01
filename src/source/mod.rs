//! Reading customer files as streams: encoding, delimiter and header sniffing, column
//! classification, the preview sample and the full streaming pass.

mod browse;
mod columns;
mod counts;
mod digests;
mod error;
mod expand;
mod format;
#[doc(hidden)]
pub mod fuzzing;
mod growth;
mod mapping;
mod notable;
mod open;
mod preview;
mod query;
mod records;
mod scan;
mod spares;
mod tls;

pub use browse::{MARK_EVERY, RowIndex, read_rows};
pub use columns::Column;
pub use counts::{ColumnCounts, ListCounts, Progress, Reject, Summary};
pub use digests::{DEFAULT_MEMORY_MIB, MemoryBudget, remove_abandoned};
pub use digests::{DigestList, Digests};
pub use error::SourceError;
pub use expand::{
    Part, Unpacked, choose_part, forget_expanded, set_root as set_expansion_root, unpacked,
};
pub use format::{Delimiter, Format, TextEncoding};
pub use mapping::{ColumnRef, MapSpec};
pub use notable::{NotableRows, notable_rows};
pub use preview::{CellStatus, Preview, PreviewOptions, SampleCell, SampleRow};
pub use query::{
    PasswordLookup, QUERY_TIMEOUT, Query, QueryResult, password_address, password_key,
    password_lookup_set, run_query, run_query_with_password, set_password_lookup, shown_address,
};
pub use records::MAX_LINE_BYTES;
pub use scan::{ScanOutput, ScanPlan, scan};
