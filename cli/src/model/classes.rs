//! Which controller programs a Gateway API Gateway: its `GatewayClass`'s `controllerName`,
//! from the input, or from the classes Istio creates itself. Only Gateways whose controller
//! is Istio's gateway controller become filter chains on an Istio gateway, and those of Envoy
//! Gateway's on its own Envoy fleets; any other is said and left unaudited.

use crate::model::envoy_gateway;
use crate::model::gateway::Source;
use std::collections::HashMap;

/// The controller of Istio's ingress and egress gateways (`istio` class).
pub const ISTIO_CONTROLLER: &str = "istio.io/gateway-controller";

/// The classes istiod creates (`pilot/pkg/config/kube/gateway`, `builtinClasses`), with
/// their controllers and what they are for when they are not an ingress.
const BUILT_IN: [(&str, &str, Option<&str>); 4] = [
    ("istio", ISTIO_CONTROLLER, None),
    (
        "istio-remote",
        "istio.io/unmanaged-gateway",
        Some("a gateway in another cluster of the mesh, programmed there"),
    ),
    (
        "istio-waypoint",
        "istio.io/mesh-controller",
        Some("an ambient waypoint: mesh traffic over HBONE, no TLS filter chains by SNI"),
    ),
    (
        "istio-east-west",
        "istio.io/eastwest-controller",
        Some("an ambient east-west gateway: mesh traffic between networks"),
    ),
];

/// Controllers of other implementations, by name, to say who programs a Gateway.
const OTHERS: [(&str, &str); 4] = [
    ("projectcontour.io/gateway-controller", "Contour"),
    (
        "gateway.nginx.org/nginx-gateway-controller",
        "NGINX Gateway Fabric",
    ),
    ("kgateway.dev/kgateway", "kgateway"),
    ("cilium.io/gateway-controller", "Cilium"),
];

/// The GatewayClasses of the input.
#[derive(Debug, Default)]
pub struct GatewayClasses {
    given: HashMap<String, Class>,
    /// Envoy Gateway's EnvoyProxies by (namespace, name): whether each merges Gateways.
    proxies: HashMap<(String, String), bool>,
}

#[derive(Debug)]
struct Class {
    controller: String,
    source: Source,
    /// `spec.parametersRef` naming an Envoy Gateway `EnvoyProxy`: (namespace, name).
    parameters: Option<(String, String)>,
}

/// What programs a class, and whether the audit can model it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Programmed {
    /// Istio's gateway controller: audited.
    Istio,
    /// Envoy Gateway's controller: audited as it builds its fleets, one per Gateway or, with
    /// `merged` (the class's EnvoyProxy sets `mergeGateways`), one per class; `note` says
    /// what is taken to be so.
    EnvoyGateway { merged: bool, note: Option<String> },
    /// Another controller (or an Istio one that makes no ingress filter chains): why not.
    Elsewhere(String),
    /// No GatewayClass of this name in the input, and not one Istio creates.
    Unknown(String),
}

impl GatewayClasses {
    pub fn add(&mut self, name: String, controller: String, source: Source) {
        self.add_with(name, controller, source, None);
    }

    /// [`Self::add`], with the EnvoyProxy its `parametersRef` names.
    pub fn add_with(
        &mut self,
        name: String,
        controller: String,
        source: Source,
        parameters: Option<(String, String)>,
    ) {
        let class = Class {
            controller,
            source,
            parameters,
        };
        self.given.insert(name, class);
    }

    /// Adds an Envoy Gateway EnvoyProxy.
    pub fn add_proxy(&mut self, namespace: String, name: String, merge_gateways: bool) {
        self.proxies.insert((namespace, name), merge_gateways);
    }

    fn envoy_gateway(&self, class: &str, parameters: Option<&(String, String)>) -> Programmed {
        let Some(key) = parameters else {
            return Programmed::EnvoyGateway {
                merged: false,
                note: None,
            };
        };
        match self.proxies.get(key) {
            Some(&merged) => Programmed::EnvoyGateway { merged, note: None },
            None => Programmed::EnvoyGateway {
                merged: false,
                note: Some(format!(
                    "GatewayClass {class} takes its settings from EnvoyProxy {}/{}, which is not in the input: its Gateways are taken to have an Envoy fleet each (spec.mergeGateways unset); give it (kubectl get envoyproxy -n {} {} -o yaml)",
                    key.0, key.1, key.0, key.1
                )),
            },
        }
    }

