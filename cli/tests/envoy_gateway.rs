//! The CLI on Envoy Gateway's own translator tests (`tests/corpus/envoy-gateway/`, copied
//! from envoyproxy/gateway v1.9.0 `internal/gatewayapi/testdata/`, sources in the corpus
//! README): the listeners on which the audit says Envoy Gateway offers only http/1.1 are
//! exactly those its golden output marks `OverlappingTLSConfig` / `OverlappingCertificates`;
//! and `plugin-config --envoy-gateway` writes resources Envoy Gateway's CRD schemas accept.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)] // test helpers may fail loudly

mod common;

use common::{TempDir, documents, sni_guard};
use serde_json::{Value, json};
use sni_guard_harness::checks::crds;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

const CASES: [&str; 5] = [
    "gateway-with-multiple-https-listeners-with-overlapping-certs",
    "gateway-with-multiple-https-listeners-with-overlapping-hostnames-and-certs",
    "gateway-with-multiple-https-listeners-with-overlapping-hostnames",
    "gateway-with-multiple-https-listeners-with-overlapping-hostnames-and-certs-merged-gateways",
    "gateway-with-multiple-https-listeners-with-overlapping-hostnames-merged-gateways",
];

/// The class Envoy Gateway's translator tests give their Gateways.
const CLASS: &str = "envoy-gateway-class";

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/envoy-gateway")
}

fn read(case: &str, side: &str) -> Value {
    let text = std::fs::read_to_string(corpus().join(format!("{case}.{side}.yaml"))).unwrap();
    yaml_serde::from_str(&text).unwrap()
}

/// A translator test's input as the cluster holds it: each listed resource, the class (with
/// the EnvoyProxy the test gives it, `envoyProxyForGatewayClass`), as YAML documents.
fn cluster(input: &Value) -> Vec<Value> {
    let mut class = json!({"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
        "metadata": {"name": CLASS},
        "spec": {"controllerName": "gateway.envoyproxy.io/gatewayclass-controller"}});
    let mut docs = Vec::new();
    for (key, value) in input.as_object().unwrap() {
        match value {
            Value::Array(items) => docs.extend(items.iter().cloned()),
            Value::Object(_) if key == "envoyProxyForGatewayClass" => {
                class["spec"]["parametersRef"] = json!({"group": "gateway.envoyproxy.io",
                    "kind": "EnvoyProxy", "name": value["metadata"]["name"],
                    "namespace": value["metadata"]["namespace"]});
                docs.push(value.clone());
            }
            other => panic!("{key}: unexpected {other}"),
        }
    }
    docs.insert(0, class);
    docs
}

/// `(gateway, listener)` of each listener the golden output marks as Envoy Gateway's ALPN
/// downgrade.
fn downgraded_by_envoy_gateway(output: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for gw in output["gateways"].as_array().unwrap() {
        let id = format!(
            "{}/{}",
            gw["metadata"]["namespace"].as_str().unwrap(),
            gw["metadata"]["name"].as_str().unwrap()
        );
        for listener in gw["status"]["listeners"].as_array().unwrap() {
            let marked = listener["conditions"].as_array().unwrap().iter().any(|c| {
                c["type"] == "OverlappingTLSConfig" && c["reason"] == "OverlappingCertificates"
            });
            if marked {
                out.insert((id.clone(), listener["name"].as_str().unwrap().to_owned()));
            }
        }
    }
    out
}

fn downgraded_by_the_audit(report: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for conflict in report["conflicts"].as_array().unwrap() {
        if conflict["kind"] != "http2_off" {
            continue;
        }
        for chain in conflict["alpn"].as_array().unwrap() {
            assert_eq!(chain["protocols"], json!(["http/1.1"]));
            let server = &chain["server"];
            out.insert((
                server["gateway"].as_str().unwrap().to_owned(),
                server["port_name"].as_str().unwrap().to_owned(),
            ));
        }
    }
    out
}

fn yaml(docs: &[Value]) -> String {
    docs.iter()
        .map(|d| format!("---\n{}", yaml_serde::to_string(d).unwrap()))
        .collect()
}

