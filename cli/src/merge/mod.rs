//! The merge plan: the recommended fix for a shared certificate, planned and checked.
//!
//! HTTPS servers of Istio Gateways that present the same certificate on one workload and
//! port, with the same TLS settings, become one server listing all their hosts, in one of
//! their Gateways. The VirtualServices of the Gateways that lose servers are rebound to it.
//! Each step must keep routing equivalent ([`served`]); one that would not is not taken, and
//! says why. Servers whose TLS settings differ are never merged: sni-guard is their remedy.

mod choose;
pub mod output;
pub mod served;
pub mod state;
pub mod virtual_service;

use crate::audit::{audit, Finding};
use crate::input::Input;
use crate::input::Resource;
use crate::model::gateway::{Api, Gateway};
use crate::model::labels::Labels;
use crate::model::layout::Layout;
use serde::Serialize;
use served::{admitted, differences, served, Pods};
use state::{ServerId, State};
use std::collections::BTreeSet;
use virtual_service::VirtualService;

/// Servers that became one.
#[derive(Debug, Clone, Serialize)]
pub struct Merged {
    /// `workload ..., port 443`.
    pub listener: String,
    pub credentials: Vec<String>,
    /// The server that holds every host now: `istio-system/gw-a servers[1] (port https)`.
    pub into: String,
    /// Why that Gateway was chosen.
    pub why: String,
    /// The servers whose hosts moved into it.
    pub moved: Vec<String>,
}

/// Servers sharing a certificate that the plan leaves apart, and why.
#[derive(Debug, Clone, Serialize)]
pub struct NotMerged {
    pub listener: String,
    pub credentials: Vec<String>,
    pub servers: Vec<String>,
    pub why: String,
}

/// The plan, checked.
#[derive(Debug, Default)]
pub struct Plan {
    pub merged: Vec<Merged>,
    pub not_merged: Vec<NotMerged>,
    /// Full objects to apply: Gateways changed, VirtualServices rebound.
    pub apply: Vec<serde_json::Value>,
    /// Gateways left without servers: (namespace, name).
    pub delete: Vec<(String, String)>,
    /// (VirtualService, from, to).
    pub rebound: Vec<(String, String, String)>,
    /// VirtualServices whose routing was checked.
    pub checked: usize,
}

/// Plans the merge of every shared-certificate group it can, on `layout` (of the input's
/// Gateways, placed with `flags`). `Err` when the plan, checked as a whole, would change
/// routing (it then is not printed).
pub fn plan(input: &Input, layout: &Layout<'_>, flags: &[Labels]) -> Result<Plan, String> {
    let gateways = &input.gateways.items;
    let pods = Pods {
        templates: &input.templates.items,
        services: &input.services.items,
        flags,
    };
    let original = State::new(gateways, &input.virtual_services.items);
    let before = served(&original, &pods)?;
    let findings = audit(layout, &input.certificates).findings;
    let mut state = original.clone();
    let mut plan = Plan {
        checked: original.virtual_services.len(),
        ..Plan::default()
    };
    let mut taken: BTreeSet<ServerId> = BTreeSet::new();
    let mut seen: BTreeSet<Vec<ServerId>> = BTreeSet::new();
    for finding in &findings {
        let Finding::SharedCredential {
            listener,
            credentials,
            chains,
        } = finding
        else {
            continue;
        };
        let mut ids: Vec<ServerId> = chains
            .iter()
            .map(|c| (c.gateway_index, c.server.index))
            .collect();
        ids.sort_unstable();
        if !seen.insert(ids.clone()) {
            continue; // The same servers on another workload: one merge serves both.
        }
        let listener_name = layout.describe(&layout.listeners[*listener]).to_string();
        let credentials: Vec<String> = credentials.iter().map(|c| c.to_string()).collect();
        let labels: Vec<String> = chains.iter().map(|c| c.label()).collect();
        let refuse = |why: String| NotMerged {
            listener: listener_name.clone(),
            credentials: credentials.clone(),
            servers: labels.clone(),
            why,
        };
        if let Some(why) = unmergeable(gateways, &ids, &taken) {
            plan.not_merged.push(refuse(why));
            continue;
        }
        // Servers with other TLS settings than the rest stay apart; those alike merge.
        let parts = choose::by_settings(gateways, &ids);
        if parts.len() > 1 {
            let diff = choose::settings_differ(gateways, &ids).unwrap_or_default();
            plan.not_merged.push(refuse(format!(
                "their TLS settings differ ({diff}): one server has one set of them, so merging would change which clients and certificates each host gets; sni-guard is the remedy{}",
                if parts.iter().any(|p| p.len() > 1) { "; servers alike among them are merged with each other where routing allows" } else { "" }
            )));
        }
        let workload_ns = layout
            .workload(&layout.listeners[*listener])
            .namespace
            .clone();
        for ids in parts.into_iter().filter(|p| p.len() > 1) {
            let step = Step {
                gateways,
                pods: &pods,
                before: &before,
                listener: &listener_name,
                credentials: &credentials,
            };
            match step.try_merge(&state, &ids, workload_ns.as_deref()) {
                Ok((candidate, merged, rebound)) => {
                    taken.extend(ids.iter().copied());
                    plan.merged.push(merged);
                    plan.rebound.extend(rebound);
                    state = candidate;
                }
                Err(why) => plan.not_merged.push(NotMerged {
                    listener: listener_name.clone(),
                    credentials: credentials.clone(),
                    servers: ids.iter().map(|&id| label(gateways, id)).collect(),
                    why,
                }),
            }
        }
    }
    let after = served(&state, &pods)?;
    let broken = differences(&state.virtual_services, &before, &after);
    if !broken.is_empty() {
        return Err(format!(
            "the plan would change routing, so it is not printed: {}",
            broken.join("; ")
        ));
    }
    finish(&mut plan, &original, &state);
    Ok(plan)
}

