use super::choose::{settings_differ, target};
use super::served::{Pods, differences, served};
use super::state::{ServerId, State, server_id};
use crate::error::MergeError;
use crate::model::fixtures::{gateway, https};
use crate::model::gateway::{ChainKind, Gateway};
use crate::model::kube::Resource;
use crate::model::layout::ChainRef;
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

/// The chains of these servers (by Gateway and server index).
fn chains<'g>(gws: &'g [Gateway], ids: &[ServerId]) -> Vec<ChainRef<'g>> {
    ids.iter()
        .map(|&(g, s)| ChainRef {
            gateway: &gws[g],
            gateway_index: g,
            server: gws[g]
                .servers
                .iter()
                .find(|server| server.index == s)
                .unwrap(),
            kind: ChainKind::Https,
        })
        .collect()
}

/// [`target`] of these servers, as a server id.
fn pick(gws: &[Gateway], ids: &[ServerId]) -> Result<(ServerId, String), MergeError> {
    target(&chains(gws, ids)).map(|(chain, why)| (server_id(&chain), why))
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

fn in_ns(mut gw: Gateway, namespace: &str) -> Gateway {
    gw.namespace = namespace.to_owned();
    gw.raw["metadata"]["namespace"] = json!(namespace);
    gw
}

fn three() -> Vec<Gateway> {
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
    vec![a, b, c]
}

#[test]
fn the_target_is_the_first_in_istiods_order() {
    let ids = [(0, 0), (1, 0), (1, 1), (2, 0)];
    let [a, b, c] = <[Gateway; 3]>::try_from(three()).unwrap();
    // The oldest wins even when another holds more servers: istiod serves the oldest's.
    let gws = vec![
        dated(a.clone(), "2024-01-01T00:00:00Z"),
        dated(b.clone(), "2024-06-01T00:00:00Z"),
        dated(c.clone(), "2026-01-01T00:00:00Z"),
    ];
    let (server, why) = pick(&gws, &ids).unwrap();
    assert_eq!(server, (0, 0));
    assert!(
        why.starts_with("the first of these Gateways in istiod's order (created 2024-01-01T00:00:00Z, the oldest)"),
        "{why}"
    );
    // Times are instants: an offset does not sort as text does.
    let gws = vec![
        dated(a.clone(), "2024-01-01T02:00:00+03:00"),
        dated(b.clone(), "2024-01-01T00:00:00Z"),
        dated(c.clone(), "2026-01-01T00:00:00Z"),
    ];
    assert_eq!(pick(&gws, &ids).unwrap().0, (0, 0), "23:00 the day before");
    // Servers all in one Gateway need no creation time.
    let (server, why) = pick(&three(), &[(1, 0), (1, 1)]).unwrap();
    assert_eq!(
        (server, why.as_str()),
        ((1, 0), "the servers are all in it")
    );
}

#[test]
fn equal_creation_times_are_ordered_by_name_then_namespace_as_istiod_does() {
    // configCompareByCreationTime: time, then name, then namespace. By namespace/name,
    // team-a/zeta would come first; istiod takes team-z/alpha.
    let same = "2024-03-01T10:00:00Z";
    let zeta = in_ns(
        gateway(
            "zeta",
            "ig",
            json!([https(443, "https", &["a.example.com"], "w")]),
        ),
        "team-a",
    );
    let alpha = in_ns(
        gateway(
            "alpha",
            "ig",
            json!([https(443, "https", &["b.example.com"], "w")]),
        ),
        "team-z",
    );
    let gws = vec![dated(zeta.clone(), same), dated(alpha.clone(), same)];
    let (server, why) = pick(&gws, &[(0, 0), (1, 0)]).unwrap();
    assert_eq!(server, (1, 0), "{why}");
    assert!(why.contains("the same second as another of them: istiod then takes the first by name, then namespace"), "{why}");
    // The same name in two namespaces: the namespace decides.
    let other = in_ns(alpha.clone(), "team-b");
    let gws = vec![dated(alpha, same), dated(other, same)];
    assert_eq!(pick(&gws, &[(0, 0), (1, 0)]).unwrap().0, (1, 0));
}

#[test]
fn without_creation_times_servers_do_not_move_between_gateways() {
    let [a, b, c] = <[Gateway; 3]>::try_from(three()).unwrap();
    let gws = vec![dated(a, "2024-01-01T00:00:00Z"), b, c];
    let why = pick(&gws, &[(0, 0), (1, 0), (2, 0)])
        .unwrap_err()
        .to_string();
    assert!(
        why.starts_with("the input has no metadata.creationTimestamp (RFC 3339) for ns/b, ns/c:"),
        "{why}"
    );
    assert!(
        why.ends_with("(kubectl get gateway -n ns b -o yaml; kubectl get gateway -n ns c -o yaml)"),
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
        settings_differ(&chains(&gws, &[(0, 0), (0, 1)])).unwrap(),
        "tls.minProtocolVersion: (unset) / TLSV1_3; tls.mode: MUTUAL / SIMPLE"
    );
    assert_eq!(settings_differ(&chains(&gws, &[(0, 0)])), None);
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
        state.gateways[0].raw()["spec"]["servers"][0]["hosts"],
        json!([
            "./a.example.com",
            "ns/b.example.com",
            "shared/s.example.com",
            "c.example.com"
        ])
    );
    assert!(state.gateways[1].deleted);
    assert!(state.gateways[0].changed() && state.gateways[1].changed());
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

fn merged() -> super::Merged {
    super::Merged {
        listener: "workload istio-system/ig, port 443".into(),
        credentials: vec!["credentialName \"w\"".into()],
        into: "ns/a servers[0] (port https)".into(),
        why: "the servers are all in it".into(),
        moved: vec!["ns/a servers[1] (port https)".into()],
    }
}

#[test]
fn a_plan_that_changes_nothing_prints_no_instructions() {
    let plan = super::Plan {
        merged: vec![merged()],
        checked: 2,
        ..Default::default()
    };
    let text = super::output::summary(&plan);
    assert!(!text.contains("kubectl"), "{text}");
    assert!(!text.contains("Routing checked"), "{text}");
    assert!(
        text.ends_with("Nothing to apply or delete: the plan changes no object.\n"),
        "{text}"
    );
}

#[test]
fn zero_virtual_services_are_never_called_checked() {
    let plan = super::Plan {
        merged: vec![merged()],
        apply: vec![json!({"kind": "Gateway", "metadata": {"name": "a", "namespace": "ns"}})],
        ..Default::default()
    };
    let text = super::output::summary(&plan);
    assert!(!text.contains("Routing checked"), "{text}");
    assert!(text.contains("Routing not checked: the input holds no VirtualService; only servers within one Gateway are merged"), "{text}");
    let one = super::Plan { checked: 1, ..plan };
    assert!(super::output::summary(&one).contains("Routing checked for the 1 VirtualService in the input, and only it: it is served on the same"));
}
