//! Istio's CRD schemas, checked as the API server checks a manifest: the OpenAPI schema with
//! a JSON Schema validator, and unknown fields refused (strict field validation).

use serde_json::{json, Value};
use std::path::Path;

/// The `openAPIV3Schema` of `version` in a CRD file.
pub fn crd_schema(dir: &Path, file: &str, version: &str) -> Value {
    let text = std::fs::read_to_string(dir.join(file)).expect("CRD file");
    let crd: Value = yaml_serde::from_str(&text).expect("CRD YAML");
    crd["spec"]["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .find(|v| v["name"] == version)
        .unwrap_or_else(|| panic!("{file} has no version {version}"))["schema"]["openAPIV3Schema"]
        .clone()
}

/// Every problem with `manifest`: schema errors and unknown fields.
pub fn problems(schema: &Value, manifest: &Value) -> Vec<String> {
    let validator = jsonschema::draft4::new(schema).expect("schema compiles");
    let mut out: Vec<String> = validator
        .iter_errors(manifest)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    // The API server knows these at the top of every resource.
    let mut top = schema.clone();
    for field in ["apiVersion", "kind", "metadata"] {
        top["properties"][field] = json!({"x-kubernetes-preserve-unknown-fields": true});
    }
    unknown_fields(&top, manifest, "", &mut out);
    out
}

/// Fields the structural schema does not declare, as strict field validation reports them.
fn unknown_fields(schema: &Value, value: &Value, path: &str, out: &mut Vec<String>) {
    if schema["x-kubernetes-preserve-unknown-fields"] == true {
        return;
    }
    match value {
        Value::Object(fields) => {
            for (key, item) in fields {
                let at = format!("{path}.{key}");
                if let Some(sub) = schema["properties"].get(key) {
                    unknown_fields(sub, item, &at, out);
                } else if schema["additionalProperties"].is_object() {
                    unknown_fields(&schema["additionalProperties"], item, &at, out);
                } else {
                    out.push(format!("{at}: unknown field"));
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                unknown_fields(&schema["items"], item, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}
