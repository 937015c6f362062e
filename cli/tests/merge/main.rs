//! `sni-guard merge` on Gateways shaped like the documents' examples. For each plan: what it
//! merges and rebinds, that every object it applies matches Istio's CRD schema, that the
//! objects as the plan leaves them route every VirtualService exactly as before (checked
//! again here, on the YAML the command printed), and that `audit` of them reports no shared
//! certificate the plan could have merged.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)] // test helpers may fail loudly

#[path = "../common/mod.rs"]
mod common;
mod safety;

use common::{TempDir, documents, fixture_text, flat, istiod, sni_guard};
use serde_json::{Value, json};
use sni_guard_cli::input::Input;
use sni_guard_cli::merge::served::{Pods, served};
use sni_guard_cli::merge::state::State;
use sni_guard_harness::checks::crds;

/// `merge --format json` on a fixture: the exit code and the plan.
fn plan(fixture: &str) -> (i32, Value) {
    let out = sni_guard(&["merge", "--format", "json", fixture]);
    assert!(out.code < 2, "{fixture}: {}", out.stderr);
    (out.code, out.json())
}

fn key(v: &Value) -> (String, String, String) {
    let s = |p: &str| {
        v.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("default")
            .to_owned()
    };
    (s("/kind"), s("/metadata/namespace"), s("/metadata/name"))
}

