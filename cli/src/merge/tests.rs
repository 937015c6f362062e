use super::choose::{settings_differ, target};
use super::served::{differences, served, Pods};
use super::state::State;
use crate::input::Resource;
use crate::model::fixtures::{gateway, https};
use crate::model::gateway::Gateway;
use serde_json::json;

fn vs(namespace: &str, name: &str, hosts: &[&str], gateways: &[&str]) -> Resource {
    Resource {
        namespace: namespace.to_owned(),
        name: name.to_owned(),
        value: json!({"metadata": {"name": name, "namespace": namespace},
                      "spec": {"hosts": hosts, "gateways": gateways}}),
        source: Default::default(),
    }
}

const NO_PODS: Pods<'static> = Pods {
    templates: &[],
    services: &[],
    flags: &[],
};

fn dated(mut gw: Gateway, created: &str) -> Gateway {
    gw.raw["metadata"]["creationTimestamp"] = json!(created);
    gw
}

#[test]
fn the_target_is_the_oldest_then_the_fullest_then_the_one_that_stays() {
    let a = gateway(
        "a",
        "ig",
        json!([https(443, "https", &["a.example.com"], "w")]),
    );
    let b = gateway(
        "b",
        "ig",
        json!([
            https(443, "x", &["b.example.com"], "w"),
            https(443, "y", &["c.example.com"], "w")
        ]),
    );
    let c = gateway(
        "c",
        "ig",
        json!([https(443, "https", &["d.example.com"], "w"), {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}]),
    );
    let ids = [(0, 0), (1, 0), (1, 1), (2, 0)];
    let gws = vec![a.clone(), b.clone(), c.clone()];
    let (server, why) = target(&gws, &ids, None);
    assert_eq!(
        (server, why.as_str()),
        ((1, 0), "it holds 2 of the 4 servers")
    );
    // One server each: b and c have other servers (they stay anyway); b is first by name.
    let one_each = [(0, 0), (1, 0), (2, 0)];
    let (server, why) = target(&gws, &one_each, None);
    assert_eq!(server, (1, 0), "{why}");
    assert_eq!(
        why,
        "it has other servers, so it stays anyway while the others can go"
    );
    let gws = vec![
        dated(a, "2025-01-01T00:00:00Z"),
        dated(b, "2024-06-01T00:00:00Z"),
        dated(c, "2026-01-01T00:00:00Z"),
    ];
    let (server, why) = target(&gws, &ids, None);
    assert_eq!(server, (1, 0));
    assert!(
        why.starts_with("the oldest of these Gateways (created 2024-06-01T00:00:00Z)"),
        "{why}"
    );
}

#[test]
fn settings_that_differ_are_named() {
    let mut mutual = https(443, "admin", &["admin.example.com"], "w");
    mutual["tls"]["mode"] = json!("MUTUAL");
    mutual["tls"]["minProtocolVersion"] = json!("TLSV1_3");
    let gws = vec![gateway(
        "a",
        "ig",
        json!([https(443, "https", &["a.example.com"], "w"), mutual]),
    )];
    assert_eq!(
        settings_differ(&gws, &[(0, 0), (0, 1)]).unwrap(),
        "tls.minProtocolVersion: (unset) / TLSV1_3; tls.mode: MUTUAL / SIMPLE"
    );
    assert_eq!(settings_differ(&gws, &[(0, 0)]), None);
}

#[test]
fn moved_hosts_keep_their_namespace_and_an_emptied_gateway_goes() {
    let mut a = gateway(
        "a",
        "ig",
        json!([https(443, "https", &["./a.example.com"], "w")]),
    );
    a.namespace = "team-a".into();
    let b = gateway(
        "b",
        "ig",
        json!([https(
            443,
            "https",
            &["./b.example.com", "shared/s.example.com", "c.example.com"],
            "w"
        )]),
    );
    let gws = vec![a, b];
    let mut state = State::new(&gws, &[]);
    state.merge((0, 0), &[(1, 0)]);
    assert_eq!(
        state.raw(0)["spec"]["servers"][0]["hosts"],
        json!([
            "./a.example.com",
            "ns/b.example.com",
            "shared/s.example.com",
            "c.example.com"
        ])
    );
    assert!(state.gateways[1].deleted);
    assert!(state.changed(0) && state.changed(1));
}

#[test]
fn a_changed_route_is_found() {
    let gws = vec![
        gateway(
            "a",
            "ingressgateway",
            json!([https(443, "https", &["a.example.com"], "w")]),
        ),
        gateway(
            "b",
            "ingressgateway",
            json!([https(443, "https", &["b.example.com"], "w")]),
        ),
    ];
    let vss = vec![
        vs("web", "a", &["a.example.com", "b.example.com"], &["ns/a"]),
        vs("web", "b", &["b.example.com"], &["ns/b"]),
    ];
    let original = State::new(&gws, &vss);
    let before = served(&original, &NO_PODS).unwrap();
    assert_eq!(before[0].len(), 1, "gw a admits a.example.com only");
    // b's server moved into a, with no rebinding: a serves b, and b is served nowhere.
    let mut broken = original.clone();
    broken.merge((0, 0), &[(1, 0)]);
    let after = served(&broken, &NO_PODS).unwrap();
    let found = differences(&broken.virtual_services, &before, &after);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("VirtualService web/a would also serve b.example.com on port 443 (SIMPLE credentialName \"w\")"), "{found:?}");
    assert!(
        found[1].starts_with("VirtualService web/b would no longer serve b.example.com"),
        "{found:?}"
    );
    // With the rebinding, b is served where it was; a still gains b.
    let mut rebound = broken.clone();
    let changes = rebound.rebind(0, &[1], &|_| true);
    assert_eq!(
        changes,
        [("web/b".to_owned(), "ns/b".to_owned(), "ns/a".to_owned())]
    );
    let after = served(&rebound, &NO_PODS).unwrap();
    let found = differences(&rebound.virtual_services, &before, &after);
    assert_eq!(found.len(), 1, "{found:?}");
}

#[test]
fn namespace_restrictions_decide_what_a_virtual_service_is_served_on() {
    let gws = vec![gateway(
        "a",
        "ingressgateway",
        json!([https(
            443,
            "https",
            &[
                "team-a/a.example.com",
                "./n.example.com",
                "*/any.example.com"
            ],
            "w"
        )]),
    )];
    let vss = vec![
        vs(
            "team-a",
            "a",
            &["a.example.com", "n.example.com", "any.example.com"],
            &["ns/a"],
        ),
        vs("ns", "n", &["a.example.com", "n.example.com"], &["a"]),
    ];
    let sets = served(&State::new(&gws, &vss), &NO_PODS).unwrap();
    let hosts = |i: usize| -> Vec<String> { sets[i].iter().map(|e| e.3.clone()).collect() };
    assert_eq!(hosts(0), ["a.example.com", "any.example.com"]);
    assert_eq!(hosts(1), ["n.example.com"]);
}
