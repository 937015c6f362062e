//! The benchmark's proxied workload: gw-a's routes forward to a backend on loopback instead
//! of answering themselves, as a user's gateway forwards to its upstream.
//!
//! The backend is a second Envoy (one worker, a direct response over plain HTTP/1.1) pinned
//! to the load generator's CPU, never the gateway's: the benchmark measures the gateway's
//! CPU, and the backend's work must not land on it.

use crate::envoy::edits::add_loopback_cluster;
use crate::envoy::gateway::launch_on_free_port;
use crate::envoy::{Envoy, Launch};
use crate::error::{Result, fail};
use crate::suite_version;
use serde_json::json;
use yaml_serde::{Mapping, Value};

/// The cluster gw-a's routes forward to.
const CLUSTER: &str = "backend";

/// The backend Envoy. Dropping it kills it.
pub struct Backend {
    pub envoy: Envoy,
    pub port: u16,
}

impl Backend {
    /// Starts the backend on a free loopback port, answering 200 to anything.
    pub fn start() -> Result<Backend> {
        let config = |port| Ok(yaml_serde::to_value(config(port))?);
        match launch_on_free_port(&suite_version(), None, &["--concurrency", "1"], config)? {
            (port, _, Launch::Ready(envoy)) => Ok(Backend { envoy, port }),
            (_, _, Launch::Exited(exited)) => Err(fail(format!(
                "the backend Envoy exited:\n{}",
                exited.stderr
            ))),
        }
    }
}

impl Backend {
    /// Requests the backend has answered so far.
    pub fn served(&self) -> Result<u64> {
        let stat = "http.backend.downstream_rq_completed";
        Ok(crate::envoy::admin::stat(self.envoy.admin(), stat)?.unwrap_or(0))
    }
}

fn config(port: u16) -> serde_json::Value {
    json!({
        "admin": {"address": {"socket_address": {"address": "127.0.0.1", "port_value": 0}}},
        "static_resources": {"listeners": [{
            "name": "backend",
            "address": {"socket_address": {"address": "127.0.0.1", "port_value": port}},
            "filter_chains": [{"filters": [{
                "name": "envoy.filters.network.http_connection_manager",
                "typed_config": {
                    "@type": "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
                    "stat_prefix": "backend",
                    "codec_type": "AUTO",
                    "route_config": {"name": "backend", "virtual_hosts": [{
                        "name": "backend",
                        "domains": ["*"],
                        "routes": [{
                            "match": {"prefix": "/"},
                            "direct_response": {"status": 200, "body": {"inline_string": "backend\n"}},
                        }],
                    }]},
                    "http_filters": [{
                        "name": "envoy.filters.http.router",
                        "typed_config": {"@type": "type.googleapis.com/envoy.extensions.filters.http.router.v3.Router"},
                    }],
                },
            }]}],
        }]},
    })
}

/// Makes the routes of filter chain gw-a forward to the backend on 127.0.0.1:`port`.
pub fn proxy_to(config: &mut Value, port: u16) -> Result<()> {
    let resources = config
        .get_mut("static_resources")
        .and_then(Value::as_mapping_mut)
        .ok_or_else(|| fail("the configuration has no static_resources"))?;
    let mut routes = 0;
    if let Some(listeners) = resources
        .get_mut("listeners")
        .and_then(Value::as_sequence_mut)
    {
        for chain in listeners
            .iter_mut()
            .filter_map(|l| l.get_mut("filter_chains").and_then(Value::as_sequence_mut))
            .flatten()
            .filter(|c| c.get("name").and_then(Value::as_str) == Some("gw-a"))
        {
            routes += forward_routes(chain);
        }
    }
    if routes == 0 {
        return Err(fail(
            "filter chain gw-a has no direct_response route to forward",
        ));
    }
    add_loopback_cluster(config, CLUSTER, port)
}

/// Every `direct_response` route under `value` forwards to the backend instead; how many.
fn forward_routes(value: &mut Value) -> usize {
    match value {
        Value::Mapping(map) if map.contains_key("direct_response") => {
            map.remove("direct_response");
            map.remove("response_headers_to_add");
            let mut route = Mapping::new();
            route.insert("cluster".into(), CLUSTER.into());
            map.insert("route".into(), Value::Mapping(route));
            1
        }
        Value::Mapping(map) => map.iter_mut().map(|(_, v)| forward_routes(v)).sum(),
        Value::Sequence(list) => list.iter_mut().map(forward_routes).sum(),
        _ => 0,
    }
}
