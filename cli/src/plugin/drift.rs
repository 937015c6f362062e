//! Drift: a live WasmPlugin's (or Envoy Gateway EnvoyExtensionPolicy's) `servers` table
//! against what the Gateways give now. A Gateway added, removed or changed since the table was
//! generated leaves a host that gets no 421 (or one refused for the wrong reason) until the
//! table is generated again.

use crate::error::LiveError;
use crate::input::documents::{documents, kind_of};
use crate::model::gateway::canonical_host;
use crate::model::kube::Metadata;
use crate::model::labels::Labels;
use crate::plugin::FilterServer;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// What carries the live table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveKind {
    WasmPlugin,
    EnvoyExtensionPolicy,
}

impl LiveKind {
    pub fn name(self) -> &'static str {
        match self {
            LiveKind::WasmPlugin => "WasmPlugin",
            LiveKind::EnvoyExtensionPolicy => "EnvoyExtensionPolicy",
        }
    }

    /// The `plugin-config` flag that writes it.
    pub fn flag(self) -> &'static str {
        match self {
            LiveKind::WasmPlugin => "--wasmplugin",
            LiveKind::EnvoyExtensionPolicy => "--envoy-gateway",
        }
    }
}

/// The parts of a live WasmPlugin or EnvoyExtensionPolicy that say what it mirrors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    pub kind: LiveKind,
    /// `namespace/name`.
    pub id: String,
    pub selector: Labels,
    /// `namespace/name` of the Gateway its `targetRefs` names.
    pub gateway: Option<String>,
    /// Its port match (the port Envoy listens on).
    pub port: Option<u32>,
    pub servers: Vec<FilterServer>,
}

#[derive(Deserialize)]
struct WasmPlugin {
    metadata: Metadata,
    spec: Spec,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Spec {
    #[serde(default)]
    selector: Option<Selector>,
    #[serde(default)]
    target_refs: Vec<TargetRef>,
    #[serde(default, rename = "match")]
    matches: Vec<Match>,
    #[serde(default)]
    plugin_config: Option<PluginConfig>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Selector {
    #[serde(default)]
    match_labels: Labels,
}

#[derive(Deserialize)]
struct TargetRef {
    kind: String,
    name: String,
}

#[derive(Deserialize)]
struct Match {
    #[serde(default)]
    ports: Vec<PortSelector>,
}

#[derive(Deserialize)]
struct PortSelector {
    number: u32,
}

#[derive(Deserialize)]
struct PluginConfig {
    #[serde(default)]
    servers: Vec<LiveServer>,
}

/// An EnvoyExtensionPolicy: its Gateway, and the sni-guard entry of `spec.wasm`.
#[derive(Deserialize)]
struct ExtensionPolicy {
    metadata: Metadata,
    spec: ExtensionSpec,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExtensionSpec {
    #[serde(default)]
    target_refs: Vec<TargetRef>,
    #[serde(default)]
    wasm: Vec<Wasm>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wasm {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "rootID")]
    root_id: Option<String>,
    #[serde(default)]
    config: Option<PluginConfig>,
}

/// A server of the live table; the filter names one without `name` `servers[i]`.
#[derive(Deserialize)]
struct LiveServer {
    #[serde(default)]
    name: Option<String>,
    hosts: Vec<String>,
}

/// Reads the one WasmPlugin in a file (`kubectl get wasmplugin NAME -o yaml`).
pub fn read_live(bytes: &[u8]) -> Result<Live, LiveError> {
    let text = std::str::from_utf8(bytes).map_err(|e| LiveError::NotUtf8(e.valid_up_to()))?;
    let mut found = Vec::new();
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut pending = documents(text)?;
    while let Some(doc) = pending.pop() {
        let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
        if kind.ends_with("List")
            && let Some(Value::Array(items)) = doc.get("items")
        {
            pending.extend(items.iter().cloned());
            continue;
        }
        let api = doc
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let plugin = kind == "WasmPlugin" && api.starts_with("extensions.istio.io/");
        let policy = kind == "EnvoyExtensionPolicy" && api.starts_with("gateway.envoyproxy.io/");
        if plugin || policy {
            found.push(doc);
        } else {
            let what = if kind.is_empty() {
                kind_of(&doc).to_owned()
            } else {
                format!("{api} {kind}")
            };
            *kinds.entry(what).or_default() += 1;
        }
    }
    let doc = match found.as_slice() {
        [one] => one,
        [] => {
            let found = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
            return Err(LiveError::NoWasmPlugin { found });
        }
        several => return Err(LiveError::Several(several.len())),
    };
    if doc.get("kind").and_then(Value::as_str) == Some("EnvoyExtensionPolicy") {
        return extension_policy(doc);
    }
    let plugin: WasmPlugin = crate::model::kube::read(doc)?;
    let namespace = plugin.metadata.namespace();
    let gateway = gateway_of(&plugin.spec.target_refs, &namespace);
    Ok(Live {
        kind: LiveKind::WasmPlugin,
        id: format!("{namespace}/{}", plugin.metadata.name),
        selector: plugin
            .spec
            .selector
            .map(|s| s.match_labels)
            .unwrap_or_default(),
        gateway,
        port: plugin
            .spec
            .matches
            .iter()
            .flat_map(|m| &m.ports)
            .map(|p| p.number)
            .next(),
        servers: servers(plugin.spec.plugin_config),
    })
}

/// `namespace/name` of the first Gateway `targets` names (they name their own namespace's).
fn gateway_of(targets: &[TargetRef], namespace: &str) -> Option<String> {
    targets
        .iter()
        .find(|t| t.kind == "Gateway")
        .map(|t| format!("{namespace}/{}", t.name))
}

fn servers(config: Option<PluginConfig>) -> Vec<FilterServer> {
    config
        .map(|c| c.servers)
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, s)| FilterServer {
            name: s.name.unwrap_or_else(|| format!("servers[{i}]")),
            hosts: s.hosts,
        })
        .collect()
}

