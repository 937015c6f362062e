//! Which hosts of one filter chain a connection made for another can carry.
//!
//! A browser reuses a connection for a host when the connection's certificate covers it
//! (RFC 9113 §9.1.1). A certificate covers the names in its Subject Alternative Names, a
//! `*.example.com` name one label below `example.com` (RFC 6125 §6.4.3). When the input
//! holds the certificate (a Secret's `tls.crt`, a cert-manager Certificate), its names are
//! used; otherwise it covers at least the hosts of the servers that present it. The request
//! goes to the connection's route table; it belonged to the chain that Envoy would pick for
//! its host by SNI (exact name, then the longest `*.suffix`, then `*`).

use crate::model::certs::Certificates;
use crate::model::first_seen::FirstSeen;
use crate::model::gateway::{ChainKind, Credential, canonical_host, sni_host};
use crate::model::layout::{ChainRef, Listener};
use sni_guard_decision::pattern::Pattern;
use sni_guard_decision::table::Matcher;
use std::collections::{HashMap, HashSet};

/// Chains on one connection (those presenting one certificate), and the hosts of another
/// chain their certificate covers.
#[derive(Debug, Clone)]
pub struct Covered<'g> {
    /// The chains a connection may have been made for.
    pub connection: Vec<ChainRef<'g>>,
    /// What says which names the certificate covers: `the hosts of ns/gw servers[0]` or the
    /// Secret or Certificate read.
    pub evidence: String,
    /// The chain the hosts belong to.
    pub request: ChainRef<'g>,
    /// The covered hosts of `request`: names, or `*.suffix` for every other name under it.
    pub hosts: Vec<String>,
    /// The certificate names that cover them.
    pub names: Vec<String>,
}

/// The hosts of each chain, and which chain a name selects.
struct Index {
    matcher: Matcher,
    /// Exact hosts by the name one label up (`example.com` → `a.example.com`, ...).
    children: HashMap<String, Vec<(String, usize)>>,
}

impl Index {
    fn new(chains: &[ChainRef<'_>]) -> Index {
        let mut matcher = Matcher::default();
        let mut children: HashMap<String, Vec<(String, usize)>> = HashMap::new();
        for (id, chain) in chains.iter().enumerate() {
            for host in &chain.server.hosts {
                let Ok(pattern) = Pattern::parse(sni_host(host)) else {
                    continue;
                };
                // A host on two chains is a finding of its own; the first keeps it here.
                let Ok(()) = matcher.insert(&pattern, id as u32) else {
                    continue;
                };
                if let Pattern::Exact(name) = &pattern
                    && let Some((_, parent)) = name.split_once('.')
                {
                    children
                        .entry(parent.to_owned())
                        .or_default()
                        .push((name.clone(), id));
                }
            }
        }
        Index { matcher, children }
    }

    fn select(&self, name: &str) -> Option<usize> {
        self.matcher
            .select(name.as_bytes())
            .and_then(|id| usize::try_from(id).ok())
    }

    /// The (chain, host) pairs a certificate name covers.
    fn covered_by(&self, name: &str, mut found: impl FnMut(usize, String)) {
        match Pattern::parse(name) {
            Ok(Pattern::Exact(exact)) => {
                if let Some(chain) = self.select(&exact) {
                    found(chain, exact);
                }
            }
            Ok(Pattern::Suffix(parent)) => {
                for (host, chain) in self.children.get(&parent).into_iter().flatten() {
                    found(*chain, host.clone());
                }
                // Any other name one label below: Envoy picks the longest wildcard, or `*`.
                let generic = format!("*.{parent}");
                if let Some(chain) = self.select(&generic) {
                    found(chain, generic);
                }
            }
            // `*` alone is no certificate name; IP addresses and malformed names cover no host.
            Ok(Pattern::Any) | Err(_) => {}
        }
    }
}

/// A certificate, by the chains that present it (with their positions on the listener), and
/// the names it covers.
struct Source<'g> {
    users: Vec<(usize, ChainRef<'g>)>,
    names: Vec<String>,
    evidence: Evidence<'g>,
}

/// What says which names a certificate covers; put in words only for a finding.
enum Evidence<'g> {
    /// The hosts of this chain.
    Hosts(ChainRef<'g>),
    Read(String),
}

/// Everything a connection on `listener` can carry to another chain's route table.
pub fn covered<'g>(
    listener: &Listener<'g>,
    workload_namespace: Option<&str>,
    certificates: &Certificates,
) -> Vec<Covered<'g>> {
    let chains = &listener.chains;
    let index = Index::new(chains);
    let sources = sources(chains, workload_namespace, certificates);
    let mut out: Vec<Covered<'g>> = Vec::new();
    for source in &sources {
        findings(chains, &index, source, &mut out);
    }
    out
}

/// A chain and its position on the listener.
type Placed<'g> = (usize, ChainRef<'g>);

