//! `sni-guard`, the command: audits Istio Gateways for certificates shared across filter
//! chains (the cause of coalescing 404s) and generates sni-guard's configuration from them.

pub mod audit;
pub mod commands;
pub mod gateway;
pub mod input;
pub mod layout;
pub mod plugin;
pub mod report;

pub use commands::run;
