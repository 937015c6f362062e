//! The audit: on each listener of each gateway workload, as istiod builds it, certificates
//! presented by several filter chains, hosts of one chain that another chain's certificate
//! covers (browsers coalesce across both → 404 or the wrong backend), servers istiod drops
//! for a host another already has, hosts two chains keep (Envoy rejects the listener), and
//! hosts a server's own certificate does not cover (a TLS error). What the input does not say
//! (certificates not given) is kept beside the findings, for every report to say.

mod advice;
pub mod bypass;
pub mod certificates;
pub mod coverage;
mod groups;
mod http2;
mod settings;
mod unknown;

use crate::model::certs::Certificates;
use crate::model::envoy_gateway::alpn::{Alpn, alpn};
use crate::model::envoy_gateway::policies::TrafficPolicy;
use crate::model::gateway::{ChainKind, Credential};
pub use crate::model::groups::duplicate_hosts;
use crate::model::istiod::Dropped;
use crate::model::kube::Resource;
use crate::model::layout::{ChainRef, Layout, Listener};
use bypass::Bypass;
use certificates::{Uncovered, Unread, UnreadList};
use coverage::Covered;
pub use settings::settings_notes;
pub use unknown::not_known;

/// One problem found on one listener.
#[derive(Debug)]
pub enum Finding<'g> {
    /// A host that asks for client certificates, reachable on a chain that does not.
    ClientCertificateBypass {
        listener: &'g Listener<'g>,
        bypass: Bypass<'g>,
    },
    /// Two or more chains present the same certificate.
    SharedCredential {
        listener: &'g Listener<'g>,
        credentials: Vec<Credential>,
        chains: Vec<ChainRef<'g>>,
    },
    /// A connection made for some chains can carry requests for another chain's hosts.
    CoveredHost {
        listener: &'g Listener<'g>,
        covered: Covered<'g>,
    },
    /// Two or more chains that istiod keeps have the same SNI host (their hosts differ as
    /// istiod compares them: another namespace): Envoy rejects the listener.
    DuplicateHost {
        listener: &'g Listener<'g>,
        hosts: Vec<String>,
        chains: Vec<ChainRef<'g>>,
    },
    /// A server istiod drops whole, for a host another server already has on the port.
    DroppedServer {
        listener: &'g Listener<'g>,
        dropped: Dropped<'g>,
    },
    /// A certificate read from the input does not name hosts of the server presenting it.
    UncoveredHost {
        listener: &'g Listener<'g>,
        uncovered: Uncovered<'g>,
    },
    /// Envoy Gateway offers only HTTP/1.1 on these HTTPS chains: their certificates overlap.
    Http2Off {
        listener: &'g Listener<'g>,
        chains: Vec<(ChainRef<'g>, Alpn)>,
    },
}

impl<'g> Finding<'g> {
    pub fn listener(&self) -> &'g Listener<'g> {
        match self {
            Finding::SharedCredential { listener, .. }
            | Finding::ClientCertificateBypass { listener, .. }
            | Finding::CoveredHost { listener, .. }
            | Finding::DuplicateHost { listener, .. }
            | Finding::DroppedServer { listener, .. }
            | Finding::UncoveredHost { listener, .. }
            | Finding::Http2Off { listener, .. } => listener,
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
            Finding::DroppedServer { dropped, .. } => vec![dropped.kept, dropped.chain],
            Finding::ClientCertificateBypass { bypass, .. } => {
                vec![bypass.protected, bypass.weaker]
            }
            Finding::UncoveredHost { uncovered, .. } => vec![uncovered.chain],
            Finding::Http2Off { chains, .. } => chains.iter().map(|(c, _)| *c).collect(),
        }
    }

    /// `shared_credential`, `covered_host`, `duplicate_host` (kept twice, or dropped),
    /// `uncovered_host`, `client_certificate_bypass`, `http2_off`.
    pub fn kind(&self) -> &'static str {
        match self {
            Finding::SharedCredential { .. } => "shared_credential",
            Finding::CoveredHost { .. } => "covered_host",
            Finding::DuplicateHost { .. } | Finding::DroppedServer { .. } => "duplicate_host",
            Finding::UncoveredHost { .. } => "uncovered_host",
            Finding::ClientCertificateBypass { .. } => "client_certificate_bypass",
            Finding::Http2Off { .. } => "http2_off",
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
    /// Credentials of HTTPS chains whose certificate the input does not hold.
    pub unread: Vec<Unread<'g>>,
    /// What else decides the verdict but is not in the input (Envoy Gateway's ALPN).
    pub not_known: Vec<String>,
}

/// Audits the layout, without the routes (a bypass is then only possible).
pub fn audit<'g>(layout: &'g Layout<'g>, certificates: &Certificates) -> Audit<'g> {
    audit_with(layout, certificates, &[], &[])
}

/// Audits the layout; `virtual_services` say where a bypass is live, `traffic_policies`
/// (Envoy Gateway's ClientTrafficPolicies) which ALPN its listeners offer. Security findings
/// come first.
pub fn audit_with<'g>(
    layout: &'g Layout<'g>,
    certificates: &Certificates,
    virtual_services: &[Resource],
    traffic_policies: &[TrafficPolicy],
) -> Audit<'g> {
    let mut findings = Vec::new();
    let mut unread = UnreadList::default();
    let mut not_known = Vec::new();
    for listener in &layout.listeners {
        let start = findings.len();
        let namespace = listener.workload.namespace.as_deref();
        for bypass in bypass::bypasses(listener, namespace, certificates, virtual_services) {
            findings.push(Finding::ClientCertificateBypass { listener, bypass });
        }
        for dropped in &listener.dropped {
            findings.push(Finding::DroppedServer {
                listener,
                dropped: dropped.clone(),
            });
        }
        for uncovered in certificates::uncovered(listener, namespace, certificates) {
            findings.push(Finding::UncoveredHost {
                listener,
                uncovered,
            });
        }
        unread.add(listener, namespace, certificates);
        for (credentials, chains) in groups::shared_credentials(listener, namespace, certificates) {
            findings.push(Finding::SharedCredential {
                listener,
                credentials,
                chains,
            });
        }
        for covered in coverage::covered(listener, namespace, certificates) {
            findings.push(Finding::CoveredHost { listener, covered });
        }
        for (hosts, chains) in duplicate_hosts(listener) {
            findings.push(Finding::DuplicateHost {
                listener,
                hosts,
                chains,
            });
        }
        if listener.workload.fleet.is_some() {
            let alpn = alpn(listener, certificates, traffic_policies);
            let found = findings.split_off(start);
            findings.extend(http2::on_envoy_gateway(listener, &alpn, found));
            not_known.extend(http2::not_known(listener, &alpn, traffic_policies));
        }
    }
    not_known.sort();
    not_known.dedup();
    // Stable: within each rank, by listener and kind as found.
    findings.sort_by_key(|f| !matches!(f, Finding::ClientCertificateBypass { .. }));
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
        unread: unread.into_items(),
        not_known,
    }
}

pub use advice::{fix, why};

#[cfg(test)]
mod tests;
