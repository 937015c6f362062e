//! A custom resource checked against its CRD's `openAPIV3Schema` as the API server checks it
//! for `kubectl apply --validate=strict`: types, enums, patterns, bounds, required fields,
//! list-map keys, CEL rules, and unknown fields, which are errors (an object schema is closed
//! unless it says `x-kubernetes-preserve-unknown-fields: true`). `apiVersion`, `kind` and
//! `metadata` are the implicit root fields; `metadata` is checked as an `ObjectMeta`.
//!
//! A schema keyword this validator does not implement is reported as an error, never skipped.

use super::cel;
use regex::Regex;
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::path::Path;

/// One CustomResourceDefinition: its group, kind, and schema per version.
pub struct Crd {
    pub group: String,
    pub kind: String,
    pub versions: Vec<(String, Value)>,
}

impl Crd {
    pub fn load(path: &Path) -> Result<Crd, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let crd: Value =
            yaml_serde::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let field = |pointer: &str| {
            crd.pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| format!("{}: no {pointer}", path.display()))
        };
        let versions = crd
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{}: no /spec/versions", path.display()))?
            .iter()
            .map(|v| {
                let name = v.get("name").and_then(Value::as_str).unwrap_or_default();
                let schema = v.pointer("/schema/openAPIV3Schema").cloned();
                schema
                    .map(|s| (name.to_owned(), s))
                    .ok_or_else(|| format!("{}: version {name} has no schema", path.display()))
            })
            .collect::<Result<_, _>>()?;
        Ok(Crd {
            group: field("/spec/group")?,
            kind: field("/spec/names/kind")?,
            versions,
        })
    }
}

/// The CRDs of a folder (`*.yaml`, one CRD each).
pub struct Crds(pub Vec<Crd>);

