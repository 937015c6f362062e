//! Checks of what the project writes and answers: manifests against the CRD schemas, and the
//! same cases run with no filter, the Lua workaround and sni-guard side by side.

pub mod comparison;
pub mod crds;
