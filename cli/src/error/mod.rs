//! The command's errors, typed so that a caller can tell what went wrong. Each displays as
//! the message people have always read (the tests compare them byte for byte).
//!
//! Imports nothing from the rest of the crate: every room may use it without a cycle.

mod input;
mod merge;
mod model;
mod plugin;

pub use input::{FieldError, InputError, Unusable};
pub use merge::MergeError;
pub use model::{AddressNotService, CertificateError, LabelsError, NotAttached, PortUnknown};
pub use plugin::{ConfigurationError, LiveError, SelectionError, ServerProblem, WasmPluginError};
use std::io;
use thiserror::Error;

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
    LiveWasmPlugin { file: String, problem: LiveError },
    /// The selection (`--selector`, `--port`, `--gateway`) matches no listener, or several.
    #[error(transparent)]
    Selection(#[from] SelectionError),
    /// The chosen listener gives no configuration the filter accepts.
    #[error("no configuration for {listener}:\n{problem}")]
    NoConfiguration {
        listener: String,
        problem: ConfigurationError,
    },
    /// The WasmPlugin cannot be written as the flags ask.
    #[error(transparent)]
    WasmPlugin(#[from] WasmPluginError),
    /// No merge plan can be made.
    #[error(transparent)]
    Merge(#[from] MergeError),
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
