//! sni-guard's dynamic-module adapter: the shared library Envoy loads in-process
//! (`libsni_guard_native.so`, module name `sni_guard_native`, HTTP filter name `sni-guard`).
//! It reads the SNI and the authority with two plain calls into Envoy, asks the same
//! decision as the Wasm module (`sni-guard-decision`) and answers 421 or lets the request
//! through, counting in the same three counters and logging through `log`.
//!
//! `filter` holds the per-request logic, generic over the host calls it makes (`host`),
//! tested against a recording mock; `abi` declares the few Envoy callbacks it calls and
//! `exports` the event hooks Envoy resolves, both built outside tests only (their symbols
//! are Envoy's, resolved when Envoy loads the library).

pub use sni_guard_decision::*;

pub mod filter;
pub mod host;

#[cfg(not(test))]
mod abi;
#[cfg(not(test))]
mod exports;
#[cfg(not(test))]
mod logger;
