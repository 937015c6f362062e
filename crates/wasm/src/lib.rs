//! sni-guard's proxy-wasm adapter: the module Envoy loads (`sni_guard.wasm`). It reads the
//! SNI and the authority from the host, asks the decision (`sni-guard-decision`, re-exported
//! here) and answers 421 or lets the request through, counting and logging as configured.
//!
//! `filter` holds the callbacks, generic over the host calls it makes ([`proxy`]'s `Host`),
//! tested against a recording mock; `exports` and `abi` bind them to the proxy-wasm ABI and
//! are built for wasm32 only.

pub use sni_guard_decision::*;

#[cfg(any(target_arch = "wasm32", test))]
mod filter;
#[cfg(any(target_arch = "wasm32", test))]
mod logger;
#[cfg(any(target_arch = "wasm32", test))]
mod proxy;
#[cfg(any(target_arch = "wasm32", test))]
mod scratch;

#[cfg(target_arch = "wasm32")]
mod abi;
#[cfg(target_arch = "wasm32")]
mod exports;
