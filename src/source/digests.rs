//! The unique digests of each list type, as the full pass leaves them: grouped by first byte,
//! in file order within each group, deduplicated one group at a time.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use crate::identity::{Digest, ListType};

/// A digest and, in its last byte, the plan column it came from.
pub(super) type Entry = [u8; 33];

/// Entries split by their first byte. Digests are uniformly random, so the 256 buckets come out
/// even and each one deduplicates in cache.
#[derive(Clone, Debug)]
pub(super) struct Buckets(pub(super) Vec<Vec<Entry>>);

impl Default for Buckets {
    fn default() -> Self {
        Buckets(vec![Vec::new(); 256])
    }
}

impl Buckets {
    pub(super) fn extend(&mut self, entries: &[Entry]) {
        for entry in entries {
            self.0[entry[0] as usize].push(*entry);
        }
    }

    pub(super) fn len(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }

    /// Drops repeated digests, keeping each one's first occurrence in file order, and counts
    /// the repeats per column. One bucket at a time, so the set stays small and in cache.
    pub(super) fn dedupe(&mut self, columns: usize) -> Vec<u64> {
        let mut duplicates = vec![0u64; columns];
        let mut seen: HashSet<[u8; 32], BuildHasherDefault<DigestHasher>> = HashSet::default();
        for bucket in &mut self.0 {
            seen.clear();
            seen.reserve(bucket.len());
            bucket.retain(|entry| {
                let mut digest = [0u8; 32];
                digest.copy_from_slice(&entry[..32]);
                let first = seen.insert(digest);
                if !first {
                    duplicates[entry[32] as usize] += 1;
                }
                first
            });
        }
        duplicates
    }
}

/// Digests are uniformly random already: eight of their bytes are a perfect hash. Bytes 1..9
/// are used because every digest in one bucket shares byte 0.
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn write(&mut self, bytes: &[u8]) {
        if let Some(word) = bytes.get(1..9) {
            let mut eight = [0u8; 8];
            eight.copy_from_slice(word);
            self.0 = u64::from_le_bytes(eight);
        }
    }

    /// The length prefix a slice hashes first carries no information here.
    fn write_usize(&mut self, _: usize) {}

    fn finish(&self) -> u64 {
        self.0
    }
}

/// The unique digests of one list type, grouped by first byte and in file order within.
#[derive(Clone, Debug)]
pub struct DigestList {
    pub list_type: ListType,
    pub(super) buckets: Buckets,
}

impl DigestList {
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn digests(&self) -> impl Iterator<Item = Digest> + '_ {
        digests_of(&self.buckets.0)
    }

    /// The digests in `parts` runs of whole buckets, in order, for writing them in parallel.
    pub fn runs(&self, parts: usize) -> Vec<DigestRun<'_>> {
        let buckets = &self.buckets.0;
        let per_part = buckets.len().div_ceil(parts.max(1));
        let mut start = 0;
        buckets
            .chunks(per_part.max(1))
            .map(|chunk| {
                let run = DigestRun {
                    start,
                    buckets: chunk,
                };
                start += chunk.iter().map(Vec::len).sum::<usize>();
                run
            })
            .collect()
    }
}

/// Consecutive digests of a list: where they start among its digests, and the digests.
pub struct DigestRun<'a> {
    pub start: usize,
    buckets: &'a [Vec<Entry>],
}

impl DigestRun<'_> {
    pub fn digests(&self) -> impl Iterator<Item = Digest> + '_ {
        digests_of(self.buckets)
    }
}

fn digests_of(buckets: &[Vec<Entry>]) -> impl Iterator<Item = Digest> + '_ {
    buckets.iter().flatten().map(|e| {
        let mut d = [0u8; 32];
        d.copy_from_slice(&e[..32]);
        Digest(d)
    })
}
