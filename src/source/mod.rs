//! Reading customer files as streams: encoding, delimiter and header sniffing, column
//! classification, the preview sample and the full streaming pass.

mod browse;
mod columns;
mod digests;
mod error;
mod format;
#[doc(hidden)]
pub mod fuzzing;
mod mapping;
mod open;
mod partitions;
mod preview;
mod records;
mod scan;
mod spares;
mod spill;

pub use browse::{MARK_EVERY, RowIndex, read_rows};
pub use columns::Column;
pub use digests::{DigestList, Digests};
pub use error::SourceError;
pub use format::{Delimiter, Format, TextEncoding};
pub use mapping::{ColumnRef, MapSpec};
pub use preview::{CellStatus, Preview, PreviewOptions, SampleCell, SampleRow};
pub use records::MAX_LINE_BYTES;
pub use scan::{ColumnCounts, ListCounts, Progress, Reject, ScanOutput, ScanPlan, Summary, scan};
pub use spill::{DEFAULT_MEMORY_MIB, MemoryBudget, remove_abandoned};
