//! A local image of the pinned Envoy the harness runs, for `ENVOY_IMAGE` in docker-compose:
//! `FROM scratch`, the binary at `/usr/local/bin/envoy` (the compose file's entrypoint) and
//! the shared libraries `ldd` lists for it and for the native build (which also needs
//! libgcc_s, as images with a C runtime hold it), at their paths. Built with the engine, never
//! pushed; removed when dropped.

use crate::container::engine::{Engine, Image};
use crate::envoy;
use crate::error::{Result, fail};
use crate::process::checked;
use std::path::{Path, PathBuf};
use std::process::Command;

const DOCKERFILE: &str = "\
FROM scratch
COPY rootfs/ /
ENTRYPOINT [\"/usr/local/bin/envoy\"]
";

/// Builds Envoy `version` as `localhost/sni-guard-envoy:<version>-<pid>`.
pub fn build<'a>(engine: &'a Engine, version: &str) -> Result<Image<'a>> {
    let binary = envoy::binary(version)?;
    let context = tempfile::Builder::new()
        .prefix("sni-guard-envoy-image-")
        .tempdir_in(crate::paths::target_dir())?;
    let rootfs = context.path().join("rootfs");
    place(&binary, &rootfs.join("usr/local/bin/envoy"))?;
    let mut libraries = shared_libraries(&binary)?;
    if let Ok(native) = crate::paths::native_module() {
        libraries.extend(shared_libraries(&native)?);
    }
    libraries.sort();
    libraries.dedup();
    for library in libraries {
        let inside = library.strip_prefix("/").unwrap_or(&library);
        place(&library, &rootfs.join(inside))?;
    }
    let dockerfile = context.path().join("Dockerfile");
    std::fs::write(&dockerfile, DOCKERFILE)?;
    let tag = format!("localhost/sni-guard-envoy:{version}-{}", std::process::id());
    engine.build(context.path(), &dockerfile, None, &tag)
}

/// The absolute paths `ldd` resolves for `binary`; an error if one is not found.
fn shared_libraries(binary: &Path) -> Result<Vec<PathBuf>> {
    let listing = checked(Command::new("ldd").arg(binary), "ldd")?;
    let mut paths = Vec::new();
    for line in listing.lines() {
        if line.contains("not found") {
            return Err(fail(format!("ldd {}: {}", binary.display(), line.trim())));
        }
        // "libm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x…)", "/lib64/ld-linux-x86-64.so.2 (0x…)"
        let path = match line.split_once("=>") {
            Some((_, after)) => after.split_whitespace().next(),
            None => line.split_whitespace().next(),
        };
        if let Some(path) = path.filter(|p| p.starts_with('/')) {
            paths.push(PathBuf::from(path));
        }
    }
    Ok(paths)
}

/// `from` at `to`: a hard link when both are on one file system (Envoy is 100 MB), else a
/// copy (of the target, for symbolic links).
fn place(from: &Path, to: &Path) -> Result<()> {
    if let Some(dir) = to.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let from = from.canonicalize()?;
    if std::fs::hard_link(&from, to).is_err() {
        std::fs::copy(&from, to)?;
    }
    Ok(())
}
