//! The audit report for people. Ends with one summary line.

use crate::audit::{Audit, Finding, Summary, fix, why};
use crate::model::gateway::{ChainKind, Credential};
use crate::model::layout::{ChainRef, Layout};
use crate::output::text::{count, wrap};

/// The report: each conflict, the Gateways not audited, what was not known, the summary
/// (which says "in what was given" when anything was not known or not audited).
pub fn report(audit: &Audit<'_>, layout: &Layout<'_>, not_known: &[String]) -> String {
    let mut out = String::new();
    for finding in &audit.findings {
        let listener = finding.listener().describe();
        match finding {
            Finding::ClientCertificateBypass { bypass, .. } => {
                let status = if bypass.served_by.is_empty() {
                    "possible"
                } else {
                    "live"
                };
                out.push_str(&format!(
                    "SECURITY: client-certificate check bypassed ({status}) on {listener}\n"
                ));
                out.push_str(&format!(
                    "  {} of a server that asks for client certificates:\n",
                    bypass.hosts.join(", ")
                ));
                out.push_str(&chain_line(&bypass.protected));
                out.push_str("  reachable without one on a connection made for:\n");
                out.push_str(&chain_line(&bypass.weaker));
                if !bypass.served_by.is_empty() {
                    out.push_str(&wrap("  Routed there by: ", &bypass.served_by.join(", ")));
                }
            }
            Finding::SharedCredential {
                credentials,
                chains,
                ..
            } => {
                out.push_str(&format!(
                    "CONFLICT: certificate shared by {} filter chains on {listener}\n",
                    chains.len()
                ));
                let names: Vec<String> = credentials.iter().map(Credential::to_string).collect();
                out.push_str(&format!("  {} presented by:\n", names.join(", ")));
                chains.iter().for_each(|c| out.push_str(&chain_line(c)));
            }
            Finding::CoveredHost { covered, .. } => {
                out.push_str(&format!(
                    "CONFLICT: host of one filter chain covered by another's certificate on {listener}\n"
                ));
                out.push_str("  a connection made for:\n");
                covered
                    .connection
                    .iter()
                    .for_each(|c| out.push_str(&chain_line(c)));
                out.push_str(&format!(
                    "  can carry requests for {} of:\n",
                    covered.hosts.join(", ")
                ));
                out.push_str(&chain_line(&covered.request));
                out.push_str(&wrap(
                    "  Covered by: ",
                    &format!("{} ({})", covered.names.join(", "), covered.evidence),
                ));
            }
            Finding::DuplicateHost { hosts, chains, .. } => {
                out.push_str(&format!(
                    "CONFLICT: host listed by {} servers on {listener}\n",
                    chains.len()
                ));
                let quoted: Vec<String> = hosts.iter().map(|h| format!("{h:?}")).collect();
                out.push_str(&format!("  {} listed by:\n", quoted.join(", ")));
                chains.iter().for_each(|c| out.push_str(&chain_line(c)));
            }
            Finding::DroppedServer { dropped, .. } => {
                out.push_str(&format!(
                    "CONFLICT: server dropped by istiod for a host already on {listener}\n"
                ));
                let quoted: Vec<String> = dropped.hosts.iter().map(|h| format!("{h:?}")).collect();
                out.push_str(&format!("  {} kept by:\n", quoted.join(", ")));
                out.push_str(&chain_line(&dropped.kept));
                out.push_str("  dropped:\n");
                out.push_str(&chain_line(&dropped.chain));
            }
            Finding::Http2Off { chains, .. } => {
                out.push_str(&format!(
                    "HTTP/2 OFF: Envoy Gateway offers only http/1.1 on {} on {listener}\n",
                    count(chains.len(), "filter chain")
                ));
                chains
                    .iter()
                    .for_each(|(c, _)| out.push_str(&chain_line(c)));
            }
            Finding::UncoveredHost { uncovered, .. } => {
                out.push_str(&format!(
                    "CONFLICT: host not named by its own certificate on {listener}\n"
                ));
                out.push_str(&format!(
                    "  {} ({}) does not name {} of:\n",
                    uncovered.credential,
                    uncovered.origin,
                    uncovered.hosts.join(", ")
                ));
                out.push_str(&chain_line(&uncovered.chain));
            }
        }
        out.push_str(&wrap("  Why: ", &why(finding)));
        out.push_str(&wrap("  Fix: ", &fix(finding, layout)));
        out.push('\n');
    }
    for (gw, reason) in layout.unplaced() {
        out.push_str(&wrap(
            "NOT AUDITED: ",
            &format!("{} ({}): {reason}", gw.title(), gw.source),
        ));
    }
    if !layout.placement.unplaced.is_empty() {
        out.push('\n');
    }
    for what in not_known {
        out.push_str(&wrap("NOT KNOWN: ", what));
    }
    if !not_known.is_empty() {
        out.push('\n');
    }
    let scope = scope(&audit.summary);
    let given = if not_known.is_empty() && layout.placement.unplaced.is_empty() {
        ""
    } else {
        " in what was given"
    };
    let security = audit
        .findings
        .iter()
        .filter(|f| matches!(f, Finding::ClientCertificateBypass { .. }))
        .count();
    let of_them = match security {
        0 => String::new(),
        n => format!(" ({n} security)"),
    };
    match audit.findings.len() {
        0 => out.push_str(&format!("No conflicts{given}: {scope}.\n")),
        n => out.push_str(&format!(
            "{}{of_them} found{given}: {scope}.\n",
            count(n, "conflict")
        )),
    }
    out
}

/// `istio-system/gw-a servers[1] (port https)  hosts: a.example.com  (gw.yaml document 1)`.
fn chain_line(chain: &ChainRef<'_>) -> String {
    let kind = match chain.kind {
        ChainKind::Https => String::new(),
        other => format!("  [{}]", other.describe()),
    };
    format!(
        "    {}  hosts: {}{kind}  ({})\n",
        chain.label(),
        chain.server.hosts.join(", "),
        chain.gateway.source
    )
}

/// `2 Gateways, 2 HTTPS servers on 1 workload port`; other TLS servers are counted apart.
fn scope(summary: &Summary) -> String {
    let servers = if summary.chains == summary.https_chains {
        count(summary.https_chains, "HTTPS server")
    } else {
        format!(
            "{} ({} HTTPS)",
            count(summary.chains, "TLS server"),
            summary.https_chains
        )
    };
    format!(
        "{}, {servers} on {}",
        count(summary.gateways, "Gateway"),
        count(summary.listeners, "workload port")
    )
}
