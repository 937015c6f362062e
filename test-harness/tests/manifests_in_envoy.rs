//! Every WasmPlugin in `envoyfilter/` runs in the real Envoy: its `pluginConfig` becomes the
//! JSON istiod writes, the filter is named as istiod names it, and topology (a) starts with it
//! and answers as the configured mode says. The legacy Lua EnvoyFilter's patch, applied as
//! istiod applies it, runs too, and carries the harness's Lua source verbatim.

mod envoyfilter;

use envoyfilter::{Manifest, of_kind};
use sni_guard_decision::{Config, Mode};
use sni_guard_harness::client::BODY_421;
use sni_guard_harness::envoy::gateway::Outcome;
use sni_guard_harness::envoy::suite_version;
use sni_guard_harness::istio::istiod::{
    configuration as istiod_configuration, filter_name as istiod_filter_name,
};
use sni_guard_harness::plugin_slot::{is_sni_guard, visit_http_filters_mut};
use sni_guard_harness::{Filter, Gateway, Topology, envoy::lua};
use yaml_serde::Value as Yaml;

/// The hosts topology (a) has a filter chain for.
const TOPOLOGY_HOSTS: [&str; 2] = ["a.example.com", "b.example.com"];

fn text(plugin: &Manifest, pointer: &str) -> String {
    plugin
        .object
        .pointer(pointer)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

/// Topology (a) with its sni-guard entries named as istiod names `plugin`'s filter.
fn topology_for(plugin: &Manifest) -> Yaml {
    let name = istiod_filter_name(&plugin.object);
    let root_id = text(plugin, "/spec/pluginName");
    let mut config = Topology::TwoGateways.load().unwrap();
    let mut renamed = 0;
    visit_http_filters_mut(&mut config, &mut |filters| {
        for filter in filters.iter_mut() {
            if is_sni_guard(filter) {
                filter["name"] = name.clone().into();
                filter["typed_config"]["config"]["name"] = name.clone().into();
                filter["typed_config"]["config"]["root_id"] = root_id.clone().into();
                renamed += 1;
            }
        }
    });
    assert!(renamed > 0, "topology (a) has no sni-guard filter");
    config
}

/// The first host of each of the first two servers: the SNI and the other server's authority.
fn sni_and_other_authority(json: &str, label: &str) -> (String, String) {
    let value: serde_json::Value = serde_json::from_str(json).unwrap();
    let host = |i: usize| {
        let host = value["servers"][i]["hosts"][0].as_str().unwrap_or_default();
        assert!(
            TOPOLOGY_HOSTS.contains(&host),
            "{label}: servers[{i}].hosts[0] must be one of topology (a)'s hosts {TOPOLOGY_HOSTS:?}, got {host:?}"
        );
        host.to_owned()
    };
    (host(0), host(1))
}

fn run_plugin(plugin: &Manifest) {
    let label = plugin.label();
    assert_eq!(
        text(plugin, "/spec/pluginName"),
        "sni-guard",
        "{label}: the module's root id"
    );
    let json = istiod_configuration(&plugin.object)
        .unwrap_or_else(|| panic!("{label}: no pluginConfig to test"));
    let config = Config::parse(json.as_bytes()).unwrap_or_else(|e| panic!("{label}: {e}"));
    let (sni, other) = sni_and_other_authority(&json, &label);

    let base = topology_for(plugin);
    let filter = Filter::SniGuard(json.clone());
    let gateway = match Gateway::builder(base).filter(&filter).launch().unwrap() {
        Outcome::Ready(gateway) => gateway,
        Outcome::Refused(exited) => panic!("{label}: Envoy refused {json}:\n{}", exited.stderr),
    };
    let client = gateway.client().unwrap();
    let mut h2 = client.h2(Some(&sni)).unwrap();
    let misdirected = h2.get(&other).unwrap();
    let own = h2.get(&sni).unwrap();
    let counters = gateway.envoy.sni_guard_counters().unwrap();
    let stopped = gateway.stop().unwrap();
    let stderr = &stopped.exited.stderr;

    // Envoy prefixes the module's log lines with its root id.
    let configured = format!("wasm log sni-guard: configured: {}", config.summary());
    assert!(
        stderr.contains(&configured),
        "{label}: no {configured:?} in Envoy's log:\n{stderr}"
    );
    assert_eq!(own.status, 200, "{label}: {sni} on its own connection");
    match config.mode {
        Mode::Strict => {
            assert_eq!(
                (misdirected.status, misdirected.body.as_str()),
                (421, BODY_421),
                "{label}: {other} on the {sni} connection"
            );
            assert_eq!(
                counters.get("misdirected"),
                Some(&1),
                "{label}: {counters:?}"
            );
            assert_eq!(counters.get("log_only_mismatches"), Some(&0), "{label}");
            let entry = stopped
                .access_log
                .iter()
                .find(|e| e.status == 421)
                .unwrap_or_else(|| panic!("{label}: no 421 in the access log"));
            assert_eq!(entry.details, "sni_guard_misdirected_request");
            assert_eq!(entry.authority.as_deref(), Some(other.as_str()));
        }
        Mode::LogOnly => {
            // Let through to the SNI's route table, which has no route for the other host.
            assert_eq!(
                misdirected.status, 404,
                "{label}: {other} on the {sni} connection"
            );
            assert_eq!(
                counters.get("log_only_mismatches"),
                Some(&1),
                "{label}: {counters:?}"
            );
            assert_eq!(counters.get("misdirected"), Some(&0), "{label}");
            let warning = format!(
                "misdirected request let through (log_only): sni \"{sni}\" (server {}), authority \"{other}\" (server {})",
                text(plugin, "/spec/pluginConfig/servers/0/name"),
                text(plugin, "/spec/pluginConfig/servers/1/name"),
            );
            assert!(
                stderr.contains(&warning),
                "{label}: no {warning:?} in Envoy's log:\n{stderr}"
            );
        }
    }
    eprintln!(
        "{label}: Envoy {} ran {json} as configured",
        suite_version()
    );
}

#[test]
fn every_wasm_plugin_runs_in_envoy_as_configured() {
    let plugins = of_kind("WasmPlugin");
    let modes: Vec<String> = plugins
        .iter()
        .map(|p| text(p, "/spec/pluginConfig/mode"))
        .collect();
    assert!(
        plugins.len() >= 3
            && modes.iter().any(|m| m == "log_only")
            && modes.iter().any(|m| m == "strict"),
        "expected strict and log_only WasmPlugins, found modes {modes:?}"
    );
    for plugin in &plugins {
        run_plugin(plugin);
    }
}

/// The EnvoyFilter's patches applied to topology (a) as istiod applies them on a gateway:
/// `INSERT_BEFORE` the named filter of every HTTP connection manager.
fn apply_envoy_filter(filter: &Manifest, config: &mut Yaml) {
    let label = filter.label();
    let patches = filter.object["spec"]["configPatches"]
        .as_array()
        .unwrap_or_else(|| panic!("{label}: no configPatches"));
    for patch in patches {
        let m = &patch["match"];
        assert_eq!(patch["applyTo"], "HTTP_FILTER", "{label}");
        assert_eq!(m["context"], "GATEWAY", "{label}");
        assert_eq!(
            m["listener"]["filterChain"]["filter"]["name"],
            "envoy.filters.network.http_connection_manager",
            "{label}"
        );
        assert_eq!(patch["patch"]["operation"], "INSERT_BEFORE", "{label}");
        let before = m["listener"]["filterChain"]["filter"]["subFilter"]["name"]
            .as_str()
            .expect("subFilter.name");
        let value: Yaml = yaml_serde::to_value(&patch["patch"]["value"]).unwrap();
        let mut inserted = 0;
        visit_http_filters_mut(config, &mut |filters| {
            if let Some(at) = filters
                .iter()
                .position(|f| f["name"].as_str() == Some(before))
            {
                filters.insert(at, value.clone());
                inserted += 1;
            }
        });
        assert!(inserted > 0, "{label}: no {before} to insert before");
    }
}

#[test]
fn the_lua_envoy_filter_is_the_harness_workaround_and_runs() {
    let filters = of_kind("EnvoyFilter");
    let legacy = filters
        .iter()
        .find(|f| f.object["metadata"]["name"] == "misdirected-request")
        .expect("envoyfilter/ holds the misdirected-request EnvoyFilter");
    let value = &legacy.object["spec"]["configPatches"][0]["patch"]["value"];
    assert_eq!(value["name"], "envoy.filters.http.lua");
    assert_eq!(
        value["typed_config"]["inlineCode"].as_str(),
        Some(lua::source().unwrap().as_str()),
        "the EnvoyFilter's Lua must be test-harness/envoy/misdirected-request.lua verbatim"
    );

    let mut config = Topology::TwoGateways.load().unwrap();
    apply_envoy_filter(legacy, &mut config);
    // Filter::None takes sni-guard out: the Lua filter alone, as before the migration.
    let gateway = match Gateway::builder(config)
        .filter(&Filter::None)
        .launch()
        .unwrap()
    {
        Outcome::Ready(gateway) => gateway,
        Outcome::Refused(exited) => {
            panic!("Envoy refused the EnvoyFilter's patch:\n{}", exited.stderr)
        }
    };
    let client = gateway.client().unwrap();
    let mut h2 = client.h2(Some("a.example.com")).unwrap();
    let misdirected = h2.get("b.example.com").unwrap();
    assert_eq!(
        (misdirected.status, misdirected.body.as_str()),
        (421, "Misdirected Request")
    );
    assert_eq!(h2.get("a.example.com").unwrap().status, 200);
    assert!(gateway.envoy.sni_guard_counters().unwrap().is_empty());
    let stopped = gateway.stop().unwrap();
    let lua_421 = stopped.access_log.iter().find(|e| e.status == 421).unwrap();
    assert_eq!(lua_421.details, "lua_response");
}
