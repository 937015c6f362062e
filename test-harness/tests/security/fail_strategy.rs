//! `failStrategy` where sni-guard guards a client-certificate boundary: topology (c) with
//! sni-guard delivered as Istio delivers `envoyfilter/wasmplugin.yaml` (istiod's
//! `config_discovery` reference, the resource through ECDS; src/istio/ecds.rs), its `servers` table
//! for topology (c), and a module that cannot load: the bytes istio-agent fetched are no Wasm
//! module, so istio-agent sends its RBAC stand-in under the filter's name (deny-all for
//! `FAIL_CLOSE`, allow-all for `FAIL_OPEN`; src/istio/istiod.rs).

use super::*;
use serde_json::{Value, json};
use sni_guard_harness::istio::ecds::Discovered;
use sni_guard_harness::{istio::istiod, istio::migrate, paths};

/// A corrupt download: no Wasm header.
const CORRUPT: &[u8] = b"<html>502 Bad Gateway</html>\n";

/// `wasmplugin.yaml` for topology (c) with `strategy`.
fn wasm_plugin(strategy: &str) -> Value {
    let mut plugin = istiod::load(&paths::workspace_root().join(migrate::STRICT)).unwrap();
    let servers: Value = serde_json::from_str(MUTUAL_SERVERS).unwrap();
    plugin["spec"]["pluginConfig"] = json!({"mode": "strict", "servers": servers});
    plugin["spec"]["failStrategy"] = json!(strategy);
    plugin
}

fn discover(strategy: &str, module: &[u8]) -> Discovered {
    let plugin = wasm_plugin(strategy);
    Discovered::start_on(Topology::MutualBesideWildcard, &plugin, module, |_| Ok(())).unwrap()
}

/// The control: the module itself, through ECDS with `FAIL_CLOSE`, answers the bypass 421.
#[test]
fn through_ecds_the_loaded_module_refuses_the_bypass() {
    let module = std::fs::read(paths::module().unwrap()).unwrap();
    let discovered = discover("FAIL_CLOSE", &module);
    for protocol in BOTH {
        assert_eq!(bypass(&discovered.gateway, protocol).status, 421);
    }
    assert_eq!(counters(&discovered.gateway), [2, 0, 0]);
}

/// `FAIL_CLOSE`, module not loadable: Envoy runs istio-agent's deny-all RBAC filter, so the
/// bypass is refused (403), and so is every other request of the gateway: the price of
/// closing.
#[test]
fn fail_close_refuses_the_bypass_when_the_module_cannot_load() {
    let discovered = discover("FAIL_CLOSE", CORRUPT);
    let gateway = &discovered.gateway;
    for protocol in BOTH {
        let response = bypass(gateway, protocol);
        assert_eq!(
            (response.status, response.body.as_str()),
            (403, "RBAC: access denied"),
            "{protocol:?}"
        );
    }
    let own = gateway.client().unwrap();
    let own = own.get(Protocol::Http2, WWW, "www.example.com").unwrap();
    assert_eq!(own.status, 403);
    let admin = gateway.client_with_certificate().unwrap();
    let admin = admin
        .get(Protocol::Http2, ADMIN, "admin.example.com")
        .unwrap();
    assert_eq!(admin.status, 403);
    assert!(gateway.envoy.sni_guard_counters().unwrap().is_empty());
    let denied = rbac_stats(gateway);
    assert_eq!(
        denied.get("wasm-default-deny.denied"),
        Some(&4),
        "{denied:?}"
    );
    assert_eq!(
        denied.get("wasm-default-deny.allowed"),
        Some(&0),
        "{denied:?}"
    );
    let Discovered { gateway, .. } = discovered;
    let log = gateway.stop().unwrap().access_log;
    let denied = "rbac_access_denied_matched_policy[none]";
    assert_eq!(
        logged(&log, "admin.example.com"),
        [
            ("www", 403, denied, "HTTP/2"),
            ("www", 403, denied, "HTTP/1.1"),
            ("admin", 403, denied, "HTTP/2"),
        ]
    );
}