/// Why these servers cannot become one, if they cannot.
fn unmergeable(
    gateways: &[Gateway],
    ids: &[ServerId],
    taken: &BTreeSet<ServerId>,
) -> Option<String> {
    if let Some(&(g, _)) = ids
        .iter()
        .find(|(g, _)| gateways[*g].api == Api::GatewayApi)
    {
        return Some(format!(
            "{} is a Gateway API Gateway: merge its listeners by hand (one listener per hostname set, HTTPRoutes re-parented), or run sni-guard",
            gateways[g].id()
        ));
    }
    if let Some(id) = ids.iter().find(|id| taken.contains(id)) {
        return Some(format!(
            "{} is already merged with other servers in this plan",
            label(gateways, *id)
        ));
    }
    None
}

/// What one merge needs to know.
struct Step<'a> {
    gateways: &'a [Gateway],
    pods: &'a Pods<'a>,
    before: &'a [BTreeSet<served::Entry>],
    listener: &'a str,
    credentials: &'a [String],
}

type Rebound = Vec<(String, String, String)>;

impl Step<'_> {
    /// `state` with `ids` merged into one server, or why routing would change.
    fn try_merge(
        &self,
        state: &State,
        ids: &[ServerId],
        workload_ns: Option<&str>,
    ) -> Result<(State, Merged, Rebound), String> {
        let gateways = self.gateways;
        let (target, why) = choose::target(gateways, ids, workload_ns);
        let moved: Vec<ServerId> = ids.iter().copied().filter(|id| *id != target).collect();
        let mut candidate = state.clone();
        candidate.merge(target, &moved);
        let mut sources: Vec<usize> = moved
            .iter()
            .map(|(g, _)| *g)
            .filter(|g| *g != target.0)
            .collect();
        sources.dedup();
        let serves_moved = |vs: &Resource| {
            let read = VirtualService::read(vs);
            moved.iter().any(|&(g, s)| {
                !admitted(
                    &gateways[g],
                    &gateways[g].servers[s],
                    &read.namespace,
                    &read.hosts,
                )
                .is_empty()
            })
        };
        let rebound = candidate.rebind(target.0, &sources, &serves_moved);
        let after = served(&candidate, self.pods)?;
        let broken = differences(&candidate.virtual_services, self.before, &after);
        if !broken.is_empty() {
            return Err(format!(
                "merged, routing would change: {}",
                broken.join("; ")
            ));
        }
        let merged = Merged {
            listener: self.listener.to_owned(),
            credentials: self.credentials.to_vec(),
            into: label(gateways, target),
            why,
            moved: moved.iter().map(|&id| label(gateways, id)).collect(),
        };
        Ok((candidate, merged, rebound))
    }
}

/// The objects to apply and the Gateways to delete: what differs between the two states.
fn finish(plan: &mut Plan, original: &State, state: &State) {
    for (g, gateway) in state.gateways.iter().enumerate() {
        if gateway.deleted {
            plan.delete
                .push((gateway.read.namespace.clone(), gateway.read.name.clone()));
        } else if state.changed(g) {
            plan.apply.push(output::applicable(state.raw(g)));
        }
    }
    for (vs, read) in state
        .virtual_services
        .iter()
        .zip(&original.virtual_services)
    {
        if vs.value != read.value {
            plan.apply.push(output::applicable(vs.value.clone()));
        }
    }
}

/// `istio-system/gw-a servers[1] (port https)`.
fn label(gateways: &[Gateway], (g, s): ServerId) -> String {
    format!("{} {}", gateways[g].id(), gateways[g].servers[s].label())
}

#[cfg(test)]
mod tests;
