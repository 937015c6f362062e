//! Istio's and the Gateway API's CRD schemas, checked as the API server checks a manifest for
//! `kubectl apply --validate=strict`: the one validator of the project's manifests (the
//! harness's `envoyfilter/` tests and the CLI's generated WasmPlugins, fixture Gateways and
//! merge plans).
//!
//! - The OpenAPI schema of the resource's version (`spec.versions[].schema.openAPIV3Schema`)
//!   with the `jsonschema` crate (draft 4, which OpenAPI v3 schemas follow): types, enums,
//!   patterns, bounds, required fields, `oneOf` / `anyOf` / `not`. `nullable: true` lets a
//!   field be null.
//! - What the API server adds to JSON Schema, here by hand ([`schema`]): unknown fields are
//!   errors (an object is closed unless it says `x-kubernetes-preserve-unknown-fields: true`
//!   or has `additionalProperties`), `x-kubernetes-list-type` keys are unique, `int32` /
//!   `int64` formats are in range, `x-kubernetes-int-or-string`, and `metadata` is checked as
//!   an `ObjectMeta` ([`meta`]).
//! - The CEL rules (`x-kubernetes-validations`) the objects reach, evaluated in Rust
//!   ([`cel`]): only the rules Istio's schemas carry that these manifests reach are known; any
//!   other rule is an error, so a new rule cannot pass unchecked.
//!
//! A schema keyword outside the set the API server's structural schemas use is an error,
//! never skipped.
//!
//! The schemas are found in one place each: `$SNI_GUARD_ISTIO_CRDS`, else
//! `../shared/istio-crds` beside the repository ([`dir`]), and `$SNI_GUARD_GATEWAY_API_CRDS`,
//! else `../shared/gateway-api-crds`. [`istio`] and [`gateway_api`] load them once per test
//! process; where they are missing, the test prints a `skipped:` line with the reason, or fails when
//! `SNI_GUARD_REQUIRE_CRDS=1` (CI sets it in `.ci/run`).

pub mod cel;
mod defaults;
pub mod meta;
pub mod schema;
#[cfg(test)]
mod tests;

use crate::error::{Context, Result, fail};
use crate::paths;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Names the folder of Istio's CRD schemas (default: `../shared/istio-crds` beside the
/// repository).
pub const DIR_VAR: &str = "SNI_GUARD_ISTIO_CRDS";
/// `1`: a missing schema folder fails the test instead of skipping it (CI).
pub const REQUIRE_VAR: &str = "SNI_GUARD_REQUIRE_CRDS";

/// Names the folder of the Gateway API's CRD schemas (default: `../shared/gateway-api-crds`).
pub const GATEWAY_API_DIR_VAR: &str = "SNI_GUARD_GATEWAY_API_CRDS";

/// The kinds the Gateway API folder must hold.
const GATEWAY_API_KINDS: [(&str, &str); 3] = [
    ("gateway.networking.k8s.io", "Gateway"),
    ("gateway.networking.k8s.io", "GatewayClass"),
    ("gateway.networking.k8s.io", "ListenerSet"),
];

/// The kinds the Istio folder must hold, by group.
const KINDS: [(&str, &str); 4] = [
    ("networking.istio.io", "Gateway"),
    ("networking.istio.io", "VirtualService"),
    ("networking.istio.io", "EnvoyFilter"),
    ("extensions.istio.io", "WasmPlugin"),
];

/// What a check found.
#[derive(Debug, Default)]
pub struct Checked {
    /// Every problem, each naming the field and the value: `spec.phase: "AUTH" is not one
    /// of ...`, `unknown field "spec.failStrategey"`.
    pub problems: Vec<String>,
    /// The CEL rules the object reached (their messages), each evaluated.
    pub rules: BTreeSet<String>,
}

/// One folder's CustomResourceDefinitions, each version's schema compiled.
pub struct Crds(Vec<Crd>);

struct Crd {
    group: String,
    kind: String,
    versions: Vec<(String, schema::Schema)>,
}

/// The folder of the schemas: `$SNI_GUARD_ISTIO_CRDS`, else `../shared/istio-crds` beside
/// the repository.
pub fn dir() -> PathBuf {
    folder(DIR_VAR, "istio-crds")
}

