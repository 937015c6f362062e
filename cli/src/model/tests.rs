//! Placement of Gateways on workloads, and the listeners it makes.

use crate::model::fixtures::{
    api_gateway, gateway, https, ingress_service, istio_gateway, layout, passthrough,
};
use crate::model::gateway::{ChainKind, Gateway, Source};
use crate::model::labels::{labels, show_labels};
use crate::model::layout::Layout;
use crate::model::placement::place;
use crate::model::workload::PodTemplate;
use serde_json::json;

/// `(workload, port, [chain labels])` of each listener.
fn shown(layout: &Layout<'_>) -> Vec<(String, u32, Vec<String>)> {
    layout
        .listeners
        .iter()
        .map(|l| {
            (
                show_labels(&l.workload.labels),
                l.port,
                l.chains.iter().map(|c| c.label()).collect(),
            )
        })
        .collect()
}

fn https443(host: &str) -> serde_json::Value {
    https(443, "https", &[host], "wild")
}

#[test]
fn the_default_ingress_labels_are_one_workload() {
    let gws = vec![
        gateway("a", "ingressgateway", json!([https443("a.example.com")])),
        istio_gateway(
            "b",
            json!({"app": "istio-ingressgateway"}),
            json!([https443("b.example.com")]),
        ),
        istio_gateway("c", json!({}), json!([https443("c.example.com")])),
    ];
    let layout = layout(&gws);
    assert_eq!(
        shown(&layout),
        [(
            "app=istio-ingressgateway,istio=ingressgateway".to_owned(),
            443,
            vec![
                "ns/a servers[0] (port https)".to_owned(),
                "ns/b servers[0] (port https)".to_owned(),
                "ns/c servers[0] (port https)".to_owned()
            ]
        )]
    );
    let assumed = layout.assumptions();
    assert_eq!(assumed.len(), 1);
    assert!(
        assumed[0].starts_with("assumed workload istio-system/istio-ingressgateway (app=istio-ingressgateway,istio=ingressgateway): Istio's default ingress gateway, as no gateway pods are in the input"),
        "{assumed:?}"
    );
}

#[test]
fn a_superset_selector_lands_with_the_broader_one() {
    let gws = vec![
        gateway("a", "ingressgateway", json!([https443("a.example.com")])),
        istio_gateway(
            "v2",
            json!({"istio": "ingressgateway", "version": "v2"}),
            json!([https443("v2.example.com")]),
        ),
        gateway("internal", "internal", json!([https443("i.example.com")])),
    ];
    let layout = layout(&gws);
    let listeners = shown(&layout);
    assert_eq!(listeners.len(), 3, "{listeners:?}");
    assert_eq!(listeners[0].2, ["ns/a servers[0] (port https)"]);
    assert_eq!(listeners[1].0, "istio=ingressgateway,version=v2");
    assert_eq!(
        listeners[1].2,
        [
            "ns/a servers[0] (port https)",
            "ns/v2 servers[0] (port https)"
        ],
        "pods with both labels receive both Gateways"
    );
    assert_eq!(listeners[2].0, "istio=internal");
    assert_eq!(layout.assumptions().len(), 3);
}

#[test]
fn given_workloads_and_a_gateway_that_selects_none() {
    let gws = vec![
        gateway("a", "ingressgateway", json!([https443("a.example.com")])),
        gateway("lost", "other", json!([https443("b.example.com")])),
    ];
    let given = [labels(&[
        ("app", "istio-ingressgateway"),
        ("istio", "ingressgateway"),
    ])];
    let placement = place(&gws, &[], &[], &given, &Default::default());
    assert!(placement.workloads.iter().all(|w| w.assumed.is_none()));
    assert_eq!(placement.landing[0], [0]);
    assert_eq!(placement.unplaced.len(), 1);
    assert_eq!(placement.unplaced[0].0, 1);
    assert!(placement.unplaced[0].1.starts_with(
        "it lands on no gateway workload: its selector istio=other selects none of the gateway workloads given: pods labelled app=istio-ingressgateway,istio=ingressgateway"
    ));
}

fn template(kind: &str, ns: &str, name: &str, labels: serde_json::Value) -> PodTemplate {
    PodTemplate::read(
        kind,
        &json!({"metadata": {"name": name, "namespace": ns},
                "spec": {"template": {"metadata": {"labels": labels}}}}),
        Source::default(),
    )
    .unwrap()
}

