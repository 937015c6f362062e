//! The audit report for machines: `{"conflicts", "unplaced", "not_known", "unread_credentials",
//! "workloads", "summary", "notes"}`.

use crate::audit::certificates::kubectl_command;
use crate::audit::{Audit, Finding, fix, why};
use crate::model::envoy_gateway::alpn::Alpn;
use crate::model::gateway::{Api, Credential, Gateway};
use crate::model::labels::Labels;
use crate::model::layout::{ChainRef, Layout};
use serde::Serialize;
use serde_json::{Value, json};

/// The JSON report, pretty-printed.
pub fn report(
    audit: &Audit<'_>,
    layout: &Layout<'_>,
    notes: &[String],
    not_known: &[String],
) -> serde_json::Result<String> {
    let report = Report {
        conflicts: audit.findings.iter().map(|f| conflict(f, layout)).collect(),
        unplaced: layout
            .unplaced()
            .map(|(gw, why)| {
                json!({"gateway": gw.id(), "kind": kind(gw), "api": api(gw.api), "source": gw.source.to_string(), "why": why})
            })
            .collect(),
        not_known,
        unread_credentials: audit
            .unread
            .iter()
            .map(|u| {
                json!({"credential": credential(&u.credential), "namespace": u.namespace,
                       "servers": u.chains.iter().map(server).collect::<Vec<_>>()})
            })
            .collect(),
        kubectl: kubectl_command(&audit.unread),
        workloads: layout
            .placement
            .workloads
            .iter()
            .enumerate()
            .filter(|(w, _)| layout.listeners.iter().any(|l| l.workload_index == *w))
            .map(|(_, w)| {
                let controller = match w.fleet {
                    Some(_) => "envoy-gateway",
                    None => "istio",
                };
                json!({"name": w.name, "namespace": w.namespace, "labels": w.labels, "assumed": w.assumed, "controller": controller})
            })
            .collect(),
        summary: Summary {
            gateways: audit.summary.gateways,
            https_servers: audit.summary.https_chains,
            tls_servers: audit.summary.chains,
            workload_ports: audit.summary.listeners,
            conflicts: audit.findings.len(),
            complete: not_known.is_empty() && layout.placement.unplaced.is_empty(),
        },
        notes,
    };
    serde_json::to_string_pretty(&report)
}

#[derive(Serialize)]
struct Report<'a> {
    conflicts: Vec<Conflict<'a>>,
    unplaced: Vec<Value>,
    /// What the verdict could not know (certificates, workloads, order), in words.
    not_known: &'a [String],
    unread_credentials: Vec<Value>,
    /// The command that gets the unread certificates' Secrets.
    kubectl: Option<String>,
    workloads: Vec<Value>,
    summary: Summary,
    notes: &'a [String],
}

#[derive(Serialize)]
struct Summary {
    gateways: usize,
    https_servers: usize,
    tls_servers: usize,
    workload_ports: usize,
    conflicts: usize,
    /// Whether the verdict covers the whole input: nothing not known, no Gateway not audited.
    complete: bool,
}

#[derive(Serialize)]
struct Conflict<'a> {
    kind: &'static str,
    workload: &'a Labels,
    workload_name: &'a str,
    port: u32,
    bind: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credentials: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hosts: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    connection: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    request: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    covered_by: Option<Value>,
    /// duplicate_host: `server_dropped` (istiod drops one) or `listener_rejected` (Envoy).
    #[serde(skip_serializing_if = "Option::is_none")]
    outcome: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    dropped: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kept: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order_unknown: Option<&'a str>,
    /// client_certificate_bypass: `live` (a VirtualService routes it) or `possible`.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    protected: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    virtual_services: Option<&'a [String]>,
    #[serde(skip_serializing_if = "Option::is_none")]
    not_known: Option<&'a str>,
    /// http2_off: each chain's ALPN, and the certificate names that overlap.
    #[serde(skip_serializing_if = "Option::is_none")]
    alpn: Option<Vec<Value>>,
    servers: Vec<Value>,
    why: String,
    fix: String,
}

