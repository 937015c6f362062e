//! Which Gateway keeps the merged server, and whether servers' TLS settings are the same.

use crate::merge::state::ServerId;
use crate::model::gateway::Gateway;
use serde_json::Value;
use std::collections::BTreeSet;

/// The server that keeps every host, and why its Gateway. In order: the oldest Gateway when
/// the input says when each was created (istiod keeps the older of two servers listing one
/// host, so until the others are deleted the merged server is the one served); the Gateway
/// holding most of the servers (fewest moves); one with other servers, which stays anyway
/// (fewer Gateways in the end); one in the gateway workload's namespace (where shared
/// Gateways usually live); the first by namespace and name.
pub fn target(
    gateways: &[Gateway],
    ids: &[ServerId],
    workload_ns: Option<&str>,
) -> (ServerId, String) {
    let mut candidates: Vec<usize> = ids.iter().map(|(g, _)| *g).collect();
    candidates.sort_unstable();
    candidates.dedup();
    let created = |g: usize| {
        gateways[g].raw["metadata"]["creationTimestamp"]
            .as_str()
            .map(str::to_owned)
    };
    let held = |g: usize| ids.iter().filter(|(h, _)| *h == g).count();
    let others = |g: usize| gateways[g].servers.len() > held(g);
    let dated = candidates.iter().all(|&g| created(g).is_some());
    let home = |g: usize| Some(gateways[g].namespace.as_str()) == workload_ns;
    let key = |&g: &usize| {
        (
            if dated { created(g) } else { None },
            std::cmp::Reverse(held(g)),
            !others(g),
            !home(g),
            gateways[g].id(),
        )
    };
    let best = candidates
        .iter()
        .copied()
        .min_by_key(key)
        .unwrap_or_default();
    let why = if dated && candidates.len() > 1 {
        format!(
            "the oldest of these Gateways (created {}): until the others are deleted, istiod keeps its server for the hosts they list twice",
            created(best).unwrap_or_default()
        )
    } else if candidates.len() == 1 {
        "the servers are all in it".to_owned()
    } else if held(best) > 1 && candidates.iter().any(|&g| held(g) < held(best)) {
        format!("it holds {} of the {} servers", held(best), ids.len())
    } else if others(best) && candidates.iter().any(|&g| !others(g)) {
        "it has other servers, so it stays anyway while the others can go".to_owned()
    } else if home(best) && candidates.iter().any(|&g| !home(g)) {
        format!(
            "it is in {}, the gateway workload's namespace",
            gateways[best].namespace
        )
    } else {
        "the first by namespace and name; the input does not say which Gateway is oldest".to_owned()
    };
    let server = ids
        .iter()
        .copied()
        .filter(|(g, _)| *g == best)
        .min()
        .unwrap_or((best, 0));
    (server, why)
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
