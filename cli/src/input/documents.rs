//! A file's text as resources: JSON (one resource, a `List`, or a bare array) when it starts
//! like JSON, else multi-document YAML, with YAML merge keys (`<<: *anchor`) applied. A field
//! whose value is `null` (`args:` left empty) is absent, as the API server reads it.

use crate::error::Unusable;
use serde::Deserialize;
use serde_json::Value;

/// The documents of a file, in order; empty documents (`---` alone) are dropped.
pub fn documents(text: &str) -> Result<Vec<Value>, Unusable> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let value: Value =
            serde_json::from_str(text).map_err(|e| Unusable::NotJson(e.to_string()))?;
        let mut items = match value {
            Value::Array(items) => items,
            value => vec![value],
        };
        items.iter_mut().for_each(drop_nulls);
        return Ok(items);
    }
    let mut out = Vec::new();
    for (i, document) in yaml_serde::Deserializer::from_str(text).enumerate() {
        let bad = |message: String| Unusable::NotYaml {
            document: i + 1,
            message,
        };
        let mut value = yaml_serde::Value::deserialize(document).map_err(|e| bad(e.to_string()))?;
        value.apply_merge().map_err(|e| bad(e.to_string()))?;
        let mut value = serde_json::to_value(&value).map_err(|e| bad(e.to_string()))?;
        drop_nulls(&mut value);
        if !value.is_null() {
            out.push(value);
        }
    }
    Ok(out)
}

/// Removes every mapping key whose value is `null`, at any depth: the API server decodes such
/// a field as unset, so `kubectl` output and hand-written manifests mean the same with it.
fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(fields) => {
            fields.retain(|_, v| !v.is_null());
            fields.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// `a mapping`, `a list`, ...: what a value is, for messages.
pub fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_keys_are_applied() {
        let text = "\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: g}
spec:
  servers:
  - &https
    port: {number: 443, name: https, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: SIMPLE, credentialName: wild}
  - <<: *https
    hosts: [b.example.com]
";
        let docs = documents(text).unwrap();
        assert_eq!(
            docs[0]["spec"]["servers"][1],
            json!({"port": {"number": 443, "name": "https", "protocol": "HTTPS"},
                   "hosts": ["b.example.com"], "tls": {"mode": "SIMPLE", "credentialName": "wild"}})
        );
    }

    #[test]
    fn null_fields_are_absent() {
        let yaml = "kind: Pod\nmetadata:\n  annotations:\nspec:\n  containers:\n  - name: c\n    args:\n    env: [{name: A, value: ~}]\n";
        assert_eq!(
            documents(yaml).unwrap()[0],
            json!({"kind": "Pod", "metadata": {}, "spec": {"containers": [{"name": "c", "env": [{"name": "A"}]}]}})
        );
        let json = r#"[{"kind": "Pod", "metadata": {"labels": null, "name": "p"}}]"#;
        assert_eq!(
            documents(json).unwrap()[0],
            json!({"kind": "Pod", "metadata": {"name": "p"}})
        );
    }

    #[test]
    fn json_forms_and_empty_documents() {
        assert_eq!(documents("[{\"a\": 1}, {\"b\": 2}]").unwrap().len(), 2);
        assert_eq!(documents("{\"a\": 1}").unwrap().len(), 1);
        assert_eq!(documents("---\na: 1\n---\n---\nb: 2\n").unwrap().len(), 2);
        let problem = |text| documents(text).unwrap_err();
        assert!(matches!(problem("{\"a\": "), Unusable::NotJson(_)));
        assert!(matches!(
            problem("a: [1, 2\n"),
            Unusable::NotYaml { document: 1, .. }
        ));
        assert!(
            problem("a: 1\n---\n? [1, 2]\n: x\n")
                .to_string()
                .starts_with("not valid YAML (document 2)")
        );
    }
}
