//! VirtualServices as the gateway sees them: the hosts they route, the Gateways they are bound
//! to (`spec.gateways`; `mesh` when absent), and which of their hosts a Gateway server admits:
//! the names match (exact, `*.suffix` at any depth, `*`), and the server host's `namespace/`
//! part, if any, is the VirtualService's (`.` the Gateway's, `*` any).

use crate::model::gateway::{Gateway, Server};
use crate::model::kube::Resource;
use serde_json::Value;
use sni_guard_decision::pattern::Pattern;

/// A reference to a Gateway in a VirtualService.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GatewayRef {
    /// `mesh`: the sidecars, not a gateway.
    Mesh,
    Gateway {
        namespace: String,
        name: String,
    },
}

impl GatewayRef {
    /// `name` (the VirtualService's namespace), `namespace/name`, or `mesh`.
    pub fn parse(text: &str, vs_namespace: &str) -> GatewayRef {
        match text.split_once('/') {
            _ if text == "mesh" => GatewayRef::Mesh,
            Some((namespace, name)) => GatewayRef::Gateway {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
            },
            None => GatewayRef::Gateway {
                namespace: vs_namespace.to_owned(),
                name: text.to_owned(),
            },
        }
    }

    /// `namespace/name`, or `mesh`.
    pub fn write(&self) -> String {
        match self {
            GatewayRef::Mesh => "mesh".to_owned(),
            GatewayRef::Gateway { namespace, name } => format!("{namespace}/{name}"),
        }
    }
}

/// The parts of a VirtualService the plan reasons on.
#[derive(Debug, Clone)]
pub struct VirtualService {
    pub namespace: String,
    /// `spec.hosts`.
    pub hosts: Vec<String>,
    /// `spec.gateways`; `mesh` alone when absent (Istio's default).
    pub gateways: Vec<GatewayRef>,
}

impl VirtualService {
    pub fn read(vs: &Resource) -> VirtualService {
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let spec = vs.value.get("spec");
        let gateways = match spec.and_then(|s| s.get("gateways")) {
            Some(list) => strings(list)
                .iter()
                .map(|g| GatewayRef::parse(g, &vs.namespace))
                .collect(),
            None => vec![GatewayRef::Mesh],
        };
        VirtualService {
            namespace: vs.namespace.clone(),
            hosts: spec
                .and_then(|s| s.get("hosts"))
                .map(strings)
                .unwrap_or_default(),
            gateways,
        }
    }
}

/// The names `server_host` (a Gateway server's host, `namespace/` part removed) and
/// `vs_host` have in common, as the more specific of the two; `None` when they share none.
pub fn intersect(server_host: &str, vs_host: &str) -> Option<String> {
    let (a, b) = (
        Pattern::parse(server_host).ok()?,
        Pattern::parse(vs_host).ok()?,
    );
    // A name of one label or more below `suffix`.
    let under = |name: &str, suffix: &str| {
        name.strip_suffix(suffix)
            .and_then(|rest| rest.strip_suffix('.'))
            .is_some_and(|labels| !labels.is_empty())
    };
    match (&a, &b) {
        (Pattern::Any, other) | (other, Pattern::Any) => Some(other.to_string()),
        (Pattern::Exact(x), Pattern::Exact(y)) => (x == y).then(|| x.clone()),
        (Pattern::Exact(e), Pattern::Suffix(s)) | (Pattern::Suffix(s), Pattern::Exact(e)) => {
            under(e, s).then(|| e.clone())
        }
        (Pattern::Suffix(x), Pattern::Suffix(y)) => {
            if x == y || under(x, y) {
                Some(a.to_string())
            } else if under(y, x) {
                Some(b.to_string())
            } else {
                None
            }
        }
    }
}

/// The hosts `vs` is served on by `server` of `gateway`.
pub fn admitted(
    gateway: &Gateway,
    server: &Server,
    vs_namespace: &str,
    vs_hosts: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    for host in &server.hosts {
        let (namespace, name) = host.split_once('/').unwrap_or(("*", host));
        let allowed = match namespace {
            "*" => true,
            "." => gateway.namespace == vs_namespace,
            ns => ns == vs_namespace,
        };
        if !allowed {
            continue;
        }
        out.extend(vs_hosts.iter().filter_map(|h| intersect(name, h)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_intersections() {
        assert_eq!(
            intersect("a.example.com", "A.example.com").as_deref(),
            Some("a.example.com")
        );
        assert_eq!(
            intersect("*.example.com", "a.b.example.com").as_deref(),
            Some("a.b.example.com")
        );
        assert_eq!(
            intersect("a.example.com", "*.example.com").as_deref(),
            Some("a.example.com")
        );
        assert_eq!(
            intersect("*", "a.example.com").as_deref(),
            Some("a.example.com")
        );
        assert_eq!(
            intersect("*.example.com", "*").as_deref(),
            Some("*.example.com")
        );
        assert_eq!(
            intersect("*.a.example.com", "*.example.com").as_deref(),
            Some("*.a.example.com")
        );
        assert_eq!(intersect("*.example.com", "*.example.org"), None);
        assert_eq!(
            intersect("example.com", "*.example.com"),
            None,
            "the apex is not under the wildcard"
        );
        assert_eq!(intersect("xexample.com", "*.example.com"), None);
    }
}
