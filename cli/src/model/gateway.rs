//! Gateways of both APIs in one shape: Istio's `Gateway` (`networking.istio.io`) with its
//! `servers`, and the Kubernetes Gateway API's `Gateway` (`gateway.networking.k8s.io`) with
//! its `listeners`. Each server or listener that TLS names by SNI becomes a filter chain of its
//! own on the gateway's listener for that port.

use crate::model::labels::Labels;
use serde_json::Value;
use sni_guard_decision::pattern::Pattern;
use std::fmt;

/// Where a resource was read: the file (or `<stdin>`) and the document in it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Source {
    pub file: String,
    /// `document 2`, `items[3]`, `document 1, items[0]`; empty for a file of one resource.
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

/// Which API a Gateway belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Api {
    /// `networking.istio.io` `Gateway`: placed on pods by `spec.selector`.
    Istio,
    /// `gateway.networking.k8s.io` `Gateway`: its own deployment, or the Services its
    /// `spec.addresses` name.
    GatewayApi,
}

#[derive(Debug, Clone)]
pub struct Gateway {
    pub api: Api,
    pub namespace: String,
    pub name: String,
    /// Istio: `spec.selector` (empty: every gateway pod). Gateway API: none.
    pub selector: Labels,
    /// Gateway API: `spec.gatewayClassName`.
    pub class: String,
    /// Gateway API: the `Hostname` values of `spec.addresses` (a manual deployment: the
    /// gateway runs on the pods behind these Services).
    pub addresses: Vec<String>,
    pub servers: Vec<Server>,
    /// `metadata.creationTimestamp` (RFC 3339), when the input has it: istiod merges the
    /// servers of older Gateways first.
    pub created: Option<String>,
    /// Gateway API: set on a `ListenerSet`, whose listeners are its parent Gateway's.
    pub listener_set: Option<ListenerSetOf>,
    /// Gateway API Gateway: which ListenerSets may attach (`spec.allowedListeners`).
    pub allowed_listeners: AllowedListeners,
    pub source: Source,
    /// The resource as read, for plans that rewrite it.
    pub raw: Value,
}

/// A ListenerSet's kind and parent Gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerSetOf {
    /// `ListenerSet` (gateway.networking.k8s.io) or `XListenerSet` (gateway.networking.x-k8s.io).
    pub kind: String,
    pub parent_namespace: String,
    pub parent_name: String,
}

/// `spec.allowedListeners.namespaces.from` of a Gateway API Gateway (default `None`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AllowedListeners {
    #[default]
    None,
    Same,
    All,
    /// ListenerSets in namespaces with these labels (`matchLabels`, as written).
    Selector(Value),
}

impl Gateway {
    /// `namespace/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// The Gateway whose workload this one's servers run on, `(namespace, name)`: a
    /// ListenerSet's parent, else the Gateway itself.
    pub fn root(&self) -> (&str, &str) {
        match &self.listener_set {
            Some(of) => (&of.parent_namespace, &of.parent_name),
            None => (&self.namespace, &self.name),
        }
    }

    /// [`Gateway::root`] as `namespace/name`.
    pub fn root_id(&self) -> String {
        let (namespace, name) = self.root();
        format!("{namespace}/{name}")
    }

    /// A server or listener as written (`spec.servers[i]`, `spec.listeners[i]`).
    pub fn raw_server(&self, server: &Server) -> &Value {
        self.raw_at(server.index)
    }

    /// `spec.servers[index]` (`spec.listeners[index]`) as written; null when there is none.
    pub fn raw_at(&self, index: usize) -> &Value {
        let list = match self.api {
            Api::Istio => "servers",
            Api::GatewayApi => "listeners",
        };
        self.raw
            .get("spec")
            .and_then(|spec| spec.get(list))
            .and_then(|list| list.get(index))
            .unwrap_or(&Value::Null)
    }

    /// `Gateway istio-system/gw-a`, `Gateway API Gateway web/gw`, `ListenerSet web/ls`.
    pub fn title(&self) -> String {
        match (&self.listener_set, self.api) {
            (Some(of), _) => format!("{} {}", of.kind, self.id()),
            (None, Api::Istio) => format!("Gateway {}", self.id()),
            (None, Api::GatewayApi) => format!("Gateway API Gateway {}", self.id()),
        }
    }
}

