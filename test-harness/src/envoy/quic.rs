//! HTTP/3 on a gateway, as istiod renders it with `PILOT_ENABLE_QUIC_LISTENERS=true` for
//! HTTPS servers that terminate TLS on a port the gateway Service also opens over UDP
//! (pilot/pkg/networking/core/gateway.go, `buildGatewayHTTP3FilterChains`; listener.go,
//! `buildGatewayListener`): a UDP listener `udp_<bind>_<port>` beside the TCP one on the same
//! port number, with `udp_listener_config.quic_options`; one filter chain per server, chosen
//! by SNI, its TLS context wrapped in `envoy.transport_sockets.quic` with ALPN `h3` only; the
//! HCM on codec HTTP3 with the same HTTP filters and the same route table (istiod reuses the
//! HTTPS server's route name); and every route of those tables adding `alt-svc`
//! (route.go, `buildHTTP3AltSvcHeader`), so the TCP listener advertises h3.

use crate::envoy::edits::{for_each_chain, hcm_mut, listeners, value};
use crate::error::{Result, fail};
use serde_json::json;
use yaml_serde::Value;

/// The name istiod gives the UDP listener of the container port.
pub const QUIC_LISTENER: &str = "udp_0.0.0.0_8443";

/// The `alt-svc` value istiod adds for a server on `port` (max-age fixed at a day there).
pub fn alt_svc(port: u16) -> String {
    format!(r#"h3=":{port}"; ma=86400"#)
}

/// Adds the QUIC listener mirroring the first (TCP, TLS-terminating) listener of a rendered
/// configuration, on its address and port, and `alt-svc` to the routes of both.
pub fn enable(config: &mut Value) -> Result<()> {
    let first = listeners(config)?
        .first()
        .cloned()
        .ok_or_else(|| fail("the configuration has no listener"))?;
    let address = first
        .get("address")
        .and_then(|a| a.get("socket_address"))
        .ok_or_else(|| fail("the first listener has no address.socket_address"))?;
    let port = address
        .get("port_value")
        .and_then(Value::as_u64)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| fail("the first listener has no port"))?;
    let chains = first
        .get("filter_chains")
        .and_then(Value::as_sequence)
        .ok_or_else(|| fail("the first listener has no filter_chains"))?
        .iter()
        .map(quic_chain)
        .collect::<Result<Vec<_>>>()?;
    let mut udp_address = address.clone();
    udp_address["protocol"] = "UDP".into();
    let listener = value(json!({
        "name": QUIC_LISTENER,
        "address": {"socket_address": {}},
        "udp_listener_config": {"quic_options": {}, "downstream_socket_config": {}},
        "filter_chains": [],
    }))?;
    let mut listener = listener;
    listener["address"]["socket_address"] = udp_address;
    listener["filter_chains"] = Value::Sequence(chains);
    listeners(config)?.push(listener);
    let header = value(json!({
        "header": {"key": "alt-svc", "value": alt_svc(port)},
        "append_action": "APPEND_IF_EXISTS_OR_ADD",
    }))?;
    for_each_chain(config, |chain| add_to_routes(chain, &header))
}

/// A TCP TLS filter chain as its QUIC mirror: same name, match, certificate, filters and
/// routes; QUIC transport, ALPN h3, HCM codec HTTP3.
fn quic_chain(tcp: &Value) -> Result<Value> {
    let mut chain = tcp.clone();
    let tls = chain
        .get_mut("transport_socket")
        .and_then(|t| t.get_mut("typed_config"))
        .ok_or_else(|| fail("a filter chain has no TLS transport socket"))?;
    let mut tls = tls.clone();
    tls["common_tls_context"]["alpn_protocols"] = value(json!(["h3"]))?;
    // Envoy's QUIC takes no client certificates yet; istiod turns the requirement off.
    tls["require_client_certificate"] = false.into();
    if let Some(map) = tls.as_mapping_mut() {
        map.remove("@type");
    }
    let mut socket = value(json!({
        "name": "envoy.transport_sockets.quic",
        "typed_config": {
            "@type": "type.googleapis.com/envoy.extensions.transport_sockets.quic.v3.QuicDownstreamTransport",
        },
    }))?;
    socket["typed_config"]["downstream_tls_context"] = tls;
    chain["transport_socket"] = socket;
    let manager = hcm_mut(&mut chain)?;
    manager.insert("codec_type".into(), "HTTP3".into());
    manager.insert("http3_protocol_options".into(), value(json!({}))?);
    Ok(chain)
}

fn add_to_routes(chain: &mut Value, header: &Value) -> Result<()> {
    let hosts = hcm_mut(chain)?
        .get_mut("route_config")
        .and_then(|r| r.get_mut("virtual_hosts"))
        .and_then(Value::as_sequence_mut)
        .ok_or_else(|| fail("a filter chain has no route_config.virtual_hosts"))?;
    for host in hosts {
        let Some(routes) = host.get_mut("routes").and_then(Value::as_sequence_mut) else {
            continue;
        };
        for route in routes {
            let Some(route) = route.as_mapping_mut() else {
                continue;
            };
            let added = route
                .entry("response_headers_to_add".into())
                .or_insert_with(|| Value::Sequence(Vec::new()));
            if let Some(list) = added.as_sequence_mut() {
                list.push(header.clone());
            }
        }
    }
    Ok(())
}
