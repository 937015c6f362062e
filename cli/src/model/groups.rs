//! Chains of one listener grouped by a key they share (a host, a certificate): every set of
//! two or more, in order of first appearance.

use crate::model::first_seen::FirstSeen;
use crate::model::gateway::canonical_host;
use crate::model::layout::{ChainRef, Listener};

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
    let mut users: FirstSeen<K, Vec<usize>> = FirstSeen::default();
    for (key, chain) in keyed {
        let (_, list) = users.entry(key, Vec::new);
        if list.last() != Some(&chain) {
            list.push(chain);
        }
    }
    let mut groups: FirstSeen<Vec<usize>, Vec<K>> = FirstSeen::default();
    for (key, list) in users.into_vec() {
        if list.len() > 1 {
            groups.entry(list, Vec::new).1.push(key);
        }
    }
    groups
        .into_vec()
        .into_iter()
        .map(|(list, keys)| {
            let members = list
                .iter()
                .filter_map(|&i| chains.get(i).copied())
                .collect();
            (keys, members)
        })
        .collect()
}
