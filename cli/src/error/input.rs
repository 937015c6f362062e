//! Input that cannot be read: a field of the wrong type, a file that is no resource.

use thiserror::Error;

/// A field that does not read as its type says: `spec.servers[0].port: missing field
/// `number``. An empty `path` is the value itself.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{}{problem}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
pub struct FieldError {
    pub path: String,
    pub problem: String,
}

/// Why a file's text gives no resources to read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Unusable {
    #[error(
        "UTF-16 text (as Windows PowerShell pipes it): give it as UTF-8, for example with `kubectl ... -o json > gateways.json` in cmd, or `| Out-File -Encoding utf8`"
    )]
    Utf16,
    #[error("not text (invalid UTF-8 at byte {0}): expected YAML or JSON")]
    NotUtf8(usize),
    #[error("not valid JSON: {0}")]
    NotJson(String),
    #[error("not valid YAML (document {document}): {message}")]
    NotYaml { document: usize, message: String },
    #[error("no Kubernetes resources in it (empty, or only comments)")]
    Empty,
    /// What was found instead (`a string`).
    #[error("not a Kubernetes resource: expected a mapping with apiVersion and kind, found {0}")]
    NotMapping(&'static str),
    #[error("not a Kubernetes resource: no apiVersion (a string)")]
    NoApiVersion,
    #[error("not a Kubernetes resource: no kind (a string)")]
    NoKind,
    #[error("items: expected a list, found {0}")]
    ItemsNotList(&'static str),
}

/// Input that cannot be used: the file, where in it (`document 2, items[0]`, or empty for
/// the whole file), and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{file}: {}{problem}", if place.is_empty() { String::new() } else { format!("{place}: ") })]
pub struct InputError {
    pub file: String,
    pub place: String,
    pub problem: Unusable,
}
