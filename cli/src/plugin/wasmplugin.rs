//! A complete `WasmPlugin` running sni-guard with a generated configuration on one listener:
//! a pod selector for Istio Gateways' workloads, `targetRefs` for a Gateway API Gateway's own
//! deployment, and a port match for the listener's port.

use crate::error::WasmPluginError;
use crate::model::gateway::Api;
use crate::model::labels::Labels;
use crate::model::layout::{Layout, Listener, gateway_ids};
use crate::plugin::PluginConfig;
use crate::plugin::select::distinguishing_selector;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// Where the module is published in the examples; no gateway can pull it.
pub const PLACEHOLDER_URL: &str = "oci://registry.example.com/sni-guard:0.1.0";

/// Istio's root namespace by default: a WasmPlugin there selects pods in every namespace.
const ROOT_NAMESPACE: &str = "istio-system";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FailStrategy {
    /// Serve without the filter when the module cannot load.
    #[default]
    #[value(name = "FAIL_OPEN")]
    FailOpen,
    /// Refuse requests when the module cannot load.
    #[value(name = "FAIL_CLOSE")]
    FailClose,
}

/// The manifest's choices; unset fields take the defaults below.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub name: Option<String>,
    pub namespace: Option<String>,
    /// The module's URL; required unless `placeholder` accepts [`PLACEHOLDER_URL`].
    pub url: Option<String>,
    pub placeholder: bool,
    pub sha256: Option<String>,
    pub fail_strategy: FailStrategy,
    /// The pod labels to select by (`--selector`); computed when empty.
    pub selector: Labels,
    /// The port Envoy listens on, when the input does not say.
    pub listener_port: Option<u32>,
}

