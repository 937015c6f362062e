//! The validator's own semantics, on small schemas (no Istio CRD needed).

use super::schema::Schema;
use serde_json::{Value, json};

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

#[test]
fn defaults_come_before_the_rules_which_the_cel_crate_evaluates() {
    // As in the Gateway API's listener TLS: `mode` defaults to Terminate, and a rule reads it.
    let schema = json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "tls": {
                        "type": "object",
                        "properties": {
                            "mode": {"type": "string", "default": "Terminate"},
                            "refs": {"type": "array", "items": {"type": "string"}}
                        },
                        "x-kubernetes-validations": [
                            {"rule": "self.mode == 'Terminate' ? size(self.refs) > 0 : true",
                             "message": "certificateRefs or options must be specified when mode is Terminate"},
                            {"rule": "self.all(k, k.split('/')[0].size() < 253)", "message": "keys"},
                            {"rule": "self == oldSelf", "message": "immutable"}
                        ]
                    }
                }
            }
        }
    });
    let schema = Schema::compile(&schema).unwrap();
    let ok = schema.check(&object(json!({"tls": {"refs": ["a"]}})));
    assert_eq!(ok.problems, Vec::<String>::new());
    assert!(ok.rules.contains("keys"), "the strings extension's split");
    assert!(
        !ok.rules.contains("immutable"),
        "a transition rule has no old object here"
    );
    let missing = schema.check(&object(json!({"tls": {"refs": []}})));
    assert_eq!(
        missing.problems,
        ["spec.tls: certificateRefs or options must be specified when mode is Terminate"],
        "the default mode, Terminate, was applied before the rule"
    );
    let passthrough = schema.check(&object(json!({"tls": {"mode": "Passthrough", "refs": []}})));
    assert_eq!(passthrough.problems, Vec::<String>::new());
    // A rule that reads an absent field fails, as on the API server.
    let absent = schema.check(&object(json!({"tls": {}})));
    assert_eq!(absent.problems.len(), 1, "{:?}", absent.problems);
}

#[test]
fn a_rule_neither_evaluator_knows_is_an_error() {
    let schema = json!({"type": "object", "properties": {"spec": {"type": "object",
        "x-kubernetes-validations": [{"rule": "self.isSorted()", "message": "sorted"}]}}});
    let problems = Schema::compile(&schema)
        .unwrap()
        .check(&object(json!({})))
        .problems;
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].contains("CEL rule not known to this validator"),
        "{problems:?}"
    );
}
