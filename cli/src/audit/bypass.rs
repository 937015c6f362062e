//! The client-certificate bypass: a server that asks for client certificates (MUTUAL,
//! OPTIONAL_MUTUAL, ISTIO_MUTUAL; a Gateway API listener with frontend validation) beside an
//! HTTPS chain on the same workload and port that does not, whose certificate covers its host.
//! Envoy picks the TLS settings by SNI and routes by `:authority`: a client without a
//! certificate connects with the other chain's SNI and asks for the protected host, and is
//! served wherever that chain's route table routes it. Live when a VirtualService in the input
//! routes the host on the weaker chain; possible otherwise.

use crate::audit::certificates::covers;
use crate::model::certs::Certificates;
use crate::model::gateway::{Api, ChainKind, TlsMode, sni_host};
use crate::model::kube::Resource;
use crate::model::layout::{ChainRef, Listener};
use crate::model::routes::{GatewayRef, VirtualService, admitted, intersect};

/// A protected host reachable on a chain that asks for no client certificate.
#[derive(Debug, Clone)]
pub struct Bypass<'g> {
    /// The chain that asks for client certificates.
    pub protected: ChainRef<'g>,
    /// The chain a client reaches it through without one.
    pub weaker: ChainRef<'g>,
    /// `protected`'s hosts that `weaker`'s certificate covers.
    pub hosts: Vec<String>,
    /// Why the weaker connection's certificate covers them.
    pub covered_by: String,
    /// The VirtualServices (`namespace/name`) that route those hosts on `weaker`; empty:
    /// possible, not shown live.
    pub served_by: Vec<String>,
    /// What the input did not say, when no VirtualService shows it live.
    pub not_known: Option<String>,
}

/// Whether a chain asks the client for a certificate.
pub fn asks_for_client_certificates(chain: &ChainRef<'_>) -> bool {
    chain.server.tls.as_ref().is_some_and(|tls| {
        matches!(
            tls.mode,
            TlsMode::Mutual | TlsMode::OptionalMutual | TlsMode::IstioMutual
        )
    })
}

/// Every bypass on `listener`.
pub fn bypasses<'g>(
    listener: &Listener<'g>,
    workload_namespace: Option<&str>,
    certificates: &Certificates,
    virtual_services: &[Resource],
) -> Vec<Bypass<'g>> {
    let mut out = Vec::new();
    let read: Vec<VirtualService> = virtual_services.iter().map(VirtualService::read).collect();
    for protected in listener
        .chains
        .iter()
        .filter(|c| asks_for_client_certificates(c))
    {
        let weaker = listener
            .chains
            .iter()
            .filter(|c| c.kind == ChainKind::Https && !asks_for_client_certificates(c));
        for weaker in weaker {
            let Some((hosts, covered_by)) =
                covered(protected, weaker, workload_namespace, certificates)
            else {
                continue;
            };
            let served_by = served_on(weaker, &hosts, virtual_services, &read);
            let not_known = served_by.is_empty().then(|| {
                if weaker.gateway.api == Api::GatewayApi {
                    "HTTPRoutes are not read: whether one routes these hosts on that listener is not known".to_owned()
                } else if virtual_services.is_empty() {
                    "the input holds no VirtualService: whether one routes these hosts on that server is not known".to_owned()
                } else {
                    "no VirtualService in the input routes these hosts on that server; one outside it may".to_owned()
                }
            });
            out.push(Bypass {
                protected: *protected,
                weaker: *weaker,
                hosts,
                covered_by,
                served_by,
                not_known,
            });
        }
    }
    out
}

/// The hosts of `protected` that a connection made for `weaker` can carry, and why.
fn covered(
    protected: &ChainRef<'_>,
    weaker: &ChainRef<'_>,
    workload_namespace: Option<&str>,
    certificates: &Certificates,
) -> Option<(Vec<String>, String)> {
    let shared: Vec<String> = weaker
        .server
        .credentials()
        .iter()
        .filter(|c| protected.server.credentials().contains(c))
        .map(|c| c.to_string())
        .collect();
    let mut names: Vec<String> = Vec::new();
    let mut evidence: Vec<String> = Vec::new();
    for credential in weaker.server.credentials() {
        for cert in certificates.lookup(credential, workload_namespace) {
            names.extend(cert.names.iter().cloned());
            evidence.push(cert.origin.clone());
        }
    }
    if names.is_empty() {
        // Not read: the certificate covers at least the server's own hosts.
        names = weaker
            .server
            .hosts
            .iter()
            .map(|h| sni_host(h).to_owned())
            .collect();
        evidence.push(format!("the hosts of {}", weaker.label()));
    }
    // A shared certificate covers the protected server's hosts (it is that server's own);
    // otherwise a name must cover the host itself (a `*` on either side says nothing).
    let named =
        |host: &str| sni_host(host) != "*" && names.iter().any(|n| n != "*" && covers(n, host));
    let hosts: Vec<String> = protected
        .server
        .hosts
        .iter()
        .filter(|h| !shared.is_empty() || named(h))
        .cloned()
        .collect();
    if hosts.is_empty() {
        return None;
    }
    let why = if shared.is_empty() {
        format!("{} ({})", names.join(", "), evidence.join(", "))
    } else {
        format!("the same certificate: {}", shared.join(", "))
    };
    Some((hosts, why))
}

/// The VirtualServices that route one of `hosts` on `weaker`'s server.
fn served_on(
    weaker: &ChainRef<'_>,
    hosts: &[String],
    resources: &[Resource],
    read: &[VirtualService],
) -> Vec<String> {
    if weaker.gateway.api != Api::Istio {
        return Vec::new();
    }
    let me = GatewayRef::Gateway {
        namespace: weaker.gateway.namespace.clone(),
        name: weaker.gateway.name.clone(),
    };
    resources
        .iter()
        .zip(read)
        .filter(|(_, vs)| vs.gateways.contains(&me))
        .filter(|(_, vs)| {
            admitted(weaker.gateway, weaker.server, &vs.namespace, &vs.hosts)
                .iter()
                .any(|name| hosts.iter().any(|h| intersect(name, sni_host(h)).is_some()))
        })
        .map(|(r, _)| format!("{}/{}", r.namespace, r.name))
        .collect()
}
