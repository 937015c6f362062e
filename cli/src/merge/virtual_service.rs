//! VirtualServices as a merge plan sees them: the hosts they route, and every place they name
//! a Gateway (`spec.gateways`, and `gateways` in the matches of `http`, `tls` and `tcp` routes).

use crate::input::Resource;
use serde_json::Value;

/// A reference to a Gateway in a VirtualService.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GatewayRef {
    /// `mesh`: the sidecars, not a gateway.
    Mesh,
    Gateway {
        namespace: String,
        name: String,
    },
}

impl GatewayRef {
    /// `name` (the VirtualService's namespace), `namespace/name`, or `mesh`.
    pub fn parse(text: &str, vs_namespace: &str) -> GatewayRef {
        match text.split_once('/') {
            _ if text == "mesh" => GatewayRef::Mesh,
            Some((namespace, name)) => GatewayRef::Gateway {
                namespace: namespace.to_owned(),
                name: name.to_owned(),
            },
            None => GatewayRef::Gateway {
                namespace: vs_namespace.to_owned(),
                name: text.to_owned(),
            },
        }
    }

    /// `namespace/name`, or `mesh`.
    pub fn write(&self) -> String {
        match self {
            GatewayRef::Mesh => "mesh".to_owned(),
            GatewayRef::Gateway { namespace, name } => format!("{namespace}/{name}"),
        }
    }
}

/// The parts of a VirtualService the plan reasons on.
#[derive(Debug, Clone)]
pub struct VirtualService {
    pub namespace: String,
    /// `spec.hosts`.
    pub hosts: Vec<String>,
    /// `spec.gateways`; `mesh` alone when absent (Istio's default).
    pub gateways: Vec<GatewayRef>,
}

impl VirtualService {
    pub fn read(vs: &Resource) -> VirtualService {
        let strings = |v: &Value| -> Vec<String> {
            v.as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default()
        };
        let spec = &vs.value["spec"];
        let gateways = match spec.get("gateways") {
            Some(list) => strings(list)
                .iter()
                .map(|g| GatewayRef::parse(g, &vs.namespace))
                .collect(),
            None => vec![GatewayRef::Mesh],
        };
        VirtualService {
            namespace: vs.namespace.clone(),
            hosts: strings(&spec["hosts"]),
            gateways,
        }
    }
}

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
