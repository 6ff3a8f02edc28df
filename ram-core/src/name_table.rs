//! A map from names (user names, access key ids) to values, laid out so that a lookup in a
//! large directory costs as few cache misses as possible, and copied on write by shard.
//!
//! A check in a 100,000-user directory starts at a random user: with `imbl::HashMap` that was
//! a walk through two or three HAMT nodes and then the key's own heap string, each one a
//! dependent load at a random address of a heap of hundreds of megabytes (a cache and TLB
//! miss, 100–300 ns on the measured VM). Here a lookup reads a shard's control bytes
//! (`hashbrown`: 1–2 bytes per entry, warm) and one slot holding the name itself (inline up
//! to the table's `N` bytes) and the value: one miss for a name of usual length. A name is
//! always identified by comparing all its bytes, never by its hash alone (`hashbrown`'s 7-bit
//! tag only spares reading most other names).
//!
//! The slots live in [`TableMemory`]: on Linux, memory that the kernel is asked to back with
//! 2 MiB pages, so that a random slot of a table of megabytes is not a TLB miss as well (see
//! that module).
//!
//! Shards are `Arc`s: the snapshot of the next publish clones the shard array (a few
//! hundred reference counts) and copies only the shards it changes, so a one-user change
//! copies about 1/[`SHARDS`] of the table, not all of it.
//!
//! Names are hashed with `foldhash`'s quality variant under a per-table random seed: the
//! shard, the position in a shard and `hashbrown`'s tag take three different parts of one
//! hash, which its final mixing step spreads evenly whatever the names share (`user000042`
//! and `user000043`). foldhash claims only minimal resistance to hash flooding (none against
//! someone who can time lookups to learn the seed), unlike std's SipHash, which would cost
//! more than the rest of a lookup; here only an administrator of the directory can choose
//! names, and a name never matches on its hash alone.

use std::hash::BuildHasher;
use std::sync::Arc;

use foldhash::quality::RandomState;
use hashbrown::HashTable;

use crate::prefetch::{self, prefetch};
use crate::table_memory::TableMemory;

/// Names of up to this many bytes are stored inline by default (32 bytes in all); longer ones
/// on the heap (one more miss to compare them). Access key ids are 24 characters; glob
/// literals (`glob.rs`) use the same type.
pub(crate) const INLINE: usize = 30;

/// Number of shards: a power of two. A one-entry change copies one shard (at 100,000 names
/// about 400 slots); the shard array itself is a few kilobytes, warm in the cache.
pub(crate) const SHARDS: usize = 256;

/// [`NameTable::prefetch`] is a hint only for tables of more names than this. A smaller
/// table's slots (80 bytes for a user, 112 for an access key) fit in a core's 1–2 MB L2
/// cache, where they stay warm when lookups repeat, and the second search of the shard's
/// control bytes that a prefetch costs is not repaid. (Measured in stop 12 on W-directory,
/// before this limit: 100 users 15–25 ns slower per check with the prefetch, 10,000 users no
/// faster.)
pub(crate) const PREFETCH_ABOVE: usize = if cfg!(test) { 8 } else { 16_384 };

/// A string stored without a pointer to follow when it is short: a user name or key id in a
/// [`NameTable`] slot, a literal of a compiled glob.
///
/// Inline up to `N` bytes (at most 255): `N + 2` bytes rounded up to 8, and at least 24.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Name<const N: usize = INLINE> {
    Inline { len: u8, bytes: [u8; N] },
    Heap(Box<str>),
}

impl<const N: usize> Name<N> {
    pub(crate) fn new(name: &str) -> Name<N> {
        match name.len() {
            len if len <= N && len <= usize::from(u8::MAX) => {
                let mut bytes = [0; N];
                bytes[..len].copy_from_slice(name.as_bytes());
                Name::Inline { len: len as u8, bytes }
            }
            _ => Name::Heap(name.into()),
        }
    }

    #[inline]
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Name::Inline { len, bytes } => &bytes[..usize::from(*len)],
            Name::Heap(s) => s.as_bytes(),
        }
    }

    /// The name as a `str` when it is stored on the heap (longer than `N` bytes).
    #[inline]
    pub(crate) fn heap_str(&self) -> Option<&str> {
        match self {
            Name::Inline { .. } => None,
            Name::Heap(s) => Some(s),
        }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether this is exactly `name`.
    #[inline]
    pub(crate) fn is(&self, name: &str) -> bool {
        self.as_bytes() == name.as_bytes()
    }
}

