//! Which Gateway keeps the merged server, and whether servers' TLS settings are the same.

use crate::error::MergeError;
use crate::merge::order;
use crate::model::layout::ChainRef;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The server that keeps every host, and why its Gateway; `Err` (why not) when the servers
/// are in several Gateways and the input does not say when each was created.
///
/// Between the `kubectl apply` that adds the moved hosts to the target's server and the
/// `kubectl delete` of the Gateways that held them, two servers list those hosts, and istiod
/// serves the one whose Gateway is first in its order ([`order`]) and drops the other whole.
/// The target must be that first Gateway, or its own hosts go dark until the deletes. No order
/// of steps avoids this without knowing the order: removing the hosts from the others first
/// leaves them dark instead, and one `kubectl apply` of several objects is not atomic (each
/// arrives alone, in either order). So: the first in istiod's order, or a refusal that names
/// the creation times needed (every `kubectl get -o yaml` of a Gateway has them).
pub fn target<'g>(chains: &[ChainRef<'g>]) -> Result<(ChainRef<'g>, String), MergeError> {
    // Each Gateway's first server among them, by the Gateway's index in the input.
    let mut firsts: BTreeMap<usize, ChainRef<'g>> = BTreeMap::new();
    for c in chains {
        let first = firsts.entry(c.gateway_index).or_insert(*c);
        if c.server.index < first.server.index {
            *first = *c;
        }
    }
    let firsts: Vec<ChainRef<'g>> = firsts.into_values().collect();
    let (first, rest) = match firsts.as_slice() {
        [] => return Err(MergeError::NoServers),
        [only] => return Ok((*only, "the servers are all in it".to_owned())),
        [first, rest @ ..] => (*first, rest),
    };
    let undated: Vec<(String, String)> = firsts
        .iter()
        .filter(|c| order::key(c.gateway).is_none())
        .map(|c| (c.gateway.namespace.clone(), c.gateway.name.clone()))
        .collect();
    if !undated.is_empty() {
        return Err(MergeError::Undated { undated });
    }
    // The first in istiod's order; of equals, the first in the input.
    let best = rest.iter().fold(first, |best, c| {
        if order::key(c.gateway) < order::key(best.gateway) {
            *c
        } else {
            best
        }
    });
    let created = order::created(best.gateway).unwrap_or_default();
    let second = |c: &ChainRef<'_>| order::key(c.gateway).map(|k| k.0);
    let tie = firsts
        .iter()
        .any(|c| c.gateway_index != best.gateway_index && second(c) == second(&best));
    let why = format!(
        "the first of these Gateways in istiod's order (created {created}{}): until the others are deleted, istiod serves its server for the hosts they list twice and drops theirs",
        if tie {
            ", the same second as another of them: istiod then takes the first by name, then namespace"
        } else {
            ", the oldest"
        }
    );
    Ok((best, why))
}

/// `chains` in groups of servers with the same settings (TLS, port protocol), in order.
pub fn by_settings<'g>(chains: &[ChainRef<'g>]) -> Vec<Vec<ChainRef<'g>>> {
    let mut parts: Vec<((Value, Value), Vec<ChainRef<'g>>)> = Vec::new();
    for &c in chains {
        let key = settings(&c);
        match parts.iter_mut().find(|(k, _)| *k == key) {
            Some((_, part)) => part.push(c),
            None => parts.push((key, vec![c])),
        }
    }
    parts.into_iter().map(|(_, part)| part).collect()
}

fn settings(chain: &ChainRef<'_>) -> (Value, Value) {
    let raw = chain.gateway.raw_server(chain.server);
    let tls = raw.get("tls").cloned().unwrap_or_default();
    let protocol = raw
        .get("port")
        .and_then(|port| port.get("protocol"))
        .cloned()
        .unwrap_or_default();
    (tls, protocol)
}

/// What differs among the servers' settings (TLS, port protocol), as `key: a / b`; `None` when
/// they are the same.
pub fn settings_differ(chains: &[ChainRef<'_>]) -> Option<String> {
    let settings: Vec<(Value, Value)> = chains.iter().map(settings).collect();
    let first = settings.first()?;
    if settings.iter().all(|s| s == first) {
        return None;
    }
    let mut keys: BTreeSet<String> = BTreeSet::new();
    for (tls, _) in &settings {
        if let Some(map) = tls.as_object() {
            keys.extend(map.keys().cloned());
        }
    }
    let mut diffs = Vec::new();
    for key in keys {
        let mut values: Vec<String> = settings
            .iter()
            .map(|(tls, _)| match tls.get(&key) {
                None => "(unset)".to_owned(),
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
            })
            .collect();
        values.dedup();
        let distinct: BTreeSet<&String> = values.iter().collect();
        if distinct.len() > 1 {
            diffs.push(format!(
                "tls.{key}: {}",
                distinct
                    .into_iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" / ")
            ));
        }
    }
    let protocols: BTreeSet<String> = settings.iter().map(|(_, p)| p.to_string()).collect();
    if protocols.len() > 1 {
        diffs.push(format!(
            "port.protocol: {}",
            protocols.into_iter().collect::<Vec<_>>().join(" / ")
        ));
    }
    Some(diffs.join("; "))
}
