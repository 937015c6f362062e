//! The validator's own semantics, on small schemas (no Istio CRD needed).

use super::schema::Schema;
use serde_json::{json, Value};

fn object(spec: Value) -> Value {
    json!({"apiVersion": "x/v1", "kind": "X", "metadata": {"name": "x"}, "spec": spec})
}

#[test]
fn validator_closes_objects_and_honours_preserve_unknown_fields() {
    let schema = json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "open": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                    "map": {"type": "object", "additionalProperties": {"type": "string"}},
                    "closed": {"type": "object"},
                    "ports": {"type": "array", "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["number"],
                        "items": {"type": "object", "properties": {"number": {"type": "integer"}}}}
                }
            }
        }
    });
    let schema = Schema::compile(&schema).unwrap();
    let ok = object(
        json!({"open": {"a": {"b": 1}}, "map": {"k": "v"}, "ports": [{"number": 1}, {"number": 2}]}),
    );
    assert_eq!(schema.check(&ok).problems, Vec::<String>::new());

    let bad = object(
        json!({"closed": {"a": 1}, "map": {"k": 1}, "ports": [{"number": 1}, {"number": 1}], "extra": true}),
    );
    let errors = schema.check(&bad).problems.join("\n");
    for expected in [
        r#"unknown field "spec.closed.a""#,
        "spec.map.k: must be of type string",
        "spec.ports[1]: duplicate entry 1",
        r#"unknown field "spec.extra""#,
    ] {
        assert!(
            errors.contains(expected),
            "missing {expected:?} in:\n{errors}"
        );
    }

    let unsupported =
        json!({"type": "object", "properties": {"spec": {"type": "string", "uniqueItems": true}}});
    let errors = Schema::compile(&unsupported).err().unwrap_or_default();
    assert!(
        errors.contains("not implemented by this validator"),
        "{errors}"
    );
}