impl<const N: usize> std::fmt::Debug for Name<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&String::from_utf8_lossy(self.as_bytes()), f)
    }
}

// No copy of the hash: without it a user's slot takes 64 bytes, and the tag already spares
// the comparison with all but about one name in 128.
#[derive(Clone)]
struct Slot<V, const N: usize> {
    name: Name<N>,
    value: V,
}

/// A shard of a [`NameTable`], shared between the snapshots that did not change it. Its slots
/// are in [`TableMemory`], on huge pages where the OS grants them.
type Shard<V, const N: usize> = Arc<HashTable<Slot<V, N>, TableMemory>>;

/// What [`NameTable::prefetch`] found for a name: its hash, and the slot being loaded that
/// is probably the name's.
pub(crate) struct Prefetched<'t, V, const N: usize> {
    hash: u64,
    first: Option<&'t Slot<V, N>>,
}

// Not derived: that would require `V: Copy`.
impl<V, const N: usize> Clone for Prefetched<'_, V, N> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<V, const N: usize> Copy for Prefetched<'_, V, N> {}

/// Name → `V`, sharded and copied on write (see the module documentation). Names of up to `N`
/// bytes are stored in the slot.
#[derive(Clone)]
pub(crate) struct NameTable<V, const N: usize = INLINE> {
    hasher: RandomState,
    shards: Box<[Shard<V, N>]>,
    len: usize,
}

impl<V: Clone, const N: usize> Default for NameTable<V, N> {
    fn default() -> Self {
        NameTable {
            hasher: RandomState::default(),
            shards: (0..SHARDS).map(|_| Arc::new(HashTable::new_in(TableMemory))).collect(),
            len: 0,
        }
    }
}

impl<V: Clone, const N: usize> NameTable<V, N> {
    /// Bytes of one slot (a name and its value, with padding).
    pub(crate) const SLOT_BYTES: usize = size_of::<Slot<V, N>>();

    #[inline]
    fn hash(&self, name: &[u8]) -> u64 {
        self.hasher.hash_one(name)
    }

    /// The shard of a hash: bits that `hashbrown` uses neither for the position in a table
    /// (the low bits) nor for its control byte (the top seven), so that every shard's table
    /// still sees well-spread hashes.
    #[inline]
    fn shard(hash: u64) -> usize {
        (hash >> 32) as usize & (SHARDS - 1)
    }

    #[inline]
    pub(crate) fn get(&self, name: &str) -> Option<&V> {
        self.get_hashed(name, self.hash(name.as_bytes()))
    }

    #[inline]
    fn get_hashed(&self, name: &str, hash: u64) -> Option<&V> {
        self.shards[Self::shard(hash)]
            .find(hash, |s| s.name.is(name))
            .map(|s| &s.value)
    }

    /// [`NameTable::get`] for the name that [`NameTable::prefetch`] was given: compares the
    /// name with the slot it found, and searches on (without hashing again) only if that is
    /// another name's. No slot found means no slot's tag matched: the name is absent, since
    /// the borrow keeps the table from changing in between. (With the prefetch of another name
    /// or table, the lookup can only miss: a name is found by its bytes.)
    #[inline]
    pub(crate) fn get_prefetched<'t>(&'t self, name: &str, prefetched: Prefetched<'t, V, N>) -> Option<&'t V> {
        match prefetched.first {
            Some(s) if s.name.is(name) => Some(&s.value),
            Some(_) => self.get_hashed(name, prefetched.hash),
            None => None,
        }
    }

