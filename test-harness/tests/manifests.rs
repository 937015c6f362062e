//! Every manifest in `envoyfilter/` validates against Istio's own CRD schema, as
//! `kubectl apply --validate=strict` would check it; the validator provably rejects bad ones;
//! the set covers the deployment variants the guide describes.
//!
//! The CRD schemas are found as `sni_guard_harness::checks::crds` says; where they are absent, the CRD
//! tests say so and skip (CI fails instead).

mod envoyfilter;

use envoyfilter::{Manifest, manifests, of_kind};
use serde_json::{Value, json};
use sni_guard_harness::checks::crds::{self, Crds};

/// The errors for `object`, which must not validate.
fn rejected(crds: &Crds, object: &Value) -> String {
    match crds.validate(object) {
        Ok(()) => panic!("accepted, but must be rejected:\n{object:#}"),
        Err(errors) => errors.join("\n"),
    }
}

fn edited(mut object: Value, edit: impl FnOnce(&mut Value)) -> Value {
    edit(&mut object);
    object
}

fn spec(object: &mut Value) -> &mut serde_json::Map<String, Value> {
    object["spec"].as_object_mut().expect("spec mapping")
}

#[test]
fn every_manifest_validates_against_istio_crds() {
    let Some(crds) = crds::istio("every_manifest_validates_against_istio_crds") else {
        return;
    };
    let all = manifests();
    assert!(
        all.len() >= 5,
        "expected the WasmPlugins, the Gateways and the EnvoyFilter, found {}",
        all.len()
    );
    let failures: Vec<String> = all
        .iter()
        .filter_map(|m| {
            crds.validate(&m.object)
                .err()
                .map(|errors| format!("{}:\n  {}", m.label(), errors.join("\n  ")))
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    for m in &all {
        eprintln!("valid: {}", m.label());
    }
}

#[test]
fn misspelled_fields_are_rejected() {
    let Some(crds) = crds::istio("misspelled_fields_are_rejected") else {
        return;
    };
    let plugin = by_file("wasmplugin.yaml").object;
    crds.validate(&plugin)
        .expect("the default WasmPlugin is valid");

    let typo = edited(plugin.clone(), |p| {
        let strategy = spec(p).remove("failStrategy").expect("failStrategy");
        spec(p).insert("failStrategey".into(), strategy);
    });
    let errors = rejected(crds, &typo);
    assert!(
        errors.contains(r#"unknown field "spec.failStrategey""#),
        "{errors}"
    );

    let nested = edited(plugin.clone(), |p| {
        let labels = p["spec"]["selector"]
            .as_object_mut()
            .unwrap()
            .remove("matchLabels")
            .unwrap();
        p["spec"]["selector"]["matchLabel"] = labels;
    });
    let errors = rejected(crds, &nested);
    assert!(
        errors.contains(r#"unknown field "spec.selector.matchLabel""#),
        "{errors}"
    );

    let metadata = edited(plugin.clone(), |p| {
        p["metadata"]["namepsace"] = json!("istio-system");
    });
    let errors = rejected(crds, &metadata);
    assert!(
        errors.contains(r#"unknown field "metadata.namepsace""#),
        "{errors}"
    );

    // pluginConfig is free-form for the API server: the module checks its fields.
    let free = edited(plugin, |p| {
        p["spec"]["pluginConfig"]["any_field"] = json!({"nested": [1, true]});
    });
    crds.validate(&free)
        .expect("pluginConfig preserves unknown fields");
}

/// A change to a manifest, for the rejection cases.
type Edit = Box<dyn Fn(&mut Value)>;

#[test]
fn wrong_values_are_rejected() {
    let Some(crds) = crds::istio("wrong_values_are_rejected") else {
        return;
    };
    let plugin = by_file("wasmplugin.yaml").object;
    let cases: Vec<(&str, Edit, &str)> = vec![
        (
            "enum",
            Box::new(|p| p["spec"]["phase"] = json!("AUTH")),
            "spec.phase: \"AUTH\" is not one of",
        ),
        (
            "type",
            Box::new(|p| p["spec"]["priority"] = json!("high")),
            "spec.priority: must be of type integer",
        ),
        (
            "pattern",
            Box::new(|p| p["spec"]["sha256"] = json!("ABC")),
            "spec.sha256: \"ABC\" does not match",
        ),
        (
            "required",
            Box::new(|p| {
                spec(p).remove("url");
            }),
            "spec.url: required",
        ),
        (
            "CEL url scheme",
            Box::new(|p| p["spec"]["url"] = json!("ftp://registry.example.com/sni-guard")),
            "spec.url: url must have schema one of [http, https, file, oci]",
        ),
        (
            "CEL one of selector/targetRefs",
            Box::new(|p| {
                p["spec"]["targetRefs"] = json!([{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge"}])
            }),
            "spec: only one of targetRefs or selector can be set",
        ),
        (
            "CEL label wildcard",
            Box::new(|p| p["spec"]["selector"]["matchLabels"]["istio"] = json!("ingress*")),
            "spec.selector.matchLabels.istio: wildcard not allowed in label value match",
        ),
        (
            "metadata name",
            Box::new(|p| p["metadata"]["name"] = json!("SNI_Guard")),
            "metadata.name: \"SNI_Guard\" is not a DNS-1123 subdomain",
        ),
    ];
    for (what, edit, expected) in cases {
        let errors = rejected(crds, &edited(plugin.clone(), edit));
        assert!(errors.contains(expected), "{what}: {errors}");
    }

    let gateway = of_kind("Gateway").remove(0).object;
    let no_port_name = edited(gateway, |g| {
        g["spec"]["servers"][0]["port"]
            .as_object_mut()
            .unwrap()
            .remove("name");
    });
    let errors = rejected(crds, &no_port_name);
    assert!(
        errors.contains("spec.servers[0].port.name: required"),
        "{errors}"
    );

    let unknown_kind = json!({"apiVersion": "extensions.istio.io/v1alpha1", "kind": "WasmPlugins",
        "metadata": {"name": "x"}, "spec": {"url": "oci://r/x"}});
    assert!(rejected(crds, &unknown_kind).contains("no CRD for kind WasmPlugins"));
}

fn wasm_plugins() -> Vec<Manifest> {
    of_kind("WasmPlugin")
}

fn by_file(file: &str) -> Manifest {
    manifests()
        .into_iter()
        .find(|m| m.file.file_name().is_some_and(|f| f == file))
        .unwrap_or_else(|| panic!("envoyfilter/{file} is missing"))
}

#[test]
fn default_plugin_selects_the_ingress_gateway_strictly() {
    let plugin = by_file("wasmplugin.yaml").object;
    assert_eq!(plugin["metadata"]["name"], "sni-guard");
    assert_eq!(plugin["metadata"]["namespace"], "istio-system");
    assert_eq!(
        plugin["spec"]["selector"]["matchLabels"],
        json!({"istio": "ingressgateway"})
    );
    let spec = &plugin["spec"];
    assert!(
        spec["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("oci://"))
    );
    assert_eq!(spec["phase"], "AUTHN");
    assert_eq!(spec["pluginName"], "sni-guard");
    assert!(["FAIL_OPEN", "FAIL_CLOSE"].contains(&spec["failStrategy"].as_str().unwrap_or("")));
    assert_eq!(
        spec["pluginConfig"],
        json!({"mode": "strict", "servers": [
            {"name": "gw-a", "hosts": ["a.example.com"]},
            {"name": "gw-b", "hosts": ["b.example.com"]}]})
    );
}

#[test]
fn variants_cover_gateway_api_and_log_only() {
    let gateway_api = by_file("wasmplugin-gateway-api.yaml").object;
    let refs = &gateway_api["spec"]["targetRefs"];
    assert_eq!(refs[0]["group"], "gateway.networking.k8s.io");
    assert_eq!(refs[0]["kind"], "Gateway");
    assert!(gateway_api["spec"].get("selector").is_none());

    let log_only = by_file("wasmplugin-log-only.yaml").object;
    assert_eq!(log_only["spec"]["pluginConfig"]["mode"], "log_only");
    // Same resource as the default: applying the strict one replaces it.
    let default = by_file("wasmplugin.yaml").object;
    assert_eq!(log_only["metadata"], default["metadata"]);

    for plugin in wasm_plugins() {
        let spec = &plugin.object["spec"];
        assert!(
            spec.get("failStrategy").is_some(),
            "{}: no failStrategy",
            plugin.label()
        );
        assert_eq!(spec["phase"], "AUTHN", "{}", plugin.label());
    }
}

#[test]
fn gateway_example_matches_the_default_servers_table() {
    // The guide derives `servers` from the Gateways: one entry per server, hosts as written.
    let from_gateways: Vec<Value> = of_kind("Gateway")
        .iter()
        .flat_map(|g| {
            let name = g.object["metadata"]["name"].clone();
            g.object["spec"]["servers"]
                .as_array()
                .expect("servers")
                .iter()
                .map(move |s| json!({"name": name, "hosts": s["hosts"]}))
                .collect::<Vec<_>>()
        })
        .collect();
    let plugin = by_file("wasmplugin.yaml").object;
    assert_eq!(
        plugin["spec"]["pluginConfig"]["servers"],
        Value::Array(from_gateways)
    );
}

#[test]
fn url_forms_the_manifests_mention_are_accepted() {
    let Some(crds) = crds::istio("url_forms_the_manifests_mention_are_accepted") else {
        return;
    };
    let digest = "0123456789abcdef".repeat(4);
    let accepted = [
        "oci://registry.example.com/sni-guard:0.1.0".to_owned(),
        format!("oci://registry.example.com/sni-guard@sha256:{digest}"),
        "registry.example.com/sni-guard:0.1.0".to_owned(),
        "file:///var/local/wasm/sni_guard.wasm".to_owned(),
        "https://downloads.example.com/sni_guard-0.1.0.wasm".to_owned(),
    ];
    for url in accepted {
        let plugin = edited(by_file("wasmplugin.yaml").object, |p| {
            p["spec"]["url"] = json!(url);
            p["spec"]["sha256"] = json!(digest);
        });
        crds.validate(&plugin)
            .unwrap_or_else(|e| panic!("{url}: {}", e.join("; ")));
    }
    // As the API server's CEL sees it, `host:port/...` without a scheme has the scheme `host`.
    let plugin = edited(by_file("wasmplugin.yaml").object, |p| {
        p["spec"]["url"] = json!("registry.example.com:5000/sni-guard");
    });
    assert!(rejected(crds, &plugin).contains("url must have schema"));
}
