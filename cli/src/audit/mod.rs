//! The audit: on each listener of each gateway workload, certificates presented by several
//! filter chains, hosts of one chain that another chain's certificate covers (browsers
//! coalesce across both → 404 or the wrong backend), and hosts listed by two chains (Istio
//! serves only one of them).

mod advice;
pub mod coverage;

use crate::model::certs::Certificates;
use crate::model::gateway::{canonical_host, ChainKind, Credential, TlsMode};
use crate::model::layout::{ChainRef, Layout, Listener};
use coverage::Covered;
use std::collections::HashMap;

/// One problem found on one listener (by its index in the layout).
#[derive(Debug)]
pub enum Finding<'g> {
    /// Two or more chains present the same certificate.
    SharedCredential {
        listener: usize,
        credentials: Vec<Credential>,
        chains: Vec<ChainRef<'g>>,
    },
    /// A connection made for some chains can carry requests for another chain's hosts.
    CoveredHost {
        listener: usize,
        covered: Covered<'g>,
    },
    /// Two or more chains list the same host.
    DuplicateHost {
        listener: usize,
        hosts: Vec<String>,
        chains: Vec<ChainRef<'g>>,
    },
}

impl<'g> Finding<'g> {
    pub fn listener(&self) -> usize {
        match self {
            Finding::SharedCredential { listener, .. }
            | Finding::CoveredHost { listener, .. }
            | Finding::DuplicateHost { listener, .. } => *listener,
        }
    }

    /// Every chain involved (for CoveredHost: the connection's, then the request's).
    pub fn chains(&self) -> Vec<ChainRef<'g>> {
        match self {
            Finding::SharedCredential { chains, .. } | Finding::DuplicateHost { chains, .. } => {
                chains.clone()
            }
            Finding::CoveredHost { covered, .. } => {
                let mut all = covered.connection.clone();
                all.push(covered.request);
                all
            }
        }
    }

    /// `shared_credential`, `covered_host`, `duplicate_host`.
    pub fn kind(&self) -> &'static str {
        match self {
            Finding::SharedCredential { .. } => "shared_credential",
            Finding::CoveredHost { .. } => "covered_host",
            Finding::DuplicateHost { .. } => "duplicate_host",
        }
    }
}

/// What the audit counted.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub gateways: usize,
    /// Filter chains of every kind, on every listener.
    pub chains: usize,
    pub https_chains: usize,
    pub listeners: usize,
}

/// The result of an audit.
#[derive(Debug)]
pub struct Audit<'g> {
    pub summary: Summary,
    pub findings: Vec<Finding<'g>>,
}

/// Audits the layout.
pub fn audit<'g>(layout: &Layout<'g>, certificates: &Certificates) -> Audit<'g> {
    let mut findings = Vec::new();
    for (l, listener) in layout.listeners.iter().enumerate() {
        for (credentials, chains) in shared_credentials(listener) {
            findings.push(Finding::SharedCredential {
                listener: l,
                credentials,
                chains,
            });
        }
        let namespace = layout.workload(listener).namespace.as_deref();
        for covered in coverage::covered(listener, namespace, certificates) {
            findings.push(Finding::CoveredHost {
                listener: l,
                covered,
            });
        }
        for (hosts, chains) in duplicate_hosts(listener) {
            findings.push(Finding::DuplicateHost {
                listener: l,
                hosts,
                chains,
            });
        }
    }
    let chains = layout.listeners.iter().map(|l| l.chains.len()).sum();
    let https_chains = layout
        .listeners
        .iter()
        .flat_map(|l| &l.chains)
        .filter(|c| c.kind == ChainKind::Https)
        .count();
    Audit {
        summary: Summary {
            gateways: layout.gateways.len(),
            chains,
            https_chains,
            listeners: layout.listeners.len(),
        },
        findings,
    }
}

/// Notes on servers whose settings mean something other than they may seem to.
pub fn settings_notes(layout: &Layout<'_>) -> Vec<String> {
    let mut notes = Vec::new();
    for gw in layout.gateways {
        for s in &gw.servers {
            let tls_protocol = s.protocol == "HTTPS" || s.protocol == "TLS";
            match &s.tls {
                None if tls_protocol => notes.push(format!(
                    "{} {}: protocol {} without tls settings; Istio refuses such a server, so it is left out",
                    gw.title(), s.label(), s.protocol
                )),
                Some(tls) if tls_protocol && !tls.mode_written && !tls.credentials.is_empty() => {
                    notes.push(format!(
                        "{} {}: tls.credentialName without tls.mode; Istio's default mode is PASSTHROUGH, so the gateway does not terminate TLS here and the certificate is unused (set mode: SIMPLE to terminate)",
                        gw.title(), s.label()
                    ))
                }
                Some(tls) if tls_protocol => {
                    if let TlsMode::Other(mode) = &tls.mode {
                        notes.push(format!(
                            "{} {}: unknown tls.mode {mode:?}; left out",
                            gw.title(),
                            s.label()
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    notes
}

/// Groups of two or more HTTPS chains that present a common certificate, each with the
/// certificates they share. Chains sharing several (RSA and ECDSA) are one group. (A
/// certificate shared with a TLS-to-TCP chain is a covered host; between TLS-to-TCP chains
/// alone, the gateway routes no HTTP and sni-guard cannot help: not reported.)
fn shared_credentials<'g>(listener: &Listener<'g>) -> Vec<(Vec<Credential>, Vec<ChainRef<'g>>)> {
    let keyed = listener
        .chains
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == ChainKind::Https)
        .flat_map(|(i, c)| c.server.credentials().iter().map(move |k| (k.clone(), i)));
    group_by_chains(keyed, &listener.chains)
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

pub use advice::{fix, why};

#[cfg(test)]
mod tests;