    /// Starts loading the slot of `name` into the caches without waiting for it, so that a
    /// caller can do other work while the (in a large table, likely) miss is served; a
    /// [`NameTable::get`] after it finds the slot warm. Does nothing in a table of up to
    /// [`PREFETCH_ABOVE`] names, or on a target without prefetch hints; returns what
    /// [`NameTable::get_prefetched`] needs when it prefetched.
    ///
    /// `find` reads only the shard's control bytes (small and warm) and hands each slot whose
    /// tag matches the hash to the comparison, which here prefetches the slot instead of
    /// reading it (its start, and its value, which may lie on the next cache line) and takes
    /// the first one as the name's, to be confirmed by `get_prefetched` once it is loaded: the
    /// lookup then neither hashes the name nor searches the control bytes again. (Another
    /// name's tag matches in about one lookup in a hundred; `get_prefetched` then searches.)
    #[inline]
    pub(crate) fn prefetch(&self, name: &str) -> Option<Prefetched<'_, V, N>> {
        if !prefetch::ENABLED || self.len <= PREFETCH_ABOVE {
            return None;
        }
        let hash = self.hash(name.as_bytes());
        let first = self.shards[Self::shard(hash)].find(hash, |s| {
            prefetch(s);
            prefetch(&s.value);
            true
        });
        Some(Prefetched { hash, first })
    }

    /// Inserts or replaces the value of `name`.
    pub(crate) fn insert(&mut self, name: &str, value: V) {
        let hash = self.hash(name.as_bytes());
        let hasher = &self.hasher;
        let shard = Arc::make_mut(&mut self.shards[Self::shard(hash)]);
        let rehash = |s: &Slot<V, N>| hasher.hash_one(s.name.as_bytes());
        match shard.entry(hash, |s| s.name.is(name), rehash) {
            hashbrown::hash_table::Entry::Occupied(mut o) => o.get_mut().value = value,
            hashbrown::hash_table::Entry::Vacant(v) => {
                self.len += 1;
                v.insert(Slot {
                    name: Name::new(name),
                    value,
                });
            }
        }
    }

    /// Removes `name`; copies its shard only if it is there.
    pub(crate) fn remove(&mut self, name: &str) -> Option<V> {
        let hash = self.hash(name.as_bytes());
        let eq = |s: &Slot<V, N>| s.name.is(name);
        let shard = &mut self.shards[Self::shard(hash)];
        shard.find(hash, eq)?;
        let (slot, _) = Arc::make_mut(shard).find_entry(hash, eq).ok()?.remove();
        self.len -= 1;
        Some(slot.value)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&Name<N>, &V)> {
        self.shards.iter().flat_map(|s| s.iter()).map(|s| (&s.name, &s.value))
    }
}

