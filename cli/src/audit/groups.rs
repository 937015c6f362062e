//! Chains grouped by what they share on one listener: a certificate, or a host.

use crate::audit::certificates::covers_any;
use crate::model::certs::Certificates;
use crate::model::gateway::{canonical_host, ChainKind, Credential};
use crate::model::layout::{ChainRef, Listener};
use std::collections::HashMap;

/// Groups of two or more HTTPS chains that present a common certificate, each with the
/// certificates they share. Chains sharing several (RSA and ECDSA) are one group. (A
/// certificate shared with a TLS-to-TCP chain is a covered host; between TLS-to-TCP chains
/// alone, the gateway routes no HTTP and sni-guard cannot help: not reported.) When the
/// input holds the certificates, only chains with a host they name can be coalesced across:
/// a chain whose hosts they do not name is an uncovered host instead.
pub(super) fn shared_credentials<'g>(
    listener: &Listener<'g>,
    workload_namespace: Option<&str>,
    certificates: &Certificates,
) -> Vec<(Vec<Credential>, Vec<ChainRef<'g>>)> {
    let keyed = listener
        .chains
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == ChainKind::Https)
        .flat_map(|(i, c)| c.server.credentials().iter().map(move |k| (k.clone(), i)));
    let mut groups = group_by_chains(keyed, &listener.chains);
    for (credentials, chains) in &mut groups {
        let read: Vec<&str> = credentials
            .iter()
            .flat_map(|c| certificates.lookup(c, workload_namespace))
            .flat_map(|c| c.names.iter().map(String::as_str))
            .collect();
        if read.is_empty() {
            continue; // Not read: taken to cover every server's hosts.
        }
        chains.retain(|c| c.server.hosts.iter().any(|h| covers_any(&read, h)));
    }
    groups.retain(|(_, chains)| chains.len() > 1);
    groups
}

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
fn group_by_chains<'g, K: std::hash::Hash + Eq + Clone>(
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
