//! The OCI image Istio pulls for `url: oci://...`, for real: `envoyfilter/Dockerfile` built by
//! the container engine (a Docker engine, or podman's service in its sandbox) from the
//! repository root, pushed to a registry on loopback (Debian's `docker-registry`, started and
//! stopped by the test), and read back as Istio's image fetcher reads it: the manifest (its
//! digest printed, and checked by `skopeo inspect`), one layer, gzip'd tar holding
//! `plugin.wasm` byte-identical to the built module; that `plugin.wasm`, run in the harness's
//! topology, answers 421. And: two builds of the same sources give the same module bytes.

use flate2::read::GzDecoder;
use serde_json::Value;
use sni_guard_harness::container::engine::Engine;
use sni_guard_harness::container::registry::Registry;
use sni_guard_harness::process::checked;
use sni_guard_harness::{Filter, Gateway, Protocol, Topology, paths, rebuild, sha256};
use std::io::Read;

/// The manifest types Istio's fetcher (go-containerregistry) accepts for an image.
const MANIFEST_TYPES: &str = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json";
/// The layer types of Istio's "compat" Wasm image: the last layer, a gzip'd tar.
const LAYER_TYPES: [&str; 2] = [
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
];

/// The regular files of a tar archive: (name, bytes).
fn files_of(tar_bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(tar_bytes);
    let mut files = Vec::new();
    for entry in archive.entries().expect("a tar archive") {
        let mut entry = entry.expect("a tar entry");
        let name = entry.path().expect("an entry name").display().to_string();
        let kind = entry.header().entry_type();
        assert!(
            kind.is_file() || kind.is_dir(),
            "{name}: unexpected entry type {kind:?}"
        );
        if kind.is_file() {
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).expect("entry bytes");
            files.push((name.trim_start_matches("./").to_string(), bytes));
        }
    }
    files
}

#[test]
fn the_pushed_image_holds_the_module_as_istio_reads_it() {
    let engine = Engine::start().unwrap();
    let module = std::fs::read(paths::module().unwrap()).unwrap();
    let registry = Registry::start(&engine).unwrap();
    let reference = format!("sni-guard:test-{}", std::process::id());
    let tag = format!("{}/{reference}", registry.host());
    let root = paths::workspace_root();
    // Removed from the engine when dropped.
    let _image = engine
        .build(
            &root,
            &root.join("envoyfilter/Dockerfile"),
            Some(&root.join("envoyfilter/Dockerfile.dockerignore")),
            &tag,
        )
        .unwrap();
    engine.push_to_loopback(&tag).unwrap();

    // The registry's answer, as Istio's fetcher asks for it.
    let (name, version) = reference.split_once(':').unwrap();
    let manifest = registry
        .get(
            &engine,
            &format!("/v2/{name}/manifests/{version}"),
            MANIFEST_TYPES,
        )
        .unwrap();
    assert_eq!(manifest.status, 200, "{manifest:?}");
    let digest = format!("sha256:{}", sha256::hex(&manifest.body));
    assert_eq!(
        manifest.header("docker-content-digest"),
        Some(digest.as_str())
    );
    let inspect = checked(
        engine
            .command("skopeo")
            .args(["inspect", "--tls-verify=false"])
            .arg(format!("docker://{tag}")),
        "skopeo inspect (test-harness/setup.sh installs skopeo)",
    )
    .unwrap();
    let inspect: Value = serde_json::from_str(&inspect).unwrap();
    assert_eq!(inspect["Digest"], digest.as_str(), "{inspect}");

    let manifest: Value = serde_json::from_slice(&manifest.body).unwrap();
    let layers = manifest["layers"].as_array().expect("layers");
    assert_eq!(layers.len(), 1, "one layer: {manifest}");
    assert_eq!(inspect["Layers"].as_array().map(Vec::len), Some(1));
    let layer = &layers[0];
    let media_type = layer["mediaType"].as_str().unwrap_or_default();
    assert!(LAYER_TYPES.contains(&media_type), "{media_type}");
    let layer_digest = layer["digest"].as_str().expect("layer digest");
    let blob = registry
        .get(&engine, &format!("/v2/{name}/blobs/{layer_digest}"), "")
        .unwrap();
    assert_eq!(blob.status, 200);
    assert_eq!(format!("sha256:{}", sha256::hex(&blob.body)), layer_digest);
    let mut tar_bytes = Vec::new();
    GzDecoder::new(blob.body.as_slice())
        .read_to_end(&mut tar_bytes)
        .expect("the layer is gzip'd");
    let files = files_of(&tar_bytes);
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["plugin.wasm"], "the layer's files");
    assert!(
        files[0].1 == module,
        "plugin.wasm ({} bytes, sha256 {}) is not the built module ({} bytes, sha256 {})",
        files[0].1.len(),
        sha256::hex(&files[0].1),
        module.len(),
        sha256::hex(&module)
    );
    println!(
        "{}: pushed {tag}, digest {digest}; one layer {layer_digest} ({media_type}) holding plugin.wasm, {} bytes, sha256 {}",
        engine.describe(),
        module.len(),
        sha256::hex(&module)
    );

    // That plugin.wasm in Envoy: strict without a table, a coalesced request gets 421.
    let pulled = tempfile::Builder::new().suffix(".wasm").tempfile().unwrap();
    std::fs::write(pulled.path(), &files[0].1).unwrap();
    let gateway = Gateway::builder(Topology::TwoGateways)
        .filter(&Filter::Module(pulled.path().to_path_buf()))
        .start()
        .unwrap();
    let client = gateway.client().unwrap();
    let mut connection = client.h2(Some("a.example.com")).unwrap();
    assert_eq!(connection.get("a.example.com").unwrap().status, 200);
    assert_eq!(connection.get("b.example.com").unwrap().status, 421);
    let retry = client
        .get(Protocol::Http2, Some("b.example.com"), "b.example.com")
        .unwrap();
    assert_eq!(retry.status, 200);
    assert_eq!(gateway.counter("misdirected").unwrap(), 1);
}

#[test]
fn two_builds_of_the_same_sources_give_the_same_module() {
    let built = std::fs::read(paths::module().unwrap()).unwrap();
    let elsewhere = tempfile::Builder::new()
        .prefix("sni-guard-rebuild-")
        .tempdir()
        .unwrap();
    let sources = elsewhere.path().join("sources");
    rebuild::copy_sources(&sources).unwrap();
    let again = rebuild::build(&sources, &elsewhere.path().join("target"), None).unwrap();
    let again = std::fs::read(again).unwrap();
    assert!(
        again == built,
        "a build of the same sources in {} gives {} bytes (sha256 {}), target/ holds {} bytes (sha256 {}): \
         the build is not reproducible, or target/'s module is older than the sources ({})",
        sources.display(),
        again.len(),
        sha256::hex(&again),
        built.len(),
        sha256::hex(&built),
        paths::BUILD_MODULE
    );
    println!(
        "two builds, in {} and {}: {} bytes each, sha256 {}",
        paths::workspace_root().display(),
        sources.display(),
        built.len(),
        sha256::hex(&built)
    );
}