/// Each credential and the chains that present it, in order of first use.
fn users<'g>(chains: &[ChainRef<'g>]) -> Vec<(&'g Credential, Vec<Placed<'g>>)> {
    let mut users: FirstSeen<&'g Credential, Vec<Placed<'g>>> = FirstSeen::default();
    for (id, chain) in chains.iter().enumerate() {
        for credential in chain.server.credentials() {
            users.entry(credential, Vec::new).1.push((id, *chain));
        }
    }
    users.into_vec()
}

/// The connections made for HTTPS chains, and the names their certificate is known (or,
/// unread, taken) to cover.
fn sources<'g>(
    chains: &[ChainRef<'g>],
    workload_namespace: Option<&str>,
    certificates: &Certificates,
) -> Vec<Source<'g>> {
    let mut sources: Vec<Source<'g>> = Vec::new();
    // Connections the gateway routes by HTTP are made for HTTPS chains; a certificate also
    // presented by a TLS-to-TCP chain covers that chain's hosts too.
    let https = |(_, chain): &Placed<'_>| chain.kind == ChainKind::Https;
    let mut unknown: HashSet<usize> = HashSet::new();
    for (credential, users) in users(chains) {
        let connection: Vec<Placed<'g>> = users.iter().copied().filter(https).collect();
        if connection.is_empty() {
            continue;
        }
        let source = |names: Vec<String>, evidence: String| Source {
            users: connection.clone(),
            names,
            evidence: Evidence::Read(evidence),
        };
        let found = certificates.lookup(credential, workload_namespace);
        if !found.is_empty() {
            let origins: Vec<&str> = found.iter().map(|c| c.origin.as_str()).collect();
            let names = found.iter().flat_map(|c| c.names.iter().cloned()).collect();
            sources.push(source(names, origins.join(", ")));
            continue;
        }
        unknown.extend(connection.iter().map(|(id, _)| *id));
        let tcp: Vec<ChainRef<'g>> = users
            .iter()
            .filter(|user| !https(user))
            .map(|(_, chain)| *chain)
            .collect();
        if !tcp.is_empty() {
            let names = tcp.iter().flat_map(|&chain| sni_hosts(chain)).collect();
            let labels: Vec<String> = tcp.iter().map(ChainRef::label).collect();
            let evidence = format!("{credential}, also presented by {}", labels.join(", "));
            sources.push(source(names, evidence));
        }
    }
    for (id, chain) in chains.iter().enumerate() {
        if chain.kind == ChainKind::Https
            && (unknown.contains(&id) || chain.server.credentials().is_empty())
        {
            sources.push(Source {
                users: vec![(id, *chain)],
                names: sni_hosts(*chain).collect(),
                evidence: Evidence::Hosts(*chain),
            });
        }
    }
    sources
}

/// A chain's hosts as SNI names.
fn sni_hosts<'c>(chain: ChainRef<'c>) -> impl Iterator<Item = String> + 'c {
    chain.server.hosts.iter().map(|h| sni_host(h).to_owned())
}

/// Adds to `out` the other chains whose hosts `source`'s certificate covers.
fn findings<'g>(
    chains: &[ChainRef<'g>],
    index: &Index,
    source: &Source<'g>,
    out: &mut Vec<Covered<'g>>,
) {
    // HTTPS chains that share a certificate with the connection's are a finding of their
    // own (shared credential), not this one.
    let own: HashSet<usize> = source.users.iter().map(|(id, _)| *id).collect();
    let presented: HashSet<&Credential> = source
        .users
        .iter()
        .flat_map(|(_, chain)| chain.server.credentials())
        .collect();
    // A host the connection's own servers list too is a duplicate host, a finding of
    // its own.
    let own_hosts: HashSet<String> = source
        .users
        .iter()
        .flat_map(|(_, chain)| chain.server.hosts.iter().map(|h| canonical_host(h)))
        .collect();
    let shares = |id: usize, chain: &ChainRef<'_>| {
        own.contains(&id)
            || chain.kind == ChainKind::Https
                && chain
                    .server
                    .credentials()
                    .iter()
                    .any(|c| presented.contains(c))
    };
    let mut by_chain: FirstSeen<usize, Covered<'g>> = FirstSeen::default();
    for name in &source.names {
        index.covered_by(name, |id, host| {
            let Some(&request) = chains.get(id) else {
                return;
            };
            if shares(id, &request) || own_hosts.contains(&host) {
                return;
            }
            let (_, finding) = by_chain.entry(id, || Covered {
                connection: source.users.iter().map(|(_, chain)| *chain).collect(),
                evidence: match &source.evidence {
                    Evidence::Hosts(chain) => format!("the hosts of {}", chain.label()),
                    Evidence::Read(text) => text.clone(),
                },
                request,
                hosts: Vec::new(),
                names: Vec::new(),
            });
            if !finding.hosts.contains(&host) {
                finding.hosts.push(host);
            }
            if !finding.names.contains(name) {
                finding.names.push(name.clone());
            }
        });
    }
    out.extend(by_chain.into_vec().into_iter().map(|(_, finding)| finding));
}

#[cfg(test)]
mod tests;
