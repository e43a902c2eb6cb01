//! Bounded memory for the full pass. While the digests held stay under the memory budget the
//! pass keeps them all in memory, as fast as ever. Past it, each list type's digests (already
//! split into 256 buckets by first byte) are appended, in file order and repeats and all, to
//! one partition file per bucket in a scratch folder in the home, the list types in parallel. At
//! the end the digests still in memory are not written: each partition (its file, then those)
//! is read once to find its repeats (`partitions`), and the lists then read their digests a
//! partition at a time.

use std::io::{self, Write};
use std::sync::Arc;
use std::thread;

use super::partitions::{Partitions, part_name};
use super::scratch::{MemoryBudget, Scratch};
use super::{Buckets, DigestList, Held};
use crate::identity::ListType;

/// The partitions written so far, per list type (by `ListType::index`).
#[derive(Debug, Default)]
pub(in crate::source) struct Spills {
    scratch: Option<Scratch>,
    /// Which of each list type's 256 partitions hold entries.
    parts: [Vec<bool>; 3],
}

impl Spills {
    pub fn any(&self, list: usize) -> bool {
        self.parts[list].iter().any(|&p| p)
    }

    pub fn any_at_all(&self) -> bool {
        (0..self.parts.len()).any(|list| self.any(list))
    }

    /// Appends each list type's buckets, in file order, to their partitions, leaving the
    /// buckets empty with their capacity; the list types in parallel, so that both cores write
    /// while the pass waits. Repeats are left in, to be found once when the pass ends: the
    /// pass goes on sooner, and no digest is looked up twice.
    pub fn spill(&mut self, budget: &MemoryBudget, lists: &mut [Buckets; 3]) -> io::Result<()> {
        let scratch = match &mut self.scratch {
            Some(scratch) => &*scratch,
            none => none.insert(Scratch::new(&budget.scratch_root)?),
        };
        thread::scope(|scope| {
            let writers: Vec<_> = lists
                .iter_mut()
                .zip(self.parts.iter_mut())
                .enumerate()
                .filter(|(_, (buckets, _))| buckets.len() > 0)
                .map(|(list, (buckets, parts))| {
                    scope.spawn(move || append(scratch, list, buckets, parts))
                })
                .collect();
            writers
                .into_iter()
                // Invariant: appending to files does not panic; a panic here is a bug.
                .try_for_each(|w| w.join().expect("spill thread"))
        })
    }

    /// Each spilled list type's partitions counted (their repeats found and counted per
    /// column), the list types in parallel, with `tails` (the digests still in memory) as the
    /// partitions' last entries. The lists keep the scratch folder alive.
    pub fn count_all(
        mut self,
        columns: usize,
        tails: [Buckets; 3],
    ) -> io::Result<Vec<(DigestList, Vec<u64>)>> {
        let Some(scratch) = self.scratch.take().map(Arc::new) else {
            return Ok(Vec::new());
        };
        let spilled = ListType::ALL
            .into_iter()
            .zip(tails)
            .filter(|(t, tail)| self.any(t.index()) || tail.len() > 0);
        thread::scope(|scope| {
            let counting: Vec<_> = spilled
                .map(|(list_type, tail)| {
                    let list = list_type.index();
                    let (scratch, present) = (scratch.clone(), &self.parts[list]);
                    let mut duplicates = vec![0; columns];
                    scope.spawn(move || {
                        let partitions =
                            Partitions::count(scratch, list, present, tail, &mut duplicates)?;
                        let held = Held::Partitions(partitions);
                        Ok((DigestList { list_type, held }, duplicates))
                    })
                })
                .collect();
            counting
                .into_iter()
                // Invariant: counting reads files and fills sets; a panic there is a bug.
                .map(|c| c.join().expect("partition counting thread"))
                .collect()
        })
    }
}

/// Appends list `list`'s buckets to its partitions, and notes which hold entries.
fn append(
    scratch: &Scratch,
    list: usize,
    buckets: &mut Buckets,
    parts: &mut Vec<bool>,
) -> io::Result<()> {
    parts.resize(buckets.0.len(), false);
    for (byte, bucket) in buckets.0.iter_mut().enumerate() {
        if bucket.is_empty() {
            continue;
        }
        // Appended, so a partition holds its entries in file order, spill after spill. Not
        // synced: a crash throws the scratch folder away.
        let mut file = crate::home::private_options()
            .create(true)
            .append(true)
            .open(scratch.file(&part_name(list, byte)))?;
        file.write_all(bucket.as_flattened())?;
        bucket.clear();
        parts[byte] = true;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use crate::source::digests::{check_room, remove_abandoned, scratch_needed};

    #[test]
    fn a_disk_without_room_for_the_partitions_refuses_the_pass_with_what_to_do() {
        // A quarter of a 2 GB file read, a million digests held: four million in all.
        let needed = scratch_needed(1_000_000, 500_000_000, 2_000_000_000);
        assert_eq!(needed, 4_000_000 * 41);
        let dir = Path::new("/home/ann/.local/share/audience-desk/tmp");
        assert!(check_room(dir, needed, Some(needed)).is_ok());
        assert!(check_room(dir, needed, None).is_ok());
        let said = check_room(dir, needed, Some(1_000_000))
            .unwrap_err()
            .to_string();
        assert!(
            said.contains("156.4 MiB") && said.contains("976.6 KiB"),
            "{said}"
        );
        assert!(said.contains("AUDIENCE_DESK_MEMORY_MIB"), "{said}");
    }

    #[test]
    fn the_folders_of_gone_processes_are_removed_and_live_ones_kept() {
        let root = tempfile::tempdir().unwrap();
        // A pid far above any pid_max is never a live process.
        let abandoned = root.path().join("scan-4294967000-00");
        let mine = root.path().join(format!("scan-{}-00", std::process::id()));
        for dir in [&abandoned, &mine] {
            fs::create_dir_all(dir).unwrap();
            fs::write(dir.join("run-0-0"), [0u8; 33]).unwrap();
        }
        remove_abandoned(root.path());
        assert!(!abandoned.exists());
        assert!(mine.exists());
    }
}
