//! Istio `Gateway` resources (`networking.istio.io` v1, v1beta1, v1alpha3): the parts the
//! audit reasons on.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// A workload's labels, as a Gateway's `spec.selector` names them.
pub type Labels = BTreeMap<String, String>;

/// Where a resource was read: the file (or `<stdin>`) and the document in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub file: String,
    /// `document 2`, `items[3]`, `document 1, items[0]`.
    pub place: String,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.place.is_empty() {
            f.write_str(&self.file)
        } else {
            write!(f, "{} {}", self.file, self.place)
        }
    }
}

#[derive(Debug, Clone)]
pub struct Gateway {
    pub namespace: String,
    pub name: String,
    /// `spec.selector`; empty when the Gateway has none.
    pub selector: Labels,
    pub servers: Vec<Server>,
    pub source: Source,
}

impl Gateway {
    /// `namespace/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Server {
    /// Position in `spec.servers`.
    #[serde(skip)]
    pub index: usize,
    pub port: Port,
    /// Hosts as written: `a.example.com`, `ns/a.example.com`, `./*.example.com`, `*/*`.
    pub hosts: Vec<String>,
    #[serde(default)]
    pub bind: Option<String>,
    #[serde(default)]
    pub tls: Option<Tls>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Port {
    pub number: u32,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub protocol: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Tls {
    /// `PASSTHROUGH` when absent (Istio's default).
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub credential_name: Option<String>,
    #[serde(default)]
    pub credential_names: Vec<String>,
    #[serde(default)]
    pub server_certificate: Option<String>,
    #[serde(default)]
    pub tls_certificates: Vec<CertificateFiles>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateFiles {
    #[serde(default)]
    pub server_certificate: Option<String>,
}

/// A certificate a server presents, as the Gateway names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Credential {
    /// `tls.credentialName` / `tls.credentialNames[]`: a Kubernetes Secret.
    Secret(String),
    /// `tls.serverCertificate` / `tls.tlsCertificates[].serverCertificate`: a file in the proxy.
    File(String),
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Secret(name) => write!(f, "credentialName {name:?}"),
            Credential::File(path) => write!(f, "serverCertificate {path:?}"),
        }
    }
}

/// The TLS modes in which the gateway terminates TLS itself and serves HTTP.
const TERMINATING_MODES: [&str; 3] = ["SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL"];

impl Server {
    /// Whether Istio builds an HTTP filter chain of its own for this server: protocol HTTPS,
    /// TLS terminated at the gateway (mode SIMPLE, MUTUAL or OPTIONAL_MUTUAL). PASSTHROUGH,
    /// AUTO_PASSTHROUGH, ISTIO_MUTUAL, TLS-over-TCP and plain HTTP servers are not.
    pub fn is_https(&self) -> bool {
        let mode = self.tls.as_ref().and_then(|tls| tls.mode.as_deref());
        self.port.protocol.eq_ignore_ascii_case("HTTPS")
            && mode.is_some_and(|mode| {
                TERMINATING_MODES
                    .iter()
                    .any(|m| m.eq_ignore_ascii_case(mode))
            })
    }

    /// The certificates this server presents, without repeats.
    pub fn credentials(&self) -> Vec<Credential> {
        let Some(tls) = &self.tls else {
            return Vec::new();
        };
        let secrets = tls
            .credential_name
            .iter()
            .chain(&tls.credential_names)
            .map(|name| Credential::Secret(name.clone()));
        let files = tls
            .server_certificate
            .iter()
            .chain(
                tls.tls_certificates
                    .iter()
                    .filter_map(|c| c.server_certificate.as_ref()),
            )
            .map(|path| Credential::File(path.clone()));
        let mut all: Vec<Credential> = secrets
            .chain(files)
            .filter(|c| !matches!(c, Credential::Secret(s) | Credential::File(s) if s.is_empty()))
            .collect();
        all.sort();
        all.dedup();
        all
    }

    /// `servers[1] (port https)`.
    pub fn label(&self) -> String {
        if self.port.name.is_empty() {
            format!("servers[{}]", self.index)
        } else {
            format!("servers[{}] (port {})", self.index, self.port.name)
        }
    }
}

/// The host a Gateway server host names, without its `namespace/` part: what becomes the
/// filter chain's SNI match.
pub fn sni_host(host: &str) -> &str {
    host.split_once('/').map_or(host, |(_, host)| host)
}

/// `istio=ingressgateway,app=x`, or `(no selector)`.
pub fn show_labels(labels: &Labels) -> String {
    if labels.is_empty() {
        return "(no selector)".to_owned();
    }
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

#[derive(Deserialize)]
struct Resource {
    metadata: Metadata,
    #[serde(default)]
    spec: Spec,
}

#[derive(Deserialize)]
struct Metadata {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
}

#[derive(Default, Deserialize)]
struct Spec {
    #[serde(default)]
    selector: Option<Labels>,
    #[serde(default)]
    servers: Option<Vec<Server>>,
}

/// The namespace of a resource that names none (as `kubectl apply` would use by default).
pub const DEFAULT_NAMESPACE: &str = "default";

impl Gateway {
    /// Reads a `Gateway` resource. The error names the field: `spec.servers[0].port: missing field `number``.
    pub fn from_value(value: &serde_json::Value, source: Source) -> Result<Gateway, String> {
        let resource: Resource =
            serde_path_to_error::deserialize(value).map_err(|e| match e.path().to_string() {
                path if path == "." => e.inner().to_string(),
                path => format!("{path}: {}", e.inner()),
            })?;
        let mut servers = resource.spec.servers.unwrap_or_default();
        for (index, server) in servers.iter_mut().enumerate() {
            server.index = index;
        }
        Ok(Gateway {
            namespace: resource
                .metadata
                .namespace
                .filter(|ns| !ns.is_empty())
                .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned()),
            name: resource.metadata.name,
            selector: resource.spec.selector.unwrap_or_default(),
            servers,
            source,
        })
    }
}

