//! Envoy Gateway (v1.9): what it builds from the Gateways its class's controller programs.
//! One Envoy fleet per Gateway (per GatewayClass with `mergeGateways`); on it one Envoy
//! listener per port, bound to the port + 10000 below 1024; one filter chain, HCM and route
//! table per HTTPS listener, named `<ns>/<gateway>/<listener>`. Read from
//! `internal/gatewayapi` and `internal/xds/translator` at v1.9.0 (docs/envoy-gateway-v1.9.md).

pub mod alpn;
pub mod policies;

use crate::model::gateway::Gateway;
use crate::model::labels::{Labels, labels};
use crate::model::workload::Workload;

/// The controller name Envoy Gateway programs GatewayClasses with by default
/// (`api/v1alpha1/envoygateway_types.go`, `GatewayControllerName`).
pub const CONTROLLER: &str = "gateway.envoyproxy.io/gatewayclass-controller";

/// Ports below this are shifted by [`PORT_SHIFT`] in the container (`translator.go`).
const MIN_EPHEMERAL_PORT: u32 = 1024;
const PORT_SHIFT: u32 = 10000;

/// The labels Envoy Gateway puts on a Gateway's proxies (`GatewayOwnerLabels`).
pub const OWNING_GATEWAY_NAME: &str = "gateway.envoyproxy.io/owning-gateway-name";
pub const OWNING_GATEWAY_NAMESPACE: &str = "gateway.envoyproxy.io/owning-gateway-namespace";
/// The label of a merged fleet (`GatewayClassOwnerLabel`).
pub const OWNING_GATEWAY_CLASS: &str = "gateway.envoyproxy.io/owning-gatewayclass";

/// The Envoy fleet a Gateway lands on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fleet {
    pub class: String,
    /// `EnvoyProxy.spec.mergeGateways`: every Gateway of the class on one fleet.
    pub merged: bool,
}

impl Fleet {
    pub fn of(gateway: &Gateway, merged: bool) -> Fleet {
        Fleet {
            class: gateway.class.clone(),
            merged,
        }
    }

    /// The fleet's pods, as a workload.
    pub fn workload(self, gateway: &Gateway) -> Workload {
        Workload {
            name: self.name(gateway),
            namespace: None,
            labels: self.labels(gateway),
            assumed: None,
            fleet: Some(self),
        }
    }

    /// The labels of the fleet's pods.
    pub fn labels(&self, gateway: &Gateway) -> Labels {
        match self.merged {
            true => labels(&[(OWNING_GATEWAY_CLASS, &self.class)]),
            false => labels(&[
                (OWNING_GATEWAY_NAME, &gateway.name),
                (OWNING_GATEWAY_NAMESPACE, &gateway.namespace),
            ]),
        }
    }

    /// `Envoy Gateway fleet of Gateway default/eg`.
    pub fn name(&self, gateway: &Gateway) -> String {
        match self.merged {
            true => format!(
                "Envoy Gateway fleet of GatewayClass {} (mergeGateways)",
                self.class
            ),
            false => format!("Envoy Gateway fleet of Gateway {}", gateway.id()),
        }
    }
}

/// The port Envoy binds for a listener port (`servicePortToContainerPort`), unless the
/// EnvoyProxy sets `useListenerPortAsContainerPort`.
pub fn container_port(port: u32) -> u32 {
    match port < MIN_EPHEMERAL_PORT {
        true => port + PORT_SHIFT,
        false => port,
    }
}

/// How Envoy Gateway names xDS resources: `XDSNameSchemeV2` off (the v1.9 default) or on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum NameScheme {
    #[default]
    Legacy,
    V2,
}

/// The IR name of a listener, which names its filter chain and route table:
/// `<ns>/<gateway>/<listener>`, or `<gwns>/<gateway>/<lsns>/<listenerset>/<listener>` for a
/// ListenerSet's (`irListenerName`).
pub fn ir_listener_name(gateway: &Gateway, listener: &str) -> String {
    match &gateway.listener_set {
        Some(of) => format!(
            "{}/{}/{}/{}/{listener}",
            of.parent_namespace, of.parent_name, gateway.namespace, gateway.name
        ),
        None => format!("{}/{}/{listener}", gateway.namespace, gateway.name),
    }
}

/// The Envoy listener's name on `port`: legacy, the IR name of the first HTTPS listener that
/// made it; V2, `tcp-<port>` (`xdsListenerName`).
pub fn envoy_listener_name(scheme: NameScheme, first: &str, port: u32) -> String {
    match scheme {
        NameScheme::Legacy => first.to_owned(),
        NameScheme::V2 => format!("tcp-{port}"),
    }
}

/// The HCM filter Envoy Gateway adds for `spec.dynamicModule[index]` of EnvoyExtensionPolicy
/// `namespace/name` (`dynamicmodule.go`, `irConfigNameForDynamicModule`).
pub fn dynamic_module_filter_name(namespace: &str, name: &str, index: usize) -> String {
    format!(
        "envoy.filters.http.dynamic_modules/envoyextensionpolicy/{namespace}/{name}/dynamic-module/{index}"
    )
}

/// The HCM filter Envoy Gateway adds for `spec.wasm[index]` of EnvoyExtensionPolicy
/// `namespace/name` (`wasm.go`, `irConfigNameForWasm`).
pub fn wasm_filter_name(namespace: &str, name: &str, index: usize) -> String {
    format!("envoy.filters.http.wasm/envoyextensionpolicy/{namespace}/{name}/wasm/{index}")
}

/// Envoy Gateway v1.9 watches the standard `ListenerSet` only (`controller.go`): an
/// experimental `XListenerSet` on one of its Gateways attaches to nothing.
pub fn detach_experimental_sets(
    gateways: &[Gateway],
    workloads: &[Workload],
    landing: &mut [Vec<usize>],
    unplaced: &mut Vec<(usize, String)>,
) {
    for (g, gw) in gateways.iter().enumerate() {
        let experimental = gw
            .listener_set
            .as_ref()
            .is_some_and(|of| of.kind == "XListenerSet");
        let Some(slot) = landing.get_mut(g) else {
            continue;
        };
        let on_fleet = slot
            .iter()
            .any(|&w| workloads.get(w).is_some_and(|w| w.fleet.is_some()));
        if experimental && on_fleet {
            slot.clear();
            unplaced.push((
                g,
                "its parent is programmed by Envoy Gateway, which since v1.8 reads gateway.networking.k8s.io/v1 ListenerSet and not the experimental XListenerSet: none of its listeners is served".to_owned(),
            ));
        }
    }
}

#[cfg(test)]
mod names {
    use super::*;

    #[test]
    fn ports_below_1024_move_up_by_10000() {
        assert_eq!(container_port(443), 10443);
        assert_eq!(container_port(80), 10080);
        assert_eq!(container_port(1023), 11023);
        assert_eq!(container_port(1024), 1024);
        assert_eq!(container_port(8443), 8443);
    }

    #[test]
    fn names_as_the_translator_writes_them() {
        assert_eq!(
            envoy_listener_name(NameScheme::Legacy, "default/eg/https-a", 443),
            "default/eg/https-a"
        );
        assert_eq!(
            envoy_listener_name(NameScheme::V2, "default/eg/https-a", 443),
            "tcp-443"
        );
        assert_eq!(
            wasm_filter_name("default", "sni-guard", 0),
            "envoy.filters.http.wasm/envoyextensionpolicy/default/sni-guard/wasm/0"
        );
    }
}

#[cfg(test)]
mod tests;
