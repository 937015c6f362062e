//! The manifests match Istio's own CRD schemas: the generated WasmPlugin
//! (extensions.istio.io/v1alpha1) and every fixture Gateway and VirtualService
//! (networking.istio.io v1, v1beta1, v1alpha3). Checked with the harness's validator
//! (`sni_guard_harness::checks::crds`): the JSON Schema, plus what the API server adds to it: unknown
//! fields are refused (strict field validation), and the CEL rules
//! (`x-kubernetes-validations`) the manifest reaches are evaluated.

mod common;

use common::{GOOD_FIXTURES, documents, fixture_text, sni_guard};
use serde_json::{Value, json};
use sni_guard_harness::checks::crds;

/// The CEL rules a targetRefs WasmPlugin reaches: url and selector-or-targetRefs (the entries'
/// rule, on namespace, is not reached: the manifest sets none).
const TARGET_REFS_RULES: usize = 2;

#[test]
fn wasmplugin_matches_the_crd() {
    let Some(crds) = crds::istio("wasmplugin_matches_the_crd") else {
        return;
    };
    let sha = "0".repeat(64);
    let cases: [(Vec<&str>, usize); 5] = [
        // selector keys and values (3), url, selector-or-targetRefs.
        (
            vec![
                "plugin-config",
                "--wasmplugin",
                "--placeholder-url",
                "two-gateways-shared-wildcard.yaml",
            ],
            5,
        ),
        (
            vec![
                "plugin-config",
                "--wasmplugin",
                "--placeholder-url",
                "--mode",
                "log_only",
                "namespace-hosts.yaml",
            ],
            5,
        ),
        (
            vec![
                "plugin-config",
                "--wasmplugin",
                "--url",
                "https://example.com/sni_guard.wasm",
                "--sha256",
                &sha,
                "--fail-strategy",
                "FAIL_CLOSE",
                "--name",
                "legacy-guard",
                "--namespace",
                "istio-system",
                "file-certificates.yaml",
            ],
            5,
        ),
        // A port match from the gateway Service.
        (
            vec![
                "plugin-config",
                "--wasmplugin",
                "--url",
                "oci://ghcr.io/example/sni-guard:1",
                "two-gateways-shared-wildcard.yaml",
                "ingress-service.yaml",
            ],
            5,
        ),
        // targetRefs: url and selector-or-targetRefs.
        (
            vec![
                "plugin-config",
                "--wasmplugin",
                "--placeholder-url",
                "gateway-api-conformance.yaml",
            ],
            TARGET_REFS_RULES,
        ),
    ];
    for (args, rules) in cases {
        let out = sni_guard(&args);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        let manifest: Value = yaml_serde::from_str(&out.stdout).expect("YAML");
        let checked = crds.check(&manifest);
        assert_eq!(checked.problems, Vec::<String>::new(), "{args:?}");
        assert_eq!(checked.rules.len(), rules, "{args:?}: {:?}", checked.rules);
    }
}

#[test]
fn the_schema_check_catches_broken_manifests() {
    let Some(crds) = crds::istio("the_schema_check_catches_broken_manifests") else {
        return;
    };
    let problems = |manifest: &Value| crds.check(manifest).problems;
    let out = sni_guard(&[
        "plugin-config",
        "--wasmplugin",
        "--placeholder-url",
        "two-gateways-shared-wildcard.yaml",
    ]);
    let good: Value = yaml_serde::from_str(&out.stdout).unwrap();
    let mut bad = good.clone();
    bad["spec"]["failStrategy"] = json!("FAIL_SOMETIMES");
    assert_eq!(problems(&bad).len(), 1);
    let mut bad = good.clone();
    bad["spec"]["pluginconfig"] = json!({});
    assert_eq!(problems(&bad), [r#"unknown field "spec.pluginconfig""#]);
    let mut bad = good.clone();
    bad["spec"]["pluginConfig"] = json!("mode: strict");
    assert_eq!(problems(&bad).len(), 1);
    let mut bad = good.clone();
    bad["spec"].as_object_mut().unwrap().remove("url");
    assert_eq!(problems(&bad).len(), 1);
    let mut bad = good.clone();
    bad["spec"]["selector"]["matchLabels"]["istio"] = json!("ingress*");
    assert_eq!(
        problems(&bad),
        ["spec.selector.matchLabels.istio: wildcard not allowed in label value match"]
    );
    let mut bad = good;
    bad["spec"]["targetRefs"] = json!([{"kind": "Gateway", "name": "g"}]);
    assert_eq!(
        problems(&bad),
        ["spec: only one of targetRefs or selector can be set"]
    );
}

#[test]
fn fixture_gateways_and_virtual_services_match_the_crd() {
    let Some(crds) = crds::istio("fixture_gateways_and_virtual_services_match_the_crd") else {
        return;
    };
    let (mut gateways, mut virtual_services) = (0, 0);
    let merge = [
        "app-namespaces",
        "istio-system",
        "mutual",
        "redirect-and-passthrough",
        "routing-would-change",
    ]
    .map(|name| format!("merge/{name}.yaml"));
    for fixture in GOOD_FIXTURES
        .iter()
        .copied()
        .chain(merge.iter().map(String::as_str))
    {
        let text = fixture_text(fixture);
        let documents: Vec<Value> = if fixture.ends_with(".json") {
            let list: Value = serde_json::from_str(&text).unwrap();
            list["items"].as_array().unwrap().clone()
        } else {
            documents(&text)
        };
        // Istio's resources (the Gateway API's CRD is not Istio's to ship).
        let istio = |d: &&Value| {
            d["apiVersion"]
                .as_str()
                .is_some_and(|v| v.starts_with("networking.istio.io/"))
        };
        for doc in documents.iter().filter(istio) {
            match doc["kind"].as_str() {
                Some("Gateway") => gateways += 1,
                Some("VirtualService") => virtual_services += 1,
                other => panic!("{fixture}: {other:?}"),
            }
            assert_eq!(
                crds.check(doc).problems,
                Vec::<String>::new(),
                "{fixture}: {}",
                doc["metadata"]["name"]
            );
        }
    }
    assert_eq!(
        (gateways, virtual_services),
        (33, 12),
        "23 Gateways in the good fixtures, 10 in merge/; 12 VirtualServices"
    );
    let bad: Value = yaml_serde::from_str(&fixture_text("bad-port.yaml")).unwrap();
    let found = crds.check(&bad).problems;
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("spec.servers[0].port.number: "),
        "{found:?}"
    );
}
