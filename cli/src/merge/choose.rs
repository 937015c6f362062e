//! Which Gateway keeps the merged server, and whether servers' TLS settings are the same.

use crate::error::MergeError;
use crate::merge::order;
use crate::merge::state::ServerId;
use crate::model::gateway::Gateway;
use serde_json::Value;
use std::collections::BTreeSet;

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
pub fn target(gateways: &[Gateway], ids: &[ServerId]) -> Result<(ServerId, String), MergeError> {
    let mut candidates: Vec<usize> = ids.iter().map(|(g, _)| *g).collect();
    candidates.sort_unstable();
    candidates.dedup();
    let first_server = |g: usize| {
        ids.iter()
            .copied()
            .filter(|(h, _)| *h == g)
            .min()
            .unwrap_or((g, 0))
    };
    let [only] = candidates.as_slice() else {
        let undated: Vec<(String, String)> = candidates
            .iter()
            .filter_map(|&g| gateways.get(g))
            .filter(|g| order::key(g).is_none())
            .map(|g| (g.namespace.clone(), g.name.clone()))
            .collect();
        if !undated.is_empty() {
            return Err(MergeError::Undated { undated });
        }
        let best = candidates
            .iter()
            .copied()
            .min_by_key(|&g| gateways.get(g).and_then(order::key))
            .unwrap_or_default();
        let created = gateways
            .get(best)
            .and_then(order::created)
            .unwrap_or_default();
        let tie = candidates.iter().any(|&g| {
            g != best
                && gateways.get(g).and_then(order::key).map(|k| k.0)
                    == gateways.get(best).and_then(order::key).map(|k| k.0)
        });
        let why = format!(
            "the first of these Gateways in istiod's order (created {created}{}): until the others are deleted, istiod serves its server for the hosts they list twice and drops theirs",
            if tie {
                ", the same second as another of them: istiod then takes the first by name, then namespace"
            } else {
                ", the oldest"
            }
        );
        return Ok((first_server(best), why));
    };
    Ok((first_server(*only), "the servers are all in it".to_owned()))
}

/// `ids` in groups of servers with the same settings (TLS, port protocol), in order.
pub fn by_settings(gateways: &[Gateway], ids: &[ServerId]) -> Vec<Vec<ServerId>> {
    let mut parts: Vec<((Value, Value), Vec<ServerId>)> = Vec::new();
    for &id in ids {
        let key = settings(gateways, id);
        match parts.iter_mut().find(|(k, _)| *k == key) {
            Some((_, part)) => part.push(id),
            None => parts.push((key, vec![id])),
        }
    }
    parts.into_iter().map(|(_, part)| part).collect()
}

fn settings(gateways: &[Gateway], (g, s): ServerId) -> (Value, Value) {
    let raw = gateways[g].raw_server(&gateways[g].servers[s]);
    (raw["tls"].clone(), raw["port"]["protocol"].clone())
}

/// What differs among the servers' settings (TLS, port protocol), as `key: a / b`; `None` when
/// they are the same.
pub fn settings_differ(gateways: &[Gateway], ids: &[ServerId]) -> Option<String> {
    let settings: Vec<(Value, Value)> = ids.iter().map(|&id| settings(gateways, id)).collect();
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
