//! `LookupMap`: a hash map that can only be looked up, never iterated, for the hot per-item and
//! per-version tables of a run (a million keys make a `BTreeMap` walk eight or more cache-missing
//! nodes per lookup; a hash map touches one or two).
//!
//! The house rule is that sim-core and models never iterate a hash map, because its order depends
//! on the hasher and the insertion history and would leak into a run's output. This type keeps the
//! rule by construction: it exposes lookups, insertions, removals and the length, and the only way
//! to see every entry, [`LookupMap::into_sorted_vec`], sorts them by key first, so it gives the
//! order a `BTreeMap` would. Its hasher is fixed and unseeded (no per-process randomness), and since
//! nothing observes the order anyway, the choice of hasher changes speed only, never output.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// A fast multiplicative hasher for small integer keys (the scheme of rustc's `FxHasher`, with its
/// result rotated so that the bits the table indexes by depend on every bit of the key). Not
/// resistant to chosen keys, which a simulation's own ids never are.
#[derive(Clone, Copy, Debug, Default)]
pub struct IdHasher {
    state: u64,
}

const MULTIPLIER: u64 = 0xf135_7aea_2e62_a9c5;

impl IdHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.state = self.state.wrapping_add(word).wrapping_mul(MULTIPLIER);
    }
}

impl Hasher for IdHasher {
    #[inline]
    fn finish(&self) -> u64 {
        self.state.rotate_left(26)
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

/// A hash map for lookups only (see the module comment): no iteration, so no order to leak.
#[derive(Clone)]
pub struct LookupMap<K, V> {
    map: HashMap<K, V, BuildHasherDefault<IdHasher>>,
}

impl<K, V> Default for LookupMap<K, V> {
    fn default() -> Self {
        LookupMap { map: HashMap::default() }
    }
}

impl<K, V> fmt::Debug for LookupMap<K, V> {
    /// Only the length: printing the entries would show them in hash order.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LookupMap").field("len", &self.map.len()).finish()
    }
}

impl<K: Hash + Eq, V> LookupMap<K, V> {
    pub fn new() -> Self {
        Self::default()
    }
    #[inline]
    pub fn get(&self, key: &K) -> Option<&V> {
        self.map.get(key)
    }
    #[inline]
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        self.map.get_mut(key)
    }
    #[inline]
    pub fn contains_key(&self, key: &K) -> bool {
        self.map.contains_key(key)
    }
    #[inline]
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.map.insert(key, value)
    }
    #[inline]
    pub fn remove(&mut self, key: &K) -> Option<V> {
        self.map.remove(key)
    }
    #[inline]
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        self.map.entry(key)
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    /// Every key, sorted: the order a `BTreeMap`'s keys iterate in.
    pub fn sorted_keys(&self) -> Vec<K>
    where
        K: Ord + Clone,
    {
        let mut keys: Vec<K> = self.map.keys().cloned().collect();
        keys.sort_unstable();
        keys
    }
    /// Every entry, sorted by key: the order a `BTreeMap` of the same entries iterates in,
    /// whatever the hasher and the insertion history.
    pub fn into_sorted_vec(self) -> Vec<(K, V)>
    where
        K: Ord,
    {
        let mut entries: Vec<(K, V)> = self.map.into_iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        entries
    }
}

impl<K: Hash + Eq, V> std::ops::Index<&K> for LookupMap<K, V> {
    type Output = V;
    /// The value of `key`; panics if there is none, as `BTreeMap` indexing does.
    fn index(&self, key: &K) -> &V {
        self.map.get(key).expect("no entry for the key in the LookupMap")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Against a BTreeMap shadow: the same answers to every lookup, and the same final entries in
    /// the same order.
    #[test]
    fn agrees_with_a_btreemap() {
        let mut map = LookupMap::new();
        let mut shadow = BTreeMap::new();
        let mut x: u64 = 0x2a;
        for i in 0..20_000u64 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            let key = (x >> 33) % 3_000;
            match x % 4 {
                0 => assert_eq!(map.remove(&key), shadow.remove(&key)),
                1 => assert_eq!(map.get(&key), shadow.get(&key)),
                2 => *map.entry(key).or_insert(0) += i,
                _ => assert_eq!(map.insert(key, i), shadow.insert(key, i)),
            }
            if x % 4 == 2 {
                *shadow.entry(key).or_insert(0) += i;
            }
            assert_eq!(map.len(), shadow.len());
        }
        assert_eq!(map.sorted_keys(), shadow.keys().copied().collect::<Vec<_>>());
        assert_eq!(map.into_sorted_vec(), shadow.into_iter().collect::<Vec<_>>());
    }

    #[test]
    fn tuple_keys_and_debug_show_no_entries() {
        let mut map = LookupMap::new();
        map.insert((1u16, 7u64), "a");
        map.insert((0u16, 9u64), "b");
        assert_eq!(map.get(&(1, 7)), Some(&"a"));
        assert!(!map.contains_key(&(1, 9)));
        assert_eq!(format!("{map:?}"), "LookupMap { len: 2 }");
        assert_eq!(map.into_sorted_vec(), vec![((0, 9), "b"), ((1, 7), "a")]);
    }

    #[test]
    fn is_empty_and_get_mut() {
        let mut map = LookupMap::new();
        assert!(map.is_empty());
        map.insert(3u64, 10u64);
        assert!(!map.is_empty());
        *map.get_mut(&3).expect("3 is in the map") += 5;
        assert_eq!(map.get(&3), Some(&15));
        assert_eq!(map.get_mut(&4), None);
    }

    /// No answer of the map depends on the hasher, so only this test would notice a degenerate one
    /// (every lookup walking one long chain): each write method feeds the state, and consecutive
    /// keys spread over the low bits a table indexes by. 1 024 keys take 930 distinct values of
    /// the low 10 bits (worked out by hand from the multiplier); a random function would give
    /// about 647, a constant one 1.
    #[test]
    fn id_hasher_feeds_every_width_and_spreads_consecutive_keys() {
        fn hash(write: impl Fn(&mut IdHasher)) -> u64 {
            let mut h = IdHasher::default();
            write(&mut h);
            h.finish()
        }
        assert_eq!(hash(|_| {}), 0);
        assert_ne!(hash(|h| h.write_u8(1)), hash(|h| h.write_u8(2)));
        assert_ne!(hash(|h| h.write_u16(1)), hash(|h| h.write_u16(2)));
        assert_ne!(hash(|h| h.write_u32(1)), hash(|h| h.write_u32(2)));
        assert_ne!(hash(|h| h.write_u64(1)), hash(|h| h.write_u64(2)));
        assert_ne!(hash(|h| h.write_usize(1)), hash(|h| h.write_usize(2)));
        assert_ne!(hash(|h| h.write(b"us-east-1")), hash(|h| h.write(b"us-west-2")));
        let mut low_bits: Vec<u64> = (0..1024u64).map(|k| hash(|h| h.write_u64(k)) & 1023).collect();
        low_bits.sort_unstable();
        low_bits.dedup();
        assert!(low_bits.len() >= 900, "{} distinct values of the low 10 bits", low_bits.len());
    }
}
