//! How Istio lays Gateways out on its gateway workloads: on one workload and port (and
//! `bind` address), every HTTPS server that terminates TLS becomes its own filter chain,
//! chosen by SNI, with its own route table.

use crate::gateway::{show_labels, Gateway, Labels, Server};
use std::fmt;

/// One listener of a gateway workload: the workload's labels, the port, the bind address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Listener {
    pub workload: Labels,
    pub port: u32,
    pub bind: Option<String>,
}

impl fmt::Display for Listener {
    /// `workload istio=ingressgateway, port 443` (`, bind 10.0.0.1` when set).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "workload {}, port {}",
            show_labels(&self.workload),
            self.port
        )?;
        if let Some(bind) = &self.bind {
            write!(f, ", bind {bind}")?;
        }
        Ok(())
    }
}

/// A server, with the Gateway that holds it.
#[derive(Debug, Clone, Copy)]
pub struct ServerRef<'g> {
    pub gateway: &'g Gateway,
    pub server: &'g Server,
}

impl ServerRef<'_> {
    /// `istio-system/gw-a servers[0] (port https)`.
    pub fn label(&self) -> String {
        format!("{} {}", self.gateway.id(), self.server.label())
    }
}

/// The HTTPS servers of each listener, listeners in order, servers in input order.
pub fn https_listeners(gateways: &[Gateway]) -> Vec<(Listener, Vec<ServerRef<'_>>)> {
    let mut listeners: Vec<(Listener, Vec<ServerRef<'_>>)> = Vec::new();
    for gateway in gateways {
        for server in gateway.servers.iter().filter(|s| s.is_https()) {
            let listener = Listener {
                workload: gateway.selector.clone(),
                port: server.port.number,
                bind: server.bind.clone().filter(|b| !b.is_empty()),
            };
            let at = match listeners.iter().position(|(l, _)| *l == listener) {
                Some(at) => at,
                None => {
                    listeners.push((listener, Vec::new()));
                    listeners.len() - 1
                }
            };
            if let Some((_, servers)) = listeners.get_mut(at) {
                servers.push(ServerRef { gateway, server });
            }
        }
    }
    listeners.sort_by(|a, b| a.0.cmp(&b.0));
    listeners
}

/// Pairs of distinct workload selectors where one selects a subset of the other's pods
/// (`istio=ingressgateway` and `istio=ingressgateway,app=x`, or no selector at all): the
/// audit treats them as different workloads, but they may share pods.
pub fn overlapping_selectors(gateways: &[Gateway]) -> Vec<(Labels, Labels)> {
    let mut selectors: Vec<&Labels> = gateways.iter().map(|g| &g.selector).collect();
    selectors.sort();
    selectors.dedup();
    let mut pairs = Vec::new();
    for broad in &selectors {
        for narrow in &selectors {
            if broad != narrow && broad.iter().all(|(k, v)| narrow.get(k) == Some(v)) {
                pairs.push(((*broad).clone(), (*narrow).clone()));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gateway::Source;
    use serde_json::json;

    fn gateway(name: &str, selector: serde_json::Value, servers: serde_json::Value) -> Gateway {
        Gateway::from_value(
            &json!({"metadata": {"name": name, "namespace": "ns"},
                    "spec": {"selector": selector, "servers": servers}}),
            Source {
                file: "t".into(),
                place: String::new(),
            },
        )
        .unwrap()
    }

    fn https(port: u32, host: &str) -> serde_json::Value {
        json!({"port": {"number": port, "name": format!("https-{port}"), "protocol": "HTTPS"},
               "hosts": [host], "tls": {"mode": "SIMPLE", "credentialName": "c"}})
    }

    #[test]
    fn groups_by_workload_port_and_bind() {
        let mut bound = https(443, "c.example.com");
        bound["bind"] = json!("10.0.0.1");
        let gws = vec![
            gateway(
                "a",
                json!({"istio": "ingressgateway"}),
                json!([https(443, "a.example.com"), https(8443, "x.example.com")]),
            ),
            gateway(
                "b",
                json!({"istio": "ingressgateway"}),
                json!([https(443, "b.example.com"), bound]),
            ),
            gateway(
                "c",
                json!({"istio": "other"}),
                json!([https(443, "a.example.com")]),
            ),
            gateway(
                "d",
                json!({"istio": "ingressgateway"}),
                json!([
                {"port": {"number": 443, "name": "tls", "protocol": "HTTPS"}, "hosts": ["p.example.com"], "tls": {"mode": "PASSTHROUGH"}},
                {"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"]}]),
            ),
        ];
        let listeners = https_listeners(&gws);
        let shown: Vec<(String, Vec<String>)> = listeners
            .iter()
            .map(|(l, s)| (l.to_string(), s.iter().map(ServerRef::label).collect()))
            .collect();
        assert_eq!(
            shown,
            vec![
                (
                    "workload istio=ingressgateway, port 443".to_owned(),
                    vec![
                        "ns/a servers[0] (port https-443)".to_owned(),
                        "ns/b servers[0] (port https-443)".to_owned()
                    ]
                ),
                (
                    "workload istio=ingressgateway, port 443, bind 10.0.0.1".to_owned(),
                    vec!["ns/b servers[1] (port https-443)".to_owned()]
                ),
                (
                    "workload istio=ingressgateway, port 8443".to_owned(),
                    vec!["ns/a servers[1] (port https-8443)".to_owned()]
                ),
                (
                    "workload istio=other, port 443".to_owned(),
                    vec!["ns/c servers[0] (port https-443)".to_owned()]
                ),
            ]
        );
    }

    #[test]
    fn finds_selectors_that_may_share_pods() {
        let gws = vec![
            gateway("a", json!({"istio": "ingressgateway"}), json!([])),
            gateway(
                "b",
                json!({"istio": "ingressgateway", "app": "x"}),
                json!([]),
            ),
            gateway("c", json!({"istio": "other"}), json!([])),
        ];
        let pairs = overlapping_selectors(&gws);
        assert_eq!(pairs.len(), 1);
        assert_eq!(show_labels(&pairs[0].0), "istio=ingressgateway");
        assert_eq!(show_labels(&pairs[0].1), "app=x,istio=ingressgateway");
    }
}
