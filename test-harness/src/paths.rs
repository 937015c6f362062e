//! Where the harness finds the project's files.

use crate::error::{Result, fail};
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

/// The module, `target/wasm32-wasip1/release/sni_guard.wasm`; an error says how to build it,
/// and refuses a module older than one of the files it was built from (a test must not pass
/// on an old build).
pub fn module() -> Result<PathBuf> {
    let wasm = module_in(&target_dir())?;
    fresh(&wasm, &wasm.with_file_name("sni_guard.d"), BUILD_MODULE)?;
    Ok(wasm)
}

/// The command that builds the native module.
pub const BUILD_NATIVE: &str = "cargo build --release -p sni-guard-native";

/// The folder Envoy finds the native module in (`ENVOY_DYNAMIC_MODULES_SEARCH_PATH`):
/// `target/release`.
pub fn native_dir() -> PathBuf {
    target_dir().join("release")
}

/// The native module, `target/release/libsni_guard_native.so`; refused when missing or older
/// than a file it was built from, as [`module`] is.
pub fn native_module() -> Result<PathBuf> {
    let library = native_dir().join("libsni_guard_native.so");
    if !library.is_file() {
        return Err(fail(format!(
            "the native module {} is missing: build it with `{BUILD_NATIVE}` in {}",
            library.display(),
            workspace_root().display()
        )));
    }
    fresh(
        &library,
        &library.with_file_name("libsni_guard_native.d"),
        BUILD_NATIVE,
    )?;
    Ok(library)
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

/// `Err` naming a source that changed after `module` was built: the sources are those cargo
/// lists in the build's dep-info file (`dep_info`), and compared as cargo compares them, so
/// the build command the error gives (`build`) always clears it.
pub fn fresh(module: &Path, dep_info: &Path, build: &str) -> Result<()> {
    let built = std::fs::metadata(module)?.modified()?;
    let listing = std::fs::read_to_string(dep_info).map_err(|e| {
        fail(format!(
            "{}: {e}: build the module with `{build}`",
            dep_info.display()
        ))
    })?;
    let first = listing.lines().next().unwrap_or_default();
    let sources = first.split_once(": ").map_or("", |(_, rest)| rest);
    // Paths are separated by spaces; a space inside one is escaped with a backslash.
    let mut paths = Vec::new();
    let mut current = String::new();
    let mut chars = sources.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => current.extend(chars.next()),
            ' ' => paths.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    paths.push(current);
    for path in paths.iter().filter(|p| !p.is_empty()) {
        if std::fs::metadata(path)?.modified()? > built {
            return Err(fail(format!(
                "the module {} is older than {path}: build it again with `{build}` in {}",
                module.display(),
                workspace_root().display()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, SystemTime};

    #[test]
    fn a_module_older_than_a_source_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let module = dir.path().join("sni_guard.wasm");
        let source = dir.path().join("a dir/filter.rs");
        let other = dir.path().join("lib.rs");
        std::fs::create_dir_all(source.parent().unwrap()).unwrap();
        for file in [&module, &source, &other] {
            std::fs::write(file, b"x").unwrap();
        }
        let dep_info = dir.path().join("sni_guard.d");
        let escaped = source.display().to_string().replace(' ', "\\ ");
        std::fs::write(
            &dep_info,
            format!(
                "{}: {} {}\n\n{}:\n",
                module.display(),
                other.display(),
                escaped,
                other.display()
            ),
        )
        .unwrap();
        let set = |path: &Path, at: SystemTime| {
            let file = std::fs::File::options().write(true).open(path).unwrap();
            file.set_modified(at).unwrap();
        };
        let now = SystemTime::now();
        set(&module, now);
        set(&other, now - Duration::from_secs(60));
        set(&source, now - Duration::from_secs(60));
        fresh(&module, &dep_info, BUILD_MODULE).unwrap();
        set(&source, now + Duration::from_secs(60));
        let error = fresh(&module, &dep_info, BUILD_MODULE)
            .unwrap_err()
            .to_string();
        assert!(error.contains("is older than"), "{error}");
        assert!(error.contains("a dir/filter.rs"), "{error}");
        assert!(error.contains(BUILD_MODULE), "{error}");
    }
}
