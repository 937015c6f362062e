//! Where a Gateway API ListenerSet's listeners go: onto its parent Gateway's workload, when
//! the parent allows it (`spec.allowedListeners`, none by default), as istiod attaches them.

use crate::error::NotAttached;
use crate::model::gateway::{AllowedListeners, Api, Gateway};

/// For a ListenerSet, its parent Gateway (its index, and itself: its workload is where the
/// set's listeners go), or why it attaches to none (istiod then serves none of its
/// listeners). `None` for a Gateway.
pub fn attach<'g>(
    gateways: &'g [Gateway],
    set: &Gateway,
    unplaced: &[(usize, String)],
) -> Option<Result<(usize, &'g Gateway), NotAttached>> {
    let of = set.listener_set.as_ref()?;
    let parent_id = format!("{}/{}", of.parent_namespace, of.parent_name);
    let Some((parent, gw)) = gateways
        .iter()
        .enumerate()
        .find(|(_, p)| p.api == Api::GatewayApi && p.listener_set.is_none() && p.id() == parent_id)
    else {
        return Some(Err(NotAttached::ParentMissing {
            namespace: of.parent_namespace.clone(),
            name: of.parent_name.clone(),
        }));
    };
    if unplaced.iter().any(|(u, _)| *u == parent) {
        return Some(Err(NotAttached::ParentNotAudited { parent: parent_id }));
    }
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
        return Some(Err(NotAttached::NotAllowed {
            parent: gw.title(),
            from,
        }));
    }
    Some(Ok((parent, gw)))
}

/// ListenerSets land where their parent Gateway does; returns what is assumed of them.
pub fn attach_listener_sets(
    gateways: &[Gateway],
    landing: &mut [Vec<usize>],
    unplaced: &mut Vec<(usize, String)>,
) -> Vec<String> {
    let mut notes = Vec::new();
    for (g, gw) in gateways.iter().enumerate() {
        match attach(gateways, gw, unplaced) {
            Some(Ok((at, parent))) => {
                let parent_landing = landing.get(at).cloned().unwrap_or_default();
                if let Some(slot) = landing.get_mut(g) {
                    *slot = parent_landing;
                }
                if let AllowedListeners::Selector(selector) = &parent.allowed_listeners {
                    notes.push(format!(
                        "{} attaches to {} only if its namespace {} has the labels {selector} (spec.allowedListeners.namespaces.selector); Namespaces are not read, so it is taken to attach",
                        gw.title(), parent.title(), gw.namespace
                    ));
                }
            }
            Some(Err(why)) => unplaced.push((g, why.to_string())),
            None => {}
        }
    }
    notes
}
