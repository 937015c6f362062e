//! The Gateway API conformance cases and topology (b)'s sni-guard configuration, read once
//! for the decision's tests and the real-Envoy harness alike, and where sni-guard sits in an
//! Envoy configuration.

pub mod conformance;
pub mod plugin_slot;
