//! Kubernetes Gateway API `Gateway` and `ListenerSet` resources (`gateway.networking.k8s.io`,
//! and the experimental `XListenerSet` of `gateway.networking.x-k8s.io`), read as Istio
//! translates them: each listener is a server of its own (hosts: its `hostname`, or `*`
//! without one); an HTTPS listener terminates TLS with its `certificateRefs`, a TLS listener
//! in `Passthrough` mode passes it through. A ListenerSet's listeners are its parent
//! Gateway's, on the parent's deployment ([`crate::model::placement`] puts them there).

use crate::error::FieldError;
use crate::model::gateway::{
    AllowedListeners, Api, Credential, Gateway, ListenerSetOf, Server, Source, Tls, TlsMode,
};
use crate::model::kube::{Metadata, read, read_at};
use serde::Deserialize;
use serde_json::Value;

/// The Gateway API versions understood for `Gateway`.
pub const VERSIONS: [&str; 3] = [
    "gateway.networking.k8s.io/v1",
    "gateway.networking.k8s.io/v1beta1",
    "gateway.networking.k8s.io/v1alpha2",
];

/// The `apiVersion`s of listener sets understood, with their kind.
pub const LISTENER_SETS: [(&str, &str); 2] = [
    ("gateway.networking.k8s.io/v1", "ListenerSet"),
    ("gateway.networking.x-k8s.io/v1alpha1", "XListenerSet"),
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
    /// Read one by one: a malformed listener leaves out itself, not the Gateway.
    #[serde(default)]
    listeners: Vec<Value>,
    #[serde(default)]
    allowed_listeners: Option<Allowed>,
    #[serde(default)]
    tls: Option<GatewayTls>,
}

