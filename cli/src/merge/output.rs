//! A plan as it is printed: the objects to apply as a YAML stream (or JSON), and for people
//! a summary with the `kubectl delete` commands to run after the apply.

use crate::merge::Plan;
use crate::model::istio::DEFAULT_NAMESPACE;
use serde_json::{json, Value};

/// Fields the API server owns; an object to `kubectl apply` leaves them out.
const SERVER_FIELDS: [&str; 6] = [
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "managedFields",
    "selfLink",
];

/// `value` ready for `kubectl apply -f -`: without status and server-owned metadata.
pub fn applicable(mut value: Value) -> Value {
    if let Some(object) = value.as_object_mut() {
        object.remove("status");
    }
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        for field in SERVER_FIELDS {
            metadata.remove(field);
        }
        if let Some(annotations) = metadata
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
        {
            annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
            if annotations.is_empty() {
                metadata.remove("annotations");
            }
        }
    }
    value
}

/// The objects to apply, as a YAML stream (empty when there is nothing to apply).
pub fn yaml(plan: &Plan) -> Result<String, String> {
    let mut out = String::new();
    for object in &plan.apply {
        let kind = object["kind"].as_str().unwrap_or_default();
        let id = format!(
            "{}/{}",
            object["metadata"]["namespace"]
                .as_str()
                .unwrap_or(DEFAULT_NAMESPACE),
            object["metadata"]["name"].as_str().unwrap_or_default()
        );
        out.push_str(&format!(
            "---\n# {kind} {id}, as the merge plan leaves it\n"
        ));
        out.push_str(&yaml_serde::to_string(object).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// `{"apply": [...], "delete": [...], "merged": [...], "not_merged": [...]}`.
pub fn json(plan: &Plan) -> serde_json::Result<String> {
    let value = json!({
        "apply": plan.apply,
        "delete": plan.delete.iter().map(|(ns, name)| json!({"kind": "Gateway", "apiVersion": "networking.istio.io", "namespace": ns, "name": name})).collect::<Vec<_>>(),
        "merged": plan.merged,
        "rebound": plan.rebound.iter().map(|(vs, from, to)| json!({"virtual_service": vs, "from": from, "to": to})).collect::<Vec<_>>(),
        "not_merged": plan.not_merged,
        "checked_virtual_services": plan.checked,
    });
    serde_json::to_string_pretty(&value)
}

/// The summary for people: what merged into what, what did not and why, how to apply.
pub fn summary(plan: &Plan) -> String {
    let mut out = String::new();
    for m in &plan.merged {
        out.push_str(&format!(
            "MERGED: {} on {}:\n  {} into {}\n  Why there: {}\n",
            m.credentials.join(", "),
            m.listener,
            m.moved.join(", "),
            m.into,
            m.why
        ));
    }
    for (vs, from, to) in &plan.rebound {
        out.push_str(&format!("REBOUND: VirtualService {vs}: {from} -> {to}\n"));
    }
    for n in &plan.not_merged {
        out.push_str(&format!(
            "NOT MERGED: {} on {}:\n  {}\n  Why: {}\n",
            n.credentials.join(", "),
            n.listener,
            n.servers.join(", "),
            n.why
        ));
    }
    if plan.merged.is_empty() {
        out.push_str("Nothing to merge.\n");
        return out;
    }
    out.push_str(&format!(
        "Routing checked: {} served on the same (workload, port, host, TLS mode, credential) before and after, and nowhere new.\n",
        match plan.checked {
            1 => "the VirtualService is".to_owned(),
            n => format!("each of the {n} VirtualServices is"),
        }
    ));
    if plan.delete.is_empty() {
        out.push_str("Review the objects on stdout, then apply them:\n");
    } else {
        out.push_str("Review the objects on stdout, then apply them and delete the Gateways left without servers:\n");
    }
    out.push_str("  kubectl apply -f PLAN.yaml\n");
    for (ns, name) in &plan.delete {
        out.push_str(&format!(
            "  kubectl delete gateways.networking.istio.io -n {ns} {name}\n"
        ));
    }
    out
}
