//! Values gathered under keys, in the order each key first came.

use std::collections::HashMap;
use std::hash::Hash;

#[derive(Debug)]
pub struct FirstSeen<K, V> {
    /// Each key's place in the order, and its value.
    map: HashMap<K, (usize, V)>,
}

impl<K, V> Default for FirstSeen<K, V> {
    fn default() -> Self {
        FirstSeen {
            map: HashMap::new(),
        }
    }
}

impl<K: Hash + Eq, V> FirstSeen<K, V> {
    /// The value under `key` (`make` makes it for a new key), and the key's place in the
    /// order.
    pub fn entry(&mut self, key: K, make: impl FnOnce() -> V) -> (usize, &mut V) {
        let next = self.map.len();
        let (at, value) = self.map.entry(key).or_insert_with(|| (next, make()));
        (*at, value)
    }

    /// The keys and their values, in order.
    pub fn into_vec(self) -> Vec<(K, V)> {
        let mut all: Vec<(usize, K, V)> = self
            .map
            .into_iter()
            .map(|(key, (at, value))| (at, key, value))
            .collect();
        all.sort_unstable_by_key(|(at, _, _)| *at);
        all.into_iter()
            .map(|(_, key, value)| (key, value))
            .collect()
    }
}
