//! A filter chain: a server (or listener) that TLS names by SNI, with the Gateway holding it.

use crate::model::gateway::{ChainKind, Gateway, Server};

/// A server that is a filter chain, with the Gateway that holds it.
#[derive(Debug, Clone, Copy)]
pub struct ChainRef<'g> {
    pub gateway: &'g Gateway,
    /// The Gateway's index in the input.
    pub gateway_index: usize,
    pub server: &'g Server,
    pub kind: ChainKind,
}

impl ChainRef<'_> {
    /// `istio-system/gw-a servers[0] (port https)`.
    pub fn label(&self) -> String {
        format!("{} {}", self.gateway.id(), self.server.label())
    }
}

/// The Gateways of these chains, `namespace/name`, each once (a Gateway's chains are adjacent).
pub fn gateway_ids(chains: &[ChainRef<'_>]) -> Vec<String> {
    let mut ids: Vec<String> = chains.iter().map(|c| c.gateway.id()).collect();
    ids.dedup();
    ids
}
