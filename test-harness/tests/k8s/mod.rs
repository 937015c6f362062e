//! Kubernetes manifests in tests: loading them, validating them against their CRD schema as the
//! API server does, and turning a WasmPlugin into the configuration istiod gives Envoy.
#![allow(dead_code)]

pub mod cel;
pub mod manifest;
pub mod schema;
