//! The server table: which Gateway server a name selects, in Envoy's filter-chain order
//! (exact name, then the longest `*.suffix`, then `*`). Built once at configure time; a
//! lookup costs the same for 2 hosts or 10,000 and never allocates.

use crate::pattern::Pattern;
use hashbrown::HashTable;

/// Index of a server in the table.
pub type ServerId = u32;

/// A case-insensitive map from lowercased names to server ids.
///
/// Names are hashed right to left, so that while a name is scanned from its end the hash
/// of every suffix is at hand: finding the longest wildcard is one pass over the name.
#[derive(Debug, Default)]
struct NameMap {
    entries: HashTable<(Box<[u8]>, ServerId)>,
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

fn step(hash: u64, byte: u8) -> u64 {
    (hash ^ u64::from(byte.to_ascii_lowercase())).wrapping_mul(FNV_PRIME)
}

fn hash(name: &[u8]) -> u64 {
    name.iter().rev().fold(FNV_OFFSET, |h, &b| step(h, b))
}

impl NameMap {
    /// Inserts a lowercased name; on a clash returns the id that holds it already.
    fn insert(&mut self, name: &str, id: ServerId) -> Result<(), ServerId> {
        let key = name.as_bytes();
        let h = hash(key);
        if let Some(&(_, held)) = self.entries.find(h, |(k, _)| **k == *key) {
            return Err(held);
        }
        self.entries
            .insert_unique(h, (key.into(), id), |(k, _)| hash(k));
        Ok(())
    }

    fn get(&self, h: u64, name: &[u8]) -> Option<ServerId> {
        if self.entries.is_empty() {
            return None;
        }
        self.entries
            .find(h, |(k, _)| k.eq_ignore_ascii_case(name))
            .map(|&(_, id)| id)
    }
}

/// Host patterns mapped to servers.
#[derive(Debug, Default)]
pub struct Matcher {
    exact: NameMap,
    suffix: NameMap,
    any: Option<ServerId>,
}

impl Matcher {
    /// Adds a pattern for `id`; on a clash returns the id that holds the pattern already.
    pub fn insert(&mut self, pattern: &Pattern, id: ServerId) -> Result<(), ServerId> {
        match pattern {
            Pattern::Exact(name) => self.exact.insert(name, id),
            Pattern::Suffix(suffix) => self.suffix.insert(suffix, id),
            Pattern::Any => match self.any {
                Some(held) => Err(held),
                None => {
                    self.any = Some(id);
                    Ok(())
                }
            },
        }
    }

    /// The server a normalised name selects, if any.
    pub fn select(&self, name: &[u8]) -> Option<ServerId> {
        let mut h = FNV_OFFSET;
        let mut longest_suffix = None;
        // Walk from the end; at each dot with a label before it, the bytes to its right are a
        // candidate suffix. The leftmost hit is the longest, so later hits overwrite earlier ones.
        for (at, &byte) in name.iter().enumerate().rev() {
            if byte == b'.'
                && at > 0
                && let Some(rest) = name.get(at + 1..)
                && let Some(id) = self.suffix.get(h, rest)
            {
                longest_suffix = Some(id);
            }
            h = step(h, byte);
        }
        self.exact.get(h, name).or(longest_suffix).or(self.any)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(patterns: &[(&str, ServerId)]) -> Matcher {
        let mut m = Matcher::default();
        for (p, id) in patterns {
            m.insert(&Pattern::parse(p).unwrap(), *id).unwrap();
        }
        m
    }

    #[test]
    fn exact_then_longest_suffix_then_any() {
        let m = matcher(&[
            ("*", 0),
            ("*.example.com", 1),
            ("*.b.example.com", 2),
            ("a.b.example.com", 3),
        ]);
        assert_eq!(m.select(b"a.b.example.com"), Some(3));
        assert_eq!(m.select(b"x.b.example.com"), Some(2));
        assert_eq!(m.select(b"y.x.b.example.com"), Some(2));
        assert_eq!(m.select(b"b.example.com"), Some(1));
        assert_eq!(m.select(b"example.com"), Some(0));
        assert_eq!(m.select(b"other.org"), Some(0));
        assert_eq!(m.select(b"A.B.EXAMPLE.COM"), Some(3));
    }

    #[test]
    fn wildcard_needs_a_label_and_matches_any_depth() {
        let m = matcher(&[("*.example.com", 1)]);
        assert_eq!(m.select(b"example.com"), None);
        assert_eq!(m.select(b".example.com"), None);
        assert_eq!(m.select(b"a.example.com"), Some(1));
        assert_eq!(m.select(b"a.b.c.example.com"), Some(1));
        assert_eq!(m.select(b"aexample.com"), None);
        assert_eq!(m.select(b""), None);
    }

    #[test]
    fn clashes_report_the_holder() {
        let mut m = matcher(&[("a.example.com", 4), ("*", 5)]);
        let dup = Pattern::parse("A.EXAMPLE.com").unwrap();
        assert_eq!(m.insert(&dup, 6), Err(4));
        assert_eq!(m.insert(&Pattern::Any, 6), Err(5));
    }
}