/// The manifest (YAML, with a comment saying what it mirrors) and notes for stderr.
pub fn wasm_plugin(
    config: &PluginConfig,
    layout: &Layout<'_>,
    listener: &Listener<'_>,
    options: &Options,
) -> Result<(String, Vec<String>), WasmPluginError> {
    let mut notes = Vec::new();
    let url = module_url(
        "--wasmplugin",
        options.url.as_deref(),
        options.placeholder,
        options.sha256.as_deref(),
    )?;
    let (target, namespace, default_name) = target(layout, listener, options)?;
    let namespace = options.namespace.clone().unwrap_or(namespace);
    if let Some(workload_ns) = &listener.workload.namespace
        && namespace != *workload_ns
        && namespace != ROOT_NAMESPACE
    {
        notes.push(format!(
                "the WasmPlugin is in namespace {namespace}, the workload in {workload_ns}: a WasmPlugin selects pods of its own namespace only, unless it is in the mesh's root namespace ({ROOT_NAMESPACE} by default)"
            ));
    }
    let name = options.name.clone().unwrap_or(default_name);
    check_name(&name)?;
    let port_match = port_match(layout, listener, options, &mut notes)?;
    let mut comment = format!(
        "# sni-guard on {}: 421 Misdirected Request for a request on a\n# connection made for another filter chain. Mirrors the TLS servers of: {}.\n",
        listener.describe(),
        gateway_ids(&listener.chains).join(", ")
    );
    if let Some((port, how)) = &port_match {
        comment.push_str(&format!("# Port match {port}: {how}.\n"));
    }
    let (selector, target_refs) = match target {
        Target::Pods(labels) => (Some(json!({"matchLabels": labels})), None),
        Target::Gateway(name) => (
            None,
            Some(json!([{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": name}])),
        ),
    };
    let manifest = Manifest {
        api_version: "extensions.istio.io/v1alpha1",
        kind: "WasmPlugin",
        metadata: json!({"name": name, "namespace": namespace}),
        spec: Spec {
            selector,
            target_refs,
            url,
            sha256: options.sha256.clone(),
            image_pull_policy: "IfNotPresent",
            plugin_name: "sni-guard",
            kind: "HTTP",
            phase: "AUTHN",
            priority: 1000,
            fail_strategy: options.fail_strategy,
            // No `mode`: istiod matches a gateway's listeners as CLIENT, so SERVER would
            // never apply; the port alone selects the listener.
            port_match: port_match.map(|(port, _)| json!([{"ports": [{"number": port}]}])),
            plugin_config: config,
        },
    };
    let yaml = yaml_serde::to_string(&manifest)?;
    Ok((format!("{comment}{yaml}"), notes))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Manifest<'a> {
    api_version: &'static str,
    kind: &'static str,
    metadata: Value,
    spec: Spec<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Spec<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    selector: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_refs: Option<Value>,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    sha256: Option<String>,
    image_pull_policy: &'static str,
    plugin_name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    phase: &'static str,
    priority: i32,
    fail_strategy: FailStrategy,
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    port_match: Option<Value>,
    plugin_config: &'a PluginConfig,
}

/// What the WasmPlugin applies to.
enum Target {
    Pods(Labels),
    Gateway(String),
}

/// What the plugin applies to, the default namespace, and the default name.
fn target(
    layout: &Layout<'_>,
    listener: &Listener<'_>,
    options: &Options,
) -> Result<(Target, String, String), WasmPluginError> {
    let workload = &listener.workload;
    // ListenerSets' listeners run on their parent's deployment: the parent is the target.
    let roots: BTreeSet<(&str, &str)> = listener.chains.iter().map(|c| c.gateway.root()).collect();
    let api_only = listener
        .chains
        .iter()
        .all(|c| c.gateway.api == Api::GatewayApi);
    if let (true, [(namespace, name)], true) = (
        api_only,
        roots.iter().copied().collect::<Vec<_>>().as_slice(),
        options.selector.is_empty(),
    ) {
        if let Some(given) = options.namespace.as_ref().filter(|ns| ns != namespace) {
            return Err(WasmPluginError::Namespace {
                gateway_namespace: (*namespace).to_owned(),
                namespace: given.clone(),
            });
        }
        let plugin = dns_name(&format!("sni-guard-{name}"));
        return Ok((
            Target::Gateway((*name).to_owned()),
            (*namespace).to_owned(),
            plugin,
        ));
    }
    let selector = if options.selector.is_empty() {
        distinguishing_selector(layout, listener).ok_or_else(|| WasmPluginError::NoSelector {
            workload: workload.describe(),
        })?
    } else {
        options.selector.clone()
    };
    let values: Vec<&str> = selector.values().map(String::as_str).collect();
    let name = dns_name(&format!("sni-guard-{}-{}", values.join("-"), listener.port));
    let namespace = workload
        .namespace
        .clone()
        .unwrap_or_else(|| ROOT_NAMESPACE.to_owned());
    Ok((Target::Pods(selector), namespace, name))
}

/// The port match: Envoy's listener port, when known.
fn port_match(
    layout: &Layout<'_>,
    listener: &Listener<'_>,
    options: &Options,
    notes: &mut Vec<String>,
) -> Result<Option<(u32, String)>, WasmPluginError> {
    if let Some(port) = options.listener_port {
        return Ok(Some((port, "--listener-port".to_owned())));
    }
    match listener.envoy_port() {
        Ok(known) => Ok(Some(known)),
        Err(why) => {
            if !layout.other_https_ports(listener).is_empty() {
                return Err(WasmPluginError::NoPortMatch(why));
            }
            notes.push(format!(
                "no port match in the WasmPlugin: {why}; it runs on every port of the workload, which has HTTPS servers on port {} only",
                listener.port
            ));
            Ok(None)
        }
    }
}

/// The module's URL (`--url`, or the placeholder with `--placeholder-url`), checked with its
/// `--sha256`; `flag` is the manifest flag that needs them.
pub(crate) fn module_url(
    flag: &'static str,
    url: Option<&str>,
    placeholder: bool,
    sha256: Option<&str>,
) -> Result<String, WasmPluginError> {
    let url = match (url, placeholder) {
        (Some(url), _) => check_url(url)?,
        (None, true) => PLACEHOLDER_URL.to_owned(),
        (None, false) => {
            return Err(WasmPluginError::NoUrl {
                flag,
                placeholder: PLACEHOLDER_URL,
            });
        }
    };
    if let Some(sha) = sha256
        && (sha.len() != 64 || !sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
    {
        return Err(WasmPluginError::Flag {
            flag: "--sha256",
            value: sha.to_owned(),
            expected: "expected 64 lower-case hex digits",
        });
    }
    Ok(url)
}

fn check_url(url: &str) -> Result<String, WasmPluginError> {
    let scheme = url.split_once("://").map(|(s, _)| s);
    match scheme {
        Some("oci" | "https" | "http" | "file") => Ok(url.to_owned()),
        _ => Err(WasmPluginError::Flag {
            flag: "--url",
            value: url.to_owned(),
            expected: "expected oci://, https://, http:// or file:// (the forms Istio fetches)",
        }),
    }
}

/// A DNS-1123 name from `text`: lower case, `a-z0-9-`, at most 63 characters.
pub(crate) fn dns_name(text: &str) -> String {
    let mut name = String::new();
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            name.push(c);
        } else if !name.ends_with('-') {
            name.push('-');
        }
    }
    name.truncate(63);
    name.trim_matches('-').to_owned()
}

pub(crate) fn check_name(name: &str) -> Result<(), WasmPluginError> {
    if name.is_empty() || dns_name(name) != name {
        return Err(WasmPluginError::Flag {
            flag: "--name",
            value: name.to_owned(),
            expected: "a Kubernetes name is lower-case letters, digits and '-', at most 63 characters",
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            dns_name("sni-guard-ingressgateway-443"),
            "sni-guard-ingressgateway-443"
        );
        assert_eq!(
            dns_name("sni-guard-Istio_Ingress.x-443"),
            "sni-guard-istio-ingress-x-443"
        );
        assert!(dns_name(&"a".repeat(80)).len() == 63);
        assert!(check_name("Bad_Name").is_err());
        assert!(check_name("good-name").is_ok());
    }

    #[test]
    fn urls() {
        assert!(check_url("oci://ghcr.io/x/sni-guard:1").is_ok());
        assert!(check_url("file:///var/local/wasm/sni_guard.wasm").is_ok());
        assert!(
            check_url("ghcr.io/x/sni-guard:1")
                .unwrap_err()
                .to_string()
                .contains("expected oci://")
        );
    }
}
