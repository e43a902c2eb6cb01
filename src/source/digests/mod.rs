//! The unique digests of each list type, as the full pass leaves them: in memory grouped by
//! first byte, in file order within each group, deduplicated one group at a time; or in
//! partition files when the pass went past its memory budget (`partitions`).

use std::io;
use std::thread;

use hashbrown::{HashTable, hash_table};

use crate::identity::{Digest, ListType};
use partitions::Partitions;

mod partitions;
mod scratch;
mod spill;

pub use scratch::{DEFAULT_MEMORY_MIB, MemoryBudget, remove_abandoned};
pub(super) use scratch::{check_room, free_near, scratch_needed};
pub(super) use spill::Spills;

pub(super) const ENTRY: usize = std::mem::size_of::<Entry>();

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
        let mut places = HashTable::new();
        for bucket in &mut self.0 {
            dedupe_bucket(bucket, &mut places, &mut duplicates);
        }
        duplicates
    }
}

/// The digests of one partition on disk seen so far (it is read a block at a time, so they
/// are kept here): the digests in a list, and a table of their places in it keyed by eight of
/// their bytes. Four-byte slots keep the table in cache; a set of the 32-byte digests
/// themselves did not stay there for a partition of 80,000 and missed it on nearly every
/// lookup.
#[derive(Default)]
pub(super) struct Seen {
    digests: Vec<[u8; 32]>,
    places: HashTable<u32>,
}

impl Seen {
    pub(super) fn clear(&mut self) {
        self.digests.clear();
        self.places.clear();
    }

    /// Whether `digest` is new here (and now seen).
    fn insert(&mut self, digest: &[u8; 32]) -> bool {
        let digests = &self.digests;
        let found = self.places.entry(
            key(digest),
            |&place| digests[place as usize] == *digest,
            |&place| key(&digests[place as usize]),
        );
        match found {
            hash_table::Entry::Occupied(_) => false,
            hash_table::Entry::Vacant(slot) => {
                // Invariant: a group holds far fewer than 2^32 digests (that would be 128 GiB
                // of them, from a file of about a trillion rows).
                let place = u32::try_from(self.digests.len()).expect("under 2^32 digests a group");
                slot.insert(place);
                self.digests.push(*digest);
                true
            }
        }
    }
}

/// Digests are uniformly random already: eight of their bytes are a perfect hash. Bytes 1..9
/// are used because every digest in one bucket or partition shares byte 0.
fn key(digest: &[u8; 32]) -> u64 {
    let mut eight = [0u8; 8];
    eight.copy_from_slice(&digest[1..9]);
    u64::from_le_bytes(eight)
}

/// Drops the repeats of one bucket (entries sharing their first byte), keeping first
/// occurrences in order, and counts each repeat against its column. The entries kept are
/// moved down over the repeats as it goes, and `places` keys them by where they now are.
fn dedupe_bucket(bucket: &mut Vec<Entry>, places: &mut HashTable<u32>, duplicates: &mut [u64]) {
    places.clear();
    let mut kept = 0;
    for i in 0..bucket.len() {
        let entry = bucket[i];
        let digest = digest_of(&entry);
        let found = places.entry(
            key(digest),
            |&place| digest_of(&bucket[place as usize]) == digest,
            |&place| key(digest_of(&bucket[place as usize])),
        );
        match found {
            hash_table::Entry::Occupied(_) => count_repeat(&entry, duplicates),
            hash_table::Entry::Vacant(slot) => {
                // Invariant: a bucket in memory holds far fewer than 2^32 entries (the memory
                // budget is counted in them).
                slot.insert(u32::try_from(kept).expect("under 2^32 entries a bucket"));
                bucket[kept] = entry;
                kept += 1;
            }
        }
    }
    bucket.truncate(kept);
}

/// Whether an entry's digest is new to `seen` (and now in it); a repeat is counted against
/// the entry's column.
pub(super) fn first_time(entry: &[u8], seen: &mut Seen, duplicates: &mut [u64]) -> bool {
    let first = seen.insert(digest_of(entry));
    if !first {
        count_repeat(entry, duplicates);
    }
    first
}

