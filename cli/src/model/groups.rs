//! Chains of one listener grouped by a key they share (a host, a certificate): every set of
//! two or more, in order of first appearance.

use crate::model::gateway::canonical_host;
use crate::model::layout::{ChainRef, Listener};
use std::collections::HashMap;

/// Groups of two or more chains that list a common host, each with the hosts they share.
pub fn duplicate_hosts<'g>(listener: &Listener<'g>) -> Vec<(Vec<String>, Vec<ChainRef<'g>>)> {
    let keyed = listener
        .chains
        .iter()
        .enumerate()
        .flat_map(|(i, c)| c.server.hosts.iter().map(move |h| (canonical_host(h), i)));
    group_by_chains(keyed, &listener.chains)
}

/// Turns `(key, chain)` pairs into `keys → chains` for every set of two or more chains, in
/// order of first appearance.
pub fn group_by_chains<'g, K: std::hash::Hash + Eq + Clone>(
    keyed: impl Iterator<Item = (K, usize)>,
    chains: &[ChainRef<'g>],
) -> Vec<(Vec<K>, Vec<ChainRef<'g>>)> {
    let mut users: Vec<(K, Vec<usize>)> = Vec::new();
    let mut index: HashMap<K, usize> = HashMap::new();
    for (key, chain) in keyed {
        let at = *index.entry(key.clone()).or_insert_with(|| {
            users.push((key, Vec::new()));
            users.len() - 1
        });
        let list = &mut users[at].1;
        if list.last() != Some(&chain) {
            list.push(chain);
        }
    }
    let mut groups: Vec<(Vec<usize>, Vec<K>)> = Vec::new();
    let mut group_index: HashMap<Vec<usize>, usize> = HashMap::new();
    for (key, list) in users {
        if list.len() < 2 {
            continue;
        }
        match group_index.get(&list) {
            Some(&at) => groups[at].1.push(key),
            None => {
                group_index.insert(list.clone(), groups.len());
                groups.push((list, vec![key]));
            }
        }
    }
    groups
        .into_iter()
        .map(|(list, keys)| (keys, list.iter().map(|&i| chains[i]).collect()))
        .collect()
}
