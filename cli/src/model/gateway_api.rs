//! Kubernetes Gateway API `Gateway` resources (`gateway.networking.k8s.io`), read as Istio
//! translates them: each listener is a server of its own (hosts: its `hostname`, or `*`
//! without one); an HTTPS listener terminates TLS with its `certificateRefs`, a TLS listener
//! in `Passthrough` mode passes it through.

use crate::model::gateway::{Api, Credential, Gateway, Server, Source, Tls, TlsMode};
use crate::model::istio::{read, Metadata};
use serde::Deserialize;
use serde_json::Value;

/// The Gateway API versions understood.
pub const VERSIONS: [&str; 3] = [
    "gateway.networking.k8s.io/v1",
    "gateway.networking.k8s.io/v1beta1",
    "gateway.networking.k8s.io/v1alpha2",
];

#[derive(Deserialize)]
struct Resource {
    metadata: Metadata,
    spec: Spec,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    gateway_class_name: String,
    #[serde(default)]
    addresses: Vec<Address>,
    listeners: Vec<Listener>,
}

#[derive(Deserialize)]
struct Address {
    #[serde(default, rename = "type")]
    kind: Option<String>,
    value: String,
}

#[derive(Deserialize)]
struct Listener {
    name: String,
    #[serde(default)]
    hostname: Option<String>,
    port: u32,
    protocol: String,
    #[serde(default)]
    tls: Option<ListenerTls>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListenerTls {
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    certificate_refs: Vec<CertificateRef>,
}

#[derive(Deserialize)]
struct CertificateRef {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
}

/// Reads a Gateway API `Gateway` resource (kept as read in `raw`).
pub fn gateway(value: Value, source: Source) -> Result<Gateway, String> {
    let resource: Resource = read(&value)?;
    let namespace = resource.metadata.namespace();
    let servers = resource
        .spec
        .listeners
        .into_iter()
        .enumerate()
        .map(|(index, l)| listener(index, l, &namespace))
        .collect();
    let addresses = resource
        .spec
        .addresses
        .into_iter()
        .filter(|a| a.kind.as_deref().is_none_or(|k| k == "Hostname"))
        .map(|a| a.value)
        .collect();
    Ok(Gateway {
        api: Api::GatewayApi,
        name: resource.metadata.name,
        namespace,
        selector: Default::default(),
        class: resource.spec.gateway_class_name,
        addresses,
        servers,
        source,
        raw: value,
    })
}

fn listener(index: usize, l: Listener, namespace: &str) -> Server {
    let protocol = l.protocol.to_ascii_uppercase();
    let tls = l
        .tls
        .filter(|_| protocol == "HTTPS" || protocol == "TLS")
        .map(|tls| {
            let passthrough = tls.mode.as_deref() == Some("Passthrough");
            let mut credentials: Vec<Credential> = tls
                .certificate_refs
                .into_iter()
                .map(|r| Credential::Secret {
                    namespace: Some(r.namespace.unwrap_or_else(|| namespace.to_owned())),
                    name: r.name,
                })
                .collect();
            credentials.sort();
            credentials.dedup();
            Tls {
                mode: if passthrough {
                    TlsMode::Passthrough
                } else {
                    TlsMode::Simple
                },
                mode_written: true,
                credentials,
            }
        });
    Server {
        index,
        api: Api::GatewayApi,
        port: l.port,
        name: l.name,
        protocol,
        bind: None,
        hosts: vec![l.hostname.unwrap_or_else(|| "*".to_owned())],
        tls,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::gateway::ChainKind;
    use serde_json::json;

    #[test]
    fn listeners_become_servers() {
        let gw = gateway(
            json!({"metadata": {"name": "gw", "namespace": "infra"},
                    "spec": {"gatewayClassName": "istio", "listeners": [
                {"name": "https", "port": 443, "protocol": "HTTPS",
                 "tls": {"certificateRefs": [{"kind": "Secret", "name": "wild"}]}},
                {"name": "second", "port": 443, "protocol": "HTTPS", "hostname": "second-example.org",
                 "tls": {"mode": "Terminate", "certificateRefs": [{"name": "c", "namespace": "certs"}]}},
                {"name": "tls", "port": 443, "protocol": "TLS", "hostname": "db.example.org",
                 "tls": {"mode": "Passthrough"}},
                {"name": "http", "port": 80, "protocol": "HTTP"}]}}),
            Source::default(),
        )
        .unwrap();
        assert_eq!(gw.api, Api::GatewayApi);
        assert_eq!(gw.class, "istio");
        let s = &gw.servers;
        assert_eq!(s[0].hosts, ["*"]);
        assert_eq!(s[0].chain(), Some(ChainKind::Https));
        assert_eq!(
            s[0].credentials(),
            [Credential::Secret {
                namespace: Some("infra".into()),
                name: "wild".into()
            }]
        );
        assert_eq!(s[1].hosts, ["second-example.org"]);
        assert_eq!(
            s[1].credentials()[0].to_string(),
            "Secret certs/c",
            "a reference into another namespace"
        );
        assert_eq!(s[2].chain(), Some(ChainKind::Passthrough));
        assert_eq!(s[3].chain(), None);
        assert_eq!(s[1].label(), "listeners[1] (second)");
    }

    #[test]
    fn manual_deployment_addresses() {
        let gw = gateway(
            json!({"metadata": {"name": "gw"}, "spec": {"gatewayClassName": "istio",
                "addresses": [{"type": "Hostname", "value": "istio-ingressgateway.istio-system.svc.cluster.local"},
                              {"type": "IPAddress", "value": "10.0.0.1"}],
                "listeners": []}}),
            Source::default(),
        )
        .unwrap();
        assert_eq!(
            gw.addresses,
            ["istio-ingressgateway.istio-system.svc.cluster.local"]
        );
    }

    #[test]
    fn errors_name_the_field() {
        let err = gateway(
            json!({"metadata": {"name": "gw"}, "spec": {"gatewayClassName": "istio",
                    "listeners": [{"name": "x", "port": "443", "protocol": "HTTPS"}]}}),
            Source::default(),
        )
        .unwrap_err();
        assert!(
            err.starts_with("spec.listeners[0].port: invalid type"),
            "{err}"
        );
    }
}
