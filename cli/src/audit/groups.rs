//! Chains grouped by what they share on one listener: a certificate, or a host.

use crate::audit::certificates::covers_any;
use crate::model::certs::Certificates;
use crate::model::gateway::{ChainKind, Credential};
use crate::model::groups::group_by_chains;
use crate::model::layout::{ChainRef, Listener};

/// Groups of two or more HTTPS chains that present a common certificate, each with the
/// certificates they share. Chains sharing several (RSA and ECDSA) are one group. (A
/// certificate shared with a TLS-to-TCP chain is a covered host; between TLS-to-TCP chains
/// alone, the gateway routes no HTTP and sni-guard cannot help: not reported.) When the
/// input holds the certificates, only chains with a host they name can be coalesced across:
/// a chain whose hosts they do not name is an uncovered host instead.
pub(super) fn shared_credentials<'g>(
    listener: &Listener<'g>,
    workload_namespace: Option<&str>,
    certificates: &Certificates,
) -> Vec<(Vec<Credential>, Vec<ChainRef<'g>>)> {
    let keyed = listener
        .chains
        .iter()
        .enumerate()
        .filter(|(_, c)| c.kind == ChainKind::Https)
        .flat_map(|(i, c)| c.server.credentials().iter().map(move |k| (k.clone(), i)));
    let mut groups = group_by_chains(keyed, &listener.chains);
    for (credentials, chains) in &mut groups {
        let read: Vec<&str> = credentials
            .iter()
            .flat_map(|c| certificates.lookup(c, workload_namespace))
            .flat_map(|c| c.names.iter().map(String::as_str))
            .collect();
        if read.is_empty() {
            continue; // Not read: taken to cover every server's hosts.
        }
        chains.retain(|c| c.server.hosts.iter().any(|h| covers_any(&read, h)));
    }
    groups.retain(|(_, chains)| chains.len() > 1);
    groups
}
