//! istiod's merge of Istio Gateways, as far as a plan's safety needs it: every Gateway in the
//! order of pilot/pkg/model/config.go `configCompareByCreationTime` (creation time, then
//! name, then namespace), and a TLS server with a host already taken on its port and bind
//! dropped whole (pilot/pkg/model/gateway.go `CheckDuplicates`). One workload is assumed.

use serde_json::Value;
use sni_guard_cli::merge::order::seconds;
use std::collections::{BTreeSet, HashMap};

/// (port, bind, host as istiod compares it).
pub type Served = (u64, String, String);

/// The TLS hosts istiod serves from these objects (the others ignored).
pub fn served(objects: &[Value]) -> BTreeSet<Served> {
    let text = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_owned);
    let mut gateways: Vec<&Value> = objects
        .iter()
        .filter(|o| {
            o["kind"] == "Gateway"
                && text(o, "/apiVersion").is_some_and(|v| v.starts_with("networking.istio.io/"))
        })
        .collect();
    // An object without a creation time is the zero time.Time: first.
    gateways.sort_by_key(|g| {
        (
            text(g, "/metadata/creationTimestamp")
                .and_then(|t| seconds(&t))
                .unwrap_or(i64::MIN),
            text(g, "/metadata/name"),
            text(g, "/metadata/namespace"),
        )
    });
    let mut taken: HashMap<(u64, String), BTreeSet<String>> = HashMap::new();
    let mut out = BTreeSet::new();
    for gateway in gateways {
        let namespace = text(gateway, "/metadata/namespace").unwrap_or("default".into());
        for server in gateway["spec"]["servers"].as_array().into_iter().flatten() {
            if server.get("tls").is_none_or(Value::is_null) {
                continue;
            }
            let port = server["port"]["number"].as_u64().unwrap_or_default();
            let bind = text(server, "/bind").unwrap_or_default();
            let hosts: Vec<String> = server["hosts"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(|h| match h.split_once('/') {
                    Some((".", rest)) => format!("{namespace}/{rest}"),
                    Some(("*", rest)) => rest.to_owned(),
                    _ => h.to_owned(),
                })
                .collect();
            let known = taken.entry((port, bind.clone())).or_default();
            if hosts.iter().any(|h| known.contains(h)) {
                continue; // "skipping server on gateway ..., duplicate host names"
            }
            for host in hosts {
                known.insert(host.clone());
                out.insert((port, bind.clone(), host));
            }
        }
    }
    out
}
