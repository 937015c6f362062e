//! How Istio lays Gateways out on a gateway workload: on one workload, port and `bind`
//! address, every server that TLS names by SNI becomes its own filter chain (chosen by SNI,
//! with its own certificate and, for HTTPS, its own route table).

use crate::error::PortUnknown;
pub use crate::model::chain::{ChainRef, gateway_ids};
use crate::model::envoy_gateway;
use crate::model::gateway::{ChainKind, Gateway};
use crate::model::istiod::{self, Dropped};
use crate::model::labels::GATEWAY_NAME_LABEL;
use crate::model::placement::Placement;
use crate::model::workload::{Service, Workload};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One listener of a gateway workload, with its filter chains in input order: those istiod
/// builds, and the servers it drops for a host already on the port.
#[derive(Debug, Clone)]
pub struct Listener<'g> {
    /// Index into [`Layout::placement`]'s workloads: listeners with the same run on the
    /// same pods.
    pub workload_index: usize,
    /// The pods it runs on.
    pub workload: Workload,
    /// The Services in front of those pods.
    pub services: Vec<&'g Service>,
    /// The Gateways' port number (`port.number`, a listener's `port`).
    pub port: u32,
    pub bind: Option<String>,
    pub chains: Vec<ChainRef<'g>>,
    pub dropped: Vec<Dropped<'g>>,
}

/// The Gateways, where they landed, and the listeners they make.
#[derive(Debug)]
pub struct Layout<'g> {
    pub gateways: &'g [Gateway],
    pub placement: Placement,
    pub services: &'g [Service],
    /// By workload, port and bind address.
    pub listeners: Vec<Listener<'g>>,
}

impl<'g> Layout<'g> {
    /// Builds the listeners of every workload.
    pub fn new(gateways: &'g [Gateway], placement: Placement, services: &'g [Service]) -> Self {
        let mut by_key: BTreeMap<(usize, u32, Option<String>), Listener<'g>> = BTreeMap::new();
        for (gateway_index, (gateway, landing)) in
            gateways.iter().zip(&placement.landing).enumerate()
        {
            for server in &gateway.servers {
                let Some(kind) = server.chain() else {
                    continue;
                };
                for &w in landing {
                    let Some(workload) = placement.workloads.get(w) else {
                        continue;
                    };
                    let key = (w, server.port, server.bind.clone());
                    let listener = by_key.entry(key).or_insert_with(|| Listener {
                        workload_index: w,
                        workload: workload.clone(),
                        services: placement
                            .services
                            .get(w)
                            .into_iter()
                            .flatten()
                            .filter_map(|&s| services.get(s))
                            .collect(),
                        port: server.port,
                        bind: server.bind.clone(),
                        chains: Vec::new(),
                        dropped: Vec::new(),
                    });
                    listener.chains.push(ChainRef {
                        gateway,
                        gateway_index,
                        server,
                        kind,
                    });
                }
            }
        }
        let listeners = by_key
            .into_values()
            .map(|mut listener| {
                // Envoy Gateway refuses a repeated (port, hostname) itself (CEL, Conflicted).
                if listener.workload.fleet.is_some() {
                    return listener;
                }
                let (kept, dropped) = istiod::merge(std::mem::take(&mut listener.chains));
                listener.chains = kept;
                listener.dropped = dropped;
                listener
            })
            .collect();
        Layout {
            gateways,
            placement,
            services,
            listeners,
        }
    }

    /// One line for each assumed workload that holds a filter chain, and each other thing
    /// placement took to be so.
    pub fn assumptions(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .listeners
            .chunk_by(|a, b| a.workload_index == b.workload_index)
            .filter_map(|same| same.first())
            .filter_map(|l| {
                l.workload
                    .assumed
                    .as_ref()
                    .map(|why| format!("assumed workload {}: {why}", l.workload.describe()))
            })
            .collect();
        out.extend(self.placement.notes.iter().cloned());
        out
    }

    /// The Gateways that land on no workload, with why.
    pub fn unplaced(&self) -> impl Iterator<Item = (&'g Gateway, &str)> + '_ {
        let gateways = self.gateways;
        self.placement
            .unplaced
            .iter()
            .filter_map(move |(g, why)| Some((gateways.get(*g)?, why.as_str())))
    }

    /// The other ports of `listener`'s workload that have an HTTPS chain, ascending, each once
    /// (a port with two bind addresses is two listeners).
    pub fn other_https_ports(&self, listener: &Listener<'_>) -> Vec<u32> {
        self.listeners
            .iter()
            .filter(|l| {
                l.workload_index == listener.workload_index
                    && l.port != listener.port
                    && l.chains.iter().any(|c| c.kind == ChainKind::Https)
            })
            .map(|l| l.port)
            .collect::<BTreeSet<u32>>()
            .into_iter()
            .collect()
    }
}

impl Listener<'_> {
    /// `workload Deployment istio-system/x (istio=x), port 443` (`, bind 10.0.0.1`).
    pub fn describe(&self) -> ListenerName {
        ListenerName {
            workload: self.workload.short(),
            port: self.port,
            bind: self.bind.clone(),
        }
    }

    /// The port Envoy listens on, and how it is known. istiod binds a Gateway port to the
    /// `targetPort` of the gateway Service's port with that number, and to the number itself
    /// when no Service in front of the pods has it.
    pub fn envoy_port(&self) -> Result<(u32, String), PortUnknown> {
        let port = self.port;
        if self.workload.fleet.is_some() {
            let bound = envoy_gateway::container_port(port);
            return Ok((
                bound,
                format!(
                    "Envoy Gateway binds listener port {port} to container port {bound} (ports below 1024 move up by 10000; EnvoyProxy useListenerPortAsContainerPort keeps them)"
                ),
            ));
        }
        for service in &self.services {
            if let Some(p) = service.ports.iter().find(|p| p.port == port) {
                return match p.target {
                    Some(target) => Ok((
                        target,
                        format!(
                            "Service {} maps port {port} to targetPort {target}",
                            service.id()
                        ),
                    )),
                    None => Err(PortUnknown::NamedTargetPort {
                        service: service.id(),
                        port,
                    }),
                };
            }
        }
        if let Some(service) = self.services.first() {
            return Ok((
                port,
                format!(
                    "no port {port} in Service {}: Envoy listens on {port}",
                    service.id()
                ),
            ));
        }
        let workload = &self.workload;
        if workload.assumed.is_some() && workload.labels.contains_key(GATEWAY_NAME_LABEL) {
            return Ok((
                port,
                "Istio's Service for a Gateway API deployment keeps the listener's port".to_owned(),
            ));
        }
        Err(PortUnknown::NoService {
            workload: workload.describe(),
            port,
        })
    }
}

/// A listener as people read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerName {
    pub workload: String,
    pub port: u32,
    pub bind: Option<String>,
}

impl fmt::Display for ListenerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "workload {}, port {}", self.workload, self.port)?;
        if let Some(bind) = &self.bind {
            write!(f, ", bind {bind}")?;
        }
        Ok(())
    }
}
