//! Where a Gateway API ListenerSet's listeners go: onto its parent Gateway's workload, when
//! the parent allows it (`spec.allowedListeners`, none by default), as istiod attaches them.

use crate::model::gateway::{AllowedListeners, Api, Gateway};

/// For a ListenerSet, its parent Gateway (whose workload its listeners join), or why it
/// attaches to none (istiod then serves none of its listeners). `None` for a Gateway.
pub fn attach(
    gateways: &[Gateway],
    set: &Gateway,
    unplaced: &[(usize, String)],
) -> Option<Result<usize, String>> {
    let of = set.listener_set.as_ref()?;
    let parent_id = format!("{}/{}", of.parent_namespace, of.parent_name);
    let Some(parent) = gateways
        .iter()
        .position(|p| p.api == Api::GatewayApi && p.listener_set.is_none() && p.id() == parent_id)
    else {
        return Some(Err(format!(
            "its parent Gateway {parent_id} is not in the input (kubectl get gateways.gateway.networking.k8s.io -n {} {} -o yaml)",
            of.parent_namespace, of.parent_name
        )));
    };
    if unplaced.iter().any(|(u, _)| *u == parent) {
        return Some(Err(format!(
            "its parent Gateway {parent_id} is not audited"
        )));
    }
    let gw = &gateways[parent];
    let same = gw.namespace == set.namespace;
    let allowed = match &gw.allowed_listeners {
        AllowedListeners::All => true,
        AllowedListeners::Same => same,
        AllowedListeners::Selector(_) => true,
        AllowedListeners::None => false,
    };
    if !allowed {
        let from = match gw.allowed_listeners {
            AllowedListeners::Same => "Same, and it is in another namespace",
            _ => "None, the default",
        };
        return Some(Err(format!(
            "its parent {} does not allow it (spec.allowedListeners.namespaces.from: {from}), so istiod attaches none of its listeners",
            gw.title()
        )));
    }
    Some(Ok(parent))
}