/// `spec.tls`: the client certificates the Gateway's listeners ask for (`frontend`).
#[derive(Deserialize, Default)]
struct GatewayTls {
    #[serde(default)]
    frontend: Option<Frontend>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Frontend {
    #[serde(default)]
    default: Option<FrontendTls>,
    #[serde(default)]
    per_port: Vec<PerPort>,
}

#[derive(Deserialize)]
struct PerPort {
    port: u32,
    tls: FrontendTls,
}

#[derive(Deserialize)]
struct FrontendTls {
    #[serde(default)]
    validation: Option<Validation>,
}

#[derive(Deserialize)]
struct Validation {
    #[serde(default)]
    mode: Option<String>,
}

impl Frontend {
    /// The mode a terminating listener on `port` has: MUTUAL where client certificates are
    /// validated (`AllowValidOnly`, the default), OPTIONAL_MUTUAL with `AllowInsecureFallback`.
    fn mode(&self, port: u32) -> Option<TlsMode> {
        let tls = self
            .per_port
            .iter()
            .find(|p| p.port == port)
            .map(|p| &p.tls)
            .or(self.default.as_ref())?;
        let validation = tls.validation.as_ref()?;
        Some(match validation.mode.as_deref() {
            Some("AllowInsecureFallback") => TlsMode::OptionalMutual,
            _ => TlsMode::Mutual,
        })
    }
}

#[derive(Deserialize)]
struct Allowed {
    #[serde(default)]
    namespaces: Option<AllowedNamespaces>,
}

#[derive(Deserialize)]
struct AllowedNamespaces {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    selector: Option<Value>,
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
    /// Istio reads `gateway.istio.io/tls-terminate-mode` (MUTUAL, OPTIONAL_MUTUAL, ...).
    #[serde(default)]
    options: std::collections::BTreeMap<String, Value>,
}

#[derive(Deserialize)]
struct CertificateRef {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
}

#[derive(Deserialize)]
struct ListenerSetResource {
    metadata: Metadata,
    spec: ListenerSetSpec,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListenerSetSpec {
    parent_ref: ParentRef,
    #[serde(default)]
    listeners: Vec<Value>,
}

#[derive(Deserialize)]
struct ParentRef {
    name: String,
    #[serde(default)]
    namespace: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    group: Option<String>,
}

/// Reads a Gateway API `Gateway` resource (kept as read in `raw`), with a problem for each
/// listener left out because a field it needs is malformed.
pub fn gateway(value: Value, source: Source) -> Result<(Gateway, Vec<FieldError>), FieldError> {
    let resource: Resource = read(&value)?;
    let namespace = resource.metadata.namespace();
    let (mut servers, problems) = listeners(&resource.spec.listeners, &namespace);
    if let Some(frontend) = resource.spec.tls.and_then(|t| t.frontend) {
        for server in &mut servers {
            let mode = frontend.mode(server.port);
            if let (Some(tls), Some(mode)) = (server.tls.as_mut(), mode)
                && tls.mode == TlsMode::Simple
            {
                tls.mode = mode;
            }
        }
    }
    let addresses = resource
        .spec
        .addresses
        .into_iter()
        .filter(|a| a.kind.as_deref().is_none_or(|k| k == "Hostname"))
        .map(|a| a.value)
        .collect();
    let allowed = resource
        .spec
        .allowed_listeners
        .and_then(|a| a.namespaces)
        .map_or(AllowedListeners::None, |n| {
            match n.from.as_deref().unwrap_or("None") {
                "Same" => AllowedListeners::Same,
                "All" => AllowedListeners::All,
                "Selector" => AllowedListeners::Selector(n.selector.unwrap_or_default()),
                _ => AllowedListeners::None,
            }
        });
    let gateway = Gateway {
        api: Api::GatewayApi,
        name: resource.metadata.name,
        namespace,
        selector: Default::default(),
        class: resource.spec.gateway_class_name,
        addresses,
        servers,
        created: resource.metadata.creation_timestamp,
        listener_set: None,
        allowed_listeners: allowed,
        source,
        raw: value,
    };
    Ok((gateway, problems))
}

/// Reads a `ListenerSet` or `XListenerSet` (`kind`): a Gateway of its own in shape, whose
/// class and workload are its parent's (set when it is attached).
pub fn listener_set(
    kind: &str,
    value: Value,
    source: Source,
) -> Result<(Gateway, Vec<FieldError>), FieldError> {
    let resource: ListenerSetResource = read(&value)?;
    let namespace = resource.metadata.namespace();
    let parent = resource.spec.parent_ref;
    let parent_kind = parent.kind.as_deref().unwrap_or("Gateway");
    let parent_group = parent
        .group
        .as_deref()
        .unwrap_or("gateway.networking.k8s.io");
    if parent_kind != "Gateway" || parent_group != "gateway.networking.k8s.io" {
        return Err(FieldError {
            path: "spec.parentRef".to_owned(),
            problem: format!("a {parent_group} {parent_kind}, not a Gateway API Gateway"),
        });
    }
    let (servers, problems) = listeners(&resource.spec.listeners, &namespace);
    let of = ListenerSetOf {
        kind: kind.to_owned(),
        parent_namespace: parent.namespace.unwrap_or_else(|| namespace.clone()),
        parent_name: parent.name,
    };
    let set = Gateway {
        api: Api::GatewayApi,
        name: resource.metadata.name,
        namespace,
        selector: Default::default(),
        class: String::new(),
        addresses: Vec::new(),
        servers,
        created: resource.metadata.creation_timestamp,
        listener_set: Some(of),
        allowed_listeners: AllowedListeners::None,
        source,
        raw: value,
    };
    Ok((set, problems))
}

/// The listeners that read, and a problem for each that did not.
fn listeners(raw: &[Value], namespace: &str) -> (Vec<Server>, Vec<FieldError>) {
    let mut servers = Vec::new();
    let mut problems = Vec::new();
    for (index, value) in raw.iter().enumerate() {
        match read_at::<Listener>(value, &format!("spec.listeners[{index}]")) {
            Ok(l) => servers.push(listener(index, l, namespace)),
            Err(e) => problems.push(e),
        }
    }
    (servers, problems)
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
            let terminate = tls
                .options
                .get("gateway.istio.io/tls-terminate-mode")
                .and_then(Value::as_str)
                .map(TlsMode::parse)
                .filter(|m| {
                    matches!(
                        m,
                        TlsMode::Mutual | TlsMode::OptionalMutual | TlsMode::IstioMutual
                    )
                });
            Tls {
                mode: match (passthrough, terminate) {
                    (true, _) => TlsMode::Passthrough,
                    (false, Some(mode)) => mode,
                    (false, None) => TlsMode::Simple,
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
        refused: None,
    }
}

#[cfg(test)]
mod tests;
