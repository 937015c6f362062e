//! Rewriting the Gateways a VirtualService names (`spec.gateways`, and `gateways` in the
//! matches of `http`, `tls` and `tcp` routes), for a merge plan.

pub use crate::model::routes::{GatewayRef, VirtualService};
use serde_json::Value;

/// Rewrites every Gateway reference in a VirtualService: `change` returns the references
/// that replace one (itself to keep it). Returns whether anything changed.
pub fn rewrite_refs(
    value: &mut Value,
    namespace: &str,
    change: &dyn Fn(&GatewayRef) -> Vec<GatewayRef>,
) -> bool {
    let mut changed = false;
    let mut rewrite = |list: &mut Value| {
        let Some(items) = list.as_array() else {
            return;
        };
        let mut out: Vec<String> = Vec::new();
        for item in items.iter().filter_map(Value::as_str) {
            let found = GatewayRef::parse(item, namespace);
            let replaced = change(&found);
            if replaced != [found.clone()] {
                changed = true;
            }
            for r in replaced {
                let text = if r == found {
                    item.to_owned()
                } else {
                    r.write()
                };
                let same = |t: &String| GatewayRef::parse(t, namespace) == r;
                if !out.iter().any(same) {
                    out.push(text);
                }
            }
        }
        *list = Value::from(out);
    };
    if let Some(list) = value.pointer_mut("/spec/gateways") {
        rewrite(list);
    }
    for kind in ["http", "tls", "tcp"] {
        let Some(routes) = value
            .pointer_mut(&format!("/spec/{kind}"))
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for route in routes {
            let Some(matches) = route.get_mut("match").and_then(Value::as_array_mut) else {
                continue;
            };
            for m in matches {
                if let Some(list) = m.get_mut("gateways") {
                    rewrite(list);
                }
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references() {
        assert_eq!(GatewayRef::parse("mesh", "web"), GatewayRef::Mesh);
        assert_eq!(
            GatewayRef::parse("gw", "web").write(),
            "web/gw",
            "a short name is in the VirtualService's namespace"
        );
        assert_eq!(
            GatewayRef::parse("istio-system/gw", "web").write(),
            "istio-system/gw"
        );
    }

    #[test]
    fn every_reference_is_rewritten() {
        let mut vs = json!({"spec": {"gateways": ["gw-b", "mesh"], "hosts": ["b.example.com"],
            "http": [{"match": [{"gateways": ["gw-b"], "uri": {"prefix": "/"}}], "route": []},
                     {"route": []}],
            "tls": [{"match": [{"gateways": ["mesh"], "sniHosts": ["b.example.com"]}]}]}});
        let gw_b = GatewayRef::parse("gw-b", "web");
        let gw_a = GatewayRef::parse("istio-system/gw-a", "web");
        let changed = rewrite_refs(&mut vs, "web", &|r: &GatewayRef| {
            if *r == gw_b {
                vec![gw_a.clone()]
            } else {
                vec![r.clone()]
            }
        });
        assert!(changed);
        assert_eq!(vs["spec"]["gateways"], json!(["istio-system/gw-a", "mesh"]));
        assert_eq!(
            vs["spec"]["http"][0]["match"][0]["gateways"],
            json!(["istio-system/gw-a"])
        );
        assert_eq!(
            vs["spec"]["tls"][0]["match"][0]["gateways"],
            json!(["mesh"])
        );
        let unchanged = rewrite_refs(&mut vs, "web", &|r: &GatewayRef| vec![r.clone()]);
        assert!(!unchanged);
    }
}
