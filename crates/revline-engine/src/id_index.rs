//! Contact ids to dense indices, with lookups that can be asked for ahead of time.
//!
//! Building a snapshot looks up the contact of every touchpoint: 10M lookups among a
//! million contacts, in no useful order, each a cache and TLB miss. With a std map that
//! was a third of the snapshot build (docs/benchmarks.md). `IdIndex` is a flat
//! open-addressing table whose slots keep ids of up to 22 bytes inline, so a lookup is
//! one slot read; `prefetch` lets a caller ask for the slot early and overlap the misses
//! of many lookups.

/// One slot: the id inline (or its length only, for longer ids, which are compared
/// against the caller's list), a tag of its hash, and its index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C, align(32))]
struct Slot {
    index: u32,
    tag: u32,
    len: u8,
    bytes: [u8; INLINE],
}

const INLINE: usize = 22;
const EMPTY: u32 = u32::MAX;

impl Slot {
    const VACANT: Slot = Slot {
        index: EMPTY,
        tag: 0,
        len: 0,
        bytes: [0; INLINE],
    };
}

/// Hashes an id; the same function for every lookup and insertion.
pub fn hash_id(id: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    FIXED.hash_one(id)
}

/// A fixed seed: tables are rebuilt, never persisted, but a fixed seed keeps a built
/// table's layout the same from run to run (equal snapshots compare equal).
static FIXED: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x05ee_d1d5);

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IdIndex {
    slots: Vec<Slot>,
    len: usize,
}

impl IdIndex {
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    fn home(&self, hash: u64) -> usize {
        (hash >> 32) as usize & self.mask()
    }

    fn matches(slot: &Slot, id: &[u8], tag: u32, ids: &[String]) -> bool {
        if slot.tag != tag || slot.len as usize != id.len().min(INLINE + 1) {
            return false;
        }
        if id.len() <= INLINE {
            // A byte loop rather than a slice comparison: ids are a few bytes long,
            // and `memcmp` called once per touchpoint was 7% of a snapshot build.
            slot.bytes.iter().zip(id).all(|(a, b)| a == b)
        } else {
            ids[slot.index as usize].as_bytes() == id
        }
    }

    /// The index of `id`; `ids` is the list the indices point into (for long ids).
    pub fn get(&self, id: &[u8], hash: u64, ids: &[String]) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let tag = hash as u32;
        let mut at = self.home(hash);
        loop {
            let slot = &self.slots[at];
            if slot.index == EMPTY {
                return None;
            }
            if Self::matches(slot, id, tag, ids) {
                return Some(slot.index);
            }
            at = (at + 1) & self.mask();
        }
    }

    /// Records that `id` (not yet in the table) has `index`.
    pub fn insert(&mut self, id: &[u8], hash: u64, index: u32, ids: &[String]) {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow(ids);
        }
        let mut slot = Slot {
            index,
            tag: hash as u32,
            len: id.len().min(INLINE + 1) as u8,
            bytes: [0; INLINE],
        };
        if id.len() <= INLINE {
            slot.bytes[..id.len()].copy_from_slice(id);
        }
        self.place(slot, hash);
        self.len += 1;
    }

    fn place(&mut self, slot: Slot, hash: u64) {
        let mut at = self.home(hash);
        while self.slots[at].index != EMPTY {
            at = (at + 1) & self.mask();
        }
        self.slots[at] = slot;
    }

    fn grow(&mut self, ids: &[String]) {
        let capacity = (self.slots.len() * 2).max(64);
        let old = std::mem::replace(&mut self.slots, vec![Slot::VACANT; capacity]);
        for slot in old.into_iter().filter(|s| s.index != EMPTY) {
            let id: &[u8] = if (slot.len as usize) <= INLINE {
                &slot.bytes[..slot.len as usize]
            } else {
                ids[slot.index as usize].as_bytes()
            };
            let hash = hash_id(id);
            self.place(slot, hash);
        }
    }

    /// The index of `ids`, each at its position, in a table sized once.
    pub fn of(ids: &[String]) -> IdIndex {
        let capacity = (ids.len() * 2 + 1).next_power_of_two().max(64);
        let mut index = IdIndex {
            slots: vec![Slot::VACANT; capacity],
            len: 0,
        };
        for (i, id) in ids.iter().enumerate() {
            index.insert(id.as_bytes(), hash_id(id.as_bytes()), i as u32, ids);
        }
        index
    }

    /// Asks the processor for the slot where a lookup of `hash` starts.
    pub fn prefetch(&self, hash: u64) {
        if self.slots.is_empty() {
            return;
        }
        let at = self.home(hash);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: prefetching is a hint; the address is inside `slots`.
        unsafe {
            use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
            _mm_prefetch::<_MM_HINT_T0>(self.slots.as_ptr().add(at).cast());
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = at;
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    proptest! {
        #[test]
        fn finds_what_a_hash_map_finds(
            ids in proptest::collection::vec("[a-c]{0,3}|[a-z0-9]{20,30}", 0..400),
            asked in proptest::collection::vec("[a-c]{0,3}|[a-z0-9]{20,30}", 0..50),
        ) {
            let mut list: Vec<String> = Vec::new();
            let mut table = IdIndex::default();
            let mut want: HashMap<String, u32> = HashMap::new();
            for id in &ids {
                let h = hash_id(id.as_bytes());
                table.prefetch(h);
                match table.get(id.as_bytes(), h, &list) {
                    Some(i) => prop_assert_eq!(Some(&i), want.get(id)),
                    None => {
                        prop_assert!(!want.contains_key(id));
                        let i = list.len() as u32;
                        list.push(id.clone());
                        table.insert(id.as_bytes(), h, i, &list);
                        want.insert(id.clone(), i);
                    }
                }
            }
            prop_assert_eq!(table.len(), want.len());
            for id in ids.iter().chain(&asked) {
                let got = table.get(id.as_bytes(), hash_id(id.as_bytes()), &list);
                prop_assert_eq!(got, want.get(id).copied());
            }
        }
    }

    #[test]
    fn ids_of_22_and_23_bytes_are_told_apart() {
        let a = "x".repeat(22);
        let b = "x".repeat(23);
        let mut list = vec![a.clone()];
        let mut t = IdIndex::default();
        t.insert(a.as_bytes(), hash_id(a.as_bytes()), 0, &list);
        list.push(b.clone());
        t.insert(b.as_bytes(), hash_id(b.as_bytes()), 1, &list);
        assert_eq!(t.get(a.as_bytes(), hash_id(a.as_bytes()), &list), Some(0));
        assert_eq!(t.get(b.as_bytes(), hash_id(b.as_bytes()), &list), Some(1));
    }
}

/// A snapshot's contact index, built when first asked for: a snapshot read from files
/// needs it only once records arrive (`Snapshot::apply`), and building it for a million
/// contacts was a third of reading the files for a report.
#[derive(Debug, Clone, Default)]
pub struct LazyIdIndex(std::sync::OnceLock<IdIndex>);

impl LazyIdIndex {
    pub fn built(index: IdIndex) -> LazyIdIndex {
        LazyIdIndex(std::sync::OnceLock::from(index))
    }

    /// The index of `ids` (the ids it was or will be built from).
    pub fn get(&self, ids: &[String]) -> &IdIndex {
        self.0.get_or_init(|| IdIndex::of(ids))
    }
}

/// Derived from the contact ids, which a snapshot compares itself: two snapshots with
/// the same ids have the same index, built or not, however its table is laid out.
impl PartialEq for LazyIdIndex {
    fn eq(&self, _: &LazyIdIndex) -> bool {
        true
    }
}