#[test]
fn http1_only_where_envoy_gateways_golden_output_says_so() {
    let dir = TempDir::new("eg-golden");
    let gateway_api = crds::gateway_api("http1_only_where_envoy_gateways_golden_output_says_so");
    let mut marked_total = 0;
    for case in CASES {
        let docs = cluster(&read(case, "in"));
        if let Some(crds) = gateway_api {
            for doc in &docs {
                let (v, k) = (
                    doc["apiVersion"].as_str().unwrap(),
                    doc["kind"].as_str().unwrap(),
                );
                if crds.has(v, k) {
                    crds.validate(doc)
                        .unwrap_or_else(|p| panic!("{case}: {k}: {p:?}"));
                }
            }
        }
        let file = dir.write(&format!("{case}.yaml"), &yaml(&docs));
        let out = sni_guard(&["audit", "--format", "json", &file]);
        assert!(out.code == 0 || out.code == 1, "{case}: {}", out.stderr);
        let report = out.json();
        assert_eq!(report["unplaced"], json!([]), "{case}");
        let want = downgraded_by_envoy_gateway(&read(case, "out"));
        let got = downgraded_by_the_audit(&report);
        assert_eq!(got, want, "{case}");
        marked_total += want.len();
        // Every certificate is in the input: nothing about the ALPN is left unknown.
        for line in report["not_known"].as_array().unwrap() {
            let line = line.as_str().unwrap();
            assert!(!line.contains("offers HTTP/2"), "{case}: {line}");
        }
        let merged = case.ends_with("merged-gateways");
        let fleets: BTreeSet<&str> = report["workloads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["name"].as_str().unwrap())
            .collect();
        // One fleet for the class when merged, else one per Gateway.
        let want: BTreeSet<String> = match merged {
            true => BTreeSet::from([
                "Envoy Gateway fleet of GatewayClass envoy-gateway-class (mergeGateways)"
                    .to_owned(),
            ]),
            false => docs
                .iter()
                .filter(|d| d["kind"] == "Gateway")
                .map(|d| {
                    format!(
                        "Envoy Gateway fleet of Gateway {}/{}",
                        d["metadata"]["namespace"].as_str().unwrap(),
                        d["metadata"]["name"].as_str().unwrap()
                    )
                })
                .collect(),
        };
        let fleets: BTreeSet<String> = fleets.into_iter().map(str::to_owned).collect();
        assert_eq!(fleets, want, "{case}");
    }
    // The cases hold both answers: some listeners downgraded, others not.
    assert!(marked_total >= 6, "{marked_total}");
}

/// The resources `plugin-config --envoy-gateway` writes, each valid against its CRD schema
/// (CEL rules included), for a Gateway of one case and for merged Gateways.
#[test]
fn the_resources_for_envoy_gateway_pass_its_crd_schemas() {
    let Some(eg) = crds::envoy_gateway("the_resources_for_envoy_gateway_pass_its_crd_schemas")
    else {
        return;
    };
    let patch = crds::envoy_gateway_more();
    let dir = TempDir::new("eg-resources");
    let cases = [
        (CASES[1], "envoy-gateway/gateway-1", "Gateway"),
        (CASES[3], "envoy-gateway/gateway-1", "GatewayClass"),
    ];
    for (case, gateway, target) in cases {
        let file = dir.write(&format!("{case}.yaml"), &yaml(&cluster(&read(case, "in"))));
        let out = sni_guard(&[
            "plugin-config",
            "--gateway",
            gateway,
            "--envoy-gateway",
            "--url",
            "oci://ghcr.io/example/sni-guard:0.1.0",
            &file,
        ]);
        assert_eq!(out.code, 0, "{case}: {}", out.stderr);
        let docs = documents(&out.stdout);
        let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
        assert_eq!(
            kinds,
            [
                "EnvoyExtensionPolicy",
                "ClientTrafficPolicy",
                "EnvoyPatchPolicy"
            ],
            "{case}"
        );
        for doc in &docs {
            let crds = if doc["kind"] == "EnvoyPatchPolicy" {
                patch
            } else {
                eg
            };
            crds.validate(doc)
                .unwrap_or_else(|p| panic!("{case}: {}: {p:?}\n{}", doc["kind"], out.stdout));
        }
        let extension = &docs[0]["spec"];
        assert_eq!(extension["wasm"][0]["code"]["type"], "Image");
        assert_eq!(
            extension["wasm"][0]["code"]["image"]["url"],
            "ghcr.io/example/sni-guard:0.1.0"
        );
        let servers = extension["wasm"][0]["config"]["servers"]
            .as_array()
            .unwrap();
        assert!(servers.len() >= 2, "{case}");
        assert_eq!(docs[2]["spec"]["targetRef"]["kind"], target, "{case}");
        let patches = docs[2]["spec"]["jsonPatches"].as_array().unwrap();
        assert_eq!(patches[0]["operation"]["path"], "/disabled");
        assert_eq!(patches[0]["operation"]["value"], false);
        // The schemas do refuse what Envoy Gateway would: an Image source without image,
        // a patch operation it does not know, a ClientTrafficPolicy aimed at a route.
        let mut broken = docs[0].clone();
        broken["spec"]["wasm"][0]["code"]["type"] = json!("HTTP");
        assert!(eg.validate(&broken).is_err(), "{case}");
        let mut broken = docs[2].clone();
        broken["spec"]["jsonPatches"][0]["operation"]["op"] = json!("merge");
        assert!(patch.validate(&broken).is_err(), "{case}");
        let mut broken = docs[1].clone();
        broken["spec"]["targetRefs"][0]["kind"] = json!("HTTPRoute");
        assert!(eg.validate(&broken).is_err(), "{case}");
    }
}

/// The cluster the Envoy proof runs (`test-harness/envoy-gateway/cluster.yaml`): every resource
/// valid against its CRD schema, and the audit's account of it the one the Envoy
/// configuration written for it holds (`test-harness/envoy/envoy-gateway.yaml`): the chains
/// and their names, http/1.1 only on both.
#[test]
fn the_proofs_cluster_is_valid_and_its_envoy_file_is_what_the_audit_says() {
    let path = sni_guard_harness::envoy_gateway::cluster_yaml();
    let text = std::fs::read_to_string(&path).unwrap();
    let docs = documents(&text);
    let test = "the_proofs_cluster_is_valid_and_its_envoy_file_is_what_the_audit_says";
    let more = crds::envoy_gateway_more();
    if let Some(gateway_api) = crds::gateway_api(test) {
        for doc in &docs {
            let (v, k) = (
                doc["apiVersion"].as_str().unwrap(),
                doc["kind"].as_str().unwrap(),
            );
            let crds = [gateway_api, more].into_iter().find(|c| c.has(v, k));
            let crds = crds.unwrap_or_else(|| panic!("no CRD for {v} {k}"));
            crds.validate(doc).unwrap_or_else(|p| panic!("{k}: {p:?}"));
        }
    }
    let out = sni_guard(&["audit", "--format", "json", path.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = out.json();
    let conflict = &report["conflicts"][0];
    assert_eq!(conflict["kind"], "http2_off");
    let envoy = sni_guard_harness::envoy_gateway::load().unwrap();
    let envoy: Value = serde_json::to_value(&envoy).unwrap();
    let chains = envoy["static_resources"]["listeners"][0]["filter_chains"]
        .as_array()
        .unwrap();
    let said: Vec<(String, Value)> = conflict["alpn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = &c["server"];
            let name = format!(
                "{}/{}",
                s["gateway"].as_str().unwrap(),
                s["port_name"].as_str().unwrap()
            );
            (name, c["protocols"].clone())
        })
        .collect();
    let built: Vec<(String, Value)> = chains
        .iter()
        .map(|c| {
            let alpn =
                &c["transport_socket"]["typed_config"]["common_tls_context"]["alpn_protocols"];
            (c["name"].as_str().unwrap().to_owned(), alpn.clone())
        })
        .collect();
    assert_eq!(said, built);
    // The listener the EnvoyPatchPolicy names is the file's.
    let out = sni_guard(&[
        "plugin-config",
        "--gateway",
        "default/eg",
        "--envoy-gateway",
        "--placeholder-url",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let patch = documents(&out.stdout)
        .into_iter()
        .find(|d| d["kind"] == "EnvoyPatchPolicy")
        .unwrap();
    assert_eq!(
        patch["spec"]["jsonPatches"][0]["name"],
        envoy["static_resources"]["listeners"][0]["name"]
    );
}

/// Envoy Gateway's own e2e Gateway for misdirected requests (`tests/corpus/eg-e2e-...`, its
/// class a template there): four HTTPS listeners on 443 sharing one Secret. Its e2e test
/// sends HTTP/1.1 and expects 404 where the Gateway API's HTTP/2 test expects 421; the audit
/// says why (http/1.1 only on all four), and plugin-config writes the four sections.
#[test]
fn envoy_gateways_misdirected_request_gateway() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let text = std::fs::read_to_string(
        corpus.join("eg-e2e-httproute-https-listener-detect-misdirected-requests.yaml"),
    )
    .unwrap()
    .replace("{GATEWAY_CLASS_NAME}", "eg");
    let class = "---\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: eg}\nspec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}\n";
    let dir = TempDir::new("eg-e2e");
    let file = dir.write("e2e.yaml", &format!("{text}\n{class}"));
    let out = sni_guard(&["audit", "--format", "json", &file]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report = out.json();
    let off = downgraded_by_the_audit(&report);
    let listeners: BTreeSet<&str> = off.iter().map(|(_, l)| l.as_str()).collect();
    assert_eq!(
        listeners,
        BTreeSet::from([
            "https",
            "https-with-hostname",
            "https-with-wildcard-hostname",
            "https-with-hostname-matching-wildcard"
        ])
    );
    // No Secret in the file, yet one Secret on all four: its names overlap themselves.
    let kinds: BTreeSet<&str> = report["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, BTreeSet::from(["http2_off"]));
    let out = sni_guard(&[
        "plugin-config",
        "--gateway",
        "gateway-conformance-infra/same-namespace-with-https-listener",
        "--envoy-gateway",
        "--placeholder-url",
        &file,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let docs = documents(&out.stdout);
    let sections: Vec<&str> = docs[0]["spec"]["targetRefs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["sectionName"].as_str().unwrap())
        .collect();
    assert_eq!(sections.len(), 4, "{sections:?}");
    let servers = docs[0]["spec"]["wasm"][0]["config"]["servers"]
        .as_array()
        .unwrap();
    assert_eq!(servers.len(), 4);
    if let Some(eg) = crds::envoy_gateway("envoy_gateways_misdirected_request_gateway") {
        for doc in &docs[..2] {
            eg.validate(doc).unwrap_or_else(|p| panic!("{p:?}"));
        }
        crds::envoy_gateway_more().validate(&docs[2]).unwrap();
    }
}

/// `merge` plans no merge for Envoy Gateway's listeners (one hostname each), and says why.
#[test]
fn merge_leaves_envoy_gateway_listeners_and_says_why() {
    let cluster = sni_guard_harness::envoy_gateway::cluster_yaml();
    let dir = TempDir::new("eg-merge");
    let policy = dir.write(
        "h2.yaml",
        "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: ClientTrafficPolicy\nmetadata: {name: h2, namespace: default}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg}]\n  tls: {alpnProtocols: [h2, http/1.1]}\n",
    );
    let out = sni_guard(&["merge", cluster.to_str().unwrap(), &policy]);
    assert_eq!((out.code, out.stdout.as_str()), (1, ""), "{}", out.stderr);
    assert!(
        out.stderr.contains(
            "default/eg is programmed by Envoy Gateway, which keeps one listener per hostname"
        ),
        "{}",
        out.stderr
    );
    // Without the policy Envoy Gateway keeps them on HTTP/1.1: nothing coalesces, nothing to say.
    let out = sni_guard(&["merge", cluster.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.contains("Nothing to merge."), "{}", out.stderr);
}

/// `--check` with the live EnvoyExtensionPolicy: no drift as written; a listener added to the
/// Gateway since is drift, with the command that writes the policy again; a WasmPlugin is
/// refused for Envoy Gateway's listener.
#[test]
fn drift_of_a_live_envoy_extension_policy() {
    let cluster = sni_guard_harness::envoy_gateway::cluster_yaml();
    let cluster = cluster.to_str().unwrap();
    let dir = TempDir::new("eg-drift");
    let written = sni_guard(&[
        "plugin-config",
        "--gateway",
        "default/eg",
        "--envoy-gateway",
        "--placeholder-url",
        cluster,
    ]);
    assert_eq!(written.code, 0, "{}", written.stderr);
    let policy = documents(&written.stdout)
        .into_iter()
        .find(|d| d["kind"] == "EnvoyExtensionPolicy")
        .unwrap();
    let live = dir.write("live.yaml", &yaml_serde::to_string(&policy).unwrap());
    let same = sni_guard(&["plugin-config", "--check", &live, cluster]);
    assert_eq!(same.code, 0, "{}{}", same.stdout, same.stderr);
    assert!(
        same.stderr
            .contains("no drift: EnvoyExtensionPolicy default/sni-guard-8443 matches"),
        "{}",
        same.stderr
    );
    let text = std::fs::read_to_string(cluster).unwrap().replace(
        "  - name: https-b\n",
        "  - name: https-c\n    protocol: HTTPS\n    port: 8443\n    hostname: c.example.com\n    tls:\n      mode: Terminate\n      certificateRefs: [{name: wildcard-example-com}]\n  - name: https-b\n",
    );
    let grown = dir.write("grown.yaml", &text);
    let drift = sni_guard(&["plugin-config", "--check", &live, &grown]);
    assert_eq!(drift.code, 1, "{}", drift.stderr);
    assert!(
        drift.stdout.contains("+ server default/eg/https-c  hosts: c.example.com  (in the Gateways, not in the EnvoyExtensionPolicy)"),
        "{}",
        drift.stdout
    );
    assert!(
        drift
            .stdout
            .contains("--gateway default/eg --port 8443 --envoy-gateway --url URL"),
        "{}",
        drift.stdout
    );
    let plugin = dir.write(
        "plugin.yaml",
        "apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: p, namespace: default}\nspec:\n  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: eg}]\n  url: oci://x/y:1\n  pluginConfig: {servers: []}\n",
    );
    let refused = sni_guard(&["plugin-config", "--check", &plugin, cluster]);
    assert_eq!((refused.code, refused.stdout.as_str()), (2, ""));
    assert!(
        refused
            .stderr
            .contains("it does not read WasmPlugins; --check takes its EnvoyExtensionPolicy"),
        "{}",
        refused.stderr
    );
}

/// `--native-module`: the policy loads the native build from the EnvoyProxy's registry; it and
/// the patch on its filter pass Envoy Gateway's schemas; a name the registry cannot hold is
/// refused with the value.
#[test]
fn the_native_builds_resources_pass_the_crd_schemas() {
    let cluster = sni_guard_harness::envoy_gateway::cluster_yaml();
    let cluster = cluster.to_str().unwrap();
    let out = sni_guard(&[
        "plugin-config",
        "--gateway",
        "default/eg",
        "--envoy-gateway",
        "--native-module",
        "sni-guard-native",
        cluster,
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("#     dynamicModules:"),
        "{}",
        out.stdout
    );
    let docs = documents(&out.stdout);
    let module = &docs[0]["spec"]["dynamicModule"][0];
    assert_eq!(module["name"], "sni-guard-native");
    assert_eq!(module["filterName"], "sni-guard");
    assert_eq!(module["config"]["servers"].as_array().unwrap().len(), 2);
    assert!(docs[0]["spec"].get("wasm").is_none());
    let path = docs[2]["spec"]["jsonPatches"][0]["operation"]["jsonPath"]
        .as_str()
        .unwrap();
    assert!(path.contains("envoy.filters.http.dynamic_modules/envoyextensionpolicy/default/sni-guard-8443/dynamic-module/0"), "{path}");
    if let Some(eg) = crds::envoy_gateway("the_native_builds_resources_pass_the_crd_schemas") {
        eg.validate(&docs[0]).unwrap_or_else(|p| panic!("{p:?}"));
        eg.validate(&docs[1]).unwrap_or_else(|p| panic!("{p:?}"));
        crds::envoy_gateway_more().validate(&docs[2]).unwrap();
    }
    let refused = sni_guard(&[
        "plugin-config",
        "--gateway",
        "default/eg",
        "--envoy-gateway",
        "--native-module",
        "sni_guard_native",
        cluster,
    ]);
    assert_eq!((refused.code, refused.stdout.as_str()), (2, ""));
    assert!(
        refused
            .stderr
            .contains("--native-module \"sni_guard_native\""),
        "{}",
        refused.stderr
    );
}
