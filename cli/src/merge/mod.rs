//! The merge plan: the recommended fix for a shared certificate, planned and checked.
//!
//! HTTPS servers of Istio Gateways that present the same certificate on one workload and
//! port, with the same TLS settings, become one server listing all their hosts, in one of
//! their Gateways. The VirtualServices of the Gateways that lose servers are rebound to it.
//! Each step must keep routing equivalent ([`served`]); one that would not is not taken, and
//! says why. Servers whose TLS settings differ are never merged: sni-guard is their remedy.

mod choose;
pub mod order;
pub mod output;
pub mod served;
pub mod state;
pub mod virtual_service;

use crate::audit::{Finding, audit_with};
use crate::error::MergeError;
use crate::input::Input;
use crate::model::gateway::Api;
use crate::model::kube::Resource;
use crate::model::labels::Labels;
use crate::model::layout::{ChainRef, Layout};
use serde::Serialize;
use serde_json::Value;
use served::{Pods, admitted, differences, served};
use state::{ServerId, State, server_id};
use std::collections::BTreeSet;
use virtual_service::VirtualService;

/// The apiVersion of a deleted Gateway whose input named none (it cannot be read without one,
/// so this is a fallback only): the version Istio serves as stable.
const DEFAULT_API_VERSION: &str = "networking.istio.io/v1";

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

/// A Gateway the plan deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    /// The input's `apiVersion` (`networking.istio.io/v1beta1`): `kubectl delete` ignores the
    /// version, but a tool reading the plan can look the object up as it was read.
    pub api_version: String,
    pub namespace: String,
    pub name: String,
}

/// The plan, checked.
#[derive(Debug, Default)]
pub struct Plan {
    pub merged: Vec<Merged>,
    pub not_merged: Vec<NotMerged>,
    /// Full objects to apply: Gateways changed, VirtualServices rebound.
    pub apply: Vec<serde_json::Value>,
    /// Gateways left without servers.
    pub delete: Vec<Deleted>,
    /// (VirtualService, from, to).
    pub rebound: Vec<(String, String, String)>,
    /// VirtualServices whose routing was checked: those in the input, and only those.
    pub checked: usize,
    /// The user said, with `--no-virtual-services`, that no VirtualService is bound to these
    /// Gateways (the input holds none).
    pub no_virtual_services: bool,
}

/// Plans the merge of every shared-certificate group it can, on `layout` (of the input's
/// Gateways, placed with `flags`). `no_virtual_services`: the user says no VirtualService is
/// bound to these Gateways. `Err` when the plan, checked as a whole, would change routing (it
/// then is not printed), or when the input contradicts `no_virtual_services`.
pub fn plan(
    input: &Input,
    layout: &Layout<'_>,
    flags: &[Labels],
    no_virtual_services: bool,
) -> Result<Plan, MergeError> {
    let gateways = &input.gateways.items;
    let virtual_services = &input.virtual_services.items;
    if no_virtual_services && !virtual_services.is_empty() {
        let names = virtual_services
            .iter()
            .map(|vs| format!("{}/{}", vs.namespace, vs.name))
            .collect();
        return Err(MergeError::VirtualServicesGiven { names });
    }
    let pods = Pods {
        templates: &input.templates.items,
        services: &input.services.items,
        flags,
    };
    let original = State::new(gateways, &input.virtual_services.items);
    let before = served(&original, &pods)?;
    let policies = &input.envoy_gateway.traffic_policies;
    let findings = audit_with(layout, &input.certificates, &[], policies).findings;
    let mut state = original.clone();
    let mut plan = Plan {
        checked: original.virtual_services.len(),
        no_virtual_services,
        ..Plan::default()
    };
    let mut targets: BTreeSet<usize> = BTreeSet::new();
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
        let mut sorted: Vec<ChainRef<'_>> = chains.clone();
        sorted.sort_unstable_by_key(server_id);
        let ids: Vec<ServerId> = sorted.iter().map(server_id).collect();
        if !seen.insert(ids.clone()) {
            continue; // The same servers on another workload: one merge serves both.
        }
        let listener_name = listener.describe().to_string();
        let credentials: Vec<String> = credentials.iter().map(|c| c.to_string()).collect();
        let labels: Vec<String> = chains.iter().map(|c| c.label()).collect();
        let refuse = |why: String| NotMerged {
            listener: listener_name.clone(),
            credentials: credentials.clone(),
            servers: labels.clone(),
            why,
        };
        if let Some(why) = unmergeable(&sorted, &taken, listener.workload.fleet.is_some()) {
            plan.not_merged.push(refuse(why));
            continue;
        }
        // Servers with other TLS settings than the rest stay apart; those alike merge.
        let parts = choose::by_settings(&sorted);
        if parts.len() > 1 {
            let diff = choose::settings_differ(&sorted).unwrap_or_default();
            plan.not_merged.push(refuse(format!(
                "their TLS settings differ ({diff}): one server has one set of them, so merging would change which clients and certificates each host gets; sni-guard is the remedy{}",
                if parts.iter().any(|p| p.len() > 1) { "; servers alike among them are merged with each other where routing allows" } else { "" }
            )));
        }
        for part in parts.into_iter().filter(|p| p.len() > 1) {
            let refused = |why: String| NotMerged {
                listener: listener_name.clone(),
                credentials: credentials.clone(),
                servers: part.iter().map(ChainRef::label).collect(),
                why,
            };
            let across = part.iter().any(|c| {
                part.first()
                    .is_some_and(|f| f.gateway_index != c.gateway_index)
            });
            if across && virtual_services.is_empty() && !no_virtual_services {
                plan.not_merged
                    .push(refused(NO_VIRTUAL_SERVICES.to_owned()));
                continue;
            }
            let step = Step {
                pods: &pods,
                before: &before,
                listener: &listener_name,
                credentials: &credentials,
            };
            match step.try_merge(&state, &part) {
                Ok((candidate, target, merged, rebound)) => {
                    taken.extend(part.iter().map(server_id));
                    targets.insert(target);
                    plan.merged.push(merged);
                    plan.rebound.extend(rebound);
                    state = candidate;
                }
                Err(why) => plan.not_merged.push(refused(why.to_string())),
            }
        }
    }
    let after = served(&state, &pods)?;
    let broken = differences(&state.virtual_services, &before, &after);
    if !broken.is_empty() {
        return Err(MergeError::ChangesRouting { broken });
    }
    finish(&mut plan, &original, &state, &targets);
    Ok(plan)
}

