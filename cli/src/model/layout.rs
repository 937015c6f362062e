//! How Istio lays Gateways out on a gateway workload: on one workload, port and `bind`
//! address, every server that TLS names by SNI becomes its own filter chain (chosen by SNI,
//! with its own certificate and, for HTTPS, its own route table).

pub use crate::model::chain::{ChainRef, gateway_ids};
use crate::model::gateway::{ChainKind, Gateway};
use crate::model::istiod::{self, Dropped};
use crate::model::labels::GATEWAY_NAME_LABEL;
use crate::model::placement::Placement;
use crate::model::workload::{Service, Workload};
use std::collections::{BTreeSet, HashMap};
use std::fmt;

/// One listener of a gateway workload, with its filter chains in input order: those istiod
/// builds, and the servers it drops for a host already on the port.
#[derive(Debug, Clone)]
pub struct Listener<'g> {
    /// Index into [`Layout::placement`]'s workloads.
    pub workload: usize,
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
    pub listeners: Vec<Listener<'g>>,
}

impl<'g> Layout<'g> {
    /// Builds the listeners of every workload.
    pub fn new(gateways: &'g [Gateway], placement: Placement, services: &'g [Service]) -> Self {
        let mut listeners: Vec<Listener<'g>> = Vec::new();
        let mut index: HashMap<(usize, u32, Option<String>), usize> = HashMap::new();
        for (gateway_index, (gateway, landing)) in
            gateways.iter().zip(&placement.landing).enumerate()
        {
            for server in &gateway.servers {
                let Some(kind) = server.chain() else {
                    continue;
                };
                for &workload in landing {
                    let key = (workload, server.port, server.bind.clone());
                    let at = *index.entry(key).or_insert_with(|| {
                        listeners.push(Listener {
                            workload,
                            port: server.port,
                            bind: server.bind.clone(),
                            chains: Vec::new(),
                            dropped: Vec::new(),
                        });
                        listeners.len() - 1
                    });
                    listeners[at].chains.push(ChainRef {
                        gateway,
                        gateway_index,
                        server,
                        kind,
                    });
                }
            }
        }
        listeners.sort_by(|a, b| (a.workload, a.port, &a.bind).cmp(&(b.workload, b.port, &b.bind)));
        for listener in &mut listeners {
            let (kept, dropped) = istiod::merge(std::mem::take(&mut listener.chains));
            listener.chains = kept;
            listener.dropped = dropped;
        }
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
        let mut used: Vec<usize> = self.listeners.iter().map(|l| l.workload).collect();
        used.dedup();
        let mut out: Vec<String> = used
            .into_iter()
            .filter_map(|w| {
                let workload = &self.placement.workloads[w];
                workload
                    .assumed
                    .as_ref()
                    .map(|why| format!("assumed workload {}: {why}", workload.describe()))
            })
            .collect();
        out.extend(self.placement.notes.iter().cloned());
        out
    }

    pub fn workload(&self, listener: &Listener<'_>) -> &Workload {
        &self.placement.workloads[listener.workload]
    }

    /// The other ports of `listener`'s workload that have an HTTPS chain, ascending, each once
    /// (a port with two bind addresses is two listeners).
    pub fn other_https_ports(&self, listener: &Listener<'_>) -> Vec<u32> {
        self.listeners
            .iter()
            .filter(|l| {
                l.workload == listener.workload
                    && l.port != listener.port
                    && l.chains.iter().any(|c| c.kind == ChainKind::Https)
            })
            .map(|l| l.port)
            .collect::<BTreeSet<u32>>()
            .into_iter()
            .collect()
    }

    /// `workload Deployment istio-system/x (istio=x), port 443` (`, bind 10.0.0.1`).
    pub fn describe(&self, listener: &Listener<'_>) -> ListenerName {
        ListenerName {
            workload: self.workload(listener).short(),
            port: listener.port,
            bind: listener.bind.clone(),
        }
    }

    /// The port Envoy listens on for `listener`, and how it is known. istiod binds a Gateway
    /// port to the `targetPort` of the gateway Service's port with that number, and to the
    /// number itself when no Service in front of the pods has it. `Err` says why it is not
    /// known.
    pub fn envoy_port(&self, listener: &Listener<'_>) -> Result<(u32, String), String> {
        let port = listener.port;
        let services: Vec<&Service> = self.placement.services[listener.workload]
            .iter()
            .map(|&s| &self.services[s])
            .collect();
        for service in &services {
            if let Some(p) = service.ports.iter().find(|p| p.port == port) {
                return match p.target {
                    Some(target) => Ok((
                        target,
                        format!(
                            "Service {} maps port {port} to targetPort {target}",
                            service.id()
                        ),
                    )),
                    None => Err(format!(
                        "Service {} maps port {port} to a named targetPort",
                        service.id()
                    )),
                };
            }
        }
        if let Some(service) = services.first() {
            return Ok((
                port,
                format!(
                    "no port {port} in Service {}: Envoy listens on {port}",
                    service.id()
                ),
            ));
        }
        let workload = self.workload(listener);
        if workload.assumed.is_some() && workload.labels.contains_key(GATEWAY_NAME_LABEL) {
            return Ok((
                port,
                "Istio's Service for a Gateway API deployment keeps the listener's port".to_owned(),
            ));
        }
        Err(format!(
            "the Service in front of {} is not in the input (Envoy listens on its targetPort for port {port})",
            workload.describe()
        ))
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