/// `$var`, else `../shared/<name>` beside the repository.
fn folder(var: &str, name: &str) -> PathBuf {
    match std::env::var_os(var) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => paths::workspace_root().join("../shared").join(name),
    }
}

/// Istio's CRDs for the test `test`, loaded once per process. `None` when the folder is
/// missing: the test is skipped, and says so on stderr (past the test harness's capture).
/// Panics when the folder is missing and [`REQUIRE_VAR`] is `1`, when [`DIR_VAR`] names no
/// folder, or when a CRD does not load.
pub fn istio(test: &str) -> Option<&'static Crds> {
    static CRDS: OnceLock<Option<Crds>> = OnceLock::new();
    shared(test, &CRDS, DIR_VAR, "istio-crds", &KINDS, "Istio's")
}

/// The Gateway API's CRDs (`Gateway`, `GatewayClass`, `ListenerSet`, routes), as [`istio`]
/// loads Istio's, from `$SNI_GUARD_GATEWAY_API_CRDS` or `../shared/gateway-api-crds`.
pub fn gateway_api(test: &str) -> Option<&'static Crds> {
    static CRDS: OnceLock<Option<Crds>> = OnceLock::new();
    let name = "gateway-api-crds";
    shared(
        test,
        &CRDS,
        GATEWAY_API_DIR_VAR,
        name,
        &GATEWAY_API_KINDS,
        "the Gateway API's",
    )
}

/// Names the folder of Envoy Gateway's CRD schemas (default: `../shared/envoy-gateway-crds`).
pub const ENVOY_GATEWAY_DIR_VAR: &str = "SNI_GUARD_ENVOY_GATEWAY_CRDS";

/// The kinds the Envoy Gateway folder must hold.
const ENVOY_GATEWAY_KINDS: [(&str, &str); 2] = [
    ("gateway.envoyproxy.io", "EnvoyExtensionPolicy"),
    ("gateway.envoyproxy.io", "ClientTrafficPolicy"),
];

/// Envoy Gateway v1.9.0's CRDs (`EnvoyExtensionPolicy`, `ClientTrafficPolicy`), as
/// [`istio`] loads Istio's, from `$SNI_GUARD_ENVOY_GATEWAY_CRDS` or
/// `../shared/envoy-gateway-crds`.
pub fn envoy_gateway(test: &str) -> Option<&'static Crds> {
    static CRDS: OnceLock<Option<Crds>> = OnceLock::new();
    shared(
        test,
        &CRDS,
        ENVOY_GATEWAY_DIR_VAR,
        "envoy-gateway-crds",
        &ENVOY_GATEWAY_KINDS,
        "Envoy Gateway's",
    )
}

/// Envoy Gateway v1.9.0's `EnvoyPatchPolicy` and `HTTPRouteFilter` CRDs, kept in this
/// repository (`test-harness/crds/envoy-gateway-v1.9.0/`, source in its README): the shared
/// folder does not hold them.
pub fn envoy_gateway_more() -> &'static Crds {
    static CRDS: OnceLock<Crds> = OnceLock::new();
    CRDS.get_or_init(|| {
        let dir = paths::workspace_root().join("test-harness/crds/envoy-gateway-v1.9.0");
        let kinds = [
            ("gateway.envoyproxy.io", "EnvoyPatchPolicy"),
            ("gateway.envoyproxy.io", "HTTPRouteFilter"),
        ];
        Crds::load_kinds(&dir, &kinds).unwrap_or_else(|e| panic!("{e}"))
    })
}

fn shared<'a>(
    test: &str,
    cell: &'a OnceLock<Option<Crds>>,
    var: &str,
    name: &str,
    kinds: &[(&str, &str)],
    whose: &str,
) -> Option<&'a Crds> {
    let dir = folder(var, name);
    let crds = cell.get_or_init(|| {
        if dir.is_dir() {
            return Some(Crds::load_kinds(&dir, kinds).unwrap_or_else(|e| panic!("{e}")));
        }
        if std::env::var_os(var).is_some_and(|v| !v.is_empty()) {
            panic!("{var}={}: not a folder", dir.display());
        }
        if required() {
            panic!(
                "{whose} CRD schemas are not at {} and {REQUIRE_VAR}=1 requires them \
                 (set {var} to their folder)",
                dir.display()
            );
        }
        None
    });
    if crds.is_none() {
        // Written past the capture, so that `cargo test` shows every skip.
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {test}: {whose} CRD schemas are not at {} (set {var} to their \
             folder; {REQUIRE_VAR}=1 makes this a failure)",
            dir.display()
        );
    }
    crds.as_ref()
}

