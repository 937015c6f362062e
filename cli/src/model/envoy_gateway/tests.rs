//! Envoy Gateway's Gateways placed, laid out and given their ALPN, from resources as a cluster
//! holds them.

use crate::audit::audit_with;
use crate::input::Input;
use crate::model::envoy_gateway::alpn::{Alpn, alpn};
use crate::model::fixtures::{pem_for, tls_secret};
use crate::model::layout::Layout;
use crate::model::placement::place;

const CLASS: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
";

fn gateway(name: &str, listeners: &[(&str, &str, &str)]) -> String {
    let mut text = format!(
        "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: {name}, namespace: default}}\nspec:\n  gatewayClassName: eg\n  listeners:\n"
    );
    for (listener, host, secret) in listeners {
        text.push_str(&format!(
            "  - {{name: {listener}, port: 443, protocol: HTTPS, hostname: {host:?}, tls: {{certificateRefs: [{{name: {secret}}}]}}}}\n"
        ));
    }
    text
}

fn input(texts: &[String]) -> Input {
    let mut input = Input::default();
    for (i, text) in texts.iter().enumerate() {
        input.add(&format!("f{i}"), text.as_bytes()).unwrap();
    }
    input
}

fn secret(name: &str, names: &[&str]) -> String {
    yaml_serde::to_string(&tls_secret("default", name, &pem_for(names))).unwrap()
}

fn with_layout<T>(input: &Input, f: impl FnOnce(&Layout<'_>) -> T) -> T {
    let gateways = &input.gateways.items;
    let placement = place(gateways, &[], &[], &[], &input.classes);
    let layout = Layout::new(gateways, placement, &[]);
    f(&layout)
}

#[test]
fn each_gateway_has_a_fleet_of_its_own_that_istio_gateways_never_land_on() {
    let istio = "---\napiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: any, namespace: default}\nspec:\n  selector: {}\n  servers:\n  - {port: {number: 443, name: https, protocol: HTTPS}, hosts: [x.example.com], tls: {mode: SIMPLE, credentialName: x}}\n".to_owned();
    let input = input(&[
        CLASS.to_owned(),
        gateway("one", &[("a", "a.example.com", "s")]),
        gateway("two", &[("b", "b.example.com", "s")]),
        istio,
    ]);
    with_layout(&input, |layout| {
        let fleets: Vec<&str> = layout
            .listeners
            .iter()
            .filter(|l| l.workload.fleet.is_some())
            .map(|l| l.workload.name.as_str())
            .collect();
        assert_eq!(
            fleets,
            [
                "Envoy Gateway fleet of Gateway default/one",
                "Envoy Gateway fleet of Gateway default/two"
            ]
        );
        // The Istio Gateway selects every gateway pod, but only istiod's.
        let istio: Vec<&str> = layout
            .listeners
            .iter()
            .filter(|l| l.chains.iter().any(|c| c.gateway.name == "any"))
            .map(|l| l.workload.name.as_str())
            .collect();
        assert_eq!(istio, ["istio-system/istio-ingressgateway"]);
        let envoy_port = layout.listeners.first().unwrap().envoy_port().unwrap();
        assert_eq!(envoy_port.0, 10443);
    });
}

#[test]
fn merged_gateways_share_one_fleet_and_one_listener() {
    let class = "apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
  parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, name: merged, namespace: envoy-gateway-system}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: {name: merged, namespace: envoy-gateway-system}
spec: {mergeGateways: true}
";
    let texts = [
        class.to_owned(),
        gateway("one", &[("a", "a.example.com", "s")]),
        gateway("two", &[("b", "b.example.com", "s")]),
    ];
    let merged = input(&texts);
    with_layout(&merged, |layout| {
        assert_eq!(layout.listeners.len(), 1);
        let listener = layout.listeners.first().unwrap();
        assert_eq!(listener.chains.len(), 2);
        assert!(listener.workload.fleet.as_ref().unwrap().merged);
    });
    // Without the EnvoyProxy, not known: one fleet each, and said.
    let class_only = class.split("---").next().unwrap().to_owned();
    let unknown = input(&[class_only, texts[1].clone(), texts[2].clone()]);
    with_layout(&unknown, |layout| {
        assert_eq!(layout.listeners.len(), 2);
        let said = layout.assumptions().join("\n");
        assert!(
            said.contains("EnvoyProxy envoy-gateway-system/merged, which is not in the input"),
            "{said}"
        );
    });
}

