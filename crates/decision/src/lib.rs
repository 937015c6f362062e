//! sni-guard's decision: from a plugin configuration (JSON, refused with the field and the
//! value when malformed) and a request's SNI and authority, whether it is misdirected. Pure:
//! no host, no proxy-wasm, built and tested on any target. The adapters (the Wasm module in
//! `crates/wasm`, the native one in `crates/native`) read the request from their host and act on
//! the [`Verdict`], answering and counting as [`answer`] says.

pub mod answer;
pub mod config;
mod document;
pub mod hostname;
pub mod mode;
pub mod pattern;
pub mod table;
mod text;
pub mod verdict;

pub use config::{Config, ConfigError, Mode, Servers};
pub use verdict::{Mismatch, Request, Verdict};
