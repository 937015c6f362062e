//! The sni-guard resources applied to Envoy Gateway's configuration as its translator applies
//! them (envoyproxy/gateway v1.9.0):
//!
//! - ClientTrafficPolicy `tls.alpnProtocols`: the ALPN of each targeted listener's chain, with
//!   TLS 1.2 to 1.3 (`buildListenerTLSParameters`, `clienttrafficpolicy.go`);
//! - EnvoyExtensionPolicy `wasm[i]`: an HCM filter `envoy.filters.http.wasm/envoyextensionpolicy/
//!   <ns>/<name>/wasm/<i>` before the router, `disabled: true`, its code fetched through
//!   `wasm_cluster` with the SHA-256 of what Envoy Gateway serves, its `config` as the plugin
//!   configuration string; enabled on every route of the targeted listeners by
//!   `typed_per_filter_config` (`wasm.go`: `patchHCM`, `patchRoute`);
//! - EnvoyExtensionPolicy `dynamicModule[i]`: the same, as `envoy.filters.http.dynamic_modules/
//!   envoyextensionpolicy/<ns>/<name>/dynamic-module/<i>`, the library the EnvoyProxy registry
//!   names loaded from its local path, `config` as the filter configuration string
//!   (`dynamicmodule.go`);
//! - EnvoyPatchPolicy `jsonPatches`, last, as [`super::patch`] applies them.

use crate::error::{Result, fail};
use serde_json::{Value, json};

/// Where Envoy fetches the module: Envoy Gateway's own HTTPS server, by `wasm_cluster`.
#[derive(Debug, Clone)]
pub struct WasmSource {
    /// The serving URL (`https://<host>:<port>/<hash>.wasm`).
    pub uri: String,
    /// The module's SHA-256, lower-case hex.
    pub sha256: String,
    /// The server's loopback port.
    pub port: u16,
    /// The CA file that signed the server's certificate.
    pub ca_file: String,
}

pub(super) const HCM: &str = "envoy.filters.network.http_connection_manager";
pub(super) const ROUTER: &str = "envoy.filters.http.router";
const WASM_CLUSTER: &str = "wasm_cluster";

/// The EnvoyProxy's `dynamicModules` registry: each name and its library's local path.
pub type Registry = [(String, String)];

/// Applies `resources` (ClientTrafficPolicy, EnvoyExtensionPolicy, EnvoyPatchPolicy; others are
/// refused) to `config`, policies first and patches last, as the translator does; `registry`
/// resolves the dynamic modules a policy names.
pub fn apply(
    config: &mut Value,
    resources: &[Value],
    wasm: &WasmSource,
    registry: &Registry,
) -> Result<()> {
    let kind = |r: &Value| {
        r.get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    for resource in resources {
        match kind(resource).as_str() {
            "ClientTrafficPolicy" => client_traffic_policy(config, resource)?,
            "EnvoyExtensionPolicy" => {
                extension_policy(config, resource, wasm)?;
                dynamic_modules(config, resource, registry)?;
            }
            "EnvoyPatchPolicy" => {}
            other => return Err(fail(format!("not an sni-guard resource: {other:?}"))),
        }
    }
    for patch in resources.iter().filter(|r| kind(r) == "EnvoyPatchPolicy") {
        super::patch::patch_policy(config, patch)?;
    }
    Ok(())
}

pub(super) fn str_at<'a>(value: &'a Value, pointer: &str) -> Result<&'a str> {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .ok_or_else(|| fail(format!("{pointer}: missing or not a string in {value}")))
}

/// The IR listener names a policy's `targetRefs` name: `<ns>/<gateway>/<section>`, or every
/// chain of the Gateway without a section.
fn targets(policy: &Value, chains: &[String]) -> Result<Vec<String>> {
    let namespace = str_at(policy, "/metadata/namespace")?;
    let refs = policy
        .pointer("/spec/targetRefs")
        .and_then(Value::as_array)
        .ok_or_else(|| fail("a policy without spec.targetRefs"))?;
    let mut out = Vec::new();
    for target in refs {
        if str_at(target, "/kind")? != "Gateway" {
            return Err(fail(format!(
                "only Gateway targets are translated here: {target}"
            )));
        }
        let prefix = format!("{namespace}/{}/", str_at(target, "/name")?);
        match target.get("sectionName").and_then(Value::as_str) {
            Some(section) => out.push(format!("{prefix}{section}")),
            None => out.extend(chains.iter().filter(|c| c.starts_with(&prefix)).cloned()),
        }
    }
    Ok(out)
}

