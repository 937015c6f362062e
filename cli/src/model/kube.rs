//! What every Kubernetes resource read here has: `metadata` (a missing namespace is
//! `default`, as `kubectl apply` uses), reading with the failing field named, and a resource
//! kept as read.

use crate::error::FieldError;
use crate::model::gateway::Source;
use serde::Deserialize;
use serde_json::Value;

/// The namespace of a resource that names none (as `kubectl apply` would use by default).
pub const DEFAULT_NAMESPACE: &str = "default";

#[derive(Debug, Clone, Deserialize)]
pub struct Metadata {
    pub name: String,
    #[serde(default)]
    pub namespace: Option<String>,
    #[serde(default, rename = "creationTimestamp")]
    pub creation_timestamp: Option<String>,
}

impl Metadata {
    pub fn namespace(&self) -> String {
        self.namespace
            .clone()
            .filter(|ns| !ns.is_empty())
            .unwrap_or_else(|| DEFAULT_NAMESPACE.to_owned())
    }
}

/// Deserializes `value` as `T`; the error names the field (`spec.servers[0].port: missing
/// field `number``).
pub fn read<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, FieldError> {
    read_at(value, "")
}

/// [`read`] of a value found at `at` (`spec.servers[1]`), which the error's path starts with.
pub fn read_at<T: serde::de::DeserializeOwned>(value: &Value, at: &str) -> Result<T, FieldError> {
    // Tracking the path costs as much again; it is needed only to say where a value is wrong.
    T::deserialize(value).or_else(|_| {
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = match (e.path().to_string(), at) {
                (path, at) if path == "." => at.to_owned(),
                (path, "") => path,
                (path, at) => format!("{at}.{path}"),
            };
            FieldError {
                path,
                problem: e.inner().to_string(),
            }
        })
    })
}

/// A resource kept as read (a VirtualService), with where it came from.
#[derive(Debug, Clone)]
pub struct Resource {
    pub namespace: String,
    pub name: String,
    pub value: Value,
    pub source: Source,
}