#[test]
fn an_experimental_listener_set_attaches_to_nothing_on_envoy_gateway() {
    let mut parent = gateway("parent", &[("a", "a.example.com", "s")]);
    parent = parent.replace(
        "  listeners:\n",
        "  allowedListeners: {namespaces: {from: All}}\n  listeners:\n",
    );
    let set = |api: &str, kind: &str| {
        format!(
            "---\napiVersion: {api}\nkind: {kind}\nmetadata: {{name: team, namespace: default}}\nspec:\n  parentRef: {{name: parent}}\n  listeners:\n  - {{name: t, port: 443, protocol: HTTPS, hostname: t.example.com, tls: {{certificateRefs: [{{name: s}}]}}}}\n"
        )
    };
    let standard = input(&[
        CLASS.to_owned(),
        parent.clone(),
        set("gateway.networking.k8s.io/v1", "ListenerSet"),
    ]);
    with_layout(&standard, |layout| {
        assert_eq!(layout.listeners.first().unwrap().chains.len(), 2);
        assert_eq!(layout.unplaced().count(), 0);
    });
    let experimental = input(&[
        CLASS.to_owned(),
        parent,
        set("gateway.networking.x-k8s.io/v1alpha1", "XListenerSet"),
    ]);
    with_layout(&experimental, |layout| {
        assert_eq!(layout.listeners.first().unwrap().chains.len(), 1);
        let (set, why) = layout.unplaced().next().unwrap();
        assert_eq!(set.name, "team");
        assert!(why.contains("not the experimental XListenerSet"), "{why}");
    });
}

#[test]
fn alpn_follows_the_certificates_and_the_client_traffic_policy_wins() {
    let texts = [
        CLASS.to_owned(),
        gateway(
            "eg",
            &[
                ("a", "a.example.com", "wild"),
                ("b", "b.example.com", "b-only"),
                ("c", "c.other.org", "c-only"),
            ],
        ),
        secret("wild", &["*.example.com"]),
        secret("b-only", &["b.example.com"]),
        secret("c-only", &["c.other.org"]),
    ];
    let read = input(&texts);
    with_layout(&read, |layout| {
        let listener = layout.listeners.first().unwrap();
        let got = alpn(listener, &read.certificates, &[]);
        assert!(
            matches!(&got[0], Some(Alpn::Downgraded { san, other_san, .. }) if san == "*.example.com" && other_san == "b.example.com")
        );
        assert!(matches!(&got[1], Some(Alpn::Downgraded { .. })));
        assert_eq!(got[2], Some(Alpn::Default));
    });
    let policy = "---\napiVersion: gateway.envoyproxy.io/v1alpha1\nkind: ClientTrafficPolicy\nmetadata: {name: h2, namespace: default}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg, sectionName: a}]\n  tls: {alpnProtocols: [h2, http/1.1]}\n".to_owned();
    let mut with_policy = texts.to_vec();
    with_policy.push(policy);
    let read = input(&with_policy);
    with_layout(&read, |layout| {
        let listener = layout.listeners.first().unwrap();
        let got = alpn(
            listener,
            &read.certificates,
            &read.envoy_gateway.traffic_policies,
        );
        assert!(
            matches!(&got[0], Some(Alpn::Set { by, .. }) if by == "ClientTrafficPolicy default/h2")
        );
        assert!(matches!(&got[1], Some(Alpn::Downgraded { .. })));
        // a offers h2 again: a connection made for it can carry b's requests.
        let audit = audit_with(
            layout,
            &read.certificates,
            &[],
            &read.envoy_gateway.traffic_policies,
        );
        let kinds: Vec<&str> = audit.findings.iter().map(|f| f.kind()).collect();
        assert!(kinds.contains(&"covered_host"), "{kinds:?}");
        assert!(kinds.contains(&"http2_off"), "{kinds:?}");
    });
}

#[test]
fn alpn_is_not_known_without_the_certificates_unless_one_secret_is_shared() {
    let read = input(&[
        CLASS.to_owned(),
        gateway(
            "eg",
            &[
                ("a", "a.example.com", "x"),
                ("b", "b.example.com", "y"),
                ("c", "c.example.com", "y"),
            ],
        ),
    ]);
    with_layout(&read, |layout| {
        let listener = layout.listeners.first().unwrap();
        let got = alpn(listener, &read.certificates, &[]);
        assert!(matches!(&got[0], Some(Alpn::Unknown { .. })), "{got:?}");
        assert!(matches!(&got[1], Some(Alpn::Downgraded { .. })), "{got:?}");
        assert!(matches!(&got[2], Some(Alpn::Downgraded { .. })), "{got:?}");
        let audit = audit_with(layout, &read.certificates, &[], &[]);
        let said = audit.not_known.join("\n");
        assert!(
            said.contains("whether Envoy Gateway offers HTTP/2 on default/eg listeners[0] (a)"),
            "{said}"
        );
        assert!(said.contains("none is in the input"), "{said}");
    });
}
