use super::*;
use crate::model::gateway::ChainKind;
use serde_json::json;

#[test]
fn listeners_become_servers() {
    let gw = gateway(
        json!({"metadata": {"name": "gw", "namespace": "infra"},
                "spec": {"gatewayClassName": "istio", "listeners": [
            {"name": "https", "port": 443, "protocol": "HTTPS",
             "tls": {"certificateRefs": [{"kind": "Secret", "name": "wild"}]}},
            {"name": "second", "port": 443, "protocol": "HTTPS", "hostname": "second-example.org",
             "tls": {"mode": "Terminate", "certificateRefs": [{"name": "c", "namespace": "certs"}]}},
            {"name": "tls", "port": 443, "protocol": "TLS", "hostname": "db.example.org",
             "tls": {"mode": "Passthrough"}},
            {"name": "http", "port": 80, "protocol": "HTTP"}]}}),
        Source::default(),
    )
    .unwrap()
    .0;
    assert_eq!(gw.api, Api::GatewayApi);
    assert_eq!(gw.class, "istio");
    let s = &gw.servers;
    assert_eq!(s[0].hosts, ["*"]);
    assert_eq!(s[0].chain(), Some(ChainKind::Https));
    assert_eq!(
        s[0].credentials(),
        [Credential::Secret {
            namespace: Some("infra".into()),
            name: "wild".into()
        }]
    );
    assert_eq!(s[1].hosts, ["second-example.org"]);
    assert_eq!(
        s[1].credentials()[0].to_string(),
        "Secret certs/c",
        "a reference into another namespace"
    );
    assert_eq!(s[2].chain(), Some(ChainKind::Passthrough));
    assert_eq!(s[3].chain(), None);
    assert_eq!(s[1].label(), "listeners[1] (second)");
}

#[test]
fn manual_deployment_addresses() {
    let gw = gateway(
        json!({"metadata": {"name": "gw"}, "spec": {"gatewayClassName": "istio",
            "addresses": [{"type": "Hostname", "value": "istio-ingressgateway.istio-system.svc.cluster.local"},
                          {"type": "IPAddress", "value": "10.0.0.1"}],
            "listeners": []}}),
        Source::default(),
    )
    .unwrap()
    .0;
    assert_eq!(
        gw.addresses,
        ["istio-ingressgateway.istio-system.svc.cluster.local"]
    );
}

#[test]
fn a_malformed_listener_leaves_out_itself() {
    let (gw, problems) = gateway(
        json!({"metadata": {"name": "gw"}, "spec": {"gatewayClassName": "istio",
                "listeners": [{"name": "x", "port": "443", "protocol": "HTTPS"},
                              {"name": "y", "port": 443, "protocol": "HTTPS"}]}}),
        Source::default(),
    )
    .unwrap();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0]
            .to_string()
            .starts_with("spec.listeners[0].port: invalid type"),
        "{problems:?}"
    );
    assert_eq!(gw.servers.len(), 1);
    assert_eq!(gw.servers[0].index, 1, "positions kept");
    let err = gateway(
        json!({"metadata": {"name": "gw"}, "spec": {"listeners": []}}),
        Source::default(),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "spec: missing field `gatewayClassName`");
}

#[test]
fn listener_sets_name_their_parent() {
    let (set, problems) = listener_set(
        "ListenerSet",
        json!({"metadata": {"name": "ls", "namespace": "app", "creationTimestamp": "2025-01-01T00:00:00Z"},
               "spec": {"parentRef": {"name": "gw", "namespace": "infra"},
                        "listeners": [{"name": "a", "port": 443, "protocol": "HTTPS", "hostname": "a.example.com",
                                       "tls": {"certificateRefs": [{"name": "a-cert"}]}}]}}),
        Source::default(),
    )
    .unwrap();
    assert!(problems.is_empty());
    assert_eq!(set.title(), "ListenerSet app/ls");
    let of = set.listener_set.as_ref().unwrap();
    assert_eq!(
        (of.parent_namespace.as_str(), of.parent_name.as_str()),
        ("infra", "gw")
    );
    assert_eq!(set.created.as_deref(), Some("2025-01-01T00:00:00Z"));
    assert_eq!(
        set.servers[0].credentials()[0].to_string(),
        "Secret app/a-cert",
        "a certificateRef without a namespace is in the ListenerSet's"
    );
    let (same_ns, _) = listener_set(
        "XListenerSet",
        json!({"metadata": {"name": "ls", "namespace": "app"},
               "spec": {"parentRef": {"name": "gw"}, "listeners": []}}),
        Source::default(),
    )
    .unwrap();
    assert_eq!(same_ns.listener_set.unwrap().parent_namespace, "app");
    let err = listener_set(
        "ListenerSet",
        json!({"metadata": {"name": "ls"}, "spec": {"parentRef": {"name": "x", "kind": "Service", "group": ""}, "listeners": []}}),
        Source::default(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "spec.parentRef: a  Service, not a Gateway API Gateway"
    );
}

#[test]
fn allowed_listeners() {
    let allowed = |extra: Value| {
        let mut spec = json!({"gatewayClassName": "istio", "listeners": []});
        if let (Some(spec), Some(extra)) = (spec.as_object_mut(), extra.as_object()) {
            spec.extend(extra.clone());
        }
        gateway(
            json!({"metadata": {"name": "gw"}, "spec": spec}),
            Source::default(),
        )
        .unwrap()
        .0
        .allowed_listeners
    };
    assert_eq!(allowed(json!({})), AllowedListeners::None);
    assert_eq!(
        allowed(json!({"allowedListeners": {"namespaces": {"from": "Same"}}})),
        AllowedListeners::Same
    );
    assert_eq!(
        allowed(json!({"allowedListeners": {"namespaces": {"from": "All"}}})),
        AllowedListeners::All
    );
    assert_eq!(
        allowed(
            json!({"allowedListeners": {"namespaces": {"from": "Selector", "selector": {"matchLabels": {"a": "b"}}}}})
        ),
        AllowedListeners::Selector(json!({"matchLabels": {"a": "b"}}))
    );
}