/// `FAIL_OPEN`, module not loadable: istio-agent's allow-all filter, the gateway as without
/// sni-guard: the client without a certificate reaches admin's backend.
#[test]
fn fail_open_serves_the_bypass_when_the_module_cannot_load() {
    let discovered = discover("FAIL_OPEN", CORRUPT);
    for protocol in BOTH {
        let response = bypass(&discovered.gateway, protocol);
        assert_eq!(
            (response.status, response.body.as_str()),
            (200, ADMIN_BODY),
            "{protocol:?}"
        );
    }
    assert!(
        discovered
            .gateway
            .envoy
            .sni_guard_counters()
            .unwrap()
            .is_empty()
    );
    // istio-agent's stand-in is what runs: without rules it lets all through uncounted.
    let allow =
        [("allowed", 0), ("denied", 0)].map(|(n, v)| (format!("wasm-default-allow.{n}"), v));
    let shadow = [
        ("shadow_allowed".to_string(), 0),
        ("shadow_denied".to_string(), 0),
    ];
    let expected: std::collections::BTreeMap<String, u64> =
        allow.into_iter().chain(shadow).collect();
    assert_eq!(rbac_stats(&discovered.gateway), expected);
}

/// The RBAC filter's statistics (`wasm-default-deny.denied`, ...), names after `rbac.`:
/// Envoy 1.40 keeps them under the connection manager's prefix, 1.36 under the ECDS
/// filter's (`extension_config_discovery.http_filter.istio-system.sni-guard.rbac.`); summed,
/// should a version keep both.
fn rbac_stats(gateway: &Gateway) -> std::collections::BTreeMap<String, u64> {
    let all = sni_guard_harness::envoy::admin::stats(gateway.envoy.admin(), "rbac\\.").unwrap();
    let mut stats = std::collections::BTreeMap::new();
    for (name, value) in all {
        if let Some((_, name)) = name.split_once("rbac.") {
            *stats.entry(name.to_string()).or_insert(0) += value;
        }
    }
    stats
}

/// What Envoy does when the first version of the filter it receives cannot be created: it
/// rejects the update whatever `failure_policy` says (`update_rejected`, "Unable to create
/// Wasm plugin"), and with no earlier configuration of the filter every request gets 500
/// (empty response code details) under `FAIL_OPEN` as under `FAIL_CLOSE`. Refused either way,
/// so no bypass; but `FAIL_OPEN` does not keep such a gateway serving.
fn rejected_on_first_delivery(plugin: &Value, module: &[u8], log_line: &str) {
    let strategy = plugin["spec"]["failStrategy"].clone();
    let discovered =
        Discovered::start_on(Topology::MutualBesideWildcard, plugin, module, |_| Ok(())).unwrap();
    for protocol in BOTH {
        let response = bypass(&discovered.gateway, protocol);
        assert_eq!(response.status, 500, "{strategy} {protocol:?}");
    }
    let stats = discovered.stats().unwrap();
    assert_eq!(
        (stats["update_rejected"], stats["update_success"]),
        (1, 0),
        "{strategy}: {stats:?}"
    );
    let Discovered { gateway, .. } = discovered;
    let stopped = gateway.stop().unwrap();
    let stderr = &stopped.exited.stderr;
    assert!(stderr.contains("Unable to create Wasm plugin istio-system.sni-guard"));
    assert!(stderr.contains(log_line), "{strategy}: no {log_line:?}");
    assert_eq!(
        logged(&stopped.access_log, "admin.example.com"),
        [("www", 500, "", "HTTP/2"), ("www", 500, "", "HTTP/1.1")],
        "{strategy}"
    );
}

/// A module with a Wasm header that V8 cannot compile passes istio-agent's check and reaches
/// Envoy.
#[test]
fn a_module_envoy_cannot_compile_is_refused_under_either_strategy() {
    let broken: &[u8] = b"\0asm\x01\0\0\0 truncated";
    assert!(istiod::is_wasm_binary(broken));
    for strategy in ["FAIL_CLOSE", "FAIL_OPEN"] {
        let log_line = "Wasm VM failed Failed to parse corrupted Wasm module";
        rejected_on_first_delivery(&wasm_plugin(strategy), broken, log_line);
    }
}

/// A `pluginConfig` sni-guard refuses, as the first version a gateway receives.
#[test]
fn a_refused_configuration_first_delivered_is_refused_under_either_strategy() {
    let module = std::fs::read(paths::module().unwrap()).unwrap();
    for strategy in ["FAIL_CLOSE", "FAIL_OPEN"] {
        let mut plugin = wasm_plugin(strategy);
        plugin["spec"]["pluginConfig"]["mode"] = json!("enforce");
        let log_line = r#"sni-guard: configuration refused: mode: must be "strict" or "log_only", got "enforce""#;
        rejected_on_first_delivery(&plugin, &module, log_line);
    }
}