/// The digest of an entry (its first 32 bytes).
pub(super) fn digest_of(entry: &[u8]) -> &[u8; 32] {
    // Invariant: entries are 33 bytes, read whole from buckets and partition files.
    entry[..32].try_into().expect("an entry holds a digest")
}

fn count_repeat(entry: &[u8], duplicates: &mut [u64]) {
    if let Some(count) = entry.get(32).and_then(|&c| duplicates.get_mut(c as usize)) {
        *count += 1;
    }
}

/// The unique digests of one list type: in memory (grouped by first byte, in file order
/// within), or, when the pass went past its memory budget, in partition files of the pass's
/// scratch folder (grouped by first byte too).
#[derive(Clone, Debug)]
pub struct DigestList {
    pub list_type: ListType,
    pub(super) held: Held,
}

#[derive(Clone, Debug)]
pub(super) enum Held {
    Memory(Buckets),
    Partitions(Partitions),
}

/// Digests one at a time; reading a spilled list can fail.
pub type Digests<'a> = Box<dyn Iterator<Item = io::Result<Digest>> + 'a>;

impl DigestList {
    pub fn len(&self) -> usize {
        match &self.held {
            Held::Memory(buckets) => buckets.len(),
            Held::Partitions(partitions) => partitions.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Puts the digests in digest order: each group of a first byte sorted, the groups in
    /// byte order (on disk, each partition is sorted as it is read back).
    pub fn sort(&mut self) {
        match &mut self.held {
            Held::Memory(buckets) => {
                for bucket in &mut buckets.0 {
                    bucket.sort_unstable_by(|a, b| a[..32].cmp(&b[..32]));
                }
            }
            Held::Partitions(partitions) => partitions.sort(),
        }
    }

    /// Whether the digests are on disk (the pass went past its memory budget).
    pub fn spilled(&self) -> bool {
        matches!(self.held, Held::Partitions(_))
    }

    pub fn digests(&self) -> Digests<'_> {
        match &self.held {
            Held::Memory(buckets) => Box::new(
                buckets
                    .0
                    .iter()
                    .flatten()
                    .map(|entry| Ok(Digest(*digest_of(entry)))),
            ),
            Held::Partitions(partitions) => Box::new((0..256).flat_map(move |byte| {
                // A partition that cannot be read is one error where its digests were.
                let (digests, error) = match partitions.load(byte) {
                    Ok(digests) => (digests, None),
                    Err(e) => (Vec::new(), Some(Err(e))),
                };
                error.into_iter().chain(digests.into_iter().map(Ok))
            })),
        }
    }

    /// Calls `each` with the digests in order. Digests in memory go by in a plain loop, with
    /// no boxed iterator between them and the caller: writing `prepare`'s files is this loop.
    pub fn try_for_each(&self, mut each: impl FnMut(&Digest) -> io::Result<()>) -> io::Result<()> {
        match &self.held {
            Held::Memory(buckets) => buckets
                .0
                .iter()
                .flatten()
                .try_for_each(|entry| each(&Digest(*digest_of(entry)))),
            Held::Partitions(partitions) => {
                (0..256).try_for_each(|byte| partitions.load(byte)?.iter().try_for_each(&mut each))
            }
        }
    }
}

/// Each list type's digests deduplicated in memory, the list types in parallel.
pub(super) fn dedupe_in_memory(
    entries: [Buckets; 3],
    columns: usize,
) -> Vec<(DigestList, Vec<u64>)> {
    thread::scope(|scope| {
        let handles: Vec<_> = ListType::ALL
            .into_iter()
            .zip(entries)
            .filter(|(_, buckets)| buckets.len() > 0)
            .map(|(list_type, mut buckets)| {
                scope.spawn(move || {
                    let duplicates = buckets.dedupe(columns);
                    let held = Held::Memory(buckets);
                    (DigestList { list_type, held }, duplicates)
                })
            })
            .collect();
        handles
            .into_iter()
            // Invariant: deduplicating byte arrays cannot panic.
            .map(|h| h.join().expect("sort thread"))
            .collect()
    })
}
