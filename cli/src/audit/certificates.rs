//! What the certificates in the input say of their own servers: a host a server's
//! certificate does not name (a TLS error for it, not coalescing), and the credentials whose
//! certificate the input does not hold (the audit then takes each to cover just its servers'
//! hosts, and says so).

use crate::model::certs::Certificates;
use crate::model::first_seen::FirstSeen;
use crate::model::gateway::{ChainKind, Credential, sni_host};
use crate::model::layout::{ChainRef, Listener};
use sni_guard_decision::pattern::Pattern;
use std::collections::HashSet;

/// Hosts of `chain` that the certificate of `credential`, read from `origin`, does not name.
#[derive(Debug, Clone)]
pub struct Uncovered<'g> {
    pub chain: ChainRef<'g>,
    pub credential: Credential,
    pub hosts: Vec<String>,
    pub names: Vec<String>,
    pub origin: String,
}

/// A credential presented on a listener whose certificate the input does not hold.
#[derive(Debug, Clone)]
pub struct Unread<'g> {
    pub credential: Credential,
    /// Where istiod looks the Secret up (`credentialName` without a namespace: the gateway
    /// pod's), when known.
    pub namespace: Option<String>,
    pub chains: Vec<ChainRef<'g>>,
}

/// Whether a certificate name covers a server host (RFC 6125 §6.4.3: `*.example.com` names
/// one label below `example.com`). A `*` host, or one that is not a host, is not judged.
pub fn covers(name: &str, host: &str) -> bool {
    let Ok(name) = Pattern::parse(name) else {
        return false;
    };
    match Pattern::parse(sni_host(host)) {
        Ok(Pattern::Exact(host)) => match name {
            Pattern::Exact(n) => n == host,
            Pattern::Suffix(parent) => host
                .split_once('.')
                .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
            Pattern::Any => false,
        },
        Ok(host @ Pattern::Suffix(_)) => name == host,
        Ok(Pattern::Any) | Err(_) => true,
    }
}

/// Whether any of `names` covers `host`.
pub fn covers_any(names: &[&str], host: &str) -> bool {
    names.iter().any(|n| covers(n, host))
}

/// Every chain on `listener` that presents a certificate read from the input which does not
/// name one of its hosts.
pub fn uncovered<'g>(
    listener: &Listener<'g>,
    workload_namespace: Option<&str>,
    certificates: &Certificates,
) -> Vec<Uncovered<'g>> {
    let mut out = Vec::new();
    for chain in &listener.chains {
        for credential in chain.server.credentials() {
            for cert in certificates.lookup(credential, workload_namespace) {
                let names: Vec<&str> = cert.names.iter().map(String::as_str).collect();
                let hosts: Vec<String> = chain
                    .server
                    .hosts
                    .iter()
                    .filter(|h| !covers_any(&names, h))
                    .cloned()
                    .collect();
                if !hosts.is_empty() {
                    out.push(Uncovered {
                        chain: *chain,
                        credential: credential.clone(),
                        hosts,
                        names: cert.names.clone(),
                        origin: cert.origin.clone(),
                    });
                }
            }
        }
    }
    out
}

/// The credentials of HTTPS chains whose certificate the input does not hold, one entry per
/// credential and namespace with its chains gathered, in order of first appearance.
#[derive(Debug, Default)]
pub struct UnreadList<'g> {
    /// By credential and namespace.
    entries: FirstSeen<(Credential, Option<String>), Unread<'g>>,
    /// (entry, Gateway, server) already listed: a server on several workloads is listed once.
    seen: HashSet<(usize, String, usize)>,
}

impl<'g> UnreadList<'g> {
    /// Adds each credential of `listener`'s HTTPS chains that the input does not hold.
    pub fn add(
        &mut self,
        listener: &Listener<'g>,
        workload_namespace: Option<&str>,
        certificates: &Certificates,
    ) {
        for chain in listener
            .chains
            .iter()
            .filter(|c| c.kind == ChainKind::Https)
        {
            for credential in chain.server.credentials() {
                if !certificates
                    .lookup(credential, workload_namespace)
                    .is_empty()
                {
                    continue;
                }
                let namespace = match credential {
                    Credential::Secret { namespace, .. } => namespace
                        .clone()
                        .or_else(|| workload_namespace.map(str::to_owned)),
                    Credential::File(_) => None,
                };
                let key = (credential.clone(), namespace.clone());
                let (at, entry) = self.entries.entry(key, || Unread {
                    credential: credential.clone(),
                    namespace,
                    chains: Vec::new(),
                });
                if self
                    .seen
                    .insert((at, chain.gateway.id(), chain.server.index))
                {
                    entry.chains.push(*chain);
                }
            }
        }
    }

    /// The entries, in order of first appearance.
    pub fn into_items(self) -> Vec<Unread<'g>> {
        self.entries
            .into_vec()
            .into_iter()
            .map(|(_, unread)| unread)
            .collect()
    }
}

/// How many names a command or a sentence lists before it says "all" or "and N more".
pub const MANY: usize = 10;

/// The `kubectl` command that gets these Secrets (the certificate only is read: `tls.crt`,
/// or Istio's `cert`; a private key in them is never used).
pub fn kubectl_command(unread: &[Unread<'_>]) -> Option<String> {
    let mut by_namespace: Vec<(Option<&str>, Vec<&str>)> = Vec::new();
    let mut seen: HashSet<(Option<&str>, &str)> = HashSet::new();
    for u in unread {
        let Credential::Secret { name, .. } = &u.credential else {
            continue;
        };
        let ns = u.namespace.as_deref();
        if !seen.insert((ns, name)) {
            continue;
        }
        match by_namespace.iter_mut().find(|(n, _)| *n == ns) {
            Some((_, names)) => names.push(name),
            None => by_namespace.push((ns, vec![name])),
        }
    }
    let commands: Vec<String> = by_namespace
        .iter()
        .map(|(ns, names)| {
            let ns = ns.unwrap_or("GATEWAY_NAMESPACE");
            // Past a few names, every Secret of the namespace is the shorter command.
            match names.len() {
                0..=MANY => format!("kubectl get secret -n {ns} {} -o yaml", names.join(" ")),
                _ => format!("kubectl get secrets -n {ns} -o yaml"),
            }
        })
        .collect();
    (!commands.is_empty()).then(|| commands.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_names_cover_hosts() {
        assert!(covers("a.example.com", "a.example.com"));
        assert!(covers("A.example.com.", "ns/a.example.com"));
        assert!(covers("*.example.com", "a.example.com"));
        assert!(
            !covers("*.example.com", "a.b.example.com"),
            "one label only"
        );
        assert!(!covers("*.example.com", "example.com"));
        assert!(covers("*.example.com", "*.example.com"));
        assert!(!covers("a.example.com", "*.example.com"));
        assert!(
            covers("x.example.com", "*"),
            "a catch-all server is not judged"
        );
        assert!(!covers("b.example.com", "a.example.com"));
    }
}
