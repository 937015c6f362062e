//! `sni-guard`, the command: audits Gateways (Istio's and the Kubernetes Gateway API's) for
//! filter chains whose certificates let browsers coalesce connections across them (the
//! cause of coalescing 404s), and generates sni-guard's configuration from them.
//!
//! Rooms: [`input`] reads resources; [`model`] places Gateways on workloads and lays out
//! their listeners; [`audit`] finds the conflicts; [`plugin`] writes the filter's
//! configuration and WasmPlugin and checks a live one for drift; [`merge`] plans the merge of
//! servers sharing a certificate, routing checked; [`output`] prints reports;
//! [`commands`] is the command line; [`error`] says what went wrong.

pub mod audit;
pub mod commands;
pub mod error;
pub mod input;
pub mod merge;
pub mod model;
pub mod output;
pub mod plugin;

pub use commands::run;
