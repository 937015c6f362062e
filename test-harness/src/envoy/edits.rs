//! Structural edits of a rendered topology, for what the real files do not hold but an Istio
//! gateway may: a plain-HTTP listener (a port-80 Gateway server), another TLS filter chain
//! (a catch-all `*` server, or more hosts), a TLS passthrough chain and its backend, HTTP/1.0
//! accepted, the access log off.

use crate::error::{Result, fail};
use serde_json::json;
use yaml_serde::{Mapping, Value};

/// The name of the listener [`add_plain_listener`] adds.
pub const PLAIN_LISTENER: &str = "0.0.0.0_8080";
const HCM: &str = "envoy.filters.network.http_connection_manager";

/// Adds a plain-HTTP listener on 127.0.0.1:`port`, as istiod builds one for port-80 Gateway
/// servers: no TLS (so no SNI), the same HTTP filters (sni-guard included), and one route
/// table holding the virtual hosts of every filter chain of the first listener.
pub fn add_plain_listener(config: &mut Value, port: u16) -> Result<()> {
    let first = listeners(config)?
        .first()
        .cloned()
        .ok_or_else(|| fail("the configuration has no listener"))?;
    let chains = first
        .get("filter_chains")
        .and_then(Value::as_sequence)
        .ok_or_else(|| fail("the first listener has no filter_chains"))?;
    let mut virtual_hosts = Vec::new();
    for chain in chains {
        let hosts = hcm(chain)?
            .get("route_config")
            .and_then(|r| r.get("virtual_hosts"))
            .and_then(Value::as_sequence)
            .ok_or_else(|| fail("a filter chain has no route_config.virtual_hosts"))?;
        virtual_hosts.extend(hosts.iter().cloned());
    }
    let mut chain = chains
        .first()
        .cloned()
        .ok_or_else(|| fail("the first listener has no filter chain"))?;
    let chain_map = mapping(&mut chain)?;
    chain_map.remove("transport_socket");
    chain_map.remove("filter_chain_match");
    chain_map.insert("name".into(), "http".into());
    let manager = hcm_mut(&mut chain)?;
    manager.insert("stat_prefix".into(), "outbound_0.0.0.0_8080".into());
    manager.insert(
        "route_config".into(),
        value(json!({"name": "http.8080", "virtual_hosts": virtual_hosts}))?,
    );
    let listener = value(json!({
        "name": PLAIN_LISTENER,
        "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
        "filter_chains": [chain],
    }))?;
    listeners(config)?.push(listener);
    Ok(())
}

/// The port of the listener named `name`.
pub fn listener_port(config: &Value, name: &str) -> Option<u16> {
    config
        .get("static_resources")?
        .get("listeners")?
        .as_sequence()?
        .iter()
        .find(|l| l.get("name").and_then(Value::as_str) == Some(name))?
        .get("address")?
        .get("socket_address")?
        .get("port_value")?
        .as_u64()
        .and_then(|p| u16::try_from(p).ok())
}

/// Adds a TLS filter chain `name` to the first listener, a copy of its first chain (same
/// certificate and HTTP filters) chosen by `server_names` (none: the chain for connections
/// whose SNI no other chain names, or that have none, as for a Gateway server for `*`). Its
/// one route answers any authority with 200 and the body `"{name}\n"`.
pub fn add_tls_chain(config: &mut Value, name: &str, server_names: &[&str]) -> Result<()> {
    let first = listeners(config)?
        .first_mut()
        .ok_or_else(|| fail("the configuration has no listener"))?;
    let chains = first
        .get_mut("filter_chains")
        .and_then(Value::as_sequence_mut)
        .ok_or_else(|| fail("the first listener has no filter_chains"))?;
    let mut chain = chains
        .first()
        .cloned()
        .ok_or_else(|| fail("the first listener has no filter chain"))?;
    let chain_map = mapping(&mut chain)?;
    chain_map.insert("name".into(), name.into());
    match server_names {
        [] => chain_map.remove("filter_chain_match"),
        names => chain_map.insert(
            "filter_chain_match".into(),
            value(json!({ "server_names": names }))?,
        ),
    };
    let route = json!({
        "name": format!("https.8443.{name}"),
        "virtual_hosts": [{
            "name": name,
            "domains": ["*"],
            "routes": [{
                "match": {"prefix": "/"},
                "direct_response": {"status": 200, "body": {"inline_string": format!("{name}\n")}},
            }],
        }],
    });
    hcm_mut(&mut chain)?.insert("route_config".into(), value(route)?);
    chains.push(chain);
    Ok(())
}

