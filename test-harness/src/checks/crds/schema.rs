//! One CRD version's schema: compiled for the `jsonschema` crate, and walked for what the API
//! server adds to JSON Schema (unknown fields, list keys, integer formats, int-or-string,
//! CEL rules).

use super::{Checked, cel, defaults::defaults, meta};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use jsonschema::{ValidationError, Validator};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// The keywords of the API server's structural schemas this validator knows the meaning of.
/// `uniqueItems`, `$ref` and the like are not allowed there, so a schema holding one is refused
/// rather than half-checked. (`allOf` and `minProperties` are: Envoy Gateway's schemas use
/// them; the `jsonschema` crate checks both.)
const KEYWORDS: &[&str] = &[
    "description",
    "default",
    "type",
    "properties",
    "required",
    "items",
    "enum",
    "pattern",
    "format",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "maxProperties",
    "minProperties",
    "additionalProperties",
    "nullable",
    "oneOf",
    "anyOf",
    "allOf",
    "not",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-validations",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    // How server-side apply merges a map (atomic or granular): nothing to validate.
    "x-kubernetes-map-type",
];

/// The root `openAPIV3Schema` of a CRD version, compiled.
pub struct Schema {
    root: Value,
    validator: Validator,
}

impl Schema {
    /// Compiles `root`; an error names every keyword this validator does not know.
    pub fn compile(root: &Value) -> Result<Schema, String> {
        let mut unknown = Vec::new();
        audit(root, "", &mut unknown);
        if !unknown.is_empty() {
            return Err(unknown.join("; "));
        }
        let validator = jsonschema::draft4::new(&json_schema(root))
            .map_err(|e| format!("the schema does not compile: {e}"))?;
        Ok(Schema {
            root: root.clone(),
            validator,
        })
    }

    /// Every problem of `object` (a whole resource: `apiVersion`, `kind`, `metadata` and the
    /// fields its schema declares), and the CEL rules it reached.
    pub fn check(&self, object: &Value) -> Checked {
        let mut checked = Checked::default();
        let Some(fields) = object.as_object() else {
            checked.problems.push("the object must be a mapping".into());
            return checked;
        };
        let mut rest = fields.clone();
        rest.remove("apiVersion");
        rest.remove("kind");
        match rest.remove("metadata") {
            Some(metadata) => meta::check(&metadata, &mut checked.problems),
            None => checked.problems.push("metadata: required".into()),
        }
        let mut rest = Value::Object(rest);
        // The API server fills in defaults before it validates, CEL rules included.
        defaults(&self.root, &mut rest);
        checked
            .problems
            .extend(self.validator.iter_errors(&rest).map(|e| message(&e)));
        walk(&self.root, &rest, "", &mut checked);
        checked
    }
}

/// `path.key`, or `key` at the root.
fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn at(path: &str) -> &str {
    if path.is_empty() { "<root>" } else { path }
}

/// Keywords outside [`KEYWORDS`], wherever they are in the schema.
fn audit(schema: &Value, path: &str, unknown: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else {
        unknown.push(format!("{}: schema is not an object", at(path)));
        return;
    };
    for (keyword, value) in schema {
        if !KEYWORDS.contains(&keyword.as_str()) {
            unknown.push(format!(
                "{}: schema keyword {keyword:?} is not implemented by this validator",
                at(path)
            ));
        }
        match (keyword.as_str(), value) {
            ("properties", Value::Object(properties)) => {
                for (name, sub) in properties {
                    audit(sub, &child(path, name), unknown);
                }
            }
            ("items" | "not", sub) => audit(sub, &format!("{path}[{keyword}]"), unknown),
            ("additionalProperties", sub @ Value::Object(_)) => {
                audit(sub, &child(path, "*"), unknown)
            }
            ("oneOf" | "anyOf" | "allOf", Value::Array(options)) => {
                for (i, sub) in options.iter().enumerate() {
                    audit(sub, &format!("{path}[{keyword} {i}]"), unknown);
                }
            }
            _ => {}
        }
    }
}

