//! The Envoy Gateway resources for ListenerSets, merged Gateways, both xDS name schemes, and
//! the flags refused.

use super::{Options, manifests};
use crate::error::WasmPluginError;
use crate::input::Input;
use crate::model::envoy_gateway::NameScheme;
use crate::model::layout::Layout;
use crate::model::placement::place;
use crate::plugin::{Mode, plugin_config};
use serde_json::Value;

const CLASS: &str = "apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec: {controllerName: gateway.envoyproxy.io/gatewayclass-controller}
";

fn listener(name: &str, host: &str) -> String {
    format!(
        "  - {{name: {name}, port: 443, protocol: HTTPS, hostname: {host}, tls: {{certificateRefs: [{{name: s}}]}}}}\n"
    )
}

fn gateway(ns: &str, name: &str, listeners: &str, extra: &str) -> String {
    format!(
        "---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: {name}, namespace: {ns}}}\nspec:\n  gatewayClassName: eg\n{extra}  listeners:\n{listeners}"
    )
}

fn written(
    texts: &[String],
    options: &Options,
) -> Result<(Vec<Value>, Vec<String>), WasmPluginError> {
    let mut input = Input::default();
    for (i, text) in texts.iter().enumerate() {
        input.add(&format!("f{i}"), text.as_bytes()).unwrap();
    }
    let gateways = &input.gateways.items;
    let layout = Layout::new(
        gateways,
        place(gateways, &[], &[], &[], &input.classes),
        &[],
    );
    let listener = layout.listeners.first().unwrap();
    let config = plugin_config(listener, Mode::Strict).unwrap();
    let (yaml, notes) = manifests(
        &config,
        listener,
        &input.envoy_gateway.traffic_policies,
        options,
    )?;
    let docs = yaml_serde::Deserializer::from_str(&yaml)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .filter(|v: &Value| !v.is_null())
        .collect();
    Ok((docs, notes))
}

fn options() -> Options {
    Options {
        placeholder: true,
        fail_open: true,
        ..Options::default()
    }
}

#[test]
fn a_listener_sets_listeners_are_targeted_through_the_listener_set() {
    let parent = gateway(
        "infra",
        "shared",
        &listener("main", "www.example.com"),
        "  allowedListeners: {namespaces: {from: All}}\n",
    );
    let set = format!(
        "---\napiVersion: gateway.networking.k8s.io/v1\nkind: ListenerSet\nmetadata: {{name: team, namespace: infra}}\nspec:\n  parentRef: {{name: shared}}\n  listeners:\n{}",
        listener("api", "api.example.com")
    );
    let (docs, _) = written(&[CLASS.to_owned(), set, parent], &options()).unwrap();
    let refs = docs[0]["spec"]["targetRefs"].as_array().unwrap();
    let targets: Vec<(&str, &str, &str)> = refs
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap(),
                r["name"].as_str().unwrap(),
                r["sectionName"].as_str().unwrap(),
            )
        })
        .collect();
    assert!(
        targets.contains(&("Gateway", "shared", "main")),
        "{targets:?}"
    );
    assert!(
        targets.contains(&("ListenerSet", "team", "api")),
        "{targets:?}"
    );
    // The Envoy listener takes the Gateway's first listener's name, though the set came first.
    assert_eq!(
        docs[2]["spec"]["jsonPatches"][0]["name"],
        "infra/shared/main"
    );
    assert_eq!(docs[2]["spec"]["targetRef"]["name"], "shared");
    let v2 = Options {
        scheme: NameScheme::V2,
        ..options()
    };
    let parent = gateway("infra", "shared", &listener("main", "www.example.com"), "");
    let (docs, _) = written(&[CLASS.to_owned(), parent], &v2).unwrap();
    assert_eq!(docs[2]["spec"]["jsonPatches"][0]["name"], "tcp-443");
}

#[test]
fn merged_gateways_get_a_policy_per_namespace_and_a_patch_on_the_class() {
    let class = "apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: eg}
spec:
  controllerName: gateway.envoyproxy.io/gatewayclass-controller
  parametersRef: {group: gateway.envoyproxy.io, kind: EnvoyProxy, name: m, namespace: eg}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: {name: m, namespace: eg}
spec: {mergeGateways: true}
"
    .to_owned();
    let texts = [
        class,
        gateway("team-a", "a", &listener("https", "a.example.com"), ""),
        gateway("team-b", "b", &listener("https", "b.example.com"), ""),
    ];
    let (docs, notes) = written(&texts, &options()).unwrap();
    let kinds: Vec<(&str, &str)> = docs
        .iter()
        .map(|d| {
            (
                d["kind"].as_str().unwrap(),
                d["metadata"]["namespace"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("EnvoyExtensionPolicy", "team-a"),
            ("ClientTrafficPolicy", "team-a"),
            ("EnvoyExtensionPolicy", "team-b"),
            ("ClientTrafficPolicy", "team-b"),
            ("EnvoyPatchPolicy", "team-a"),
        ]
    );
    // Each policy holds the whole port's table: a connection of either can carry the other's hosts.
    assert_eq!(
        docs[0]["spec"]["wasm"][0]["config"]["servers"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let patch = &docs[4]["spec"];
    assert_eq!(patch["targetRef"]["kind"], "GatewayClass");
    let filters: Vec<&str> = patch["jsonPatches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["operation"]["jsonPath"].as_str().unwrap())
        .collect();
    assert!(
        filters[0].contains("envoyextensionpolicy/team-a/sni-guard-443/wasm/0"),
        "{filters:?}"
    );
    assert!(
        filters[1].contains("envoyextensionpolicy/team-b/sni-guard-443/wasm/0"),
        "{filters:?}"
    );
    assert!(
        notes.iter().any(|n| n.contains("with mergeGateways")),
        "{notes:?}"
    );
    // One namespace cannot be asked of policies in two.
    let one = Options {
        namespace: Some("team-a".into()),
        ..options()
    };
    assert!(matches!(
        written(&texts, &one),
        Err(WasmPluginError::Namespace { .. })
    ));
}

#[test]
fn refused_flags_name_the_value() {
    let texts = [
        CLASS.to_owned(),
        gateway("default", "eg", &listener("a", "a.example.com"), ""),
    ];
    let file = Options {
        url: Some("file:///var/sni_guard.wasm".into()),
        placeholder: false,
        ..options()
    };
    let error = written(&texts, &file).unwrap_err().to_string();
    assert!(
        error.contains("file:///var/sni_guard.wasm")
            && error.contains("oci:// images or http(s)://"),
        "{error}"
    );
    let none = Options {
        placeholder: false,
        ..options()
    };
    let error = written(&texts, &none).unwrap_err().to_string();
    assert!(error.starts_with("--envoy-gateway needs --url"), "{error}");
    let sha = Options {
        sha256: Some("ABC".into()),
        ..options()
    };
    assert!(
        written(&texts, &sha)
            .unwrap_err()
            .to_string()
            .contains("--sha256 \"ABC\"")
    );
    let https = Options {
        url: Some("https://example.com/sni_guard.wasm".into()),
        placeholder: false,
        sha256: Some("a".repeat(64)),
        ..options()
    };
    let (docs, _) = written(&texts, &https).unwrap();
    let code = &docs[0]["spec"]["wasm"][0]["code"];
    assert_eq!(code["type"], "HTTP");
    assert_eq!(code["http"]["sha256"], "a".repeat(64));
}
