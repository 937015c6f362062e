//! The Gateways and VirtualServices as a plan rewrites them, step by step.

use crate::error::MergeError;
use crate::merge::virtual_service::{GatewayRef, rewrite_refs};
use crate::model::gateway::{Api, Gateway};
use crate::model::istio;
use crate::model::kube::Resource;
use serde_json::Value;

/// A server's identity through the plan: its Gateway's index in the input, and its index in
/// that Gateway's `spec.servers` as read.
pub type ServerId = (usize, usize);

#[derive(Debug, Clone)]
pub struct GatewayState {
    /// The Gateway as read.
    pub read: Gateway,
    /// Its servers now: (index as read, the server object).
    pub servers: Vec<(usize, Value)>,
    pub deleted: bool,
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

    /// Gateway `g` as it stands: the resource as read with its servers now.
    pub fn raw(&self, g: usize) -> Value {
        let state = &self.gateways[g];
        let mut raw = state.read.raw.clone();
        if state.read.api == Api::Istio {
            raw["spec"]["servers"] = Value::from(
                state
                    .servers
                    .iter()
                    .map(|(_, s)| s.clone())
                    .collect::<Vec<_>>(),
            );
        }
        raw
    }

    /// Whether Gateway `g` differs from how it was read.
    pub fn changed(&self, g: usize) -> bool {
        let state = &self.gateways[g];
        state.deleted
            || state.servers.len() != state.read.servers.len()
            || state
                .servers
                .iter()
                .any(|(i, s)| state.read.raw_server(&state.read.servers[*i]) != s)
    }

    /// The Gateways that stand, read again.
    pub fn standing(&self) -> Result<Vec<Gateway>, MergeError> {
        let mut out = Vec::new();
        for (g, state) in self.gateways.iter().enumerate() {
            if state.deleted {
                continue;
            }
            let gateway = match state.read.api {
                Api::Istio => istio::gateway(self.raw(g), state.read.source.clone())
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
        let target_ns = self.gateways[target.0].read.namespace.clone();
        let mut hosts: Vec<Value> = Vec::new();
        for &(g, s) in moved {
            let state = &mut self.gateways[g];
            let Some(at) = state.servers.iter().position(|(i, _)| *i == s) else {
                continue;
            };
            let (_, server) = state.servers.remove(at);
            let ns = &state.read.namespace;
            for host in server["hosts"].as_array().into_iter().flatten() {
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
        let state = &mut self.gateways[target.0];
        if let Some((_, server)) = state.servers.iter_mut().find(|(i, _)| *i == target.1)
            && let Some(list) = server["hosts"].as_array_mut()
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
        let to = GatewayRef::Gateway {
            namespace: self.gateways[target].read.namespace.clone(),
            name: self.gateways[target].read.name.clone(),
        };
        let mut changes = Vec::new();
        for vs in &mut self.virtual_services {
            let moved_here = serves_moved(vs);
            for &g in sources {
                let state = &self.gateways[g];
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