/// Whether [`REQUIRE_VAR`] asks for the schemas.
fn required() -> bool {
    match std::env::var(REQUIRE_VAR).as_deref() {
        Err(_) | Ok("") | Ok("0") => false,
        Ok("1") => true,
        Ok(other) => panic!("{REQUIRE_VAR}={other:?}: expected 1 or 0"),
    }
}

impl Crds {
    /// Every `*.yaml` of `dir`, one CRD each; the four kinds Istio's manifests here use
    /// must be among them.
    pub fn load(dir: &Path) -> Result<Crds> {
        Crds::load_kinds(dir, &KINDS)
    }

    /// Every `*.yaml` of `dir`, one CRD each; `kinds` must be among them.
    pub fn load_kinds(dir: &Path, kinds: &[(&str, &str)]) -> Result<Crds> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .context(|| format!("reading {}", dir.display()))?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<std::io::Result<_>>()?;
        files.retain(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"));
        files.sort();
        let crds = Crds(files.iter().map(|f| Crd::load(f)).collect::<Result<_>>()?);
        for &(group, kind) in kinds {
            if crds.find(group, kind).is_none() {
                return Err(fail(format!(
                    "{}: no CRD for {kind}.{group}",
                    dir.display()
                )));
            }
        }
        Ok(crds)
    }

    /// Checks one object against the schema of its `apiVersion` and `kind`.
    pub fn check(&self, object: &Value) -> Checked {
        let api_version = object.get("apiVersion").and_then(Value::as_str);
        let kind = object.get("kind").and_then(Value::as_str);
        let (Some(api_version), Some(kind)) = (api_version, kind) else {
            return problem("apiVersion and kind must be strings".to_string());
        };
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let Some(crd) = self.find(group, kind) else {
            return problem(format!("no CRD for kind {kind} in group {group:?}"));
        };
        match crd.versions.iter().find(|(name, _)| name == version) {
            Some((_, schema)) => schema.check(object),
            None => problem(format!("CRD {kind}.{group} has no version {version}")),
        }
    }

    /// [`Crds::check`]'s problems as a result.
    pub fn validate(&self, object: &Value) -> std::result::Result<(), Vec<String>> {
        let problems = self.check(object).problems;
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Whether the folder has a CRD for this `apiVersion` and `kind`.
    pub fn has(&self, api_version: &str, kind: &str) -> bool {
        let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
        self.find(group, kind).is_some()
    }

    fn find(&self, group: &str, kind: &str) -> Option<&Crd> {
        self.0.iter().find(|c| c.group == group && c.kind == kind)
    }
}

fn problem(text: String) -> Checked {
    Checked {
        problems: vec![text],
        ..Checked::default()
    }
}

impl Crd {
    fn load(path: &Path) -> Result<Crd> {
        let at = || path.display().to_string();
        let text = std::fs::read_to_string(path).context(at)?;
        let crd: Value = yaml_serde::from_str(&text).context(at)?;
        let field = |pointer: &str| {
            crd.pointer(pointer)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| fail(format!("{}: no {pointer}", at())))
        };
        let versions = crd
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .ok_or_else(|| fail(format!("{}: no /spec/versions", at())))?
            .iter()
            .map(|v| {
                let name = v.get("name").and_then(Value::as_str).unwrap_or_default();
                let root = v
                    .pointer("/schema/openAPIV3Schema")
                    .ok_or_else(|| fail(format!("{}: version {name} has no schema", at())))?;
                let compiled = schema::Schema::compile(root)
                    .map_err(|e| fail(format!("{}: version {name}: {e}", at())))?;
                Ok((name.to_owned(), compiled))
            })
            .collect::<Result<_>>()?;
        Ok(Crd {
            group: field("/spec/group")?,
            kind: field("/spec/names/kind")?,
            versions,
        })
    }
}
