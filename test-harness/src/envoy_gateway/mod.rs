//! Envoy Gateway v1.9, as far as sni-guard meets it: the configuration its translator builds
//! for `test-harness/envoy-gateway/cluster.yaml` (topology (d), `envoy/envoy-gateway.yaml`),
//! and the three resources `sni-guard plugin-config --envoy-gateway` writes applied to it as
//! the translator applies them ([`translate`]): a ClientTrafficPolicy's ALPN on the chains it
//! targets, an EnvoyExtensionPolicy's Wasm filter added to their HCMs disabled and enabled on
//! each of their routes, an EnvoyPatchPolicy's JSON patches. The module is served to Envoy
//! as Envoy Gateway serves it: over HTTPS, by a server of its own, checked by SHA-256
//! ([`wasm_server`]).

pub mod patch;
pub mod translate;
pub mod wasm_server;

use crate::error::{Context, Result};
use crate::paths;
use std::path::PathBuf;

/// `test-harness/envoy-gateway/cluster.yaml`: what the cluster holds.
pub fn cluster_yaml() -> PathBuf {
    paths::workspace_root().join("test-harness/envoy-gateway/cluster.yaml")
}

/// `test-harness/envoy/envoy-gateway.yaml`: what Envoy Gateway builds from it.
pub fn envoy_yaml() -> PathBuf {
    paths::workspace_root().join("test-harness/envoy/envoy-gateway.yaml")
}

/// The Envoy configuration, parsed, in the container layout.
pub fn load() -> Result<yaml_serde::Value> {
    crate::envoy::topology::load(&envoy_yaml())
}

/// The documents of a multi-document YAML text, as JSON (empty ones left out).
pub fn documents(text: &str) -> Result<Vec<serde_json::Value>> {
    use serde::Deserialize;
    let mut out = Vec::new();
    for document in yaml_serde::Deserializer::from_str(text) {
        let value = serde_json::Value::deserialize(document)
            .context(|| "reading a YAML document".into())?;
        if !value.is_null() {
            out.push(value);
        }
    }
    Ok(out)
}
