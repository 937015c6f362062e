//! Choosing the listener a configuration mirrors: by the workload's labels, the port, the
//! bind address, or a Gateway with servers on it.

use crate::error::SelectionError;
use crate::model::gateway::{Api, ChainKind};
use crate::model::labels::{Labels, selects, show_labels};
use crate::model::layout::{Layout, Listener};
use crate::output::text::count;

/// Which listener to mirror; unset fields choose nothing.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Labels the workload's pods have (a workload with exactly these wins over workloads
    /// with more).
    pub selector: Labels,
    pub port: Option<u32>,
    pub bind: Option<String>,
    /// `namespace/name` of a Gateway with a server on the listener.
    pub gateway: Option<String>,
    /// The port Envoy listens on (a live WasmPlugin's port match), when known.
    pub envoy_port: Option<u32>,
}

/// Chooses the listener to mirror among those with an HTTPS chain (where sni-guard runs).
/// The error lists the candidates and the flags that pick each.
pub fn choose<'l, 'g>(
    layout: &'l Layout<'g>,
    selection: &Selection,
) -> Result<&'l Listener<'g>, SelectionError> {
    if let Some(id) = &selection.gateway
        && let Some((gw, why)) = layout.unplaced().find(|(gw, _)| gw.id() == *id)
    {
        return Err(SelectionError::NotAudited {
            gateway: gw.title(),
            why: why.to_owned(),
        });
    }
    let candidates: Vec<&Listener<'g>> = layout
        .listeners
        .iter()
        .filter(|l| l.chains.iter().any(|c| c.kind == ChainKind::Https))
        .collect();
    if candidates.is_empty() {
        return Err(SelectionError::NoHttps);
    }
    let mut matching: Vec<&Listener<'g>> = candidates
        .iter()
        .copied()
        .filter(|l| {
            selects(&selection.selector, &l.workload.labels)
                && selection.port.is_none_or(|p| l.port == p)
                && selection
                    .bind
                    .as_ref()
                    .is_none_or(|b| l.bind.as_ref() == Some(b))
                && selection
                    .gateway
                    .as_ref()
                    .is_none_or(|g| l.chains.iter().any(|c| c.gateway.root_id() == *g))
        })
        .collect();
    if !selection.selector.is_empty()
        && matching
            .iter()
            .any(|l| l.workload.labels == selection.selector)
    {
        matching.retain(|l| l.workload.labels == selection.selector);
    }
    if selection.bind.is_none() && matching.iter().any(|l| l.bind.is_none()) {
        matching.retain(|l| l.bind.is_none());
    }
    if let Some(port) = selection.envoy_port
        && matching.len() > 1
    {
        matching.retain(|l| l.envoy_port().map_or(l.port, |(p, _)| p) == port);
    }
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(SelectionError::NoMatch {
            flags: describe(selection).unwrap_or_default(),
            listing: listing(layout, &candidates),
        }),
        several => Err(SelectionError::Several {
            count: several.len(),
            flags: describe(selection),
            listing: listing(layout, several),
        }),
    }
}

/// The smallest selector (a Gateway's, or the workload's labels) that selects this
/// workload's pods and no other workload's: what a WasmPlugin's selector and `--selector`
/// should say, so the plugin's table meets only its listener. `None` when the workload's
/// labels are not known or another workload has them all.
pub fn distinguishing_selector(layout: &Layout<'_>, listener: &Listener<'_>) -> Option<Labels> {
    let workload = &listener.workload;
    if workload.labels.is_empty() {
        return None;
    }
    let mut candidates: Vec<Labels> = listener
        .chains
        .iter()
        .map(|c| c.gateway.selector.clone())
        .filter(|s| !s.is_empty())
        .collect();
    candidates.sort_by_key(Labels::len);
    candidates.push(workload.labels.clone());
    let others: Vec<&Labels> = layout
        .listeners
        .iter()
        .filter(|l| l.workload_index != listener.workload_index)
        .map(|l| &l.workload.labels)
        .collect();
    candidates
        .into_iter()
        .find(|s| selects(s, &workload.labels) && !others.iter().any(|o| selects(s, o)))
}

/// The `sni-guard plugin-config` flags that choose `listener`.
pub fn plugin_config_flags(layout: &Layout<'_>, listener: &Listener<'_>) -> String {
    let workload = &listener.workload;
    let mut flags = Vec::new();
    let api_gateways: Vec<String> = listener
        .chains
        .iter()
        .filter(|c| c.gateway.api == Api::GatewayApi)
        .map(|c| c.gateway.root_id())
        .collect();
    // Every chain in one Gateway API Gateway (or its ListenerSets): that Gateway picks it.
    let one_api_gateway = match api_gateways.as_slice() {
        [first, rest @ ..]
            if api_gateways.len() == listener.chains.len() && rest.iter().all(|g| g == first) =>
        {
            Some(first)
        }
        _ => None,
    };
    if let Some(gateway) = one_api_gateway {
        flags.push(format!("--gateway {gateway}"));
    } else if let Some(selector) = distinguishing_selector(layout, listener) {
        flags.push(format!("--selector {}", show_labels(&selector)));
    } else if !workload.labels.is_empty() {
        flags.push(format!("--selector {}", show_labels(&workload.labels)));
    }
    flags.push(format!("--port {}", listener.port));
    if let Some(bind) = &listener.bind {
        flags.push(format!("--bind {bind}"));
    }
    flags.join(" ")
}

/// The flags given, as typed; `None` when there are none.
fn describe(selection: &Selection) -> Option<String> {
    let mut parts = Vec::new();
    if !selection.selector.is_empty() {
        parts.push(format!("--selector {}", show_labels(&selection.selector)));
    }
    if let Some(port) = selection.port {
        parts.push(format!("--port {port}"));
    }
    if let Some(bind) = &selection.bind {
        parts.push(format!("--bind {bind}"));
    }
    if let Some(gateway) = &selection.gateway {
        parts.push(format!("--gateway {gateway}"));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}

fn listing(layout: &Layout<'_>, listeners: &[&Listener<'_>]) -> String {
    listeners
        .iter()
        .map(|l| {
            let https = l
                .chains
                .iter()
                .filter(|c| c.kind == ChainKind::Https)
                .count();
            format!(
                "  {}    ({}: {})",
                plugin_config_flags(layout, l),
                l.describe(),
                count(https, "HTTPS server")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
