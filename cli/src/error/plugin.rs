//! Why no configuration or WasmPlugin is written: the listener cannot be chosen, its servers
//! give no table the filter accepts, a flag's value is refused, a live WasmPlugin does not read.

use crate::error::{FieldError, Unusable};
use sni_guard_decision::config::ConfigError;
use sni_guard_decision::pattern::PatternError;
use std::io;
use thiserror::Error;

/// The selection (`--selector`, `--port`, `--gateway`) matches no listener, or several.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SelectionError {
    /// `gateway` is the Gateway's title.
    #[error("{gateway} is not audited, so no configuration is written for it: {why}")]
    NotAudited { gateway: String, why: String },
    #[error(
        "the input has no HTTPS server that terminates TLS (protocol HTTPS, tls.mode SIMPLE, MUTUAL or OPTIONAL_MUTUAL; an HTTPS listener of a Gateway API Gateway) on any gateway workload: nothing to configure"
    )]
    NoHttps,
    /// `flags` as typed; `listing` the candidates, one a line.
    #[error("no HTTPS server matches {flags}; the input has:\n{listing}")]
    NoMatch { flags: String, listing: String },
    #[error(
        "{count} workload ports have HTTPS servers{}; choose one with --selector, --port, --bind or --gateway:\n{listing}",
        flags.as_ref().map_or(String::new(), |d| format!(" matching {d}"))
    )]
    Several {
        count: usize,
        flags: Option<String>,
        listing: String,
    },
}

/// Why a listener's servers give no configuration the filter accepts.
#[derive(Debug, Error)]
pub enum ConfigurationError {
    /// What Istio itself would not serve, one a line.
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Unserved { problems: Vec<ServerProblem> },
    #[error("{0}")]
    Json(#[from] serde_json::Error),
    /// The filter's own parser refuses it; it names the field and the value.
    #[error("the filter would refuse this configuration: {0}")]
    Refused(#[from] ConfigError),
}

/// A server that Istio would not serve as written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ServerProblem {
    /// `servers` are the servers' labels.
    #[error(
        "host {} is listed by more than one server: {}. Istio serves only one of them; list each host in one server (or merge the servers), then generate again",
        hosts.join(", "),
        servers.join(" and ")
    )]
    DuplicateHost {
        hosts: Vec<String>,
        servers: Vec<String>,
    },
    #[error("{server}: host {host:?} is not a valid host: {why}")]
    InvalidHost {
        server: String,
        host: String,
        why: PatternError,
    },
    #[error("{server}: no hosts")]
    NoHosts { server: String },
}

/// The WasmPlugin cannot be written as the flags ask.
#[derive(Debug, Error)]
pub enum WasmPluginError {
    #[error(
        "{flag} needs --url: where the gateways pull the module from (oci://REGISTRY/sni-guard:TAG, https://.../sni_guard.wasm; envoyfilter/README.md shows how to publish it). --placeholder-url writes {placeholder}, which no gateway can pull, for review only"
    )]
    NoUrl {
        flag: &'static str,
        placeholder: &'static str,
    },
    /// A flag's value refused: `--sha256 "abc": expected 64 lower-case hex digits`.
    #[error("{flag} {value:?}: {expected}")]
    Flag {
        flag: &'static str,
        value: String,
        expected: &'static str,
    },
    #[error(
        "a WasmPlugin with targetRefs must be in its Gateway's namespace ({gateway_namespace}), not --namespace {namespace}"
    )]
    Namespace {
        gateway_namespace: String,
        namespace: String,
    },
    /// `workload` as the reports describe it.
    #[error(
        "no selector picks {workload} without another gateway workload's pods (its labels are not known, or another workload has them all): give --selector"
    )]
    NoSelector { workload: String },
    #[error(
        "the WasmPlugin needs a port match (the workload has HTTPS servers on other ports too), and {0}: give the Service in the input (kubectl get svc -n NAMESPACE NAME -o yaml) or --listener-port"
    )]
    NoPortMatch(#[source] crate::error::PortUnknown),
    #[error("the listener has no HTTPS filter chain for sni-guard to run on")]
    NoHttps,
    /// `--wasmplugin` on Envoy Gateway's listener, or `--envoy-gateway` on istiod's.
    #[error("{listener} is programmed by {by}: {instead}")]
    WrongController {
        listener: String,
        by: &'static str,
        instead: &'static str,
    },
    #[error("{0}")]
    Yaml(#[from] yaml_serde::Error),
}

/// `--check`'s live WasmPlugin does not read.
#[derive(Debug, Error)]
pub enum LiveError {
    #[error("cannot read: {0}")]
    Unreadable(#[from] io::Error),
    #[error("not text (invalid UTF-8 at byte {0})")]
    NotUtf8(usize),
    #[error(transparent)]
    Unusable(#[from] Unusable),
    /// What the file holds instead, `1 v1 Service` each.
    #[error(
        "no WasmPlugin (extensions.istio.io) or EnvoyExtensionPolicy (gateway.envoyproxy.io) in it; found: {}",
        if found.is_empty() { "nothing".to_owned() } else { found.join(", ") }
    )]
    NoWasmPlugin { found: Vec<String> },
    #[error(
        "{0} WasmPlugins or EnvoyExtensionPolicies in it: give the one to check (kubectl get wasmplugin -n NAMESPACE NAME -o yaml)"
    )]
    Several(usize),
    /// `id` is `namespace/name`.
    #[error(
        "EnvoyExtensionPolicy {id} has no sni-guard entry in spec.wasm (rootID or name sni-guard, as plugin-config --envoy-gateway writes it)"
    )]
    NoSniGuard { id: String },
    #[error("the resource: {0}")]
    Field(#[from] FieldError),
}
