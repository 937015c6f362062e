//! Routing equivalence, the contract of a merge plan: for every VirtualService, the set of
//! (workload, port, bind, host, TLS mode, credential) it is served on is the same before and
//! after, and nothing new is served.
//!
//! A VirtualService is served on every server of every Gateway it names, on every workload
//! that Gateway lands on, for each of its hosts that a server host admits: the names match
//! (exact, `*.suffix` at any depth, `*`), and the server host's `namespace/` part, if any,
//! is the VirtualService's (`.` the Gateway's, `*` any).

use crate::error::MergeError;
use crate::merge::state::State;
use crate::merge::virtual_service::{GatewayRef, VirtualService};
use crate::model::classes::GatewayClasses;
use crate::model::gateway::{Api, Gateway, Server};
use crate::model::kube::Resource;
use crate::model::labels::Labels;
use crate::model::placement::place;
pub use crate::model::routes::admitted;
use crate::model::workload::{PodTemplate, Service};
use std::collections::{BTreeSet, HashMap};

/// One place a VirtualService is served.
pub type Entry = (String, u32, Option<String>, String, String, String);

/// What places the Gateways on pods, the same before and after a plan.
pub struct Pods<'a> {
    pub templates: &'a [PodTemplate],
    pub services: &'a [Service],
    pub flags: &'a [Labels],
}

/// For each VirtualService of `state`, where it is served.
pub fn served(state: &State, pods: &Pods<'_>) -> Result<Vec<BTreeSet<Entry>>, MergeError> {
    let gateways = state.standing()?;
    // Only Istio Gateways are followed here, so Gateway API classes do not matter.
    let classes = GatewayClasses::default();
    let placement = place(
        &gateways,
        pods.templates,
        pods.services,
        pods.flags,
        &classes,
    );
    // Each Istio Gateway by namespace and name, with the workloads it lands on.
    let by_name: HashMap<(&str, &str), (&Gateway, &[usize])> = gateways
        .iter()
        .zip(&placement.landing)
        .filter(|(g, _)| g.api == Api::Istio)
        .map(|(g, landing)| {
            (
                (g.namespace.as_str(), g.name.as_str()),
                (g, landing.as_slice()),
            )
        })
        .collect();
    Ok(state
        .virtual_services
        .iter()
        .map(|vs| {
            let vs = VirtualService::read(vs);
            let mut entries = BTreeSet::new();
            for r in &vs.gateways {
                let GatewayRef::Gateway { namespace, name } = r else {
                    continue;
                };
                let Some(&(gateway, landing)) = by_name.get(&(namespace.as_str(), name.as_str()))
                else {
                    continue;
                };
                for workload in landing.iter().filter_map(|&w| placement.workloads.get(w)) {
                    let workload = &workload.name;
                    for server in &gateway.servers {
                        let (mode, credentials) = tls_of(server);
                        for host in admitted(gateway, server, &vs.namespace, &vs.hosts) {
                            entries.insert((
                                workload.clone(),
                                server.port,
                                server.bind.clone(),
                                host,
                                mode.clone(),
                                credentials.clone(),
                            ));
                        }
                    }
                }
            }
            entries
        })
        .collect())
}

/// The server's TLS mode and credentials, as the entries carry them.
fn tls_of(server: &Server) -> (String, String) {
    match &server.tls {
        None => ("(no TLS)".to_owned(), String::new()),
        Some(tls) => {
            let credentials: Vec<String> = tls.credentials.iter().map(|c| c.to_string()).collect();
            (tls.mode.as_str().to_owned(), credentials.join(", "))
        }
    }
}

/// What differs between `before` and `after`, one line per VirtualService; empty when
/// every VirtualService is served where it was and nowhere else.
pub fn differences(
    virtual_services: &[Resource],
    before: &[BTreeSet<Entry>],
    after: &[BTreeSet<Entry>],
) -> Vec<String> {
    let show = |e: &Entry| {
        let bind = e.2.as_ref().map_or(String::new(), |b| format!(" bind {b}"));
        let tls = if e.5.is_empty() {
            e.4.clone()
        } else {
            format!("{} {}", e.4, e.5)
        };
        format!("{} on port {}{bind} ({tls}) of {}", e.3, e.1, e.0)
    };
    let mut out = Vec::new();
    for ((vs, b), a) in virtual_services.iter().zip(before).zip(after) {
        let new: Vec<String> = a.difference(b).map(show).collect();
        let lost: Vec<String> = b.difference(a).map(show).collect();
        if !new.is_empty() {
            out.push(format!(
                "VirtualService {}/{} would also serve {}",
                vs.namespace,
                vs.name,
                new.join("; ")
            ));
        }
        if !lost.is_empty() {
            out.push(format!(
                "VirtualService {}/{} would no longer serve {}",
                vs.namespace,
                vs.name,
                lost.join("; ")
            ));
        }
    }
    out
}