/// One Istio server, or one Gateway API listener.
#[derive(Debug, Clone)]
pub struct Server {
    /// Position in `spec.servers` / `spec.listeners`.
    pub index: usize,
    pub api: Api,
    /// `port.number` / `port`.
    pub port: u32,
    /// Istio: `port.name`; Gateway API: the listener's `name`.
    pub name: String,
    /// Upper case: `HTTPS`, `TLS`, `HTTP`, ...
    pub protocol: String,
    pub bind: Option<String>,
    /// Istio: `hosts` as written (`a.example.com`, `ns/a.example.com`, `*/*`). Gateway API:
    /// the listener's `hostname`, or `*` when it has none.
    pub hosts: Vec<String>,
    pub tls: Option<Tls>,
    /// Why istiod does not program this server, when the input shows it.
    pub refused: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Tls {
    pub mode: TlsMode,
    /// Whether the mode was written (Istio's default is PASSTHROUGH).
    pub mode_written: bool,
    pub credentials: Vec<Credential>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsMode {
    Simple,
    Mutual,
    OptionalMutual,
    IstioMutual,
    Passthrough,
    AutoPassthrough,
    /// A mode this tool does not know, as written.
    Other(String),
}

impl TlsMode {
    /// Istio's spelling, any case.
    pub fn parse(text: &str) -> TlsMode {
        match text.to_ascii_uppercase().as_str() {
            "SIMPLE" => TlsMode::Simple,
            "MUTUAL" => TlsMode::Mutual,
            "OPTIONAL_MUTUAL" => TlsMode::OptionalMutual,
            "ISTIO_MUTUAL" => TlsMode::IstioMutual,
            "PASSTHROUGH" => TlsMode::Passthrough,
            "AUTO_PASSTHROUGH" => TlsMode::AutoPassthrough,
            _ => TlsMode::Other(text.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            TlsMode::Simple => "SIMPLE",
            TlsMode::Mutual => "MUTUAL",
            TlsMode::OptionalMutual => "OPTIONAL_MUTUAL",
            TlsMode::IstioMutual => "ISTIO_MUTUAL",
            TlsMode::Passthrough => "PASSTHROUGH",
            TlsMode::AutoPassthrough => "AUTO_PASSTHROUGH",
            TlsMode::Other(text) => text,
        }
    }
}

/// A certificate a server presents, as the Gateway names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Credential {
    /// A Kubernetes Secret: Istio's `tls.credentialName` / `credentialNames[]` (no namespace:
    /// the gateway pod's own), a Gateway API `certificateRefs[]` entry (always a namespace).
    Secret {
        namespace: Option<String>,
        name: String,
    },
    /// `tls.serverCertificate` / `tls.tlsCertificates[].serverCertificate`: a file in the proxy.
    File(String),
}

impl Credential {
    /// Istio's `credentialName` forms: `name`, `namespace/name`, `kubernetes://name`,
    /// `kubernetes://namespace/name`, `kubernetes-gateway://namespace/name`.
    pub fn from_credential_name(text: &str) -> Credential {
        let bare = text
            .strip_prefix("kubernetes://")
            .or_else(|| text.strip_prefix("kubernetes-gateway://"))
            .unwrap_or(text);
        match bare.split_once('/') {
            Some((namespace, name)) if !namespace.is_empty() => Credential::Secret {
                namespace: Some(namespace.to_owned()),
                name: name.to_owned(),
            },
            _ => Credential::Secret {
                namespace: None,
                name: bare.to_owned(),
            },
        }
    }
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credential::Secret {
                namespace: None,
                name,
            } => write!(f, "credentialName {name:?}"),
            Credential::Secret {
                namespace: Some(ns),
                name,
            } => write!(f, "Secret {ns}/{name}"),
            Credential::File(path) => write!(f, "serverCertificate {path:?}"),
        }
    }
}

/// What a server becomes on the gateway's listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChainKind {
    /// TLS terminated with the server's certificate, HTTP routed by the server's route
    /// table: HTTPS with SIMPLE, MUTUAL or OPTIONAL_MUTUAL. sni-guard runs here.
    Https,
    /// TLS terminated with the server's certificate, then TCP (protocol TLS).
    TlsTcp,
    /// TLS terminated with the mesh's certificates (ISTIO_MUTUAL): no browser connects.
    Mesh,
    /// TLS passed through to the backend (PASSTHROUGH, AUTO_PASSTHROUGH): the gateway never
    /// sees the HTTP inside.
    Passthrough,
}