/// Gateways for unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::{Gateway, Source};
    use serde_json::{json, Value};

    /// Gateway `ns/name` selecting `istio: selector`, with `servers`.
    pub(crate) fn gateway(name: &str, selector: &str, servers: Value) -> Gateway {
        Gateway::from_value(
            &json!({"metadata": {"name": name, "namespace": "ns"},
                    "spec": {"selector": {"istio": selector}, "servers": servers}}),
            Source {
                file: "t".into(),
                place: String::new(),
            },
        )
        .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn source() -> Source {
        Source {
            file: "t.yaml".into(),
            place: "document 1".into(),
        }
    }

    fn server(value: serde_json::Value) -> Server {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn reads_a_gateway() {
        let gw = Gateway::from_value(
            &json!({
                "apiVersion": "networking.istio.io/v1",
                "kind": "Gateway",
                "metadata": {"name": "gw-a", "namespace": "web"},
                "spec": {
                    "selector": {"istio": "ingressgateway"},
                    "servers": [
                        {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["a.example.com"]},
                        {"port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": ["web/a.example.com"],
                         "tls": {"mode": "SIMPLE", "credentialName": "wildcard"}}
                    ]
                }
            }),
            source(),
        )
        .unwrap();
        assert_eq!(gw.id(), "web/gw-a");
        assert_eq!(show_labels(&gw.selector), "istio=ingressgateway");
        assert_eq!(gw.servers.len(), 2);
        assert_eq!(gw.servers[1].index, 1);
        assert!(!gw.servers[0].is_https());
        assert!(gw.servers[1].is_https());
        assert_eq!(
            gw.servers[1].credentials(),
            vec![Credential::Secret("wildcard".into())]
        );
        assert_eq!(gw.servers[1].label(), "servers[1] (port https)");
    }

    #[test]
    fn missing_namespace_is_default() {
        let gw = Gateway::from_value(&json!({"metadata": {"name": "g"}}), source()).unwrap();
        assert_eq!(gw.id(), "default/g");
        assert!(gw.servers.is_empty());
        assert_eq!(show_labels(&gw.selector), "(no selector)");
    }

    #[test]
    fn errors_name_the_field() {
        let err = Gateway::from_value(
            &json!({"metadata": {"name": "g"}, "spec": {"servers": [{"port": {"number": "443"}, "hosts": []}]}}),
            source(),
        )
        .unwrap_err();
        assert!(
            err.starts_with("spec.servers[0].port.number: invalid type"),
            "{err}"
        );
        let err = Gateway::from_value(&json!({"metadata": {}}), source()).unwrap_err();
        assert_eq!(err, "metadata: missing field `name`");
        let err = Gateway::from_value(
            &json!({"metadata": {"name": "g"}, "spec": {"servers": [{"hosts": ["a"]}]}}),
            source(),
        )
        .unwrap_err();
        assert_eq!(err, "spec.servers[0]: missing field `port`");
    }

    #[test]
    fn which_servers_terminate_https() {
        let https = |protocol: &str, tls: serde_json::Value| {
            server(
                json!({"port": {"number": 443, "protocol": protocol}, "hosts": ["*"], "tls": tls}),
            )
            .is_https()
        };
        assert!(https("HTTPS", json!({"mode": "SIMPLE"})));
        assert!(https("https", json!({"mode": "MUTUAL"})));
        assert!(https("HTTPS", json!({"mode": "OPTIONAL_MUTUAL"})));
        assert!(!https("HTTPS", json!({"mode": "PASSTHROUGH"})));
        assert!(!https("HTTPS", json!({"mode": "AUTO_PASSTHROUGH"})));
        assert!(!https("HTTPS", json!({"mode": "ISTIO_MUTUAL"})));
        assert!(
            !https("HTTPS", json!({"credentialName": "c"})),
            "no mode is PASSTHROUGH"
        );
        assert!(!https("TLS", json!({"mode": "SIMPLE"})), "TLS over TCP");
        assert!(!https("HTTP", json!({"httpsRedirect": true})));
        assert!(!https("HTTPS", serde_json::Value::Null));
    }

    #[test]
    fn credentials_in_every_form() {
        let s = server(json!({
            "port": {"number": 443, "protocol": "HTTPS"}, "hosts": ["*"],
            "tls": {"mode": "SIMPLE", "credentialNames": ["rsa", "ecdsa", "rsa"],
                    "tlsCertificates": [{"serverCertificate": "/etc/c.pem", "privateKey": "/etc/k.pem"}],
                    "serverCertificate": ""}
        }));
        assert_eq!(
            s.credentials(),
            vec![
                Credential::Secret("ecdsa".into()),
                Credential::Secret("rsa".into()),
                Credential::File("/etc/c.pem".into()),
            ]
        );
        assert_eq!(
            Credential::File("/etc/c.pem".into()).to_string(),
            "serverCertificate \"/etc/c.pem\""
        );
    }

    #[test]
    fn sni_hosts_drop_the_namespace() {
        assert_eq!(sni_host("a.example.com"), "a.example.com");
        assert_eq!(sni_host("ns/a.example.com"), "a.example.com");
        assert_eq!(sni_host("./*.example.com"), "*.example.com");
        assert_eq!(sni_host("*/*"), "*");
    }
}
