//! sni-guard on an Envoy Gateway listener, delivered through Envoy Gateway's own API:
//!
//! - an `EnvoyExtensionPolicy` per Gateway namespace, loading the module with the port's
//!   table as `config`, targeting each HTTPS listener of the port by `sectionName`;
//! - a `ClientTrafficPolicy` offering `h2` again on those listeners (Envoy Gateway offers only
//!   `http/1.1` where their certificates overlap);
//! - an `EnvoyPatchPolicy` that enables the Wasm filter on the whole HCM: Envoy Gateway adds
//!   it `disabled: true` and enables it per route, and a coalesced request matches no route of
//!   its connection's chain, so without the patch the filter never sees it (`wasm.go`).

use crate::error::WasmPluginError;
use crate::model::envoy_gateway::policies::{API_VERSION, TrafficPolicy, applying};
use crate::model::envoy_gateway::{
    NameScheme, dynamic_module_filter_name, envoy_listener_name, ir_listener_name, wasm_filter_name,
};
use crate::model::gateway::{ChainKind, Gateway};
use crate::model::layout::{ChainRef, Listener};
use crate::plugin::PluginConfig;
use crate::plugin::wasmplugin::{check_name, dns_name, module_url};
use serde_json::{Value, json};
use std::collections::BTreeMap;

const HCM: &str = "envoy.filters.network.http_connection_manager";
const GATEWAY_GROUP: &str = "gateway.networking.k8s.io";

/// The manifests' choices.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub url: Option<String>,
    pub placeholder: bool,
    pub sha256: Option<String>,
    /// `failOpen`: serve without the filter when the module cannot load or crashes.
    pub fail_open: bool,
    pub scheme: NameScheme,
    /// The native build instead of the Wasm module: the name of its entry in the EnvoyProxy's
    /// `dynamicModules` registry.
    pub native_module: Option<String>,
}

/// The Gateways (or ListenerSets) holding the port's HTTPS listeners, with those listeners'
/// names, by namespace: one EnvoyExtensionPolicy each (policies attach in their namespace).
type Sections<'g> = BTreeMap<&'g str, Vec<(&'g Gateway, Vec<&'g str>)>>;

fn sections<'g>(chains: &[ChainRef<'g>]) -> Sections<'g> {
    let mut out: Sections<'g> = BTreeMap::new();
    for c in chains.iter().filter(|c| c.kind == ChainKind::Https) {
        let list = out.entry(c.gateway.namespace.as_str()).or_default();
        match list.iter_mut().find(|(g, _)| std::ptr::eq(*g, c.gateway)) {
            Some((_, names)) => names.push(&c.server.name),
            None => list.push((c.gateway, vec![&c.server.name])),
        }
    }
    out
}

fn target_refs(owners: &[(&Gateway, Vec<&str>)]) -> Value {
    let refs: Vec<Value> = owners
        .iter()
        .flat_map(|(gw, names)| {
            let kind = gw.listener_set.as_ref().map_or("Gateway", |_| "ListenerSet");
            names.iter().map(move |section| {
                json!({"group": GATEWAY_GROUP, "kind": kind, "name": gw.name, "sectionName": section})
            })
        })
        .collect();
    Value::Array(refs)
}

/// What the policy loads: the Wasm module (its code source), or the native build by its name
/// in the EnvoyProxy's registry.
enum Extension {
    Wasm(Value),
    Native(String),
}

impl Extension {
    /// The EnvoyExtensionPolicy's field, its one entry, and the HCM filter Envoy Gateway
    /// names for it.
    fn entry(
        &self,
        config: &PluginConfig,
        namespace: &str,
        policy: &str,
        fail_open: bool,
    ) -> (&'static str, Value, String) {
        match self {
            Extension::Wasm(code) => (
                "wasm",
                json!({
                    "name": "sni-guard",
                    // The root id Istio gives the module too (a WasmPlugin's pluginName).
                    "rootID": "sni-guard",
                    "code": code,
                    "config": config,
                    "failOpen": fail_open,
                }),
                wasm_filter_name(namespace, policy, 0),
            ),
            Extension::Native(module) => (
                "dynamicModule",
                json!({"name": module, "filterName": "sni-guard", "config": config}),
                dynamic_module_filter_name(namespace, policy, 0),
            ),
        }
    }
}

