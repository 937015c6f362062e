//! A plan as it is printed: the objects to apply as a YAML stream (or JSON), and for people
//! a summary with the `kubectl delete` commands to run after the apply.

use crate::merge::Plan;
use crate::model::kube::DEFAULT_NAMESPACE;
use serde_json::{Value, json};

/// Fields the API server owns; an object to `kubectl apply` leaves them out.
const SERVER_FIELDS: [&str; 6] = [
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "managedFields",
    "selfLink",
];

/// `value` ready for `kubectl apply -f -`: without status and server-owned metadata, and with
/// `metadata.namespace` set to `namespace` (the one the plan resolved, `default` when the input
/// named none): without it `kubectl apply` would write the object into the context's namespace.
pub fn applicable(mut value: Value, namespace: &str) -> Value {
    if let Some(object) = value.as_object_mut() {
        object.remove("status");
    }
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata
            .entry("namespace")
            .or_insert_with(|| Value::from(namespace));
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

fn text(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str)
}

/// The objects to apply, as a YAML stream (empty when there is nothing to apply).
pub fn yaml(plan: &Plan) -> Result<String, yaml_serde::Error> {
    let mut out = String::new();
    for object in &plan.apply {
        let metadata = object.get("metadata");
        let kind = text(object.get("kind")).unwrap_or_default();
        let id = format!(
            "{}/{}",
            text(metadata.and_then(|m| m.get("namespace"))).unwrap_or(DEFAULT_NAMESPACE),
            text(metadata.and_then(|m| m.get("name"))).unwrap_or_default()
        );
        out.push_str(&format!(
            "---\n# {kind} {id}, as the merge plan leaves it\n"
        ));
        out.push_str(&yaml_serde::to_string(object)?);
    }
    Ok(out)
}

/// `{"apply": [...], "delete": [...], "merged": [...], "not_merged": [...]}`.
pub fn json(plan: &Plan) -> serde_json::Result<String> {
    let value = json!({
        "apply": plan.apply,
        "delete": plan.delete.iter().map(|d| json!({"kind": "Gateway", "apiVersion": d.api_version, "namespace": d.namespace, "name": d.name})).collect::<Vec<_>>(),
        "merged": plan.merged,
        "rebound": plan.rebound.iter().map(|(vs, from, to)| json!({"virtual_service": vs, "from": from, "to": to})).collect::<Vec<_>>(),
        "not_merged": plan.not_merged,
        "checked_virtual_services": plan.checked,
        "no_virtual_services": plan.no_virtual_services,
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
    if plan.apply.is_empty() && plan.delete.is_empty() {
        // No instructions: there is nothing to apply, and a `kubectl apply` of an empty file
        // would only look like a step taken.
        out.push_str(if plan.merged.is_empty() {
            "Nothing to merge.\n"
        } else {
            "Nothing to apply or delete: the plan changes no object.\n"
        });
        return out;
    }
    out.push_str(&routing(plan));
    out.push_str(match (plan.apply.is_empty(), plan.delete.is_empty()) {
        (false, true) => "Review the objects on stdout, then apply them:\n",
        (false, false) => "Review the objects on stdout, then apply them and delete the Gateways left without servers:\n",
        _ => "Nothing to apply; delete the Gateways left without servers:\n",
    });
    if !plan.apply.is_empty() {
        out.push_str("  kubectl apply -f PLAN.yaml\n");
    }
    for d in &plan.delete {
        out.push_str(&format!(
            "  kubectl delete gateways.networking.istio.io -n {} {}\n",
            d.namespace, d.name
        ));
    }
    out
}

/// What the routing check covered. Never a pass over nothing: with no VirtualService it says
/// that none was checked, and with some that only those were (a Gateway may be bound by
/// VirtualServices in any namespace, and the input may not hold them all).
fn routing(plan: &Plan) -> String {
    match plan.checked {
        0 if plan.no_virtual_services => "Routing not checked: the input holds no VirtualService, and --no-virtual-services says none is bound to these Gateways.\n".to_owned(),
        0 => "Routing not checked: the input holds no VirtualService; only servers within one Gateway are merged, so the VirtualServices bound to it keep being served by it.\n".to_owned(),
        n => {
            let (what, who) = match n {
                1 => ("1 VirtualService".to_owned(), "it: it is"),
                n => (format!("{n} VirtualServices"), "those: each is"),
            };
            format!(
                "Routing checked for the {what} in the input, and only {who} served on the same (workload, port, host, TLS mode, credential) before and after, and nowhere new. A VirtualService in any namespace may be bound to these Gateways: give them all (kubectl get virtualservices -A -o yaml).\n"
            )
        }
    }
}
