use super::select::{Selection, choose};
use super::wasmplugin::{Options, PLACEHOLDER_URL, wasm_plugin};
use super::*;
use crate::model::fixtures::{
    api_gateway, gateway, https, ingress_service, istio_gateway, layout, passthrough,
};
use crate::model::gateway::Gateway;
use crate::model::labels::{Labels, labels};
use crate::model::layout::Layout;
use crate::model::placement::place;
use serde_json::{Value, json};
use std::error::Error;

fn https443(name: &str, hosts: &[&str]) -> Value {
    https(443, name, hosts, "wild")
}

fn config_json(gws: &[Gateway], mode: Mode) -> Result<Value, Box<dyn Error>> {
    let layout = layout(gws);
    let listener = choose(&layout, &Selection::default())?;
    Ok(serde_json::to_value(plugin_config(listener, mode)?).unwrap())
}

#[test]
fn mirrors_every_chain_passthrough_included() {
    let gws = vec![
        gateway(
            "gw-a",
            "ingressgateway",
            json!([https443(
                "https",
                &["a.example.com", "web/*.A.example.org."]
            )]),
        ),
        gateway(
            "gw-b",
            "ingressgateway",
            json!([
                https443("https", &["./b.example.com", "*/*"]),
                passthrough("tls", &["httpbin.example.com"])
            ]),
        ),
    ];
    assert_eq!(
        config_json(&gws, Mode::Strict).unwrap(),
        json!({"mode": "strict", "servers": [
            {"name": "ns/gw-a/https", "hosts": ["a.example.com", "*.a.example.org"]},
            {"name": "ns/gw-b/https", "hosts": ["b.example.com", "*"]},
            {"name": "ns/gw-b/tls", "hosts": ["httpbin.example.com"]}]})
    );
    assert_eq!(
        config_json(&gws, Mode::LogOnly).unwrap()["mode"],
        "log_only"
    );
}

#[test]
fn names_are_unique() {
    let gws = vec![gateway(
        "g",
        "ig",
        json!([
            https443("1", &["a.example.com"]),
            https443("", &["b.example.com"]),
            https443("https", &["c.example.com"]),
            https443("https", &["d.example.com"])
        ]),
    )];
    let config = config_json(&gws, Mode::Strict).unwrap();
    let names: Vec<&str> = config["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ns/g/1", "ns/g/1'", "ns/g/https", "ns/g/3"]);
}

#[test]
fn a_duplicate_host_is_refused_naming_both_servers() {
    let gws = vec![
        gateway("gw-a", "ig", json!([https443("https", &["a.example.com"])])),
        gateway(
            "gw-b",
            "ig",
            json!([https443("https", &["web/A.example.com"])]),
        ),
    ];
    let err = config_json(&gws, Mode::Strict).unwrap_err().to_string();
    assert!(err.starts_with("host a.example.com is listed by more than one server: ns/gw-a servers[0] (port https) and ns/gw-b servers[0] (port https)"), "{err}");
}

#[test]
fn a_bad_host_is_refused() {
    let gws = vec![gateway(
        "g",
        "ig",
        json!([https443("https", &["a.*.example.com"])]),
    )];
    let err = config_json(&gws, Mode::Strict).unwrap_err().to_string();
    assert!(
        err.starts_with(
            "ns/g servers[0] (port https): host \"a.*.example.com\" is not a valid host: a wildcard"
        ),
        "{err}"
    );
}

#[test]
fn choosing_a_listener() {
    let gws = vec![
        gateway(
            "a",
            "ig",
            json!([
                https443("https", &["a.example.com"]),
                https(8443, "alt", &["a.example.com"], "wild")
            ]),
        ),
        gateway("b", "other", json!([https443("https", &["b.example.com"])])),
    ];
    let layout = layout(&gws);
    let pick = |selection: Selection| choose(&layout, &selection).map(|l| l.describe().to_string());
    let err = pick(Selection::default()).unwrap_err().to_string();
    assert!(
        err.starts_with("3 workload ports have HTTPS servers; choose one"),
        "{err}"
    );
    assert!(err.contains("  --selector istio=ig --port 8443    (workload pods labelled istio=ig (assumed), port 8443: 1 HTTPS server)"), "{err}");
    let selector: Labels = labels(&[("istio", "ig")]);
    assert_eq!(
        pick(Selection {
            selector: selector.clone(),
            port: Some(443),
            ..Selection::default()
        })
        .unwrap(),
        "workload pods labelled istio=ig (assumed), port 443"
    );
    assert_eq!(
        pick(Selection {
            gateway: Some("ns/b".into()),
            ..Selection::default()
        })
        .unwrap(),
        "workload pods labelled istio=other (assumed), port 443"
    );
    let err = pick(Selection {
        selector,
        port: Some(80),
        ..Selection::default()
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("no HTTPS server matches --selector istio=ig --port 80; the input has:"),
        "{err}"
    );
    let only_passthrough = vec![gateway(
        "p",
        "ig",
        json!([passthrough("tls", &["p.example.com"])]),
    )];
    let layout = crate::model::fixtures::layout(&only_passthrough);
    assert!(
        choose(&layout, &Selection::default())
            .unwrap_err()
            .to_string()
            .contains("nothing to configure")
    );
}

#[test]
fn an_exact_selector_wins() {
    let gws = vec![
        gateway("a", "ig", json!([https443("https", &["a.example.com"])])),
        istio_gateway(
            "b",
            json!({"istio": "ig", "app": "x"}),
            json!([https443("https", &["b.example.com"])]),
        ),
    ];
    let layout = layout(&gws);
    let l = choose(
        &layout,
        &Selection {
            selector: labels(&[("istio", "ig")]),
            ..Selection::default()
        },
    )
    .unwrap();
    assert_eq!(
        l.describe().to_string(),
        "workload pods labelled istio=ig (assumed), port 443"
    );
}

fn manifest(
    layout: &Layout<'_>,
    options: &Options,
) -> Result<(Value, String, Vec<String>), Box<dyn Error>> {
    let listener = choose(layout, &Selection::default())?;
    let config = plugin_config(listener, Mode::Strict)?;
    let (yaml, notes) = wasm_plugin(&config, layout, listener, options)?;
    Ok((yaml_serde::from_str(&yaml).unwrap(), yaml, notes))
}

#[test]
fn wasm_plugin_for_the_default_ingress_gateway() {
    let gws = vec![gateway(
        "gw-a",
        "ingressgateway",
        json!([https443("https", &["a.example.com"])]),
    )];
    let layout = layout(&gws);
    let err = manifest(&layout, &Options::default())
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("--wasmplugin needs --url"), "{err}");
    let options = Options {
        placeholder: true,
        ..Options::default()
    };
    let (value, yaml, notes) = manifest(&layout, &options).unwrap();
    assert!(
        yaml.starts_with(
            "# sni-guard on workload istio-system/istio-ingressgateway (assumed), port 443"
        ),
        "{yaml}"
    );
    assert_eq!(
        value,
        json!({"apiVersion": "extensions.istio.io/v1alpha1", "kind": "WasmPlugin",
               "metadata": {"name": "sni-guard-ingressgateway-443", "namespace": "istio-system"},
               "spec": {"selector": {"matchLabels": {"istio": "ingressgateway"}}, "url": PLACEHOLDER_URL,
                        "imagePullPolicy": "IfNotPresent", "pluginName": "sni-guard", "type": "HTTP",
                        "phase": "AUTHN", "priority": 1000, "failStrategy": "FAIL_OPEN",
                        "pluginConfig": {"mode": "strict", "servers": [{"name": "ns/gw-a/https", "hosts": ["a.example.com"]}]}}})
    );
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("no port match in the WasmPlugin"),
        "{notes:?}"
    );
}