/// An EnvoyProxy registry name: `^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`, at most 253 characters.
fn check_module_name(name: &str) -> Result<(), WasmPluginError> {
    let inner = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-';
    let edge = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    let bytes = name.as_bytes();
    let valid = name.len() <= 253
        && edge(bytes.first())
        && edge(bytes.last())
        && bytes.iter().all(|&b| inner(b));
    match valid {
        true => Ok(()),
        false => Err(WasmPluginError::Flag {
            flag: "--native-module",
            value: name.to_owned(),
            expected: "an EnvoyProxy dynamicModules name: lower-case letters, digits, '.' and '-', starting and ending with a letter or digit",
        }),
    }
}

/// The Wasm code source: an OCI image (`oci://` or a bare reference) or an HTTP(S) URL.
fn code(url: &str, sha256: Option<&String>) -> Value {
    let (kind, key, url) = match url.strip_prefix("oci://") {
        Some(image) => ("Image", "image", image),
        None => ("HTTP", "http", url),
    };
    let mut source = serde_json::Map::new();
    source.insert("url".into(), json!(url));
    if let Some(sha) = sha256 {
        source.insert("sha256".into(), json!(sha));
    }
    json!({"type": kind, key: source})
}

/// The name of the Envoy listener for the port: legacy, the first HTTPS listener of a
/// Gateway (ListenerSets' come after their parent's), then of a ListenerSet.
fn listener_name(listener: &Listener<'_>, scheme: NameScheme) -> Option<String> {
    let https = || {
        listener
            .chains
            .iter()
            .filter(|c| c.kind == ChainKind::Https)
    };
    let first = https()
        .find(|c| c.gateway.listener_set.is_none())
        .or_else(|| https().next())?;
    let ir = ir_listener_name(first.gateway, &first.server.name);
    Some(envoy_listener_name(scheme, &ir, listener.port))
}

