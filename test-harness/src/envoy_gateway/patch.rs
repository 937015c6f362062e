//! EnvoyPatchPolicy `jsonPatches` as Envoy Gateway applies them (`internal/utils/jsonpatch`):
//! each `jsonPath` (RFC 9535) evaluated on the named resource, each match's JSON pointer joined
//! with `path`, the RFC 6902 operation applied there; no match is an error, as there.

use super::translate::str_at;
use crate::error::{Result, fail};
use serde_json::{Value, json};

/// Applies one EnvoyPatchPolicy's patches to `config`'s listeners.
pub fn patch_policy(config: &mut Value, policy: &Value) -> Result<()> {
    let patches = policy
        .pointer("/spec/jsonPatches")
        .and_then(Value::as_array)
        .ok_or_else(|| fail("an EnvoyPatchPolicy without spec.jsonPatches"))?;
    for patch in patches {
        let kind = str_at(patch, "/type")?;
        if kind != "type.googleapis.com/envoy.config.listener.v3.Listener" {
            return Err(fail(format!(
                "only Listener patches are translated here: {kind}"
            )));
        }
        let name = str_at(patch, "/name")?;
        let listener = config
            .pointer_mut("/static_resources/listeners")
            .and_then(Value::as_array_mut)
            .and_then(|l| {
                l.iter_mut()
                    .find(|l| l.get("name").and_then(Value::as_str) == Some(name))
            })
            .ok_or_else(|| fail(format!("EnvoyPatchPolicy: no Listener {name:?}")))?;
        apply_operation(listener, &patch["operation"])?;
    }
    Ok(())
}

/// One operation: on each match of `jsonPath` (at `path` below it), or at `path` alone.
fn apply_operation(resource: &mut Value, operation: &Value) -> Result<()> {
    let path = operation
        .get("path")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let pointers = match operation.get("jsonPath").and_then(Value::as_str) {
        None => vec![path.to_owned()],
        Some(query) => {
            let query = serde_json_path::JsonPath::parse(query)
                .map_err(|e| fail(format!("jsonPath {query:?}: {e}")))?;
            let found: Vec<String> = query
                .query_located(resource)
                .locations()
                .map(|at| format!("{}{path}", at.to_json_pointer()))
                .collect();
            if found.is_empty() {
                return Err(fail(format!(
                    "no jsonPointers were found while evaluating the jsonPath {query}"
                )));
            }
            found
        }
    };
    for pointer in pointers {
        let mut op = operation.clone();
        if let Some(op) = op.as_object_mut() {
            op.remove("jsonPath");
            op.insert("path".into(), json!(pointer));
        }
        let patch: json_patch::Patch = serde_json::from_value(json!([op]))?;
        json_patch::patch(resource, &patch)
            .map_err(|e| fail(format!("patch at {pointer}: {e}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envoy_gateway::translate::{HCM, ROUTER};

    #[test]
    fn a_json_path_patch_reaches_every_match_and_only_them() {
        let mut listener = json!({"filter_chains": [
            {"filters": [{"name": HCM, "typed_config": {"http_filters": [{"name": "w", "disabled": true}, {"name": ROUTER}]}}]},
            {"filters": [{"name": HCM, "typed_config": {"http_filters": [{"name": "w", "disabled": true}]}}]},
        ]});
        let op = json!({"op": "add", "path": "/disabled", "value": false,
            "jsonPath": format!("$.filter_chains[*].filters[?(@.name=='{HCM}')].typed_config.http_filters[?(@.name=='w')]")});
        apply_operation(&mut listener, &op).unwrap();
        assert_eq!(
            listener.pointer("/filter_chains/0/filters/0/typed_config/http_filters/0/disabled"),
            Some(&json!(false))
        );
        assert_eq!(
            listener.pointer("/filter_chains/1/filters/0/typed_config/http_filters/0/disabled"),
            Some(&json!(false))
        );
        assert_eq!(
            listener.pointer("/filter_chains/0/filters/0/typed_config/http_filters/1"),
            Some(&json!({"name": ROUTER}))
        );
        let none = json!({"op": "add", "path": "/disabled", "value": false, "jsonPath": "$.filter_chains[*].filters[?(@.name=='other')]"});
        let error = apply_operation(&mut listener, &none)
            .unwrap_err()
            .to_string();
        assert!(error.contains("no jsonPointers were found"), "{error}");
    }
}