#[test]
fn wasm_plugin_options_and_port_match() {
    let gws = vec![gateway(
        "gw-a",
        "ingressgateway",
        json!([https443("https", &["a.example.com"])]),
    )];
    let services = [ingress_service()];
    let layout = Layout::new(
        &gws,
        place(&gws, &[], &services, &[], &Default::default()),
        &services,
    );
    let options = Options {
        url: Some("oci://ghcr.io/example/sni-guard:1.0.0".into()),
        name: Some("edge-guard".into()),
        namespace: Some("istio-system".into()),
        sha256: Some("a".repeat(64)),
        fail_strategy: super::wasmplugin::FailStrategy::FailClose,
        ..Options::default()
    };
    let (value, yaml, notes) = manifest(&layout, &options).unwrap();
    assert!(notes.is_empty(), "{notes:?}");
    assert_eq!(value["metadata"]["name"], "edge-guard");
    assert_eq!(
        value["spec"]["match"],
        json!([{"ports": [{"number": 8443}]}])
    );
    assert_eq!(value["spec"]["failStrategy"], "FAIL_CLOSE");
    assert_eq!(value["spec"]["sha256"], "a".repeat(64));
    assert!(yaml.contains("# Port match 8443: Service istio-system/istio-ingressgateway maps port 443 to targetPort 8443.\n"));
    let bad = Options {
        sha256: Some("XYZ".into()),
        ..options
    };
    assert!(
        manifest(&layout, &bad)
            .unwrap_err()
            .to_string()
            .starts_with("--sha256 \"XYZ\"")
    );
}

#[test]
fn wasm_plugin_for_a_gateway_api_gateway() {
    let gws = vec![api_gateway(
        "edge",
        json!([{"name": "a", "hostname": "a.example.com", "port": 443, "protocol": "HTTPS",
                "tls": {"certificateRefs": [{"name": "wild"}]}}]),
    )];
    let layout = layout(&gws);
    let options = Options {
        placeholder: true,
        ..Options::default()
    };
    let (value, _, _) = manifest(&layout, &options).unwrap();
    assert_eq!(
        value["metadata"],
        json!({"name": "sni-guard-edge", "namespace": "ns"})
    );
    assert_eq!(
        value["spec"]["targetRefs"],
        json!([{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "edge"}])
    );
    assert_eq!(
        value["spec"]["match"],
        json!([{"ports": [{"number": 443}]}])
    );
    let elsewhere = Options {
        namespace: Some("istio-system".into()),
        ..options
    };
    assert!(
        manifest(&layout, &elsewhere)
            .unwrap_err()
            .to_string()
            .starts_with("a WasmPlugin with targetRefs must be in its Gateway's namespace (ns)")
    );
}

#[test]
fn the_selector_picks_this_workload_only() {
    let gws = vec![
        gateway(
            "a",
            "ingressgateway",
            json!([https443("https", &["a.example.com"])]),
        ),
        istio_gateway(
            "v2",
            json!({"istio": "ingressgateway", "version": "v2"}),
            json!([https443("https", &["v2.example.com"])]),
        ),
    ];
    let layout = layout(&gws);
    let options = Options {
        placeholder: true,
        ..Options::default()
    };
    let default = &layout.listeners[0];
    let config = plugin_config(default, Mode::Strict).unwrap();
    let (yaml, _) = wasm_plugin(&config, &layout, default, &options).unwrap();
    let value: Value = yaml_serde::from_str(&yaml).unwrap();
    assert_eq!(
        value["spec"]["selector"]["matchLabels"],
        json!({"app": "istio-ingressgateway", "istio": "ingressgateway"}),
        "istio=ingressgateway alone would select the v2 pods too"
    );
}
