//! Choosing the listener a configuration mirrors: by the workload's labels, the port, the
//! bind address, or a Gateway with servers on it.

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
) -> Result<&'l Listener<'g>, String> {
    if let Some(id) = &selection.gateway {
        let unplaced = layout
            .placement
            .unplaced
            .iter()
            .find(|(g, _)| layout.gateways[*g].id() == *id);
        if let Some((g, why)) = unplaced {
            return Err(format!(
                "{} is not audited, so no configuration is written for it: {why}",
                layout.gateways[*g].title()
            ));
        }
    }
    let candidates: Vec<&Listener<'g>> = layout
        .listeners
        .iter()
        .filter(|l| l.chains.iter().any(|c| c.kind == ChainKind::Https))
        .collect();
    if candidates.is_empty() {
        return Err("the input has no HTTPS server that terminates TLS (protocol HTTPS, tls.mode SIMPLE, MUTUAL or OPTIONAL_MUTUAL; an HTTPS listener of a Gateway API Gateway) on any gateway workload: nothing to configure".to_owned());
    }
    let mut matching: Vec<&Listener<'g>> = candidates
        .iter()
        .copied()
        .filter(|l| {
            selects(&selection.selector, &layout.workload(l).labels)
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
            .any(|l| layout.workload(l).labels == selection.selector)
    {
        matching.retain(|l| layout.workload(l).labels == selection.selector);
    }
    if selection.bind.is_none() && matching.iter().any(|l| l.bind.is_none()) {
        matching.retain(|l| l.bind.is_none());
    }
    if let Some(port) = selection.envoy_port
        && matching.len() > 1
    {
        matching.retain(|l| layout.envoy_port(l).map_or(l.port, |(p, _)| p) == port);
    }
    match matching.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "no HTTPS server matches {}; the input has:\n{}",
            describe(selection).unwrap_or_default(),
            listing(layout, &candidates)
        )),
        several => Err(format!(
            "{} workload ports have HTTPS servers{}; choose one with --selector, --port, --bind or --gateway:\n{}",
            several.len(),
            describe(selection).map_or(String::new(), |d| format!(" matching {d}")),
            listing(layout, several)
        )),
    }
}

/// The smallest selector (a Gateway's, or the workload's labels) that selects this
/// workload's pods and no other workload's: what a WasmPlugin's selector and `--selector`
/// should say, so the plugin's table meets only its listener. `None` when the workload's
/// labels are not known or another workload has them all.
pub fn distinguishing_selector(layout: &Layout<'_>, listener: &Listener<'_>) -> Option<Labels> {
    let workload = layout.workload(listener);
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
        .filter(|l| l.workload != listener.workload)
        .map(|l| &layout.workload(l).labels)
        .collect();
    candidates
        .into_iter()
        .find(|s| selects(s, &workload.labels) && !others.iter().any(|o| selects(s, o)))
}

/// The `sni-guard plugin-config` flags that choose `listener`.
pub fn plugin_config_flags(layout: &Layout<'_>, listener: &Listener<'_>) -> String {
    let workload = layout.workload(listener);
    let mut flags = Vec::new();
    let api_gateways: Vec<String> = listener
        .chains
        .iter()
        .filter(|c| c.gateway.api == Api::GatewayApi)
        .map(|c| c.gateway.root_id())
        .collect();
    let one_api_gateway = !api_gateways.is_empty()
        && api_gateways.len() == listener.chains.len()
        && api_gateways.iter().all(|g| *g == api_gateways[0]);
    if one_api_gateway {
        flags.push(format!("--gateway {}", api_gateways[0]));
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
                layout.describe(l),
                count(https, "HTTPS server")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