impl<V: Clone + std::fmt::Debug, const N: usize> std::fmt::Debug for NameTable<V, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    #[derive(Clone, Debug)]
    enum Op {
        Insert(String, u32),
        Remove(String),
        /// Clone the table (a publish) and keep mutating the clone: the old copy must not
        /// change.
        Publish,
    }

    fn name() -> impl Strategy<Value = String> {
        // Few distinct short names (many collisions of operations on one name), plus names
        // on both sides of the inline limit and non-ASCII ones.
        prop_oneof![
            (0..40u32).prop_map(|i| format!("u{i}")),
            (INLINE - 2..INLINE + 3).prop_map(|n| "x".repeat(n)),
            (4..9usize).prop_map(|n| "y".repeat(n)),
            "[a-zé日]{0,40}",
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (name(), any::<u32>()).prop_map(|(n, v)| Op::Insert(n, v)),
            2 => name().prop_map(Op::Remove),
            1 => Just(Op::Publish),
        ]
    }

    /// A table of short inline names, like the authorizer's user table.
    type Short = NameTable<u32, 6>;

    fn agrees<const N: usize>(table: &NameTable<u32, N>, reference: &BTreeMap<String, u32>, probes: &[String]) {
        assert_eq!(table.len(), reference.len());
        assert_eq!(table.shards.iter().map(|s| s.len()).sum::<usize>(), reference.len());
        for (n, v) in reference {
            assert_eq!(table.get(n), Some(v), "{n:?}");
        }
        for n in probes {
            // A prefetch, of a present or an absent name, is only a hint.
            if let Some(prefetched) = table.prefetch(n) {
                assert_eq!(table.get_prefetched(n, prefetched), reference.get(n), "{n:?}");
            }
            assert_eq!(table.get(n), reference.get(n), "{n:?}");
        }
        let mut all: Vec<(Vec<u8>, u32)> = table.iter().map(|(n, v)| (n.as_bytes().to_vec(), *v)).collect();
        all.sort();
        let expected: Vec<(Vec<u8>, u32)> = reference.iter().map(|(n, v)| (n.as_bytes().to_vec(), *v)).collect();
        assert_eq!(all, expected);
    }

    fn run<const N: usize>(ops: Vec<Op>) {
        let mut table = NameTable::<u32, N>::default();
        let mut reference = BTreeMap::new();
        let mut published = Vec::new();
        let mut probes = Vec::new();
        for op in ops {
            match op {
                Op::Insert(n, v) => {
                    table.insert(&n, v);
                    reference.insert(n.clone(), v);
                    probes.push(n);
                }
                Op::Remove(n) => {
                    assert_eq!(table.remove(&n), reference.remove(&n));
                    probes.push(n);
                }
                Op::Publish => published.push((table.clone(), reference.clone())),
            }
        }
        agrees(&table, &reference, &probes);
        for (t, r) in &published {
            agrees(t, r, &probes);
        }
    }

    proptest! {
        #[test]
        fn table_agrees_with_a_reference_map(ops in prop::collection::vec(op(), 0..200)) {
            run::<INLINE>(ops.clone());
            run::<6>(ops);
        }
    }

    #[test]
    fn names_take_n_plus_two_bytes_rounded_up() {
        assert_eq!(size_of::<Name<22>>(), 24);
        assert_eq!(size_of::<Name>(), 32);
        assert_eq!(NameTable::<[u64; 5], 22>::SLOT_BYTES, 64);
    }

    #[test]
    fn names_compare_exactly() {
        let mut t = NameTable::<i32>::default();
        let long = "y".repeat(INLINE + 1);
        t.insert("alice", 1);
        t.insert(&long, 2);
        t.insert("", 3);
        assert_eq!(t.get("alice"), Some(&1));
        assert_eq!(t.get("alic"), None);
        assert_eq!(t.get("alice\0"), None);
        assert_eq!(t.get(&long), Some(&2));
        assert_eq!(t.get(&long[1..]), None);
        assert_eq!(t.get(""), Some(&3));
        assert!(matches!(Name::<INLINE>::new(&long), Name::Heap(_)));
        assert!(matches!(Name::<INLINE>::new(&long[1..]), Name::Inline { .. }));
        let mut lined = Short::default();
        lined.insert("sixsix", 1);
        lined.insert("seven77", 2);
        assert_eq!(lined.get("sixsix"), Some(&1));
        assert_eq!(lined.get("seven77"), Some(&2));
        assert_eq!(lined.get("seven7"), None);
        assert!(matches!(Name::<6>::new("seven77"), Name::Heap(_)));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn slots_lie_in_the_huge_page_pool() {
        use crate::table_memory::tests::in_huge_pool;
        let mut t = NameTable::<u64>::default();
        for i in 0..1_000 {
            t.insert(&format!("user{i}"), i);
        }
        let before = t.clone();
        t.insert("user1", 0); // a publish's copy of a shard
        for table in [&before, &t] {
            let slot = table.get("user1").unwrap();
            assert!(in_huge_pool(std::ptr::from_ref(slot) as usize));
        }
    }

    /// The slot a prefetch took as the name's may be another name's whose tag matched too:
    /// the lookup then compares, and searches the table for the name.
    #[test]
    fn a_prefetched_slot_of_another_name_is_not_taken() {
        let mut t = NameTable::<u32>::default();
        for i in 0..100 {
            t.insert(&format!("user{i}"), i);
        }
        let slot = |name: &str| {
            let hash = t.hash(name.as_bytes());
            t.shards[NameTable::<u32>::shard(hash)].find(hash, |s| s.name.is(name))
        };
        for (name, other) in [("user1", "user2"), ("user3", "user4"), ("nobody", "user5")] {
            let prefetched = Prefetched {
                hash: t.hash(name.as_bytes()),
                first: slot(other),
            };
            assert_eq!(t.get_prefetched(name, prefetched), t.get(name), "{name}");
        }
        if prefetch::ENABLED {
            assert_eq!(t.get_prefetched("user1", t.prefetch("user1").unwrap()), Some(&1));
            assert_eq!(t.get_prefetched("nobody", t.prefetch("nobody").unwrap()), None);
        }
    }

    #[test]
    fn a_change_copies_one_shard() {
        let mut t = NameTable::<usize>::default();
        for i in 0..10_000 {
            t.insert(&format!("user{i}"), i);
        }
        let before = t.clone();
        t.insert("user5", 0);
        t.remove("nobody");
        let copied = t
            .shards
            .iter()
            .zip(before.shards.iter())
            .filter(|(a, b)| !Arc::ptr_eq(a, b))
            .count();
        assert_eq!(copied, 1);
        assert_eq!(before.get("user5"), Some(&5));
        assert_eq!(t.get("user5"), Some(&0));
    }
}
