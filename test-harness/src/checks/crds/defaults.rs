//! Defaulting, as the API server does it before it validates an object.

use serde_json::Value;

/// Sets each absent field that has a `default` to it, at every depth, as the API server
/// does when it decodes an object (a default set here gets its own fields' defaults too).
pub fn defaults(schema: &Value, value: &mut Value) {
    match value {
        Value::Object(fields) => {
            if let Some(Value::Object(properties)) = schema.get("properties") {
                for (name, sub) in properties {
                    if let (false, Some(default)) = (fields.contains_key(name), sub.get("default"))
                    {
                        fields.insert(name.clone(), default.clone());
                    }
                    if let Some(field) = fields.get_mut(name) {
                        defaults(sub, field);
                    }
                }
            }
            if let Some(sub @ Value::Object(_)) = schema.get("additionalProperties") {
                fields.values_mut().for_each(|v| defaults(sub, v));
            }
        }
        Value::Array(items) => {
            if let Some(sub) = schema.get("items") {
                items.iter_mut().for_each(|v| defaults(sub, v));
            }
        }
        _ => {}
    }
}
