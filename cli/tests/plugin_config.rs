//! `sni-guard plugin-config`: the configuration it prints mirrors the Gateway servers, is
//! accepted by the filter's own parser, and decides requests as the Gateways route them.

#![allow(clippy::panic)] // test helpers may fail loudly

mod common;

use common::{GOOD_FIXTURES, fixture_text, sni_guard, sni_guard_stdin, without_notes};
use serde_json::{Value, json};
use sni_guard_decision::{Config, Request, Verdict};

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
    let names = out.server_names();
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

/// Every configuration the command prints, for every fixture and workload port, is one the
/// filter accepts; the WasmPlugin carries the same configuration. Of the 52 runs, 21 print
/// one, the duplicate host's two are refused (exit 1), and 29 choose no single listener
/// (exit 2: nothing matches, no HTTPS server at all, or two ports to choose from).
#[test]
fn every_generated_configuration_parses() {
    let (mut generated, mut refused, mut unchosen) = (0, 0, 0);
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
                match out.code {
                    1 => refused += 1,
                    2 => unchosen += 1,
                    code => panic!("{fixture} {selection:?}: exit {code}"),
                }
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
    assert_eq!(
        (generated, refused, unchosen),
        (21, 2, 29),
        "configurations generated, refused, and runs that choose no listener"
    );
}
