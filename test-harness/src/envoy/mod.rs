//! Envoy and what runs in it: the binary as a child process (`child.rs`) and the versions it
//! runs (`versions.rs`), both re-exported here; its admin API and access log, the topologies
//! under test and their edits, a running topology ([`gateway`]), HTTP/3 listeners, several
//! plugins in one VM, the Lua workaround.

pub mod access_log;
pub mod admin;
mod child;
pub mod edits;
pub mod gateway;
pub mod lua;
pub mod quic;
pub mod shared_vm;
pub mod topology;
mod versions;

pub use child::*;
pub use versions::*;