/// The schema as JSON Schema has it: `nullable: true` becomes `null` among the types.
fn json_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out: Map<String, Value> = map
                .iter()
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        // Field names and constants, not schemas.
                        "enum" | "required" | "description" | "x-kubernetes-validations" => {
                            v.clone()
                        }
                        "properties" => Value::Object(
                            v.as_object()
                                .into_iter()
                                .flatten()
                                .map(|(name, sub)| (name.clone(), json_schema(sub)))
                                .collect(),
                        ),
                        _ => json_schema(v),
                    };
                    (k.clone(), v)
                })
                .collect();
            if map.get("nullable") == Some(&Value::Bool(true))
                && let Some(Value::String(ty)) = map.get("type")
            {
                out.insert("type".into(), serde_json::json!([ty, "null"]));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(json_schema).collect()),
        other => other.clone(),
    }
}

/// A `jsonschema` error as the API server words it: the field (`spec.servers[0].port`),
/// then what is wrong with its value.
fn message(error: &ValidationError) -> String {
    let mut path = String::new();
    for segment in error.instance_path().segments() {
        match segment {
            LocationSegment::Index(i) => path.push_str(&format!("[{i}]")),
            LocationSegment::Property(name) => path = child(&path, &name),
        }
    }
    let value = error.instance();
    let text = match error.kind() {
        ValidationErrorKind::Required { property } => {
            let name = property
                .as_str()
                .map_or(property.to_string(), str::to_owned);
            return format!("{}: required", child(&path, &name));
        }
        ValidationErrorKind::Type { kind } => {
            let types: Vec<&str> = match kind {
                TypeKind::Single(ty) => vec![ty.as_str()],
                // `nullable` fields: the type the schema names (null is never the mistake).
                TypeKind::Multiple(set) => set
                    .into_iter()
                    .map(|t| t.as_str())
                    .filter(|t| *t != "null")
                    .collect(),
            };
            format!("must be of type {}, got {value}", types.join(" or "))
        }
        ValidationErrorKind::Enum { options } => {
            let list: Vec<String> = options
                .as_array()
                .map(|a| a.iter().map(Value::to_string).collect())
                .unwrap_or_else(|| vec![options.to_string()]);
            format!("{value} is not one of {}", list.join(", "))
        }
        ValidationErrorKind::Pattern { pattern } => {
            format!("{value} does not match {pattern:?}")
        }
        ValidationErrorKind::MinLength { limit } => format!("shorter than {limit} characters"),
        ValidationErrorKind::MaxLength { limit } => format!("longer than {limit} characters"),
        ValidationErrorKind::Minimum { limit } => format!("{value} is less than {limit}"),
        ValidationErrorKind::Maximum { limit } => format!("{value} is greater than {limit}"),
        ValidationErrorKind::MinItems { limit } => format!("fewer than {limit} items"),
        ValidationErrorKind::MaxItems { limit } => format!("more than {limit} items"),
        ValidationErrorKind::MaxProperties { limit } => format!("more than {limit} entries"),
        ValidationErrorKind::OneOfNotValid { .. } => {
            "must match exactly one of the oneOf schemas, matches none".to_string()
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            "must match exactly one of the oneOf schemas, matches more than one".to_string()
        }
        ValidationErrorKind::AnyOf { .. } => "matches none of the anyOf schemas".to_string(),
        ValidationErrorKind::Not { .. } => "must not match the \"not\" schema".to_string(),
        _ => error.to_string(),
    };
    format!("{}: {text}", at(&path))
}

/// Whether `value` has the schema's `type` (the walk stops where it has not: `jsonschema`
/// reports it, and the API server evaluates nothing below a wrong type).
fn typed(schema: &Map<String, Value>, value: &Value) -> bool {
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => value.is_object(),
        Some("array") => value.is_array(),
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        _ => true,
    }
}

