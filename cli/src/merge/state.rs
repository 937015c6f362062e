//! The Gateways and VirtualServices as a plan rewrites them, step by step.

use crate::error::MergeError;
use crate::merge::virtual_service::{GatewayRef, rewrite_refs};
use crate::model::gateway::{Api, Gateway};
use crate::model::istio;
use crate::model::kube::Resource;
use crate::model::layout::ChainRef;
use serde_json::{Map, Value};

/// A server's identity through the plan: its Gateway's index in the input, and its index in
/// that Gateway's `spec.servers` as read.
pub type ServerId = (usize, usize);

/// The identity of a chain's server.
pub fn server_id(chain: &ChainRef<'_>) -> ServerId {
    (chain.gateway_index, chain.server.index)
}

#[derive(Debug, Clone)]
pub struct GatewayState {
    /// The Gateway as read.
    pub read: Gateway,
    /// Its servers now: (index as read, the server object).
    pub servers: Vec<(usize, Value)>,
    pub deleted: bool,
}

impl GatewayState {
    /// The resource as read with its servers now.
    pub fn raw(&self) -> Value {
        let mut raw = self.read.raw.clone();
        if self.read.api == Api::Istio
            && let Some(object) = raw.as_object_mut()
        {
            let servers: Vec<Value> = self.servers.iter().map(|(_, s)| s.clone()).collect();
            let spec = object
                .entry("spec")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Some(spec) = spec.as_object_mut() {
                spec.insert("servers".to_owned(), Value::from(servers));
            }
        }
        raw
    }

    /// Whether it differs from how it was read.
    pub fn changed(&self) -> bool {
        self.deleted
            || self.servers.len() != self.read.servers.len()
            || self.servers.iter().any(|(i, s)| self.read.raw_at(*i) != s)
    }
}

#[derive(Debug, Clone)]
pub struct State {
    pub gateways: Vec<GatewayState>,
    pub virtual_services: Vec<Resource>,
}

impl State {
    pub fn new(gateways: &[Gateway], virtual_services: &[Resource]) -> State {
        State {
            gateways: gateways
                .iter()
                .map(|g| GatewayState {
                    read: g.clone(),
                    servers: g
                        .servers
                        .iter()
                        .map(|s| (s.index, g.raw_server(s).clone()))
                        .collect(),
                    deleted: false,
                })
                .collect(),
            virtual_services: virtual_services.to_vec(),
        }
    }

    /// The Gateways that stand, read again.
    pub fn standing(&self) -> Result<Vec<Gateway>, MergeError> {
        let mut out = Vec::new();
        for state in &self.gateways {
            if state.deleted {
                continue;
            }
            let gateway = match state.read.api {
                Api::Istio => istio::gateway(state.raw(), state.read.source.clone())
                    .map_err(|e| vec![e])
                    .and_then(|(gw, problems)| match problems.is_empty() {
                        true => Ok(gw),
                        false => Err(problems),
                    })
                    .map_err(|problems| MergeError::Unreadable {
                        gateway: state.read.title(),
                        problems,
                    })?,
                Api::GatewayApi => state.read.clone(),
            };
            out.push(gateway);
        }
        Ok(out)
    }

    /// Moves the hosts of `moved` into `target`'s server and removes those servers (and any
    /// Gateway left without servers). A `./host` moved to another namespace's Gateway keeps
    /// its meaning as `<namespace>/host`.
    pub fn merge(&mut self, target: ServerId, moved: &[ServerId]) {
        let Some(target_ns) = self
            .gateways
            .get(target.0)
            .map(|t| t.read.namespace.clone())
        else {
            return;
        };
        let mut hosts: Vec<Value> = Vec::new();
        for &(g, s) in moved {
            let Some(state) = self.gateways.get_mut(g) else {
                continue;
            };
            let Some(at) = state.servers.iter().position(|(i, _)| *i == s) else {
                continue;
            };
            let (_, server) = state.servers.remove(at);
            let ns = &state.read.namespace;
            for host in server
                .get("hosts")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(text) = host.as_str() else { continue };
                let text = match text.strip_prefix("./") {
                    Some(rest) if *ns != target_ns => format!("{ns}/{rest}"),
                    _ => text.to_owned(),
                };
                hosts.push(Value::from(text));
            }
            if state.servers.is_empty() {
                state.deleted = true;
            }
        }
        if let Some(state) = self.gateways.get_mut(target.0)
            && let Some((_, server)) = state.servers.iter_mut().find(|(i, _)| *i == target.1)
            && let Some(list) = server.get_mut("hosts").and_then(Value::as_array_mut)
        {
            for host in hosts {
                if !list.contains(&host) {
                    list.push(host);
                }
            }
        }
    }

    /// Rebinds the VirtualServices of the Gateways that lost servers to `target`'s Gateway:
    /// a deleted Gateway's references are replaced by it; a Gateway that keeps other servers
    /// keeps its references and gains the target beside them, in the VirtualServices that
    /// `serves_moved` says routed on a moved server. Returns `(VirtualService, from, to)`.
    pub fn rebind(
        &mut self,
        target: usize,
        sources: &[usize],
        serves_moved: &dyn Fn(&Resource) -> bool,
    ) -> Vec<(String, String, String)> {
        let Some(to) = self.gateways.get(target).map(|t| GatewayRef::Gateway {
            namespace: t.read.namespace.clone(),
            name: t.read.name.clone(),
        }) else {
            return Vec::new();
        };
        let mut changes = Vec::new();
        for vs in &mut self.virtual_services {
            let moved_here = serves_moved(vs);
            for state in sources.iter().filter_map(|&g| self.gateways.get(g)) {
                let from = GatewayRef::Gateway {
                    namespace: state.read.namespace.clone(),
                    name: state.read.name.clone(),
                };
                let deleted = state.deleted;
                if !deleted && !moved_here {
                    continue;
                }
                let change = |r: &GatewayRef| match r {
                    r if *r == from && deleted => vec![to.clone()],
                    r if *r == from => vec![r.clone(), to.clone()],
                    r => vec![r.clone()],
                };
                if rewrite_refs(&mut vs.value, &vs.namespace, &change) {
                    changes.push((
                        format!("{}/{}", vs.namespace, vs.name),
                        from.write(),
                        to.write(),
                    ));
                }
            }
        }
        changes
    }
}
