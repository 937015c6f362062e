//! The command's errors, typed so that a caller can tell what went wrong. Each displays as
//! the message people have always read (the tests compare them byte for byte).
//!
//! Imports nothing from the rest of the crate: every room may use it without a cycle.

use std::io;
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

/// What stops a command: said on stderr as `sni-guard: error: ...`.
#[derive(Debug, Error)]
pub enum Error {
    /// A file whose text cannot be used.
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("-: standard input is named twice")]
    StdinTwice,
    /// A file (`<stdin>`) that cannot be read at all.
    #[error("{file}: cannot read: {source}")]
    Unreadable { file: String, source: io::Error },
    /// No Gateway could be read: what the input holds, and what was left out and why.
    #[error("the input has no Gateway (networking.istio.io or gateway.networking.k8s.io) that could be read; it holds {contents}{}", left_out.iter().map(|l| format!("\n  {l}")).collect::<String>())]
    NoGateway {
        contents: String,
        left_out: Vec<String>,
    },
    /// `--check`'s live WasmPlugin does not read.
    #[error("{file}: {problem}")]
    LiveWasmPlugin { file: String, problem: String },
    /// The selection (`--selector`, `--port`, `--gateway`) matches no listener, or several.
    #[error("{0}")]
    Selection(String),
    /// The chosen listener gives no configuration the filter accepts.
    #[error("no configuration for {listener}:\n{problem}")]
    NoConfiguration { listener: String, problem: String },
    /// The WasmPlugin cannot be written as the flags ask.
    #[error("{0}")]
    WasmPlugin(String),
    /// No merge plan can be made.
    #[error("{0}")]
    Merge(String),
    /// Writing stdout or stderr failed.
    #[error("writing the output: {0}")]
    Output(#[from] io::Error),
}

impl Error {
    /// Whether the input itself is unusable (rather than what was asked of it).
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            Error::Input(_)
                | Error::StdinTwice
                | Error::Unreadable { .. }
                | Error::NoGateway { .. }
        )
    }
}
