//! `docker-compose.yml`: Debian's `docker-compose` accepts it; every bind-mount source exists
//! after the documented steps (module build, `demo-certs`); the Envoy configuration it mounts,
//! with the container paths mapped to their sources, passes `envoy --mode validate`; and that
//! configuration is the file the harness runs live.

use serde_json::Value;
use sni_guard_harness::{Topology, container::compose, default_version, envoy, paths};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const ENVOY_CONFIG: &str = "/etc/envoy/envoy.yaml";

/// `docker-compose -f docker-compose.yml config` with `env`, parsed.
fn compose_config(env: &[(&str, &str)]) -> Value {
    let out = compose::command(&["config"])
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| {
            panic!("docker-compose: {e} (test-harness/setup.sh installs Debian's docker-compose)")
        });
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "docker-compose config refused docker-compose.yml:\n{stderr}"
    );
    yaml_serde::from_slice(&out.stdout).expect("docker-compose config prints YAML")
}

fn envoy_service(config: &Value) -> &Value {
    let services = config["services"].as_object().expect("services");
    assert_eq!(
        services.keys().collect::<Vec<_>>(),
        ["envoy"],
        "one Envoy service"
    );
    &services["envoy"]
}

/// The service's bind mounts: container path → host path.
fn bind_mounts(service: &Value) -> Vec<(String, PathBuf)> {
    service["volumes"]
        .as_array()
        .expect("volumes")
        .iter()
        .map(|v| {
            assert_eq!(v["type"], "bind", "{v}");
            assert_eq!(v["read_only"], true, "{v}");
            let target = v["target"].as_str().expect("target").to_owned();
            (target, PathBuf::from(v["source"].as_str().expect("source")))
        })
        .collect()
}

fn source_of(mounts: &[(String, PathBuf)], target: &str) -> PathBuf {
    mounts
        .iter()
        .find(|(t, _)| t == target)
        .map(|(_, s)| s.clone())
        .unwrap_or_else(|| panic!("nothing is mounted at {target}"))
}