/// Adds a TLS passthrough filter chain `name` to the first listener, as istiod builds one for
/// a `PASSTHROUGH` Gateway server: chosen by `server_names`, no TLS termination, a TCP proxy
/// to a backend. The backend is a listener of its own on 127.0.0.1:`backend_port` that
/// terminates TLS with the gateway's certificate (no sni-guard: it is the application) and
/// answers any request with 200 and the body `"{name} backend\n"`.
pub fn add_passthrough_chain(
    config: &mut Value,
    name: &str,
    server_names: &[&str],
    backend_port: u16,
) -> Result<()> {
    let cluster = format!("passthrough.{name}");
    let mut backend = listeners(config)?
        .first()
        .and_then(|l| l.get("filter_chains"))
        .and_then(Value::as_sequence)
        .and_then(|c| c.first())
        .cloned()
        .ok_or_else(|| fail("the first listener has no filter chain"))?;
    let backend_map = mapping(&mut backend)?;
    backend_map.remove("filter_chain_match");
    backend_map.insert("name".into(), format!("{name}-backend").into());
    let manager = hcm_mut(&mut backend)?;
    manager.insert("stat_prefix".into(), format!("backend_{name}").into());
    manager.insert(
        "http_filters".into(),
        value(
            json!([{"name": "envoy.filters.http.router", "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"}}]),
        )?,
    );
    let route = json!({"name": format!("{name}-backend"), "virtual_hosts": [{
        "name": name, "domains": ["*"],
        "routes": [{"match": {"prefix": "/"},
                    "direct_response": {"status": 200, "body": {"inline_string": format!("{name} backend\n")}}}]}]});
    manager.insert("route_config".into(), value(route)?);
    let chain = value(json!({
        "name": name,
        "filter_chain_match": {"server_names": server_names},
        "filters": [{"name": "envoy.filters.network.tcp_proxy", "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
            "stat_prefix": cluster, "cluster": cluster}}],
    }))?;
    let all = listeners(config)?;
    all.first_mut()
        .and_then(|l| l.get_mut("filter_chains"))
        .and_then(Value::as_sequence_mut)
        .ok_or_else(|| fail("the first listener has no filter_chains"))?
        .push(chain);
    all.push(value(json!({
        "name": format!("{name}_backend"),
        "address": {"socket_address": {"address": "127.0.0.1", "port_value": backend_port}},
        "listener_filters": [{"name": "envoy.filters.listener.tls_inspector", "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"}}],
    }))?);
    if let Some(listener) = all.last_mut().and_then(Value::as_mapping_mut) {
        listener.insert("filter_chains".into(), Value::Sequence(vec![backend]));
    }
    add_loopback_cluster(config, &cluster, backend_port)
}

/// Adds the static cluster `name`: one endpoint, 127.0.0.1:`port`.
pub fn add_loopback_cluster(config: &mut Value, name: &str, port: u16) -> Result<()> {
    let static_resources = config
        .get_mut("static_resources")
        .and_then(Value::as_mapping_mut)
        .ok_or_else(|| fail("the configuration has no static_resources"))?;
    let clusters = static_resources
        .entry("clusters".into())
        .or_insert_with(|| Value::Sequence(Vec::new()));
    clusters
        .as_sequence_mut()
        .ok_or_else(|| fail("static_resources.clusters is not a list"))?
        .push(value(json!({
            "name": name, "type": "STATIC", "connect_timeout": "1s",
            "load_assignment": {"cluster_name": name, "endpoints": [{"lb_endpoints": [{"endpoint": {
                "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}}}}]}]},
        }))?);
    Ok(())
}

/// Every HTTP connection manager accepts HTTP/1.0 (Istio's `PILOT_HTTP10`; off by default,
/// when Envoy answers HTTP/1.0 with 426).
pub fn accept_http_10(config: &mut Value) -> Result<()> {
    let mut managers = 0;
    for_each_chain(config, |chain| {
        hcm_mut(chain)?.insert(
            "http_protocol_options".into(),
            value(json!({"accept_http_10": true}))?,
        );
        managers += 1;
        Ok(())
    })?;
    match managers {
        0 => Err(fail("no HTTP connection manager to accept HTTP/1.0")),
        _ => Ok(()),
    }
}

/// Removes every `key` at any depth (e.g. `access_log`, for load without log writing).
pub fn remove_key(value: &mut Value, key: &str) {
    match value {
        Value::Mapping(map) => {
            map.remove(key);
            map.iter_mut().for_each(|(_, v)| remove_key(v, key));
        }
        Value::Sequence(list) => list.iter_mut().for_each(|v| remove_key(v, key)),
        _ => {}
    }
}

pub(crate) fn listeners(config: &mut Value) -> Result<&mut Vec<Value>> {
    config
        .get_mut("static_resources")
        .and_then(|s| s.get_mut("listeners"))
        .and_then(Value::as_sequence_mut)
        .ok_or_else(|| fail("the configuration has no static_resources.listeners"))
}

/// `f` on every filter chain of every listener.
pub(crate) fn for_each_chain(
    config: &mut Value,
    mut f: impl FnMut(&mut Value) -> Result<()>,
) -> Result<()> {
    for listener in listeners(config)?.iter_mut() {
        let chains = listener
            .get_mut("filter_chains")
            .and_then(Value::as_sequence_mut);
        for chain in chains.into_iter().flatten() {
            f(chain)?;
        }
    }
    Ok(())
}

fn hcm(chain: &Value) -> Result<&Value> {
    chain
        .get("filters")
        .and_then(Value::as_sequence)
        .and_then(|f| {
            f.iter()
                .find(|f| f.get("name").and_then(Value::as_str) == Some(HCM))
        })
        .and_then(|f| f.get("typed_config"))
        .ok_or_else(|| fail("a filter chain has no HTTP connection manager"))
}

pub(crate) fn hcm_mut(chain: &mut Value) -> Result<&mut Mapping> {
    chain
        .get_mut("filters")
        .and_then(Value::as_sequence_mut)
        .and_then(|f| {
            f.iter_mut()
                .find(|f| f.get("name").and_then(Value::as_str) == Some(HCM))
        })
        .and_then(|f| f.get_mut("typed_config"))
        .and_then(Value::as_mapping_mut)
        .ok_or_else(|| fail("a filter chain has no HTTP connection manager"))
}

fn mapping(value: &mut Value) -> Result<&mut Mapping> {
    value
        .as_mapping_mut()
        .ok_or_else(|| fail("a filter chain is not a mapping"))
}

pub(crate) fn value(json: serde_json::Value) -> Result<Value> {
    Ok(yaml_serde::to_value(json)?)
}
