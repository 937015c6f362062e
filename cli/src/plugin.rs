//! sni-guard's configuration, generated from the HTTPS servers of one listener: one filter
//! server per Gateway server, with the same hosts, so that the filter picks servers exactly
//! as Envoy picks filter chains.

use crate::audit::{canonical_host, duplicate_hosts};
use crate::gateway::{show_labels, sni_host, Labels};
use crate::layout::{Listener, ServerRef};
use crate::report::count;
use serde::Serialize;
use sni_guard::pattern::Pattern;

/// The filter's `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Strict,
    LogOnly,
}

impl Serialize for Mode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(match self {
            Mode::Strict => "strict",
            Mode::LogOnly => "log_only",
        })
    }
}

/// The plugin configuration JSON (what a WasmPlugin's `pluginConfig` becomes).
#[derive(Debug, Clone, Serialize)]
pub struct PluginConfig {
    pub mode: Mode,
    pub servers: Vec<FilterServer>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FilterServer {
    pub name: String,
    pub hosts: Vec<String>,
}

/// Which listener to mirror; unset fields choose nothing.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Labels the workload has (an exact match wins over workloads with more labels).
    pub selector: Labels,
    pub port: Option<u32>,
    pub bind: Option<String>,
    /// `namespace/name` of a Gateway with a server on the listener.
    pub gateway: Option<String>,
}

/// Chooses the listener to mirror. The error lists the candidates and how to pick one.
pub fn choose<'l, 'g>(
    listeners: &'l [(Listener, Vec<ServerRef<'g>>)],
    selection: &Selection,
) -> Result<&'l (Listener, Vec<ServerRef<'g>>), String> {
    if listeners.is_empty() {
        return Err("the input has no HTTPS server that terminates TLS (protocol HTTPS, tls.mode SIMPLE, MUTUAL or OPTIONAL_MUTUAL): nothing to configure".to_owned());
    }
    let contains = |l: &Listener| {
        selection
            .selector
            .iter()
            .all(|(k, v)| l.workload.get(k) == Some(v))
    };
    let mut matching: Vec<&(Listener, Vec<ServerRef<'g>>)> = listeners
        .iter()
        .filter(|(l, servers)| {
            contains(l)
                && selection.port.is_none_or(|p| l.port == p)
                && selection
                    .bind
                    .as_ref()
                    .is_none_or(|b| l.bind.as_ref() == Some(b))
                && selection
                    .gateway
                    .as_ref()
                    .is_none_or(|g| servers.iter().any(|s| s.gateway.id() == *g))
        })
        .collect();
    if !selection.selector.is_empty()
        && matching
            .iter()
            .any(|(l, _)| l.workload == selection.selector)
    {
        matching.retain(|(l, _)| l.workload == selection.selector);
    }
    if selection.bind.is_none() && matching.iter().any(|(l, _)| l.bind.is_none()) {
        matching.retain(|(l, _)| l.bind.is_none());
    }
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "no HTTPS server matches {}; the input has:\n{}",
            describe(selection).unwrap_or_default(),
            candidates(listeners.iter())
        )),
        several => Err(format!(
            "{} workload ports have HTTPS servers{}; choose one with --selector, --port (and --bind):\n{}",
            several.len(),
            describe(selection).map_or(String::new(), |d| format!(" matching {d}")),
            candidates(several.iter().copied())
        )),
    }
}

