//! What each finding means, and how to fix it, in words.

use crate::audit::Finding;
use crate::audit::certificates::Uncovered;
use crate::model::envoy_gateway::alpn::Alpn;
use crate::model::gateway::ChainKind;
use crate::model::istiod::host_key;
use crate::model::layout::{ChainRef, Layout, gateway_ids};
use crate::plugin::select::plugin_config_flags;

/// What goes wrong, in one paragraph.
pub fn why(finding: &Finding<'_>) -> String {
    match finding {
        Finding::ClientCertificateBypass { bypass, .. } => {
            let status = match bypass.served_by.as_slice() {
                [] => format!(
                    "possible: wherever that route table routes them ({})",
                    bypass.not_known.as_deref().unwrap_or_default()
                ),
                served => format!("live: {} routes them there", served.join(", ")),
            };
            format!(
                "Envoy picks the filter chain, and so whether a client certificate is asked for, by SNI, and routes by \
                 :authority. A client without a certificate connects with the SNI of {} ({}, which asks for none), whose \
                 certificate covers {} ({}), and asks for {}: the request runs on that chain's route table without the \
                 client-certificate check; {status}.",
                bypass.weaker.server.hosts.join(", "),
                bypass.weaker.label(),
                bypass.hosts.join(", "),
                bypass.covered_by,
                bypass.hosts.join(", ")
            )
        }
        Finding::SharedCredential { .. } => "each server is its own TLS filter chain, chosen by SNI, with its own route table; \
            a browser that opened a connection for one of these hosts reuses it for the others the \
            certificate covers (HTTP/2 connection coalescing) and gets 404 from the wrong route table."
            .to_owned(),
        Finding::CoveredHost { covered, .. } => {
            let instead = match covered.request.kind {
                ChainKind::Passthrough => format!(
                    "instead of being passed through to the backend of {}",
                    covered.request.gateway.id()
                ),
                _ => format!("instead of by {}'s", covered.request.gateway.id()),
            };
            format!(
                "a browser holding a connection made for {} reuses it for {}, which that connection's certificate covers \
                 (RFC 9113 §9.1.1); the request is routed by the connection's route table {instead}: 404, or the wrong backend.",
                hosts_of(&covered.connection),
                covered.hosts.join(", ")
            )
        }
        Finding::DuplicateHost { chains, .. } => {
            let keys: Vec<String> = chains
                .iter()
                .flat_map(|c| c.server.hosts.iter().map(|h| host_key(c.gateway, h)))
                .collect();
            format!(
                "istiod compares hosts as written, namespace included ({}), so it keeps both servers: the listener gets two \
                 filter chains with the same SNI match, which Envoy rejects (\"multiple filter chains with the same matching \
                 rules\"); the gateway then keeps its previous configuration of this port, or has none.",
                keys.join(", ")
            )
        }
        Finding::DroppedServer { dropped, .. } => {
            let order = dropped
                .unknown_order
                .as_ref()
                .map_or(String::new(), |why| format!(" ({why})"));
            format!(
                "istiod merges the Gateways on a port oldest first and skips a server with a host already on the port \
                 (it logs \"skipping server on gateway ..., duplicate host names\"): {} is dropped whole, so none of its \
                 hosts ({}) is served by it here; {} keeps {}{order}.",
                dropped.chain.label(),
                dropped.chain.server.hosts.join(", "),
                dropped.kept.label(),
                dropped.hosts.join(", ")
            )
        }
        Finding::Http2Off { chains, .. } => {
            let mut seen: Vec<(String, String)> = Vec::new();
            let mut overlaps: Vec<String> = Vec::new();
            for (c, alpn) in chains {
                let Alpn::Downgraded {
                    san,
                    other_san,
                    other,
                } = alpn
                else {
                    continue;
                };
                // Each pair once: the other chain names this one back.
                if seen.contains(&(other.clone(), c.label())) {
                    continue;
                }
                seen.push((c.label(), other.clone()));
                overlaps.push(format!(
                    "SAN {san} of {} overlaps SAN {other_san} of {other}",
                    c.label()
                ));
            }
            format!(
                "Envoy Gateway found the certificates of these HTTPS listeners overlapping ({}; listener condition \
                 OverlappingTLSConfig, reason OverlappingCertificates) and offers only http/1.1 on them. Browsers do not \
                 coalesce HTTP/1.1 connections, so there is no 404 from the wrong route table, but there is no HTTP/2 \
                 either (no multiplexing: one request per connection at a time). A ClientTrafficPolicy that sets \
                 tls.alpnProtocols back to h2 brings the coalescing 404 back.",
                overlaps.join("; ")
            )
        }
        Finding::UncoveredHost { uncovered, .. } => format!(
            "the certificate presented for {} ({}: {}) does not name {}: clients connecting to {} get a certificate \
             error. This is not coalescing.",
            uncovered.chain.label(),
            uncovered.origin,
            uncovered.names.join(", "),
            uncovered.hosts.join(", "),
            if uncovered.hosts.len() == 1 { "it" } else { "them" }
        ),
    }
}