/// The fixture's objects as the plan leaves them: applied objects in place of the originals,
/// deleted Gateways gone (what `kubectl apply` and the printed `kubectl delete` do).
fn applied(fixture: &str, plan: &Value) -> String {
    let apply = plan["apply"].as_array().unwrap();
    let deleted: Vec<(String, String, String)> = plan["delete"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                "Gateway".to_owned(),
                d["namespace"].as_str().unwrap().to_owned(),
                d["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut out = String::new();
    for doc in documents(&fixture_text(fixture)) {
        if deleted.contains(&key(&doc)) {
            continue;
        }
        let doc = apply
            .iter()
            .find(|a| key(a) == key(&doc))
            .cloned()
            .unwrap_or(doc);
        out.push_str("---\n");
        out.push_str(&yaml_serde::to_string(&doc).unwrap());
    }
    out
}

/// Where each VirtualService is served, by `namespace/name`.
fn routing(text: &str) -> Vec<(String, Vec<String>)> {
    let mut input = Input::default();
    input.add("t.yaml", text.as_bytes()).unwrap();
    let state = State::new(&input.gateways.items, &input.virtual_services.items);
    let pods = Pods {
        templates: &[],
        services: &[],
        flags: &[],
    };
    let sets = served(&state, &pods).unwrap();
    let mut out: Vec<(String, Vec<String>)> = input
        .virtual_services
        .items
        .iter()
        .zip(sets)
        .map(|(vs, set)| {
            (
                format!("{}/{}", vs.namespace, vs.name),
                set.iter().map(|e| format!("{e:?}")).collect(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Every step as the cluster takes it, one object at a time (`kubectl apply` sends the plan's
/// objects one by one, then each delete): istiod serves every TLS host it served before.
pub(crate) fn steps_keep_hosts_served(text: &str, plan: &Value) {
    let mut objects = documents(text);
    let before = istiod::served(&objects);
    let check = |objects: &[Value], step: &str| {
        let now = istiod::served(objects);
        let dark: Vec<_> = before.difference(&now).collect();
        assert!(
            dark.is_empty(),
            "after {step}, istiod no longer serves {dark:?}"
        );
    };
    for object in plan["apply"].as_array().unwrap() {
        match objects.iter_mut().find(|o| key(o) == key(object)) {
            Some(o) => *o = object.clone(),
            None => objects.push(object.clone()),
        }
        check(&objects, &format!("applying {:?}", key(object)));
    }
    for d in plan["delete"].as_array().unwrap() {
        let gone = (
            "Gateway".to_owned(),
            d["namespace"].as_str().unwrap().to_owned(),
            d["name"].as_str().unwrap().to_owned(),
        );
        objects.retain(|o| key(o) != gone);
        check(&objects, &format!("deleting {gone:?}"));
    }
}

/// The checks every plan passes; returns the objects as the plan leaves them.
fn checked(fixture: &str, plan: &Value) -> String {
    steps_keep_hosts_served(&fixture_text(fixture), plan);
    let after = applied(fixture, plan);
    assert_eq!(
        routing(&fixture_text(fixture)),
        routing(&after),
        "{fixture}: routing changed"
    );
    let dir = TempDir::new("merge-after");
    let file = dir.write("after.yaml", &after);
    let audit = sni_guard(&["audit", "--format", "json", &file]).json();
    let shared = audit["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "shared_credential")
        .count();
    assert_eq!(
        shared,
        plan["not_merged"].as_array().unwrap().len(),
        "{fixture}: a shared certificate left that the plan did not report: {audit}"
    );
    let again = sni_guard(&["merge", "--format", "json", &file]).json();
    assert_eq!(
        again["merged"],
        json!([]),
        "{fixture}: the plan's result merges further"
    );
    if let Some(crds) = crds::istio(&format!("{fixture}: the plan's objects against the CRDs")) {
        for object in plan["apply"].as_array().unwrap() {
            let kind = object["kind"].as_str().unwrap();
            assert!(
                ["Gateway", "VirtualService"].contains(&kind),
                "{fixture}: the plan applies a {kind}"
            );
            assert_eq!(
                crds.check(object).problems,
                Vec::<String>::new(),
                "{fixture}: {object}"
            );
        }
    }
    after
}

#[test]
fn two_gateways_in_istio_system_become_the_older_one() {
    let fixture = "merge/istio-system.yaml";
    let (code, plan) = plan(fixture);
    assert_eq!(code, 0);
    assert_eq!(
        plan["delete"],
        json!([{"kind": "Gateway", "apiVersion": "networking.istio.io/v1", "namespace": "istio-system", "name": "httpbin-gateway"}])
    );
    assert_eq!(
        plan["merged"][0]["into"],
        "istio-system/bookinfo-gateway servers[0] (port https)"
    );
    assert!(plan["merged"][0]["why"].as_str().unwrap().starts_with(
        "the first of these Gateways in istiod's order (created 2024-03-01T10:00:00Z, the oldest)"
    ));
    let gateway = &plan["apply"][0];
    assert_eq!(
        gateway["spec"]["servers"][0]["hosts"],
        json!(["bookinfo.example.com", "httpbin.example.com"])
    );
    assert_eq!(
        gateway["metadata"],
        json!({"name": "bookinfo-gateway", "namespace": "istio-system"}),
        "server-owned fields dropped"
    );
    let vs = &plan["apply"][1];
    assert_eq!(vs["metadata"]["name"], "httpbin");
    assert_eq!(
        vs["spec"]["gateways"],
        json!(["istio-system/bookinfo-gateway", "mesh"])
    );
    checked(fixture, &plan);
}

#[test]
fn gateways_in_application_namespaces_keep_their_namespace_rules() {
    let fixture = "merge/app-namespaces.yaml";
    let (code, plan) = plan(fixture);
    assert_eq!(code, 0);
    assert_eq!(
        plan["merged"][0]["into"],
        "shop/shop-gw servers[1] (port https)"
    );
    assert_eq!(plan["delete"][0]["name"], "blog-gw");
    let shop = plan["apply"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["metadata"]["name"] == "shop-gw")
        .unwrap();
    assert_eq!(
        shop["spec"]["servers"][1]["hosts"],
        json!(["./shop.example.com", "blog/blog.example.com"]),
        "blog's ./ host keeps meaning blog's namespace"
    );
    assert_eq!(
        shop["spec"]["servers"][0]["port"]["number"], 80,
        "the redirect server stays"
    );
    let blog = plan["apply"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "VirtualService")
        .unwrap();
    assert_eq!(blog["spec"]["gateways"], json!(["shop/shop-gw"]));
    assert_eq!(
        blog["spec"]["http"][0]["match"][0]["gateways"],
        json!(["shop/shop-gw"]),
        "route matches too"
    );
    checked(fixture, &plan);
}

#[test]
fn a_mutual_server_is_never_merged_with_simple_ones() {
    let fixture = "merge/mutual.yaml";
    let (code, plan) = plan(fixture);
    assert_eq!(code, 1, "some servers sharing the certificate stay apart");
    assert_eq!(plan["merged"].as_array().unwrap().len(), 1);
    assert_eq!(
        plan["merged"][0]["moved"],
        json!(["istio-system/public servers[1] (port https-api)"])
    );
    let not = &plan["not_merged"][0];
    assert!(
        not["why"]
            .as_str()
            .unwrap()
            .starts_with("their TLS settings differ (tls.mode: MUTUAL / SIMPLE)"),
        "{not}"
    );
    assert!(
        not["servers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "istio-system/admin servers[0] (port https-admin)")
    );
    assert!(
        plan["apply"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["metadata"]["name"] != "admin")
    );
    checked(fixture, &plan);
}

#[test]
fn an_http_redirect_and_a_passthrough_server_keep_serving() {
    let fixture = "merge/redirect-and-passthrough.yaml";
    let (code, plan) = plan(fixture);
    assert_eq!(code, 0);
    assert_eq!(plan["delete"], json!([]), "gw-b keeps its port 80 server");
    let gw_b = plan["apply"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["metadata"]["name"] == "gw-b")
        .unwrap();
    assert_eq!(gw_b["spec"]["servers"].as_array().unwrap().len(), 1);
    assert_eq!(
        gw_b["spec"]["servers"][0]["tls"],
        json!({"httpsRedirect": true})
    );
    let vs_b = plan["apply"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["metadata"]["name"] == "b")
        .unwrap();
    assert_eq!(
        vs_b["spec"]["gateways"],
        json!(["istio-system/gw-b", "istio-system/gw-a"])
    );
    assert!(
        plan["apply"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["metadata"]["name"] != "db"),
        "the TLS route is untouched"
    );
    let after = checked(fixture, &plan);
    assert!(after.contains("mode: PASSTHROUGH"));
}

#[test]
fn a_merge_that_would_change_routing_is_not_planned() {
    let fixture = "merge/routing-would-change.yaml";
    let (code, plan) = plan(fixture);
    assert_eq!(code, 1);
    assert_eq!(plan["apply"], json!([]));
    assert!(plan["not_merged"][0]["why"].as_str().unwrap().contains(
        "VirtualService web/a would also serve b.example.com on port 443 (SIMPLE credentialName \"wildcard-example-com\")"
    ));
    checked(fixture, &plan);
}

#[test]
fn the_human_form_is_a_yaml_stream_and_a_summary() {
    let out = sni_guard(&["merge", "merge/istio-system.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let objects = documents(&out.stdout);
    assert_eq!(objects.len(), 2);
    assert!(out.stdout.starts_with(
        "---\n# Gateway istio-system/bookinfo-gateway, as the merge plan leaves it\n"
    ));
    let summary = flat(&out.stderr);
    assert!(summary.contains("MERGED: credentialName \"wildcard-example-com\" on workload istio-system/istio-ingressgateway (assumed), port 443: istio-system/httpbin-gateway servers[0] (port https) into istio-system/bookinfo-gateway servers[0] (port https)"), "{}", out.stderr);
    assert!(summary.contains("REBOUND: VirtualService httpbin/httpbin: istio-system/httpbin-gateway -> istio-system/bookinfo-gateway"));
    assert!(out.stderr.contains("  kubectl apply -f PLAN.yaml\n  kubectl delete gateways.networking.istio.io -n istio-system httpbin-gateway\n"));
    let nothing = sni_guard(&["merge", "merged-gateway.yaml"]);
    assert_eq!((nothing.code, nothing.stdout.as_str()), (0, ""));
    assert!(
        nothing.stderr.ends_with("Nothing to merge.\n"),
        "{}",
        nothing.stderr
    );
}

#[test]
fn servers_of_gateways_without_creation_times_are_not_moved() {
    // Which of gw-a and gw-b istiod serves between the apply and the delete depends on their
    // creation times: the plan asks for them instead of guessing by name.
    let fixture = "two-gateways-shared-wildcard.yaml";
    let (code, plan) = plan(fixture);
    assert_eq!(code, 1);
    assert_eq!((&plan["apply"], &plan["delete"]), (&json!([]), &json!([])));
    let why = plan["not_merged"][0]["why"].as_str().unwrap();
    assert!(why.starts_with("the input has no metadata.creationTimestamp (RFC 3339) for istio-system/gw-a, istio-system/gw-b:"), "{why}");
    assert!(why.contains("kubectl get gateway -n istio-system gw-a -o yaml; kubectl get gateway -n istio-system gw-b -o yaml"), "{why}");
    checked(fixture, &plan);
}

#[test]
fn gateway_api_listeners_are_left_to_sni_guard() {
    let (code, plan) = plan("gateway-api-conformance.yaml");
    assert_eq!(code, 1);
    assert_eq!(plan["apply"], json!([]));
    assert!(plan["not_merged"][0]["why"].as_str().unwrap().starts_with(
        "gateway-conformance-infra/same-namespace-with-https-listener is a Gateway API Gateway"
    ));
}