/// Every filter chain of every listener, mutably, with its name.
fn chains_mut(config: &mut Value) -> Result<Vec<&mut Value>> {
    let listeners = config
        .pointer_mut("/static_resources/listeners")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| fail("no static_resources.listeners"))?;
    let mut out = Vec::new();
    for listener in listeners {
        if let Some(chains) = listener
            .get_mut("filter_chains")
            .and_then(Value::as_array_mut)
        {
            out.extend(chains.iter_mut());
        }
    }
    Ok(out)
}

fn chain_names(config: &mut Value) -> Result<Vec<String>> {
    Ok(chains_mut(config)?
        .iter()
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect())
}

/// The chain named `name`.
fn chain<'a>(config: &'a mut Value, name: &str) -> Result<&'a mut Value> {
    chains_mut(config)?
        .into_iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(name))
        .ok_or_else(|| fail(format!("no filter chain {name:?}")))
}

fn hcm(chain: &mut Value) -> Result<&mut Value> {
    chain
        .get_mut("filters")
        .and_then(Value::as_array_mut)
        .and_then(|f| {
            f.iter_mut()
                .find(|f| f.get("name").and_then(Value::as_str) == Some(HCM))
        })
        .and_then(|f| f.get_mut("typed_config"))
        .ok_or_else(|| fail("a filter chain without an HTTP connection manager"))
}

fn client_traffic_policy(config: &mut Value, policy: &Value) -> Result<()> {
    let Some(alpn) = policy.pointer("/spec/tls/alpnProtocols").cloned() else {
        return Ok(());
    };
    let names = chain_names(config)?;
    for name in targets(policy, &names)? {
        let tls = chain(config, &name)?
            .pointer_mut("/transport_socket/typed_config/common_tls_context")
            .and_then(Value::as_object_mut)
            .ok_or_else(|| fail(format!("{name}: no common_tls_context")))?;
        tls.insert("alpn_protocols".into(), alpn.clone());
        tls.insert(
            "tls_params".into(),
            json!({"tls_minimum_protocol_version": "TLSv1_2", "tls_maximum_protocol_version": "TLSv1_3"}),
        );
    }
    Ok(())
}

fn extension_policy(config: &mut Value, policy: &Value, wasm: &WasmSource) -> Result<()> {
    let namespace = str_at(policy, "/metadata/namespace")?.to_owned();
    let name = str_at(policy, "/metadata/name")?.to_owned();
    let names = chain_names(config)?;
    let listeners = targets(policy, &names)?;
    let Some(extensions) = policy.pointer("/spec/wasm").and_then(Value::as_array) else {
        return Ok(());
    };
    for (index, extension) in extensions.iter().enumerate() {
        let ir = format!("envoyextensionpolicy/{namespace}/{name}/wasm/{index}");
        let filter_name = format!("envoy.filters.http.wasm/{ir}");
        let filter = wasm_filter(&filter_name, &ir, extension, wasm)?;
        for listener in &listeners {
            let manager = hcm(chain(config, listener)?)?;
            add_before_router(manager, &filter)?;
            enable_on_routes(manager, &filter_name)?;
        }
    }
    add_wasm_cluster(config, wasm)
}

fn dynamic_modules(config: &mut Value, policy: &Value, registry: &Registry) -> Result<()> {
    let Some(modules) = policy
        .pointer("/spec/dynamicModule")
        .and_then(Value::as_array)
    else {
        return Ok(());
    };
    let namespace = str_at(policy, "/metadata/namespace")?.to_owned();
    let name = str_at(policy, "/metadata/name")?.to_owned();
    let names = chain_names(config)?;
    let listeners = targets(policy, &names)?;
    for (index, module) in modules.iter().enumerate() {
        let registered = str_at(module, "/name")?;
        let path = registry
            .iter()
            .find(|(n, _)| n == registered)
            .map(|(_, p)| p.clone())
            .ok_or_else(|| {
                fail(format!(
                    "dynamic module {registered:?} is not in the EnvoyProxy's registry"
                ))
            })?;
        let filter_name = format!(
            "envoy.filters.http.dynamic_modules/envoyextensionpolicy/{namespace}/{name}/dynamic-module/{index}"
        );
        let mut typed = json!({
            "@type": "type.googleapis.com/envoy.extensions.filters.http.dynamic_modules.v3.DynamicModuleFilter",
            "dynamic_module_config": {"module": {"local": {"filename": path}}},
            "filter_name": module.get("filterName").and_then(Value::as_str).unwrap_or_default(),
        });
        if let Some(config) = module.get("config") {
            typed["filter_config"] = json!({"@type": "type.googleapis.com/google.protobuf.StringValue",
                "value": serde_json::to_string(config)?});
        }
        let filter = json!({"name": filter_name, "disabled": true, "typed_config": typed});
        for listener in &listeners {
            let manager = hcm(chain(config, listener)?)?;
            add_before_router(manager, &filter)?;
            enable_on_routes(manager, &filter_name)?;
        }
    }
    Ok(())
}

