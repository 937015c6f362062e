//! The Envoy Gateway resources that change what it builds for a Gateway: ClientTrafficPolicy
//! (`spec.tls.alpnProtocols`: the ALPN of the listeners it targets) and EnvoyProxy
//! (`spec.mergeGateways`: one fleet for every Gateway of a class).

use crate::error::FieldError;
use crate::model::gateway::Gateway;
use crate::model::kube::{Metadata, read};
use serde::Deserialize;
use serde_json::Value;

/// The `apiVersion` of Envoy Gateway's own resources.
pub const API_VERSION: &str = "gateway.envoyproxy.io/v1alpha1";

/// One ClientTrafficPolicy, as far as ALPN goes.
#[derive(Debug, Clone)]
pub struct TrafficPolicy {
    pub namespace: String,
    pub name: String,
    pub targets: Vec<Target>,
    /// `targetSelectors` (matched against labels of Gateways, which are not read).
    pub selectors: bool,
    /// `spec.tls.alpnProtocols`, when written (an empty list turns ALPN off).
    pub alpn: Option<Vec<String>>,
}

/// A `targetRef(s)` item: a Gateway or ListenerSet, or one listener of it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    #[serde(default)]
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub section_name: Option<String>,
}

#[derive(Deserialize)]
struct Resource {
    metadata: Metadata,
    spec: Spec,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    #[serde(default)]
    target_ref: Option<Target>,
    #[serde(default)]
    target_refs: Vec<Target>,
    #[serde(default)]
    target_selectors: Vec<Value>,
    #[serde(default)]
    tls: Option<Tls>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Tls {
    #[serde(default)]
    alpn_protocols: Option<Vec<String>>,
}

impl TrafficPolicy {
    pub fn read(value: &Value) -> Result<TrafficPolicy, FieldError> {
        let r: Resource = read(value)?;
        let mut targets = r.spec.target_refs;
        targets.extend(r.spec.target_ref);
        Ok(TrafficPolicy {
            namespace: r.metadata.namespace(),
            name: r.metadata.name,
            targets,
            selectors: !r.spec.target_selectors.is_empty(),
            alpn: r.spec.tls.and_then(|t| t.alpn_protocols),
        })
    }

    /// `ClientTrafficPolicy default/restore-h2`.
    pub fn title(&self) -> String {
        format!("ClientTrafficPolicy {}/{}", self.namespace, self.name)
    }

    /// Whether it targets `listener` of `gateway` (a Gateway or a ListenerSet): by its
    /// section when `section`, else the whole resource.
    fn targets(&self, gateway: &Gateway, listener: &str, section: bool) -> bool {
        let kind = match gateway.listener_set {
            Some(_) => "ListenerSet",
            None => "Gateway",
        };
        self.namespace == gateway.namespace
            && self.targets.iter().any(|t| {
                t.kind == kind
                    && t.name == gateway.name
                    && match (&t.section_name, section) {
                        (Some(s), true) => s == listener,
                        (None, false) => true,
                        _ => false,
                    }
            })
    }
}

/// The policy that applies to `listener` of `gateway`: Envoy Gateway attaches those that name
/// the listener first, then those that name the whole Gateway to the listeners left
/// (`clienttrafficpolicy.go`); the first in the input wins a tie.
pub fn applying<'p>(
    policies: &'p [TrafficPolicy],
    gateway: &Gateway,
    listener: &str,
) -> Option<&'p TrafficPolicy> {
    policies
        .iter()
        .find(|p| p.targets(gateway, listener, true))
        .or_else(|| {
            policies
                .iter()
                .find(|p| p.targets(gateway, listener, false))
        })
}

/// An EnvoyProxy, as far as fleets go.
#[derive(Debug, Clone)]
pub struct EnvoyProxy {
    pub namespace: String,
    pub name: String,
    pub merge_gateways: bool,
}

#[derive(Deserialize)]
struct ProxyResource {
    metadata: Metadata,
    #[serde(default)]
    spec: ProxySpec,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct ProxySpec {
    #[serde(default)]
    merge_gateways: Option<bool>,
}

impl EnvoyProxy {
    pub fn read(value: &Value) -> Result<EnvoyProxy, FieldError> {
        let r: ProxyResource = read(value)?;
        Ok(EnvoyProxy {
            namespace: r.metadata.namespace(),
            name: r.metadata.name,
            merge_gateways: r.spec.merge_gateways.unwrap_or(false),
        })
    }
}

/// What the input says of Envoy Gateway (its EnvoyProxies go to the GatewayClasses).
#[derive(Debug, Default)]
pub struct EnvoyGatewayInput {
    pub traffic_policies: Vec<TrafficPolicy>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::gateway_api;
    use serde_json::json;

    fn gateway() -> Gateway {
        let value = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
            "metadata": {"name": "eg", "namespace": "default"},
            "spec": {"gatewayClassName": "eg", "listeners": [
                {"name": "https-a", "port": 443, "protocol": "HTTPS"}]}});
        gateway_api::gateway(value, Default::default()).unwrap().0
    }

    fn policy(name: &str, section: Option<&str>, alpn: Option<&[&str]>) -> TrafficPolicy {
        let mut target =
            json!({"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "eg"});
        if let Some(s) = section {
            target["sectionName"] = json!(s);
        }
        let mut spec = json!({"targetRefs": [target]});
        if let Some(alpn) = alpn {
            spec["tls"] = json!({"alpnProtocols": alpn});
        }
        TrafficPolicy::read(
            &json!({"metadata": {"name": name, "namespace": "default"}, "spec": spec}),
        )
        .unwrap()
    }

    #[test]
    fn a_policy_naming_the_listener_wins_over_one_for_the_gateway() {
        let gw = gateway();
        let whole = policy("whole", None, Some(&["http/1.1"]));
        let one = policy("one", Some("https-a"), Some(&["h2", "http/1.1"]));
        let other = policy("other", Some("https-b"), Some(&["h2"]));
        let all = [whole.clone(), one, other];
        assert_eq!(applying(&all, &gw, "https-a").unwrap().name, "one");
        assert_eq!(applying(&all, &gw, "https-c").unwrap().name, "whole");
        assert!(applying(&[], &gw, "https-a").is_none());
        let elsewhere = TrafficPolicy {
            namespace: "other".into(),
            ..whole
        };
        assert!(applying(&[elsewhere], &gw, "https-a").is_none());
    }

    #[test]
    fn alpn_as_written() {
        assert_eq!(policy("p", None, None).alpn, None);
        assert_eq!(policy("p", None, Some(&[])).alpn, Some(vec![]));
        let proxy = EnvoyProxy::read(
            &json!({"metadata": {"name": "merged", "namespace": "envoy-gateway-system"},
            "spec": {"mergeGateways": true}}),
        )
        .unwrap();
        assert!(proxy.merge_gateways);
    }
}