/// The flags given, as typed; `None` when there are none.
fn describe(selection: &Selection) -> Option<String> {
    let mut parts = Vec::new();
    if !selection.selector.is_empty() {
        parts.push(format!("--selector {}", show_labels(&selection.selector)));
    }
    if let Some(port) = selection.port {
        parts.push(format!("--port {port}"));
    }
    if let Some(bind) = &selection.bind {
        parts.push(format!("--bind {bind}"));
    }
    if let Some(gateway) = &selection.gateway {
        parts.push(format!("--gateway {gateway}"));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn candidates<'a, 'g: 'a>(
    listeners: impl Iterator<Item = &'a (Listener, Vec<ServerRef<'g>>)>,
) -> String {
    listeners
        .map(|(l, servers)| {
            let mut flags = String::new();
            if !l.workload.is_empty() {
                flags.push_str(&format!("--selector {} ", show_labels(&l.workload)));
            }
            flags.push_str(&format!("--port {}", l.port));
            if let Some(bind) = &l.bind {
                flags.push_str(&format!(" --bind {bind}"));
            }
            format!(
                "  {flags}    ({l}: {})",
                count(servers.len(), "HTTPS server")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The filter server name for each server: `<namespace>/<gateway>/<port name>`, or the
/// server's index when the port has no name or the name is taken.
fn server_names(servers: &[ServerRef<'_>]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for s in servers {
        let base = format!("{}/{}", s.gateway.namespace, s.gateway.name);
        let by_port = (!s.server.port.name.is_empty())
            .then(|| format!("{base}/{}", s.server.port.name))
            .filter(|n| !names.contains(n));
        let mut name = by_port.unwrap_or_else(|| format!("{base}/{}", s.server.index));
        while names.contains(&name) {
            name.push('\'');
        }
        names.push(name);
    }
    names
}

/// Builds the configuration for one listener's servers. Refuses (naming the servers) when
/// Istio itself would not serve them all: a host listed twice, a host that is not a host.
/// The result is checked with the filter's own parser before it is returned.
pub fn plugin_config(servers: &[ServerRef<'_>], mode: Mode) -> Result<PluginConfig, String> {
    let mut problems = Vec::new();
    for (hosts, group) in duplicate_hosts(servers) {
        let owners: Vec<String> = group.iter().map(ServerRef::label).collect();
        problems.push(format!(
            "host {} is listed by more than one server: {}. Istio serves only one of them; list each host in one server (or merge the servers), then generate again",
            hosts.join(", "),
            owners.join(" and ")
        ));
    }
    let names = server_names(servers);
    let mut filter_servers = Vec::new();
    for (s, name) in servers.iter().zip(names) {
        let mut hosts: Vec<String> = Vec::new();
        for host in &s.server.hosts {
            if let Err(why) = Pattern::parse(sni_host(host)) {
                problems.push(format!(
                    "{}: host {host:?} is not a valid host: {why}",
                    s.label()
                ));
                continue;
            }
            let host = canonical_host(host);
            if !hosts.contains(&host) {
                hosts.push(host);
            }
        }
        if s.server.hosts.is_empty() {
            problems.push(format!("{}: no hosts", s.label()));
        }
        filter_servers.push(FilterServer { name, hosts });
    }
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    let config = PluginConfig {
        mode,
        servers: filter_servers,
    };
    let json = serde_json::to_vec(&config).map_err(|e| e.to_string())?;
    sni_guard::Config::parse(&json)
        .map_err(|e| format!("the filter would refuse this configuration: {e}"))?;
    Ok(config)
}

/// Where the module is published.
pub const DEFAULT_URL: &str = "oci://registry.example.com/sni-guard:0.1.0";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WasmPlugin<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: Metadata,
    spec: WasmPluginSpec<'a>,
}

#[derive(Serialize)]
struct Metadata {
    name: &'static str,
    namespace: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WasmPluginSpec<'a> {
    selector: Selector<'a>,
    url: &'a str,
    plugin_name: &'static str,
    phase: &'static str,
    priority: i32,
    fail_strategy: &'static str,
    plugin_config: &'a PluginConfig,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Selector<'a> {
    match_labels: &'a Labels,
}

/// A complete `WasmPlugin` manifest that runs sni-guard with `config` on `workload`.
pub fn wasm_plugin(
    config: &PluginConfig,
    listener: &Listener,
    servers: &[ServerRef<'_>],
    url: &str,
) -> Result<String, String> {
    if listener.workload.is_empty() {
        return Err("these Gateways have no selector: a WasmPlugin without one would run in every proxy of the mesh; print the configuration alone (without --wasmplugin) and write the WasmPlugin's selector by hand".to_owned());
    }
    let mut gateways: Vec<String> = servers.iter().map(|s| s.gateway.id()).collect();
    gateways.dedup();
    let manifest = WasmPlugin {
        api_version: "extensions.istio.io/v1alpha1",
        kind: "WasmPlugin",
        metadata: Metadata {
            name: "sni-guard",
            namespace: "istio-system",
        },
        spec: WasmPluginSpec {
            selector: Selector {
                match_labels: &listener.workload,
            },
            url,
            plugin_name: "sni-guard",
            phase: "AUTHN",
            priority: 1000,
            fail_strategy: "FAIL_OPEN",
            plugin_config: config,
        },
    };
    let yaml = yaml_serde::to_string(&manifest).map_err(|e| e.to_string())?;
    Ok(format!(
        "# sni-guard on {listener}: 421 Misdirected Request for requests on a\n# connection made for another server. Mirrors the HTTPS servers of: {}.\n{yaml}",
        gateways.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::fixtures::gateway;
    use crate::gateway::{Gateway, Source};
    use crate::layout::https_listeners;
    use serde_json::{json, Value};

    fn https(port: u32, port_name: &str, hosts: &[&str]) -> Value {
        json!({"port": {"number": port, "name": port_name, "protocol": "HTTPS"},
               "hosts": hosts, "tls": {"mode": "SIMPLE", "credentialName": "wild"}})
    }

    fn config_json(gws: &[Gateway], mode: Mode) -> Result<Value, String> {
        let listeners = https_listeners(gws);
        let (_, servers) = choose(&listeners, &Selection::default())?;
        Ok(serde_json::to_value(plugin_config(servers, mode)?).unwrap())
    }

    #[test]
    fn mirrors_the_servers() {
        let gws = vec![
            gateway(
                "gw-a",
                "ig",
                json!([https(
                    443,
                    "https",
                    &["a.example.com", "web/*.A.example.org."]
                )]),
            ),
            gateway(
                "gw-b",
                "ig",
                json!([https(443, "https", &["./b.example.com", "*/*"])]),
            ),
        ];
        assert_eq!(
            config_json(&gws, Mode::Strict).unwrap(),
            json!({"mode": "strict", "servers": [
                {"name": "ns/gw-a/https", "hosts": ["a.example.com", "*.a.example.org"]},
                {"name": "ns/gw-b/https", "hosts": ["b.example.com", "*"]}]})
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
                https(443, "1", &["a.example.com"]),
                https(443, "", &["b.example.com"]),
                https(443, "https", &["c.example.com"]),
                https(443, "https", &["d.example.com"])
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
            gateway(
                "gw-a",
                "ig",
                json!([https(443, "https", &["a.example.com"])]),
            ),
            gateway(
                "gw-b",
                "ig",
                json!([https(443, "https", &["web/A.example.com"])]),
            ),
        ];
        let err = config_json(&gws, Mode::Strict).unwrap_err();
        assert!(err.starts_with("host a.example.com is listed by more than one server: ns/gw-a servers[0] (port https) and ns/gw-b servers[0] (port https)"), "{err}");
    }

    #[test]
    fn a_bad_host_is_refused() {
        let gws = vec![gateway(
            "g",
            "ig",
            json!([https(443, "https", &["a.*.example.com"])]),
        )];
        let err = config_json(&gws, Mode::Strict).unwrap_err();
        assert!(err.starts_with("ns/g servers[0] (port https): host \"a.*.example.com\" is not a valid host: a wildcard"), "{err}");
    }

    #[test]
    fn choosing_a_listener() {
        let gws = vec![
            gateway(
                "a",
                "ig",
                json!([
                    https(443, "https", &["a.example.com"]),
                    https(8443, "alt", &["a.example.com"])
                ]),
            ),
            gateway(
                "b",
                "other",
                json!([https(443, "https", &["b.example.com"])]),
            ),
        ];
        let listeners = https_listeners(&gws);
        let pick =
            |selection: Selection| choose(&listeners, &selection).map(|(l, _)| l.to_string());
        let err = pick(Selection::default()).unwrap_err();
        assert!(
            err.starts_with("3 workload ports have HTTPS servers; choose one"),
            "{err}"
        );
        assert!(err.contains("  --selector istio=ig --port 8443    (workload istio=ig, port 8443: 1 HTTPS server)"), "{err}");
        let selector: Labels = [("istio".to_owned(), "ig".to_owned())].into();
        assert_eq!(
            pick(Selection {
                selector: selector.clone(),
                port: Some(443),
                ..Selection::default()
            })
            .unwrap(),
            "workload istio=ig, port 443"
        );
        assert_eq!(
            pick(Selection {
                gateway: Some("ns/b".into()),
                ..Selection::default()
            })
            .unwrap(),
            "workload istio=other, port 443"
        );
        let err = pick(Selection {
            selector,
            port: Some(80),
            ..Selection::default()
        })
        .unwrap_err();
        assert!(
            err.starts_with(
                "no HTTPS server matches --selector istio=ig --port 80; the input has:"
            ),
            "{err}"
        );
        assert!(choose(&[], &Selection::default())
            .unwrap_err()
            .contains("nothing to configure"));
    }

    #[test]
    fn an_exact_selector_wins() {
        let gws = vec![
            gateway("a", "ig", json!([https(443, "https", &["a.example.com"])])),
            Gateway::from_value(
                &json!({"metadata": {"name": "b", "namespace": "ns"},
                        "spec": {"selector": {"istio": "ig", "app": "x"}, "servers": [https(443, "https", &["b.example.com"])]}}),
                Source { file: "t".into(), place: String::new() },
            )
            .unwrap(),
        ];
        let listeners = https_listeners(&gws);
        let selector: Labels = [("istio".to_owned(), "ig".to_owned())].into();
        let (l, _) = choose(
            &listeners,
            &Selection {
                selector,
                ..Selection::default()
            },
        )
        .unwrap();
        assert_eq!(l.to_string(), "workload istio=ig, port 443");
    }

    #[test]
    fn wasm_plugin_manifest() {
        let gws = vec![gateway(
            "gw-a",
            "ig",
            json!([https(443, "https", &["a.example.com"])]),
        )];
        let listeners = https_listeners(&gws);
        let (listener, servers) = &listeners[0];
        let config = plugin_config(servers, Mode::Strict).unwrap();
        let yaml = wasm_plugin(&config, listener, servers, DEFAULT_URL).unwrap();
        assert!(yaml.starts_with("# sni-guard on workload istio=ig, port 443: 421"));
        let value: Value = yaml_serde::from_str(&yaml).unwrap();
        assert_eq!(
            value,
            json!({"apiVersion": "extensions.istio.io/v1alpha1", "kind": "WasmPlugin",
                   "metadata": {"name": "sni-guard", "namespace": "istio-system"},
                   "spec": {"selector": {"matchLabels": {"istio": "ig"}}, "url": DEFAULT_URL,
                            "pluginName": "sni-guard", "phase": "AUTHN", "priority": 1000,
                            "failStrategy": "FAIL_OPEN",
                            "pluginConfig": {"mode": "strict", "servers": [{"name": "ns/gw-a/https", "hosts": ["a.example.com"]}]}}})
        );
    }
}