#[test]
fn deployments_in_the_input_are_the_workloads() {
    let gws = vec![
        gateway("a", "ingressgateway", json!([https443("a.example.com")])),
        istio_gateway("all", json!({}), json!([https443("all.example.com")])),
    ];
    let templates = [
        template(
            "Deployment",
            "istio-system",
            "istio-ingressgateway",
            json!({"app": "istio-ingressgateway", "istio": "ingressgateway"}),
        ),
        template(
            "Deployment",
            "edge",
            "edge-gateway",
            json!({"istio": "edge", "sidecar.istio.io/inject": "true"}),
        ),
        template("Deployment", "web", "shop", json!({"app": "shop"})),
    ];
    let placement = place(&gws, &templates, &[], &[], &Default::default());
    let names: Vec<&str> = placement
        .workloads
        .iter()
        .map(|w| w.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["Deployment istio-system/istio-ingressgateway"],
        "the edge Deployment neither looks like a gateway nor is selected; the app is not one"
    );
    assert_eq!(placement.landing, [vec![0], vec![0]]);
}

#[test]
fn gateway_api_gateways_land_on_their_own_deployment_or_their_service() {
    let own = api_gateway(
        "own",
        json!([{"name": "https", "port": 443, "protocol": "HTTPS",
                "tls": {"certificateRefs": [{"name": "wild"}]}}]),
    );
    let mut shared = api_gateway(
        "shared",
        json!([{"name": "b", "hostname": "b.example.com", "port": 443, "protocol": "HTTPS",
                "tls": {"certificateRefs": [{"name": "wild", "namespace": "istio-system"}]}}]),
    );
    shared.addresses = vec!["istio-ingressgateway.istio-system.svc.cluster.local".into()];
    let gws: Vec<Gateway> = vec![
        own,
        shared,
        gateway("a", "ingressgateway", json!([https443("a.example.com")])),
    ];
    let layout = layout(&gws);
    let listeners = shown(&layout);
    assert_eq!(
        listeners,
        [
            (
                "gateway.networking.k8s.io/gateway-name=own".to_owned(),
                443,
                vec!["ns/own listeners[0] (https)".to_owned()]
            ),
            (
                "app=istio-ingressgateway,istio=ingressgateway".to_owned(),
                443,
                vec![
                    "ns/shared listeners[0] (b)".to_owned(),
                    "ns/a servers[0] (port https)".to_owned()
                ]
            ),
        ]
    );
    assert_eq!(
        layout.listeners[0].envoy_port().unwrap().0,
        443,
        "Istio's own Service keeps the port"
    );
    assert!(
        layout.listeners[1]
            .envoy_port()
            .unwrap_err()
            .to_string()
            .starts_with("the Service in front of istio-system/istio-ingressgateway (app=")
    );
}

#[test]
fn the_service_gives_the_port_envoy_listens_on() {
    let gws = vec![gateway(
        "a",
        "ingressgateway",
        json!([https443("a.example.com")]),
    )];
    let services = [ingress_service()];
    let layout = Layout::new(
        &gws,
        place(&gws, &[], &services, &[], &Default::default()),
        &services,
    );
    assert_eq!(
        layout.listeners[0].envoy_port().unwrap(),
        (
            8443,
            "Service istio-system/istio-ingressgateway maps port 443 to targetPort 8443".to_owned()
        )
    );
}

#[test]
fn every_tls_server_is_a_chain_and_plain_servers_are_not() {
    let mut bound = https(443, "bound", &["c.example.com"], "wild");
    bound["bind"] = json!("10.0.0.1");
    let gws = vec![gateway(
        "a",
        "ingressgateway",
        json!([
            https443("a.example.com"),
            passthrough("tls", &["db.example.com"]),
            {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]},
            https(8443, "alt", &["x.example.com"], "wild"),
            bound
        ]),
    )];
    let layout = layout(&gws);
    let kinds: Vec<(u32, Option<&str>, Vec<ChainKind>)> = layout
        .listeners
        .iter()
        .map(|l| {
            (
                l.port,
                l.bind.as_deref(),
                l.chains.iter().map(|c| c.kind).collect(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            (443, None, vec![ChainKind::Https, ChainKind::Passthrough]),
            (443, Some("10.0.0.1"), vec![ChainKind::Https]),
            (8443, None, vec![ChainKind::Https]),
        ]
    );
}

#[test]
fn another_port_is_named_once_whatever_its_bind_addresses() {
    let mut bound = https(9443, "bound", &["c.example.com"], "wild");
    bound["bind"] = json!("10.0.0.1");
    let gws = vec![gateway(
        "a",
        "ingressgateway",
        json!([
            https443("a.example.com"),
            https(9443, "alt", &["x.example.com"], "wild"),
            bound
        ]),
    )];
    let layout = layout(&gws);
    let on_443 = &layout.listeners[0];
    assert_eq!(on_443.port, 443);
    assert_eq!(layout.other_https_ports(on_443), [9443]);
    assert_eq!(layout.other_https_ports(&layout.listeners[1]), [443]);
}