fn conflict<'a>(finding: &'a Finding<'_>, layout: &'a Layout<'_>) -> Conflict<'a> {
    let listener = finding.listener();
    let workload = &listener.workload;
    let mut c = Conflict {
        kind: finding.kind(),
        workload: &workload.labels,
        workload_name: &workload.name,
        port: listener.port,
        bind: listener.bind.as_deref(),
        credentials: None,
        hosts: None,
        connection: None,
        request: None,
        covered_by: None,
        outcome: None,
        dropped: None,
        kept: None,
        order_unknown: None,
        status: None,
        protected: None,
        virtual_services: None,
        not_known: None,
        alpn: None,
        servers: finding.chains().iter().map(server).collect(),
        why: why(finding),
        fix: fix(finding, layout),
    };
    match finding {
        Finding::SharedCredential { credentials, .. } => {
            c.credentials = Some(credentials.iter().map(credential).collect());
        }
        Finding::CoveredHost { covered, .. } => {
            c.hosts = Some(&covered.hosts);
            c.connection = Some(covered.connection.iter().map(server).collect());
            c.request = Some(server(&covered.request));
            c.covered_by = Some(json!({"names": covered.names, "evidence": covered.evidence}));
        }
        Finding::DuplicateHost { hosts, .. } => {
            c.hosts = Some(hosts);
            c.outcome = Some("listener_rejected");
        }
        Finding::DroppedServer { dropped, .. } => {
            c.hosts = Some(&dropped.hosts);
            c.outcome = Some("server_dropped");
            c.dropped = Some(server(&dropped.chain));
            c.kept = Some(server(&dropped.kept));
            c.order_unknown = dropped.unknown_order.as_deref();
        }
        Finding::ClientCertificateBypass { bypass, .. } => {
            c.hosts = Some(&bypass.hosts);
            c.status = Some(if bypass.served_by.is_empty() {
                "possible"
            } else {
                "live"
            });
            c.protected = Some(server(&bypass.protected));
            c.connection = Some(vec![server(&bypass.weaker)]);
            c.covered_by = Some(json!({"evidence": bypass.covered_by}));
            c.virtual_services = Some(&bypass.served_by);
            c.not_known = bypass.not_known.as_deref();
        }
        Finding::Http2Off { chains, .. } => {
            c.alpn = Some(
                chains
                    .iter()
                    .map(|(chain, alpn)| {
                        let overlap = match alpn {
                            Alpn::Downgraded {
                                san,
                                other_san,
                                other,
                            } => json!({"san": san, "other_san": other_san, "other": other}),
                            _ => Value::Null,
                        };
                        json!({"server": server(chain), "protocols": alpn.protocols(), "overlap": overlap})
                    })
                    .collect(),
            );
        }
        Finding::UncoveredHost { uncovered, .. } => {
            c.hosts = Some(&uncovered.hosts);
            c.credentials = Some(vec![credential(&uncovered.credential)]);
            c.covered_by = Some(json!({"names": uncovered.names, "evidence": uncovered.origin}));
        }
    }
    c
}

/// `Gateway`, `ListenerSet`, `XListenerSet`.
fn kind(gw: &Gateway) -> &str {
    gw.listener_set
        .as_ref()
        .map_or("Gateway", |of| of.kind.as_str())
}

fn api(api: Api) -> &'static str {
    match api {
        Api::Istio => "networking.istio.io",
        Api::GatewayApi => "gateway.networking.k8s.io",
    }
}

fn credential(credential: &Credential) -> Value {
    match credential {
        Credential::Secret {
            namespace: None,
            name,
        } => json!({"credentialName": name}),
        Credential::Secret {
            namespace: Some(ns),
            name,
        } => json!({"secret": {"namespace": ns, "name": name}}),
        Credential::File(path) => json!({"serverCertificate": path}),
    }
}

fn server(c: &ChainRef<'_>) -> Value {
    json!({
        "gateway": c.gateway.id(),
        "kind": kind(c.gateway),
        "api": api(c.gateway.api),
        "namespace": c.gateway.namespace,
        "name": c.gateway.name,
        "server": c.server.index,
        "port_name": c.server.name,
        "chain": c.kind.describe(),
        "hosts": c.server.hosts,
        "source": c.gateway.source.to_string(),
    })
}