impl Crds {
    pub fn load_dir(dir: &Path) -> Result<Crds, String> {
        let mut crds = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                crds.push(Crd::load(&path)?);
            }
        }
        Ok(Crds(crds))
    }

    /// Validates one object. Errors name the field: `spec.phase: must be one of ...`.
    pub fn validate(&self, object: &Value) -> Result<(), Vec<String>> {
        let api_version = object.get("apiVersion").and_then(Value::as_str);
        let kind = object.get("kind").and_then(Value::as_str);
        let (Some(api_version), Some(kind)) = (api_version, kind) else {
            return Err(vec!["apiVersion and kind must be strings".to_owned()]);
        };
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let crd = self
            .0
            .iter()
            .find(|c| c.group == group && c.kind == kind)
            .ok_or_else(|| vec![format!("no CRD for kind {kind} in group {group:?}")])?;
        let (_, schema) = crd
            .versions
            .iter()
            .find(|(name, _)| name == version)
            .ok_or_else(|| vec![format!("CRD {kind}.{group} has no version {version}")])?;
        let errors = validate(schema, object);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// All the problems of `object` against the root `schema` of a CRD version.
pub fn validate(schema: &Value, object: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let Some(fields) = object.as_object() else {
        return vec!["the object must be a mapping".to_owned()];
    };
    let mut rest = fields.clone();
    rest.remove("apiVersion");
    rest.remove("kind");
    match rest.remove("metadata") {
        Some(metadata) => object_meta(&metadata, &mut errors),
        None => errors.push("metadata: required".to_owned()),
    }
    check(schema, &Value::Object(rest), "", &mut errors);
    errors
}

const KEYWORDS: &[&str] = &[
    "description",
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
    "additionalProperties",
    "nullable",
    "oneOf",
    "anyOf",
    "not",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-int-or-string",
    "x-kubernetes-validations",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
];

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn at(path: &str) -> &str {
    if path.is_empty() {
        "<root>"
    } else {
        path
    }
}

fn check(schema: &Value, value: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(schema) = schema.as_object() else {
        errors.push(format!("{}: schema is not an object", at(path)));
        return;
    };
    for keyword in schema.keys() {
        if !KEYWORDS.contains(&keyword.as_str()) {
            errors.push(format!(
                "{}: schema keyword {keyword:?} is not implemented by this validator",
                at(path)
            ));
        }
    }
    let flag = |k: &str| schema.get(k).and_then(Value::as_bool).unwrap_or(false);
    if value.is_null() {
        if !flag("nullable") && schema.contains_key("type") {
            errors.push(format!("{}: must not be null", at(path)));
        }
        return;
    }
    if flag("x-kubernetes-int-or-string") {
        if !(value.is_i64() || value.is_u64() || value.is_string()) {
            errors.push(format!(
                "{}: must be an integer or a string, got {value}",
                at(path)
            ));
            return;
        }
    } else if let Some(ty) = schema.get("type").and_then(Value::as_str) {
        let ok = match ty {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_i64() || value.is_u64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            other => {
                errors.push(format!("{}: unknown schema type {other:?}", at(path)));
                return;
            }
        };
        if !ok {
            errors.push(format!("{}: must be of type {ty}, got {value}", at(path)));
            return;
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            let list: Vec<String> = allowed.iter().map(Value::to_string).collect();
            errors.push(format!(
                "{}: {value} is not one of {}",
                at(path),
                list.join(", ")
            ));
        }
    }
    match value {
        Value::String(text) => string(schema, text, path, errors),
        Value::Number(_) => number(schema, value, path, errors),
        Value::Array(items) => array(schema, items, path, errors),
        Value::Object(fields) => object(schema, fields, path, errors),
        _ => {}
    }
    combinators(schema, value, path, errors);
    if let Some(rules) = schema
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
    {
        for rule in rules {
            let text = rule.get("rule").and_then(Value::as_str).unwrap_or_default();
            match cel::eval(text, value) {
                Ok(true) => {}
                Ok(false) => {
                    let message = rule.get("message").and_then(Value::as_str).unwrap_or(text);
                    errors.push(format!("{}: {message}", at(path)));
                }
                Err(why) => errors.push(format!("{}: {why}", at(path))),
            }
        }
    }
}

fn string(schema: &Map<String, Value>, text: &str, path: &str, errors: &mut Vec<String>) {
    let chars = text.chars().count() as u64;
    if let Some(min) = schema.get("minLength").and_then(Value::as_u64) {
        if chars < min {
            errors.push(format!("{}: shorter than {min} characters", at(path)));
        }
    }
    if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
        if chars > max {
            errors.push(format!("{}: longer than {max} characters", at(path)));
        }
    }
    if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
        match Regex::new(pattern) {
            Ok(re) if re.is_match(text) => {}
            Ok(_) => errors.push(format!("{}: {text:?} does not match {pattern:?}", at(path))),
            Err(e) => errors.push(format!("{}: bad pattern {pattern:?}: {e}", at(path))),
        }
    }
}

fn number(schema: &Map<String, Value>, value: &Value, path: &str, errors: &mut Vec<String>) {
    let n = value.as_f64().unwrap_or(f64::NAN);
    if let Some(min) = schema.get("minimum").and_then(Value::as_f64) {
        if n < min {
            errors.push(format!("{}: {value} is less than {min}", at(path)));
        }
    }
    if let Some(max) = schema.get("maximum").and_then(Value::as_f64) {
        if n > max {
            errors.push(format!("{}: {value} is greater than {max}", at(path)));
        }
    }
    let range = match schema.get("format").and_then(Value::as_str) {
        Some("int32") => Some((i64::from(i32::MIN), i64::from(i32::MAX))),
        Some("int64") => Some((i64::MIN, i64::MAX)),
        _ => None,
    };
    if let Some((lo, hi)) = range {
        if !value.as_i64().is_some_and(|i| (lo..=hi).contains(&i)) {
            errors.push(format!("{}: {value} is out of range", at(path)));
        }
    }
}

fn array(schema: &Map<String, Value>, items: &[Value], path: &str, errors: &mut Vec<String>) {
    let len = items.len() as u64;
    if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
        if len < min {
            errors.push(format!("{}: fewer than {min} items", at(path)));
        }
    }
    if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
        if len > max {
            errors.push(format!("{}: more than {max} items", at(path)));
        }
    }
    if let Some(item_schema) = schema.get("items") {
        for (i, item) in items.iter().enumerate() {
            check(item_schema, item, &format!("{path}[{i}]"), errors);
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
                errors.push(format!("{path}[{i}]: duplicate entry {}", identity(item)));
            }
        }
    }
}

