//! What a plan must never do: move servers it cannot rebind, print objects without their
//! namespace, order steps so that istiod drops a server, or print instructions for nothing.

use super::common::{TempDir, documents, fixture_text, flat, sni_guard};
use super::{checked, plan};
use serde_json::{Value, json};

/// The fixture's documents of `kind`, as one YAML stream in a temporary file.
fn only(dir: &TempDir, fixture: &str, kind: &str) -> String {
    let mut text = String::new();
    for doc in documents(&fixture_text(fixture)) {
        if doc["kind"] == kind {
            text.push_str("---\n");
            text.push_str(&yaml_serde::to_string(&doc).unwrap());
        }
    }
    dir.write("input.yaml", &text)
}

#[test]
fn without_virtual_services_no_server_moves_between_gateways() {
    let dir = TempDir::new("merge-no-vs");
    let gateways = only(&dir, "merge/istio-system.yaml", "Gateway");
    let out = sni_guard(&["merge", "--format", "json", &gateways]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let plan = out.json();
    assert_eq!((&plan["apply"], &plan["delete"]), (&json!([]), &json!([])));
    let why = plan["not_merged"][0]["why"].as_str().unwrap();
    assert!(
        why.starts_with("the input holds no VirtualService"),
        "{why}"
    );
    assert!(
        why.contains(
            "add them (kubectl get virtualservices -A -o yaml), or pass --no-virtual-services"
        ),
        "{why}"
    );
    let human = sni_guard(&["merge", &gateways]);
    assert_eq!((human.code, human.stdout.as_str()), (1, ""));
    assert!(
        !human.stderr.contains("Routing checked"),
        "{}",
        human.stderr
    );
    assert!(!human.stderr.contains("kubectl apply"), "{}", human.stderr);
}

#[test]
fn no_virtual_services_is_said_explicitly_and_never_called_a_check() {
    let dir = TempDir::new("merge-no-vs-flag");
    let gateways = only(&dir, "merge/istio-system.yaml", "Gateway");
    let out = sni_guard(&["merge", "--no-virtual-services", &gateways]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!out.stderr.contains("Routing checked"), "{}", out.stderr);
    assert!(out.stderr.contains("Routing not checked: the input holds no VirtualService, and --no-virtual-services says none is bound to these Gateways.\n"), "{}", out.stderr);
    assert!(out.stderr.contains(
        "  kubectl apply -f PLAN.yaml\n  kubectl delete gateways.networking.istio.io -n istio-system httpbin-gateway\n"
    ));
    // With VirtualServices: how many were checked, and that only those were.
    let with = sni_guard(&["merge", "merge/istio-system.yaml"]);
    assert!(flat(&with.stderr).contains("Routing checked for the 2 VirtualServices in the input, and only those: each is served on the same"), "{}", with.stderr);
}

#[test]
fn a_failure_prints_a_json_error_on_stdout_too() {
    // The flag contradicts the input: exit 2, the message on stderr and as JSON on stdout.
    let out = sni_guard(&[
        "merge",
        "--format",
        "json",
        "--no-virtual-services",
        "merge/istio-system.yaml",
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    let message = out.json()["error"].as_str().unwrap().to_owned();
    assert!(message.starts_with("--no-virtual-services says no VirtualService is bound to these Gateways, but the input holds 2 (bookinfo/bookinfo, httpbin/httpbin)"), "{message}");
    assert!(
        out.stderr
            .ends_with(&format!("\nsni-guard: error: {message}\n")),
        "{}",
        out.stderr
    );
    assert_eq!(out.json().as_object().unwrap().len(), 1, "only the error");
    let human = sni_guard(&["merge", "--no-virtual-services", "merge/istio-system.yaml"]);
    assert_eq!((human.code, human.stdout.as_str()), (2, ""));
}

#[test]
fn every_object_names_its_namespace() {
    let fixture = "merge/no-namespace.yaml";
    let (code, plan) = plan(fixture);
    assert_eq!(code, 0);
    let apply = plan["apply"].as_array().unwrap();
    assert_eq!(apply.len(), 2, "the Gateway and the VirtualService");
    for object in apply {
        assert_eq!(object["metadata"]["namespace"], "default", "{object}");
    }
    assert_eq!(
        plan["delete"],
        json!([{"kind": "Gateway", "apiVersion": "networking.istio.io/v1beta1", "namespace": "default", "name": "blog-gateway"}]),
        "the version the input used"
    );
    let vs = apply
        .iter()
        .find(|o| o["kind"] == "VirtualService")
        .unwrap();
    assert_eq!(vs["spec"]["gateways"], json!(["default/shop-gateway"]));
    checked(fixture, &plan);
    let human = sni_guard(&["merge", fixture]);
    let printed = documents(&human.stdout);
    assert_eq!(printed.len(), 2);
    assert!(
        printed
            .iter()
            .all(|o| o["metadata"]["namespace"] == "default"),
        "{}",
        human.stdout
    );
    assert!(
        human
            .stderr
            .contains("  kubectl delete gateways.networking.istio.io -n default blog-gateway\n"),
        "{}",
        human.stderr
    );
}

#[test]
fn the_target_is_applied_before_a_gateway_that_loses_servers() {
    // gw-b, listed first, keeps its port 80 server: applied before gw-a has b.example.com,
    // it would leave b.example.com unserved (checked() applies the objects one by one).
    let fixture = "merge/redirect-and-passthrough.yaml";
    let mut docs = documents(&fixture_text(fixture));
    docs.swap(0, 1);
    let text: String = docs
        .iter()
        .map(|d| format!("---\n{}", yaml_serde::to_string(d).unwrap()))
        .collect();
    let dir = TempDir::new("merge-order");
    let file = dir.write("reordered.yaml", &text);
    let out = sni_guard(&["merge", "--format", "json", &file]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let plan: Value = out.json();
    let names: Vec<&str> = plan["apply"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gw-a", "gw-b", "b"]);
    super::steps_keep_hosts_served(&text, &plan);
}

#[test]
fn a_server_istiod_drops_is_not_merged_and_no_command_is_printed() {
    // gw-b lists only a host gw-a (older) already has: istiod drops gw-b's server (the audit's
    // duplicate_host), so there is one filter chain and nothing to merge or apply.
    let server = json!({"port": {"number": 443, "name": "https", "protocol": "HTTPS"},
        "hosts": ["a.example.com"], "tls": {"mode": "SIMPLE", "credentialName": "wildcard"}});
    let gateway = |name: &str, created: &str| {
        json!({"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
        "metadata": {"name": name, "namespace": "istio-system", "creationTimestamp": created},
        "spec": {"selector": {"istio": "ingressgateway"}, "servers": [server]}})
    };
    let text = format!(
        "---\n{}---\n{}",
        yaml_serde::to_string(&gateway("gw-a", "2024-01-01T00:00:00Z")).unwrap(),
        yaml_serde::to_string(&gateway("gw-b", "2024-02-01T00:00:00Z")).unwrap()
    );
    let dir = TempDir::new("merge-nothing-to-apply");
    let file = dir.write("dup.yaml", &text);
    let out = sni_guard(&["merge", "--no-virtual-services", &file]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{}", out.stderr);
    assert!(!out.stderr.contains("kubectl"), "{}", out.stderr);
    assert!(
        out.stderr.ends_with("Nothing to merge.\n"),
        "{}",
        out.stderr
    );
}