/// A live EnvoyExtensionPolicy: the table of its sni-guard entry (`rootID` or `name`
/// `sni-guard`, as `plugin-config --envoy-gateway` writes it), and the Gateway it targets.
fn extension_policy(doc: &Value) -> Result<Live, LiveError> {
    let policy: ExtensionPolicy = crate::model::kube::read(doc)?;
    let namespace = policy.metadata.namespace();
    let id = format!("{namespace}/{}", policy.metadata.name);
    let is_guard = |w: &Wasm| {
        w.root_id.as_deref() == Some("sni-guard") || w.name.as_deref() == Some("sni-guard")
    };
    let Some(wasm) = policy.spec.wasm.into_iter().find(is_guard) else {
        return Err(LiveError::NoSniGuard { id });
    };
    let gateway = gateway_of(&policy.spec.target_refs, &namespace);
    Ok(Live {
        kind: LiveKind::EnvoyExtensionPolicy,
        id,
        selector: Labels::new(),
        gateway,
        port: None,
        servers: servers(wasm.config),
    })
}

/// The differences between the live table and the generated one, one line each: `+` a
/// server the live table lacks, `-` one it has that the Gateways no longer give, `~` a
/// server whose hosts differ. Empty when they agree (order and case aside).
pub fn differences(live: &[FilterServer], now: &[FilterServer], kind: LiveKind) -> Vec<String> {
    let what = kind.name();
    let hosts = |s: &FilterServer| -> BTreeSet<String> {
        s.hosts.iter().map(|h| canonical_host(h)).collect()
    };
    let live_by_name: BTreeMap<&str, BTreeSet<String>> =
        live.iter().map(|s| (s.name.as_str(), hosts(s))).collect();
    let now_by_name: BTreeMap<&str, BTreeSet<String>> =
        now.iter().map(|s| (s.name.as_str(), hosts(s))).collect();
    let show = |set: &BTreeSet<String>| set.iter().cloned().collect::<Vec<_>>().join(", ");
    let mut out = Vec::new();
    for (name, want) in &now_by_name {
        match live_by_name.get(name) {
            None => out.push(format!(
                "+ server {name}  hosts: {}  (in the Gateways, not in the {what})",
                show(want)
            )),
            Some(have) if have != want => out.push(format!(
                "~ server {name}  hosts: {} -> {}",
                show(have),
                show(want)
            )),
            Some(_) => {}
        }
    }
    for (name, have) in &live_by_name {
        if !now_by_name.contains_key(name) {
            out.push(format!(
                "- server {name}  hosts: {}  (in the {what}, no longer in the Gateways)",
                show(have)
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(name: &str, hosts: &[&str]) -> FilterServer {
        FilterServer {
            name: name.to_owned(),
            hosts: hosts.iter().map(|h| (*h).to_owned()).collect(),
        }
    }

    #[test]
    fn reads_a_live_wasmplugin() {
        let live = read_live(
            b"apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: p, namespace: istio-system}\nspec:\n  selector: {matchLabels: {istio: ingressgateway}}\n  match: [{ports: [{number: 8443}]}]\n  pluginConfig: {mode: strict, servers: [{name: a, hosts: [a.example.com]}]}\n",
        )
        .unwrap();
        assert_eq!(live.id, "istio-system/p");
        assert_eq!(live.port, Some(8443));
        assert_eq!(live.servers, [server("a", &["a.example.com"])]);
        let unnamed = read_live(
            b"apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: p}\nspec:\n  pluginConfig: {servers: [{hosts: [a.example.com]}, {name: b, hosts: [b.example.com]}]}\n",
        )
        .unwrap();
        assert_eq!(
            unnamed.servers,
            [
                server("servers[0]", &["a.example.com"]),
                server("b", &["b.example.com"])
            ],
            "named as the filter names them"
        );
        assert_eq!(unnamed.id, "default/p");
        let empty_namespace = read_live(
            b"apiVersion: extensions.istio.io/v1alpha1\nkind: WasmPlugin\nmetadata: {name: p, namespace: \"\"}\nspec:\n  targetRefs: [{kind: Gateway, name: gw}]\n",
        )
        .unwrap();
        assert_eq!(
            (
                empty_namespace.id.as_str(),
                empty_namespace.gateway.as_deref()
            ),
            ("default/p", Some("default/gw")),
            "an empty namespace is the default one, as for Gateways"
        );
        assert!(
            read_live(b"apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n")
                .unwrap_err()
                .to_string()
                .starts_with("no WasmPlugin (extensions.istio.io) or EnvoyExtensionPolicy (gateway.envoyproxy.io) in it; found: 1 v1 Secret")
        );
    }

    #[test]
    fn reads_a_live_envoy_extension_policy() {
        let live = read_live(
            b"apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyExtensionPolicy\nmetadata: {name: sni-guard-443, namespace: default}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: eg, sectionName: a}]\n  wasm:\n  - {name: other, code: {type: HTTP, http: {url: 'https://x/o.wasm'}}}\n  - {name: sni-guard, rootID: sni-guard, code: {type: HTTP, http: {url: 'https://x/s.wasm'}}, config: {mode: strict, servers: [{name: default/eg/a, hosts: [a.example.com]}]}}\n",
        )
        .unwrap();
        assert_eq!(live.kind, LiveKind::EnvoyExtensionPolicy);
        assert_eq!(live.gateway.as_deref(), Some("default/eg"));
        assert_eq!(live.servers, [server("default/eg/a", &["a.example.com"])]);
        let error = read_live(
            b"apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: EnvoyExtensionPolicy\nmetadata: {name: p}\nspec:\n  wasm: [{name: other, code: {type: HTTP, http: {url: 'https://x/o.wasm'}}}]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("EnvoyExtensionPolicy default/p has no sni-guard entry"),
            "{error}"
        );
    }

    #[test]
    fn what_differs() {
        let live = [
            server("a", &["a.example.com"]),
            server("old", &["old.example.com"]),
        ];
        let now = [
            server("a", &["A.example.com", "a2.example.com"]),
            server("c", &["c.example.com"]),
        ];
        assert_eq!(
            differences(&live, &now, LiveKind::WasmPlugin),
            [
                "~ server a  hosts: a.example.com -> a.example.com, a2.example.com",
                "+ server c  hosts: c.example.com  (in the Gateways, not in the WasmPlugin)",
                "- server old  hosts: old.example.com  (in the WasmPlugin, no longer in the Gateways)",
            ]
        );
        assert!(differences(&now, &now, LiveKind::WasmPlugin).is_empty());
        let reordered = [
            server("c", &["c.example.com"]),
            server("a", &["a2.example.com", "a.example.com"]),
        ];
        assert!(differences(&reordered, &now, LiveKind::WasmPlugin).is_empty());
    }
}
