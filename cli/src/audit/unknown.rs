//! What the audit could not know from its input, in words for every report: certificates not
//! given (each is then taken to cover only its servers' hosts), workloads assumed, istiod's
//! QUIC listeners where a server asks for client certificates, the order istiod merges Gateways
//! in when their creation times are missing, and resources left out.

use crate::audit::bypass::asks_for_client_certificates;
use crate::audit::certificates::{MANY, kubectl_command};
use crate::audit::{Audit, Finding};
use crate::model::gateway::ChainKind;
use crate::model::layout::Layout;

/// One sentence for each thing not known; empty when the input said everything used.
pub fn not_known(audit: &Audit<'_>, layout: &Layout<'_>, left_out: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    if !audit.unread.is_empty() {
        let mut credentials: Vec<String> = audit
            .unread
            .iter()
            .take(MANY)
            .map(|u| match &u.namespace {
                Some(ns) if !u.credential.to_string().contains(ns.as_str()) => {
                    format!("{} (in {ns})", u.credential)
                }
                _ => u.credential.to_string(),
            })
            .collect();
        if audit.unread.len() > MANY {
            credentials.push(format!("and {} more", audit.unread.len() - MANY));
        }
        let get = kubectl_command(&audit.unread).map_or(String::new(), |c| {
            format!(
                " Get them with `{c}` and give them too (only the certificate, tls.crt, is read)."
            )
        });
        out.push(format!(
            "certificates not in the input: {}. The verdict takes each to cover only the hosts of the servers that present it; a wildcard or multi-SAN certificate can cover more.{get}",
            credentials.join(", ")
        ));
    }
    out.extend(layout.assumptions());
    out.extend(audit.not_known.iter().cloned());
    let protected: Vec<String> = layout
        .listeners
        .iter()
        .flat_map(|l| &l.chains)
        .filter(|c| c.kind == ChainKind::Https && asks_for_client_certificates(c))
        .map(|c| c.label())
        .collect();
    if !protected.is_empty() {
        // pilot/pkg/networking/core: BuildListenerTLSContext sets require_client_certificate
        // false on every QUIC chain (tests/http3_security.rs shows what Envoy then serves).
        out.push(format!(
            "whether istiod runs with PILOT_ENABLE_QUIC_LISTENERS=true: then its QUIC chain for {} asks for no client certificate, and over HTTP/3 those hosts are served without one on their own chain, which sni-guard cannot refuse (the SNI and the authority agree); keep QUIC listeners off on a gateway with such a server",
            protected.join(", ")
        ));
    }
    for finding in &audit.findings {
        if let Finding::DroppedServer { dropped, .. } = finding
            && let Some(why) = &dropped.unknown_order
        {
            out.push(format!(
                "which of {} and {} istiod keeps: {why}",
                dropped.kept.label(),
                dropped.chain.label()
            ));
        }
    }
    out.extend(left_out.iter().cloned());
    out
}
