//! Runs the real `sni-guard` binary from the fixtures folder.

#![allow(dead_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test helpers may fail loudly

pub mod istiod;

use serde::Deserialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// The `name` of each server of a printed plugin configuration.
    pub fn server_names(&self) -> Vec<String> {
        self.json()["servers"]
            .as_array()
            .expect("a servers list")
            .iter()
            .map(|s| s["name"].as_str().expect("a name").to_owned())
            .collect()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixtures().join(name)).expect("fixture")
}

/// `sni-guard ARGS` in the fixtures folder, with `stdin` as standard input.
pub fn sni_guard_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sni-guard"))
        .args(args)
        .current_dir(fixtures())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start sni-guard");
    let mut pipe = child.stdin.take().expect("stdin");
    pipe.write_all(stdin).expect("write stdin");
    drop(pipe);
    let out = child.wait_with_output().expect("run sni-guard");
    Output {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    }
}

/// `sni-guard ARGS` in the fixtures folder, with empty standard input.
pub fn sni_guard(args: &[&str]) -> Output {
    sni_guard_stdin(args, b"")
}

/// The fixtures that are valid Gateway resources.
pub const GOOD_FIXTURES: [&str; 13] = [
    "passthrough-beside-wildcard.yaml",
    "different-certificates.yaml",
    "workload-selectors.yaml",
    "gateway-api-conformance.yaml",
    "two-gateways-shared-wildcard.yaml",
    "one-gateway-two-servers.yaml",
    "merged-gateway.yaml",
    "different-workloads.yaml",
    "namespace-hosts.yaml",
    "duplicate-host.yaml",
    "not-http-filter-chains.yaml",
    "file-certificates.yaml",
    "kubectl-list.json",
];

/// The documents of a multi-document YAML text (empty ones left out).
pub fn documents(text: &str) -> Vec<serde_json::Value> {
    yaml_serde::Deserializer::from_str(text)
        .map(|d| serde_json::Value::deserialize(d).unwrap())
        .filter(|v| !v.is_null())
        .collect()
}

/// The `CONFLICT: ...` lines of an audit report.
pub fn conflict_titles(stdout: &str) -> Vec<&str> {
    stdout
        .lines()
        .filter(|l| l.starts_with("CONFLICT: "))
        .collect()
}

/// `stderr` without its `sni-guard: note:` lines.
pub fn without_notes(stderr: &str) -> String {
    stderr
        .lines()
        .filter(|l| !l.starts_with("sni-guard: note: "))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A temporary folder removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        // Tests run on threads of one process: each folder needs a name of its own.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("sni-guard-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temporary folder");
        TempDir(dir)
    }

    /// Writes `text` to `name` in the folder; returns its path as a string.
    pub fn write(&self, name: &str, text: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write");
        path.to_str().expect("UTF-8 path").to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `text` with every run of white space (line wraps included) as one space, to look for a
/// phrase in a wrapped report.
pub fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A `v1 Secret` `namespace/name` (YAML) holding a self-signed certificate for `names`.
pub fn tls_secret_yaml(namespace: &str, name: &str, names: &[&str]) -> String {
    use base64::Engine as _;
    let key = rcgen::KeyPair::generate().unwrap();
    let cert =
        rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .unwrap()
            .self_signed(&key)
            .unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    format!(
        "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\nmetadata: {{name: {name}, namespace: {namespace}}}\ndata:\n  tls.crt: {}\n  tls.key: {}\n",
        b64.encode(cert.pem()),
        b64.encode(key.serialize_pem())
    )
}

/// Writes `text` as `name` in `dir`, after checking each object whose kind has a CRD in
/// ../shared (Istio's, the Gateway API's) against it; the path written.
pub fn write_checked(dir: &TempDir, name: &str, text: &str) -> String {
    use sni_guard_harness::checks::crds;
    if let (Some(istio), Some(gateway_api)) = (crds::istio(name), crds::gateway_api(name)) {
        for doc in documents(text) {
            let v = doc["apiVersion"].as_str().unwrap_or_default();
            let k = doc["kind"].as_str().unwrap_or_default();
            if let Some(crds) = [istio, gateway_api].into_iter().find(|c| c.has(v, k)) {
                crds.validate(&doc)
                    .unwrap_or_else(|p| panic!("{name}: {k}: {p:?}"));
            }
        }
    }
    dir.write(name, text)
}
