//! `sni-guard plugin-config --wasmplugin`: the WasmPlugin manifest it prints (selector or
//! targetRefs, URL, fail strategy, port match), one per workload; and `--check`, the drift
//! between a live WasmPlugin and the Gateways.

mod common;

use common::{TempDir, fixture_text, sni_guard, without_notes};
use serde_json::{Value, json};

#[test]
fn wasmplugin_manifest() {
    let out = sni_guard(&[
        "plugin-config",
        "--wasmplugin",
        "two-gateways-shared-wildcard.yaml",
    ]);
    assert_eq!(
        out.code, 2,
        "the placeholder URL is refused unless asked for"
    );
    assert!(without_notes(&out.stderr).starts_with("sni-guard: error: --wasmplugin needs --url"));
    let out = sni_guard(&[
        "plugin-config",
        "--wasmplugin",
        "--placeholder-url",
        "two-gateways-shared-wildcard.yaml",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let manifest: Value = yaml_serde::from_str(&out.stdout).expect("YAML");
    assert_eq!(
        manifest,
        json!({
            "apiVersion": "extensions.istio.io/v1alpha1",
            "kind": "WasmPlugin",
            "metadata": {"name": "sni-guard-ingressgateway-443", "namespace": "istio-system"},
            "spec": {
                "selector": {"matchLabels": {"istio": "ingressgateway"}},
                "url": "oci://registry.example.com/sni-guard:0.1.0",
                "imagePullPolicy": "IfNotPresent",
                "pluginName": "sni-guard",
                "type": "HTTP",
                "phase": "AUTHN",
                "priority": 1000,
                "failStrategy": "FAIL_OPEN",
                "pluginConfig": {"mode": "strict", "servers": [
                    {"name": "istio-system/gw-a/https", "hosts": ["a.example.com"]},
                    {"name": "istio-system/gw-b/https", "hosts": ["b.example.com"]}]}
            }
        })
    );
    assert!(out.stderr.contains("sni-guard: note: no port match in the WasmPlugin: the Service in front of istio-system/istio-ingressgateway"), "{}", out.stderr);
    // With the gateway's Service, the port match is the port Envoy listens on.
    let url = "oci://ghcr.io/example/sni-guard:0.1.0";
    let out = sni_guard(&[
        "plugin-config",
        "--wasmplugin",
        "--url",
        url,
        "--fail-strategy",
        "FAIL_CLOSE",
        "two-gateways-shared-wildcard.yaml",
        "ingress-service.yaml",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let manifest: Value = yaml_serde::from_str(&out.stdout).expect("YAML");
    assert_eq!(manifest["spec"]["url"], url);
    assert_eq!(manifest["spec"]["failStrategy"], "FAIL_CLOSE");
    assert_eq!(
        manifest["spec"]["match"],
        json!([{"ports": [{"number": 8443}]}])
    );
}

#[test]
fn two_workloads_get_two_wasmplugins() {
    let names: Vec<String> = ["istio=ingressgateway", "istio=internal-gateway"]
        .iter()
        .map(|selector| {
            let out = sni_guard(&[
                "plugin-config",
                "--wasmplugin",
                "--placeholder-url",
                "--selector",
                selector,
                "different-workloads.yaml",
            ]);
            assert_eq!(out.code, 0, "{}", out.stderr);
            let manifest: Value = yaml_serde::from_str(&out.stdout).unwrap();
            manifest["metadata"]["name"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        names,
        [
            "sni-guard-ingressgateway-443",
            "sni-guard-internal-gateway-443"
        ]
    );
}

#[test]
fn gateway_api_gateway_table_and_targetrefs() {
    let gw = "gateway-conformance-infra/same-namespace-with-https-listener";
    let out = sni_guard(&[
        "plugin-config",
        "--gateway",
        gw,
        "gateway-api-conformance.yaml",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let prefix = "gateway-conformance-infra/same-namespace-with-https-listener";
    assert_eq!(
        out.json()["servers"],
        json!([
            {"name": format!("{prefix}/https"), "hosts": ["*"]},
            {"name": format!("{prefix}/https-with-hostname"), "hosts": ["second-example.org"]},
            {"name": format!("{prefix}/https-with-wildcard-hostname"), "hosts": ["*.wildcard.org"]},
            {"name": format!("{prefix}/https-with-hostname-matching-wildcard"), "hosts": ["fourth-example.wildcard.org"]}])
    );
    let out = sni_guard(&[
        "plugin-config",
        "--wasmplugin",
        "--placeholder-url",
        "--gateway",
        gw,
        "gateway-api-conformance.yaml",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let manifest: Value = yaml_serde::from_str(&out.stdout).unwrap();
    assert_eq!(
        manifest["metadata"],
        json!({"name": "sni-guard-same-namespace-with-https-listener", "namespace": "gateway-conformance-infra"})
    );
    assert_eq!(
        manifest["spec"]["targetRefs"],
        json!([{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "same-namespace-with-https-listener"}])
    );
    assert_eq!(
        manifest["spec"]["match"],
        json!([{"ports": [{"number": 443}]}])
    );
}

#[test]
fn drift_check() {
    let dir = TempDir::new("drift");
    let out = sni_guard(&[
        "plugin-config",
        "--wasmplugin",
        "--url",
        "oci://ghcr.io/example/sni-guard:1",
        "two-gateways-shared-wildcard.yaml",
        "ingress-service.yaml",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let live = dir.write("live.yaml", &out.stdout);
    let same = sni_guard(&[
        "plugin-config",
        "--check",
        &live,
        "two-gateways-shared-wildcard.yaml",
        "ingress-service.yaml",
    ]);
    assert_eq!(same.code, 0, "{}", same.stderr);
    assert_eq!(same.stdout, "");
    assert!(same.stderr.contains("sni-guard: no drift: WasmPlugin istio-system/sni-guard-ingressgateway-443 matches the Gateways"), "{}", same.stderr);
    // A third Gateway on the port since the table was made.
    let more = format!(
        "{}\n---\n{}",
        fixture_text("two-gateways-shared-wildcard.yaml"),
        "apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw-c, namespace: istio-system}\nspec:\n  selector: {istio: ingressgateway}\n  servers:\n  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: [c.example.com]\n    tls: {mode: SIMPLE, credentialName: wildcard-example-com}\n"
    );
    let now = dir.write("now.yaml", &more);
    let drift = sni_guard(&[
        "plugin-config",
        "--check",
        &live,
        &now,
        "ingress-service.yaml",
    ]);
    assert_eq!(drift.code, 1, "{}", drift.stderr);
    assert_eq!(
        drift.stdout,
        "DRIFT: WasmPlugin istio-system/sni-guard-ingressgateway-443 differs from the Gateways on workload istio-system/istio-ingressgateway (assumed), port 443:\n  + server istio-system/gw-c/https  hosts: c.example.com  (in the Gateways, not in the WasmPlugin)\nRegenerate it: sni-guard plugin-config --selector istio=ingressgateway --port 443 --wasmplugin --url URL FILE... | kubectl apply -f -\n"
    );
    let not_a_plugin = sni_guard(&[
        "plugin-config",
        "--check",
        "merged-gateway.yaml",
        "merged-gateway.yaml",
    ]);
    assert_eq!(not_a_plugin.code, 2);
    assert!(
        not_a_plugin.stderr.contains("merged-gateway.yaml: no WasmPlugin (extensions.istio.io) or EnvoyExtensionPolicy (gateway.envoyproxy.io) in it; found: 1 networking.istio.io/v1 Gateway"),
        "{}",
        not_a_plugin.stderr
    );
}
