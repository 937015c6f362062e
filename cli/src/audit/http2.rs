//! What HTTP/2 changes on an Envoy Gateway listener. Browsers coalesce only HTTP/2
//! connections (RFC 9113 §9.1.1; an HTTP/1.1 connection serves one origin), so where Envoy
//! Gateway offers only `http/1.1` on the chains a connection is made for, their hosts cannot
//! be coalesced: that is an `http2_off` finding (HTTP/2 lost), not a coalescing one.

use super::Finding;
use crate::model::envoy_gateway::alpn::Alpn;
use crate::model::envoy_gateway::policies::TrafficPolicy;
use crate::model::layout::{ChainRef, Listener};

/// The listener's findings, with those that need HTTP/2 kept only where a chain offers it
/// (or may: its ALPN is not known), and one `http2_off` for the chains downgraded.
pub fn on_envoy_gateway<'g>(
    listener: &'g Listener<'g>,
    alpn: &[Option<Alpn>],
    found: Vec<Finding<'g>>,
) -> Vec<Finding<'g>> {
    let of = |chain: &ChainRef<'_>| {
        listener
            .chains
            .iter()
            .position(|c| std::ptr::eq(c.server, chain.server))
            .and_then(|i| alpn.get(i).cloned().flatten())
    };
    let may_coalesce = |chain: &ChainRef<'_>| of(chain).is_none_or(|a| a.h2() != Some(false));
    let mut out: Vec<Finding<'g>> = Vec::new();
    for finding in found {
        match finding {
            Finding::CoveredHost {
                listener,
                mut covered,
            } => {
                covered.connection.retain(|c| may_coalesce(c));
                if !covered.connection.is_empty() {
                    out.push(Finding::CoveredHost { listener, covered });
                }
            }
            Finding::SharedCredential { chains, .. } if !chains.iter().any(may_coalesce) => {}
            other => out.push(other),
        }
    }
    let downgraded: Vec<(ChainRef<'g>, Alpn)> = listener
        .chains
        .iter()
        .zip(alpn)
        .filter_map(|(c, a)| match a {
            Some(a @ Alpn::Downgraded { .. }) => Some((*c, a.clone())),
            _ => None,
        })
        .collect();
    if !downgraded.is_empty() {
        out.push(Finding::Http2Off {
            listener,
            chains: downgraded,
        });
    }
    out
}

/// What decides the ALPN of the listener's chains but is not in the input.
pub fn not_known(
    listener: &Listener<'_>,
    alpn: &[Option<Alpn>],
    policies: &[TrafficPolicy],
) -> Vec<String> {
    let mut out = Vec::new();
    for (chain, alpn) in listener.chains.iter().zip(alpn) {
        if let Some(Alpn::Unknown { credentials }) = alpn {
            out.push(format!(
                "whether Envoy Gateway offers HTTP/2 on {}: it offers only http/1.1 where the certificates of two HTTPS listeners on port {} overlap, and {} not in the input",
                chain.label(),
                listener.port,
                match credentials.len() {
                    1 => format!("certificate {} is", credentials.join("")),
                    _ => format!("certificates {} are", credentials.join(", ")),
                }
            ));
        }
    }
    let https = alpn.iter().any(Option::is_some);
    if https && policies.is_empty() {
        out.push("whether a ClientTrafficPolicy sets the ALPN of Envoy Gateway's listeners: none is in the input, so Envoy Gateway's own choice is taken; one with tls.alpnProtocols wins over it (give them: kubectl get clienttrafficpolicies -A -o yaml)".to_owned());
    }
    if policies.iter().any(|p| p.selectors) {
        out.push("which Gateways the ClientTrafficPolicies with targetSelectors select: Gateway labels are not read, so they are taken to select none".to_owned());
    }
    out
}