/// The manifests (YAML documents with a comment saying what they do) and notes for stderr.
pub fn manifests(
    config: &PluginConfig,
    listener: &Listener<'_>,
    traffic_policies: &[TrafficPolicy],
    options: &Options,
) -> Result<(String, Vec<String>), WasmPluginError> {
    let mut notes = Vec::new();
    let extension = match &options.native_module {
        Some(module) => {
            check_module_name(module)?;
            Extension::Native(module.clone())
        }
        None => {
            let url = module_url(
                "--envoy-gateway",
                options.url.as_deref(),
                options.placeholder,
                options.sha256.as_deref(),
            )?;
            if url.starts_with("file://") {
                return Err(WasmPluginError::Flag {
                    flag: "--url",
                    value: url,
                    expected: "Envoy Gateway fetches Wasm code from oci:// images or http(s):// URLs only",
                });
            }
            Extension::Wasm(code(&url, options.sha256.as_ref()))
        }
    };
    let by_namespace = sections(&listener.chains);
    let (Some(first_namespace), Some(envoy_listener)) = (
        by_namespace.keys().next().copied(),
        listener_name(listener, options.scheme),
    ) else {
        return Err(WasmPluginError::NoHttps);
    };
    if let Some(ns) = &options.namespace
        && (by_namespace.len() > 1 || ns != first_namespace)
    {
        return Err(WasmPluginError::Namespace {
            gateway_namespace: by_namespace.keys().copied().collect::<Vec<_>>().join(", "),
            namespace: ns.clone(),
        });
    }
    let name = options
        .name
        .clone()
        .unwrap_or_else(|| dns_name(&format!("sni-guard-{}", listener.port)));
    check_name(&name)?;
    let merged = listener.workload.fleet.as_ref().is_some_and(|f| f.merged);
    let mut docs: Vec<Value> = Vec::new();
    let mut patches = Vec::new();
    for (namespace, owners) in &by_namespace {
        let (key, entry, filter) = extension.entry(config, namespace, &name, options.fail_open);
        docs.push(json!({
            "apiVersion": API_VERSION,
            "kind": "EnvoyExtensionPolicy",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"targetRefs": target_refs(owners), key: [entry]},
        }));
        patches.push(json!({
            "type": "type.googleapis.com/envoy.config.listener.v3.Listener",
            "name": envoy_listener,
            "operation": {
                "op": "add",
                "jsonPath": format!("$.filter_chains[*].filters[?(@.name=='{HCM}')].typed_config.http_filters[?(@.name=='{filter}')]"),
                "path": "/disabled",
                "value": false,
            },
        }));
        let h2: Vec<(&Gateway, Vec<&str>)> = owners
            .iter()
            .map(|(gw, names)| {
                let own: Vec<&str> = names
                    .iter()
                    .copied()
                    .filter(|n| match applying(traffic_policies, gw, n) {
                        None => true,
                        Some(p) => {
                            notes.push(alpn_note(p, gw, n));
                            false
                        }
                    })
                    .collect();
                (*gw, own)
            })
            .filter(|(_, names)| !names.is_empty())
            .collect();
        if !h2.is_empty() {
            docs.push(json!({
                "apiVersion": API_VERSION,
                "kind": "ClientTrafficPolicy",
                "metadata": {"name": format!("{name}-h2"), "namespace": namespace},
                "spec": {
                    "targetRefs": target_refs(&h2),
                    "tls": {"alpnProtocols": ["h2", "http/1.1"]},
                },
            }));
        }
    }
    let target = match (merged, by_namespace.values().flatten().next()) {
        (true, Some((gw, _))) => {
            json!({"group": GATEWAY_GROUP, "kind": "GatewayClass", "name": gw.class})
        }
        (false, Some((gw, _))) => {
            let (_, root) = gw.root();
            json!({"group": GATEWAY_GROUP, "kind": "Gateway", "name": root})
        }
        (_, None) => return Err(WasmPluginError::NoHttps),
    };
    if merged {
        notes.push(format!(
            "with mergeGateways the Envoy listener is named after the first HTTPS listener Envoy Gateway translates on port {}; {envoy_listener} is taken: check it (egctl config envoy-proxy listener) before applying",
            listener.port
        ));
    }
    let patch_namespace = by_namespace
        .values()
        .flatten()
        .next()
        .map(|(gw, _)| match &gw.listener_set {
            Some(of) => of.parent_namespace.clone(),
            None => gw.namespace.clone(),
        })
        .unwrap_or_else(|| first_namespace.to_owned());
    docs.push(json!({
        "apiVersion": API_VERSION,
        "kind": "EnvoyPatchPolicy",
        "metadata": {"name": name, "namespace": patch_namespace},
        "spec": {"type": "JSONPatch", "targetRef": target, "jsonPatches": patches},
    }));
    let mut text = format!(
        "# sni-guard on {} (Envoy listener {envoy_listener}): 421 Misdirected Request for a\n\
         # request on a connection made for another listener's filter chain.\n\
         # The EnvoyPatchPolicy needs EnvoyGateway extensionApis.enableEnvoyPatchPolicy: true;\n\
         # without it the filter runs only on routed requests, never on the coalesced ones.\n",
        listener.describe()
    );
    if let Extension::Native(module) = &extension {
        text.push_str(&format!(
            "# The native build: the EnvoyProxy of the Gateway's class must list the module\n\
             # (Envoy Gateway v1.8 or later), for instance:\n\
             #   spec:\n\
             #     dynamicModules:\n\
             #     - name: {module}\n\
             #       source: {{type: Local, local: {{path: /usr/lib/envoy/libsni_guard_native.so}}}}\n\
             # or source: {{type: Remote, remote: {{url: https://.../libsni_guard_native.so, sha256: ...}}}}\n\
             # The library must match the proxy's Envoy ABI (1.39; 1.40 loads it too).\n"
        ));
    }
    for doc in &docs {
        text.push_str("---\n");
        text.push_str(&yaml_serde::to_string(doc)?);
    }
    Ok((text, notes))
}

fn alpn_note(policy: &TrafficPolicy, gw: &Gateway, listener: &str) -> String {
    let offers_h2 = policy
        .alpn
        .as_ref()
        .is_some_and(|a| a.iter().any(|p| p == "h2"));
    match offers_h2 {
        true => format!(
            "{} already offers h2 on {} listener {listener}: no ClientTrafficPolicy is written for it",
            policy.title(),
            gw.title()
        ),
        false => format!(
            "{} applies to {} listener {listener}: add tls.alpnProtocols [h2, http/1.1] to it (a second ClientTrafficPolicy naming the listener would replace it there whole)",
            policy.title(),
            gw.title()
        ),
    }
}

#[cfg(test)]
mod tests;
