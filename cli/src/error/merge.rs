//! Why a merge plan, or one merge in it, is not made.

use crate::error::FieldError;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MergeError {
    /// `--no-virtual-services`, with VirtualServices (`namespace/name`) in the input.
    #[error(
        "--no-virtual-services says no VirtualService is bound to these Gateways, but the input holds {} ({}): leave the flag out, and give every VirtualService",
        names.len(),
        names.join(", ")
    )]
    VirtualServicesGiven { names: Vec<String> },
    /// A Gateway as the plan rewrites it does not read again; `gateway` is its title.
    #[error(
        "{gateway} as planned: {}",
        problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
    )]
    Unreadable {
        gateway: String,
        problems: Vec<FieldError>,
    },
    /// The whole plan would serve a VirtualService elsewhere; one line each.
    #[error(
        "the plan would change routing, so it is not printed: {}",
        broken.join("; ")
    )]
    ChangesRouting { broken: Vec<String> },
    /// One merge would; it is not taken.
    #[error("merged, routing would change: {}", broken.join("; "))]
    MergeChangesRouting { broken: Vec<String> },
    /// Servers of several Gateways, some without a creation time: (namespace, name) each.
    #[error(
        "the input has no metadata.creationTimestamp (RFC 3339) for {}: istiod serves, of two servers listing one host, the one of the Gateway created first (then first by name, then namespace) and drops the other whole, so without it the plan cannot tell which Gateway must keep the merged server for the hosts to stay served between the apply and the deletes; give the Gateways as the cluster has them ({})",
        undated.iter().map(|(ns, name)| format!("{ns}/{name}")).collect::<Vec<_>>().join(", "),
        undated.iter().map(|(ns, name)| format!("kubectl get gateway -n {ns} {name} -o yaml")).collect::<Vec<_>>().join("; ")
    )]
    Undated { undated: Vec<(String, String)> },
    /// A merge of no servers was asked for.
    #[error("no servers to merge")]
    NoServers,
}