    /// Who programs Gateways of `class`.
    pub fn programmed(&self, class: &str) -> Programmed {
        let (controller, from) = match self.given.get(class) {
            Some(given) if given.controller == envoy_gateway::CONTROLLER => {
                return self.envoy_gateway(class, given.parameters.as_ref());
            }
            Some(given) => (
                given.controller.as_str(),
                format!("GatewayClass {class} ({})", given.source),
            ),
            None => match BUILT_IN.iter().find(|(name, ..)| *name == class) {
                Some((_, controller, _)) => {
                    (*controller, format!("Istio's built-in class {class}"))
                }
                None => {
                    return Programmed::Unknown(format!(
                        "its class {class:?} is neither in the input nor one Istio creates (istio, istio-remote, istio-waypoint, istio-east-west), so its controller is not known: give it (kubectl get gatewayclass {class} -o yaml)"
                    ));
                }
            },
        };
        if controller == ISTIO_CONTROLLER {
            return Programmed::Istio;
        }
        let what = BUILT_IN
            .iter()
            .find(|(_, c, _)| *c == controller)
            .and_then(|(_, _, what)| *what)
            .map(str::to_owned)
            .or_else(|| {
                OTHERS
                    .iter()
                    .find(|(c, _)| *c == controller)
                    .map(|(_, who)| format!("programmed by {who}, not Istio"))
            })
            .unwrap_or_else(|| "not programmed by Istio".to_owned());
        Programmed::Elsewhere(format!(
            "its class {class} has controller {controller} ({from}): {what}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_by_controller() {
        let mut classes = GatewayClasses::default();
        assert_eq!(classes.programmed("istio"), Programmed::Istio);
        assert!(
            matches!(classes.programmed("istio-waypoint"), Programmed::Elsewhere(w) if w.contains("waypoint"))
        );
        assert!(
            matches!(classes.programmed("eg"), Programmed::Unknown(w) if w.contains("kubectl get gatewayclass eg -o yaml"))
        );
        classes.add(
            "eg".into(),
            "gateway.envoyproxy.io/gatewayclass-controller".into(),
            Source::default(),
        );
        assert_eq!(
            classes.programmed("eg"),
            Programmed::EnvoyGateway {
                merged: false,
                note: None
            }
        );
        let proxy = Some(("envoy-gateway-system".to_owned(), "merged".to_owned()));
        classes.add_with(
            "merged".into(),
            "gateway.envoyproxy.io/gatewayclass-controller".into(),
            Source::default(),
            proxy,
        );
        assert!(
            matches!(classes.programmed("merged"), Programmed::EnvoyGateway { merged: false, note: Some(n) } if n.contains("EnvoyProxy envoy-gateway-system/merged, which is not in the input"))
        );
        classes.add_proxy("envoy-gateway-system".into(), "merged".into(), true);
        assert_eq!(
            classes.programmed("merged"),
            Programmed::EnvoyGateway {
                merged: true,
                note: None
            }
        );
        classes.add(
            "contour".into(),
            "projectcontour.io/gateway-controller".into(),
            Source::default(),
        );
        let Programmed::Elsewhere(why) = classes.programmed("contour") else {
            panic!("contour is Contour's");
        };
        assert!(why.contains("programmed by Contour, not Istio"), "{why}");
        classes.add("custom".into(), ISTIO_CONTROLLER.into(), Source::default());
        assert_eq!(classes.programmed("custom"), Programmed::Istio);
        classes.add(
            "istio".into(),
            "example.com/other".into(),
            Source::default(),
        );
        assert!(
            matches!(classes.programmed("istio"), Programmed::Elsewhere(_)),
            "a GatewayClass given wins over the built-in one"
        );
    }
}