fn wasm_filter(name: &str, vm_id: &str, extension: &Value, wasm: &WasmSource) -> Result<Value> {
    let configuration = match extension.get("config") {
        Some(config) => serde_json::to_string(config)?,
        None => String::new(),
    };
    let mut plugin = json!({
        "name": extension.get("name").and_then(Value::as_str).unwrap_or(vm_id),
        "vm_config": {
            "vm_id": vm_id,
            "runtime": "envoy.wasm.runtime.v8",
            "code": {"remote": {
                "http_uri": {"uri": wasm.uri, "cluster": WASM_CLUSTER, "timeout": "10s"},
                "sha256": wasm.sha256,
                "retry_policy": {"num_retries": 10, "retry_back_off": {"base_interval": "1s", "max_interval": "30s"}},
            }},
        },
        "configuration": {"@type": "type.googleapis.com/google.protobuf.StringValue", "value": configuration},
        "fail_open": extension.get("failOpen").and_then(Value::as_bool).unwrap_or(false),
    });
    if let Some(root) = extension.get("rootID").and_then(Value::as_str) {
        plugin["root_id"] = json!(root);
    }
    Ok(json!({
        "name": name,
        "disabled": true,
        "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.wasm.v3.Wasm", "config": plugin},
    }))
}

fn add_before_router(manager: &mut Value, filter: &Value) -> Result<()> {
    let filters = manager
        .get_mut("http_filters")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| fail("an HCM without http_filters"))?;
    let name = filter.get("name");
    if filters.iter().any(|f| f.get("name") == name) {
        return Ok(());
    }
    let at = filters
        .iter()
        .position(|f| f.get("name").and_then(Value::as_str) == Some(ROUTER))
        .unwrap_or(filters.len());
    filters.insert(at, filter.clone());
    Ok(())
}

fn enable_on_routes(manager: &mut Value, filter: &str) -> Result<()> {
    let hosts = manager
        .pointer_mut("/route_config/virtual_hosts")
        .and_then(Value::as_array_mut)
        .ok_or_else(|| fail("an HCM without route_config.virtual_hosts"))?;
    for host in hosts {
        for route in host
            .get_mut("routes")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            let per_filter = route
                .as_object_mut()
                .ok_or_else(|| fail("a route that is not an object"))?
                .entry("typed_per_filter_config")
                .or_insert_with(|| json!({}));
            per_filter[filter] = json!({"@type": "type.googleapis.com/envoy.config.route.v3.FilterConfig", "config": {}});
        }
    }
    Ok(())
}

/// `wasm_cluster`, as `globalresources.go` builds it, to the local server: HTTP/2 over TLS,
/// the server checked against the CA. (Envoy Gateway's resolves its own Service by DNS and
/// presents the proxy's client certificate.)
fn add_wasm_cluster(config: &mut Value, wasm: &WasmSource) -> Result<()> {
    let resources = config
        .get_mut("static_resources")
        .and_then(Value::as_object_mut)
        .ok_or_else(|| fail("no static_resources"))?;
    let clusters = resources
        .entry("clusters")
        .or_insert_with(|| json!([]))
        .as_array_mut()
        .ok_or_else(|| fail("static_resources.clusters is not a list"))?;
    if clusters
        .iter()
        .any(|c| c.get("name").and_then(Value::as_str) == Some(WASM_CLUSTER))
    {
        return Ok(());
    }
    clusters.push(json!({
        "name": WASM_CLUSTER,
        "type": "STATIC",
        "connect_timeout": "10s",
        "load_assignment": {"cluster_name": WASM_CLUSTER, "endpoints": [{"lb_endpoints": [{"endpoint": {
            "address": {"socket_address": {"address": "127.0.0.1", "port_value": wasm.port}}}}]}]},
        "typed_extension_protocol_options": {"envoy.extensions.upstreams.http.v3.HttpProtocolOptions": {
            "@type": "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
            "explicit_http_config": {"http2_protocol_options": {}}}},
        "transport_socket": {"name": "envoy.transport_sockets.tls", "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
            "common_tls_context": {"alpn_protocols": ["h2"],
                "validation_context": {"trusted_ca": {"filename": wasm.ca_file}}}}},
    }));
    Ok(())
}
