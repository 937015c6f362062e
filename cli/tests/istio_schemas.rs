//! The manifests match Istio's own CRD schemas: the generated WasmPlugin
//! (extensions.istio.io/v1alpha1) and every fixture Gateway (networking.istio.io v1, v1beta1,
//! v1alpha3). Checked with a JSON Schema validator, plus what the API server adds to the
//! OpenAPI schema: unknown fields are refused (strict field validation), and the CEL rules
//! (`x-kubernetes-validations`) that apply to the manifest are evaluated here by hand.

mod common;

use common::schema::{crd_schema, problems};
use common::{fixtures, istio_crds, sni_guard, GOOD_FIXTURES};
use serde::Deserialize;
use serde_json::{json, Value};

/// The messages of the CEL rules on the schema nodes that `value` reaches.
fn cel_rules(schema: &Value, value: &Value, out: &mut Vec<String>) {
    if let Some(rules) = schema["x-kubernetes-validations"].as_array() {
        out.extend(
            rules
                .iter()
                .map(|r| r["message"].as_str().unwrap_or("").to_owned()),
        );
    }
    match value {
        Value::Object(fields) => {
            for (key, item) in fields {
                match schema["properties"].get(key) {
                    Some(sub) => cel_rules(sub, item, out),
                    None => cel_rules(&schema["additionalProperties"], item, out),
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|i| cel_rules(&schema["items"], i, out)),
        _ => {}
    }
}

/// The WasmPlugin CEL rules, evaluated for `manifest`: how many applied; the error names a
/// broken rule or one not known here.
fn wasmplugin_cel(schema: &Value, manifest: &Value) -> Result<usize, String> {
    let spec = &manifest["spec"];
    let labels = spec["selector"]["matchLabels"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let url = spec["url"].as_str().unwrap_or("");
    let scheme = url.split_once("://").map_or("", |(s, _)| s);
    let mut applied = Vec::new();
    cel_rules(schema, manifest, &mut applied);
    applied.sort();
    applied.dedup();
    let count = applied.len();
    for message in applied {
        let holds = match message.as_str() {
            "wildcard not allowed in label value match" => labels
                .values()
                .all(|v| !v.as_str().unwrap_or("*").contains('*')),
            "wildcard not allowed in label key match" => labels.keys().all(|k| !k.contains('*')),
            "key must not be empty" => labels.keys().all(|k| !k.is_empty()),
            "url must have schema one of [http, https, file, oci]" => {
                ["", "http", "https", "oci", "file"].contains(&scheme)
            }
            "only one of targetRefs or selector can be set" => {
                ["selector", "targetRef", "targetRefs"]
                    .iter()
                    .filter(|k| spec.get(**k).is_some())
                    .count()
                    <= 1
            }
            other => return Err(format!("CEL rule not evaluated by this test: {other:?}")),
        };
        if !holds {
            return Err(format!("CEL rule broken: {message}"));
        }
    }
    Ok(count)
}

/// The CEL rules a targetRefs WasmPlugin reaches (url, selector-or-targetRefs, and those on
/// each targetRefs entry).
const TARGET_REFS_RULES: usize = 2;

fn skip(what: &str) {
    println!(
        "skipped: {what}: Istio CRD schemas not found (../shared/istio-crds beside the repository)"
    );
}

#[test]
fn wasmplugin_matches_the_crd() {
    let Some(dir) = istio_crds() else {
        return skip("WasmPlugin schema check");
    };
    let schema = crd_schema(&dir, "wasmplugins.extensions.istio.io.yaml", "v1alpha1");
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
        // targetRefs: url, selector-or-targetRefs, and the targetRefs' own rules.
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
        assert_eq!(
            problems(&schema, &manifest),
            Vec::<String>::new(),
            "{args:?}"
        );
        assert_eq!(wasmplugin_cel(&schema, &manifest), Ok(rules), "{args:?}");
    }
}

#[test]
fn the_schema_check_catches_broken_manifests() {
    let Some(dir) = istio_crds() else {
        return skip("WasmPlugin schema check");
    };
    let schema = crd_schema(&dir, "wasmplugins.extensions.istio.io.yaml", "v1alpha1");
    let out = sni_guard(&[
        "plugin-config",
        "--wasmplugin",
        "--placeholder-url",
        "two-gateways-shared-wildcard.yaml",
    ]);
    let good: Value = yaml_serde::from_str(&out.stdout).unwrap();
    let mut bad = good.clone();
    bad["spec"]["failStrategy"] = json!("FAIL_SOMETIMES");
    assert_eq!(problems(&schema, &bad).len(), 1);
    let mut bad = good.clone();
    bad["spec"]["pluginconfig"] = json!({});
    assert_eq!(
        problems(&schema, &bad),
        [".spec.pluginconfig: unknown field"]
    );
    let mut bad = good.clone();
    bad["spec"]["pluginConfig"] = json!("mode: strict");
    assert_eq!(problems(&schema, &bad).len(), 1);
    let mut bad = good.clone();
    bad["spec"].as_object_mut().unwrap().remove("url");
    assert_eq!(problems(&schema, &bad).len(), 1);
    let mut bad = good.clone();
    bad["spec"]["selector"]["matchLabels"]["istio"] = json!("ingress*");
    assert!(wasmplugin_cel(&schema, &bad).is_err());
    let mut bad = good;
    bad["spec"]["targetRefs"] = json!([{"kind": "Gateway", "name": "g"}]);
    assert!(wasmplugin_cel(&schema, &bad).is_err());
}

#[test]
fn fixture_gateways_match_the_crd() {
    let Some(dir) = istio_crds() else {
        return skip("Gateway schema check");
    };
    let file = "gateways.networking.istio.io.yaml";
    let mut checked = 0;
    for fixture in GOOD_FIXTURES {
        let text = std::fs::read_to_string(fixtures().join(fixture)).unwrap();
        let documents: Vec<Value> = if fixture.ends_with(".json") {
            let list: Value = serde_json::from_str(&text).unwrap();
            list["items"].as_array().unwrap().clone()
        } else {
            yaml_serde::Deserializer::from_str(&text)
                .map(|d| Value::deserialize(d).unwrap())
                .collect()
        };
        // Istio's Gateways (the Gateway API's CRD is not Istio's to ship).
        let istio = |d: &&Value| {
            d["kind"] == "Gateway"
                && d["apiVersion"]
                    .as_str()
                    .is_some_and(|v| v.starts_with("networking.istio.io/"))
        };
        for doc in documents.iter().filter(istio) {
            let version = doc["apiVersion"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap();
            let schema = crd_schema(&dir, file, version);
            assert_eq!(
                problems(&schema, doc),
                Vec::<String>::new(),
                "{fixture}: {}",
                doc["metadata"]["name"]
            );
            checked += 1;
        }
    }
    assert!(checked >= 22, "checked {checked} Gateways");
    let bad: Value =
        yaml_serde::from_str(&std::fs::read_to_string(fixtures().join("bad-port.yaml")).unwrap())
            .unwrap();
    let found = problems(&crd_schema(&dir, file, "v1"), &bad);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("/spec/servers/0/port/number: "),
        "{found:?}"
    );
}
