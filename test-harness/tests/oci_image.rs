//! `envoyfilter/Dockerfile` builds the image Istio's WasmPlugin `oci://` pull reads: `FROM
//! scratch`, one layer holding `plugin.wasm`, copied from the file the wasm build produces.
//! The recipe and its build context, read; `oci_registry.rs` builds the image with a container
//! engine, pushes it and reads it back.

use sni_guard_harness::paths;
use std::path::Path;

/// The Dockerfile's instructions: comments and blank lines dropped, continuations joined.
fn instructions(text: &str) -> Vec<Vec<String>> {
    let mut joined = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && current.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                joined.push(std::mem::take(&mut current));
            }
        }
    }
    joined
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().map(str::to_owned).collect())
        .collect()
}

/// A `.dockerignore` as BuildKit applies it: the last pattern matching the path or one of its
/// parent folders decides; `!` re-includes.
fn ignored(patterns: &str, path: &str) -> bool {
    let mut excluded = false;
    for pattern in patterns.lines().map(str::trim) {
        if pattern.is_empty() || pattern.starts_with('#') {
            continue;
        }
        let (negated, glob) = match pattern.strip_prefix('!') {
            Some(glob) => (true, glob),
            None => (false, pattern),
        };
        let glob = glob.trim_start_matches('/');
        let mut prefixes = path.match_indices('/').map(|(i, _)| &path[..i]);
        if glob_match(glob, path) || prefixes.any(|dir| glob_match(glob, dir)) {
            excluded = !negated;
        }
    }
    excluded
}

/// `*` (not across `/`), `?`, and literal characters.
fn glob_match(glob: &str, name: &str) -> bool {
    match glob.chars().next() {
        None => name.is_empty(),
        Some('*') => (0..=name.len())
            .filter(|&i| name.is_char_boundary(i) && !name[..i].contains('/'))
            .any(|i| glob_match(&glob[1..], &name[i..])),
        Some('?') => name
            .chars()
            .next()
            .is_some_and(|c| c != '/' && glob_match(&glob[1..], &name[c.len_utf8()..])),
        Some(c) => name
            .strip_prefix(c)
            .is_some_and(|rest| glob_match(&glob[c.len_utf8()..], rest)),
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_image_is_scratch_with_the_built_module_as_plugin_wasm() {
    let root = paths::workspace_root();
    let dockerfile = read(&root.join("envoyfilter/Dockerfile"));
    let steps = instructions(&dockerfile);
    let expected_shape = "FROM scratch, then COPY <module> ./plugin.wasm";
    assert_eq!(steps.len(), 2, "{expected_shape}; got {steps:?}");
    assert_eq!(steps[0], ["FROM", "scratch"], "{expected_shape}");
    let [copy, source, destination] = steps[1].as_slice() else {
        panic!("{expected_shape}; got {:?}", steps[1]);
    };
    assert_eq!(copy, "COPY");
    // Istio takes the image's last layer and the file named plugin.wasm in it.
    assert!(
        ["plugin.wasm", "./plugin.wasm", "/plugin.wasm"].contains(&destination.as_str()),
        "the module must land as plugin.wasm, not {destination}"
    );

    // The source is what `cargo build --release --target wasm32-wasip1` writes, relative to
    // the build context (the repository root).
    assert_eq!(source, "target/wasm32-wasip1/release/sni_guard.wasm");
    let built = paths::module().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        root.join(source).canonicalize().unwrap(),
        built.canonicalize().unwrap(),
        "the Dockerfile copies another file than the one the build produced"
    );
    let magic = std::fs::read(&built).unwrap();
    assert_eq!(
        magic.get(..4),
        Some(&b"\0asm"[..]),
        "{} is not a wasm module",
        built.display()
    );
}

#[test]
fn the_build_context_holds_the_module_only() {
    let root = paths::workspace_root();
    let ignore = read(&root.join("envoyfilter/Dockerfile.dockerignore"));
    assert!(!ignored(
        &ignore,
        "target/wasm32-wasip1/release/sni_guard.wasm"
    ));
    for other in [
        "Cargo.toml",
        "crates/wasm/src/lib.rs",
        "target/debug/deps/libsni_guard.rlib",
        "target/wasm32-wasip1/release/deps/sni_guard.wasm",
        ".git/config",
    ] {
        assert!(
            ignored(&ignore, other),
            "{other} would be sent to the builder"
        );
    }
}

#[test]
fn dockerignore_rules_behave_as_buildkit_applies_them() {
    assert!(ignored("*", "a/b"));
    assert!(!ignored("*\n!a/b", "a/b"));
    assert!(ignored("*\n!a/b", "a/c"));
    assert!(ignored("a/*.wasm", "a/x.wasm"));
    assert!(!ignored("a/*.wasm", "a/b/x.wasm"));
    assert!(!ignored("# *", "a"));
}

#[test]
fn the_documented_build_command_uses_this_recipe() {
    let root = paths::workspace_root();
    let dockerfile = read(&root.join("envoyfilter/Dockerfile"));
    let guide = read(&root.join("envoyfilter/README.md"));
    for text in [&dockerfile, &guide] {
        assert!(
            text.contains("docker buildx build") && text.contains("-f envoyfilter/Dockerfile"),
            "the build command must name envoyfilter/Dockerfile"
        );
    }
    assert!(
        guide.contains(paths::BUILD_MODULE),
        "the guide builds the module first"
    );
}
