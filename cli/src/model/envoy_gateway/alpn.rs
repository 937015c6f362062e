//! The ALPN Envoy Gateway offers on each HTTPS filter chain. Where two HTTPS listeners on a
//! port present certificates whose DNS names overlap, it offers only `http/1.1`, so that
//! browsers cannot coalesce them over HTTP/2 (`checkOverlappingCertificates`, condition
//! `OverlappingTLSConfig`, reason `OverlappingCertificates`); a ClientTrafficPolicy's
//! `tls.alpnProtocols` wins over that (`buildListenerTLSParameters`).

use super::policies::{TrafficPolicy, applying};
use crate::model::certs::Certificates;
use crate::model::gateway::{ChainKind, Credential};
use crate::model::layout::{ChainRef, Listener};

/// What one HTTPS filter chain offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Alpn {
    /// `h2, http/1.1`: no overlap.
    Default,
    /// `http/1.1` only: its certificate's `san` overlaps `other_san` of `other`'s.
    Downgraded {
        san: String,
        other_san: String,
        other: String,
    },
    /// What a ClientTrafficPolicy writes.
    Set { protocols: Vec<String>, by: String },
    /// Not known: the certificates that decide are not in the input.
    Unknown { credentials: Vec<String> },
}

impl Alpn {
    /// Whether browsers can speak HTTP/2 on it (and so coalesce); `None` when not known.
    pub fn h2(&self) -> Option<bool> {
        match self {
            Alpn::Default => Some(true),
            Alpn::Downgraded { .. } => Some(false),
            Alpn::Set { protocols, .. } => Some(protocols.iter().any(|p| p == "h2")),
            Alpn::Unknown { .. } => None,
        }
    }

    /// The protocols, as Envoy's `alpn_protocols` lists them.
    pub fn protocols(&self) -> Option<Vec<String>> {
        match self {
            Alpn::Default => Some(vec!["h2".into(), "http/1.1".into()]),
            Alpn::Downgraded { .. } => Some(vec!["http/1.1".into()]),
            Alpn::Set { protocols, .. } => Some(protocols.clone()),
            Alpn::Unknown { .. } => None,
        }
    }
}

/// The DNS names a chain's certificates hold, and the credentials whose certificate is not read.
struct Names {
    known: Vec<String>,
    unread: Vec<Credential>,
}

fn names(chain: &ChainRef<'_>, certificates: &Certificates) -> Names {
    let mut out = Names {
        known: Vec::new(),
        unread: Vec::new(),
    };
    for credential in chain.server.credentials() {
        match certificates.lookup(credential, None).as_slice() {
            [] => out.unread.push(credential.clone()),
            found => out
                .known
                .extend(found.iter().flat_map(|c| c.names.iter().cloned())),
        }
    }
    out
}

/// `areOverlappingHostnames`: equal, or a `*.suffix` over one more label.
fn overlapping(a: &str, b: &str) -> bool {
    fn under(name: &str, wildcard: &str) -> bool {
        match (wildcard.strip_prefix('*'), name.starts_with("*.")) {
            (Some(suffix), false) => name
                .strip_suffix(suffix)
                .is_some_and(|label| !label.contains('.')),
            _ => false,
        }
    }
    a == b || under(a, b) || under(b, a)
}

enum Overlap {
    Yes(String, String),
    No,
    Unknown,
}

fn overlap(a: &Names, b: &Names) -> Overlap {
    for x in &a.known {
        for y in &b.known {
            if overlapping(x, y) {
                return Overlap::Yes(x.clone(), y.clone());
            }
        }
    }
    if let Some(shared) = a.unread.iter().find(|c| b.unread.contains(c)) {
        // One Secret on both: its names overlap themselves. (A certificate without DNS names,
        // which no browser accepts, would overlap nothing: Envoy Gateway reads SANs only.)
        let name = format!("(every name of {shared})");
        return Overlap::Yes(name.clone(), name);
    }
    match a.unread.is_empty() && b.unread.is_empty() {
        true => Overlap::No,
        false => Overlap::Unknown,
    }
}

/// The ALPN of each chain of an Envoy Gateway listener (`None` where it is not HTTPS), in the
/// listener's chain order.
pub fn alpn(
    listener: &Listener<'_>,
    certificates: &Certificates,
    policies: &[TrafficPolicy],
) -> Vec<Option<Alpn>> {
    let https: Vec<usize> = (0..listener.chains.len())
        .filter(|&i| {
            listener
                .chains
                .get(i)
                .is_some_and(|c| c.kind == ChainKind::Https)
        })
        .collect();
    let all: Vec<Names> = listener
        .chains
        .iter()
        .map(|c| names(c, certificates))
        .collect();
    let mut marked: Vec<Option<Alpn>> = vec![None; listener.chains.len()];
    let mut unknown = vec![false; listener.chains.len()];
    // The translator's own loop: a chain already marked is not paired again.
    for (at, &i) in https.iter().enumerate() {
        if marked.get(i).is_some_and(Option::is_some) {
            continue;
        }
        for &j in https.iter().skip(at + 1) {
            if marked.get(j).is_some_and(Option::is_some) {
                continue;
            }
            let (Some(a), Some(b)) = (all.get(i), all.get(j)) else {
                continue;
            };
            let label = |k: usize| {
                listener
                    .chains
                    .get(k)
                    .map(ChainRef::label)
                    .unwrap_or_default()
            };
            match overlap(a, b) {
                Overlap::Yes(san, other_san) => {
                    if let Some(slot) = marked.get_mut(i) {
                        *slot = Some(Alpn::Downgraded {
                            san: san.clone(),
                            other_san: other_san.clone(),
                            other: label(j),
                        });
                    }
                    if let Some(slot) = marked.get_mut(j) {
                        *slot = Some(Alpn::Downgraded {
                            san: other_san,
                            other_san: san,
                            other: label(i),
                        });
                    }
                }
                Overlap::Unknown => {
                    for k in [i, j] {
                        if let Some(u) = unknown.get_mut(k) {
                            *u = true;
                        }
                    }
                }
                Overlap::No => {}
            }
        }
    }
    listener
        .chains
        .iter()
        .enumerate()
        .map(|(i, chain)| {
            if chain.kind != ChainKind::Https {
                return None;
            }
            let policy = applying(policies, chain.gateway, &chain.server.name);
            if let Some((p, protocols)) = policy.and_then(|p| p.alpn.as_ref().map(|a| (p, a))) {
                return Some(Alpn::Set {
                    protocols: protocols.clone(),
                    by: p.title(),
                });
            }
            if let Some(Some(downgraded)) = marked.get(i) {
                return Some(downgraded.clone());
            }
            if unknown.get(i).copied().unwrap_or(false) {
                let credentials = all
                    .iter()
                    .flat_map(|n| n.unread.iter().map(ToString::to_string))
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                return Some(Alpn::Unknown { credentials });
            }
            Some(Alpn::Default)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostnames_overlap_as_envoy_gateway_compares_them() {
        assert!(overlapping("a.example.com", "a.example.com"));
        assert!(overlapping("*.example.com", "a.example.com"));
        assert!(overlapping("a.example.com", "*.example.com"));
        assert!(overlapping("*.example.com", "*.example.com"));
        assert!(!overlapping("x.a.example.com", "*.example.com"));
        assert!(!overlapping("*.a.example.com", "*.example.com"));
        assert!(!overlapping("a.example.com", "b.example.com"));
        assert!(!overlapping("example.com", "*.example.com"));
    }
}
