//! Istio `Gateway` resources (`networking.istio.io` v1, v1beta1, v1alpha3): the parts the
//! audit and the configuration reason on.

use crate::error::FieldError;
use crate::model::gateway::{Api, Credential, Gateway, Server, Source, Tls, TlsMode};
use crate::model::kube::{Metadata, read, read_at};
use crate::model::labels::Labels;
use serde::Deserialize;
use serde_json::Value;

/// The Istio Gateway API versions understood.
pub const VERSIONS: [&str; 3] = [
    "networking.istio.io/v1",
    "networking.istio.io/v1beta1",
    "networking.istio.io/v1alpha3",
];

#[derive(Deserialize)]
struct Resource {
    metadata: Metadata,
    #[serde(default)]
    spec: Spec,
}

#[derive(Default, Deserialize)]
struct Spec {
    #[serde(default)]
    selector: Option<Labels>,
    /// Read one by one: a malformed server leaves out itself, not the Gateway.
    #[serde(default)]
    servers: Vec<Value>,
}

#[derive(Deserialize)]
struct IstioServer {
    port: Port,
    hosts: Vec<String>,
    #[serde(default)]
    bind: Option<String>,
    #[serde(default)]
    tls: Option<IstioTls>,
}

#[derive(Deserialize)]
struct Port {
    number: u32,
    #[serde(default)]
    name: String,
    #[serde(default)]
    protocol: String,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IstioTls {
    #[serde(default)]
    mode: Option<String>,
    #[serde(default)]
    credential_name: Option<String>,
    #[serde(default)]
    credential_names: Vec<String>,
    #[serde(default)]
    server_certificate: Option<String>,
    #[serde(default)]
    tls_certificates: Vec<CertificateFiles>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CertificateFiles {
    #[serde(default)]
    server_certificate: Option<String>,
}

/// Reads an Istio `Gateway` resource (kept as read in `raw`), with a problem for each server
/// left out because a field it needs is malformed (`spec.servers[1].port: missing field ...`).
pub fn gateway(value: Value, source: Source) -> Result<(Gateway, Vec<FieldError>), FieldError> {
    let resource: Resource = read(&value)?;
    let mut servers = Vec::new();
    let mut problems = Vec::new();
    for (index, raw) in resource.spec.servers.iter().enumerate() {
        match read_at::<IstioServer>(raw, &format!("spec.servers[{index}]")) {
            Ok(s) => servers.push(server(index, s)),
            Err(e) => problems.push(e),
        }
    }
    let gateway = Gateway {
        api: Api::Istio,
        namespace: resource.metadata.namespace(),
        name: resource.metadata.name,
        selector: resource.spec.selector.unwrap_or_default(),
        class: String::new(),
        addresses: Vec::new(),
        servers,
        created: resource.metadata.creation_timestamp.clone(),
        listener_set: None,
        allowed_listeners: Default::default(),
        source,
        raw: value,
    };
    Ok((gateway, problems))
}

fn server(index: usize, s: IstioServer) -> Server {
    let tls = s.tls.map(|tls| {
        let mut credentials: Vec<Credential> = tls
            .credential_name
            .iter()
            .chain(&tls.credential_names)
            .filter(|name| !name.is_empty())
            .map(|name| Credential::from_credential_name(name))
            .collect();
        credentials.extend(
            tls.server_certificate
                .iter()
                .chain(
                    tls.tls_certificates
                        .iter()
                        .filter_map(|c| c.server_certificate.as_ref()),
                )
                .filter(|path| !path.is_empty())
                .map(|path| Credential::File(path.clone())),
        );
        credentials.sort();
        credentials.dedup();
        Tls {
            mode_written: tls.mode.is_some(),
            mode: TlsMode::parse(tls.mode.as_deref().unwrap_or("PASSTHROUGH")),
            credentials,
        }
    });
    Server {
        index,
        api: Api::Istio,
        port: s.port.number,
        name: s.port.name,
        protocol: s.port.protocol.to_ascii_uppercase(),
        bind: s.bind.filter(|b| !b.is_empty()),
        hosts: s.hosts,
        tls,
        refused: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::gateway::ChainKind;
    use crate::model::labels::show_labels;
    use serde_json::json;

    fn source() -> Source {
        Source {
            file: "t.yaml".into(),
            place: "document 1".into(),
        }
    }

    fn one_server(server: Value) -> Server {
        let gw = gateway(
            json!({"metadata": {"name": "g"}, "spec": {"servers": [server]}}),
            source(),
        )
        .unwrap()
        .0;
        gw.servers.into_iter().next().unwrap()
    }

    #[test]
    fn reads_a_gateway() {
        let gw = gateway(
            json!({
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
        .unwrap()
        .0;
        assert_eq!(gw.id(), "web/gw-a");
        assert_eq!(show_labels(&gw.selector), "istio=ingressgateway");
        assert_eq!(gw.servers.len(), 2);
        assert_eq!(gw.servers[1].index, 1);
        assert_eq!(gw.servers[0].chain(), None);
        assert_eq!(gw.servers[1].chain(), Some(ChainKind::Https));
        assert_eq!(
            gw.servers[1].credentials(),
            [Credential::from_credential_name("wildcard")]
        );
        assert_eq!(gw.servers[1].label(), "servers[1] (port https)");
        assert_eq!(gw.raw_server(&gw.servers[1])["tls"]["mode"], "SIMPLE");
    }

    #[test]
    fn missing_namespace_is_default() {
        let gw = gateway(json!({"metadata": {"name": "g"}}), source())
            .unwrap()
            .0;
        assert_eq!(gw.id(), "default/g");
        assert!(gw.servers.is_empty());
        assert!(gw.selector.is_empty());
    }

    #[test]
    fn errors_name_the_field_and_leave_out_only_the_server() {
        let (gw, problems) = gateway(
            json!({"metadata": {"name": "g"}, "spec": {"servers": [
                {"port": {"number": "443"}, "hosts": []},
                {"hosts": ["a"]},
                {"port": {"number": 443}, "hosts": ["b"]}]}}),
            source(),
        )
        .unwrap();
        assert_eq!(problems.len(), 2);
        assert!(
            problems[0]
                .to_string()
                .starts_with("spec.servers[0].port.number: invalid type"),
            "{problems:?}"
        );
        assert_eq!(
            problems[1].to_string(),
            "spec.servers[1]: missing field `port`"
        );
        assert_eq!(gw.servers.len(), 1);
        assert_eq!(gw.servers[0].index, 2);
        let err = gateway(json!({"metadata": {}}), source()).unwrap_err();
        assert_eq!(err.to_string(), "metadata: missing field `name`");
    }

    #[test]
    fn which_servers_are_filter_chains() {
        let chain = |protocol: &str, tls: Value| {
            one_server(
                json!({"port": {"number": 443, "protocol": protocol}, "hosts": ["*"], "tls": tls}),
            )
            .chain()
        };
        assert_eq!(
            chain("HTTPS", json!({"mode": "SIMPLE"})),
            Some(ChainKind::Https)
        );
        assert_eq!(
            chain("https", json!({"mode": "MUTUAL"})),
            Some(ChainKind::Https)
        );
        assert_eq!(
            chain("HTTPS", json!({"mode": "OPTIONAL_MUTUAL"})),
            Some(ChainKind::Https)
        );
        assert_eq!(
            chain("HTTPS", json!({"mode": "PASSTHROUGH"})),
            Some(ChainKind::Passthrough)
        );
        assert_eq!(
            chain("TLS", json!({"mode": "AUTO_PASSTHROUGH"})),
            Some(ChainKind::Passthrough)
        );
        assert_eq!(
            chain("HTTPS", json!({"mode": "ISTIO_MUTUAL"})),
            Some(ChainKind::Mesh)
        );
        assert_eq!(
            chain("HTTPS", json!({"credentialName": "c"})),
            Some(ChainKind::Passthrough),
            "no mode is PASSTHROUGH"
        );
        assert_eq!(
            chain("TLS", json!({"mode": "SIMPLE"})),
            Some(ChainKind::TlsTcp)
        );
        assert_eq!(chain("HTTP", json!({"httpsRedirect": true})), None);
        assert_eq!(
            chain("HTTPS", Value::Null),
            None,
            "HTTPS without TLS settings"
        );
        assert_eq!(chain("TCP", json!({"mode": "SIMPLE"})), None);
    }

    #[test]
    fn credentials_in_every_form() {
        let s = one_server(json!({
            "port": {"number": 443, "protocol": "HTTPS"}, "hosts": ["*"],
            "tls": {"mode": "SIMPLE", "credentialNames": ["rsa", "ecdsa", "rsa"],
                    "tlsCertificates": [{"serverCertificate": "/etc/c.pem", "privateKey": "/etc/k.pem"}],
                    "serverCertificate": ""}
        }));
        assert_eq!(
            s.credentials(),
            [
                Credential::from_credential_name("ecdsa"),
                Credential::from_credential_name("rsa"),
                Credential::File("/etc/c.pem".into()),
            ]
        );
        let passthrough = one_server(json!({
            "port": {"number": 443, "protocol": "HTTPS"}, "hosts": ["*"],
            "tls": {"mode": "PASSTHROUGH", "credentialName": "unused"}
        }));
        assert!(passthrough.credentials().is_empty(), "not presented");
    }
}
