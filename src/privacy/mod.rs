//! People's rights over what the app sent, built on its own records (the ledger of every list
//! it filled, and the journal of every batch): where one person is (`find`), identities that
//! must never be sent (`suppress`), and taking people out of every list with a receipt
//! (`erase`). Values are normalized and hashed here, as an upload would; only digests are
//! stored or looked up.

mod erase;
mod find;
mod receipt;
mod suppress;

use std::path::PathBuf;

pub use erase::{carry_out, identities_in_file, start_erasure};
pub use find::{Whereabouts, find, identities_of};
pub use receipt::{ErasedList, Receipt, ReceiptBatch, receipt, receipt_path, recent_erasures};
pub use suppress::{Suppression, suppress_file, suppression, unsuppress};

use crate::source::SourceError;
use crate::store::StoreError;
use crate::upload::JobError;

#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Job(#[from] JobError),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("there is no erasure {0}")]
    NoSuchErasure(i64),
    #[error("{0}")]
    Invalid(String),
}

impl crate::remedy::HasRemedy for PrivacyError {
    fn remedy(&self) -> Option<crate::remedy::Remedy> {
        match self {
            PrivacyError::Store(e) => e.remedy(),
            PrivacyError::Source(e) => e.remedy(),
            PrivacyError::Job(e) => e.remedy(),
            PrivacyError::Write { .. }
            | PrivacyError::NoSuchErasure(_)
            | PrivacyError::Invalid(_) => None,
        }
    }
}
