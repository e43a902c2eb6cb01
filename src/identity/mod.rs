//! The identity rules of `IDENTITY_RULES.md`: namespaces, normalization, validation and
//! hashing. Pure: no I/O, no allocation on the common path.

mod digest;
mod namespace;
mod normalize;
mod reason;
mod shape;

pub use digest::{Digest, sha256};
pub use namespace::{ListType, Namespace, ParseNamespaceError};
pub use normalize::{Normalized, Normalizer};
pub use reason::Reason;
pub use shape::Shape;