/// What JSON Schema does not check, for `value` at `path` under `schema`.
fn walk(schema: &Value, value: &Value, path: &str, checked: &mut Checked) {
    let Some(schema) = schema.as_object() else {
        return;
    };
    if value.is_null() || !typed(schema, value) {
        return;
    }
    let flag = |k: &str| schema.get(k).and_then(Value::as_bool).unwrap_or(false);
    let problems = &mut checked.problems;
    if flag("x-kubernetes-int-or-string")
        && !schema.contains_key("anyOf")
        && !(value.is_i64() || value.is_u64() || value.is_string())
    {
        problems.push(format!(
            "{}: must be an integer or a string, got {value}",
            at(path)
        ));
    }
    let range = match schema.get("format").and_then(Value::as_str) {
        Some("int32") => Some((i64::from(i32::MIN), i64::from(i32::MAX))),
        Some("int64") => Some((i64::MIN, i64::MAX)),
        _ => None,
    };
    if let (Some((lo, hi)), true) = (range, value.is_number())
        && !value.as_i64().is_some_and(|i| (lo..=hi).contains(&i))
    {
        problems.push(format!("{}: {value} is out of range", at(path)));
    }
    match value {
        Value::Array(items) => array(schema, items, path, checked),
        Value::Object(fields) => object(schema, fields, path, checked),
        _ => {}
    }
    rules(schema, value, path, checked);
}

fn array(schema: &Map<String, Value>, items: &[Value], path: &str, checked: &mut Checked) {
    if let Some(item_schema) = schema.get("items") {
        for (i, item) in items.iter().enumerate() {
            walk(item_schema, item, &format!("{path}[{i}]"), checked);
        }
    }
    let list_type = schema.get("x-kubernetes-list-type").and_then(Value::as_str);
    let keys: Vec<&str> = schema
        .get("x-kubernetes-list-map-keys")
        .and_then(Value::as_array)
        .map(|k| k.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let identity = |item: &Value| -> String {
        match list_type {
            Some("map") => keys
                .iter()
                .map(|k| item.get(k).map_or("null".to_owned(), Value::to_string))
                .collect::<Vec<_>>()
                .join(","),
            _ => item.to_string(),
        }
    };
    if matches!(list_type, Some("map") | Some("set")) {
        let mut seen = HashSet::new();
        for (i, item) in items.iter().enumerate() {
            if !seen.insert(identity(item)) {
                checked
                    .problems
                    .push(format!("{path}[{i}]: duplicate entry {}", identity(item)));
            }
        }
    }
}

fn object(
    schema: &Map<String, Value>,
    fields: &Map<String, Value>,
    path: &str,
    checked: &mut Checked,
) {
    // Sub-schemas of oneOf/anyOf/not only constrain: they do not declare fields.
    let declares = schema.contains_key("type") || schema.contains_key("properties");
    let open = schema
        .get("x-kubernetes-preserve-unknown-fields")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let properties = schema.get("properties").and_then(Value::as_object);
    let additional = schema.get("additionalProperties");
    for (key, value) in fields {
        let field = child(path, key);
        if let Some(property) = properties.and_then(|p| p.get(key)) {
            walk(property, value, &field, checked);
        } else if let Some(additional) = additional.filter(|a| a.is_object()) {
            walk(additional, value, &field, checked);
        } else if declares && !open && additional != Some(&Value::Bool(true)) {
            checked.problems.push(format!("unknown field {field:?}"));
        }
    }
}

/// The node's CEL rules, each recorded as reached and evaluated.
fn rules(schema: &Map<String, Value>, value: &Value, path: &str, checked: &mut Checked) {
    let Some(rules) = schema
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
    else {
        return;
    };
    for rule in rules {
        let text = rule.get("rule").and_then(Value::as_str).unwrap_or_default();
        // A transition rule compares with the object before an update; a new object has none.
        if text.contains("oldSelf") {
            continue;
        }
        let message = rule.get("message").and_then(Value::as_str).unwrap_or(text);
        checked.rules.insert(message.to_owned());
        match cel::eval(text, value) {
            Ok(true) => {}
            Ok(false) => checked.problems.push(format!("{}: {message}", at(path))),
            Err(why) => checked.problems.push(format!("{}: {why}", at(path))),
        }
    }
}
