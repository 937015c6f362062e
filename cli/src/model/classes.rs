//! Which controller programs a Gateway API Gateway: its `GatewayClass`'s `controllerName`,
//! from the input, or from the classes Istio creates itself. Only Gateways whose controller
//! is Istio's gateway controller become filter chains on an Istio gateway; any other is said
//! and left unaudited.

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
const OTHERS: [(&str, &str); 5] = [
    (
        "gateway.envoyproxy.io/gatewayclass-controller",
        "Envoy Gateway",
    ),
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
    given: HashMap<String, (String, Source)>,
}

/// What programs a class, and whether the audit can model it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Programmed {
    /// Istio's gateway controller: audited.
    Istio,
    /// Another controller (or an Istio one that makes no ingress filter chains): why not.
    Elsewhere(String),
    /// No GatewayClass of this name in the input, and not one Istio creates.
    Unknown(String),
}

impl GatewayClasses {
    pub fn add(&mut self, name: String, controller: String, source: Source) {
        self.given.insert(name, (controller, source));
    }

    /// Who programs Gateways of `class`.
    pub fn programmed(&self, class: &str) -> Programmed {
        let (controller, from) = match self.given.get(class) {
            Some((controller, source)) => (
                controller.as_str(),
                format!("GatewayClass {class} ({source})"),
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
        let Programmed::Elsewhere(why) = classes.programmed("eg") else {
            panic!("eg is Envoy Gateway's");
        };
        assert!(
            why.contains("programmed by Envoy Gateway, not Istio"),
            "{why}"
        );
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
