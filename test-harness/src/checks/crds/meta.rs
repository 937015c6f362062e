//! `metadata`, as the API server checks an `ObjectMeta`: the names it must accept, and no
//! field ObjectMeta lacks.

use regex::Regex;
use serde_json::Value;
use std::sync::LazyLock;

/// The fields of ObjectMeta that are neither checked below nor read by this project; the
/// server sets most of them, and accepts them back as they are.
const OTHER_FIELDS: &[&str] = &[
    "generateName",
    "finalizers",
    "ownerReferences",
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "selfLink",
    "managedFields",
];

static SUBDOMAIN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$").unwrap()
});
static LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$").unwrap());
static LABEL_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$").unwrap());

/// Adds the problems of `metadata` to `errors`.
pub fn check(metadata: &Value, errors: &mut Vec<String>) {
    let Some(fields) = metadata.as_object() else {
        errors.push("metadata: must be a mapping".to_owned());
        return;
    };
    for (key, value) in fields {
        let field = format!("metadata.{key}");
        match key.as_str() {
            "name" => match value.as_str() {
                Some(name) if name.len() <= 253 && SUBDOMAIN.is_match(name) => {}
                _ => errors.push(format!("{field}: {value} is not a DNS-1123 subdomain")),
            },
            "namespace" => match value.as_str() {
                Some(ns) if ns.len() <= 63 && LABEL.is_match(ns) => {}
                _ => errors.push(format!("{field}: {value} is not a DNS-1123 label")),
            },
            "labels" | "annotations" => {
                let Some(map) = value.as_object() else {
                    errors.push(format!("{field}: must be a mapping"));
                    continue;
                };
                for (k, v) in map {
                    if !valid_key(k) {
                        errors.push(format!("{field}: invalid key {k:?}"));
                    }
                    let value_ok = v.as_str().is_some_and(|text| {
                        key == "annotations" || (text.len() <= 63 && LABEL_VALUE.is_match(text))
                    });
                    if !value_ok {
                        errors.push(format!("{field}.{k}: invalid value {v}"));
                    }
                }
            }
            other if OTHER_FIELDS.contains(&other) => {}
            _ => errors.push(format!("unknown field {field:?}")),
        }
    }
    if !fields.contains_key("name") && !fields.contains_key("generateName") {
        errors.push("metadata.name: required".to_owned());
    }
}

/// A label or annotation key: an optional DNS subdomain prefix and `/`, then a name.
fn valid_key(key: &str) -> bool {
    let (prefix, name) = key
        .rsplit_once('/')
        .map_or((None, key), |(p, n)| (Some(p), n));
    prefix.is_none_or(|p| p.len() <= 253 && SUBDOMAIN.is_match(p))
        && !name.is_empty()
        && name.len() <= 63
        && LABEL_VALUE.is_match(name)
}
