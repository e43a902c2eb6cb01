//! A list type's digests on disk, once the pass went past its memory budget: up to 256
//! partition files (one per first byte), each holding that byte's entries in file order,
//! repeats and all, and beside each the places of its repeats. The repeats are found when the
//! pass ends (`count`), which reads each partition once and writes only where its repeats are.
//! Reading the digests back (`DigestList::digests`) goes through one partition at a time and
//! skips them: no file of unique digests is ever written (at 20 million rows that was 2 GB
//! written and read again). Partitions are read in blocks, so memory follows a partition's
//! unique digests, however often a file repeats one.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::scratch::Scratch;
use super::{Buckets, ENTRY, Seen, digest_of, first_time};
use crate::identity::Digest;

/// One list type's partitions in a pass's scratch folder.
#[derive(Clone, Debug)]
pub(in crate::source) struct Partitions {
    files: Arc<ListFiles>,
    /// The entries of the pass's last stretch, never spilled: each partition's go after its
    /// file's. Writing them out only to read them back twice cost a fifth of the scratch disk.
    tail: Arc<Buckets>,
    list: usize,
    /// Unique digests of each partition, by first byte (0 where there is no partition).
    unique: Vec<usize>,
    /// Whether a partition's digests are read back in digest order rather than file order.
    sorted: bool,
}

pub(in crate::source) fn part_name(list: usize, byte: usize) -> String {
    format!("part-{list}-{byte:02x}")
}

fn repeats_name(list: usize, byte: usize) -> String {
    format!("repeats-{list}-{byte:02x}")
}

impl Partitions {
    /// Reads list `list`'s partitions (files where `present`, then `tail`), finds the repeats
    /// each holds (the first occurrence kept: an earlier spill was appended first) and counts
    /// them against their column into `duplicates`.
    pub fn count(
        scratch: Arc<Scratch>,
        list: usize,
        present: &[bool],
        tail: Buckets,
        duplicates: &mut [u64],
    ) -> io::Result<Partitions> {
        let mut partitions = Partitions {
            files: Arc::new(ListFiles {
                scratch,
                list,
                present: present.to_vec(),
            }),
            tail: Arc::new(tail),
            list,
            unique: vec![0; 256],
            sorted: false,
        };
        let mut seen = Seen::default();
        let mut repeats: Vec<u8> = Vec::new();
        for byte in 0..256 {
            seen.clear();
            repeats.clear();
            let mut unique = 0;
            partitions.for_each_entry(byte, |i, entry| {
                if first_time(entry, &mut seen, duplicates) {
                    unique += 1;
                } else {
                    repeats.extend_from_slice(&i.to_le_bytes());
                }
            })?;
            partitions.unique[byte] = unique;
            if !repeats.is_empty() {
                std::io::Write::write_all(
                    &mut crate::home::private_options()
                        .write(true)
                        .create(true)
                        .truncate(true)
                        .open(partitions.path(&repeats_name(list, byte)))?,
                    &repeats,
                )?;
            }
        }
        Ok(partitions)
    }

    pub fn len(&self) -> usize {
        self.unique.iter().sum()
    }

    /// From now on each partition is read back in digest order: partitions in byte order,
    /// each sorted, are in order as a whole.
    pub fn sort(&mut self) {
        self.sorted = true;
    }

    /// The unique digests of partition `byte`, first occurrences in file order (or sorted).
    pub fn load(&self, byte: usize) -> io::Result<Vec<Digest>> {
        if self.unique[byte] == 0 {
            return Ok(Vec::new());
        }
        let repeats = match fs::read(self.path(&repeats_name(self.list, byte))) {
            Ok(repeats) => repeats,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        let mut skip = repeats
            .chunks_exact(8)
            .map(|place| {
                let mut word = [0u8; 8];
                word.copy_from_slice(place);
                u64::from_le_bytes(word)
            })
            .peekable();
        let mut digests = Vec::with_capacity(self.unique[byte]);
        self.for_each_entry(byte, |i, entry| {
            if skip.next_if_eq(&i).is_none() {
                digests.push(Digest(*digest_of(entry)));
            }
        })?;
        if digests.len() != self.unique[byte] {
            return Err(io::Error::other(format!(
                "scratch partition {} changed while in use",
                part_name(self.list, byte)
            )));
        }
        if self.sorted {
            // No two are equal, so the sort need not be stable.
            digests.sort_unstable_by_key(|d| words(&d.0));
        }
        Ok(digests)
    }

    /// Calls `each` with every entry of partition `byte` (its file's, then its tail's) and
    /// the entry's place in the partition.
    fn for_each_entry(&self, byte: usize, mut each: impl FnMut(u64, &[u8])) -> io::Result<()> {
        let mut place = 0u64;
        if self.files.present.get(byte).copied().unwrap_or(false) {
            for_each_in_file(&self.path(&part_name(self.list, byte)), |entry| {
                each(place, entry);
                place += 1;
            })?;
        }
        for entry in &self.tail.0[byte] {
            each(place, entry);
            place += 1;
        }
        Ok(())
    }

    fn path(&self, name: &str) -> PathBuf {
        self.files.scratch.file(name)
    }
}

/// One list type's files in the scratch folder, removed when the last copy of its list goes
/// (before the folder, which every list of the pass keeps): a list written out and dropped
/// frees its disk while the others are still being written.
#[derive(Debug)]
struct ListFiles {
    scratch: Arc<Scratch>,
    list: usize,
    present: Vec<bool>,
}

impl Drop for ListFiles {
    fn drop(&mut self) {
        for (byte, _) in self.present.iter().enumerate().filter(|(_, p)| **p) {
            for name in [part_name(self.list, byte), repeats_name(self.list, byte)] {
                // The folder's own removal catches anything left.
                let _ = fs::remove_file(self.scratch.file(&name));
            }
        }
    }
}

/// Calls `each` with every entry of a partition file, reading a block at a time.
fn for_each_in_file(path: &Path, mut each: impl FnMut(&[u8])) -> io::Result<()> {
    const BLOCK: usize = ENTRY * 32 * 1024;
    let mut file = File::open(path)?;
    let mut block = Vec::with_capacity(BLOCK);
    loop {
        block.clear();
        // A whole block, short only at the end of the file.
        let filled = (&mut file).take(BLOCK as u64).read_to_end(&mut block)?;
        block.chunks_exact(ENTRY).for_each(&mut each);
        if filled < BLOCK {
            return Ok(());
        }
    }
}

/// A digest as four big-endian words: ordered as its bytes are, compared without `memcmp`.
fn words(digest: &[u8; 32]) -> [u64; 4] {
    let word = |i: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[i * 8..i * 8 + 8]);
        u64::from_be_bytes(bytes)
    };
    [word(0), word(1), word(2), word(3)]
}