/// Runs the documented certificate step once per test run (existing certificates are kept;
/// two concurrent runs could mix the files of two PKIs).
fn demo_certs() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        let out = Command::new(env!("CARGO_BIN_EXE_demo-certs"))
            .output()
            .expect("demo-certs runs");
        assert!(
            out.status.success(),
            "demo-certs: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

fn canonical(path: &Path) -> PathBuf {
    path.canonicalize()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn docker_compose_accepts_the_file_with_its_defaults_and_overrides() {
    let config = compose_config(&[]);
    let envoy = envoy_service(&config);
    // The image of the Envoy line the suite runs (`1.40.0` in envoy-versions: `v1.40-latest`).
    let (line, _patch) = default_version().rsplit_once('.').unwrap();
    assert_eq!(envoy["image"], format!("envoyproxy/envoy:v{line}-latest"));
    assert_eq!(
        envoy["entrypoint"],
        serde_json::json!(["/usr/local/bin/envoy"])
    );
    let command: Vec<&str> = envoy["command"]
        .as_array()
        .expect("command")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        command.windows(2).any(|w| w == ["-c", ENVOY_CONFIG]),
        "{command:?}"
    );
    let ports: BTreeSet<&str> = envoy["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        ports,
        BTreeSet::from(["127.0.0.1:8443:8443/tcp", "127.0.0.1:9901:9901/tcp"])
    );

    // Istio's proxy image: another image, and its Envoy started the same way.
    let istio = compose_config(&[
        ("ENVOY_IMAGE", "istio/proxyv2:1.28.0"),
        ("ENVOY_LOG_LEVEL", "debug"),
    ]);
    let envoy = envoy_service(&istio);
    assert_eq!(envoy["image"], "istio/proxyv2:1.28.0");
    assert_eq!(envoy["entrypoint"][0], "/usr/local/bin/envoy");
    assert_eq!(
        envoy["command"].as_array().and_then(|c| c.last()),
        Some(&Value::from("debug"))
    );
    let other = compose_config(&[("ENVOY_ENTRYPOINT", "/usr/bin/envoy")]);
    assert_eq!(envoy_service(&other)["entrypoint"][0], "/usr/bin/envoy");
}

#[test]
fn the_mounted_configuration_is_the_file_the_harness_runs() {
    let mounts = bind_mounts(envoy_service(&compose_config(&[])));
    let mounted = source_of(&mounts, ENVOY_CONFIG);
    assert_eq!(canonical(&mounted), canonical(&paths::two_gateways_yaml()));
    assert_eq!(
        canonical(&mounted),
        canonical(&Topology::TwoGateways.path())
    );
}

#[test]
fn every_mount_source_exists_after_the_documented_steps() {
    // Step 1 (`cargo build --release --target wasm32-wasip1`) ran before the tests.
    let module = paths::module().unwrap_or_else(|e| panic!("{e}"));
    demo_certs();
    let mounts = bind_mounts(envoy_service(&compose_config(&[])));
    for (target, source) in &mounts {
        assert!(
            source.exists(),
            "{} (mounted at {target}) is missing after the documented steps",
            source.display()
        );
    }
    assert_eq!(
        canonical(&source_of(&mounts, "/etc/envoy/sni_guard.wasm")),
        canonical(&module)
    );
    let certs = source_of(&mounts, "/etc/envoy/certs");
    for file in ["ca.pem", "server.pem", "server-key.pem"] {
        assert!(
            certs.join(file).is_file(),
            "{} has no {file}",
            certs.display()
        );
    }
}

/// Every string naming a mounted container path, rewritten to the mount's source.
fn map_container_paths(value: &mut yaml_serde::Value, mounts: &[(String, PathBuf)]) {
    match value {
        yaml_serde::Value::String(text) => {
            for (target, source) in mounts {
                if text == target {
                    *text = source.display().to_string();
                } else if let Some(rest) = text.strip_prefix(&format!("{target}/")) {
                    *text = source.join(rest).display().to_string();
                }
            }
        }
        yaml_serde::Value::Mapping(map) => map
            .iter_mut()
            .for_each(|(_, v)| map_container_paths(v, mounts)),
        yaml_serde::Value::Sequence(list) => {
            list.iter_mut().for_each(|v| map_container_paths(v, mounts))
        }
        _ => {}
    }
}

fn container_paths(value: &yaml_serde::Value, found: &mut Vec<String>) {
    match value {
        yaml_serde::Value::String(text) if text.starts_with("/etc/envoy") => {
            found.push(text.clone())
        }
        yaml_serde::Value::Mapping(map) => map.iter().for_each(|(_, v)| container_paths(v, found)),
        yaml_serde::Value::Sequence(list) => list.iter().for_each(|v| container_paths(v, found)),
        _ => {}
    }
}

fn validate(envoy_bin: &Path, config: &yaml_serde::Value) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("envoy.yaml");
    std::fs::write(&file, yaml_serde::to_string(config).unwrap()).unwrap();
    let out = Command::new(envoy_bin)
        .args(["--mode", "validate", "--config-path"])
        .arg(&file)
        .output()
        .expect("envoy runs");
    let log =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success() && log.contains(" OK"), log)
}

#[test]
fn the_mounted_configuration_passes_envoy_validate() {
    paths::module().unwrap_or_else(|e| panic!("{e}"));
    demo_certs();
    let mounts = bind_mounts(envoy_service(&compose_config(&[])));
    let text = std::fs::read_to_string(source_of(&mounts, ENVOY_CONFIG)).unwrap();
    let original: yaml_serde::Value = yaml_serde::from_str(&text).unwrap();
    let mut config = original.clone();
    map_container_paths(&mut config, &mounts);
    let mut unmapped = Vec::new();
    container_paths(&config, &mut unmapped);
    assert!(
        unmapped.is_empty(),
        "container paths no mount provides: {unmapped:?}"
    );

    let bin = envoy::binary(default_version()).unwrap();
    let (ok, log) = validate(&bin, &config);
    assert!(
        ok,
        "envoy --mode validate refused the mounted configuration:\n{log}"
    );

    // The check has teeth: the file as the container sees it names files this machine lacks.
    if !Path::new("/etc/envoy").exists() {
        let (ok, log) = validate(&bin, &original);
        assert!(!ok, "unmapped container paths validated:\n{log}");
        assert!(log.contains("/etc/envoy/"), "{log}");
    }
}

