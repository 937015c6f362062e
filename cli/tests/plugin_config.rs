//! `sni-guard plugin-config`: the configuration it prints mirrors the Gateway servers, is
//! accepted by the filter's own parser, and decides requests as the Gateways route them.

mod common;

use common::{fixture_text, sni_guard, sni_guard_stdin, without_notes, TempDir, GOOD_FIXTURES};
use serde_json::{json, Value};
use sni_guard::{Config, Request, Verdict};

/// Parses `text` with the filter's own parser.
fn filter_config(text: &str) -> Config {
    Config::parse(text.as_bytes()).unwrap_or_else(|e| panic!("the filter refuses {text}: {e}"))
}

fn verdict(config: &Config, sni: &str, authority: &str) -> &'static str {
    match config.decide(&Request {
        sni: Some(sni.as_bytes()),
        authority: Some(authority.as_bytes()),
        protocol: Some(b"HTTP/2"),
    }) {
        Verdict::Pass => "pass",
        Verdict::NoSni => "no sni",
        Verdict::Misdirected(_) => "421",
        Verdict::LogOnly(_) => "log",
    }
}

#[test]
fn two_gateways_shared_wildcard() {
    let out = sni_guard(&["plugin-config", "two-gateways-shared-wildcard.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json(),
        json!({"mode": "strict", "servers": [
            {"name": "istio-system/gw-a/https", "hosts": ["a.example.com"]},
            {"name": "istio-system/gw-b/https", "hosts": ["b.example.com"]}]})
    );
    assert_eq!(
        without_notes(&out.stderr),
        "sni-guard: configuration for workload istio-system/istio-ingressgateway (assumed), port 443: 2 servers\n"
    );
    let config = filter_config(&out.stdout);
    assert_eq!(verdict(&config, "a.example.com", "a.example.com"), "pass");
    assert_eq!(verdict(&config, "a.example.com", "b.example.com"), "421");
    assert_eq!(
        verdict(&config, "b.example.com", "A.Example.com:443"),
        "421"
    );
    assert_eq!(verdict(&config, "a.example.com", "c.example.com"), "pass");
}

#[test]
fn log_only_mode() {
    for spelling in ["log_only", "log-only"] {
        let out = sni_guard(&[
            "plugin-config",
            "--mode",
            spelling,
            "two-gateways-shared-wildcard.yaml",
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert_eq!(out.json()["mode"], "log_only");
        let config = filter_config(&out.stdout);
        assert_eq!(verdict(&config, "a.example.com", "b.example.com"), "log");
    }
}

#[test]
fn one_gateway_two_servers() {
    let out = sni_guard(&["plugin-config", "one-gateway-two-servers.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json()["servers"],
        json!([{"name": "shop/shop/https-www", "hosts": ["www.shop.example"]},
               {"name": "shop/shop/https-api", "hosts": ["api.shop.example"]}])
    );
    let config = filter_config(&out.stdout);
    assert_eq!(
        verdict(&config, "www.shop.example", "api.shop.example"),
        "421"
    );
}

#[test]
fn namespace_forms_become_plain_hosts() {
    let out = sni_guard(&["plugin-config", "namespace-hosts.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json()["servers"],
        json!([{"name": "team-a/team-a/https", "hosts": ["a.example.com", "*.a.example.com"]},
               {"name": "team-b/team-b/https", "hosts": ["b.example.com"]}])
    );
    let config = filter_config(&out.stdout);
    assert_eq!(verdict(&config, "x.a.example.com", "a.example.com"), "pass");
    assert_eq!(verdict(&config, "x.a.example.com", "b.example.com"), "421");
}

#[test]
fn kubectl_list_from_stdin() {
    let out = sni_guard_stdin(
        &["plugin-config", "-"],
        fixture_text("kubectl-list.json").as_bytes(),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json()["servers"],
        json!([{"name": "bookinfo/bookinfo-gateway/https", "hosts": ["bookinfo.example.com"]},
               {"name": "httpbin/httpbin-gateway/https", "hosts": ["httpbin.example.com"]}])
    );
    filter_config(&out.stdout);
}

#[test]
fn a_duplicate_host_is_reported_not_generated() {
    let out = sni_guard(&["plugin-config", "duplicate-host.yaml"]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, "");
    assert_eq!(
        without_notes(&out.stderr),
        "sni-guard: error: no configuration for workload istio-system/istio-ingressgateway (assumed), port 443:\nhost a.example.com is listed by more than one server: web/gw-a servers[0] (port https) and api/gw-a-copy servers[0] (port https). Istio serves only one of them; list each host in one server (or merge the servers), then generate again\n"
    );
}

#[test]
fn choosing_among_workloads() {
    let out = sni_guard(&["plugin-config", "different-workloads.yaml"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert_eq!(
        without_notes(&out.stderr),
        "sni-guard: error: 2 workload ports have HTTPS servers; choose one with --selector, --port, --bind or --gateway:\n  --selector istio=ingressgateway --port 443    (workload istio-system/istio-ingressgateway (assumed), port 443: 1 HTTPS server)\n  --selector istio=internal-gateway --port 443    (workload pods labelled istio=internal-gateway (assumed), port 443: 1 HTTPS server)\n"
    );
    let out = sni_guard(&[
        "plugin-config",
        "--selector",
        "istio=internal-gateway",
        "--port",
        "443",
        "different-workloads.yaml",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json()["servers"],
        json!([{"name": "istio-system/internal/https", "hosts": ["b.example.com"]}])
    );
    let out = sni_guard(&[
        "plugin-config",
        "--gateway",
        "istio-system/public",
        "different-workloads.yaml",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json()["servers"][0]["name"],
        "istio-system/public/https"
    );
    let out = sni_guard(&[
        "plugin-config",
        "--selector",
        "istio=nope",
        "different-workloads.yaml",
    ]);
    assert_eq!(out.code, 2);
    assert!(
        without_notes(&out.stderr).starts_with(
            "sni-guard: error: no HTTPS server matches --selector istio=nope; the input has:\n"
        ),
        "{}",
        out.stderr
    );
}

#[test]
fn nothing_to_configure() {
    let out = sni_guard(&["plugin-config", "not-http-filter-chains.yaml"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("no HTTPS server that terminates TLS"),
        "{}",
        out.stderr
    );
}

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
fn passthrough_hosts_are_in_the_table() {
    let out = sni_guard(&["plugin-config", "passthrough-beside-wildcard.yaml"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.json()["servers"],
        json!([{"name": "istio-system/wildcard/https", "hosts": ["*.example.com"]},
               {"name": "httpbin/httpbin/tls-httpbin", "hosts": ["httpbin.example.com"]}])
    );
    let config = filter_config(&out.stdout);
    assert_eq!(
        verdict(&config, "www.example.com", "httpbin.example.com"),
        "421"
    );
    assert_eq!(
        verdict(&config, "www.example.com", "api.example.com"),
        "pass"
    );
}

#[test]
fn every_selector_of_the_default_pods_gives_one_table() {
    let out = sni_guard(&[
        "plugin-config",
        "--selector",
        "istio=ingressgateway",
        "workload-selectors.yaml",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let servers = out.json()["servers"].clone();
    let names: Vec<&str> = servers
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "istio-system/by-istio/https",
            "web/by-app/https",
            "web/by-both/https",
            "web/everywhere/https"
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
        not_a_plugin.stderr.contains("merged-gateway.yaml: no WasmPlugin (extensions.istio.io) in it; found: 1 networking.istio.io/v1 Gateway"),
        "{}",
        not_a_plugin.stderr
    );
}

/// Every configuration the command prints, for every fixture and workload port, is one the
/// filter accepts; the WasmPlugin carries the same configuration.
#[test]
fn every_generated_configuration_parses() {
    let mut generated = 0;
    for fixture in GOOD_FIXTURES {
        let audit = sni_guard(&["audit", "--format", "json", fixture]);
        assert!(audit.code < 2, "{fixture}: {}", audit.stderr);
        for selection in [
            vec![],
            vec!["--selector", "istio=ingressgateway", "--port", "443"],
            vec!["--selector", "istio=internal-gateway"],
            vec!["--selector", "app=legacy-gateway", "--port", "8443"],
        ] {
            let mut args = vec!["plugin-config"];
            args.extend(&selection);
            args.push(fixture);
            let out = sni_guard(&args);
            if out.code != 0 {
                assert!(out.stdout.is_empty(), "{fixture} {selection:?}");
                continue;
            }
            filter_config(&out.stdout);
            args.insert(1, "--wasmplugin");
            args.insert(2, "--placeholder-url");
            let manifest = sni_guard(&args);
            assert_eq!(manifest.code, 0, "{}", manifest.stderr);
            let manifest: Value = yaml_serde::from_str(&manifest.stdout).unwrap();
            assert_eq!(
                manifest["spec"]["pluginConfig"],
                out.json(),
                "{fixture} {selection:?}"
            );
            generated += 1;
        }
    }
    assert!(generated >= 8, "only {generated} configurations generated");
}