fn object(
    schema: &Map<String, Value>,
    fields: &Map<String, Value>,
    path: &str,
    errors: &mut Vec<String>,
) {
    if let Some(required) = schema.get("required").and_then(Value::as_array) {
        for name in required.iter().filter_map(Value::as_str) {
            if !fields.contains_key(name) {
                errors.push(format!("{}: required", child(path, name)));
            }
        }
    }
    if let Some(max) = schema.get("maxProperties").and_then(Value::as_u64) {
        if fields.len() as u64 > max {
            errors.push(format!("{}: more than {max} entries", at(path)));
        }
    }
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
            check(property, value, &field, errors);
        } else if let Some(additional) = additional.filter(|a| a.is_object()) {
            check(additional, value, &field, errors);
        } else if declares && !open && additional != Some(&Value::Bool(true)) {
            errors.push(format!("unknown field {field:?}"));
        }
    }
}

fn combinators(schema: &Map<String, Value>, value: &Value, path: &str, errors: &mut Vec<String>) {
    let holds = |sub: &Value| {
        let mut inner = Vec::new();
        check(sub, value, path, &mut inner);
        inner.is_empty()
    };
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        let matching = options.iter().filter(|s| holds(s)).count();
        if matching != 1 {
            errors.push(format!(
                "{}: must match exactly one of the oneOf schemas, matches {matching}",
                at(path)
            ));
        }
    }
    if let Some(options) = schema.get("anyOf").and_then(Value::as_array) {
        if !options.iter().any(holds) {
            errors.push(format!("{}: matches none of the anyOf schemas", at(path)));
        }
    }
    if let Some(not) = schema.get("not") {
        if holds(not) {
            errors.push(format!("{}: must not match the \"not\" schema", at(path)));
        }
    }
}

/// `metadata`, as the API server checks an `ObjectMeta` in a create request.
fn object_meta(metadata: &Value, errors: &mut Vec<String>) {
    let Some(fields) = metadata.as_object() else {
        errors.push("metadata: must be a mapping".to_owned());
        return;
    };
    let subdomain =
        Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$").unwrap();
    let label = Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").unwrap();
    let label_value = Regex::new(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$").unwrap();
    for (key, value) in fields {
        let field = format!("metadata.{key}");
        match key.as_str() {
            "name" => match value.as_str() {
                Some(name) if name.len() <= 253 && subdomain.is_match(name) => {}
                _ => errors.push(format!("{field}: {value} is not a DNS-1123 subdomain")),
            },
            "namespace" => match value.as_str() {
                Some(ns) if ns.len() <= 63 && label.is_match(ns) => {}
                _ => errors.push(format!("{field}: {value} is not a DNS-1123 label")),
            },
            "labels" | "annotations" => {
                let Some(map) = value.as_object() else {
                    errors.push(format!("{field}: must be a mapping"));
                    continue;
                };
                for (k, v) in map {
                    let (prefix, name) = k
                        .rsplit_once('/')
                        .map_or((None, k.as_str()), |(p, n)| (Some(p), n));
                    let key_ok = prefix.is_none_or(|p| p.len() <= 253 && subdomain.is_match(p))
                        && !name.is_empty()
                        && name.len() <= 63
                        && label_value.is_match(name);
                    if !key_ok {
                        errors.push(format!("{field}: invalid key {k:?}"));
                    }
                    let value_ok = v.as_str().is_some_and(|text| {
                        key == "annotations" || (text.len() <= 63 && label_value.is_match(text))
                    });
                    if !value_ok {
                        errors.push(format!("{field}.{k}: invalid value {v}"));
                    }
                }
            }
            "generateName" | "finalizers" | "ownerReferences" => {}
            _ => errors.push(format!("unknown field {field:?}")),
        }
    }
    if !fields.contains_key("name") && !fields.contains_key("generateName") {
        errors.push("metadata.name: required".to_owned());
    }
}
