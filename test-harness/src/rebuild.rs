//! The module built again, away from `target/`: from a copy of the working tree's sources in
//! another folder (is the build reproducible?), or with another optimisation level (a second,
//! different sni-guard module, as a new release is).

use crate::error::{Result, fail};
use crate::paths;
use crate::process::checked;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Copies the working tree's files that git knows (tracked, or new and not ignored), except
/// the fuzzing seeds, to `to`.
pub fn copy_sources(to: &Path) -> Result<()> {
    let root = paths::workspace_root();
    let listing = checked(
        Command::new("git").current_dir(&root).args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ]),
        "listing the sources (the module is rebuilt from a git checkout)",
    )?;
    let mut copied = 0;
    for file in listing.split('\0').filter(|f| !f.is_empty()) {
        let from = root.join(file);
        if file.starts_with("fuzz/") || !from.is_file() {
            continue;
        }
        let dest = to.join(file);
        if let Some(dir) = dest.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::copy(&from, &dest)?;
        copied += 1;
    }
    match copied {
        0 => Err(fail(format!(
            "no source files listed in {}",
            root.display()
        ))),
        _ => Ok(()),
    }
}

/// `cargo build --release --target wasm32-wasip1` of the workspace in `sources`, into
/// `target`, optionally at another `opt-level`; the module it wrote.
pub fn build(sources: &Path, target: &Path, opt_level: Option<&str>) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(sources)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip1",
            "--locked",
        ])
        .args(["--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", target);
    if let Some(level) = opt_level {
        command.env("CARGO_PROFILE_RELEASE_OPT_LEVEL", level);
    }
    checked(
        &mut command,
        &format!("building the module in {}", sources.display()),
    )?;
    paths::module_in(target)
}
