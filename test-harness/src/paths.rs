//! Where the harness finds the project's files.

use crate::error::{fail, Result};
use std::path::{Path, PathBuf};

/// The workspace root (the folder holding the root `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    let harness = Path::new(env!("CARGO_MANIFEST_DIR"));
    harness.parent().unwrap_or(harness).to_path_buf()
}

/// `test-harness/`.
pub fn harness_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Topology (a): the Envoy configuration docker-compose mounts at `/etc/envoy/envoy.yaml`.
pub fn two_gateways_yaml() -> PathBuf {
    harness_dir().join("envoy/two-gateways.yaml")
}

/// Topology (b): the Gateway API conformance topology, same container layout.
pub fn conformance_yaml() -> PathBuf {
    harness_dir().join("envoy/conformance.yaml")
}

/// Topology (c): a MUTUAL server beside a SIMPLE wildcard one on one certificate.
pub fn mutual_beside_wildcard_yaml() -> PathBuf {
    harness_dir().join("envoy/mutual-beside-wildcard.yaml")
}

/// The Lua workaround's source.
pub fn lua_workaround() -> PathBuf {
    harness_dir().join("envoy/misdirected-request.lua")
}

/// The comparison table kept in the repository.
pub fn comparison_md() -> PathBuf {
    harness_dir().join("comparison.md")
}

/// The Envoy installer (`install-envoy.sh [VERSION]`).
pub fn install_envoy_script() -> PathBuf {
    harness_dir().join("install-envoy.sh")
}

/// The command that builds the module.
pub const BUILD_MODULE: &str = "cargo build --release --target wasm32-wasip1";

/// The cargo target folder (`target/`, or `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(|dir| workspace_root().join(dir))
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// The module, `target/wasm32-wasip1/release/sni_guard.wasm`; an error says how to build it.
pub fn module() -> Result<PathBuf> {
    module_in(&target_dir())
}

/// The module under a cargo target folder.
pub fn module_in(target: &Path) -> Result<PathBuf> {
    let wasm = target.join("wasm32-wasip1/release/sni_guard.wasm");
    if wasm.is_file() {
        Ok(wasm)
    } else {
        Err(fail(format!(
            "the module {} is missing: build it with `{BUILD_MODULE}` in {}",
            wasm.display(),
            workspace_root().display()
        )))
    }
}
