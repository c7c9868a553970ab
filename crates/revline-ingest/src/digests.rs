//! A read-only set of id digests for the reading thread's reference checks.
//!
//! A touchpoints file names its contacts in no useful order, so each check of a
//! million-entry set is a cache miss: on 10M rows that was the largest single cost of
//! the reading thread (docs/benchmarks.md). `DigestTable` is a flat open-addressing
//! table whose lookups run in two passes over a batch: the first computes each slot and
//! asks the processor to fetch it, the second compares. The misses then overlap instead
//! of following one another.

/// Digests of the ids known to exist, fixed when a job begins.
#[derive(Debug, Clone)]
pub struct DigestTable {
    /// Power-of-two length, at most half full; 0 marks an empty slot.
    slots: Vec<u64>,
    mask: usize,
}

/// 0 marks empty slots, so the one digest that is 0 is stored as 1. Two ids whose
/// digests are 0 and 1 would be taken for one another, as would any two ids with the
/// same 64-bit digest: the import already treats digests as ids (`id_digest`).
fn stored(digest: u64) -> u64 {
    digest.max(1)
}

impl DigestTable {
    pub fn new(digests: impl ExactSizeIterator<Item = u64>) -> DigestTable {
        let capacity = (digests.len() * 2).next_power_of_two().max(16);
        let mut table = DigestTable {
            slots: vec![0; capacity],
            mask: capacity - 1,
        };
        for d in digests {
            let d = stored(d);
            let mut at = table.slot(d);
            while table.slots[at] != 0 && table.slots[at] != d {
                at = (at + 1) & table.mask;
            }
            table.slots[at] = d;
        }
        table
    }

    /// xxh3 digests are well mixed already; the high bits pick the slot so that digests
    /// that differ only in their low bits still spread.
    fn slot(&self, digest: u64) -> usize {
        (digest.rotate_left(32) as usize) & self.mask
    }

    pub fn contains(&self, digest: u64) -> bool {
        let d = stored(digest);
        let mut at = self.slot(d);
        loop {
            match self.slots[at] {
                0 => return false,
                s if s == d => return true,
                _ => at = (at + 1) & self.mask,
            }
        }
    }

    /// Tells the processor that `digest` will be looked up soon.
    pub fn prefetch(&self, digest: u64) {
        let at = self.slot(stored(digest));
        #[cfg(target_arch = "x86_64")]
        // SAFETY: prefetching is a hint; the address is inside `slots`.
        unsafe {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            _mm_prefetch::<_MM_HINT_T0>(self.slots.as_ptr().add(at).cast());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = at;
    }

    pub fn len_slots(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    proptest! {
        #[test]
        fn answers_as_a_hash_set_does(
            stored in proptest::collection::vec(any::<u64>(), 0..300),
            asked in proptest::collection::vec(any::<u64>(), 0..300),
        ) {
            let set: HashSet<u64> = stored.iter().map(|&d| d.max(1)).collect();
            let table = DigestTable::new(stored.iter().copied());
            prop_assert!(table.len_slots() >= 2 * stored.len());
            for d in stored.iter().chain(&asked) {
                table.prefetch(*d);
                prop_assert_eq!(table.contains(*d), set.contains(&(*d).max(1)));
            }
        }
    }

    #[test]
    fn digests_that_share_a_slot_are_all_found() {
        // Same high half, so the same slot in a small table: probing must go on.
        let digests: Vec<u64> = (1..=8).map(|low| (7u64 << 32) | low).collect();
        let table = DigestTable::new(digests.iter().copied());
        assert!(digests.iter().all(|&d| table.contains(d)));
        assert!(!table.contains((7u64 << 32) | 9));
    }
}