#[test]
fn the_published_ports_are_the_ones_envoy_listens_on() {
    let compose = compose_config(&[]);
    let service = envoy_service(&compose);
    let published: BTreeSet<u64> = service["ports"]
        .as_array()
        .expect("ports")
        .iter()
        .filter_map(Value::as_str)
        .map(|p| {
            // host_ip:host_port:container_port/protocol
            let container = p.rsplit(':').next().unwrap_or_default();
            let number = container.trim_end_matches("/tcp");
            number.parse().unwrap_or_else(|_| panic!("port {p:?}"))
        })
        .collect();
    let mounts = bind_mounts(service);
    let text = std::fs::read_to_string(source_of(&mounts, ENVOY_CONFIG)).unwrap();
    let config: Value = yaml_serde::from_str(&text).unwrap();
    let mut listening = BTreeSet::new();
    let admin = &config["admin"]["address"]["socket_address"];
    assert_eq!(
        admin["address"], "0.0.0.0",
        "the admin must be reachable from the host"
    );
    listening.insert(admin["port_value"].as_u64().expect("admin port"));
    for listener in config["static_resources"]["listeners"]
        .as_array()
        .expect("listeners")
    {
        let address = &listener["address"]["socket_address"];
        assert_eq!(address["address"], "0.0.0.0", "{listener}");
        listening.insert(address["port_value"].as_u64().expect("listener port"));
    }
    assert_eq!(published, listening);
}

/// `docker-compose.yml` with `docker-compose.native.yml`: the native topology file and the
/// library mounted, Envoy told where to find it; that file is the Wasm one with the native
/// entry in sni-guard's place; with the library mounted it passes `envoy --mode validate`.
#[test]
fn the_native_override_mounts_the_library_and_its_topology() {
    let out = compose::command_with(&[compose::FILE, compose::NATIVE_FILE], &["config"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config: Value = yaml_serde::from_slice(&out.stdout).unwrap();
    let service = envoy_service(&config);
    assert_eq!(
        service["environment"]["ENVOY_DYNAMIC_MODULES_SEARCH_PATH"],
        "/etc/envoy/modules"
    );
    let mounts = bind_mounts(service);
    let native_file = paths::harness_dir().join("envoy/two-gateways-native.yaml");
    assert_eq!(
        canonical(&source_of(&mounts, ENVOY_CONFIG)),
        canonical(&native_file)
    );
    let library = paths::native_module().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        canonical(&source_of(
            &mounts,
            "/etc/envoy/modules/libsni_guard_native.so"
        )),
        canonical(&library)
    );
    // The same topology, sni-guard's entry aside.
    let wasm = Topology::TwoGateways.load().unwrap();
    let json = sni_guard_harness::plugin_slot::configuration(&wasm).unwrap();
    let mut expected = wasm;
    sni_guard_harness::plugin_slot::visit_http_filters_mut(&mut expected, &mut |filters| {
        if let Some(slot) = filters
            .iter_mut()
            .find(|f| sni_guard_harness::plugin_slot::is_sni_guard(f))
        {
            *slot = envoy::topology::native_entry(&json).unwrap();
        }
    });
    let native = envoy::topology::load(&native_file).unwrap();
    assert_eq!(native, expected);
    demo_certs();
    let mut mapped = native.clone();
    map_container_paths(&mut mapped, &mounts);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("envoy.yaml");
    std::fs::write(&file, yaml_serde::to_string(&mapped).unwrap()).unwrap();
    let out = Command::new(envoy::binary(default_version()).unwrap())
        .args(["--mode", "validate", "--config-path"])
        .arg(&file)
        .env(
            "ENVOY_DYNAMIC_MODULES_SEARCH_PATH",
            library.parent().unwrap(),
        )
        .output()
        .unwrap();
    let log =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && log.contains(" OK"), "{log}");
}
