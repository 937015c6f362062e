//! What Istio makes for Envoy: istiod's and istio-agent's handling of a WasmPlugin, its
//! delivery through ECDS, and the migration from the Lua workaround as an operator runs it.

pub mod ecds;
pub mod istiod;
pub mod migrate;