/// Why these servers cannot become one, if they cannot.
fn unmergeable(
    chains: &[ChainRef<'_>],
    taken: &BTreeSet<ServerId>,
    on_envoy_gateway: bool,
) -> Option<String> {
    if let Some(c) = chains.iter().find(|c| c.gateway.api == Api::GatewayApi) {
        if on_envoy_gateway {
            return Some(format!(
                "{} is programmed by Envoy Gateway, which keeps one listener per hostname: give each listener a certificate of its own, or run sni-guard (plugin-config --envoy-gateway)",
                c.gateway.id()
            ));
        }
        return Some(format!(
            "{} is a Gateway API Gateway: merge its listeners by hand (one listener per hostname set, HTTPRoutes re-parented), or run sni-guard",
            c.gateway.id()
        ));
    }
    if let Some(c) = chains.iter().find(|c| taken.contains(&server_id(c))) {
        return Some(format!(
            "{} is already merged with other servers in this plan",
            c.label()
        ));
    }
    None
}

/// What one merge needs to know.
struct Step<'a> {
    pods: &'a Pods<'a>,
    before: &'a [BTreeSet<served::Entry>],
    listener: &'a str,
    credentials: &'a [String],
}

type Rebound = Vec<(String, String, String)>;

/// Why servers of several Gateways are not merged when the input holds no VirtualService.
const NO_VIRTUAL_SERVICES: &str = "the input holds no VirtualService, so the plan cannot rebind the routes of the Gateways that would lose these servers, nor check that routing stays the same (a Gateway may be bound by VirtualServices in any namespace); add them (kubectl get virtualservices -A -o yaml), or pass --no-virtual-services if none is bound to these Gateways";

impl Step<'_> {
    /// `state` with `chains` merged into one server (and the target's Gateway), or why not.
    fn try_merge(
        &self,
        state: &State,
        chains: &[ChainRef<'_>],
    ) -> Result<(State, usize, Merged, Rebound), MergeError> {
        let (target, why) = choose::target(chains)?;
        let target_id = server_id(&target);
        let moved: Vec<ChainRef<'_>> = chains
            .iter()
            .copied()
            .filter(|c| server_id(c) != target_id)
            .collect();
        let moved_ids: Vec<ServerId> = moved.iter().map(server_id).collect();
        let mut candidate = state.clone();
        candidate.merge(target_id, &moved_ids);
        let mut sources: Vec<usize> = moved_ids
            .iter()
            .map(|(g, _)| *g)
            .filter(|g| *g != target.gateway_index)
            .collect();
        sources.dedup();
        let serves_moved = |vs: &Resource| {
            let read = VirtualService::read(vs);
            moved
                .iter()
                .any(|c| !admitted(c.gateway, c.server, &read.namespace, &read.hosts).is_empty())
        };
        let rebound = candidate.rebind(target.gateway_index, &sources, &serves_moved);
        let after = served(&candidate, self.pods)?;
        let broken = differences(&candidate.virtual_services, self.before, &after);
        if !broken.is_empty() {
            return Err(MergeError::MergeChangesRouting { broken });
        }
        let merged = Merged {
            listener: self.listener.to_owned(),
            credentials: self.credentials.to_vec(),
            into: target.label(),
            why,
            moved: moved.iter().map(ChainRef::label).collect(),
        };
        Ok((candidate, target.gateway_index, merged, rebound))
    }
}

/// The objects to apply and the Gateways to delete: what differs between the two states. The
/// Gateways that gain hosts come first: `kubectl apply` sends the objects one by one, and a
/// Gateway that loses servers but stays, applied first, would leave its hosts unserved until
/// the target arrives (the target first is safe: istiod serves its server, the older).
fn finish(plan: &mut Plan, original: &State, state: &State, targets: &BTreeSet<usize>) {
    let order = targets
        .iter()
        .copied()
        .chain((0..state.gateways.len()).filter(|g| !targets.contains(g)));
    for g in order {
        let Some(gateway) = state.gateways.get(g) else {
            continue;
        };
        if gateway.deleted {
            plan.delete.push(Deleted {
                api_version: gateway
                    .read
                    .raw
                    .get("apiVersion")
                    .and_then(Value::as_str)
                    .unwrap_or(DEFAULT_API_VERSION)
                    .to_owned(),
                namespace: gateway.read.namespace.clone(),
                name: gateway.read.name.clone(),
            });
        } else if gateway.changed() {
            plan.apply
                .push(output::applicable(gateway.raw(), &gateway.read.namespace));
        }
    }
    for (vs, read) in state
        .virtual_services
        .iter()
        .zip(&original.virtual_services)
    {
        if vs.value != read.value {
            plan.apply
                .push(output::applicable(vs.value.clone(), &vs.namespace));
        }
    }
}

#[cfg(test)]
mod tests;