/// How to fix it.
pub fn fix(finding: &Finding<'_>, layout: &Layout<'_>) -> String {
    let listener = finding.listener();
    let flags = plugin_config_flags(layout, listener);
    if listener.workload.fleet.is_some() {
        return envoy_gateway_fix(finding, &flags);
    }
    let guard = format!(
        "Until then, sni-guard answers 421 so browsers retry on a new connection: sni-guard plugin-config {flags} FILE..."
    );
    match finding {
        Finding::ClientCertificateBypass { bypass, .. } => format!(
            "run sni-guard in strict mode with both servers in its table and failStrategy FAIL_CLOSE, so that the request \
             gets 421 and a module that cannot load refuses rather than serves: sni-guard plugin-config {} FILE... (with \
             --wasmplugin it writes failStrategy FAIL_CLOSE for this table); or give {} a certificate that no other chain \
             on the port presents or covers. Never merge them: one server has one TLS mode.",
            plugin_config_flags(layout, listener),
            bypass.protected.label()
        ),
        Finding::SharedCredential { chains, .. } => {
            let mut modes: Vec<&str> = chains
                .iter()
                .filter_map(|c| c.server.tls.as_ref().map(|t| t.mode.as_str()))
                .collect();
            modes.sort_unstable();
            modes.dedup();
            if modes.len() > 1 {
                return format!(
                    "give each server its own certificate that covers only its hosts; do not merge them: their TLS modes differ ({}), and one server has one mode. {guard}",
                    modes.join(", ")
                );
            }
            let one_gateway = chains.first().is_none_or(|first| {
                chains
                    .iter()
                    .all(|c| std::ptr::eq(c.gateway, first.gateway))
            });
            let merge = if one_gateway {
                "merge these servers into one server that lists all their hosts (sni-guard merge plans it)"
            } else {
                "merge these servers into one server that lists all their hosts (in one \
                 Gateway; bind the other Gateways' VirtualServices to it: sni-guard merge plans both, routing checked)"
            };
            format!(
                "{merge}, or give each server its own certificate that covers only its hosts. {guard}"
            )
        }
        Finding::CoveredHost { covered, .. } => format!(
            "give {} a certificate that does not cover {} (one that names its own hosts only), or list both \
             servers in sni-guard's table (plugin-config lists every filter chain on the port). {guard}",
            gateway_ids(&covered.connection).join(", "),
            covered.hosts.join(", ")
        ),
        Finding::DuplicateHost { .. } => {
            "list each host in one server only, or merge the servers into one; then audit again."
                .to_owned()
        }
        Finding::DroppedServer { dropped, .. } => format!(
            "list each host in one server only: remove {} from {} (or from {}), or merge the two servers into one.",
            dropped.hosts.join(", "),
            dropped.chain.label(),
            dropped.kept.label()
        ),
        Finding::UncoveredHost { uncovered, .. } => uncovered_fix(uncovered),
        // Only on Envoy Gateway's listeners, answered above.
        Finding::Http2Off { .. } => String::new(),
    }
}

fn uncovered_fix(uncovered: &Uncovered<'_>) -> String {
    format!(
        "present a certificate that names {} ({}), or remove {} from the server.",
        uncovered.hosts.join(", "),
        uncovered.credential,
        if uncovered.hosts.len() == 1 {
            "it"
        } else {
            "them"
        }
    )
}

/// The fix on an Envoy Gateway listener: separate certificates, or sni-guard delivered
/// through Envoy Gateway's own resources (there is no server to merge listeners into).
fn envoy_gateway_fix(finding: &Finding<'_>, flags: &str) -> String {
    let manifests = format!(
        "sni-guard plugin-config {flags} --envoy-gateway --url URL FILE... writes the ClientTrafficPolicy that offers h2, \
         the EnvoyExtensionPolicy that loads sni-guard with this port's table, and the EnvoyPatchPolicy that runs it on \
         requests no route matches (the coalesced ones)"
    );
    match finding {
        Finding::Http2Off { .. } => format!(
            "to have HTTP/2 without the coalescing 404, {manifests}; or give each listener a certificate that names only \
             its own hostname (no overlap: Envoy Gateway then offers h2 itself)."
        ),
        Finding::SharedCredential { .. } | Finding::CoveredHost { .. } => format!(
            "HTTP/2 is offered on these chains, so browsers coalesce them: give each listener a certificate that names only \
             its own hostname, or let sni-guard answer 421 so browsers retry on a new connection: {manifests}."
        ),
        Finding::UncoveredHost { uncovered, .. } => uncovered_fix(uncovered),
        Finding::ClientCertificateBypass { bypass, .. } => format!(
            "give {} a certificate that no other listener on the port presents or covers, or run sni-guard strict with \
             failOpen false: {manifests}.",
            bypass.protected.label()
        ),
        Finding::DuplicateHost { .. } | Finding::DroppedServer { .. } => {
            "list each hostname on one listener of the port only; then audit again.".to_owned()
        }
    }
}

/// The hosts of these chains, `a.example.com, b.example.com`.
fn hosts_of(chains: &[ChainRef<'_>]) -> String {
    let mut all: Vec<&str> = chains
        .iter()
        .flat_map(|c| c.server.hosts.iter().map(String::as_str))
        .collect();
    all.dedup();
    all.join(", ")
}
