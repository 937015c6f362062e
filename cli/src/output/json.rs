//! The audit report for machines: `{"conflicts", "unplaced", "workloads", "summary", "notes"}`.

use crate::audit::{fix, why, Audit, Finding};
use crate::model::gateway::{Api, Credential};
use crate::model::labels::Labels;
use crate::model::layout::{ChainRef, Layout};
use serde::Serialize;
use serde_json::{json, Value};

/// The JSON report, pretty-printed.
pub fn report(
    audit: &Audit<'_>,
    layout: &Layout<'_>,
    notes: &[String],
) -> serde_json::Result<String> {
    let report = Report {
        conflicts: audit.findings.iter().map(|f| conflict(f, layout)).collect(),
        unplaced: layout
            .placement
            .unplaced
            .iter()
            .map(|(g, why)| {
                let gw = &layout.gateways[*g];
                json!({"gateway": gw.id(), "api": api(gw.api), "source": gw.source.to_string(), "why": why})
            })
            .collect(),
        workloads: layout
            .placement
            .workloads
            .iter()
            .enumerate()
            .filter(|(w, _)| layout.listeners.iter().any(|l| l.workload == *w))
            .map(|(_, w)| {
                json!({"name": w.name, "namespace": w.namespace, "labels": w.labels, "assumed": w.assumed})
            })
            .collect(),
        summary: Summary {
            gateways: audit.summary.gateways,
            https_servers: audit.summary.https_chains,
            tls_servers: audit.summary.chains,
            workload_ports: audit.summary.listeners,
            conflicts: audit.findings.len(),
        },
        notes,
    };
    serde_json::to_string_pretty(&report)
}

#[derive(Serialize)]
struct Report<'a> {
    conflicts: Vec<Conflict<'a>>,
    unplaced: Vec<Value>,
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
    servers: Vec<Value>,
    why: String,
    fix: String,
}

fn conflict<'a>(finding: &'a Finding<'_>, layout: &'a Layout<'_>) -> Conflict<'a> {
    let listener = &layout.listeners[finding.listener()];
    let workload = layout.workload(listener);
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
        Finding::DuplicateHost { hosts, .. } => c.hosts = Some(hosts),
    }
    c
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
