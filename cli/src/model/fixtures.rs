//! Gateways and layouts for unit tests.

use crate::model::gateway::{Gateway, Source};
use crate::model::layout::Layout;
use crate::model::placement::place;
use crate::model::workload::Service;
use crate::model::{gateway_api, istio};
use base64::Engine as _;
use serde_json::{Value, json};

/// Istio Gateway `ns/name` with `selector` (a JSON object) and `servers`.
pub(crate) fn istio_gateway(name: &str, selector: Value, servers: Value) -> Gateway {
    istio::gateway(
        json!({"metadata": {"name": name, "namespace": "ns"},
                "spec": {"selector": selector, "servers": servers}}),
        Source {
            file: "t".into(),
            place: String::new(),
        },
    )
    .unwrap()
    .0
}

/// Istio Gateway `ns/name` selecting `istio: <selector>`.
pub(crate) fn gateway(name: &str, selector: &str, servers: Value) -> Gateway {
    istio_gateway(name, json!({"istio": selector}), servers)
}

/// Gateway API Gateway `ns/name` of class `istio` with `listeners`.
pub(crate) fn api_gateway(name: &str, listeners: Value) -> Gateway {
    gateway_api::gateway(
        json!({"metadata": {"name": name, "namespace": "ns"},
                "spec": {"gatewayClassName": "istio", "listeners": listeners}}),
        Source::default(),
    )
    .unwrap()
    .0
}

/// An HTTPS server on `port` (port name `name`) for `hosts`, with `credential`.
pub(crate) fn https(port: u32, name: &str, hosts: &[&str], credential: &str) -> Value {
    json!({"port": {"number": port, "name": name, "protocol": "HTTPS"},
           "hosts": hosts, "tls": {"mode": "SIMPLE", "credentialName": credential}})
}

/// An HTTPS server on 443 (port name `name`) for `hosts`, with `credential`.
pub(crate) fn https443(name: &str, hosts: &[&str], credential: &str) -> Value {
    https(443, name, hosts, credential)
}

/// A TLS PASSTHROUGH server on 443 for `hosts`.
pub(crate) fn passthrough(name: &str, hosts: &[&str]) -> Value {
    json!({"port": {"number": 443, "name": name, "protocol": "TLS"},
           "hosts": hosts, "tls": {"mode": "PASSTHROUGH"}})
}

/// A self-signed certificate (PEM) for `names`.
pub(crate) fn pem_for(names: &[&str]) -> String {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let key = rcgen::KeyPair::generate().unwrap();
    rcgen::CertificateParams::new(names)
        .unwrap()
        .self_signed(&key)
        .unwrap()
        .pem()
}

/// A kubernetes.io/tls Secret `ns/name` holding `pem`.
pub(crate) fn tls_secret(ns: &str, name: &str, pem: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
           "metadata": {"name": name, "namespace": ns},
           "data": {"tls.crt": base64::engine::general_purpose::STANDARD.encode(pem)}})
}

/// The layout of `gateways` with no workloads given (the defaults assumed).
pub(crate) fn layout(gateways: &[Gateway]) -> Layout<'_> {
    Layout::new(
        gateways,
        place(gateways, &[], &[], &[], &Default::default()),
        &[],
    )
}

/// Istio's default ingress gateway Service: port 443 to targetPort 8443.
pub(crate) fn ingress_service() -> Service {
    Service::read(
        &json!({"metadata": {"name": "istio-ingressgateway", "namespace": "istio-system"},
                "spec": {"selector": {"istio": "ingressgateway"}, "ports": [{"port": 443, "targetPort": 8443}]}}),
        Source::default(),
    )
    .unwrap()
}