impl ChainKind {
    /// Whether the gateway presents the server's own certificate on this chain.
    pub fn presents_certificate(self) -> bool {
        matches!(self, ChainKind::Https | ChainKind::TlsTcp)
    }

    /// `HTTPS`, `TLS (terminated, TCP)`, ...
    pub fn describe(self) -> &'static str {
        match self {
            ChainKind::Https => "HTTPS",
            ChainKind::TlsTcp => "TLS terminated to TCP",
            ChainKind::Mesh => "ISTIO_MUTUAL",
            ChainKind::Passthrough => "TLS passthrough",
        }
    }
}

impl Server {
    /// The filter chain this server becomes, when TLS names it by SNI; `None` for plain
    /// HTTP and TCP servers, and for a TLS server without TLS settings (which Istio refuses).
    pub fn chain(&self) -> Option<ChainKind> {
        if self.refused.is_some() {
            return None;
        }
        let tls = self.tls.as_ref()?;
        let https = self.protocol == "HTTPS";
        if !https && self.protocol != "TLS" {
            return None;
        }
        match tls.mode {
            TlsMode::Simple | TlsMode::Mutual | TlsMode::OptionalMutual if https => {
                Some(ChainKind::Https)
            }
            TlsMode::Simple | TlsMode::Mutual | TlsMode::OptionalMutual => Some(ChainKind::TlsTcp),
            TlsMode::IstioMutual => Some(ChainKind::Mesh),
            TlsMode::Passthrough | TlsMode::AutoPassthrough => Some(ChainKind::Passthrough),
            TlsMode::Other(_) => None,
        }
    }

    /// The certificates this server presents, without repeats (none on chains that do not
    /// present the server's own).
    pub fn credentials(&self) -> &[Credential] {
        match (&self.tls, self.chain()) {
            (Some(tls), Some(kind)) if kind.presents_certificate() => &tls.credentials,
            _ => &[],
        }
    }

    /// `servers[1] (port https)`, `listeners[0] (https)`.
    pub fn label(&self) -> String {
        match self.api {
            Api::Istio if self.name.is_empty() => format!("servers[{}]", self.index),
            Api::Istio => format!("servers[{}] (port {})", self.index, self.name),
            Api::GatewayApi => format!("listeners[{}] ({})", self.index, self.name),
        }
    }
}

/// The host a server host names, without its `namespace/` part: what becomes the filter
/// chain's SNI match.
pub fn sni_host(host: &str) -> &str {
    host.split_once('/').map_or(host, |(_, host)| host)
}

/// A host as the filter chain matches it: no namespace, lowercase, no trailing dot.
pub fn canonical_host(host: &str) -> String {
    Pattern::parse(sni_host(host))
        .map(|p| p.to_string())
        .unwrap_or_else(|_| sni_host(host).to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names() {
        let secret = |ns: Option<&str>, name: &str| Credential::Secret {
            namespace: ns.map(str::to_owned),
            name: name.to_owned(),
        };
        assert_eq!(Credential::from_credential_name("w"), secret(None, "w"));
        assert_eq!(
            Credential::from_credential_name("kubernetes://w"),
            secret(None, "w")
        );
        assert_eq!(
            Credential::from_credential_name("web/w"),
            secret(Some("web"), "w")
        );
        assert_eq!(
            Credential::from_credential_name("kubernetes-gateway://web/w"),
            secret(Some("web"), "w")
        );
        assert_eq!(secret(None, "w").to_string(), "credentialName \"w\"");
        assert_eq!(secret(Some("web"), "w").to_string(), "Secret web/w");
    }

    #[test]
    fn sni_hosts_drop_the_namespace() {
        assert_eq!(sni_host("a.example.com"), "a.example.com");
        assert_eq!(sni_host("ns/a.example.com"), "a.example.com");
        assert_eq!(sni_host("./*.example.com"), "*.example.com");
        assert_eq!(sni_host("*/*"), "*");
    }
}
