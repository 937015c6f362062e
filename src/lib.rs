//! sni-guard: a proxy-wasm HTTP filter that answers 421 Misdirected Request when a request's
//! authority belongs to another Gateway server than the one its TLS connection was made for.
//!
//! The decision logic ([`Config`], [`Config::decide`]) is pure and host-testable; the
//! proxy-wasm adapter (`filter`, generic over the host calls it makes; `exports` and `abi`,
//! built for wasm32 only) is thin.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod config;
mod document;
pub mod hostname;
pub mod pattern;
pub mod table;
mod text;
pub mod verdict;

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

pub use config::{Config, ConfigError, Mode, Servers};
pub use verdict::{Mismatch, Request, Verdict};
